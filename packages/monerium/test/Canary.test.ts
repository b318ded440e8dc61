import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { RequestLimits, TokenStore } from "@nordkit/core"
import { Canary, TestServer } from "@nordkit/core/testing"
import * as Clock from "effect/Clock"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as KeyValueStore from "effect/persistence/KeyValueStore"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import { MoneriumAuth, MoneriumClient, MoneriumWebhook } from "../src/index.ts"
import { MoneriumTestServer } from "../src/testing.ts"

const SECRET = "CANARY-monerium-client-secret-4b7e20d1"
const WRONG_SECRET = "CANARY-monerium-wrong-secret-91aa"
const partner: MoneriumTestServer.PartnerApp = { clientId: "canary-partner", clientSecret: SECRET }
const app = MoneriumTestServer.defaultCodeApp

describe("secret canary (Monerium + core)", () => {
  const capture = Canary.make()
  it.effect("no error path and no log line contains the secret, a code, a verifier, or a token", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make({ partnerApps: [partner] })
      const memory = yield* MoneriumTestServer.makeClient(server)
      const observe = capture.observe
      const store = TokenStore.makeKeyValueStore(
        yield* Effect.provide(Effect.service(KeyValueStore.KeyValueStore), KeyValueStore.layerMemory)
      )
      const build = (options: MoneriumClient.Options) =>
        MoneriumClient.make(options).pipe(
          Effect.provideService(HttpClient.HttpClient, memory),
          Effect.provideService(TokenStore.TokenStore, store)
        )
      const codeOptions: MoneriumClient.Options = {
        apiUrl: "http://127.0.0.1",
        credentials: MoneriumClient.authorizationCode({ clientId: app.clientId, redirectUri: app.redirectUris[0] })
      }
      const ccOptions = (secret: string): MoneriumClient.Options<MoneriumClient.ClientCredentials> => ({
        apiUrl: "http://127.0.0.1",
        credentials: MoneriumClient.clientCredentials({
          clientId: partner.clientId,
          clientSecret: Redacted.make(secret)
        })
      })
      const codes: Array<string> = []
      const verifiers: Array<string> = []

      // ---- code flow: success paths, logged at Debug with their values
      const user = yield* build(codeOptions)
      yield* observe(user.authContext) // not connected -> ReauthorizationRequiredError
      const started = yield* user.authorize()
      verifiers.push(Redacted.value(started.pending.codeVerifier))
      yield* observe(Effect.succeed(started))
      const callback = yield* server.approve(started.url)
      codes.push(new URL(callback).searchParams.get("code")!)
      yield* observe(user.handleCallback(callback, started.pending))
      yield* observe(user.handleCallback(callback, started.pending)) // reused state
      yield* observe(user.authContext)
      yield* observe(user.accessToken)
      // Refused input -> InvalidRequestError, nothing sent.
      yield* observe(
        user.placeOrder({
          kind: "redeem",
          amount: "12,50",
          currency: "eur",
          address: "0x59cFC2d5",
          chain: "ethereum",
          counterpart: { identifier: { standard: "iban", iban: "IS14" }, details: {} },
          message: "m",
          signature: "0x1"
        })
      )
      // Wrong verifier -> invalid_grant from the token endpoint.
      const other = yield* user.authorize()
      const stolen = yield* user.authorize()
      verifiers.push(Redacted.value(other.pending.codeVerifier), Redacted.value(stolen.pending.codeVerifier))
      const otherCallback = yield* server.approve(other.url)
      codes.push(new URL(otherCallback).searchParams.get("code")!)
      yield* observe(
        user.handleCallback(otherCallback, { ...other.pending, codeVerifier: stolen.pending.codeVerifier })
      )
      // Tampered state, denial, broken callback.
      yield* observe(user.handleCallback(otherCallback.replace("state=", "state=x"), stolen.pending))
      yield* observe(user.handleCallback(yield* server.deny(stolen.url), stolen.pending))
      yield* observe(MoneriumAuth.decodePending(`{"v":1,"codeVerifier":"${verifiers[0]}"}`))
      // Refresh rotation, then 401 after replay, 403, 404, 429, 5xx, decode failures.
      yield* TestClock.adjust("61 minutes")
      yield* observe(user.listProfiles)
      yield* server.failNext(2, {
        status: 401,
        pathIncludes: "/orders",
        contentType: "application/json",
        body: '{"code":401,"status":"Unauthorized","message":"Invalid access token"}'
      })
      yield* observe(user.listOrders())
      yield* server.failNext(1, {
        status: 403,
        pathIncludes: "/orders",
        contentType: "application/json",
        body: '{"code":403,"status":"Forbidden","message":"No access"}'
      })
      yield* observe(user.listOrders())
      yield* observe(user.getOrder("missing"))
      yield* server.rateLimitNext(1, "3600", { pathIncludes: "/orders" })
      yield* observe(user.listOrders())
      yield* server.failNext(3, { status: 500, pathIncludes: "/ibans" })
      const fiber = yield* Effect.forkChild(observe(user.listIbans()))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      yield* server.failNext(1, { status: 200, pathIncludes: "/profiles", body: "<html>oops</html>" })
      yield* observe(user.listProfiles)
      // A body over the cap -> ResponseTooLargeError; a network that never answers -> TimeoutError.
      yield* observe(user.listProfiles.pipe(RequestLimits.provide({ maxBodyBytes: 1 })))
      const silent = yield* MoneriumClient.make(ccOptions(SECRET)).pipe(
        Effect.provideService(HttpClient.HttpClient, Canary.silent(memory)),
        Effect.provideService(TokenStore.TokenStore, store)
      )
      const silentFiber = yield* Effect.forkChild(observe(silent.listProfiles))
      yield* TestClock.adjust("5 minutes")
      yield* Fiber.join(silentFiber)
      // A token endpoint that answers garbage quoting a secret -> DecodeError without the body.
      yield* TestClock.adjust("61 minutes")
      const stored = Option.getOrThrow(yield* store.get("default"))
      const storedRefresh = Redacted.value(stored.refreshToken!)
      yield* server.failNext(1, {
        status: 200,
        pathIncludes: "/auth/token",
        contentType: "application/json",
        body: `{"access_token":42,"refresh_token":"${storedRefresh}"}`
      })
      yield* observe(user.listProfiles)
      // invalid_grant -> ReauthorizationRequiredError.
      yield* server.revokeAllGrants
      yield* observe(user.listProfiles)

      // ---- client credentials: success, wrong secret
      const partnerClient = yield* build(ccOptions(SECRET))
      yield* observe(partnerClient.listProfiles)
      yield* observe(partnerClient.accessToken)
      const wrong = yield* build(ccOptions(WRONG_SECRET))
      yield* observe(wrong.listProfiles)

      // ---- configuration errors
      yield* observe(build({ ...ccOptions(SECRET), apiUrl: `http://user:${SECRET}@monerium.example` }))
      yield* observe(
        Layer.build(MoneriumClient.layerConfig()).pipe(
          Effect.provide(Layer.succeed(HttpClient.HttpClient, memory)),
          Effect.provide(TokenStore.layerMemory),
          Effect.provide(
            ConfigProvider.layer(
              ConfigProvider.fromEnv({ env: { MONERIUM_CLIENT_SECRET: SECRET, MONERIUM_ENVIRONMENT: "x" } })
            )
          ),
          Effect.scoped
        )
      )
      // ---- transport failure over real HTTP: nothing listens on port 9.
      const transport = yield* MoneriumClient.make({ ...ccOptions(SECRET), apiUrl: "http://127.0.0.1:9" }).pipe(
        Effect.provide(NodeHttpClient.layerUndici)
      )
      const transportFiber = yield* Effect.forkChild(observe(transport.listProfiles))
      yield* TestClock.adjust("1 minute")
      assert.isTrue(Exit.isFailure(yield* Fiber.join(transportFiber)))

      // ---- webhooks: a refused subscription secret, a bad verifier secret, a forged and a replayed delivery.
      const webhookSecret = `whsec_${Buffer.from("CANARY-webhook-secret-7c1e-0123456789").toString("base64")}`
      const shortSecret = `whsec_${Buffer.from("CANARY-short").toString("base64")}`
      yield* observe(
        partnerClient.createWebhook({ url: "https://app.example/hook", secret: Redacted.make(shortSecret) })
      )
      yield* observe(MoneriumWebhook.makeVerifier({ secret: Redacted.make(shortSecret) }))
      const verifier = yield* MoneriumWebhook.makeVerifier({ secret: Redacted.make(webhookSecret) })
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const signature = yield* MoneriumWebhook.sign({
        secret: webhookSecret,
        id: "evt-canary",
        timestamp: now,
        body: "{}"
      })
      const deliveryHeaders = {
        "webhook-id": "evt-canary",
        "webhook-timestamp": String(now),
        "webhook-signature": signature
      }
      yield* observe(verifier.verify({ headers: deliveryHeaders, body: '{"type":"forged"}' }))
      yield* Effect.ignore(verifier.verify({ headers: deliveryHeaders, body: "{}" }))
      yield* observe(verifier.verify({ headers: deliveryHeaders, body: "{}" }))

      // Every token the server issued, every refresh token, every code and verifier.
      const tokens = new Set<string>()
      for (const r of yield* server.requests) {
        const bearer = TestServer.bearerOf(r)
        if (bearer !== undefined) tokens.add(bearer)
        const form = new URLSearchParams(r.body)
        for (const key of ["refresh_token", "code", "code_verifier"]) {
          const value = form.get(key)
          if (value !== null) tokens.add(value)
        }
      }
      tokens.add(storedRefresh)
      assert.isAbove(tokens.size, 8)
      assert.deepStrictEqual(
        capture.unexercised([
          ...Canary.RequestErrorTags,
          "StateMismatchError",
          "AuthorizationDeniedError",
          "InvalidCallbackError",
          "ReauthorizationRequiredError"
        ]),
        [],
        "the canary drove every error path"
      )
      assert.isAbove(capture.lines.length, 30)
      assert.deepStrictEqual(
        capture.leaks([
          SECRET,
          WRONG_SECRET,
          webhookSecret,
          webhookSecret.slice(6),
          shortSecret.slice(6),
          signature.slice(3),
          ...codes,
          ...verifiers,
          ...tokens
        ]),
        []
      )
      // The secrets are still there, only hidden.
      const cc = ccOptions(SECRET).credentials
      assert.strictEqual(cc._tag === "ClientCredentials" ? Redacted.value(cc.clientSecret) : "", SECRET)
      assert.strictEqual(Redacted.value(started.pending.codeVerifier), verifiers[0])
    }).pipe(Effect.provide(capture.layer))
  )
})
