import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as TestClock from "effect/testing/TestClock"
import * as TestServer from "../src/TestServer.ts"

const echo: TestServer.Handler = (request) =>
  Effect.succeed(TestServer.json({ method: request.method, url: request.url, body: request.body }))

describe("TestServer harness", () => {
  it.effect("the in-memory client reaches the handler with the exact request and shares the TestClock", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make(echo)
      const client = yield* TestServer.makeMemoryClient(server.app)
      yield* TestClock.adjust(5_000)
      const response = yield* client.execute(
        HttpClientRequest.post("http://memory.test/a/B?x=1").pipe(HttpClientRequest.bodyText("hello", "text/plain"))
      )
      const body = yield* response.json
      assert.deepStrictEqual(body, { method: "POST", url: "/a/B?x=1", body: "hello" })
      const [logged] = yield* server.requests
      assert.strictEqual(logged.at, 5_000)
      assert.strictEqual(logged.status, 200)
    })
  )

  it.effect("queued faults answer the next N matching requests, then the handler resumes", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make(echo)
      const client = yield* TestServer.makeMemoryClient(server.app)
      yield* server.rateLimitNext(2, "7")
      const statuses: Array<number> = []
      for (let i = 0; i < 3; i++) {
        const response = yield* client.get("http://memory.test/x")
        statuses.push(response.status)
        if (response.status === 429) assert.strictEqual(response.headers["retry-after"], "7")
      }
      assert.deepStrictEqual(statuses, [429, 429, 200])
    })
  )

  it.live("listen serves the same handler on a loopback port", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make(echo)
      const url = yield* TestServer.listen(server.app)
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
      const response = yield* HttpClient.get(`${url}/over/http`)
      assert.deepStrictEqual(yield* response.json, { method: "GET", url: "/over/http", body: "" })
    }).pipe(
      Effect.scoped,
      Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Effect.provide(FetchHttpClient.layer)
    )
  )
})
