/**
 * A compressed body is bounded by what it decodes to, not by its `Content-Length`: a server (or anything on the
 * path) that answers 20 KB of gzip which inflates to 20 MiB must meet the body cap. `fetch` decodes gzip itself,
 * so with `FetchHttpClient` the announced length says nothing about what would be read into memory.
 */
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { gzipSync } from "node:zlib"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ApiClient } from "@nordkit/core"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"

const inflated = 20 * 1024 * 1024
const bomb = gzipSync(Buffer.alloc(inflated, 0x20))
const cap = 1024 * 1024

const gzipServer = Effect.acquireRelease(
  Effect.promise(
    () =>
      new Promise<{ url: string; close: () => void }>((resolve) => {
        const server = createServer((_request, response) => {
          response.writeHead(200, {
            "content-type": "application/json",
            "content-encoding": "gzip",
            "content-length": bomb.length
          })
          response.end(bomb)
        })
        server.listen(0, "127.0.0.1", () => {
          const { port } = server.address() as AddressInfo
          resolve({ url: `http://127.0.0.1:${port}`, close: () => server.close() })
        })
      })
  ),
  (server) => Effect.sync(server.close)
)

const read = Effect.gen(function* () {
  const server = yield* gzipServer
  const api = ApiClient.make(yield* HttpClient.HttpClient, {
    provider: "fault",
    baseUrl: server.url,
    retry: { attempts: 1 },
    limits: { maxBodyBytes: cap }
  })
  return yield* Effect.result(Effect.flatMap(api.ok(HttpClientRequest.get("/balances")), (r) => r.arrayBuffer))
})

describe("a gzip body that inflates past the cap", () => {
  it.live("FetchHttpClient (decodes gzip): ResponseTooLargeError, not 20 MiB in memory", () =>
    Effect.gen(function* () {
      const result = yield* read
      assert.strictEqual(bomb.length < cap, true, "the announced length is within the cap")
      if (result._tag === "Success") assert.fail(`read ${result.success.byteLength} bytes past a ${cap}-byte cap`)
      assert.strictEqual(result.failure._tag, "ResponseTooLargeError")
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer))
  )

  it.live("layerUndici (hands over the bytes as sent): never more than the cap", () =>
    Effect.gen(function* () {
      const result = yield* read
      if (result._tag === "Success") assert.isAtMost(result.success.byteLength, cap)
      else assert.strictEqual(result.failure._tag, "ResponseTooLargeError")
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )
})
