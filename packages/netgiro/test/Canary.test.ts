import { NodeCrypto, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { RequestLimits } from "@nordkit/core"
import { Canary } from "@nordkit/core/testing"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import { NetgiroCallback, NetgiroClient, NetgiroSchema } from "../src/index.ts"
import { NetgiroTestServer } from "../src/testing.ts"

const SECRET = "CANARY-netgiro-secret-5be1d2f0a7c4"
const WRONG = "CANARY-netgiro-wrong-secret-93e0"
const app: NetgiroTestServer.App = { appKey: "C4NARY00-0000-4000-8000-000000000001", secret: SECRET }

const options = (overrides: Partial<NetgiroClient.Options> = {}): NetgiroClient.Options => ({
  appKey: app.appKey,
  secret: Redacted.make(SECRET),
  apiUrl: "http://127.0.0.1/v1",
  ...overrides
})

const cart = (customerId: string): NetgiroSchema.InsertCartRequest => ({
  Amount: 1_000,
  Reference: "canary",
  CustomerId: customerId,
  ConfirmationType: NetgiroSchema.ConfirmationTypes.Automatic
})

/** Lets platform callbacks in flight finish (in-memory bodies), without moving any clock. */
const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve))).pipe(
  Effect.repeat({ times: 3 })
)

/** Moves the TestClock by `millis` in 1 s steps, letting in-flight work reach its next sleep in between. */
const advance = (millis: number) =>
  Effect.gen(function* () {
    yield* settle
    for (let t = 0; t < millis; t += 1_000) {
      yield* TestClock.adjust(1_000)
      yield* settle
    }
  })

describe("secret canary (Netgíró + core)", () => {
  const capture = Canary.make()
  it.effect("no error path and no log line contains the signing secret or a request signature", () =>
    Effect.gen(function* () {
      const server = yield* NetgiroTestServer.make({ apps: [app] })
      const memory = yield* NetgiroTestServer.makeClient(server)
      const build = (overrides: Partial<NetgiroClient.Options> = {}) =>
        NetgiroClient.make(options(overrides)).pipe(Effect.provideService(HttpClient.HttpClient, memory))
      const observe = capture.observe
      const client = yield* build()
      // Refused input -> InvalidRequestError, nothing sent.
      yield* observe(client.insertCart({ ...cart(NetgiroTestServer.customers.silent), Amount: 10.5 }))

      // Success paths are logged too (at Debug).
      const inserted = yield* client.insertCart(cart(NetgiroTestServer.customers.silent))
      yield* observe(client.checkCart(inserted.TransactionId))
      yield* observe(client.salesList)
      // Wrong secret -> the server's 401 -> AuthenticationError (the wrong secret is a canary too).
      const wrong = yield* build({ secret: Redacted.make(WRONG) })
      yield* observe(wrong.salesList)
      // 401 / 403 / 429 beyond the cap, unsigned, from a gateway.
      yield* server.failNext(1, { status: 401, body: `{"Message":"no"}`, contentType: "application/json" })
      yield* observe(client.salesList)
      yield* server.failNext(1, { status: 403, body: "Forbidden" })
      yield* observe(client.salesList)
      yield* server.rateLimitNext(1, "3600")
      yield* observe(client.salesList)
      // 5xx after the retries (CheckCart is retried) -> ApiError.
      yield* server.failNext(3, { status: 503, pathIncludes: "CheckCart" })
      const fiber = yield* Effect.forkChild(observe(client.checkCart(inserted.TransactionId)))
      yield* advance(60_000)
      yield* Fiber.join(fiber)
      // Result codes -> NetgiroResultError.
      yield* observe(client.checkCart("00000000-0000-0000-0000-000000000000"))
      yield* observe(client.insertCart(cart("0000000000")))
      // Altered and unsigned responses -> NetgiroSignatureError; warn mode -> a warning line.
      yield* server.tamperNext("body")
      yield* observe(client.salesList)
      yield* server.tamperNext("strip")
      yield* observe(client.salesList)
      const warn = yield* build({ verifyResponses: "warn" })
      yield* server.tamperNext("signature")
      // A second client of the same app key: a second apart, so its nonces cannot collide with the first's.
      yield* TestClock.adjust(1_000)
      yield* observe(warn.salesList)
      // Decode failures: not JSON, no envelope, wrong shape.
      const off = yield* build({ verifyResponses: "off" })
      yield* server.failNext(1, { status: 200, body: `<html>${SECRET.length}</html>` })
      yield* observe(off.salesList)
      yield* server.failNext(1, { status: 200, body: `{"note":1}`, contentType: "application/json" })
      yield* observe(off.salesList)
      yield* server.failNext(1, {
        status: 200,
        body: `{"Success":true,"ResultCode":200,"TransactionId":7}`,
        contentType: "application/json"
      })
      yield* observe(off.insertCart(cart(NetgiroTestServer.customers.silent)))
      // waitForPayment timeout.
      const waiting = yield* Effect.forkChild(observe(client.waitForPayment(inserted, { timeout: "5 seconds" })))
      yield* advance(10_000)
      yield* Fiber.join(waiting)
      // Callback verification failures.
      yield* observe(
        NetgiroCallback.verify(
          { secret: Redacted.make(SECRET), callbackUrl: "https://shop.example/cb" },
          { headers: { netgiro_nonce: "1", netgiro_signature: "ab" }, body: "{}" }
        )
      )
      yield* observe(
        NetgiroCallback.verify(
          { secret: Redacted.make(SECRET), callbackUrl: "https://shop.example/cb" },
          {
            headers: {},
            body: "{}"
          }
        )
      )
      // Configuration errors: empty key, insecure URL with credentials, missing variables.
      yield* observe(build({ appKey: " " }))
      yield* observe(build({ apiUrl: `http://user:${SECRET}@netgiro.example/v1` }))
      yield* observe(
        Layer.build(NetgiroClient.layerConfig()).pipe(
          Effect.provide(Layer.succeed(HttpClient.HttpClient, memory)),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { NETGIRO_SECRET: SECRET } }))),
          Effect.scoped
        )
      )
      // Transport failure over real HTTP: nothing listens on port 9.
      const transport = yield* NetgiroClient.make(options({ apiUrl: "http://127.0.0.1:9/v1" })).pipe(
        Effect.provide(NodeHttpClient.layerUndici)
      )
      const transportFiber = yield* Effect.forkChild(observe(transport.salesList))
      yield* advance(60_000)
      assert.isTrue(Exit.isFailure(yield* Fiber.join(transportFiber)))
      // A body over the cap -> ResponseTooLargeError; a network that never answers -> TimeoutError.
      yield* observe(client.salesList.pipe(RequestLimits.provide({ maxBodyBytes: 1 })))
      const silent = yield* NetgiroClient.make(options()).pipe(
        Effect.provideService(HttpClient.HttpClient, Canary.silent(memory))
      )
      const silentFiber = yield* Effect.forkChild(observe(silent.salesList))
      yield* advance(120_000)
      yield* Fiber.join(silentFiber)

      const signatures = (yield* server.requests)
        .map((r) => r.headers.netgiro_signature)
        .filter((s): s is string => s !== undefined)
      assert.isAbove(signatures.length, 10)
      assert.deepStrictEqual(
        capture.unexercised([
          ...Canary.RequestErrorTags,
          "NetgiroResultError",
          "NetgiroSignatureError",
          "PaymentTimeoutError"
        ]),
        [],
        "the canary drove every error path"
      )
      assert.isTrue(capture.lines.some((l) => l.includes("verifyResponses: warn")))
      assert.deepStrictEqual(capture.leaks([SECRET, WRONG, ...new Set(signatures)]), [])
      // The secret is still there, only hidden.
      assert.strictEqual(Redacted.value(options().secret), SECRET)
    }).pipe(Effect.provide(capture.layer), Effect.provide(NodeCrypto.layerDigest))
  )
})
