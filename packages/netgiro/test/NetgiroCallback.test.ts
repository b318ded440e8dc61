import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { TestServer } from "@nordkit/core/testing"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Redacted from "effect/Redacted"
import { NetgiroCallback, NetgiroClient, NetgiroSchema, NetgiroTestServer } from "../src/index.ts"

const app = NetgiroTestServer.publicTestApp
const secret = Redacted.make(app.secret)
const callbackUrl = "https://shop.example/netgiro/Callback?order=17"

/** A genuine callback: the test server approves a server-callback cart and signs the POST to the merchant. */
const genuineCallback = Effect.gen(function* () {
  const sink = yield* TestServer.make(() => Effect.succeed(TestServer.json({ ok: true })))
  const server = yield* NetgiroTestServer.make().pipe(
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
    CallbackUrl: callbackUrl
  })
  yield* server.approve(cart.TransactionId)
  const [delivery] = yield* server.callbacks
  return { delivery, cart }
})

describe("NetgiroCallback", () => {
  it.effect("a genuine callback verifies and decodes", () =>
    Effect.gen(function* () {
      const { delivery, cart } = yield* genuineCallback
      const verified = yield* NetgiroCallback.verify(
        { secret, callbackUrl },
        { headers: delivery.headers, body: delivery.body }
      )
      assert.strictEqual(verified.payload.TransactionId, cart.TransactionId)
      assert.isTrue(verified.payload.PaymentSuccessful)
      assert.strictEqual(verified.nonce, delivery.headers.netgiro_nonce)
      assert.isString(verified.referenceId)
    })
  )

  it.effect("header names match in any case, and a Uint8Array body works like a string", () =>
    Effect.gen(function* () {
      const { delivery } = yield* genuineCallback
      const upper = Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k.toUpperCase(), v]))
      const verified = yield* NetgiroCallback.verify(
        { secret, callbackUrl },
        { headers: upper, body: new TextEncoder().encode(delivery.body) }
      )
      assert.isString(verified.payload.TransactionId)
    })
  )

  it.effect("a tampered callback is rejected before its body is decoded", () =>
    Effect.gen(function* () {
      const { delivery } = yield* genuineCallback
      const attempt = (headers: Record<string, string>, body: string, url = callbackUrl) =>
        Effect.flip(NetgiroCallback.verify({ secret, callbackUrl: url }, { headers, body }))
      const paidMore = delivery.body.replace(/"TotalAmount":\d+/, `"TotalAmount":1`)
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
          { secret: Redacted.make("another-secret"), callbackUrl },
          { headers: delivery.headers, body: delivery.body }
        )
      )
      assert.strictEqual(wrongSecret._tag, "NetgiroSignatureError")
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
          const verified = yield* NetgiroCallback.verifyRequest({ secret, callbackUrl: merchantCallbackUrl })
          accepted.push(verified.payload.TransactionId)
          return HttpServerResponse.empty({ status: 204 })
        }).pipe(
          Effect.catch((e) =>
            Effect.sync(() => rejected.push(e._tag)).pipe(Effect.as(HttpServerResponse.empty({ status: 401 })))
          )
        )
      )
      const address = yield* HttpServer.addressFormattedWith((a) => Effect.succeed(a))
      merchantCallbackUrl = `${address.replace("0.0.0.0", "127.0.0.1")}/netgiro/callback`
      const server = yield* NetgiroTestServer.make() // sends callbacks over real HTTP (the provided undici client)
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
