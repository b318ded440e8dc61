import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { RequestLimits } from "@nordkit/core"
import { Canary } from "@nordkit/core/testing"
import * as Clock from "effect/Clock"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import { DinteroCallback, DinteroClient } from "../src/index.ts"
import { DinteroTestServer } from "../src/testing.ts"

const SECRET = "CANARY-dintero-client-secret-7f3a91c2"
const account: DinteroTestServer.Account = { accountId: "T55667788", clientId: "canary-client", clientSecret: SECRET }

const options = (overrides: Partial<DinteroClient.Options> = {}): DinteroClient.Options => ({
  accountId: account.accountId,
  clientId: account.clientId,
  clientSecret: Redacted.make(SECRET),
  apiUrl: "http://127.0.0.1",
  checkoutUrl: "http://127.0.0.1",
  ...overrides
})

describe("secret canary (Dintero + core)", () => {
  const capture = Canary.make()
  it.effect("no error path and no log line contains the client secret or an access token", () =>
    Effect.gen(function* () {
      const server = yield* DinteroTestServer.make({ accounts: [account] })
      const memory = yield* DinteroTestServer.makeClient(server)
      const build = (overrides: Partial<DinteroClient.Options> = {}) =>
        DinteroClient.make(options(overrides)).pipe(Effect.provideService(HttpClient.HttpClient, memory))
      const observe = capture.observe
      const client = yield* build()
      // Refused input -> InvalidRequestError, nothing sent.
      yield* observe(client.captureTransaction("T0.x", { amount: 10.5 }))
      const id = yield* server.seedTransaction({ accountId: account.accountId, amount: 1_000 })

      // Success paths log their values too (at Debug), tokens included as Redacted.
      yield* observe(client.accessToken)
      yield* observe(client.getTransaction(id))
      // Wrong secret -> AuthenticationError from the token endpoint (the wrong secret is a canary too).
      const wrong = yield* build({ clientSecret: Redacted.make("CANARY-wrong-secret-0c9d") })
      yield* observe(wrong.getTransaction(id))
      // 401 after one replay -> AuthenticationError.
      yield* server.failNext(2, {
        status: 401,
        pathIncludes: "/transactions",
        body: '{"error":{"message":"Invalid token"}}'
      })
      yield* observe(client.getTransaction(id))
      // 403 -> ForbiddenError; 404 -> ApiError; 500 (after retries) -> ApiError.
      yield* server.failNext(1, {
        status: 403,
        pathIncludes: "/transactions",
        body: '{"error":{"code":"mfa_required","message":"MFA"}}'
      })
      yield* observe(client.getTransaction(id))
      yield* observe(client.getTransaction("T0.missing"))
      yield* server.failNext(3, { status: 500, pathIncludes: "/transactions" })
      const fiber = yield* Effect.forkChild(observe(client.getTransaction(id)))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      // 429 beyond the Retry-After cap -> RateLimitedError.
      yield* server.rateLimitNext(1, "3600", { pathIncludes: "/transactions" })
      yield* observe(client.getTransaction(id))
      // Not JSON / wrong shape -> DecodeError.
      yield* server.failNext(1, { status: 200, pathIncludes: "/transactions", body: "<html>oops</html>" })
      yield* observe(client.getTransaction(id))
      yield* server.failNext(1, {
        status: 200,
        pathIncludes: "/transactions",
        body: '{"id":1}',
        contentType: "application/json"
      })
      yield* observe(client.getTransaction(id))
      // Token endpoint answers garbage -> DecodeError that does not quote the body.
      yield* server.revokeTokens
      yield* server.failNext(1, {
        status: 200,
        pathIncludes: "/auth/token",
        body: `{"access_token":42,"note":"${SECRET}"}`,
        contentType: "application/json"
      })
      yield* observe(client.getTransaction(id))
      // Configuration errors: bad account id, insecure URL, missing variables.
      yield* observe(build({ accountId: "X1" }))
      yield* observe(build({ checkoutUrl: `http://user:${SECRET}@checkout.example` }))
      yield* observe(
        Layer.build(DinteroClient.layerConfig()).pipe(
          Effect.provide(Layer.succeed(HttpClient.HttpClient, memory)),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { DINTERO_CLIENT_SECRET: SECRET } }))),
          Effect.scoped
        )
      )
      // Transport failure over real HTTP: nothing listens on port 9.
      const transport = yield* DinteroClient.make(
        options({ apiUrl: "http://127.0.0.1:9", checkoutUrl: "http://127.0.0.1:9" })
      ).pipe(Effect.provide(NodeHttpClient.layerUndici))
      const transportFiber = yield* Effect.forkChild(observe(transport.accessToken))
      yield* TestClock.adjust("1 minute")
      const transportExit = yield* Fiber.join(transportFiber)
      assert.isTrue(Exit.isFailure(transportExit))
      // A body over the cap -> ResponseTooLargeError; a network that never answers -> TimeoutError.
      yield* observe(client.getTransaction(id).pipe(RequestLimits.provide({ maxBodyBytes: 1 })))
      const silent = yield* DinteroClient.make(options()).pipe(
        Effect.provideService(HttpClient.HttpClient, Canary.silent(memory))
      )
      const silentFiber = yield* Effect.forkChild(observe(silent.getTransaction(id)))
      yield* TestClock.adjust("5 minutes")
      yield* Fiber.join(silentFiber)

      // Callbacks: the signature secret (created, then used) and the signatures never appear either.
      yield* observe(client.createSignatureSecret)
      const { secret } = yield* client.createSignatureSecret
      const signatureSecret = Redacted.value(secret)
      const verifier = DinteroCallback.makeVerifier({ secret, accountId: account.accountId })
      const url = `https://shop.example/cb?transaction_id=${id}&merchant_reference=seed`
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const good = yield* DinteroCallback.sign({
        secret,
        accountId: account.accountId,
        method: "GET",
        url,
        timestamp: now
      })
      const forged = good.replace(/.$/, (c) => (c === "0" ? "1" : "0"))
      yield* observe(verifier.verify({ url, method: "GET", signature: good }))
      yield* observe(verifier.verify({ url, method: "GET", signature: good }))
      yield* observe(verifier.verify({ url, method: "GET", signature: forged }))
      yield* observe(client.fetchCallbackTransaction(DinteroCallback.parse(`${url}x`)))

      const tokens = (yield* server.requests)
        .map((r) => r.headers.authorization ?? "")
        .filter((h) => h.startsWith("Bearer "))
        .map((h) => h.slice(7))
      assert.isAbove(new Set(tokens).size, 1, "several tokens were issued and used")
      assert.deepStrictEqual(capture.unexercised(Canary.RequestErrorTags), [], "the canary drove every error path")
      assert.isAbove(capture.lines.length, 20)
      assert.deepStrictEqual(
        capture.leaks([
          SECRET,
          "CANARY-wrong-secret-0c9d",
          signatureSecret,
          good.split("=").at(-1)!,
          ...new Set(tokens)
        ]),
        []
      )
      // The secret is still there, only hidden.
      assert.strictEqual(Redacted.value(options().clientSecret), SECRET)
    }).pipe(Effect.provide(capture.layer))
  )
})
