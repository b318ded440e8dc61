import { createHash } from "node:crypto"
import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { TestServer } from "@nordkit/core/testing"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Redacted from "effect/Redacted"
import { NetgiroCallback, NetgiroClient, NetgiroSchema } from "../src/index.ts"
import { NetgiroTestServer } from "../src/testing.ts"

const app = NetgiroTestServer.publicTestApp
const secret = Redacted.make(app.secret)
const callbackUrl = "https://shop.example/netgiro/Callback?order=17"

/** A genuine callback: the test server approves a server-callback cart and POSTs to the merchant. */
const genuineCallback = (callbackSignature?: NetgiroTestServer.CallbackSignature) =>
  Effect.gen(function* () {
    const sink = yield* TestServer.make(() => Effect.succeed(TestServer.json({ ok: true })))
    const server = yield* NetgiroTestServer.make({ callbackSignature }).pipe(
      Effect.provideServiceEffect(HttpClient.HttpClient, TestServer.makeMemoryClient(sink.app))
    )
    const client = yield* NetgiroClient.make({
      appKey: app.appKey,
      secret,
      apiUrl: "http://127.0.0.1/v1"
    }).pipe(Effect.provideServiceEffect(HttpClient.HttpClient, NetgiroTestServer.makeClient(server)))
    const cart = yield* client.insertCart({
      Amount: 2_500,
      Reference: "order-17",
      CustomerId: NetgiroTestServer.customers.silent,
      ConfirmationType: NetgiroSchema.ConfirmationTypes.ServerCallback,
      CallbackUrl: callbackUrl,
      CallbackCancelUrl: `${callbackUrl}&cancel=1`
    })
    yield* server.approve(cart.TransactionId)
    const [delivery] = yield* server.callbacks
    return { delivery, cart, client, server }
  })

/** The body the official .NET demo's callback controller binds (`PaymentResponse` with `PaymentInfoData`). */
const officialDemoBody = (transactionId: string) =>
  JSON.stringify({
    PaymentSuccessful: true,
    PaymentInfo: {
      TransactionId: transactionId,
      InvoiceNumber: 1234,
      ReferenceNumber: "order-17",
      StatusId: 2,
      Created: "2026-05-28T10:30:00",
      TotalAmount: 2500,
      DiscountAmount: 0,
      ShippingAmount: 0,
      HandlingAmount: 0,
      AccountNumber: null,
      NumberOfInstallments: 1,
      ClientIdentityConfirmed: true,
      LocationId: null,
      RegisterId: null
    },
    Success: true,
    Message: "Success",
    ResultCode: 10200
  })

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex")

describe("NetgiroCallback", () => {
  it.effect("the V1 test server sends the official demo's nested shape, not a flat one", () =>
    Effect.gen(function* () {
      const { delivery, cart } = yield* genuineCallback()
      const body = JSON.parse(delivery.body)
      assert.deepStrictEqual(Object.keys(body).sort(), [
        "Message",
        "PaymentInfo",
        "PaymentSuccessful",
        "ResultCode",
        "Success"
      ])
      assert.isUndefined(body.TransactionId, "no top-level TransactionId")
      assert.strictEqual(body.PaymentInfo.TransactionId, cart.TransactionId)
      assert.strictEqual(body.PaymentInfo.StatusId, 2)
    })
  )

  it.effect("a callback in the official demo's shape, signed by the demo's rule, verifies and decodes", () =>
    Effect.gen(function* () {
      const transactionId = "0f8fad5b-d9cb-469f-a165-70867728950e"
      const nonce = "QwErTyUiOpAsDfGh" // the demo's nonces are 16 random letters
      const headers = {
        netgiro_appkey: app.appKey,
        netgiro_nonce: nonce,
        netgiro_signature: sha256(app.appKey + transactionId + nonce)
      }
      const callback = yield* NetgiroCallback.verify(
        { secret, callbackUrl, mode: "demoSignature", appKey: app.appKey },
        { headers, body: officialDemoBody(transactionId) }
      )
      assert.strictEqual(callback.transactionId, transactionId)
      assert.strictEqual(callback.kind, "confirm")
      assert.strictEqual(callback.totalAmount, 2500)
      assert.strictEqual(callback.payload?.PaymentInfo.NumberOfInstallments, 1)
      assert.isFalse(callback.authenticated, "the demo rule contains no secret: it proves nothing")
      const forged = yield* Effect.flip(
        NetgiroCallback.verify(
          { secret, callbackUrl, mode: "demoSignature" },
          {
            headers: { ...headers, netgiro_signature: sha256(`x${transactionId}${nonce}`) },
            body: officialDemoBody(transactionId)
          }
        )
      )
      assert.strictEqual(forged._tag, "NetgiroSignatureError")
    })
  )

  it.effect("the test server's real callback verifies under its rule (demo, request, transaction)", () =>
    Effect.gen(function* () {
      const demo = yield* genuineCallback("demo")
      const a = yield* NetgiroCallback.verify(
        { secret, callbackUrl, mode: "demoSignature", appKey: app.appKey },
        { headers: demo.delivery.headers, body: demo.delivery.body }
      )
      assert.strictEqual(a.transactionId, demo.cart.TransactionId)
      const request = yield* genuineCallback("request")
      const b = yield* NetgiroCallback.verify(
        { secret, callbackUrl, mode: "requestSignature" },
        { headers: request.delivery.headers, body: request.delivery.body }
      )
      assert.isTrue(b.authenticated)
      assert.isString(b.requestId)
      const transaction = yield* genuineCallback("transaction")
      const c = yield* NetgiroCallback.verify(
        { secret, callbackUrl, mode: "transactionSignature" },
        { headers: transaction.delivery.headers, body: transaction.delivery.body }
      )
      assert.isTrue(c.authenticated)
    })
  )

  it.effect("header names match in any case, and a Uint8Array body works like a string", () =>
    Effect.gen(function* () {
      const { delivery } = yield* genuineCallback("request")
      const upper = Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k.toUpperCase(), v]))
      const verified = yield* NetgiroCallback.verify(
        { secret, callbackUrl, mode: "requestSignature" },
        { headers: upper, body: new TextEncoder().encode(delivery.body) }
      )
      assert.isString(verified.transactionId)
    })
  )

  it.effect("requestSignature: a tampered callback is rejected before its body is decoded", () =>
    Effect.gen(function* () {
      const { delivery } = yield* genuineCallback("request")
      const attempt = (headers: Record<string, string>, body: string, url = callbackUrl) =>
        Effect.flip(NetgiroCallback.verify({ secret, callbackUrl: url, mode: "requestSignature" }, { headers, body }))
      const paidMore = delivery.body.replace(/"TotalAmount":\d+/, `"TotalAmount":1`)
      assert.notStrictEqual(paidMore, delivery.body)
      const body = yield* attempt(delivery.headers, paidMore)
      assert.strictEqual(body._tag === "NetgiroSignatureError" && body.reason, "mismatch")
      const nonce = yield* attempt({ ...delivery.headers, netgiro_nonce: "1" }, delivery.body)
      assert.strictEqual(nonce._tag === "NetgiroSignatureError" && nonce.reason, "mismatch")
      const otherUrl = yield* attempt(delivery.headers, delivery.body, "https://shop.example/netgiro/callback?order=17")
      assert.strictEqual(otherUrl._tag === "NetgiroSignatureError" && otherUrl.reason, "mismatch")
      const { netgiro_signature: _, ...unsigned } = delivery.headers
      const missing = yield* attempt(unsigned, delivery.body)
      assert.strictEqual(missing._tag === "NetgiroSignatureError" && missing.reason, "missing")
      const wrongSecret = yield* Effect.flip(
        NetgiroCallback.verify(
          { secret: Redacted.make("another-secret"), callbackUrl, mode: "requestSignature" },
          { headers: delivery.headers, body: delivery.body }
        )
      )
      assert.strictEqual(wrongSecret._tag, "NetgiroSignatureError")
    })
  )

  it.effect("transactionSignature: a changed amount or transaction is refused", () =>
    Effect.gen(function* () {
      const { delivery } = yield* genuineCallback("transaction")
      const verify = (body: string) =>
        Effect.flip(
          NetgiroCallback.verify(
            { secret, callbackUrl, mode: "transactionSignature" },
            { headers: delivery.headers, body }
          )
        )
      const amount = yield* verify(delivery.body.replace(/"TotalAmount":\d+/, `"TotalAmount":1`))
      assert.strictEqual(amount._tag, "NetgiroSignatureError")
      const other = yield* verify(delivery.body.replace(/"TransactionId":"[^"]+"/, `"TransactionId":"another"`))
      assert.strictEqual(other._tag, "NetgiroSignatureError")
    })
  )

  it.effect("transactionSignature: the amount texts a .NET signer may hash verify; others do not", () =>
    Effect.gen(function* () {
      const body = JSON.stringify({
        Success: true,
        Message: "Success",
        TransactionId: "abc-123",
        TotalAmount: 0
      }).replace(`"TotalAmount":0`, `"TotalAmount":5000.00`)
      const verify = (signed: string) =>
        Effect.exit(
          NetgiroCallback.verify(
            { secret, callbackUrl, mode: "transactionSignature" },
            { headers: { "X-Netgiro-Signature": sha256(`${app.secret}abc-123${signed}`) }, body }
          )
        )
      for (const signed of ["5000.00", "5000", "5000,00"]) {
        assert.strictEqual((yield* verify(signed))._tag, "Success", signed)
      }
      for (const signed of ["500000", "5000.0", "5.000"]) {
        assert.strictEqual((yield* verify(signed))._tag, "Failure", signed)
      }
    })
  )

  it.effect("verifyRequest reads at most maxBodyBytes: an oversized body is a DecodeError, a real one passes", () =>
    Effect.gen(function* () {
      const { delivery } = yield* genuineCallback("request")
      const request = (body: string, headers: Record<string, string> = {}) =>
        HttpServerRequest.fromWeb(new Request(callbackUrl, { method: "POST", body, headers }))
      const options = { secret, callbackUrl, mode: "requestSignature" as const, maxBodyBytes: 4_096 }
      const real = yield* NetgiroCallback.verifyRequest(options).pipe(
        Effect.provideService(HttpServerRequest.HttpServerRequest, request(delivery.body, delivery.headers))
      )
      assert.strictEqual(real.kind, "confirm")
      const huge = yield* Effect.flip(
        NetgiroCallback.verifyRequest(options).pipe(
          Effect.provideService(HttpServerRequest.HttpServerRequest, request("x".repeat(100_000), delivery.headers))
        )
      )
      assert.strictEqual(huge._tag, "DecodeError")
      assert.include(huge.message, "larger than 4096 bytes")
    })
  )

  it.effect("a replayed callback is refused with NetgiroReplayError by a verifier", () =>
    Effect.gen(function* () {
      const { delivery } = yield* genuineCallback("request")
      const verifier = yield* NetgiroCallback.make({ secret, callbackUrl, mode: "requestSignature" })
      const incoming = { headers: delivery.headers, body: delivery.body }
      yield* verifier.verify(incoming)
      const again = yield* Effect.flip(verifier.verify(incoming))
      assert.strictEqual(again._tag, "NetgiroReplayError")
    })
  )

  it.effect(
    "recheck (the default): a forged callback for a pending cart moves no money; a real one settles by CheckCart",
    () =>
      Effect.gen(function* () {
        const { delivery, cart, client, server } = yield* genuineCallback("demo")
        const settle = (c: NetgiroCallback.Callback) =>
          NetgiroCallback.settle(c).pipe(Effect.provideService(NetgiroClient.NetgiroClient, client))
        const real = yield* NetgiroCallback.verify(
          { secret, callbackUrl },
          { headers: delivery.headers, body: delivery.body }
        )
        assert.strictEqual(real.mode, "recheck")
        const settled = yield* settle(real)
        assert.strictEqual(settled._tag, "Confirmed")
        assert.strictEqual(settled.source, "checkCart")

        const pending = yield* client.insertCart({
          Amount: 9_000,
          Reference: "order-20",
          CustomerId: NetgiroTestServer.customers.silent,
          ConfirmationType: NetgiroSchema.ConfirmationTypes.ServerCallback,
          CallbackUrl: callbackUrl
        })
        const before = (yield* server.requests).length
        const forged = yield* NetgiroCallback.verify(
          { secret, callbackUrl },
          { headers: { netgiro_nonce: "1", netgiro_signature: "00" }, body: officialDemoBody(pending.TransactionId) }
        )
        const verdict = yield* settle(forged)
        assert.strictEqual(verdict._tag, "Unconfirmed")
        const reread = (yield* server.requests).slice(before)
        assert.deepStrictEqual(
          reread.map((r) => r.path),
          ["/v1/Checkout/CheckCart"]
        )
        assert.notStrictEqual(cart.TransactionId, pending.TransactionId)
      })
  )

  it.effect("a declined cart calls CallbackCancelUrl with PaymentInfo; recheck settles it as Canceled", () =>
    Effect.gen(function* () {
      const { client, server } = yield* genuineCallback("demo")
      const cart = yield* client.insertCart({
        Amount: 3_000,
        Reference: "order-21",
        CustomerId: NetgiroTestServer.customers.silent,
        ConfirmationType: NetgiroSchema.ConfirmationTypes.ServerCallback,
        CallbackUrl: callbackUrl,
        CallbackCancelUrl: `${callbackUrl}&cancel=1`
      })
      yield* server.decline(cart.TransactionId)
      const cancel = (yield* server.callbacks).find(
        (c) => c.kind === "cancel" && c.transactionId === cart.TransactionId
      )
      assert.isDefined(cancel)
      const callback = yield* NetgiroCallback.verify(
        { secret, callbackUrl: `${callbackUrl}&cancel=1` },
        {
          headers: cancel?.headers ?? {},
          body: cancel?.body ?? ""
        }
      )
      assert.strictEqual(callback.kind, "cancel")
      assert.strictEqual(callback.payload?.PaymentInfo.StatusId, 5)
    })
  )

  it.effect("transactionSignature does not sign confirm vs cancel: a cancel turned into a confirm is re-read", () =>
    Effect.gen(function* () {
      const { client, server } = yield* genuineCallback("transaction")
      const cart = yield* client.insertCart({
        Amount: 3_000,
        Reference: "order-22",
        CustomerId: NetgiroTestServer.customers.silent,
        ConfirmationType: NetgiroSchema.ConfirmationTypes.ServerCallback,
        CallbackUrl: callbackUrl,
        CallbackCancelUrl: callbackUrl
      })
      yield* server.decline(cart.TransactionId)
      const cancel = (yield* server.callbacks).find(
        (c) => c.kind === "cancel" && c.transactionId === cart.TransactionId
      )
      const flipped = (cancel?.body ?? "")
        .replace(`"PaymentSuccessful":false`, `"PaymentSuccessful":true`)
        .replace(`"StatusId":5`, `"StatusId":2`)
        .replace(`"ResultCode":10201`, `"ResultCode":10200`)
      const callback = yield* NetgiroCallback.verify(
        { secret, callbackUrl, mode: "transactionSignature" },
        { headers: cancel?.headers ?? {}, body: flipped }
      )
      // The signature still matches (it covers TransactionId and TotalAmount only) ...
      assert.strictEqual(callback.kind, "confirm")
      assert.isTrue(callback.authenticated)
      // ... so settle re-reads the cart instead of taking the confirm at its word.
      const settled = yield* NetgiroCallback.settle(callback).pipe(
        Effect.provideService(NetgiroClient.NetgiroClient, client)
      )
      assert.strictEqual(settled._tag, "Unconfirmed")
      assert.strictEqual(settled.source, "checkCart")
    })
  )

  it.effect("a Manual cart's confirm callback (a reservation, not paid) settles as Reserved, even when signed", () =>
    Effect.gen(function* () {
      const { client, server } = yield* genuineCallback("request")
      const cart = yield* client.insertCart({
        Amount: 4_000,
        Reference: "order-23",
        CustomerId: NetgiroTestServer.customers.silent,
        ConfirmationType: NetgiroSchema.ConfirmationTypes.Manual,
        CallbackUrl: callbackUrl
      })
      yield* server.approve(cart.TransactionId)
      const delivery = (yield* server.callbacks).find((c) => c.transactionId === cart.TransactionId)
      const callback = yield* NetgiroCallback.verify(
        { secret, callbackUrl, mode: "requestSignature" },
        { headers: delivery?.headers ?? {}, body: delivery?.body ?? "" }
      )
      assert.isTrue(callback.authenticated)
      assert.strictEqual(callback.kind, "confirm", "PaymentSuccessful: false alone is not a cancel")
      const settled = yield* NetgiroCallback.settle(callback).pipe(
        Effect.provideService(NetgiroClient.NetgiroClient, client)
      )
      assert.deepInclude(settled, { _tag: "Reserved", source: "checkCart" })
    })
  )

  it.effect("release: a callback whose handling failed is admitted again; a handled one stays a replay", () =>
    Effect.gen(function* () {
      const { delivery } = yield* genuineCallback("request")
      const verifier = yield* NetgiroCallback.make({ secret, callbackUrl, mode: "requestSignature" })
      const incoming = { headers: delivery.headers, body: delivery.body }
      const first = yield* verifier.verify(incoming)
      yield* verifier.release(first)
      const retried = yield* verifier.verify(incoming)
      assert.strictEqual(retried.transactionId, first.transactionId)
      const again = yield* Effect.flip(verifier.verify(incoming))
      assert.strictEqual(again._tag, "NetgiroReplayError")
    })
  )

  it.live("verifyRequest in an Effect HTTP server on loopback accepts the test server's real callback", () =>
    Effect.gen(function* () {
      const accepted: Array<string> = []
      const rejected: Array<string> = []
      // The merchant's endpoint: the callback URL is only known once the port is.
      let merchantCallbackUrl = ""
      yield* HttpServer.serveEffect()(
        Effect.gen(function* () {
          const verified = yield* NetgiroCallback.verifyRequest({
            secret,
            callbackUrl: merchantCallbackUrl,
            mode: "requestSignature"
          })
          accepted.push(verified.transactionId)
          return HttpServerResponse.empty({ status: 204 })
        }).pipe(
          Effect.catch((e) =>
            Effect.sync(() => rejected.push(e._tag)).pipe(Effect.as(HttpServerResponse.empty({ status: 401 })))
          )
        )
      )
      const address = yield* HttpServer.addressFormattedWith((a) => Effect.succeed(a))
      merchantCallbackUrl = `${address.replace("0.0.0.0", "127.0.0.1")}/netgiro/callback`
      const server = yield* NetgiroTestServer.make({ callbackSignature: "request" })
      const client = yield* NetgiroClient.make({ appKey: app.appKey, secret, apiUrl: "http://127.0.0.1/v1" }).pipe(
        Effect.provideServiceEffect(HttpClient.HttpClient, NetgiroTestServer.makeClient(server))
      )
      const cart = yield* client.insertCart({
        Amount: 2_500,
        Reference: "order-18",
        CustomerId: NetgiroTestServer.customers.silent,
        ConfirmationType: NetgiroSchema.ConfirmationTypes.ServerCallback,
        CallbackUrl: merchantCallbackUrl
      })
      yield* server.approve(cart.TransactionId)
      assert.deepStrictEqual(accepted, [cart.TransactionId])
      assert.deepStrictEqual(rejected, [])
      const [delivery] = yield* server.callbacks
      assert.strictEqual(delivery.status, 204)
      const check = yield* client.checkCart(cart.TransactionId)
      assert.isTrue(check.PaymentSuccessful)

      // A forged callback (right shape, no secret) is refused by the same endpoint.
      const forged = yield* HttpClient.HttpClient
      const response = yield* forged.execute(
        HttpClientRequest.post(merchantCallbackUrl).pipe(
          HttpClientRequest.setHeaders({ netgiro_nonce: "1", netgiro_signature: "00".repeat(32) }),
          HttpClientRequest.bodyText(delivery.body, "application/json")
        )
      )
      assert.strictEqual(response.status, 401)
      assert.deepStrictEqual(rejected, ["NetgiroSignatureError"])
    }).pipe(
      Effect.scoped,
      Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )

  it.effect("a server-callback cart whose merchant endpoint keeps failing is retried once, then canceled", () =>
    Effect.gen(function* () {
      const sink = yield* TestServer.make(() => Effect.succeed(TestServer.json({ error: "down" }, 500)))
      const server = yield* NetgiroTestServer.make().pipe(
        Effect.provideServiceEffect(HttpClient.HttpClient, TestServer.makeMemoryClient(sink.app))
      )
      const client = yield* NetgiroClient.make({ appKey: app.appKey, secret, apiUrl: "http://127.0.0.1/v1" }).pipe(
        Effect.provideServiceEffect(HttpClient.HttpClient, NetgiroTestServer.makeClient(server))
      )
      const cart = yield* client.insertCart({
        Amount: 2_500,
        Reference: "order-19",
        CustomerId: NetgiroTestServer.customers.silent,
        ConfirmationType: NetgiroSchema.ConfirmationTypes.ServerCallback,
        CallbackUrl: callbackUrl
      })
      yield* server.approve(cart.TransactionId)
      assert.deepStrictEqual(
        (yield* server.callbacks).map((c) => c.status),
        [500, 500]
      )
      const outcome = yield* client.waitForPayment(cart, { timeout: "1 minute" })
      assert.strictEqual(outcome._tag, "Canceled")
    })
  )
})
