/**
 * The core request pipeline against real loopback servers that misbehave, with each of the three platform
 * HttpClients an app may provide (undici, fetch, node:http): deadlines, bounded bodies, redirects, header values,
 * transport failures, dot segments. Counts what each server received.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ApiClient, Metrics, NordkitError, OAuth2, RequestLimits, RetryPolicy } from "@nordkit/core"
import * as UndiciClient from "@nordkit/core/UndiciClient"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as HostileServer from "./HostileServer.ts"
import * as Spans from "./Spans.ts"

const platforms: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["layerUndici", NodeHttpClient.layerUndici],
  ["UndiciClient", UndiciClient.layer],
  ["FetchHttpClient", FetchHttpClient.layer],
  ["layerNodeHttp", NodeHttpClient.layerNodeHttp]
]

const TIMEOUT = 300
/** Scheduling slack on a shared 2-core machine. */
const MARGIN = 700

const Thing = Schema.Struct({ id: Schema.String })

const clientFor = (baseUrl: string, limits: RequestLimits.Limits = {}) =>
  Effect.map(HttpClient.HttpClient, (http) =>
    ApiClient.make(http, {
      provider: "fault",
      baseUrl,
      retry: { attempts: 2, baseDelay: 10, maxDelay: 20 },
      limits: { timeout: TIMEOUT, ...limits }
    })
  )

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const start = Date.now()
    const result = yield* Effect.result(effect)
    return { result, millis: Date.now() - start }
  })

const failureOf = <A, E>(result: { _tag: "Success"; success: A } | { _tag: "Failure"; failure: E }): E => {
  if (result._tag === "Success") throw new Error("expected a failure")
  return result.failure
}

for (const [name, platform] of platforms) {
  describe(`ApiClient on ${name}`, () => {
    it.live("a server that never answers: GET fails with TimeoutError(headers) after its retries, in time", () =>
      Effect.gen(function* () {
        const server = yield* HostileServer.make(() => ({ _tag: "Hang" }))
        const api = yield* clientFor(server.url)
        const { result, millis } = yield* timed(api.json(Thing)(HttpClientRequest.get("/things/1")))
        const error = failureOf(result)
        assert.strictEqual(error._tag, "TimeoutError")
        if (error._tag === "TimeoutError") {
          assert.strictEqual(error.phase, "headers")
          assert.strictEqual(error.mayHaveReachedServer, true)
          assert.strictEqual(error.timeoutMillis, TIMEOUT)
        }
        assert.strictEqual(server.count("/things"), 2, "idempotent: retried once (2 attempts)")
        assert.isBelow(millis, 2 * TIMEOUT + 20 + MARGIN)
      }).pipe(Effect.scoped, Effect.provide(platform))
    )

    it.live(
      "deadlines of attempts in flight together: each runs out on time, a long one never delays a short one",
      () =>
        Effect.gen(function* () {
          const server = yield* HostileServer.make(() => ({ _tag: "Hang" }))
          const api = yield* clientFor(server.url)
          const call = (timeout: number) =>
            timed(
              api
                .json(Thing)(HttpClientRequest.get("/things/1"))
                .pipe(RequestLimits.provide({ timeout }), Effect.provide(RetryPolicy.layer(Schedule.recurs(0))))
            )
          // A long deadline armed first, then a short one: the short one still runs out at its own time.
          const long = yield* Effect.forkChild(call(5_000))
          yield* Effect.sleep(20)
          const short = yield* call(200)
          assert.strictEqual(failureOf(short.result)._tag, "TimeoutError")
          assert.isAtLeast(short.millis, 200)
          assert.isBelow(short.millis, 200 + MARGIN)
          assert.isUndefined(long.pollUnsafe(), "the long call is still waiting")
          yield* Fiber.interrupt(long)
          // A short deadline and a longer one together: the longer one is not cut at the short one's time.
          const [first, second] = yield* Effect.all([call(150), call(600)], { concurrency: 2 })
          assert.strictEqual(failureOf(first.result)._tag, "TimeoutError")
          assert.strictEqual(failureOf(second.result)._tag, "TimeoutError")
          assert.isAtLeast(second.millis, 600)
          assert.isBelow(second.millis, 600 + MARGIN)
        }).pipe(Effect.scoped, Effect.provide(platform))
    )

    it.live("a server that never answers: a POST times out once and is not replayed", () =>
      Effect.gen(function* () {
        const server = yield* HostileServer.make(() => ({ _tag: "Hang" }))
        const api = yield* clientFor(server.url)
        const { result, millis } = yield* timed(
          api.json(Thing)(HttpClientRequest.post("/things").pipe(HttpClientRequest.bodyText("{}", "application/json")))
        )
        assert.strictEqual(failureOf(result)._tag, "TimeoutError")
        assert.strictEqual(server.count("/things"), 1)
        assert.isBelow(millis, TIMEOUT + MARGIN)
      }).pipe(Effect.scoped, Effect.provide(platform))
    )

    it.live("headers then a stalled body (announced or chunked): TimeoutError(body), the connection dropped", () =>
      Effect.forEach([1000, undefined], (contentLength) =>
        Effect.gen(function* () {
          const server = yield* HostileServer.make(() =>
            contentLength === undefined ? { _tag: "StallBody" } : { _tag: "StallBody", contentLength }
          )
          const api = yield* clientFor(server.url)
          const { result, millis } = yield* timed(
            api
              .json(Thing)(HttpClientRequest.get("/things/1"))
              .pipe(RequestLimits.provide({ timeout: 200 }))
          )
          const error = failureOf(result)
          assert.strictEqual(error._tag, "TimeoutError")
          if (error._tag === "TimeoutError") {
            assert.strictEqual(error.phase, "body")
            assert.strictEqual(error.timeoutMillis, 200, "the per-call deadline wins over the client's")
          }
          assert.isBelow(millis, 2 * 200 + 20 + MARGIN)
          // The stalled connections were dropped, not left to the server.
          yield* Effect.sleep(50)
          assert.strictEqual(server.openConnections(), 0)
        }).pipe(Effect.scoped)
      ).pipe(Effect.provide(platform))
    )

    it.live("a trickling body (1 byte / 20 ms) runs into the whole-body deadline", () =>
      Effect.gen(function* () {
        const server = yield* HostileServer.make(() => ({
          _tag: "Trickle",
          body: JSON.stringify({ id: "x".repeat(200) }),
          everyMillis: 20
        }))
        const api = yield* clientFor(server.url, { timeout: 250 })
        const { result, millis } = yield* timed(
          api.json(Thing)(HttpClientRequest.post("/things").pipe(HttpClientRequest.bodyText("{}", "application/json")))
        )
        const error = failureOf(result)
        assert.strictEqual(error._tag, "TimeoutError")
        if (error._tag === "TimeoutError") assert.strictEqual(error.phase, "body")
        assert.strictEqual(server.count(), 1)
        assert.isBelow(millis, 250 + MARGIN)
      }).pipe(Effect.scoped, Effect.provide(platform))
    )

    it.live("a 200 MB body (announced or chunked) is refused at the cap with ResponseTooLargeError", () =>
      Effect.gen(function* () {
        for (const chunked of [false, true]) {
          const server = yield* HostileServer.make(() => ({
            _tag: "Huge",
            status: 200,
            bytes: 200 * 1024 * 1024,
            chunked
          }))
          const api = yield* clientFor(server.url, { maxBodyBytes: 1024 * 1024, timeout: 5_000 })
          const { result, millis } = yield* timed(api.json(Thing)(HttpClientRequest.get("/big")))
          const error = failureOf(result)
          assert.strictEqual(error._tag, "ResponseTooLargeError", `chunked=${chunked}`)
          if (error._tag === "ResponseTooLargeError") {
            assert.strictEqual(error.limitBytes, 1024 * 1024)
            assert.strictEqual(error.contentLength, chunked ? undefined : 200 * 1024 * 1024)
          }
          assert.strictEqual(server.count(), 1, "not retried")
          assert.isBelow(millis, 2_000)
          yield* Effect.sleep(50)
          assert.strictEqual(server.openConnections(), 0, "the rest of the body is not read")
        }
      }).pipe(Effect.scoped, Effect.provide(platform))
    )

    it.live("an error body over the cap is a ResponseTooLargeError too (never buffered whole)", () =>
      Effect.gen(function* () {
        const server = yield* HostileServer.make(() => ({
          _tag: "Huge",
          status: 500,
          bytes: 50 * 1024 * 1024,
          chunked: true
        }))
        const api = yield* clientFor(server.url, { maxBodyBytes: 64 * 1024, timeout: 5_000 })
        const error = failureOf((yield* timed(api.ok(HttpClientRequest.post("/x")))).result)
        assert.strictEqual(error._tag, "ResponseTooLargeError")
      }).pipe(Effect.scoped, Effect.provide(platform))
    )

    it.live("downloads have their own cap (ApiClient.bytes)", () =>
      Effect.gen(function* () {
        const server = yield* HostileServer.make(() => ({ _tag: "Huge", status: 200, bytes: 3 * 1024 * 1024 }))
        const small = yield* clientFor(server.url, { maxBodyBytes: 1024, maxDownloadBytes: 4 * 1024 * 1024 })
        const bytes = yield* small
          .bytes(HttpClientRequest.get("/invoice.pdf"))
          .pipe(RequestLimits.provide({ timeout: 5_000 }))
        assert.strictEqual(bytes.byteLength, 3 * 1024 * 1024)
        const tooSmall = yield* clientFor(server.url, { maxDownloadBytes: 1024 * 1024, timeout: 5_000 })
        const error = yield* Effect.flip(tooSmall.bytes(HttpClientRequest.get("/invoice.pdf")))
        assert.strictEqual(error._tag, "ResponseTooLargeError")
      }).pipe(Effect.scoped, Effect.provide(platform))
    )

    it.live("a redirect to another origin is refused: typed ApiError, 0 requests at the other origin", () =>
      Effect.gen(function* () {
        const other = yield* HostileServer.make(() => ({ _tag: "Json", status: 200, body: { id: "stolen" } }))
        for (const status of [301, 302, 303, 307, 308]) {
          const server = yield* HostileServer.make(() => ({
            _tag: "Redirect",
            status,
            location: `${other.url}/collect`
          }))
          const api = yield* clientFor(server.url)
          const error = yield* Effect.flip(
            api.json(Thing)(
              HttpClientRequest.post("/token").pipe(HttpClientRequest.bodyText("client_secret=s3cr3t-value"))
            )
          )
          assert.strictEqual(error._tag, "ApiError")
          if (error._tag === "ApiError") {
            assert.strictEqual(error.code, "redirect_refused")
            assert.strictEqual(error.status, status)
          }
          assert.strictEqual(server.count(), 1)
        }
        assert.strictEqual(other.count(), 0)
      }).pipe(Effect.scoped, Effect.provide(platform))
    )

    it.live("a header value with CR/LF, NUL or non-Latin-1 is an InvalidRequestError, nothing sent, no defect", () =>
      Effect.gen(function* () {
        const server = yield* HostileServer.make(() => ({ _tag: "Json", status: 200, body: { id: "1" } }))
        const api = yield* clientFor(server.url)
        for (const value of ["a\r\nX-Injected: 1", "a\u0000b", "naïve ✓"]) {
          const exit = yield* Effect.exit(
            api.json(Thing)(HttpClientRequest.get("/things/1").pipe(HttpClientRequest.setHeader("x-system", value)))
          )
          assert.strictEqual(exit._tag, "Failure")
          if (exit._tag === "Failure") {
            const reason = exit.cause.reasons[0]
            assert.strictEqual(reason?._tag, "Fail", "a typed failure, never a defect")
            if (reason?._tag === "Fail")
              assert.strictEqual((reason.error as { _tag: string })._tag, "InvalidRequestError")
          }
        }
        assert.strictEqual(server.count(), 0)
      }).pipe(Effect.scoped, Effect.provide(platform))
    )

    it.live("dot segments left in a path are refused before sending", () =>
      Effect.gen(function* () {
        const server = yield* HostileServer.make(() => ({ _tag: "Json", status: 200, body: { id: "1" } }))
        const api = yield* clientFor(`${server.url}/v1`)
        for (const path of ["/transactions/../void", "/transactions/./x", "/transactions/%2e%2e", "/.."]) {
          const error = yield* Effect.flip(api.json(Thing)(HttpClientRequest.post(path)))
          assert.strictEqual(error._tag, "InvalidRequestError", path)
        }
        assert.strictEqual(server.count(), 0)
      }).pipe(Effect.scoped, Effect.provide(platform))
    )

    it.live("https to a server that does not speak TLS is TransportError(tls) that did not reach the server", () =>
      Effect.gen(function* () {
        const server = yield* HostileServer.make(() => ({ _tag: "Json", status: 200, body: { id: "1" } }))
        const api = yield* clientFor(server.url.replace("http://", "https://"))
        const error = yield* Effect.flip(api.ok(HttpClientRequest.post("/x")))
        assert.strictEqual(error._tag, "TransportError")
        if (error._tag === "TransportError") {
          assert.strictEqual(error.kind, "tls", error.detail)
          assert.strictEqual(error.mayHaveReachedServer, false)
        }
        assert.strictEqual(server.count(), 0)
      }).pipe(Effect.scoped, Effect.provide(platform))
    )

    it.live("a refused connection is TransportError(refused) that did not reach the server; a reset may have", () =>
      Effect.gen(function* () {
        const closed = yield* Effect.scoped(
          Effect.map(
            HostileServer.make(() => ({ _tag: "Hang" })),
            (s) => s.url
          )
        )
        const api = yield* clientFor(closed)
        const refused = yield* Effect.flip(api.ok(HttpClientRequest.post("/x")))
        assert.strictEqual(refused._tag, "TransportError")
        if (refused._tag === "TransportError") {
          assert.strictEqual(refused.kind, "refused")
          assert.strictEqual(refused.mayHaveReachedServer, false)
          assert.include(refused.message, "did not reach the server")
        }
        const server = yield* HostileServer.make(() => ({ _tag: "Reset" }))
        const resetting = yield* clientFor(server.url)
        const reset = yield* Effect.flip(resetting.ok(HttpClientRequest.post("/x")))
        assert.strictEqual(reset._tag, "TransportError")
        if (reset._tag === "TransportError") {
          assert.notStrictEqual(reset.kind, "refused")
          assert.strictEqual(reset.mayHaveReachedServer, true)
        }
        assert.strictEqual(server.count(), 1, "a POST that may have reached the server is not replayed")
      }).pipe(Effect.scoped, Effect.provide(platform))
    )
  })
}

const countOf = (counter: Metric.Metric<number, unknown>, provider: string) =>
  Effect.map(Metric.value(Metric.withAttributes(counter, { provider })), (state) =>
    Number((state as { count: number }).count)
  )

describe("Metrics", () => {
  it.live(
    "per-provider counters for attempts, retries, timeouts, redirects refused, bodies over the cap; the attempt on each span",
    () =>
      Effect.gen(function* () {
        const spans = Spans.make()
        const hang = yield* HostileServer.make(() => ({ _tag: "Hang" }))
        const api = ApiClient.make(yield* HttpClient.HttpClient, {
          provider: "metrics-a",
          baseUrl: hang.url,
          retry: { attempts: 3, baseDelay: 5, maxDelay: 10 },
          limits: { timeout: 100 }
        })
        yield* Effect.exit(spans.provide(api.ok(HttpClientRequest.get("/x"))))
        assert.strictEqual(yield* countOf(Metrics.attempts, "metrics-a"), 3)
        assert.strictEqual(yield* countOf(Metrics.retries, "metrics-a"), 2)
        assert.strictEqual(yield* countOf(Metrics.timeouts, "metrics-a"), 3)
        const attempts = spans.spans
          .filter((span) => span.kind === "client")
          .map((span) => span.attributes.get("nordkit.attempt"))
        assert.deepStrictEqual(attempts, [1, 2, 3])

        const redirect = yield* HostileServer.make(() => ({
          _tag: "Redirect",
          status: 307,
          location: "https://x.test/"
        }))
        const big = yield* HostileServer.make(() => ({ _tag: "Huge", status: 200, bytes: 1024 * 1024 }))
        for (const [url, counter] of [
          [redirect.url, Metrics.redirectsRefused],
          [big.url, Metrics.bodiesOverCap]
        ] as const) {
          const client = ApiClient.make(yield* HttpClient.HttpClient, {
            provider: "metrics-b",
            baseUrl: url,
            limits: { maxBodyBytes: 1024 }
          })
          yield* Effect.exit(client.ok(HttpClientRequest.get("/x")))
          assert.strictEqual(yield* countOf(counter, "metrics-b"), 1)
        }
        assert.strictEqual(yield* countOf(Metrics.timeouts, "metrics-b"), 0)

        const denied = yield* HostileServer.make(() => ({
          _tag: "Json",
          status: 401,
          body: { error: "invalid_client" }
        }))
        const tokens = yield* OAuth2.makeTokenProvider({
          provider: "metrics-c",
          endpoint: `${denied.url}/token`,
          grantType: "client_credentials",
          client: { _tag: "Basic", clientId: "id", clientSecret: Redacted.make("secret-1") }
        })
        yield* Effect.exit(tokens.get)
        yield* Effect.exit(tokens.get)
        assert.strictEqual(yield* countOf(Metrics.tokenRequests, "metrics-c"), 2)
        assert.strictEqual(yield* countOf(Metrics.tokenFailures, "metrics-c"), 2)
      }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )
})

describe("RequestLimits layers", () => {
  it.live("a layer for all providers and one for a single provider; the per-call limit wins over both", () =>
    Effect.gen(function* () {
      const server = yield* HostileServer.make(() => ({ _tag: "Hang" }))
      const http = yield* HttpClient.HttpClient
      const client = (provider: string) =>
        ApiClient.make(http, { provider, baseUrl: server.url, retry: { attempts: 1 } })
      const timeoutOf = (effect: Effect.Effect<unknown, { readonly _tag: string }>) =>
        Effect.map(Effect.flip(effect), (error) => (error as NordkitError.TimeoutError).timeoutMillis)
      assert.strictEqual(yield* timeoutOf(client("lim-a").ok(HttpClientRequest.get("/a"))), 150)
      assert.strictEqual(yield* timeoutOf(client("lim-b").ok(HttpClientRequest.get("/b"))), 250)
      assert.strictEqual(
        yield* timeoutOf(
          client("lim-a")
            .ok(HttpClientRequest.get("/a"))
            .pipe(RequestLimits.provide({ timeout: 100 }))
        ),
        100
      )
    }).pipe(
      Effect.provide(RequestLimits.layerFor("lim-a", { timeout: 150 })),
      Effect.provide(RequestLimits.layer({ timeout: 250 })),
      Effect.scoped,
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )
})

describe("ApiClient.validateHeaders", () => {
  it.effect(
    "configured header values with CR/LF, NUL or non-Latin-1 are a ConfigurationError that does not echo them",
    () =>
      Effect.gen(function* () {
        for (const value of ["sys\r\nX-Evil: 1", "a\u0000", "✓ naïve", "tab\tok?\n"]) {
          const error = yield* Effect.flip(ApiClient.validateHeaders("p", { "x-system-name": value }))
          assert.strictEqual(error._tag, "ConfigurationError")
          assert.notInclude(error.message, value)
          assert.include(error.message, "x-system-name")
        }
        yield* ApiClient.validateHeaders("p", { "x-system-name": "shop 1.0 (æøå)", "x-empty": undefined })
      })
  )
})

describe("TimeoutError", () => {
  it("is part of the error family and says the phase", () => {
    const error = new NordkitError.TimeoutError({
      provider: "p",
      method: "GET",
      path: "/x",
      phase: "body",
      timeoutMillis: 5,
      mayHaveReachedServer: true
    })
    assert.include(error.message, "no complete body within 5 ms")
  })
})

describe("a token endpoint that never answers its first request", () => {
  it.live(
    "the waiting callers fail with TimeoutError(token) at the acquisition deadline; the next caller gets a token",
    () =>
      Effect.gen(function* () {
        let tokenRequests = 0
        const server = yield* HostileServer.make((request) => {
          if (!request.url.startsWith("/token")) return { _tag: "Json", status: 200, body: { id: "1" } }
          return tokenRequests++ === 0
            ? { _tag: "Hang" }
            : { _tag: "Json", status: 200, body: { access_token: "at-fresh", expires_in: 3600 } }
        })
        const tokens = yield* OAuth2.makeTokenProvider(
          {
            provider: "hung",
            endpoint: `${server.url}/token`,
            grantType: "client_credentials",
            client: { _tag: "Basic", clientId: "id", clientSecret: Redacted.make("secret-1") },
            // The request deadline is longer than the acquisition's: the acquisition deadline is what fires.
            limits: { timeout: 10_000 }
          },
          { acquireTimeout: 300 }
        )
        const start = Date.now()
        const waiters = yield* Effect.all([Effect.flip(tokens.get), Effect.flip(tokens.get), Effect.flip(tokens.get)], {
          concurrency: "unbounded"
        })
        const waited = Date.now() - start
        for (const error of waiters) {
          assert.strictEqual(error._tag, "TimeoutError")
          if (error._tag === "TimeoutError") assert.strictEqual(error.phase, "token")
        }
        assert.isBelow(waited, 300 + MARGIN)
        const token = yield* tokens.get
        assert.strictEqual(Redacted.value(token.value), "at-fresh")
        assert.strictEqual(tokenRequests, 2, "one hung request shared by the waiters, one fresh acquisition")
      }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )
})
