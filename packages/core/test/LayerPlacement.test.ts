import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as ApiClient from "../src/ApiClient.ts"
import * as RequestLimits from "../src/RequestLimits.ts"
import * as RetryPolicy from "../src/RetryPolicy.ts"
import * as TestServer from "../src/TestServer.ts"

/**
 * Where a `RetryPolicy` / `RequestLimits` layer is provided: to the client's own layer (it must reach the client's
 * API calls, not only its token requests) or to the program (read per request). Real HTTP over loopback; the
 * server counts the attempts it received.
 */

class Api extends Context.Service<Api, ApiClient.ApiClient>()("test/LayerPlacement/Api") {}
class BaseUrl extends Context.Service<BaseUrl, string>()("test/LayerPlacement/BaseUrl") {}

/** A provider client as a layer, the way provider packages build theirs. */
const clientLayer = (provider = "placement") =>
  Layer.effect(
    Api,
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      return ApiClient.make(client, { provider, baseUrl: yield* BaseUrl })
    })
  )

/** Runs `body` against a loopback server; `wire` gives a client layer the server's URL and the real HttpClient. */
const withServer = <A, E>(
  body: (
    server: TestServer.TestServer,
    wire: (client: Layer.Layer<Api, never, HttpClient.HttpClient | BaseUrl>) => Layer.Layer<Api>
  ) => Effect.Effect<A, E>,
  respond: () => ReturnType<typeof TestServer.json> = () => TestServer.json({ ok: true })
) =>
  Effect.gen(function* () {
    const server = yield* TestServer.make(() => Effect.succeed(respond()))
    const url = yield* TestServer.listen(server.app)
    const http = yield* HttpClient.HttpClient
    return yield* body(server, (client) =>
      client.pipe(Layer.provide(Layer.succeed(BaseUrl, url)), Layer.provide(Layer.succeed(HttpClient.HttpClient, http)))
    )
  }).pipe(
    Effect.scoped,
    Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Effect.provide(NodeHttpClient.layerUndici)
  )

const get = Effect.flatMap(Effect.service(Api), (api) => Effect.exit(api.ok(HttpClientRequest.get("/x"))))

describe("policy and limits layers: client layer or program", () => {
  it.live("RetryPolicy provided to the client's layer applies to its API calls (1 attempt, not 3)", () =>
    withServer((server, wire) =>
      Effect.gen(function* () {
        yield* server.failNext(5, { status: 503 })
        const exit = yield* get.pipe(
          Effect.provide(wire(clientLayer().pipe(Layer.provide(RetryPolicy.layer(Schedule.recurs(0))))))
        )
        assert.strictEqual(exit._tag, "Failure")
        assert.lengthOf(yield* server.requests, 1)
      })
    )
  )

  it.live("RetryPolicy.layerFor provided to the client's layer applies to its API calls", () =>
    withServer((server, wire) =>
      Effect.gen(function* () {
        yield* server.failNext(10, { status: 503 })
        const schedule = Schedule.spaced("5 millis").pipe(Schedule.upTo({ times: 4 }))
        const exit = yield* get.pipe(
          Effect.provide(wire(clientLayer().pipe(Layer.provide(RetryPolicy.layerFor("placement", schedule)))))
        )
        assert.strictEqual(exit._tag, "Failure")
        assert.lengthOf(yield* server.requests, 5, "1 attempt + 4 retries from the client's schedule")
      })
    )
  )

  it.live("RetryPolicy provided to the program still applies (1 attempt)", () =>
    withServer((server, wire) =>
      Effect.gen(function* () {
        yield* server.failNext(5, { status: 503 })
        const exit = yield* get.pipe(
          Effect.provide(wire(clientLayer())),
          Effect.provide(RetryPolicy.layer(Schedule.recurs(0)))
        )
        assert.strictEqual(exit._tag, "Failure")
        assert.lengthOf(yield* server.requests, 1)
      })
    )
  )

  it.live("a layer given to the client's layer wins over the program's for that client only", () =>
    withServer((server, wire) =>
      Effect.gen(function* () {
        const quick = Schedule.spaced("5 millis")
        const own = wire(clientLayer().pipe(Layer.provide(RetryPolicy.layer(quick.pipe(Schedule.upTo({ times: 1 }))))))
        yield* server.failNext(20, { status: 503 })
        yield* Effect.gen(function* () {
          yield* get.pipe(Effect.provide(own))
          assert.lengthOf(yield* server.requests, 2, "client layer: 2 attempts (the program says 5)")
          yield* server.clearLog
          yield* get.pipe(Effect.provide(wire(clientLayer())))
          assert.lengthOf(yield* server.requests, 5, "another client: the program's 5 attempts")
        }).pipe(Effect.provide(RetryPolicy.layer(quick.pipe(Schedule.upTo({ times: 4 })))))
      })
    )
  )

  it.live("a layer around one call wins when the client was built under the program's policy", () =>
    withServer((server, wire) =>
      Effect.gen(function* () {
        yield* server.failNext(10, { status: 503 })
        yield* Effect.gen(function* () {
          const api = yield* Api
          yield* Effect.exit(
            api.ok(HttpClientRequest.get("/x")).pipe(Effect.provide(RetryPolicy.layer(Schedule.recurs(0))))
          )
          assert.lengthOf(yield* server.requests, 1)
        }).pipe(
          Effect.provide(wire(clientLayer())),
          Effect.provide(RetryPolicy.layer(Schedule.spaced("5 millis").pipe(Schedule.upTo({ times: 4 }))))
        )
      })
    )
  )

  it.live("RequestLimits provided to the client's layer applies to its API calls (body cap)", () =>
    withServer(
      (server, wire) =>
        Effect.gen(function* () {
          const exit = yield* get.pipe(
            Effect.provide(wire(clientLayer().pipe(Layer.provide(RequestLimits.layer({ maxBodyBytes: 100 })))))
          )
          assert.strictEqual(exit._tag, "Failure")
          if (exit._tag === "Failure") assert.include(String(exit.cause), "ResponseTooLargeError")
          assert.lengthOf(yield* server.requests, 1)
        }),
      () => TestServer.json({ filler: "x".repeat(1_000) })
    )
  )

  it.live("RequestLimits.layerFor provided to the client's layer applies to its API calls", () =>
    withServer(
      (_server, wire) =>
        Effect.gen(function* () {
          const exit = yield* get.pipe(
            Effect.provide(
              wire(clientLayer().pipe(Layer.provide(RequestLimits.layerFor("placement", { maxBodyBytes: 100 }))))
            )
          )
          assert.strictEqual(exit._tag, "Failure")
          if (exit._tag === "Failure") assert.include(String(exit.cause), "ResponseTooLargeError")
        }),
      () => TestServer.json({ filler: "x".repeat(1_000) })
    )
  )

  it.live("RequestLimits provided to the program still applies; without any, the same body is read", () =>
    withServer(
      (_server, wire) =>
        Effect.gen(function* () {
          const capped = yield* get.pipe(
            Effect.provide(wire(clientLayer())),
            Effect.provide(RequestLimits.layer({ maxBodyBytes: 100 }))
          )
          assert.strictEqual(capped._tag, "Failure")
          const plain = yield* get.pipe(Effect.provide(wire(clientLayer())))
          assert.strictEqual(plain._tag, "Success")
        }),
      () => TestServer.json({ filler: "x".repeat(1_000) })
    )
  )
})
