import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/testing/TestClock"
import * as AccessToken from "../src/AccessToken.ts"
import * as ApiClient from "../src/ApiClient.ts"
import { ApiError } from "../src/NordkitError.ts"
import * as OAuth2 from "../src/OAuth2.ts"
import * as RetryPolicy from "../src/RetryPolicy.ts"
import * as TestServer from "../src/TestServer.ts"
import * as TokenProvider from "../src/TokenProvider.ts"
import * as OAuthServer from "./fixtures/OAuthServer.ts"

const tokenRequest = (endpoint = "http://auth.test/oauth/token"): OAuth2.TokenRequest => ({
  provider: "core-test",
  endpoint,
  grantType: "client_credentials",
  client: { _tag: "Basic", clientId: OAuthServer.CLIENT_ID, clientSecret: Redacted.make(OAuthServer.CLIENT_SECRET) }
})

/** A token server in memory, and a token provider talking to it. */
const setup = (serverOptions?: OAuthServer.Options, providerOptions?: Parameters<typeof OAuth2.makeTokenProvider>[1]) =>
  Effect.gen(function* () {
    const server = yield* OAuthServer.make(serverOptions)
    const client = yield* TestServer.makeMemoryClient(server.app)
    const tokens = yield* OAuth2.makeTokenProvider(tokenRequest(), providerOptions).pipe(
      Effect.provideService(HttpClient.HttpClient, client)
    )
    return { server, client, tokens }
  })

/** A provider whose acquisitions are counted and controlled by the test. */
const controlled = (lifetimeSeconds = 3600) =>
  Effect.gen(function* () {
    let calls = 0
    let fail = false
    const gate = { current: undefined as Deferred.Deferred<void> | undefined }
    const tokens = yield* TokenProvider.make({
      acquire: () =>
        Effect.gen(function* () {
          calls++
          if (gate.current !== undefined) yield* Deferred.await(gate.current)
          if (fail) return yield* new ApiError({ provider: "t", method: "POST", path: "/token", status: 503 })
          const now = yield* Effect.clockWith((c) => Effect.succeed(c.currentTimeMillisUnsafe()))
          return AccessToken.make({ value: `token-${calls}`, issuedAt: now, expiresInSeconds: lifetimeSeconds })
        })
    })
    return {
      tokens,
      calls: () => calls,
      setFail: (value: boolean) => {
        fail = value
      },
      gate
    }
  })

describe("TokenProvider", () => {
  it.effect("1,000 concurrent callers on a cold cache cause exactly 1 token request", () =>
    Effect.gen(function* () {
      const { server, tokens } = yield* setup()
      const results = yield* Effect.all(
        Array.from({ length: 1000 }, () => tokens.get),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(yield* server.tokenRequests, 1)
      const values = new Set(results.map((t) => Redacted.value(t.value)))
      assert.strictEqual(values.size, 1)
    })
  )

  it.effect("a fresh token is served from memory without I/O", () =>
    Effect.gen(function* () {
      const { server, tokens } = yield* setup()
      yield* tokens.get
      for (let i = 0; i < 100; i++) yield* tokens.get
      yield* TestClock.adjust("30 minutes")
      yield* tokens.get
      assert.strictEqual(yield* server.tokenRequests, 1)
    })
  )

  it.effect("expiry counts from when the request was sent, and expires_in may be a numeric string", () =>
    Effect.gen(function* () {
      const { server, tokens } = yield* setup({ expiresIn: "600" })
      yield* TestClock.adjust(1_000)
      yield* server.setLatency(2_000)
      const fiber = yield* Effect.forkChild(tokens.get)
      yield* TestClock.adjust(2_000)
      const token = yield* Fiber.join(fiber)
      assert.strictEqual(token.issuedAt, 1_000)
      assert.strictEqual(token.expiresAt, 1_000 + 600_000)
    })
  )

  it.effect("extra fields of the token response are kept", () =>
    Effect.gen(function* () {
      const { tokens } = yield* setup({ extra: { profile: "p-1", userId: "u-9" } })
      const token = yield* tokens.get
      assert.deepStrictEqual(token.extra, { profile: "p-1", userId: "u-9" })
    })
  )

  it.effect("1,000 callers inside the refresh window get the current token without waiting and cause 1 request", () =>
    Effect.gen(function* () {
      const { server, tokens } = yield* setup({ expiresIn: 3600 })
      const first = yield* tokens.get
      // Default window: the last 5 minutes (before the 5 s skew).
      yield* TestClock.adjust("56 minutes")
      yield* server.setLatency(10_000) // the refresh is slow: nobody may wait for it
      const results = yield* Effect.all(
        Array.from({ length: 1000 }, () => tokens.get),
        { concurrency: "unbounded" }
      )
      assert.isTrue(results.every((t) => AccessToken.sameValue(t, first)))
      yield* TestClock.adjust(10_000)
      assert.strictEqual(yield* server.tokenRequests, 2)
      const refreshed = yield* tokens.get
      assert.isFalse(AccessToken.sameValue(refreshed, first))
      assert.strictEqual(yield* server.tokenRequests, 2)
    })
  )

  it.effect(
    "a token endpoint outage in the refresh window causes 0 failed calls until hard expiry, with backoff ≥ 1 s",
    () =>
      Effect.gen(function* () {
        const { server, tokens } = yield* setup({ expiresIn: 3600 })
        yield* tokens.get
        yield* TestClock.adjust("55 minutes")
        yield* server.failNext(1_000_000, { status: 503, pathIncludes: "/oauth/token" })
        let failures = 0
        // One call per second across the whole window until 1 s before hard expiry (3600 s - 5 s skew).
        for (let second = 0; second < 294; second++) {
          const exit = yield* Effect.exit(tokens.get)
          if (Exit.isFailure(exit)) failures++
          yield* TestClock.adjust(1_000)
        }
        assert.strictEqual(failures, 0)
        const attempts = (yield* server.requests).filter((r) => r.path === "/oauth/token").slice(1)
        assert.isAbove(attempts.length, 1)
        // One request per background attempt (the token request's own retry is switched off below), so the gaps
        // between requests are the gaps between background attempts: each at least 1 s.
        const starts = attempts.map((r) => r.at)
        assert.isBelow(attempts.length, 300, "no tight loop")
        for (let i = 1; i < starts.length; i++) assert.isAtLeast(starts[i] - starts[i - 1], 1_000)
        // After hard expiry, callers see the failure (and it is not cached).
        yield* TestClock.adjust("10 minutes")
        const fiber = yield* Effect.forkChild(Effect.exit(tokens.get))
        yield* TestClock.adjust("1 minute")
        assert.isTrue(Exit.isFailure(yield* Fiber.join(fiber)))
      }).pipe(Effect.provide(RetryPolicy.layer(Schedule.recurs(0))))
  )

  it.effect("a token request that never answers: waiters fail with TimeoutError, the next caller gets a token", () =>
    Effect.gen(function* () {
      const { server, tokens } = yield* setup(undefined, { acquireTimeout: "10 seconds" })
      yield* server.hangNext(1, { pathIncludes: "/oauth/token" })
      const waiters = yield* Effect.forEach(Array.from({ length: 20 }), () => Effect.forkChild(Effect.flip(tokens.get)))
      yield* TestClock.adjust("10 seconds")
      const errors = yield* Effect.forEach(waiters, Fiber.join)
      assert.isTrue(errors.every((e) => e._tag === "TimeoutError" && e.phase === "token"))
      const first = errors[0]
      if (first._tag === "TimeoutError") {
        assert.strictEqual(first.provider, "core-test")
        assert.strictEqual(first.path, "/oauth/token")
      }
      // The next caller starts a fresh acquisition, which the (now normal) endpoint answers.
      const token = yield* tokens.get
      assert.isTrue(Redacted.value(token.value).startsWith("CANARY-access"))
      assert.strictEqual(yield* server.tokenRequests, 2)
      assert.strictEqual(yield* tokens.acquisitions, 2)
    }).pipe(Effect.provide(RetryPolicy.layer(Schedule.recurs(0))))
  )

  it.effect("a failed acquisition is not cached: the next call tries again", () =>
    Effect.gen(function* () {
      const { server, tokens } = yield* setup()
      yield* server.failNext(3, { status: 503, pathIncludes: "/oauth/token" })
      const fiber = yield* Effect.forkChild(Effect.exit(tokens.get))
      yield* TestClock.adjust("1 minute")
      const first = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(first))
      const second = yield* tokens.get
      assert.isTrue(Redacted.value(second.value).length > 0)
      assert.strictEqual(yield* server.tokenRequests, 4)
    })
  )

  it.effect("invalidate(token) clears only the token it names", () =>
    Effect.gen(function* () {
      const t = yield* controlled()
      const first = yield* t.tokens.get
      yield* t.tokens.invalidate(first)
      const second = yield* t.tokens.get
      assert.strictEqual(t.calls(), 2)
      yield* t.tokens.invalidate(first) // stale: must not drop `second`
      const third = yield* t.tokens.get
      assert.isTrue(AccessToken.sameValue(second, third))
      assert.strictEqual(t.calls(), 2)
    })
  )

  it.effect("interrupting k of N waiters leaves N−k successes and no extra request", () =>
    Effect.gen(function* () {
      const t = yield* controlled()
      t.gate.current = yield* Deferred.make<void>()
      const fibers = yield* Effect.forEach(Array.from({ length: 100 }), () => Effect.forkChild(t.tokens.get))
      yield* Effect.yieldNow
      yield* Effect.forEach(fibers.slice(0, 30), Fiber.interrupt)
      yield* Deferred.succeed(t.gate.current, undefined)
      const exits = yield* Effect.forEach(fibers, Fiber.await)
      assert.strictEqual(exits.filter(Exit.isSuccess).length, 70)
      assert.strictEqual(exits.filter(Exit.hasInterrupts).length, 30)
      assert.strictEqual(t.calls(), 1)
    })
  )

  it.live("over real loopback HTTP (undici): a hung first token request, then the next caller gets a token", () =>
    Effect.gen(function* () {
      const server = yield* OAuthServer.make()
      const url = yield* TestServer.listen(server.app)
      yield* server.hangNext(1, { pathIncludes: "/oauth/token" })
      const tokens = yield* OAuth2.makeTokenProvider(tokenRequest(`${url}/oauth/token`), { acquireTimeout: 300 })
      const started = Date.now()
      const error = yield* Effect.flip(tokens.get)
      const waited = Date.now() - started
      assert.strictEqual(error._tag, "TimeoutError")
      assert.isAtLeast(waited, 290)
      assert.isBelow(waited, 2_000, "the deadline, plus a small margin")
      const token = yield* tokens.get
      assert.isTrue(Redacted.value(token.value).startsWith("CANARY-access"))
      assert.deepStrictEqual(
        (yield* server.requests).map((r) => r.status),
        [0, 200],
        "one hung request, one answered"
      )
      yield* server.reset // lets the hung request end, so the server can close
    }).pipe(
      Effect.scoped,
      Effect.provide(RetryPolicy.layer(Schedule.recurs(0))),
      Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )

  it.effect("failed background refreshes are retried with jittered backoff, at least 1 s apart", () =>
    Effect.gen(function* () {
      const starts: Array<number> = []
      let fail = true
      const tokens = yield* TokenProvider.make({
        acquire: () =>
          Effect.gen(function* () {
            const now = yield* Effect.clockWith((c) => Effect.succeed(c.currentTimeMillisUnsafe()))
            starts.push(now)
            if (fail && starts.length > 1) {
              return yield* new ApiError({ provider: "t", method: "POST", path: "/token", status: 503 })
            }
            return AccessToken.make({ value: `t-${starts.length}`, issuedAt: now, expiresInSeconds: 600 })
          })
      })
      const first = yield* tokens.get
      yield* TestClock.adjust("5 minutes") // enter the refresh window (half of 10 min)
      // Callers hammer the provider every 10 ms for 2 minutes while the endpoint is down.
      for (let i = 0; i < 12_000; i++) {
        const token = yield* tokens.get
        assert.isTrue(AccessToken.sameValue(token, first))
        yield* TestClock.adjust(10)
      }
      const gaps = starts.slice(1).map((t, i) => (i === 0 ? Number.POSITIVE_INFINITY : t - starts[i]))
      assert.isAbove(starts.length, 3)
      assert.isBelow(starts.length, 20, "no tight loop: 2 minutes of failures cost a handful of attempts")
      for (const gap of gaps.slice(1)) assert.isAtLeast(gap, 1_000)
      assert.isAbove(new Set(gaps.slice(2)).size, 1, "delays are jittered")
      fail = false
      yield* TestClock.adjust("1 minute")
      assert.isFalse(AccessToken.sameValue(yield* tokens.get, first), "recovered once the endpoint is back")
    })
  )

  it.effect("a background refresh failure keeps the current token", () =>
    Effect.gen(function* () {
      const t = yield* controlled(600)
      const first = yield* t.tokens.get
      t.setFail(true)
      yield* TestClock.adjust("5 minutes")
      const again = yield* t.tokens.get
      assert.isTrue(AccessToken.sameValue(first, again))
      yield* TestClock.adjust(2_000)
      assert.isTrue(Option.isSome(yield* t.tokens.current))
    })
  )
})

describe("ApiClient.bearer", () => {
  it.effect("N concurrent 401s with the same token cause 1 refresh, and each request is replayed at most once", () =>
    Effect.gen(function* () {
      const { server, client, tokens } = yield* setup()
      const api = ApiClient.make(client, { provider: "core-test", baseUrl: "http://auth.test", tokens })
      const first = yield* tokens.get
      yield* server.tokens.revoke({ token: Redacted.value(first.value) })
      yield* server.clearLog
      const results = yield* Effect.all(
        Array.from({ length: 50 }, (_, i) => api.json(Schema_ok)(HttpClientRequestGet(`/api/item/${i}`))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.length, 50)
      assert.strictEqual(yield* server.tokenRequests, 1)
      const perPath = new Map<string, number>()
      for (const r of yield* server.apiRequests) perPath.set(r.path, (perPath.get(r.path) ?? 0) + 1)
      assert.isTrue([...perPath.values()].every((n) => n <= 2))
    })
  )

  it.effect("a second 401 is a typed authentication error, not a loop", () =>
    Effect.gen(function* () {
      const { server, client, tokens } = yield* setup()
      const api = ApiClient.make(client, { provider: "core-test", baseUrl: "http://auth.test", tokens })
      // Every token the server issues is dead on arrival.
      yield* server.failNext(1000, {
        status: 401,
        pathIncludes: "/api/",
        body: '{"message":"nope"}',
        contentType: "application/json"
      })
      const error = yield* Effect.flip(api.json(Schema_ok)(HttpClientRequestGet("/api/x")))
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual((yield* server.apiRequests).length, 2)
      assert.strictEqual(yield* server.tokenRequests, 2)
    })
  )
})

import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Schema from "effect/Schema"

const Schema_ok = Schema.Struct({ ok: Schema.Boolean })
const HttpClientRequestGet = (url: string) => HttpClientRequest.get(url)
