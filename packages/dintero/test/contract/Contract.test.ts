/**
 * Contract test: for every operation the client wraps, what the client SENDS and what the test server ANSWERS are
 * held to the facts extracted from Dintero's published OpenAPI (`facts.json`, written by `scripts/generate.ts`):
 * no field the spec does not name, every required field present, enum values from the published lists — at the
 * top level and two levels of nesting (objects and array items).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as DinteroApi from "../../src/generated/DinteroApi.ts"
import { DinteroClient, DinteroSchema } from "../../src/index.ts"
import { DinteroTestServer } from "../../src/testing.ts"
import facts from "./facts.json" with { type: "json" }

interface Shape {
  readonly fields: Record<string, string>
  readonly required: ReadonlyArray<string>
  readonly enums?: Record<string, ReadonlyArray<string>>
  readonly nested?: Record<string, Shape>
}
type Ref = { readonly shape: string }
interface OperationFacts {
  readonly operation: string
  readonly query?: ReadonlyArray<string>
  readonly request?: Ref
  readonly response?: Ref | { readonly array: Ref }
}
const operations = facts.operations as unknown as Record<string, OperationFacts>
const shapes = facts.shapes as unknown as Record<string, Shape>
const shapeOf = (ref: Ref): Shape => shapes[ref.shape]!

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** Every way `value` breaks `shape`, as `path: problem` lines. */
export const violations = (shape: Shape, value: unknown, path = "$"): Array<string> => {
  if (!isRecord(value)) return [`${path}: expected an object`]
  const out: Array<string> = []
  for (const key of shape.required) if (value[key] === undefined) out.push(`${path}.${key}: required, missing`)
  for (const [key, v] of Object.entries(value)) {
    if (!(key in shape.fields)) {
      out.push(`${path}.${key}: not a field of the published schema`)
      continue
    }
    // `metadata` objects carry the merchant's own keys (documented as free-form key/value pairs).
    if (key === "metadata") continue
    const allowed = shape.enums?.[key]
    if (allowed !== undefined) {
      for (const item of Array.isArray(v) ? v : [v]) {
        if (item !== null && !allowed.includes(String(item))) out.push(`${path}.${key}: ${String(item)} not in enum`)
      }
    }
    const nested = shape.nested?.[key]
    if (nested !== undefined && isRecord(v)) out.push(...violations(nested, v, `${path}.${key}`))
    const items = shape.nested?.[`${key}[]`]
    if (items !== undefined && Array.isArray(v)) {
      v.forEach((item, i) => {
        if (isRecord(item)) out.push(...violations(items, item, `${path}.${key}[${i}]`))
      })
    }
  }
  return out
}

const responseShape = (op: OperationFacts): { shape: Shape; array: boolean } => {
  const response = op.response!
  return "array" in response
    ? { shape: shapeOf(response.array), array: true }
    : { shape: shapeOf(response), array: false }
}

const account = DinteroTestServer.defaultAccount

/** A test server, a client against it, and every response body the client received (by request path). */
const setup = Effect.gen(function* () {
  const server = yield* DinteroTestServer.make()
  const answers: Array<{ method: string; url: string; status: number; body: unknown }> = []
  const memory = yield* DinteroTestServer.makeClient(server)
  const client = yield* DinteroClient.make({
    accountId: account.accountId,
    clientId: account.clientId,
    clientSecret: Redacted.make(account.clientSecret),
    apiUrl: "http://127.0.0.1",
    checkoutUrl: "http://127.0.0.1",
    transformClient: HttpClient.tap((response) =>
      Effect.map(
        Effect.orElseSucceed(response.json, () => undefined),
        (body) => {
          answers.push({ method: response.request.method, url: response.request.url, status: response.status, body })
        }
      )
    )
  }).pipe(Effect.provideService(HttpClient.HttpClient, memory))
  return { server, client, answers }
})

/** Runs the shop's whole lifecycle once, touching every wrapped operation. */
const lifecycle = Effect.gen(function* () {
  const { server, client, answers } = yield* setup
  const session = yield* client.createSession(
    {
      url: { return_url: "https://shop.example/return", callback_url: "https://shop.example/callback?method=GET" },
      profile_id: "default",
      expires_at: "2030-01-01T00:00:00.000Z",
      metadata: { "shop:cart": "c-1" },
      customer: { email: "kari@example.com", phone_number: "+4799999999", customer_id: "cust-1" },
      order: {
        amount: 29_900,
        currency: "NOK",
        merchant_reference: "order-2001",
        merchant_reference_2: "cart-2001",
        vat_amount: 5_980,
        partial_payment: false,
        shipping_address: { first_name: "Kari", last_name: "Nordmann", address_line: "Gate 1", postal_code: "0150" },
        items: [
          {
            id: "sku-1",
            line_id: "1",
            description: "Wool socks",
            quantity: 2,
            amount: 19_900,
            vat_amount: 3_980,
            vat: 25
          },
          { id: "sku-2", line_id: "2", description: "Hat", quantity: 1, amount: 10_000, vat_amount: 2_000, vat: 25 }
        ]
      }
    },
    { includeSession: true }
  )
  yield* client.getSession(session.id)
  yield* client.updateSession(
    session.id,
    { order: { merchant_reference_2: "cart-2001-b" } } as DinteroSchema.UpdateSessionRequest,
    { updateWithoutLock: true }
  )
  const other = yield* client.createSession({
    url: { return_url: "https://shop.example/return" },
    profile_id: "default",
    order: { amount: 100, currency: "NOK", merchant_reference: "order-2002" }
  })
  yield* client.cancelSession(other.id)
  yield* client.createPaymentTokenSession({
    session: {
      url: { return_url: "https://shop.example/return" },
      order: { currency: "NOK", merchant_reference: "token-1" }
    },
    token_provider: { payment_product_type: "payex.creditcard", token_types: ["payment_token"] }
  } as DinteroSchema.PaymentTokenSessionRequest)
  yield* client.payWithToken({
    session: {
      order: { amount: 500, currency: "NOK", merchant_reference: "mit-1" },
      customer: { tokens: { "payex.creditcard": { payment_token: "tok-1" } } }
    },
    payment: { payment_product_type: "payex.creditcard", operation: "unscheduled_purchase" }
  } as DinteroSchema.PayRequest)
  const transactionId = yield* server.authorizeSession(session.id)
  yield* client.getTransaction(transactionId, { includes: ["session"] })
  yield* client.listTransactions({ status: ["AUTHORIZED", "CAPTURED"], limit: 5 })
  yield* Stream.runCollect(client.streamTransactions({ limit: 2 }))
  yield* client.updateTransaction(transactionId, { merchant_reference_2: "ledger-77" })
  yield* client.extendAuthorization(transactionId, { reason: "backorder", reference: "ext-1" })
  yield* client.captureTransaction(transactionId, { amount: 29_900, capture_reference: "cap-1", final_capture: true })
  yield* client.refundTransaction(transactionId, { amount: 10_000, refund_reference: "ref-1", reason: "Hat" })
  const voidable = yield* server.seedTransaction({ amount: 1_000 })
  yield* client.voidTransaction(voidable)
  yield* server.seedSettlement({
    settled_at: "2026-07-01T00:00:00.000Z",
    provider: "vipps",
    provider_reference: "vipps-settlement-1",
    payment_status: "paid"
  })
  yield* client.listSettlements({ limit: 5 })
  yield* client.listReports({ limit: 5 })
  const callback = yield* server.callbackFor(session.id)
  return { server, answers, requests: yield* server.requests, callback }
})

/** Which published operation a request was, by method and path. */
const operationOf = (method: string, path: string): string | undefined => {
  const p = path.replace(/^\/v1/, "")
  const candidates: Array<[RegExp, string]> = [
    [/^\/sessions-profile$/, "/sessions-profile"],
    [/^\/sessions\/payment-token$/, "/sessions/payment-token"],
    [/^\/sessions\/pay$/, "/sessions/pay"],
    [/^\/sessions\/[^/]+\/cancel$/, "/sessions/{session_id}/cancel"],
    [/^\/sessions\/[^/]+$/, "/sessions/{session_id}"],
    [/^\/transactions$/, "/transactions"],
    [/^\/transactions\/[^/]+\/(capture|refund|void|authorization)$/, "/transactions/{id}/$1"],
    [/^\/transactions\/[^/]+$/, "/transactions/{id}"],
    [/^\/accounts\/[^/]+\/settlements$/, "/accounts/{aid}/settlements"],
    [/^\/accounts\/[^/]+\/reports\/metadata$/, "/accounts/{aid}/reports/metadata"]
  ]
  for (const [pattern, template] of candidates) {
    const match = pattern.exec(p)
    if (match !== null) return `${method} ${template.replace("$1", match[1] ?? "")}`
  }
  return undefined
}

describe("contract with Dintero's published OpenAPI", () => {
  it.effect("every wrapped operation is exercised; requests and answers follow the published schemas", () =>
    Effect.gen(function* () {
      const { answers, requests } = yield* lifecycle
      const seen = new Set<string>()
      const problems: Array<string> = []
      for (const request of requests) {
        if (request.path.endsWith("/auth/token")) continue
        const key = operationOf(request.method, request.path)
        const op = key === undefined ? undefined : operations[key]
        if (key === undefined || op === undefined) {
          problems.push(`${request.method} ${request.path}: not a published operation`)
          continue
        }
        seen.add(key)
        for (const name of request.query.keys()) {
          if (!(op.query ?? []).includes(name)) problems.push(`${key} query ${name}: not a published parameter`)
        }
        if (op.request !== undefined && request.body.length > 0) {
          problems.push(...violations(shapeOf(op.request), JSON.parse(request.body), `${key} request`))
        }
      }
      for (const answer of answers) {
        const path = new URL(answer.url).pathname
        const key = operationOf(answer.method, path)
        if (key === undefined || answer.status >= 300 || path.endsWith("/auth/token")) continue
        const op = operations[key]!
        if (op.response === undefined) continue
        const { shape, array } = responseShape(op)
        const bodies = array && Array.isArray(answer.body) ? answer.body : [answer.body]
        for (const body of bodies) problems.push(...violations(shape, body, `${key} response`))
      }
      assert.deepStrictEqual(problems, [])
      const wrapped = Object.entries(operations)
        .filter(([, op]) => op.operation !== "callback")
        .map(([key]) => key)
      assert.deepStrictEqual(
        wrapped.filter((key) => !seen.has(key)),
        [],
        "operations without a request in the lifecycle"
      )
    })
  )

  it("the checker refuses a renamed field, a missing required field and an unpublished enum value", () => {
    const shape = responseShape(operations["GET /transactions/{id}"]!).shape
    const good = { id: "T1", amount: 1, currency: "NOK", payment_product: "vipps", payment_product_type: "vipps" }
    assert.deepStrictEqual(violations(shape, good), [])
    assert.lengthOf(violations(shape, { ...good, events: [{ capture_reference: "x" }] }), 1)
    const { currency: _, ...missing } = good
    assert.lengthOf(violations(shape, missing), 1)
    assert.lengthOf(violations(shape, { ...good, events: [{ event: "TELEPORT" }] }), 1)
  })

  it.effect("the callback the test server sends carries only the published callback parameters", () =>
    Effect.gen(function* () {
      const { callback } = yield* lifecycle
      const published = Object.keys(DinteroApi.ExampleSessionGetCallbackUrlParams.fields)
      const sent = [...new URL(callback.url).searchParams.keys()]
      assert.deepStrictEqual(
        sent.filter((name) => !published.includes(name)),
        []
      )
      for (const required of ["transaction_id", "merchant_reference", "time"]) assert.include(sent, required)
    })
  )

  it.effect("every other request body arrives at the test server exactly as the caller built it", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup
      const id = yield* server.seedTransaction({ amount: 1_000 })
      const session = yield* client.createSession({
        url: { return_url: "https://shop.example/return" },
        profile_id: "default",
        order: { amount: 100, currency: "NOK", merchant_reference: "o-1" }
      })
      const cases: ReadonlyArray<{
        readonly name: string
        readonly schema: Schema.Top & { readonly DecodingServices: never; readonly EncodingServices: never }
        readonly path: string
        readonly send: (body: any) => Effect.Effect<unknown, unknown>
      }> = [
        {
          name: "updateSession",
          schema: DinteroSchema.UpdateSessionRequest,
          path: `/v1/sessions/${session.id}`,
          send: (body) => client.updateSession(session.id, body, { updateWithoutLock: true })
        },
        {
          name: "createPaymentTokenSession",
          schema: DinteroSchema.PaymentTokenSessionRequest,
          path: "/v1/sessions/payment-token",
          send: (body) => client.createPaymentTokenSession(body)
        },
        { name: "payWithToken", schema: DinteroSchema.PayRequest, path: "/v1/sessions/pay", send: client.payWithToken },
        {
          name: "updateTransaction",
          schema: DinteroSchema.UpdateTransactionRequest,
          path: `/v1/transactions/${id}`,
          send: (body) => client.updateTransaction(id, body)
        },
        {
          name: "captureTransaction",
          schema: DinteroSchema.CaptureRequest,
          path: `/v1/transactions/${id}/capture`,
          send: (body) => client.captureTransaction(id, body)
        },
        {
          name: "refundTransaction",
          schema: DinteroSchema.RefundRequest,
          path: `/v1/transactions/${id}/refund`,
          send: (body) => client.refundTransaction(id, body)
        },
        {
          name: "extendAuthorization",
          schema: DinteroSchema.ExtendAuthorizationRequest,
          path: `/v1/transactions/${id}/authorization`,
          send: (body) => client.extendAuthorization(id, body)
        }
      ]
      for (const c of cases) {
        const samples = yield* Arbitrary.sampleEffect(Arbitrary.schema(c.schema), { count: 15, seed: 7 })
        const encode = Schema.encodeUnknownSync(c.schema)
        for (const sample of samples) {
          yield* server.clearLog
          yield* Effect.exit(c.send(sample))
          const arrived = (yield* server.requests).filter((r) => r.path === c.path && r.method !== "GET")
          assert.lengthOf(arrived, 1, c.name)
          assert.deepStrictEqual(JSON.parse(arrived[0]!.body), JSON.parse(JSON.stringify(encode(sample))), c.name)
        }
      }
    })
  )

  it.effect("a session with every optional field of the spec arrives at the test server field for field", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup
      const samples = yield* Arbitrary.sampleEffect(Arbitrary.schema(DinteroSchema.SessionProfileRequest), {
        count: 40,
        seed: 20_260_701
      })
      const encode = Schema.encodeSync(DinteroSchema.SessionProfileRequest)
      const topLevel = new Set<string>()
      const orderLevel = new Set<string>()
      for (const sample of samples) {
        yield* server.clearLog
        // The server may refuse a random order on business rules (sums, currencies): what matters is what arrived.
        yield* Effect.exit(client.createSession(sample))
        const arrived = (yield* server.requests).filter((r) => r.path === "/v1/sessions-profile")
        assert.lengthOf(arrived, 1)
        assert.deepStrictEqual(JSON.parse(arrived[0]!.body), JSON.parse(JSON.stringify(encode(sample))))
        for (const key of Object.keys(sample)) topLevel.add(key)
        for (const key of Object.keys(sample.order)) orderLevel.add(key)
      }
      const request = shapeOf(operations["POST /sessions-profile"]!.request!)
      assert.deepStrictEqual([...topLevel].sort(), Object.keys(request.fields).sort())
      assert.deepStrictEqual([...orderLevel].sort(), Object.keys(request.nested!.order!.fields).sort())
    })
  )
})
