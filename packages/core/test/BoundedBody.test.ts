import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as BoundedBody from "../src/BoundedBody.ts"

/** A loopback route that reads its body with `BoundedBody.readRequestText` under a 1 KiB cap and says what it got. */
const route = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const text = yield* BoundedBody.readRequestText(request, 1024)
  return Option.isNone(text)
    ? HttpServerResponse.text("too large", { status: 413 })
    : HttpServerResponse.text(`read ${text.value.length}`)
})

const post = (body: HttpClientRequest.HttpClientRequest) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(body)
    return { status: response.status, text: yield* response.text }
  })

describe("BoundedBody", () => {
  it.live("a server route reads a body within the cap, and refuses one over it: announced or chunked", () =>
    Effect.gen(function* () {
      yield* HttpServer.serveEffect()(route)
      const url = (yield* HttpServer.addressFormattedWith((a) => Effect.succeed(a))).replace("0.0.0.0", "127.0.0.1")
      const small = yield* post(HttpClientRequest.post(url).pipe(HttpClientRequest.bodyText("é".repeat(100))))
      assert.deepStrictEqual(small, { status: 200, text: "read 100" })
      const announced = yield* post(HttpClientRequest.post(url).pipe(HttpClientRequest.bodyText("x".repeat(5_000))))
      assert.strictEqual(announced.status, 413)
      // No content-length: 64 chunks of 512 bytes; reading stops at the cap.
      const chunks = Stream.fromIterable(Array.from({ length: 64 }, () => new Uint8Array(512).fill(120)))
      const chunked = yield* post(HttpClientRequest.post(url).pipe(HttpClientRequest.bodyStream(chunks)))
      assert.strictEqual(chunked.status, 413)
    }).pipe(
      Effect.scoped,
      Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )

  it.effect("collect stops as soon as the cap is passed (no later chunk is pulled)", () =>
    Effect.gen(function* () {
      let pulled = 0
      const stream = Stream.fromIterable(Array.from({ length: 100 }, () => new Uint8Array(10))).pipe(
        Stream.tap(() => Effect.sync(() => pulled++)),
        Stream.rechunk(1)
      )
      const error = yield* Effect.flip(BoundedBody.collect(stream, 25))
      assert.strictEqual(error._tag, "Oversized")
      assert.isAtMost(pulled, 4)
      const whole = yield* BoundedBody.collect(Stream.fromIterable([new Uint8Array([1, 2]), new Uint8Array([3])]), 3)
      assert.deepStrictEqual([...whole], [1, 2, 3])
    })
  )
})
