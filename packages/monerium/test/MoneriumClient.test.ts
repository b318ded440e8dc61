import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer, NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { TokenStore } from "@nordkit/core"
import { TestServer } from "@nordkit/core/testing"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
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
import { MoneriumClient, MoneriumMessage } from "../src/index.ts"
import { MoneriumTestServer } from "../src/testing.ts"

const app = MoneriumTestServer.defaultCodeApp
const partner = MoneriumTestServer.defaultPartnerApp
const seed = MoneriumTestServer.seed

const codeOptions = (apiUrl = "http://127.0.0.1"): MoneriumClient.Options => ({
  apiUrl,
  credentials: MoneriumClient.authorizationCode({ clientId: app.clientId, redirectUri: app.redirectUris[0] })
})

/** Builds a code-flow client on the in-memory server, with `store` as its TokenStore. */
const codeClient = (
  server: MoneriumTestServer.MoneriumTestServer,
  store: TokenStore.Service = TokenStore.makeMemory(),
  options: MoneriumClient.Options = codeOptions()
) =>
  Effect.gen(function* () {
    const http = yield* MoneriumTestServer.makeClient(server)
    return yield* MoneriumClient.make(options).pipe(
      Effect.provideService(HttpClient.HttpClient, http),
      Effect.provideService(TokenStore.TokenStore, store)
    )
  })

/** The whole code flow: authorize, the user approves, the callback is handled. */
const connect = (client: MoneriumClient.Service, server: MoneriumTestServer.MoneriumTestServer) =>
  Effect.gen(function* () {
    const { url, pending } = yield* client.authorize()
    const callback = yield* server.approve(url)
    return yield* client.handleCallback(callback, pending)
  })

const bodyOf = (r: TestServer.LoggedRequest) => new URLSearchParams(r.body)

describe("MoneriumClient (authorization code)", () => {
  it.effect("every operation decodes, and every request carries the v2 Accept header", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const client = yield* codeClient(server)
      yield* connect(client, server)

      const context = yield* client.authContext
      assert.strictEqual(context.userId, seed.userId)
      assert.strictEqual(context.defaultProfile, seed.profileId)
      assert.deepStrictEqual(context.profiles[0], {
        id: seed.profileId,
        kind: "personal",
        name: seed.name,
        state: "approved"
      })
      assert.strictEqual(context.auth?.method, "password")
      const profiles = yield* client.listProfiles
      assert.deepStrictEqual(
        profiles.map((p) => p.kind),
        ["personal"]
      )
      const profile = yield* client.getProfile(seed.profileId)
      assert.strictEqual(profile.state, "approved")
      assert.strictEqual(profile.details?.state, "approved")
      const addresses = yield* client.listAddresses({ profile: seed.profileId })
      assert.strictEqual(addresses.length, 2)
      const balances = yield* client.getBalances({ chain: "ethereum", address: seed.address })
      assert.deepStrictEqual(balances.balances, [
        { currency: "eur", amount: "1234.56" },
        { currency: "isk", amount: "150000" }
      ])
      const eur = yield* client.getBalances({ chain: "ethereum", address: seed.address, currency: "eur" })
      assert.deepStrictEqual(eur.balances, [{ currency: "eur", amount: "1234.56" }])
      assert.strictEqual(typeof eur.balances[0].amount, "string")
      const ibans = yield* client.listIbans()
      assert.strictEqual(ibans[0].iban, seed.iban)
      // The profile already has an IBAN: Monerium answers 304, a typed result (move it instead).
      const again = yield* client.requestIban({ address: seed.gnosisAddress, chain: "gnosis" })
      assert.deepStrictEqual(again, { _tag: "AlreadyExists" })
      const orders = yield* client.listOrders()
      assert.strictEqual(orders.length, 3)
      const pending = yield* client.listOrders({ state: "pending", address: seed.address })
      assert.deepStrictEqual(
        pending.map((o) => o.id),
        [seed.redeemOrderId]
      )
      const order = yield* client.getOrder(seed.issueOrderId)
      assert.strictEqual(order.amount, "1500.00")
      assert.strictEqual(order.meta.processedAt, "2025-01-10T09:01:00.000Z")
      const now = yield* Clock.currentTimeMillis
      const counterpart = {
        identifier: { standard: "iban", iban: "IS14 0159 2600 7654 5510 7303 39" },
        details: { firstName: "Anna", lastName: "Jónsdóttir", country: "IS" }
      } as const
      const placed = yield* client.placeOrder({
        kind: "redeem",
        amount: "34.56",
        currency: "eur",
        address: seed.address,
        chain: "ethereum",
        counterpart,
        memo: "Groceries",
        message: MoneriumMessage.orderMessage({ amount: "34.56", currency: "eur", counterpart, at: now }),
        signature: `0x${"ab".repeat(65)}`
      })
      assert.strictEqual(placed._tag, "Placed")
      if (placed._tag === "Placed") {
        assert.strictEqual(placed.order.state, "placed")
        assert.strictEqual(placed.order.amount, "34.56")
      }
      const after = yield* client.getBalances({ chain: "ethereum", address: seed.address, currency: "eur" })
      assert.strictEqual(after.balances[0].amount, "1200.00")

      const requests = yield* server.requests
      assert.isAbove(requests.length, 12)
      for (const r of requests.filter((r) => r.path !== "/auth")) {
        assert.include(r.headers.accept ?? "", MoneriumTestServer.acceptV2, `${r.method} ${r.path}`)
        // No tracing headers: in a browser they would make Monerium's CORS preflight fail.
        assert.isUndefined(r.headers.traceparent, `${r.method} ${r.path}`)
        assert.isUndefined(r.headers.b3, `${r.method} ${r.path}`)
      }
      const posted = requests.find((r) => r.path === "/orders" && r.method === "POST")!
      assert.strictEqual(JSON.parse(posted.body).amount, "34.56", "amounts go out as decimal strings")
    })
  )

  it.effect("Monerium's error body is decoded into ApiError, with field errors", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const client = yield* codeClient(server)
      yield* connect(client, server)
      const missing = yield* Effect.flip(client.getOrder("ord-9999"))
      assert.strictEqual(missing._tag, "ApiError")
      if (missing._tag === "ApiError") {
        assert.strictEqual(missing.status, 404)
        assert.strictEqual(missing.code, "404 Not Found")
        assert.strictEqual(missing.detail, "Order ord-9999 not found")
      }
      const invalid = yield* Effect.flip(
        client.placeOrder({
          kind: "redeem",
          amount: "10",
          currency: "eur",
          address: seed.address,
          chain: "ethereum",
          counterpart: { identifier: { standard: "iban", iban: "X" }, details: {} },
          message: "m",
          signature: "0x1234"
        })
      )
      assert.strictEqual(invalid._tag, "ApiError")
      if (invalid._tag === "ApiError") {
        assert.deepStrictEqual(invalid.fieldErrors, {
          signature: "must be an EOA signature, 0x, or a Safe signature",
          counterpart: "details: firstName, lastName and country, companyName and country, or name and country",
          message: "the signed message does not state the order's currency and amount"
        })
        assert.strictEqual(invalid.path, "/orders")
      }
    })
  )

  it.effect("an amount that is not a decimal string is refused before anything is sent", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const client = yield* codeClient(server)
      yield* connect(client, server)
      const before = (yield* server.requests).length
      for (const amount of ["1e3", "12,50", 12.5 as unknown as string]) {
        const error = yield* Effect.flip(
          client.placeOrder({
            kind: "redeem",
            amount,
            currency: "eur",
            address: seed.address,
            chain: "ethereum",
            counterpart: { identifier: { standard: "iban", iban: "IS14" }, details: {} },
            message: "m",
            signature: "0x1"
          })
        )
        assert.strictEqual(error._tag, "InvalidRequestError", String(amount))
      }
      assert.strictEqual((yield* server.requests).length, before, "nothing was sent")
    })
  )

  it.effect("a malformed amount in a response is a DecodeError, never a float", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const client = yield* codeClient(server)
      yield* connect(client, server)
      yield* server.failNext(1, {
        status: 200,
        pathIncludes: "/balances",
        contentType: "application/json",
        body: JSON.stringify({
          address: seed.address,
          chain: "ethereum",
          balances: [{ currency: "eur", amount: 12.5 }]
        })
      })
      const error = yield* Effect.flip(client.getBalances({ chain: "ethereum", address: seed.address }))
      assert.strictEqual(error._tag, "DecodeError")
    })
  )

  it.effect("100 concurrent calls after the access token expired cause exactly 1 refresh grant, no token reused", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const client = yield* codeClient(server)
      yield* connect(client, server)
      yield* client.authContext
      yield* TestClock.adjust("61 minutes")
      yield* server.setLatency(200) // the refresh is slow: everyone has to wait for the same one
      const fiber = yield* Effect.forkChild(
        Effect.all(
          Array.from({ length: 100 }, () => client.listProfiles),
          { concurrency: "unbounded" }
        )
      )
      yield* TestClock.adjust("5 seconds")
      const results = yield* Fiber.join(fiber)
      assert.strictEqual(results.length, 100)
      const refreshes = yield* server.grantsOf("refresh_token")
      assert.strictEqual(refreshes.length, 1)
      const uses = yield* server.refreshUses
      assert.deepStrictEqual([...uses.values()], [1])
      assert.strictEqual(yield* server.reuseDetections, 0)
      const bearers = new Set(
        (yield* server.requests).filter((r) => r.path === "/profiles").map((r) => r.headers.authorization)
      )
      assert.strictEqual(bearers.size, 1, "all 100 calls used the one new access token")
    })
  )

  it.effect("100 concurrent 401s on the same token cause 1 refresh, and the refresh token is sent once", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const client = yield* codeClient(server)
      yield* connect(client, server)
      yield* client.authContext
      yield* server.expireAccessTokens // the server says expired, the client still believes it fresh
      const results = yield* Effect.all(
        Array.from({ length: 100 }, () => client.listIbans()),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.length, 100)
      assert.strictEqual((yield* server.grantsOf("refresh_token")).length, 1)
      assert.deepStrictEqual([...(yield* server.refreshUses).values()], [1])
    })
  )

  it.effect("the rotated refresh token is in the store before any request uses the new access token", () =>
    Effect.gen(function* () {
      const store = TokenStore.makeMemory()
      // At the moment each API request arrives, note which refresh token the client's store holds.
      const seen: Array<{ readonly bearer: string; readonly storedRefresh: string | undefined }> = []
      const server = yield* MoneriumTestServer.make({
        onRequest: (request) =>
          Effect.gen(function* () {
            const bearer = TestServer.bearerOf(request)
            if (bearer === undefined) return
            const stored = yield* Effect.orDie(store.get("default"))
            seen.push({
              bearer,
              storedRefresh: Option.getOrUndefined(Option.map(stored, (t) => Redacted.value(t.refreshToken!)))
            })
          })
      })
      const client = yield* codeClient(server, store)
      yield* connect(client, server)
      yield* client.authContext
      for (let i = 0; i < 3; i++) {
        yield* TestClock.adjust("61 minutes")
        yield* Effect.all([client.authContext, client.listProfiles, client.listOrders()], { concurrency: 3 })
      }
      // Each token response: the access token and the refresh token issued with it.
      const issued = (yield* server.tokenRequests).length
      assert.strictEqual(issued, 4) // 1 code exchange + 3 refreshes
      const rotations = (yield* server.grantsOf("refresh_token")).map(
        (r) => bodyOf(r).get("refresh_token") ?? undefined
      )
      assert.strictEqual(new Set(rotations).size, 3, "each refresh sent a different refresh token")
      const firstUse = new Map<string, string | undefined>()
      for (const entry of seen) if (!firstUse.has(entry.bearer)) firstUse.set(entry.bearer, entry.storedRefresh)
      assert.strictEqual(firstUse.size, 4)
      // The refresh token that each later refresh sent is the one the store held when its access token was first used.
      const stored = [...firstUse.values()]
      assert.deepStrictEqual(stored.slice(0, 3), rotations)
      const finalStored = Option.getOrThrow(yield* Effect.orDie(store.get("default")))
      assert.strictEqual(stored[3], Redacted.value(finalStored.refreshToken!))
      assert.strictEqual(yield* server.reuseDetections, 0)
    })
  )

  it.effect("after a restart (new layer, persistent store) calls continue without a new login", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const http = yield* MoneriumTestServer.makeClient(server)
      const directory = `${process.env.TMPDIR ?? "/tmp"}/nordkit-monerium-${Date.now()}-${Math.random()}`
      const persistent = TokenStore.layerKeyValueStore().pipe(
        Layer.provide(KeyValueStore.layerFileSystem(directory)),
        Layer.provide(NodeServices.layer)
      )
      const run = <A, E>(f: (client: MoneriumClient.Service) => Effect.Effect<A, E>) =>
        Effect.gen(function* () {
          const client = yield* MoneriumClient.MoneriumClient
          return yield* f(client)
        }).pipe(
          Effect.provide(
            MoneriumClient.layer(codeOptions()).pipe(
              Layer.provide(persistent),
              Layer.provide(Layer.succeed(HttpClient.HttpClient, http))
            )
          )
        )
      yield* run((client) => Effect.andThen(connect(client, server), client.authContext))
      // Process 2: token still valid — served from the store, no token request at all.
      yield* run((client) => client.listProfiles)
      assert.strictEqual((yield* server.tokenRequests).length, 1)
      // Process 3, two hours later: the stored refresh token is used (once), no login.
      yield* TestClock.adjust("2 hours")
      const balances = yield* run((client) => client.getBalances({ chain: "ethereum", address: seed.address }))
      assert.strictEqual(balances.balances[0].amount, "1234.56")
      assert.strictEqual((yield* server.grantsOf("refresh_token")).length, 1)
      assert.strictEqual((yield* server.grantsOf("authorization_code")).length, 1)
      // Process 4: uses the rotated refresh token that process 3 saved (reuse would revoke the grant).
      yield* TestClock.adjust("2 hours")
      yield* run((client) => client.listOrders())
      assert.strictEqual(yield* server.reuseDetections, 0)
      assert.deepStrictEqual([...(yield* server.refreshUses).values()], [1, 1])
    })
  )

  it.effect("invalid_grant yields ReauthorizationRequiredError and forgets the grant; connecting again works", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const store = TokenStore.makeMemory()
      const client = yield* codeClient(server, store)
      const before = yield* Effect.flip(client.authContext)
      assert.strictEqual(before._tag, "ReauthorizationRequiredError")
      if (before._tag === "ReauthorizationRequiredError") assert.strictEqual(before.reason, "not_connected")
      assert.isFalse(yield* client.isConnected)

      yield* connect(client, server)
      assert.isTrue(yield* client.isConnected)
      yield* server.revokeAllGrants // the user disconnected the app at Monerium
      const error = yield* Effect.flip(client.authContext)
      assert.strictEqual(error._tag, "ReauthorizationRequiredError")
      if (error._tag === "ReauthorizationRequiredError") {
        assert.strictEqual(error.reason, "invalid_grant")
        assert.strictEqual(error.detail, "The grant has been revoked")
      }
      assert.isFalse(yield* client.isConnected, "the dead grant is removed from the store")
      // Nothing more is sent with the rejected refresh token.
      const refreshesBefore = (yield* server.grantsOf("refresh_token")).length
      const again = yield* Effect.flip(client.authContext)
      assert.strictEqual(again._tag, "ReauthorizationRequiredError")
      assert.strictEqual((yield* server.grantsOf("refresh_token")).length, refreshesBefore)

      yield* connect(client, server)
      assert.strictEqual((yield* client.authContext).userId, seed.userId)
    })
  )

  it.effect("a refresh that got no answer is not retried within the call (the token may be spent)", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const client = yield* codeClient(server)
      yield* connect(client, server)
      yield* TestClock.adjust("61 minutes")
      yield* server.failNext(1, { status: 503, pathIncludes: "/auth/token" })
      const fiber = yield* Effect.forkChild(Effect.flip(client.authContext))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "ApiError")
      assert.strictEqual((yield* server.grantsOf("refresh_token")).length, 1, "the 503 was not retried")
      // The next call tries again (the 503 came before the server used the token).
      assert.strictEqual((yield* client.authContext).userId, seed.userId)
    })
  )

  it.effect("429 on the API honours Retry-After", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const client = yield* codeClient(server)
      yield* connect(client, server)
      yield* server.rateLimitNext(1, "7", {
        pathIncludes: "/orders",
        body: JSON.stringify({ code: 429, status: "Too Many Requests", message: "Slow down" })
      })
      const fiber = yield* Effect.forkChild(client.listOrders())
      yield* TestClock.adjust("6 seconds")
      assert.strictEqual((yield* server.requests).filter((r) => r.path === "/orders").length, 1)
      yield* TestClock.adjust("2 seconds")
      const orders = yield* Fiber.join(fiber)
      assert.strictEqual(orders.length, 3)
      const attempts = (yield* server.requests).filter((r) => r.path === "/orders")
      assert.strictEqual(attempts.length, 2)
      assert.isAtLeast(attempts[1].at - attempts[0].at, 7_000)
      // Beyond the cap: a RateLimitedError carrying the delay, at once.
      yield* server.rateLimitNext(1, "3600", { pathIncludes: "/orders" })
      const limited = yield* Effect.flip(client.listOrders())
      assert.strictEqual(limited._tag, "RateLimitedError")
      if (limited._tag === "RateLimitedError") assert.strictEqual(limited.retryAfterMillis, 3_600_000)
    })
  )
})

describe("MoneriumClient (client credentials)", () => {
  it.effect("the secret goes in the form body, tokens are cached, the partner sees every profile", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const http = yield* MoneriumTestServer.makeClient(server)
      const client = yield* MoneriumClient.make({
        apiUrl: "http://127.0.0.1",
        credentials: MoneriumClient.clientCredentials({
          clientId: partner.clientId,
          clientSecret: Redacted.make(partner.clientSecret)
        })
      }).pipe(Effect.provideService(HttpClient.HttpClient, http))
      assert.strictEqual(client.flow, "ClientCredentials")
      yield* Effect.all([client.authContext, client.listProfiles, client.listOrders()], { concurrency: 3 })
      const profiles = yield* client.listProfiles
      assert.strictEqual(profiles.length, 2)
      const [token] = yield* server.tokenRequests
      assert.strictEqual((yield* server.tokenRequests).length, 1)
      const form = bodyOf(token)
      assert.strictEqual(form.get("grant_type"), "client_credentials")
      assert.strictEqual(form.get("client_id"), partner.clientId)
      assert.strictEqual(form.get("client_secret"), partner.clientSecret)
      assert.isUndefined(token.headers.authorization)
      assert.include(token.headers["content-type"], "application/x-www-form-urlencoded")
      // An hour later a new token is simply requested (no refresh token in this flow).
      yield* TestClock.adjust("61 minutes")
      yield* client.listProfiles
      assert.strictEqual((yield* server.tokenRequests).length, 2)
      const authorize = yield* Effect.flip(client.authorize())
      assert.strictEqual(authorize._tag, "ConfigurationError")
    })
  )

  it.effect("a wrong secret is an AuthenticationError carrying Monerium's 401 body", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const http = yield* MoneriumTestServer.makeClient(server)
      const client = yield* MoneriumClient.make({
        apiUrl: "http://127.0.0.1",
        credentials: MoneriumClient.clientCredentials({
          clientId: partner.clientId,
          clientSecret: Redacted.make("wrong")
        })
      }).pipe(Effect.provideService(HttpClient.HttpClient, http))
      const error = yield* Effect.flip(client.authContext)
      assert.strictEqual(error._tag, "AuthenticationError")
      if (error._tag === "AuthenticationError") assert.strictEqual(error.error, "401 Unauthorized")
    })
  )
})

describe("MoneriumClient configuration", () => {
  const fromEnv = (env: Record<string, string>) =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const http = yield* MoneriumTestServer.makeClient(server)
      return yield* Effect.exit(
        Effect.gen(function* () {
          return yield* MoneriumClient.MoneriumClient
        }).pipe(
          Effect.provide(MoneriumClient.layerConfig()),
          Effect.provide(TokenStore.layerMemory),
          Effect.provide(Layer.succeed(HttpClient.HttpClient, http)),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
        )
      )
    })

  it.effect("layerConfig takes an app's own Config for any option", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const http = yield* MoneriumTestServer.makeClient(server)
      const seen = yield* Effect.gen(function* () {
        const client = yield* MoneriumClient.MoneriumClient
        return { flow: client.flow, apiUrl: client.apiUrl, profiles: (yield* client.listProfiles).length }
      }).pipe(
        Effect.provide(
          MoneriumClient.layerConfig({
            clientId: Config.succeed(partner.clientId),
            clientSecret: Config.succeed(Redacted.make(partner.clientSecret)),
            apiUrl: Config.String("PAY_MONERIUM_URL")
          })
        ),
        Effect.provide(TokenStore.layerMemory),
        Effect.provideService(HttpClient.HttpClient, http),
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { PAY_MONERIUM_URL: "http://127.0.0.1" } })))
      )
      assert.deepStrictEqual(seen, { flow: "ClientCredentials", apiUrl: "http://127.0.0.1", profiles: 2 })
    })
  )

  it.effect("MONERIUM_* variables select the flow, the environment and the URL", () =>
    Effect.gen(function* () {
      const cc = yield* fromEnv({ MONERIUM_CLIENT_ID: "a", MONERIUM_CLIENT_SECRET: "s" })
      assert.isTrue(Exit.isSuccess(cc))
      if (Exit.isSuccess(cc)) {
        assert.strictEqual(cc.value.flow, "ClientCredentials")
        assert.strictEqual(cc.value.environment, "sandbox")
        assert.strictEqual(cc.value.apiUrl, "https://api.monerium.dev")
      }
      const code = yield* fromEnv({
        MONERIUM_CLIENT_ID: "a",
        MONERIUM_REDIRECT_URI: "https://app.example/callback",
        MONERIUM_ENVIRONMENT: "production"
      })
      assert.isTrue(Exit.isSuccess(code))
      if (Exit.isSuccess(code)) {
        assert.strictEqual(code.value.flow, "AuthorizationCode")
        assert.strictEqual(code.value.apiUrl, "https://api.monerium.app")
        const { url } = yield* code.value.authorize({ email: "a@b.c", authMode: "signup" })
        assert.isTrue(url.startsWith("https://api.monerium.app/auth?"))
      }
      const custom = yield* fromEnv({
        MONERIUM_CLIENT_ID: "a",
        MONERIUM_CLIENT_SECRET: "s",
        MONERIUM_API_URL: "http://127.0.0.1:9/"
      })
      if (Exit.isSuccess(custom)) assert.strictEqual(custom.value.apiUrl, "http://127.0.0.1:9")
      for (const env of [
        { MONERIUM_CLIENT_ID: "a" },
        { MONERIUM_CLIENT_SECRET: "s" },
        { MONERIUM_CLIENT_ID: "a", MONERIUM_CLIENT_SECRET: "s", MONERIUM_ENVIRONMENT: "staging" },
        { MONERIUM_CLIENT_ID: "a", MONERIUM_CLIENT_SECRET: "s", MONERIUM_API_URL: "http://monerium.example" }
      ]) {
        const exit = yield* fromEnv(env)
        assert.isTrue(Exit.isFailure(exit), JSON.stringify(env))
        if (Exit.isFailure(exit)) assert.include(String(exit.cause), "ConfigurationError")
      }
    })
  )
})

describe("MoneriumClient over real loopback HTTP", () => {
  it.live("code flow, refresh and API calls against the test server on 127.0.0.1", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const url = yield* MoneriumTestServer.listen(server)
      const client = yield* MoneriumClient.make(codeOptions(url)).pipe(Effect.provide(TokenStore.layerMemory))
      const { url: authorizeUrl, pending } = yield* client.authorize()
      assert.isTrue(authorizeUrl.startsWith(`${url}/auth?`))
      // The consent page is served over HTTP (the browser test clicks it; here the user's choice is simulated).
      const http = yield* HttpClient.HttpClient
      const page = yield* Effect.flatMap(http.get(authorizeUrl), (r) => r.text)
      assert.include(page, 'id="approve"')
      const callback = yield* server.approve(authorizeUrl)
      yield* client.handleCallback(callback, pending)
      const context = yield* client.authContext
      assert.strictEqual(context.email, seed.email)
      const balances = yield* client.getBalances({ chain: "ethereum", address: seed.address, currency: "eur" })
      assert.strictEqual(balances.balances[0].amount, "1234.56")
      // The server expires the token: the next call gets 401, refreshes (rotating) once and replays.
      yield* server.expireAccessTokens
      yield* client.listOrders()
      assert.strictEqual((yield* server.grantsOf("refresh_token")).length, 1)
    }).pipe(
      Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Effect.provide(NodeHttpClient.layerUndici),
      Effect.scoped
    )
  )
})
