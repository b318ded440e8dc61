/**
 * The shop's lifecycle over real loopback HTTP (Node's HTTP server and undici client) against the Dintero test
 * server: every operation, asserting what the server received and what the caller got.
 */
import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { DinteroClient, DinteroSchema } from "../src/index.ts"
import { DinteroTestServer } from "../src/testing.ts"

const account = DinteroTestServer.defaultCredentials

/** A test server on a loopback port and a client talking to it over HTTP. */
const setup = Effect.gen(function* () {
  const server = yield* DinteroTestServer.make()
  const url = yield* DinteroTestServer.listen(server)
  const client = yield* DinteroClient.make({
    accountId: account.accountId,
    clientId: account.clientId,
    clientSecret: Redacted.make(account.clientSecret),
    apiUrl: url,
    checkoutUrl: url
  })
  const lastRequest = (method: string, path: string) =>
    Effect.map(server.requests, (all) => all.filter((r) => r.method === method && r.path === path).at(-1)!)
  return { server, client, lastRequest }
})

const order = {
  amount: 29_900,
  currency: "NOK",
  merchant_reference: "order-3001",
  items: [
    { id: "sku-1", line_id: "1", description: "Wool socks", quantity: 2, amount: 19_900, vat_amount: 3_980, vat: 25 },
    { id: "sku-2", line_id: "2", description: "Hat", quantity: 1, amount: 10_000, vat_amount: 2_000, vat: 25 }
  ]
}

const paidSession = (setupResult: Effect.Success<typeof setup>) =>
  Effect.gen(function* () {
    const { server, client } = setupResult
    const session = yield* client.createSession({
      url: { return_url: "https://shop.example/return" },
      profile_id: "default",
      order
    })
    return { session, transactionId: yield* server.authorizeSession(session.id) }
  })

const loopback = Layer.merge(
  NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }),
  NodeHttpClient.layerUndici
)

describe("DinteroClient lifecycle over loopback", () => {
  it.effect("createSession sends express, metadata, expires_at, addresses and merchant_reference_2", () =>
    Effect.gen(function* () {
      const { client, lastRequest } = yield* setup
      const request: DinteroSchema.SessionProfileRequest = {
        url: { return_url: "https://shop.example/return", callback_url: "https://shop.example/cb" },
        profile_id: "default",
        expires_at: "2030-01-01T00:00:00.000Z",
        metadata: { "shop:cart": "c-9" },
        customer: { customer_id: "cust-9", email: "kari@example.com" },
        // `default_different_billing_shipping_address` is nested and new in the 2026 typings
        express: {
          shipping_options: [],
          shipping_mode: "shipping_not_required",
          default_different_billing_shipping_address: ["b2b"]
        },
        order: {
          ...order,
          merchant_reference_2: "cart-9",
          partial_payment: false,
          billing_address: { first_name: "Kari", last_name: "Nordmann", country: "NO" }
        }
      }
      const created = yield* client.createSession(request, { includeSession: true })
      assert.match(created.id, /^T11223344\./)
      // include_session=true: the created session comes back whole
      assert.strictEqual((yield* lastRequest("POST", "/v1/sessions-profile")).query.get("include_session"), "true")
      assert.strictEqual(created.session?.order?.merchant_reference_2, "cart-9")
      const sent = JSON.parse((yield* lastRequest("POST", "/v1/sessions-profile")).body)
      assert.deepStrictEqual(sent, JSON.parse(JSON.stringify(request)))
      const read = yield* client.getSession(created.id)
      assert.strictEqual(read.order.merchant_reference_2, "cart-9")
      assert.deepStrictEqual(read.express?.shipping_mode, "shipping_not_required")
    }).pipe(Effect.provide(loopback))
  )

  it.effect("updateSession needs a lock, or update_without_lock", () =>
    Effect.gen(function* () {
      const { server, client, lastRequest } = yield* setup
      const session = yield* client.createSession({
        url: { return_url: "https://shop.example/return" },
        profile_id: "default",
        order
      })
      const { merchant_reference: _, ...updatable } = order
      const update: DinteroSchema.UpdateSessionRequest = {
        order: { ...updatable, amount: 19_900, items: [order.items[0]!] }
      }
      const locked = yield* Effect.flip(client.updateSession(session.id, update))
      assert.strictEqual(locked._tag, "ApiError")
      const updated = yield* client.updateSession(session.id, update, { updateWithoutLock: true })
      assert.strictEqual(updated.order.amount, 19_900)
      const sent = yield* lastRequest("PUT", `/v1/sessions/${session.id}`)
      assert.strictEqual(sent.query.get("update_without_lock"), "true")
      yield* server.lockSession(session.id)
      const again = yield* client.updateSession(session.id, { order: updatable })
      assert.strictEqual(again.order.amount, 29_900)
    }).pipe(Effect.provide(loopback))
  )

  it.effect("a body field the published schema lacks is an InvalidRequestError, never silently dropped", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup
      const session = yield* client.createSession({
        url: { return_url: "https://shop.example/return" },
        profile_id: "default",
        order
      })
      const id = yield* server.seedTransaction({ amount: 1_000 })
      yield* server.clearLog
      // `merchant_reference` cannot be updated on a session; `refernce` is a typo
      const update = yield* Effect.flip(
        client.updateSession(session.id, { order } as unknown as DinteroSchema.UpdateSessionRequest, {
          updateWithoutLock: true
        })
      )
      assert.strictEqual(update._tag, "InvalidRequestError")
      const capture = yield* Effect.flip(
        client.captureTransaction(id, { amount: 1_000, refernce: "x" } as unknown as DinteroSchema.CaptureRequest)
      )
      assert.strictEqual(capture._tag, "InvalidRequestError")
      assert.include(capture.message, "refernce")
      assert.lengthOf(yield* server.requests, 0)
    }).pipe(Effect.provide(loopback))
  )

  it.effect("getTransaction with includes=session embeds the session", () =>
    Effect.gen(function* () {
      const ctx = yield* setup
      const { session, transactionId } = yield* paidSession(ctx)
      const plain = yield* ctx.client.getTransaction(transactionId)
      assert.isUndefined(plain.session)
      const withSession = yield* ctx.client.getTransaction(transactionId, { includes: ["session"] })
      assert.strictEqual(withSession.session?.id, session.id)
      const sent = yield* ctx.lastRequest("GET", `/v1/transactions/${transactionId}`)
      assert.deepStrictEqual(sent.query.getAll("includes"), ["session"])
    }).pipe(Effect.provide(loopback))
  )

  it.effect("updateTransaction sets merchant_reference_2", () =>
    Effect.gen(function* () {
      const ctx = yield* setup
      const { transactionId } = yield* paidSession(ctx)
      const updated = yield* ctx.client.updateTransaction(transactionId, { merchant_reference_2: "ledger-1" })
      assert.strictEqual(updated.merchant_reference_2, "ledger-1")
      const listed = yield* ctx.client.listTransactions({ merchant_reference_2: "ledger-1" })
      assert.deepStrictEqual(
        listed.map((t) => t.id),
        [transactionId]
      )
    }).pipe(Effect.provide(loopback))
  )

  it.effect("extendAuthorization sends the reason and reference (and the 2026 amount / items)", () =>
    Effect.gen(function* () {
      const ctx = yield* setup
      const { transactionId } = yield* paidSession(ctx)
      const extended = yield* ctx.client.extendAuthorization(transactionId, {
        reason: "backorder",
        reference: "ext-1",
        amount: 29_900
      } as DinteroSchema.ExtendAuthorizationRequest)
      assert.strictEqual(extended.status, "AUTHORIZED")
      const sent = yield* ctx.lastRequest("POST", `/v1/transactions/${transactionId}/authorization`)
      assert.deepStrictEqual(JSON.parse(sent.body), { reason: "backorder", reference: "ext-1", amount: 29_900 })
    }).pipe(Effect.provide(loopback))
  )

  it.effect("a partial capture with final_capture completes the transaction and keeps its event_reference", () =>
    Effect.gen(function* () {
      const ctx = yield* setup
      const { transactionId } = yield* paidSession(ctx)
      const result = yield* ctx.client.captureTransaction(transactionId, {
        amount: 19_900,
        capture_reference: "cap-1",
        final_capture: true,
        metadata: { ext_erp_id: "erp-1" }
      })
      assert.strictEqual(result._tag, "Captured")
      const tx = result._tag === "Captured" ? result.transaction : undefined
      assert.strictEqual(tx?.status, "CAPTURED")
      const capture = tx?.events?.find((e) => e.event === "CAPTURE")
      assert.strictEqual(capture?.event_reference, "cap-1")
      assert.strictEqual(capture?.amount, 19_900)
      const sent = yield* ctx.lastRequest("POST", `/v1/transactions/${transactionId}/capture`)
      assert.deepStrictEqual(JSON.parse(sent.body), {
        amount: 19_900,
        capture_reference: "cap-1",
        final_capture: true,
        metadata: { ext_erp_id: "erp-1" }
      })
      yield* ctx.client.refundTransaction(transactionId, {
        amount: 100,
        refund_reference: "r-1",
        metadata: { ext_erp_id: "erp-2" }
      })
      const refund = yield* ctx.lastRequest("POST", `/v1/transactions/${transactionId}/refund`)
      assert.deepStrictEqual(JSON.parse(refund.body).metadata, { ext_erp_id: "erp-2" })
    }).pipe(Effect.provide(loopback))
  )

  it.effect("a 202 refund is Processing until it completes; its event carries the correlation_request_id", () =>
    Effect.gen(function* () {
      const ctx = yield* setup
      const { transactionId } = yield* paidSession(ctx)
      yield* ctx.client.captureTransaction(transactionId, { amount: 29_900 })
      yield* ctx.server.setAsyncOperations(true)
      const result = yield* ctx.client.refundTransaction(transactionId, { amount: 10_000, refund_reference: "ref-1" })
      assert.strictEqual(result._tag, "Processing")
      const eventRequestId = result._tag === "Processing" ? result.eventRequestId! : ""
      assert.match(eventRequestId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      assert.strictEqual(result._tag === "Processing" && result.transaction?.status, "CAPTURED")
      const accepted = result._tag === "Processing" ? result.transaction! : undefined!
      assert.strictEqual(DinteroSchema.completionOf(accepted, eventRequestId), undefined)
      assert.strictEqual(DinteroSchema.refundedAmount(accepted), 0)
      assert.strictEqual(yield* ctx.server.completePending, 1)
      const after = yield* ctx.client.getTransaction(transactionId)
      assert.strictEqual(after.status, "PARTIALLY_REFUNDED")
      const refund = DinteroSchema.completionOf(after, eventRequestId)
      assert.strictEqual(refund?.event, "REFUND")
      assert.strictEqual(DinteroSchema.refundedAmount(after), 10_000)
      assert.strictEqual(refund?.event_reference, "ref-1")
    }).pipe(Effect.provide(loopback))
  )

  it.effect("a 202 void is Processing, a 200 void is Done", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup
      const a = yield* server.seedTransaction({ amount: 1_000 })
      const done = yield* client.voidTransaction(a)
      assert.strictEqual(done._tag === "Done" && done.transaction.status, "AUTHORIZATION_VOIDED")
      yield* server.setAsyncOperations(true)
      const b = yield* server.seedTransaction({ amount: 1_000 })
      const processing = yield* client.voidTransaction(b)
      assert.strictEqual(processing._tag, "Processing")
      yield* server.completePending
      assert.strictEqual((yield* client.getTransaction(b)).status, "AUTHORIZATION_VOIDED")
    }).pipe(Effect.provide(loopback))
  )

  it.effect("listTransactions sends several statuses and every filter; streamTransactions follows the cursor", () =>
    Effect.gen(function* () {
      const { server, client, lastRequest } = yield* setup
      for (let i = 0; i < 5; i++) yield* server.seedTransaction({ amount: 100 + i, merchantReference: `bulk-${i}` })
      const listed = yield* client.listTransactions({
        status: ["AUTHORIZED", "CAPTURED"],
        currency: ["NOK"],
        "amount.gte": 100,
        payout_correlation_id: ["p1", "p2"],
        limit: 50
      })
      const sent = yield* lastRequest("GET", "/v1/transactions")
      assert.deepStrictEqual(sent.query.getAll("status"), ["AUTHORIZED", "CAPTURED"])
      assert.strictEqual(sent.query.get("payout_correlation_id"), "p1,p2")
      assert.strictEqual(sent.query.get("amount.gte"), "100")
      assert.lengthOf(listed, 7)
      // the filters of the 2026 spec reach Dintero too (arrays repeated)
      yield* client.listTransactions({
        token_id: ["tok-1", "tok-2"],
        payout_destination_id: "pd-1",
        includes: ["events.success.true"]
      })
      const newer = yield* lastRequest("GET", "/v1/transactions")
      assert.deepStrictEqual(newer.query.getAll("token_id"), ["tok-1", "tok-2"])
      assert.strictEqual(newer.query.get("payout_destination_id"), "pd-1")
      assert.deepStrictEqual(newer.query.getAll("includes"), ["events.success.true"])
      yield* server.clearLog
      const all = yield* Stream.runCollect(client.streamTransactions({ limit: 2 }))
      assert.lengthOf(all, 7)
      assert.lengthOf(new Set(all.map((t) => t.id)), 7)
      const pages = (yield* server.requests).filter((r) => r.path === "/v1/transactions")
      assert.strictEqual(pages.length, 4)
      assert.strictEqual(pages[1]!.query.get("starting_after"), all[1]!.id)
    }).pipe(Effect.provide(loopback))
  )

  it.effect("stored cards: a payment-token session, then pay with the token", () =>
    Effect.gen(function* () {
      const { client, lastRequest } = yield* setup
      const tokenSession = yield* client.createPaymentTokenSession({
        session: {
          url: { return_url: "https://shop.example/return" },
          order: { currency: "NOK", merchant_reference: "save-card-1" }
        },
        token_provider: { payment_product_type: "payex.creditcard", token_types: ["payment_token"] }
      } as DinteroSchema.PaymentTokenSessionRequest)
      assert.match(tokenSession.url, /^http/)
      const sent = JSON.parse((yield* lastRequest("POST", "/v1/sessions/payment-token")).body)
      assert.deepStrictEqual(sent.token_provider.token_types, ["payment_token"])
      const paid = yield* client.payWithToken({
        session: {
          order: { amount: 4_900, currency: "NOK", merchant_reference: "mit-1" },
          customer: { tokens: { "payex.creditcard": { payment_token: "tok-1" } } }
        },
        payment: { payment_product_type: "payex.creditcard", operation: "unscheduled_purchase" }
      } as DinteroSchema.PayRequest)
      assert.strictEqual(paid.success, true)
      assert.strictEqual(paid.amount, 4_900)
      const paySent = JSON.parse((yield* lastRequest("POST", "/v1/sessions/pay")).body)
      assert.strictEqual(paySent.payment.operation, "unscheduled_purchase")
      assert.strictEqual(DinteroSchema.mayRetry(paid), true)
      // A declined card is a 200 with success false and a FAILED transaction, not an error: look at the event.
      const declined = yield* client.payWithToken({
        session: {
          order: { amount: 4_900, currency: "NOK", merchant_reference: "mit-2" },
          customer: { tokens: { "payex.creditcard": { payment_token: "declined-1" } } }
        },
        payment: { payment_product_type: "payex.creditcard", operation: "unscheduled_purchase" }
      } as DinteroSchema.PayRequest)
      assert.strictEqual(declined.success, false)
      assert.strictEqual(declined.status, "FAILED")
      assert.strictEqual(DinteroSchema.failureOf(declined)?.code, "DECLINED")
      assert.strictEqual(DinteroSchema.mayRetry(declined), false)
    }).pipe(Effect.provide(loopback))
  )

  it.effect("settlements and reports are read from the API host, for the client's account", () =>
    Effect.gen(function* () {
      const { server, client, lastRequest } = yield* setup
      yield* server.seedSettlement({ settled_at: "2026-07-01T00:00:00.000Z", provider: "vipps" })
      const settlements = yield* client.listSettlements({ limit: 10 })
      assert.strictEqual(settlements.items?.[0]?.provider, "vipps")
      const sent = yield* lastRequest("GET", `/v1/accounts/${account.accountId}/settlements`)
      assert.strictEqual(sent.query.get("limit"), "10")
      const reports = yield* client.listReports()
      assert.deepStrictEqual(reports.reports, [])
      const refused = yield* Effect.flip(client.listSettlements({ limit: 5_000 }))
      assert.strictEqual(refused._tag, "InvalidRequestError")
      const raw = yield* client.apiHttp.get(`/v1/accounts/${account.accountId}/settlements`)
      assert.strictEqual(raw.status, 200)
    }).pipe(Effect.provide(loopback))
  )

  it.effect("a new status and a new field from Dintero are kept, not refused", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup
      const id = yield* server.seedTransaction({
        amount: 100,
        status: "PARTIALLY_AUTHORIZED",
        extra: { risk_score: 7, card: { brand: "VISA", wallet_token: "w-1" } }
      })
      const tx = yield* client.getTransaction(id)
      assert.strictEqual(tx.status, "PARTIALLY_AUTHORIZED")
      const fields = tx as unknown as Record<string, unknown>
      assert.strictEqual(fields.risk_score, 7)
      assert.deepStrictEqual(fields.card, { brand: "VISA", wallet_token: "w-1" })
    }).pipe(Effect.provide(loopback))
  )

  it.effect("list filters outside the published parameters are refused before anything is sent", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup
      yield* client.accessToken
      yield* server.clearLog
      const tooMany = yield* Effect.flip(client.listTransactions({ limit: 500 }))
      assert.strictEqual(tooMany._tag, "InvalidRequestError")
      const unknown = yield* Effect.flip(
        client.listTransactions({ colour: "red" } as unknown as DinteroSchema.ListTransactionsParams)
      )
      assert.strictEqual(unknown._tag, "InvalidRequestError")
      assert.lengthOf(yield* server.requests, 0)
    }).pipe(Effect.provide(loopback))
  )

  it.effect("an id that would leave its path segment is refused before anything is sent", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup
      yield* server.clearLog
      const error = yield* Effect.flip(client.getTransaction("../sessions/x"))
      assert.strictEqual(error._tag, "InvalidRequestError")
      assert.lengthOf(yield* server.requests, 0)
    }).pipe(Effect.provide(loopback))
  )
})
