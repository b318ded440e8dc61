import { createServer } from "node:http"
import { NodeCrypto, NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Canary, TestServer } from "@nordkit/core/testing"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as Redacted from "effect/Redacted"
import { NetgiroClient, NetgiroSchema } from "../src/index.ts"
import { NetgiroTestServer } from "../src/testing.ts"

const app = NetgiroTestServer.publicTestApp
const origin = "http://127.0.0.1"
const { customers } = NetgiroTestServer

/** A test server in memory (customers approve at the first CheckCart), its merchant endpoint, and clients. */
const setup = (serverOptions: NetgiroTestServer.Options = {}) =>
  Effect.gen(function* () {
    const merchant = yield* TestServer.make(() => Effect.succeed(TestServer.json({ ok: true })))
    const server = yield* NetgiroTestServer.make({ approveAfterMillis: 0, ...serverOptions }).pipe(
      Effect.provideServiceEffect(HttpClient.HttpClient, TestServer.makeMemoryClient(merchant.app))
    )
    const http = yield* NetgiroTestServer.makeClient(server)
    const make = (overrides: Partial<NetgiroClient.Options> = {}) =>
      NetgiroClient.make({
        appKey: app.appKey,
        secret: Redacted.make(app.secret),
        apiUrl: `${origin}/v1`,
        partnerUrl: `${origin}/partner`,
        retry: { baseDelay: "1 millis", maxDelay: "5 millis" },
        ...overrides
      }).pipe(Effect.provideService(HttpClient.HttpClient, http))
    const client = yield* make()
    /** A paid cart of `amount` krónur. */
    const paid = (amount: number) =>
      Effect.gen(function* () {
        const cart = yield* client.insertCart({
          Amount: amount,
          Reference: `order-${amount}`,
          CustomerId: customers.approves,
          ConfirmationType: NetgiroSchema.ConfirmationTypes.Automatic
        })
        const check = yield* client.checkCart(cart.TransactionId)
        assert.isTrue(check.PaymentSuccessful)
        return cart.TransactionId
      })
    return { server, client, make, paid }
  }).pipe(Effect.provide(NodeCrypto.layerDigest))

const refundBodies = (requests: ReadonlyArray<TestServer.LoggedRequest>) =>
  requests.filter((r) => r.path === "/partner/refund").map((r) => JSON.parse(r.body) as Record<string, unknown>)

describe("NetgiroClient: response binding", () => {
  it.live(
    "a signed CheckCart answer replayed for another cart is refused: nonce reused, or (fresh client) transaction mismatch",
    () =>
      Effect.gen(function* () {
        const { server, client, make, paid } = yield* setup()
        const a = yield* paid(4_990)
        const b = yield* client.insertCart({
          Amount: 9_990,
          Reference: "order-b",
          CustomerId: customers.silent,
          ConfirmationType: NetgiroSchema.ConfirmationTypes.Automatic
        })
        // The answer "cart A is paid", replayed byte for byte as the answer for cart B.
        yield* client.checkCart(a)
        yield* server.replayNext
        const replayed = yield* Effect.flip(client.checkCart(b.TransactionId))
        assert.strictEqual(replayed._tag, "NetgiroReplayError")
        assert.strictEqual(replayed._tag === "NetgiroReplayError" && replayed.reason, "nonceReused")

        // A client that never saw that nonce (restarted): the answer names cart A, not B.
        const fresh = yield* make()
        yield* client.checkCart(a)
        yield* server.replayNext
        const mismatch = yield* Effect.flip(fresh.checkCart(b.TransactionId))
        assert.strictEqual(mismatch._tag === "NetgiroReplayError" && mismatch.reason, "transactionMismatch")
        assert.strictEqual(mismatch._tag === "NetgiroReplayError" && mismatch.received, a)

        yield* client.checkCart(a)
        yield* server.replayNext
        const waited = yield* Effect.flip(
          make().pipe(Effect.flatMap((c) => c.waitForPayment(b.TransactionId, { timeout: "5 seconds" })))
        )
        assert.strictEqual(waited._tag, "NetgiroReplayError", "waitForPayment(B) never reports A's payment")
        const check = yield* client.checkCart(b.TransactionId)
        assert.isFalse(check.PaymentSuccessful)
      })
  )
})

describe("NetgiroClient: response binding over real loopback HTTP", () => {
  for (const [name, httpLayer] of [
    ["layerUndici", NodeHttpClient.layerUndici],
    ["FetchHttpClient", FetchHttpClient.layer]
  ] as const) {
    it.live(
      `${name}: a replayed signed answer is refused (nonce reused; transaction mismatch for a fresh client)`,
      () =>
        Effect.gen(function* () {
          const server = yield* NetgiroTestServer.make({ approveAfterMillis: 0 })
          const apiUrl = yield* NetgiroTestServer.listen(server)
          const make = NetgiroClient.make({ appKey: app.appKey, secret: Redacted.make(app.secret), apiUrl })
          const client = yield* make
          const a = yield* client.insertCart({
            Amount: 1_000,
            Reference: "a",
            CustomerId: customers.approves,
            ConfirmationType: NetgiroSchema.ConfirmationTypes.Automatic
          })
          const b = yield* client.insertCart({
            Amount: 1_000,
            Reference: "b",
            CustomerId: customers.silent,
            ConfirmationType: NetgiroSchema.ConfirmationTypes.Automatic
          })
          assert.isTrue((yield* client.checkCart(a.TransactionId)).PaymentSuccessful)
          yield* server.replayNext
          const replayed = yield* Effect.flip(client.checkCart(b.TransactionId))
          assert.strictEqual(replayed._tag === "NetgiroReplayError" && replayed.reason, "nonceReused")
          yield* client.checkCart(a.TransactionId)
          yield* server.replayNext
          const fresh = yield* make
          const mismatch = yield* Effect.flip(fresh.checkCart(b.TransactionId))
          assert.strictEqual(mismatch._tag === "NetgiroReplayError" && mismatch.reason, "transactionMismatch")
        }).pipe(
          Effect.scoped,
          Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
          Effect.provide(httpLayer),
          Effect.provide(NodeCrypto.layerDigest)
        )
    )
  }
})

describe("NetgiroClient: SMS code (10428) and the sales list", () => {
  it.live(
    "waitForPayment returns SmsCodeNeeded; confirmCart sends the code as Identifier and the payment is made",
    () =>
      Effect.gen(function* () {
        const { server, client } = yield* setup({ smsConfirmation: true, checkIntervalMillis: 250 })
        const cart = yield* client.insertCart({
          Amount: 4_990,
          Reference: "pos-1",
          CustomerId: customers.approves,
          ConfirmationType: NetgiroSchema.ConfirmationTypes.Manual
        })
        const outcome = yield* client.waitForPayment(cart, { timeout: "5 seconds" })
        assert.strictEqual(outcome._tag, "SmsCodeNeeded")
        const code = (yield* server.smsCodeOf(cart.TransactionId)) as string
        const wrong = yield* Effect.flip(client.confirmCart({ TransactionId: cart.TransactionId, smsCode: "0000" }))
        assert.strictEqual(wrong._tag, "NetgiroResultError")
        const confirmed = yield* client.confirmCart({ TransactionId: cart.TransactionId, smsCode: code })
        assert.isTrue(confirmed.PaymentSuccessful)
        const sent = (yield* server.requests)
          .filter((r) => r.path === "/v1/Checkout/ConfirmCart")
          .map((r) => JSON.parse(r.body))
        assert.deepStrictEqual(sent.at(-1), { TransactionId: cart.TransactionId, Identifier: code })
        const sales = yield* client.salesList
        assert.deepStrictEqual(
          sales.Sales?.map((sale) => [sale.TransactionId, sale.TotalAmount, sale.Status]),
          [[cart.TransactionId, 4_990, "paid"]]
        )
      })
  )
})

describe("NetgiroClient: Partner API refunds", () => {
  it.live(
    "a refund retried after a lost response reaches the server twice with the same idempotency key and refunds once",
    () =>
      Effect.gen(function* () {
        const { server, client, paid } = yield* setup()
        const id = yield* paid(10_000)
        yield* server.loseNextResponse("/partner/refund")
        const refunded = yield* client.refund(id, 2_500, { reason: "Returned item" })
        const bodies = refundBodies(yield* server.requests)
        assert.lengthOf(bodies, 2, "the lost answer was retried")
        assert.strictEqual(bodies[0].idempotencyKey, bodies[1].idempotencyKey)
        assert.strictEqual(bodies[0].idempotencyKey, refunded.idempotencyKey)
        assert.deepStrictEqual(
          (yield* server.refunds).map((r) => [r.transactionId, r.amount]),
          [[id, 2_500]]
        )
        assert.deepStrictEqual(bodies[0], {
          transactionId: id,
          refundAmount: 2_500,
          idempotencyKey: refunded.idempotencyKey,
          reason: "Returned item"
        })
        // The caller's own retry with the same key (e.g. after a restart) refunds nothing more.
        yield* client.refund(id, 2_500, { idempotencyKey: refunded.idempotencyKey })
        assert.lengthOf(yield* server.refunds, 1)
        // A new refund call is a new refund, with a new key.
        const second = yield* client.refund(id, 2_500)
        assert.notStrictEqual(second.idempotencyKey, refunded.idempotencyKey)
        assert.lengthOf(yield* server.refunds, 2)
      })
  )

  it.live("the client's retry options reach the Partner API; a refund stays safe to resend whatever they say", () =>
    Effect.gen(function* () {
      const { server, make, paid } = yield* setup()
      const id = yield* paid(3_000)
      const once = yield* make({ retry: { attempts: 1 } })
      yield* server.failNext(1, { status: 503, body: "busy" })
      const unretried = yield* Effect.flip(once.refund(id, 100))
      assert.strictEqual(unretried._tag, "ApiError")
      const own = yield* make({ retry: { baseDelay: "1 millis", maxDelay: "5 millis", isIdempotent: () => false } })
      yield* server.failNext(1, { status: 503, body: "busy" })
      const refunded = yield* own.refund(id, 100)
      const sent = (yield* server.requests).filter((r) => r.path === "/partner/refund")
      assert.strictEqual(sent.filter((r) => JSON.parse(r.body).idempotencyKey === refunded.idempotencyKey).length, 2)
    })
  )

  it.live("a refund above the remaining amount is a typed NetgiroRefundError; the status reads the sale", () =>
    Effect.gen(function* () {
      const { server, client, paid } = yield* setup()
      const id = yield* paid(10_000)
      yield* client.refund(id, 6_000)
      const above = yield* Effect.flip(client.refund(id, 4_001))
      assert.strictEqual(above._tag, "NetgiroRefundError")
      assert.strictEqual(above._tag === "NetgiroRefundError" && above.reason, "ExceedsRemaining")
      assert.strictEqual(above._tag === "NetgiroRefundError" && above.status, 400)
      yield* client.refund(id, 4_000)
      const status = yield* client.transactionStatus(id)
      assert.strictEqual(status.TransactionId, id)
      assert.strictEqual(status.TotalAmount, 10_000)
      assert.isFalse(status.IsRefundable, "fully refunded")
      const tokens = (yield* server.requests).filter((r) => r.path.startsWith("/partner/")).map((r) => r.headers.token)
      assert.isTrue(
        tokens.every((token) => token === app.secret),
        "the token header carries the secret"
      )
      const refused = yield* Effect.flip(client.refund(id, 0))
      assert.strictEqual(refused._tag, "InvalidRequestError")
      const dots = yield* Effect.flip(client.transactionStatus(".."))
      assert.strictEqual(dots._tag, "InvalidRequestError")
      yield* server.failNext(1, { status: 200, body: JSON.stringify({ Success: false, Message: "Sale not found" }) })
      const unknown = yield* Effect.flip(client.transactionStatus("c3a1d0f0-0000-4000-8000-00000000dead"))
      assert.deepInclude(unknown, { _tag: "ApiError", detail: "Sale not found" })
      const before = (yield* server.requests).length
      for (const Amount of [0, -5, 10.5]) {
        const cart = { Amount, Reference: "r", CustomerId: customers.silent, ConfirmationType: 0 } as const
        assert.strictEqual((yield* Effect.flip(client.insertCart(cart)))._tag, "InvalidRequestError", String(Amount))
      }
      assert.strictEqual((yield* server.requests).length, before, "nothing sent")
    })
  )

  it.live("the partner token and the signing secret appear in no rendering of any error (canary)", () => {
    const capture = Canary.make()
    return Effect.gen(function* () {
      const token = "CANARY-partner-token-77f1c2"
      const { server, make, paid } = yield* setup({ apps: [{ appKey: app.appKey, secret: app.secret }] })
      const id = yield* paid(10_000)
      const client = yield* make({ partnerToken: Redacted.make(token) })
      // Wrong token -> the server's 401; an echoing server -> 400 and 500 quoting the token.
      yield* capture.observe(client.refund(id, 100))
      yield* server.failNext(1, {
        status: 400,
        body: JSON.stringify({ Message: `bad token ${token}` }),
        contentType: "application/json"
      })
      yield* capture.observe(client.refund(id, 100))
      yield* server.failNext(3, { status: 500, body: `token: ${token}; secret: ${app.secret}` })
      yield* capture.observe(client.transactionStatus(id))
      yield* server.failNext(1, {
        status: 400,
        body: `{"Success":false,"Message":"echo ${app.secret}","ResultCode":400}`
      })
      const v1 = yield* make({ verifyResponses: "off" })
      yield* capture.observe(v1.checkCart(id))
      assert.isAbove(capture.renderings.length, 8)
      assert.deepStrictEqual(capture.leaks([token, app.secret]), [])
    }).pipe(Effect.provide(capture.layer))
  })
})
