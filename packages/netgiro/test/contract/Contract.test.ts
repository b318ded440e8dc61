/**
 * The contract: the test server's answers and the clients' requests, held to the facts extracted from
 * Netgíró's published pages (`facts.json`, written by `scripts/extract-facts.ts`). A field renamed in the test
 * server, in a client schema or in a request fails here.
 */
import { readFileSync } from "node:fs"
import { NodeCrypto } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { TestServer } from "@nordkit/core/testing"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { NetgiroClient, NetgiroError, NetgiroSchema, NetgiroV2Client, NetgiroV2Schema } from "../../src/index.ts"
import { NetgiroTestServer } from "../../src/testing.ts"

const facts = JSON.parse(readFileSync(new URL("./facts.json", import.meta.url), "utf8"))
const app = NetgiroTestServer.publicTestApp
const origin = "http://127.0.0.1"

/** Every documented name is present in `actual`. */
const covers = (actual: ReadonlyArray<string>, documented: ReadonlyArray<string>, what: string) =>
  assert.deepStrictEqual(
    documented.filter((name) => !actual.includes(name)),
    [],
    `${what}: documented fields missing`
  )

/** Nothing in `actual` is undocumented. */
const within = (actual: ReadonlyArray<string>, documented: ReadonlyArray<string>, what: string) =>
  assert.deepStrictEqual(
    actual.filter((name) => !documented.includes(name)),
    [],
    `${what}: undocumented fields`
  )

const fieldsOf = (schema: { readonly fields: Record<string, unknown> }) => Object.keys(schema.fields)

const setup = Effect.gen(function* () {
  // The merchant's callback endpoint: accepts everything.
  const merchant = yield* TestServer.make(() => Effect.succeed(TestServer.json({ ok: true })))
  const server = yield* NetgiroTestServer.make({ approveAfterMillis: 0 }).pipe(
    Effect.provideServiceEffect(HttpClient.HttpClient, TestServer.makeMemoryClient(merchant.app))
  )
  const http = yield* NetgiroTestServer.makeClient(server)
  const v1 = yield* NetgiroClient.make({
    appKey: app.appKey,
    secret: Redacted.make(app.secret),
    apiUrl: `${origin}/v1`
  }).pipe(Effect.provideService(HttpClient.HttpClient, http))
  const v2 = yield* NetgiroV2Client.make({
    apiKey: Redacted.make(app.appKey),
    secret: Redacted.make(app.secret),
    apiUrl: `${origin}/v2`,
    checkoutUrl: `${origin}/securepay/v1`
  }).pipe(Effect.provideService(HttpClient.HttpClient, http))
  /** The JSON body of the last request the server received. */
  const lastRequest = Effect.map(server.requests, (requests) => {
    const last = requests[requests.length - 1]
    return last.body === "" ? {} : (JSON.parse(last.body) as Record<string, unknown>)
  })
  /** A raw V1 call, signed, answered by the server: its JSON. */
  const rawV1 = (path: string, body: unknown) =>
    Effect.gen(function* () {
      const request = yield* server.signRequest(
        HttpClientRequest.bodyJsonUnsafe(HttpClientRequest.post(`${origin}/v1${path}`), body)
      )
      const response = yield* http.execute(request)
      return (yield* response.json) as Record<string, any>
    })
  /** A raw keyed call: its JSON. */
  const raw = (method: "GET" | "POST", url: string, body?: unknown) =>
    Effect.gen(function* () {
      const base =
        method === "GET"
          ? HttpClientRequest.get(url)
          : HttpClientRequest.bodyJsonUnsafe(HttpClientRequest.post(url), body)
      const response = yield* http.execute(HttpClientRequest.setHeader(base, "X-Netgiro-Api-Key", app.appKey))
      return (yield* response.json) as any
    })
  return { server, v1, v2, lastRequest, rawV1, raw }
}).pipe(Effect.provide(NodeCrypto.layerDigest))

describe("contract (facts extracted from Netgíró's published pages)", () => {
  it.effect("V1 client schemas name every documented field; every documented result code has a name", () =>
    Effect.sync(() => {
      const ops = facts.v1.operations
      covers(fieldsOf(NetgiroSchema.InsertCartRequest), ops.InsertCart.request, "InsertCart request schema")
      covers(fieldsOf(NetgiroSchema.InsertCartResponse), ops.InsertCart.response, "InsertCart response schema")
      covers(fieldsOf(NetgiroSchema.TransactionRequest), ops.CheckCart.request, "CheckCart request schema")
      covers(fieldsOf(NetgiroSchema.CheckCartResponse), ops.CheckCart.response, "CheckCart response schema")
      covers(fieldsOf(NetgiroSchema.ConfirmCartRequest), ops.ConfirmCart.request, "ConfirmCart request schema")
      covers(fieldsOf(NetgiroSchema.ConfirmCartResponse), ops.ConfirmCart.response, "ConfirmCart response schema")
      covers(fieldsOf(NetgiroSchema.CancelCartResponse), ops.CancelCart.response, "CancelCart response schema")
      covers(fieldsOf(NetgiroSchema.PaymentInfo), ops.CheckCart.paymentInfo, "PaymentInfo schema")
      covers(fieldsOf(NetgiroSchema.Envelope), facts.v1.envelope, "envelope schema")
      covers(fieldsOf(NetgiroSchema.CallbackPayload), facts.v1.callback.body, "callback schema")
      covers(fieldsOf(NetgiroSchema.PaymentInfo), facts.v1.callback.paymentInfo, "callback PaymentInfo schema")
      for (const code of facts.v1.resultCodes)
        assert.notStrictEqual(NetgiroError.resultCaseOf(code), "Unknown", String(code))
      assert.deepStrictEqual(Object.values(NetgiroSchema.PaymentStatus).sort(), [...facts.v1.statusIds].sort())
      assert.deepStrictEqual(
        Object.values(NetgiroSchema.ConfirmationTypes).sort(),
        [...facts.v1.confirmationTypes].sort()
      )
      assert.deepStrictEqual(NetgiroClient.defaultApiUrls, facts.hosts.v1)
      for (const url of facts.hosts.partner) {
        assert.include(Object.values(NetgiroClient.defaultPartnerUrls), url.replace(/\/$/, ""))
      }
    })
  )

  it.effect("V1: the client's requests and the test server's answers have the documented fields", () =>
    Effect.gen(function* () {
      const { v1, lastRequest, rawV1, server } = yield* setup
      const ops = facts.v1.operations
      const insert = {
        Amount: 1_000,
        Reference: "contract-1",
        CustomerId: NetgiroTestServer.customers.silent,
        ConfirmationType: 2,
        CallbackUrl: "https://shop.example/cb",
        CallbackCancelUrl: "https://shop.example/cancel",
        Description: "d",
        CartItemRequests: [{ Name: "n", UnitPrice: 1_000, Amount: 1_000, Quantity: 1_000 }]
      } as const
      const cart = yield* v1.insertCart(insert)
      const sent = Object.keys(yield* lastRequest)
      within(sent, ops.InsertCart.request, "InsertCart request")
      covers(sent, ops.InsertCart.requestRequired, "InsertCart request (required)")
      const inserted = yield* rawV1("/Checkout/InsertCart", insert)
      covers(Object.keys(inserted), ops.InsertCart.response, "InsertCart answer")
      within(Object.keys(inserted), [...ops.InsertCart.response, ...facts.v1.envelope], "InsertCart answer")

      yield* v1.checkCart(cart.TransactionId)
      within(Object.keys(yield* lastRequest), ops.CheckCart.request, "CheckCart request")
      const checked = yield* rawV1("/Checkout/CheckCart", { TransactionId: cart.TransactionId })
      covers(Object.keys(checked), ops.CheckCart.response, "CheckCart answer")
      within(Object.keys(checked), [...ops.CheckCart.response, ...facts.v1.envelope], "CheckCart answer")
      covers(Object.keys(checked.PaymentInfo), ops.CheckCart.paymentInfo, "CheckCart PaymentInfo")
      within(Object.keys(checked.PaymentInfo), facts.v1.callback.paymentInfo, "CheckCart PaymentInfo")

      yield* server.approve(cart.TransactionId)
      yield* v1.confirmCart({ TransactionId: cart.TransactionId, Identifier: "1" })
      within(Object.keys(yield* lastRequest), ops.ConfirmCart.request, "ConfirmCart request")
      const second = yield* v1.insertCart({ ...insert, Reference: "contract-2" })
      yield* server.approve(second.TransactionId)
      const confirmed = yield* rawV1("/Checkout/ConfirmCart", { TransactionId: second.TransactionId })
      covers(Object.keys(confirmed), ops.ConfirmCart.response, "ConfirmCart answer")
      within(Object.keys(confirmed), [...ops.ConfirmCart.response, ...facts.v1.envelope], "ConfirmCart answer")

      const third = yield* v1.insertCart({ ...insert, Reference: "contract-3" })
      yield* v1.cancelCart(third.TransactionId)
      within(Object.keys(yield* lastRequest), ops.CancelCart.request, "CancelCart request")
      const fourth = yield* v1.insertCart({ ...insert, Reference: "contract-4" })
      const canceled = yield* rawV1("/Checkout/CancelCart", { TransactionId: fourth.TransactionId })
      covers(Object.keys(canceled), ops.CancelCart.response, "CancelCart answer")
      within(Object.keys(canceled), [...ops.CancelCart.response, ...facts.v1.envelope], "CancelCart answer")
    })
  )

  it.effect("V1 callbacks: the test server sends the official demo's nested body and headers", () =>
    Effect.gen(function* () {
      const { v1, server } = yield* setup
      const cart = yield* v1.insertCart({
        Amount: 1_000,
        Reference: "contract-cb",
        CustomerId: NetgiroTestServer.customers.silent,
        ConfirmationType: 1,
        CallbackUrl: "https://shop.example/cb"
      })
      yield* server.approve(cart.TransactionId)
      const [delivery] = yield* server.callbacks
      const body = JSON.parse(delivery.body)
      assert.deepStrictEqual(Object.keys(body).sort(), [...facts.v1.callback.body].sort())
      within(Object.keys(body.PaymentInfo), facts.v1.callback.paymentInfo, "callback PaymentInfo")
      covers(Object.keys(delivery.headers), facts.v1.callback.headers, "callback headers")
    })
  )

  it.effect("V2 and hosted checkout: schemas, requests and answers have the documented fields", () =>
    Effect.gen(function* () {
      const { v2, lastRequest, raw, server } = yield* setup
      const ops = facts.v2.operations
      covers(fieldsOf(NetgiroV2Schema.PaymentRequest), ops.payment.request, "payment request schema")
      covers(fieldsOf(NetgiroV2Schema.PaymentResponse), ops.payment.response, "payment response schema")
      covers(fieldsOf(NetgiroV2Schema.CaptureRequest), ops.capture.request, "capture request schema")
      covers(fieldsOf(NetgiroV2Schema.CancelRequest), ops.cancel.request, "cancel request schema")
      covers(fieldsOf(NetgiroV2Schema.RefundRequest), ops.refund.request, "refund request schema")
      covers(fieldsOf(NetgiroV2Schema.Result), ops.refund.response, "refund response schema")
      covers(fieldsOf(NetgiroV2Schema.TransactionDetails), ops.details.response, "details schema")
      covers(fieldsOf(NetgiroV2Schema.Settlement), ops.settlementList.response, "settlement schema")
      covers(fieldsOf(NetgiroV2Schema.SettlementItem), ops.settlementItems.response, "settlement item schema")
      covers(fieldsOf(NetgiroV2Schema.HostedCheckoutRequest), facts.hosted.create.request, "hosted request schema")
      covers(
        fieldsOf(NetgiroV2Schema.HostedCheckoutRequest),
        facts.hosted.create.callbackFields,
        "hosted request schema (callback fields)"
      )
      covers(fieldsOf(NetgiroV2Schema.HostedCheckoutResponse), facts.hosted.create.response, "hosted response schema")
      for (const status of facts.v2.statusValues)
        assert.isTrue(NetgiroV2Schema.PaymentStatus.members[0].literals.includes(status))
      for (const status of facts.v2.detailStatuses)
        assert.isTrue(NetgiroV2Schema.TransactionStatus.members[0].literals.includes(status))
      assert.strictEqual(NetgiroV2Client.defaultApiUrls.production, facts.hosts.v2)
      assert.strictEqual(NetgiroV2Client.apiKeyHeader, facts.v2.apiKeyHeader.toLowerCase())
      for (const url of facts.hosts.hosted) {
        assert.include(
          Object.values(NetgiroV2Client.defaultCheckoutUrls).map((base) => `${base}/Checkout/Payment`),
          url
        )
      }

      const request = {
        Amount: 5_000,
        Reference: "order-123",
        CustomerIdentifier: NetgiroTestServer.v2Customers.barcode,
        CallbackUrl: "https://merchant.example/confirm",
        CallbackCancelUrl: "https://merchant.example/cancel",
        ManualCapture: true
      }
      const authorized = yield* v2.createPayment(request)
      const sent = Object.keys(yield* lastRequest)
      within(sent, ops.payment.request, "payment request")
      covers(sent, ops.payment.requestRequired, "payment request (required)")
      const answer = yield* raw("POST", `${origin}/v2/checkout/payment`, request)
      assert.deepStrictEqual(Object.keys(answer).sort(), [...ops.payment.response].sort())
      const id = authorized.TransactionId as string
      assert.deepStrictEqual(
        Object.keys(yield* raw("GET", `${origin}/v2/checkout/status/${id}`)).sort(),
        [...ops.status.response].sort()
      )

      yield* v2.capture(id, 4_200)
      within(Object.keys(yield* lastRequest), ops.capture.request, "capture request")
      covers(Object.keys(yield* lastRequest), ops.capture.requestRequired, "capture request (required)")
      yield* v2.refund(id, 1_000, { description: "Returned item" })
      const refundSent = Object.keys(yield* lastRequest)
      assert.deepStrictEqual(refundSent.sort(), [...ops.refund.request].sort())
      const refundAnswer = yield* raw("POST", `${origin}/v2/transaction/refund`, {
        TransactionId: id,
        RefundAmount: 1,
        IdempotencyKey: "contract-raw"
      })
      assert.deepStrictEqual(Object.keys(refundAnswer).sort(), [...ops.refund.response].sort())
      assert.deepStrictEqual(
        Object.keys(yield* raw("GET", `${origin}/v2/transaction/details/${id}`)).sort(),
        [...ops.details.response].sort()
      )
      const other = yield* v2.createPayment({ ...request, ManualCapture: false })
      yield* v2.cancel(other.TransactionId as string)
      within(Object.keys(yield* lastRequest), ops.cancel.request, "cancel request")
      const failure = yield* raw("POST", `${origin}/v2/checkout/payment`, { ...request, Amount: 0 })
      assert.deepStrictEqual(Object.keys(failure).sort(), [...ops.validationError.response].sort())

      const number = yield* server.settleV2(app.appKey)
      const settlements = yield* raw("GET", `${origin}/v2/settlement/list`)
      assert.deepStrictEqual(Object.keys(settlements[0]).sort(), [...ops.settlementList.response].sort())
      yield* Stream.runCollect(
        v2.settlements({ dateFrom: "2000-01-01", dateTo: "2100-01-01", settlementNumber: number })
      )
      const query = [...new URL((yield* server.requests).at(-1)?.url ?? "", origin).searchParams.keys()]
      within(query, facts.v2.settlementListQuery, "settlement list query")
      const items = yield* raw("GET", `${origin}/v2/settlement/items/${number}`)
      assert.deepStrictEqual(Object.keys(items[0]).sort(), [...ops.settlementItems.response].sort())

      const callback = (yield* server.callbacks).find(
        (c) => c.transactionId === other.TransactionId && c.kind === "confirm"
      )
      assert.deepStrictEqual(
        Object.keys(JSON.parse(callback?.body ?? "{}")).sort(),
        [...facts.v2.callback.confirm].sort()
      )
      assert.isString(callback?.headers[facts.v2.callback.header.toLowerCase()])
      const cancelCallback = (yield* server.callbacks).find(
        (c) => c.transactionId === other.TransactionId && c.kind === "cancel"
      )
      assert.deepStrictEqual(
        Object.keys(JSON.parse(cancelCallback?.body ?? "{}")).sort(),
        [...facts.v2.callback.cancel].sort()
      )

      const hosted = {
        Amount: 5_000,
        Reference: "order-124",
        SuccessUrl: "https://merchant.example/success",
        CancelUrl: "https://merchant.example/cancel",
        CallbackUrl: "https://merchant.example/confirm",
        CallbackCancelUrl: "https://merchant.example/cancelled",
        ManualCapture: false
      }
      const checkout = yield* v2.createHostedCheckout(hosted)
      const hostedSent = Object.keys(yield* lastRequest)
      within(hostedSent, [...facts.hosted.create.request, ...facts.hosted.create.callbackFields], "hosted request")
      covers(hostedSent, facts.hosted.create.requestRequired, "hosted request (required)")
      assert.deepStrictEqual(
        Object.keys(yield* raw("POST", `${origin}/securepay/v1/Checkout/Payment`, hosted)).sort(),
        [...facts.hosted.create.response].sort()
      )
      const redirect = yield* server.completeCheckout(checkout.CheckoutUrl as string, "approve")
      assert.deepStrictEqual(
        [...new URL(redirect).searchParams.keys()].sort(),
        [...facts.hosted.returnParameters].sort()
      )
    })
  )
})
