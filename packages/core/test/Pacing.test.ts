import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as RateLimiter from "effect/persistence/RateLimiter"
import * as TestClock from "effect/testing/TestClock"
import * as Pacing from "../src/Pacing.ts"
import * as TestServer from "../src/TestServer.ts"

const ok: TestServer.Handler = (request) => Effect.succeed(TestServer.json({ path: request.path }))

const arrivals = (log: ReadonlyArray<TestServer.LoggedRequest>, path: string) =>
  log.filter((r) => r.path === path).map((r) => r.at)

describe("Pacing", () => {
  it.effect("a burst of 25 with 10 per second is admitted 10 at 0 s, 10 at 1 s, 5 at 2 s", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make(ok)
      const pace = yield* Pacing.make({ key: "k", limit: 10, window: "1 second" })
      const client = pace(yield* TestServer.makeMemoryClient(server.app))
      const fiber = yield* Effect.forkChild(
        Effect.forEach(Array.from({ length: 25 }), () => client.execute(HttpClientRequest.get("http://m.test/a")), {
          concurrency: "unbounded"
        })
      )
      yield* TestClock.adjust("5 seconds")
      const responses = yield* Fiber.join(fiber)
      assert.isTrue(responses.every((r) => r.status === 200))
      const times = arrivals(yield* server.requests, "/a")
      const count = (t: number) => times.filter((x) => x === t).length
      assert.deepStrictEqual([count(0), count(1000), count(2000)], [10, 10, 5])
    })
  )

  it.effect("keys are paced independently: one key's burst does not delay another key", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make(ok)
      const pace = yield* Pacing.make({
        key: (request) => new URL(request.url).pathname,
        limit: 2,
        window: "1 minute"
      })
      const client = pace(yield* TestServer.makeMemoryClient(server.app))
      const fiber = yield* Effect.forkChild(
        Effect.forEach(
          ["/a", "/a", "/a", "/b", "/b"],
          (path) => client.execute(HttpClientRequest.get(`http://m.test${path}`)),
          { concurrency: "unbounded" }
        )
      )
      yield* TestClock.adjust("2 minutes")
      yield* Fiber.join(fiber)
      const log = yield* server.requests
      assert.deepStrictEqual(arrivals(log, "/b"), [0, 0])
      assert.deepStrictEqual(arrivals(log, "/a"), [0, 0, 60_000])
    })
  )

  it.effect("two pacers sharing one limiter share the quota of a key", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make(ok)
      const limiter = yield* Pacing.memoryLimiter
      const memory = yield* TestServer.makeMemoryClient(server.app)
      const first = (yield* Pacing.make({ key: "shared", limit: 1, window: "10 seconds", limiter }))(memory)
      const second = (yield* Pacing.make({ key: "shared", limit: 1, window: "10 seconds", limiter }))(memory)
      const fiber = yield* Effect.forkChild(
        Effect.all([first.get("http://m.test/a"), second.get("http://m.test/a")], { concurrency: "unbounded" })
      )
      yield* TestClock.adjust("20 seconds")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(arrivals(yield* server.requests, "/a"), [0, 10_000])
    })
  )

  it.effect(
    "the RateLimiterStore is a Layer swap: pacers built on the provided store use it and share its quota",
    () => {
      let consulted = 0
      const countingStore = Layer.effect(
        RateLimiter.RateLimiterStore,
        Effect.map(Effect.service(RateLimiter.RateLimiterStore), (store) =>
          RateLimiter.RateLimiterStore.of({
            ...store,
            fixedWindow: (options) =>
              Effect.andThen(
                Effect.sync(() => consulted++),
                store.fixedWindow(options)
              )
          })
        )
      ).pipe(Layer.provide(RateLimiter.layerStoreMemory))
      return Effect.gen(function* () {
        const server = yield* TestServer.make(ok)
        const memory = yield* TestServer.makeMemoryClient(server.app)
        const first = (yield* Pacing.make({ key: "shared", limit: 1, window: "10 seconds" }))(memory)
        const second = (yield* Pacing.make({ key: "shared", limit: 1, window: "10 seconds" }))(memory)
        const fiber = yield* Effect.forkChild(
          Effect.all([first.get("http://m.test/a"), second.get("http://m.test/a")], { concurrency: "unbounded" })
        )
        yield* TestClock.adjust("20 seconds")
        yield* Fiber.join(fiber)
        assert.deepStrictEqual(arrivals(yield* server.requests, "/a"), [0, 10_000])
        assert.strictEqual(consulted, 2, "every admission went through the provided store")
      }).pipe(Effect.provide(countingStore))
    }
  )

  it.effect("without a store in context each pacer has its own in-memory quota", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make(ok)
      const memory = yield* TestServer.makeMemoryClient(server.app)
      const first = (yield* Pacing.make({ key: "shared", limit: 1, window: "10 seconds" }))(memory)
      const second = (yield* Pacing.make({ key: "shared", limit: 1, window: "10 seconds" }))(memory)
      yield* Effect.all([first.get("http://m.test/a"), second.get("http://m.test/a")], { concurrency: "unbounded" })
      assert.deepStrictEqual(arrivals(yield* server.requests, "/a"), [0, 0])
    })
  )
})
