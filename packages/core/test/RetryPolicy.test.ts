import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/testing/TestClock"
import * as ApiClient from "../src/ApiClient.ts"
import * as RetryPolicy from "../src/RetryPolicy.ts"
import * as TestServer from "../src/TestServer.ts"

/** An unauthenticated API on the harness that answers 200 unless a fault is queued. */
const setup = (retry?: ApiClient.Options["retry"]) =>
  Effect.gen(function* () {
    const server = yield* TestServer.make((request) =>
      Effect.succeed(TestServer.json({ ok: true, method: request.method }))
    )
    const client = yield* TestServer.makeMemoryClient(server.app)
    const api = ApiClient.make(client, { provider: "retry-test", baseUrl: "http://api.test", retry })
    return { server, api }
  })

/** Runs `effect` in a fiber while moving the TestClock in 100 ms steps; returns its exit. */
const drive = <A, E>(effect: Effect.Effect<A, E>, millis: number) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(Effect.exit(effect))
    for (let t = 0; t < millis; t += 100) yield* TestClock.adjust(100)
    return yield* Fiber.join(fiber)
  })

const times = (server: { requests: Effect.Effect<ReadonlyArray<TestServer.LoggedRequest>> }) =>
  Effect.map(server.requests, (all) => all.map((r) => r.at))

describe("RetryPolicy", () => {
  it.effect("Retry-After in seconds is a floor: the retry never comes earlier", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup()
      yield* server.rateLimitNext(1, "4")
      const exit = yield* drive(api.ok(HttpClientRequest.get("/x")), 10_000)
      assert.strictEqual(exit._tag, "Success")
      assert.lengthOf(yield* server.requests, 2)
      const [first, second] = yield* times(server)
      assert.isAtLeast(second - first, 4_000)
      assert.isAtMost(second - first, 4_100)
    })
  )

  it.effect("Retry-After as an HTTP date is honoured as a floor", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup()
      yield* TestClock.setTime(Date.parse("2026-11-22T10:00:00Z"))
      yield* server.rateLimitNext(1, "Sun, 22 Nov 2026 10:00:06 GMT")
      const exit = yield* drive(api.ok(HttpClientRequest.get("/x")), 10_000)
      assert.strictEqual(exit._tag, "Success")
      assert.lengthOf(yield* server.requests, 2)
      const [first, second] = yield* times(server)
      assert.isAtLeast(second - first, 6_000)
    })
  )

  it.effect("a Retry-After beyond the cap fails at once with a RateLimitedError carrying the delay", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup()
      yield* server.rateLimitNext(1, "120")
      const error = yield* Effect.flip(api.ok(HttpClientRequest.get("/x")))
      assert.strictEqual(error._tag, "RateLimitedError")
      if (error._tag === "RateLimitedError") assert.strictEqual(error.retryAfterMillis, 120_000)
      assert.lengthOf(yield* server.requests, 1)
    })
  )

  it.effect("retries are bounded: 3 attempts in total, then the typed error", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup()
      yield* server.failNext(10, { status: 503 })
      const exit = yield* drive(api.ok(HttpClientRequest.get("/x")), 60_000)
      assert.strictEqual(exit._tag, "Failure")
      assert.lengthOf(yield* server.requests, 3)
      const [a, b, c] = yield* times(server)
      assert.isAtLeast(b - a, 250, "backoff, not a tight loop")
      assert.isAtLeast(c - b, 500, "exponential")
    })
  )

  it.effect("a POST is not retried after a 503", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup()
      yield* server.failNext(1, { status: 503 })
      const error = yield* Effect.flip(api.ok(HttpClientRequest.post("/orders")))
      assert.strictEqual(error._tag, "ApiError")
      assert.lengthOf(yield* server.requests, 1)
    })
  )

  it.effect("a POST with an Idempotency-Key is retried after a 503", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup()
      yield* server.failNext(1, { status: 503 })
      const exit = yield* drive(
        api.ok(HttpClientRequest.post("/orders").pipe(HttpClientRequest.setHeader("Idempotency-Key", "k-1"))),
        5_000
      )
      assert.strictEqual(exit._tag, "Success")
      assert.lengthOf(yield* server.requests, 2)
    })
  )

  it.effect("a POST is retried after a 429 (the server did not process it)", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup()
      yield* server.rateLimitNext(1, "1")
      const exit = yield* drive(api.ok(HttpClientRequest.post("/orders")), 5_000)
      assert.strictEqual(exit._tag, "Success")
      assert.lengthOf(yield* server.requests, 2)
    })
  )

  it.effect("non-transient statuses are not retried", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup()
      yield* server.failNext(1, { status: 400, body: "bad", contentType: "text/plain" })
      const error = yield* Effect.flip(api.ok(HttpClientRequest.get("/x")))
      assert.strictEqual(error._tag, "ApiError")
      if (error._tag === "ApiError") assert.strictEqual(error.detail, "bad")
      assert.lengthOf(yield* server.requests, 1)
    })
  )

  it.effect("configurable: attempts and a provider fallback delay when no Retry-After is sent", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup({ attempts: 2, retryAfterFallback: () => 30_000 })
      yield* server.rateLimitNext(1, undefined)
      const exit = yield* drive(api.ok(HttpClientRequest.get("/x")), 40_000)
      assert.strictEqual(exit._tag, "Success")
      const [first, second] = yield* times(server)
      assert.isAtLeast(second - first, 30_000)
      assert.lengthOf(yield* server.requests, 2)
    })
  )

  it.live("a GET that meets a transport failure is retried (3 attempts), then fails as a TransportError", () =>
    Effect.gen(function* () {
      let attempts = 0
      const counted = (client: HttpClient.HttpClient) =>
        HttpClient.transform(client, (effect) =>
          Effect.andThen(
            Effect.sync(() => attempts++),
            effect
          )
        )
      const api = ApiClient.make(yield* HttpClient.HttpClient, {
        provider: "retry-test",
        baseUrl: "http://127.0.0.1:9",
        retry: { baseDelay: 10 },
        transformClient: counted
      })
      const error = yield* Effect.flip(api.ok(HttpClientRequest.get("/x")))
      assert.strictEqual(error._tag, "TransportError")
      assert.strictEqual(error.path, "/x")
      assert.strictEqual(attempts, 3, "every attempt went through the app's middleware")
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
  )

  it.effect("a Layer replaces the schedule for every provider: Schedule.recurs(0) means exactly one attempt", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup()
      yield* server.failNext(5, { status: 503 })
      const exit = yield* drive(api.ok(HttpClientRequest.get("/x")), 60_000)
      assert.strictEqual(exit._tag, "Failure")
      assert.lengthOf(yield* server.requests, 1)
    }).pipe(Effect.provide(RetryPolicy.layer(Schedule.recurs(0))))
  )

  it.effect("layerFor replaces the schedule of one provider only", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup()
      const other = ApiClient.make(yield* TestServer.makeMemoryClient(server.app), {
        provider: "other",
        baseUrl: "http://api.test"
      })
      yield* server.failNext(20, { status: 503 })
      yield* drive(api.ok(HttpClientRequest.get("/x")), 120_000)
      assert.lengthOf(yield* server.requests, 6, "retry-test: 6 attempts from its own schedule")
      yield* server.clearLog
      yield* drive(other.ok(HttpClientRequest.get("/x")), 120_000)
      assert.lengthOf(yield* server.requests, 3, "other: the default 3 attempts")
    }).pipe(Effect.provide(RetryPolicy.layerFor("retry-test", RetryPolicy.schedule({ attempts: 6, maxDelay: 1_000 }))))
  )

  it.effect("a replaced schedule still never replays a POST after a 503", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup()
      yield* server.failNext(5, { status: 503 })
      const exit = yield* drive(api.ok(HttpClientRequest.post("/orders")), 10_000)
      assert.strictEqual(exit._tag, "Failure")
      assert.lengthOf(yield* server.requests, 1)
    }).pipe(Effect.provide(RetryPolicy.layer(Schedule.spaced("10 millis"))))
  )

  it.effect("a replaced schedule still keeps Retry-After as a floor", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup()
      yield* server.rateLimitNext(1, "3")
      const exit = yield* drive(api.ok(HttpClientRequest.get("/x")), 10_000)
      assert.strictEqual(exit._tag, "Success")
      assert.lengthOf(yield* server.requests, 2)
      const [first, second] = yield* times(server)
      assert.isAtLeast(second - first, 3_000)
    }).pipe(Effect.provide(RetryPolicy.layer(Schedule.spaced("10 millis").pipe(Schedule.upTo({ times: 3 })))))
  )
})

/** A port nothing listens on (yet): listen on 0, note the port, close. */
const freePort = Effect.promise(
  () =>
    new Promise<number>((resolve) => {
      const probe = createServer()
      probe.listen(0, "127.0.0.1", () => {
        const port = (probe.address() as AddressInfo).port
        probe.close(() => resolve(port))
      })
    })
)

/**
 * A plain node server on `port` that counts the requests it received; `reset: true` destroys each connection once
 * the request has arrived (the request reached the server, the answer was lost).
 */
const countingServer = (port: number, reset: boolean) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<{ readonly received: () => number; readonly server: Server }>((resolve) => {
          let received = 0
          const server = createServer((request, response) => {
            request.resume()
            request.on("end", () => {
              received++
              if (reset) request.socket.destroy()
              else response.writeHead(200, { "content-type": "application/json" }).end("{}")
            })
          })
          server.listen(port, "127.0.0.1", () => resolve({ received: () => received, server }))
        })
    ),
    ({ server }) =>
      Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve()))).pipe(
        Effect.tap(() => Effect.sync(() => server.closeAllConnections()))
      )
  )

describe("RetryPolicy: whether a request reached the server", () => {
  it.live("a POST whose connection was refused is sent again (nothing reached the server)", () =>
    Effect.gen(function* () {
      const port = yield* freePort
      const started: Array<{ readonly received: () => number }> = []
      const scope = yield* Effect.scope
      let attempts = 0
      // The app's middleware sees each attempt; after the first one fails (refused), the server comes up.
      const api = ApiClient.make(yield* HttpClient.HttpClient, {
        provider: "retry-test",
        baseUrl: `http://127.0.0.1:${port}`,
        transformClient: (client) =>
          HttpClient.transform(client, (effect) =>
            Effect.tapError(
              Effect.suspend(() => {
                attempts++
                return effect
              }),
              () =>
                started.length > 0
                  ? Effect.void
                  : Effect.map(Scope.provide(countingServer(port, false), scope), (s) => {
                      started.push(s)
                    })
            )
          )
      })
      const response = yield* api.ok(HttpClientRequest.post("/orders").pipe(HttpClientRequest.bodyText("{}")))
      assert.strictEqual(response.status, 200)
      assert.strictEqual(attempts, 2, "the refused attempt, then the one that reached the server")
      assert.strictEqual(started[0]?.received(), 1, "the server received the POST once")
    }).pipe(
      Effect.scoped,
      Effect.provide(RetryPolicy.layer(Schedule.spaced("10 millis").pipe(Schedule.upTo({ times: 2 })))),
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )

  it.live("a POST whose connection was reset after sending is not replayed; a GET is", () =>
    Effect.gen(function* () {
      const port = yield* freePort
      const server = yield* countingServer(port, true)
      const api = ApiClient.make(yield* HttpClient.HttpClient, {
        provider: "retry-test",
        baseUrl: `http://127.0.0.1:${port}`
      })
      const post = yield* Effect.flip(api.ok(HttpClientRequest.post("/orders").pipe(HttpClientRequest.bodyText("{}"))))
      assert.strictEqual(post._tag, "TransportError")
      if (post._tag === "TransportError") {
        assert.strictEqual(post.kind, "reset")
        assert.isTrue(post.mayHaveReachedServer)
      }
      assert.strictEqual(server.received(), 1, "the POST was not replayed")
      yield* Effect.flip(api.ok(HttpClientRequest.get("/orders")))
      assert.strictEqual(server.received(), 4, "the GET: 3 attempts")
    }).pipe(
      Effect.scoped,
      Effect.provide(RetryPolicy.layer(Schedule.spaced("10 millis").pipe(Schedule.upTo({ times: 2 })))),
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )
})

describe("RetryPolicy.retryAfterMillis", () => {
  const now = Date.parse("1994-11-06T08:49:30Z")
  const read = (value: string) => RetryPolicy.retryAfterMillis({ "retry-after": value } as never, now)

  it("reads whole seconds and the three HTTP date formats", () => {
    assert.strictEqual(read("120"), 120_000)
    assert.strictEqual(read(" 0 "), 0)
    assert.strictEqual(read("Sun, 06 Nov 1994 08:49:37 GMT"), 7_000)
    assert.strictEqual(read("Sunday, 06-Nov-94 08:49:37 GMT"), 7_000)
    assert.strictEqual(read("Sun Nov  6 08:49:37 1994"), 7_000)
    // A date in the past asks for no wait.
    assert.strictEqual(read("Sun, 06 Nov 1994 08:49:00 GMT"), 0)
  })

  it("refuses what is neither", () => {
    const refused = [
      "",
      "-1",
      "1.5",
      "soon",
      "Sun, 31 Feb 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 25:49:37 GMT",
      "Sun, 06 Anf 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37"
    ]
    for (const value of refused) {
      assert.isUndefined(read(value), value)
    }
    assert.isUndefined(RetryPolicy.retryAfterMillis({} as never, now))
  })
})
