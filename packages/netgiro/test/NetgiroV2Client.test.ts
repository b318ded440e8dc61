import { assert, describe, it } from "@effect/vitest"
import { Canary, TestServer } from "@nordkit/core/testing"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { NetgiroV2Client } from "../src/index.ts"
import { NetgiroTestServer } from "../src/testing.ts"

const app = NetgiroTestServer.publicTestApp
const origin = "http://127.0.0.1"
const customers = NetgiroTestServer.v2Customers

const setup = (serverOptions: NetgiroTestServer.Options = {}, merchantStatus = 200) =>
  Effect.gen(function* () {
    const merchant = yield* TestServer.make(() => Effect.succeed(TestServer.json({ ok: true }, merchantStatus)))
    const server = yield* NetgiroTestServer.make(serverOptions).pipe(
      Effect.provideServiceEffect(HttpClient.HttpClient, TestServer.makeMemoryClient(merchant.app))
    )
    const http = yield* NetgiroTestServer.makeClient(server)
    const make = (overrides: Partial<NetgiroV2Client.Options> = {}) =>
      NetgiroV2Client.make({
        apiKey: Redacted.make(app.appKey),
        secret: Redacted.make(app.secret),
        apiUrl: `${origin}/v2`,
        checkoutUrl: `${origin}/securepay/v1`,
        retry: { baseDelay: "1 millis", maxDelay: "5 millis" },
        ...overrides
      }).pipe(Effect.provideService(HttpClient.HttpClient, http))
    return { server, merchant, client: yield* make(), make }
  })

describe("NetgiroV2Client", () => {
  it.live("phone payment: Pending -> approved by the test customer -> Confirmed, polled every PollIntervalMs", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup({ pollIntervalMillis: 200, approveAfterMillis: 700 })
      const payment = yield* client.createPayment({
        Amount: 5_000,
        Reference: "order-123",
        CustomerIdentifier: customers.approves
      })
      assert.strictEqual(payment.Status, "Pending")
      assert.strictEqual(payment.PollIntervalMs, 200)
      const settled = yield* client.waitForPayment(payment, { timeout: "10 seconds", interval: "5 seconds" })
      assert.strictEqual(settled.Status, "Confirmed")
      const polls = (yield* server.requests).filter((r) => r.path.startsWith("/v2/checkout/status/"))
      assert.isAtLeast(polls.length, 2)
      assert.isAtMost(polls.length, 6, "polled at PollIntervalMs, not in a tight loop")
      const first = (yield* server.requests).find((r) => r.path === "/v2/checkout/payment")
      const gaps = [first?.at ?? 0, ...polls.map((r) => r.at)].map((at, i, all) => (i === 0 ? 200 : at - all[i - 1]))
      assert.isTrue(
        gaps.every((gap) => gap >= 190 && gap < 2_000),
        `gaps ${gaps.join(",")}: PollIntervalMs (200), not the 5 s fallback`
      )
      assert.strictEqual(polls[0].headers["x-netgiro-api-key"], app.appKey)
    })
  )

  it.live("ManualCapture: phone -> Pending -> Authorized -> partial capture -> Confirmed for the captured amount", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup({ pollIntervalMillis: 100 })
      const payment = yield* client.createPayment({
        Amount: 10_000,
        Reference: "hotel-7",
        CustomerIdentifier: customers.silent,
        ManualCapture: true
      })
      assert.strictEqual(payment.Status, "Pending")
      const id = payment.TransactionId as string
      yield* server.approveV2(id)
      const authorized = yield* client.waitForPayment(payment, { timeout: "5 seconds" })
      assert.strictEqual(authorized.Status, "Authorized")
      assert.strictEqual((yield* client.transaction(id)).Status, "reservation")
      const captured = yield* client.capture(id, 4_200)
      assert.strictEqual(captured.Status, "Confirmed")
      const details = yield* client.transaction(id)
      assert.deepInclude(details, { Status: "paid", TotalAmount: 4_200, IsRefundable: true, TransactionId: id })
      const again = yield* Effect.flip(client.capture(id))
      assert.strictEqual(again._tag, "ApiError")
      const full = yield* client.createPayment({
        Amount: 3_000,
        Reference: "hotel-8",
        CustomerIdentifier: customers.barcode,
        ManualCapture: true
      })
      assert.strictEqual(full.Status, "Authorized", "a barcode authorizes at once")
      assert.strictEqual((yield* client.capture(full.TransactionId as string)).Status, "Confirmed")
      assert.strictEqual((yield* client.transaction(full.TransactionId as string)).TotalAmount, 3_000)
      const cancelled = yield* client.cancel(full.TransactionId as string)
      assert.strictEqual(cancelled.Status, "Cancelled")
    })
  )

  it.live("declined, blacklisted and unverified customers", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup({ pollIntervalMillis: 100, approveAfterMillis: 200 })
      const declined = yield* client.createPayment({
        Amount: 500,
        Reference: "r",
        CustomerIdentifier: customers.declines
      })
      assert.strictEqual((yield* client.waitForPayment(declined, { timeout: "5 seconds" })).Status, "Cancelled")
      const blacklisted = yield* Effect.flip(
        client.createPayment({ Amount: 500, Reference: "r", CustomerIdentifier: customers.blacklisted })
      )
      assert.strictEqual(blacklisted._tag === "ApiError" && blacklisted.detail, "Customer is blacklisted")
      const unknown = yield* Effect.flip(
        client.createPayment({ Amount: 500, Reference: "r", CustomerIdentifier: "123" })
      )
      assert.strictEqual(unknown._tag === "ApiError" && unknown.detail, "Customer not verified.")
      const before = (yield* server.requests).length
      const invalid = yield* Effect.flip(client.createPayment({ Amount: 0, Reference: "r", CustomerIdentifier: "123" }))
      assert.strictEqual(invalid._tag, "InvalidRequestError")
      assert.strictEqual((yield* server.requests).length, before, "nothing sent")
      const dots = yield* Effect.flip(client.paymentStatus(".."))
      assert.strictEqual(dots._tag, "InvalidRequestError")
    })
  )

  it.live(
    "a refund retried after a lost response reaches the server twice with one idempotency key and refunds once",
    () =>
      Effect.gen(function* () {
        const { server, client } = yield* setup()
        const payment = yield* client.createPayment({
          Amount: 8_000,
          Reference: "r-1",
          CustomerIdentifier: customers.accessCode
        })
        const id = payment.TransactionId as string
        yield* server.loseNextResponse("/v2/transaction/refund")
        const refunded = yield* client.refund(id, 2_000, { description: "Returned item" })
        const bodies = (yield* server.requests)
          .filter((r) => r.path === "/v2/transaction/refund")
          .map((r) => JSON.parse(r.body))
        assert.lengthOf(bodies, 2)
        assert.strictEqual(bodies[0].IdempotencyKey, bodies[1].IdempotencyKey)
        assert.strictEqual(bodies[0].IdempotencyKey, refunded.idempotencyKey)
        assert.deepStrictEqual(
          (yield* server.refunds).map((r) => [r.api, r.transactionId, r.amount]),
          [["v2", id, 2_000]]
        )
        const above = yield* Effect.flip(client.refund(id, 6_001))
        assert.strictEqual(above._tag === "NetgiroRefundError" && above.reason, "ExceedsRemaining")
        // The published refund answer is `{ Success, Message }`: a refusal in an HTTP 200 is a refusal too.
        yield* server.failNext(1, {
          status: 200,
          body: JSON.stringify({ Success: false, Message: "Refund amount exceeds the remaining amount" })
        })
        const refused = yield* Effect.flip(client.refund(id, 5_999))
        assert.strictEqual(refused._tag === "NetgiroRefundError" && refused.reason, "ExceedsRemaining")
        yield* client.refund(id, 6_000)
        assert.isFalse((yield* client.transaction(id)).IsRefundable)
        // A failure answered where the details body was expected: Netgíró's message, not a DecodeError.
        yield* server.failNext(1, {
          status: 200,
          body: JSON.stringify({ Success: false, Message: "Transaction not found" })
        })
        const missing = yield* Effect.flip(client.transaction(id))
        assert.deepInclude(missing, { _tag: "ApiError", detail: "Transaction not found" })
      })
  )

  it.live("callbacks carry X-Netgiro-Signature: genuine ones verify, tampered ones are refused", () =>
    Effect.gen(function* () {
      const { server, merchant, client } = yield* setup()
      const payment = yield* client.createPayment({
        Amount: 5_000,
        Reference: "order-cb",
        CustomerIdentifier: customers.silent,
        CallbackUrl: "https://merchant.example/confirm",
        CallbackCancelUrl: "https://merchant.example/cancel"
      })
      yield* server.approveV2(payment.TransactionId as string)
      const [delivery] = (yield* server.callbacks).filter((c) => c.kind === "confirm")
      assert.lengthOf(yield* merchant.requests, 1)
      const callback = yield* client.verifyCallback({ headers: delivery.headers, body: delivery.body }, delivery.url)
      assert.deepStrictEqual(
        [callback.kind, callback.transactionId, callback.totalAmount, callback.authenticated],
        ["confirm", payment.TransactionId, 5_000, true]
      )
      const tampered = yield* Effect.flip(
        client.verifyCallback({ headers: delivery.headers, body: delivery.body.replace("5000", "50") }, delivery.url)
      )
      assert.strictEqual(tampered._tag, "NetgiroSignatureError")
      const unsigned = yield* Effect.flip(client.verifyCallback({ headers: {}, body: delivery.body }, delivery.url))
      assert.strictEqual(unsigned._tag === "NetgiroSignatureError" && unsigned.reason, "missing")
      const withoutSecret = yield* NetgiroV2Client.make({
        apiKey: Redacted.make(app.appKey),
        apiUrl: `${origin}/v2`
      }).pipe(Effect.provideService(HttpClient.HttpClient, yield* NetgiroTestServer.makeClient(server)))
      const refused = yield* Effect.flip(
        withoutSecret.verifyCallback({ headers: delivery.headers, body: delivery.body }, delivery.url)
      )
      assert.strictEqual(refused._tag, "ConfigurationError")
    })
  )

  it.effect("a key or client info that cannot be a header value is a ConfigurationError at build, nothing sent", () =>
    Effect.gen(function* () {
      const { server, make } = yield* setup()
      for (const bad of [{ apiKey: Redacted.make("key\r\nX-Injected: 1") }, { clientInfo: "System: POS\u0000" }]) {
        const refused = yield* Effect.flip(make(bad))
        assert.strictEqual(refused._tag, "ConfigurationError")
        assert.notInclude(String(refused), "X-Injected")
      }
      assert.lengthOf(yield* server.requests, 0)
    })
  )

  it.live("a callback the merchant refuses is retried once, then the sale is cancelled", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup({}, 500)
      const payment = yield* client.createPayment({
        Amount: 5_000,
        Reference: "order-cb2",
        CustomerIdentifier: customers.barcode,
        CallbackUrl: "https://merchant.example/confirm"
      })
      assert.strictEqual(payment.Status, "Cancelled")
      assert.deepStrictEqual(
        (yield* server.callbacks).map((c) => c.status),
        [500, 500]
      )
    })
  )

  it.live("settlements and their items stream", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      for (const amount of [1_000, 2_000, 3_000]) {
        yield* client.createPayment({ Amount: amount, Reference: `s-${amount}`, CustomerIdentifier: customers.barcode })
      }
      const number = yield* server.settleV2(app.appKey)
      const settlements = yield* Stream.runCollect(client.settlements({ settlementNumber: number }))
      assert.deepStrictEqual(
        settlements.map((s) => [s.Number, s.NumberOfSales, s.TotalAmount]),
        [[number, 3, 6_000]]
      )
      const items = yield* Stream.runCollect(client.settlementItems(number))
      assert.deepStrictEqual(items.map((i) => i.TotalAmount).sort(), [1_000, 2_000, 3_000])
      assert.lengthOf(yield* Stream.runCollect(client.settlements({ dateFrom: "2999-01-01" })), 0)
    })
  )

  it.live("hosted checkout: CheckoutUrl, the signed return parameters verify, altered ones are refused", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      const checkout = yield* client.createHostedCheckout({
        Amount: 5_000,
        Reference: "order-h1",
        SuccessUrl: "https://merchant.example/success?order=h1",
        CancelUrl: "https://merchant.example/cancel"
      })
      assert.match(checkout.CheckoutUrl ?? "", /\/securepay\/v1\/Home\/Checkout\/[0-9a-f-]{36}$/)
      const redirect = yield* server.completeCheckout(checkout.CheckoutUrl as string, "approve")
      const verified = yield* client.verifyReturn(redirect)
      assert.deepInclude(verified, { ReferenceNumber: "order-h1", TotalAmount: "5000", Status: "2", confirmed: true })
      const details = yield* client.transaction(verified.TransactionId)
      assert.strictEqual(details.Status, "paid")
      const altered = yield* Effect.flip(client.verifyReturn(redirect.replace("TotalAmount=5000", "TotalAmount=50")))
      assert.strictEqual(altered._tag === "NetgiroSignatureError" && altered.reason, "mismatch")
      // PrefixUrlParameters: every name prefixed `ng_`, in Netgíró's own casing (`ng_invoiceNumber`).
      const prefixed = new URL(redirect)
      prefixed.search = [...new URL(redirect).searchParams]
        .map(([key, value]) => `ng_${key[0].toLowerCase()}${key.slice(1)}=${encodeURIComponent(value)}`)
        .join("&")
      assert.include(prefixed.search, "ng_invoiceNumber=")
      assert.deepInclude(yield* client.verifyReturn(prefixed.toString()), { TotalAmount: "5000", confirmed: true })
      const missing = yield* Effect.flip(client.verifyReturn("TransactionId=x&Status=2"))
      assert.strictEqual(missing._tag === "NetgiroSignatureError" && missing.reason, "missing")
      assert.strictEqual(
        yield* server.completeCheckout(checkout.CheckoutUrl as string, "cancel"),
        "https://merchant.example/cancel"
      )
    })
  )

  it.live("a missing or revoked key is an AuthenticationError; the key appears in no rendering (canary)", () => {
    const capture = Canary.make()
    return Effect.gen(function* () {
      const { server, make, client } = yield* setup()
      const wrong = yield* make({ apiKey: Redacted.make("CANARY-v2-wrong-key-0b5e") })
      const denied = yield* capture.observe(wrong.paymentStatus("abc"))
      assert.strictEqual(
        denied._tag === "Failure" && denied.cause.reasons[0]._tag === "Fail" && denied.cause.reasons[0].error._tag,
        "AuthenticationError"
      )
      yield* server.failNext(1, {
        status: 400,
        body: JSON.stringify({ Success: false, Message: `key ${app.appKey} secret ${app.secret}` })
      })
      yield* capture.observe(client.createPayment({ Amount: 1, Reference: "r", CustomerIdentifier: customers.barcode }))
      yield* server.failNext(3, { status: 503, body: `X-Netgiro-Api-Key: ${app.appKey}` })
      yield* capture.observe(client.transaction("abc"))
      yield* server.revokeTokens
      yield* capture.observe(client.refund("abc", 10))
      yield* capture.observe(Stream.runCollect(client.settlements()))
      assert.deepStrictEqual(capture.leaks([app.appKey, app.secret, "CANARY-v2-wrong-key-0b5e"]), [])
    }).pipe(Effect.provide(capture.layer))
  })

  it.effect("layerConfig: NETGIRO_API_KEY (or NETGIRO_APP_KEY), test hosts by default", () =>
    Effect.gen(function* () {
      const env = (vars: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnv({ env: vars }))
      const client = yield* Effect.service(NetgiroV2Client.NetgiroV2Client).pipe(
        Effect.provide(
          NetgiroV2Client.layerConfig().pipe(
            Layer.provide(
              Layer.succeed(
                HttpClient.HttpClient,
                HttpClient.make(() => Effect.die("unused"))
              )
            )
          )
        ),
        Effect.provide(env({ NETGIRO_APP_KEY: app.appKey }))
      )
      assert.strictEqual(client.apiUrl, "https://api.test.netgiro.is/v2")
      assert.strictEqual(client.checkoutUrl, "https://securepay.test.netgiro.is/v1")
    })
  )

  it.live("transformClient runs where each attempt runs", () =>
    Effect.gen(function* () {
      const { server, make } = yield* setup()
      let attempts = 0
      // Per-attempt middleware acts when the attempt executes (transformResponse), not on the request value.
      const transformClient = (client: HttpClient.HttpClient) =>
        HttpClient.transformResponse(client, (response) =>
          Effect.andThen(
            Effect.sync(() => {
              attempts++
            }),
            response
          )
        )
      const client = yield* make({ transformClient })
      const payment = yield* client.createPayment({
        Amount: 3_000,
        Reference: "t-1",
        CustomerIdentifier: customers.barcode
      })
      yield* server.loseNextResponse("/v2/transaction/refund")
      yield* client.refund(payment.TransactionId as string, 1_000)
      assert.strictEqual(attempts, 3, "the payment, and both attempts of the refund")
    })
  )
})
