import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { TestServer } from "@nordkit/core/testing"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import { DinteroCallback, DinteroClient } from "../src/index.ts"
import { DinteroTestServer } from "../src/testing.ts"

/**
 * Dintero's published example for `POST /v1/admin/signature` ("Validating callbacks"): secret `123`, account
 * `P00000000`, `GET https://example.com/callback?B=123&A=992` at t=1582236537 is signed
 * `t=1582236537,v0-hmac-sha256=6bed2ab1b919d460ef7465a20dc6c97260dca73fab6647106ca525f0908df64a`.
 */
const published = {
  secret: "123",
  accountId: "P00000000",
  method: "GET",
  url: "https://example.com/callback?B=123&A=992",
  timestamp: 1_582_236_537,
  header: "t=1582236537,v0-hmac-sha256=6bed2ab1b919d460ef7465a20dc6c97260dca73fab6647106ca525f0908df64a"
}

const verifierFor = (secret = published.secret) =>
  DinteroCallback.makeVerifier({ secret: Redacted.make(secret), accountId: published.accountId })

const reasonOf = <A>(effect: Effect.Effect<A, DinteroCallback.CallbackVerificationError>) =>
  Effect.map(Effect.flip(effect), (error) => error.reason)

describe("DinteroCallback", () => {
  it.effect("Dintero's published signature example verifies", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(published.timestamp * 1000 + 30_000)
      const verified = yield* verifierFor().verify({
        url: published.url,
        method: "GET",
        signature: published.header
      })
      assert.strictEqual(verified.timestamp, published.timestamp)
      assert.deepStrictEqual(verified.query, { B: "123", A: "992" })
    })
  )

  it.effect("sign reproduces the published header (query sorted, hostname and path signed)", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* DinteroCallback.sign(published), published.header)
      assert.strictEqual(
        DinteroCallback.signedPayload(published),
        "1582236537\nP00000000\nGET\nexample.com\n/callback\nA=992&B=123"
      )
    })
  )

  it.effect("tampered query, wrong secret, other account, stale, future, replay and garbage are typed refusals", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(published.timestamp * 1000)
      const verify = (
        input: Partial<{ url: string; method: string; signature: string | undefined; body: string }>,
        verifier = verifierFor()
      ) => reasonOf(verifier.verify({ url: published.url, method: "GET", signature: published.header, ...input }))

      assert.strictEqual(yield* verify({ url: "https://example.com/callback?B=124&A=992" }), "invalid_signature")
      assert.strictEqual(yield* verify({ url: "https://evil.example/callback?B=123&A=992" }), "invalid_signature")
      assert.strictEqual(yield* verify({ method: "POST" }), "invalid_signature")
      assert.strictEqual(yield* verify({}, verifierFor("124")), "invalid_signature")
      assert.strictEqual(
        yield* reasonOf(
          DinteroCallback.makeVerifier({ secret: Redacted.make("123"), accountId: "P00000001" }).verify({
            url: published.url,
            method: "GET",
            signature: published.header
          })
        ),
        "invalid_signature"
      )
      assert.strictEqual(yield* verify({ signature: undefined }), "missing_signature")
      assert.strictEqual(yield* verify({ signature: "t=1582236537,v1=abc" }), "malformed_signature")

      const verifier = verifierFor()
      yield* verifier.verify({ url: published.url, method: "GET", signature: published.header })
      assert.strictEqual(yield* verify({}, verifier), "replayed")

      yield* TestClock.setTime((published.timestamp + 301) * 1000)
      assert.strictEqual(yield* verify({}), "stale")
      yield* TestClock.setTime((published.timestamp - 301) * 1000)
      assert.strictEqual(yield* verify({}), "future")
    })
  )

  it.effect("a POST body (unsigned) naming another transaction than the signed query is refused", () =>
    Effect.gen(function* () {
      const now = 1_700_000_000
      yield* TestClock.setTime(now * 1000)
      const url = "https://shop.example/callback?method=POST&transaction_id=T1&merchant_reference=order-1"
      const signature = yield* DinteroCallback.sign({ ...published, method: "POST", url, timestamp: now })
      const verifier = verifierFor()
      const body = JSON.stringify({ id: "T2", merchant_reference: "order-1", status: "CAPTURED" })
      assert.strictEqual(yield* reasonOf(verifier.verify({ url, method: "POST", signature, body })), "body_mismatch")
      // the forged copy did not use up the signature: Dintero's own delivery still verifies
      const honest = yield* verifier.verify({ url, method: "POST", signature, body: body.replace("T2", "T1") })
      assert.strictEqual(honest.transactionId, "T1")
    })
  )

  it.effect("a callback whose handling failed is released: Dintero's retry with the same signature is handled", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(published.timestamp * 1000 + 30_000)
      const verifier = verifierFor()
      const input = { url: published.url, method: "GET", signature: published.header }
      const first = yield* verifier.verify(input)
      assert.strictEqual(yield* reasonOf(verifier.verify(input)), "replayed")
      yield* verifier.release(first)
      const retried = yield* verifier.verify(input)
      assert.strictEqual(retried.timestamp, published.timestamp)
      // statuses for Dintero: a replay is acknowledged, a forgery refused for good, a store outage retried
      const refusal = (reason: DinteroCallback.CallbackVerificationError["reason"]) =>
        DinteroCallback.statusFor(new DinteroCallback.CallbackVerificationError({ provider: "dintero", reason }))
      assert.deepStrictEqual(
        [refusal("replayed"), refusal("invalid_signature"), refusal("replay_store_unavailable")],
        [200, 400, 503]
      )
    })
  )

  it.effect(
    "end to end over loopback: secret created, callback delivered, route verifies, re-fetches, acknowledges",
    () =>
      Effect.gen(function* () {
        // Dintero's test server and the shop's callback route, each on its own loopback port.
        const dintero = yield* DinteroTestServer.make()
        const dinteroUrl = yield* DinteroTestServer.listen(dintero).pipe(
          Effect.provide(yield* Layer.build(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })))
        )
        const account = DinteroTestServer.defaultCredentials
        const client = yield* DinteroClient.make({
          accountId: account.accountId,
          clientId: account.clientId,
          clientSecret: Redacted.make(account.clientSecret),
          apiUrl: dinteroUrl,
          checkoutUrl: dinteroUrl
        })
        const { secret } = yield* client.createSignatureSecret
        assert.strictEqual(Redacted.value(secret), yield* dintero.signatureSecret())
        // the secret is read back nested in `signature`, as Dintero answers; GET reads it without rotating
        const current = yield* client.getSignatureSecret
        assert.strictEqual(Redacted.value(current.secret), Redacted.value(secret))
        assert.isString(current.id)

        const verifier = DinteroCallback.makeVerifier({ secret, accountId: client.accountId })
        const handled: Array<string> = []
        let failNext = false
        const route = verifier
          .handleRequest((callback) =>
            Effect.gen(function* () {
              const transaction = yield* client.fetchCallbackTransaction(callback)
              if (failNext) {
                failNext = false
                return yield* Effect.fail("database down")
              }
              handled.push(`${transaction.id} ${transaction.status}`)
              return HttpServerResponse.empty({ status: 200 })
            })
          )
          .pipe(
            Effect.catchTag("CallbackVerificationError", (e) =>
              Effect.succeed(HttpServerResponse.text(e.reason, { status: DinteroCallback.statusFor(e) }))
            ),
            Effect.catch(() => Effect.succeed(HttpServerResponse.empty({ status: 503 })))
          )
        const shopUrl = yield* TestServer.listen(route).pipe(
          Effect.provide(yield* Layer.build(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })))
        )

        const session = yield* client.createSession({
          url: { return_url: `${shopUrl}/return`, callback_url: `${shopUrl}/dintero/callback` },
          profile_id: "default",
          order: { amount: 5_000, currency: "NOK", merchant_reference: "order-cb-1" }
        })
        const transactionId = yield* dintero.authorizeSession(session.id)
        assert.strictEqual(yield* dintero.deliverCallback(session.id), 200)
        assert.deepStrictEqual(handled, [`${transactionId} AUTHORIZED`])
        // The route re-fetched the transaction from Dintero.
        const reads = (yield* dintero.requests).filter((r) => r.path === `/v1/transactions/${transactionId}`)
        assert.lengthOf(reads, 1)

        // The same callback again is a replay; a forged one (no valid signature) is refused before any re-fetch.
        const callback = yield* dintero.callbackFor(session.id)
        const http = yield* HttpClient.HttpClient
        const send = (c: typeof callback) =>
          Effect.map(
            http.execute(HttpClientRequest.get(c.url).pipe(HttpClientRequest.setHeaders(c.headers))),
            (r) => r.status
          )
        // A delivery whose handling fails is answered 503 and released: Dintero's retry of it is handled.
        const retried = yield* dintero.callbackFor(session.id, { event: "CAPTURE", event_id: "7" })
        failNext = true
        assert.strictEqual(yield* send(retried), 503)
        assert.strictEqual(yield* send(retried), 200)
        assert.lengthOf(handled, 2)
        // ... and once handled, the same delivery again is acknowledged (200) without being handled twice.
        assert.strictEqual(yield* send(retried), 200)
        assert.lengthOf(handled, 2)
        const replayed = yield* verifier
          .verify({ url: callback.url, method: callback.method, signature: callback.headers["dintero-signature"] })
          .pipe(Effect.flip)
        assert.strictEqual(replayed.reason, "replayed")
        const forged = callback.url.replace(transactionId, "T00000000.forged")
        const refused = yield* verifier
          .verify({ url: forged, method: "GET", signature: callback.headers["dintero-signature"] })
          .pipe(Effect.flip)
        assert.strictEqual(refused.reason, "invalid_signature")

        // A POST callback (callback_url with method=POST): the transaction in the body, the URL signed.
        const posted = yield* client.createSession({
          url: { return_url: `${shopUrl}/return`, callback_url: `${shopUrl}/dintero/callback?method=POST` },
          profile_id: "default",
          order: { amount: 7_000, currency: "NOK", merchant_reference: "order-cb-2" }
        })
        const postedId = yield* dintero.authorizeSession(posted.id)
        assert.strictEqual(yield* dintero.deliverCallback(posted.id), 200)
        assert.deepStrictEqual(handled.slice(-1), [`${postedId} AUTHORIZED`])

        // A body over the cap is refused without being read to the end.
        const huge = yield* http.execute(
          HttpClientRequest.post(`${shopUrl}/dintero/callback?method=POST`).pipe(
            HttpClientRequest.bodyText("x".repeat(2 * 1024 * 1024), "application/json")
          )
        )
        assert.strictEqual(huge.status, 400)
        assert.strictEqual(yield* huge.text, "body_too_large")
      }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.effect("fetchCallbackTransaction refuses a transaction of another order", () =>
    Effect.gen(function* () {
      const server = yield* DinteroTestServer.make()
      const account = DinteroTestServer.defaultCredentials
      const client = yield* DinteroClient.make({
        accountId: account.accountId,
        clientId: account.clientId,
        clientSecret: Redacted.make(account.clientSecret),
        apiUrl: "http://127.0.0.1",
        checkoutUrl: "http://127.0.0.1"
      }).pipe(Effect.provide(DinteroTestServer.layerClient(server)))
      const id = yield* server.seedTransaction({ amount: 100, merchantReference: "order-A" })
      const callback = DinteroCallback.parse(`https://shop.example/cb?transaction_id=${id}&merchant_reference=order-B`)
      const error = yield* Effect.flip(client.fetchCallbackTransaction(callback))
      assert.strictEqual(error._tag, "CallbackVerificationError")
      assert.strictEqual((error as DinteroCallback.CallbackVerificationError).reason, "transaction_mismatch")
      const none = yield* Effect.flip(client.fetchCallbackTransaction(DinteroCallback.parse("https://shop.example/cb")))
      assert.strictEqual((none as DinteroCallback.CallbackVerificationError).reason, "invalid_callback")
    })
  )
})
