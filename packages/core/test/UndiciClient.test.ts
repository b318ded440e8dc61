/**
 * nordkit's undici transport against a real `node:http` server on loopback: what the server received, what the
 * caller got, backpressure on a body read as a stream, interruption, transport and body failures, and the request
 * bodies it hands to effect's undici client (FormData, Stream).
 */
import { createHash } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Stream from "effect/Stream"
import * as UndiciClient from "../src/UndiciClient.ts"

interface Received {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: Buffer
}

/** A loopback server answering with `handler`; records every request it received, body included. */
const serve = (handler: (request: IncomingMessage, response: ServerResponse, body: Buffer) => void) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const received: Array<Received> = []
      const sockets = new Set<Socket>()
      const server = createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const body = Buffer.concat(chunks)
          received.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body })
          handler(request, response, body)
        })
      })
      server.on("connection", (socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, sockets, server }
    }),
    ({ server }) =>
      Effect.promise(
        () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections()
            server.close(() => resolve())
          })
      )
  )

const provided = <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient | import("effect/Scope").Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(UndiciClient.layer))

describe("UndiciClient", () => {
  it.live(
    "a GET: the server receives method, path, query and headers; the caller gets status, headers, cookies, JSON",
    () =>
      provided(
        Effect.gen(function* () {
          const server = yield* serve((_, response) => {
            response.setHeader("set-cookie", ["a=1; Path=/", "b=2; Path=/"])
            response.writeHead(201, { "content-type": "application/json", "x-request-id": "r-1" })
            response.end('{"id":"4b2","amount":"1.50"}')
          })
          const http = yield* HttpClient.HttpClient
          const response = yield* http.execute(
            HttpClientRequest.get(`${server.url}/balances/x?chain=sepolia#frag`).pipe(
              HttpClientRequest.setHeader("authorization", "Bearer t0k"),
              HttpClientRequest.setHeader("accept", "application/json")
            )
          )
          assert.strictEqual(response.status, 201)
          assert.strictEqual(response.headers["x-request-id"], "r-1")
          assert.strictEqual(response.headers["content-type"], "application/json")
          assert.deepStrictEqual(
            Object.values(response.cookies.cookies).map((c) => [c.name, c.value]),
            [
              ["a", "1"],
              ["b", "2"]
            ]
          )
          assert.deepStrictEqual(yield* response.json, { id: "4b2", amount: "1.50" })
          // A body read whole is kept: a second read gives the same bytes.
          assert.strictEqual(yield* response.text, '{"id":"4b2","amount":"1.50"}')
          assert.strictEqual(server.received.length, 1)
          const [received] = server.received
          assert.strictEqual(received?.method, "GET")
          assert.strictEqual(received?.url, "/balances/x?chain=sepolia")
          assert.strictEqual(received?.headers.authorization, "Bearer t0k")
          assert.strictEqual(received?.headers.accept, "application/json")
        })
      )
  )

  it.live("bodies: text and bytes are sent as given; FormData and Stream bodies arrive whole", () =>
    provided(
      Effect.gen(function* () {
        const server = yield* serve((request, response, body) => {
          response.writeHead(200, { "content-type": "text/plain" })
          response.end(`${request.headers["content-type"] ?? "-"} ${body.length}`)
        })
        const http = yield* HttpClient.HttpClient
        const send = (request: HttpClientRequest.HttpClientRequest) =>
          Effect.flatMap(http.execute(request), (response) => response.text)

        const form = new FormData()
        form.append("file", new Blob(["pdf bytes"]), "invoice.pdf")
        const stream = Stream.fromIterable([new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])])
        const answers = [
          yield* send(
            HttpClientRequest.post(`${server.url}/text`).pipe(
              HttpClientRequest.bodyText("grant_type=client_credentials", "application/x-www-form-urlencoded")
            )
          ),
          yield* send(
            HttpClientRequest.put(`${server.url}/bytes`).pipe(
              HttpClientRequest.bodyUint8Array(new Uint8Array(1000).fill(7), "application/octet-stream")
            )
          ),
          yield* send(HttpClientRequest.post(`${server.url}/form`).pipe(HttpClientRequest.bodyFormData(form))),
          yield* send(HttpClientRequest.post(`${server.url}/stream`).pipe(HttpClientRequest.bodyStream(stream)))
        ]
        assert.deepStrictEqual(answers.slice(0, 2), [
          "application/x-www-form-urlencoded 29",
          "application/octet-stream 1000"
        ])
        assert.match(answers[2] ?? "", /^multipart\/form-data; boundary=/)
        assert.strictEqual(server.received[0]?.body.toString(), "grant_type=client_credentials")
        assert.strictEqual(server.received[1]?.body.equals(Buffer.alloc(1000, 7)), true)
        assert.include(server.received[2]?.body.toString(), 'filename="invoice.pdf"')
        assert.include(server.received[2]?.body.toString(), "pdf bytes")
        assert.deepStrictEqual([...(server.received[3]?.body ?? [])], [1, 2, 3, 4, 5])
      })
    )
  )

  it.live(
    "a body read as a stream: a reader that stops pulling pauses the connection (the server cannot write on)",
    () =>
      provided(
        Effect.gen(function* () {
          const TOTAL = 96 * 1024 * 1024
          const chunk = Buffer.alloc(64 * 1024)
          for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251
          let written = 0
          const server = yield* serve((_, response) => {
            response.writeHead(200, { "content-type": "application/octet-stream" })
            const pump = () => {
              while (written < TOTAL) {
                written += chunk.length
                if (!response.write(chunk)) return void response.once("drain", pump)
              }
              response.end()
            }
            response.on("error", () => {})
            pump()
          })
          const http = yield* HttpClient.HttpClient
          const response = yield* http.execute(HttpClientRequest.get(`${server.url}/big`))
          const hash = createHash("sha256")
          let read = 0
          let writtenWhileStalled = 0
          yield* Stream.runForEach(response.stream, (bytes) =>
            Effect.gen(function* () {
              hash.update(bytes)
              const before = read
              read += bytes.byteLength
              // Once, after the first 1 MiB: stop pulling for a while and see how far the server gets.
              if (before < 1024 * 1024 && read >= 1024 * 1024) {
                yield* Effect.sleep("400 millis")
                writtenWhileStalled = written
              }
            })
          )
          const expected = createHash("sha256")
          for (let i = 0; i < TOTAL / chunk.length; i++) expected.update(chunk)
          assert.strictEqual(read, TOTAL)
          assert.strictEqual(hash.digest("hex"), expected.digest("hex"), "every byte, in order")
          // Socket buffers on both ends hold a few MiB; without backpressure the server writes all 96 MiB meanwhile.
          assert.isBelow(writtenWhileStalled, 32 * 1024 * 1024, `server wrote ${writtenWhileStalled} bytes`)
        })
      )
  )

  it.live("interrupting a request that is waiting for its answer closes the connection", () =>
    provided(
      Effect.gen(function* () {
        const server = yield* serve(() => {
          // never answers
        })
        const http = yield* HttpClient.HttpClient
        const fiber = yield* Effect.forkChild(http.execute(HttpClientRequest.get(`${server.url}/slow`)))
        while (server.received.length === 0) yield* Effect.sleep("10 millis")
        assert.strictEqual(server.sockets.size, 1)
        yield* Fiber.interrupt(fiber)
        for (let i = 0; i < 100 && server.sockets.size > 0; i++) yield* Effect.sleep("10 millis")
        assert.strictEqual(server.sockets.size, 0, "the connection was closed")
      })
    )
  )

  it.live("a refused connection is a TransportError carrying undici's cause; a body cut short is a DecodeError", () =>
    provided(
      Effect.gen(function* () {
        const http = yield* HttpClient.HttpClient
        const closed = yield* serve(() => {})
        const port = new URL(closed.url).port
        yield* Effect.promise(() => new Promise<void>((resolve) => closed.server.close(() => resolve())))
        const refused = yield* Effect.flip(http.execute(HttpClientRequest.get(`http://127.0.0.1:${port}/`)))
        assert.strictEqual(refused.reason._tag, "TransportError")
        assert.strictEqual((refused.reason.cause as { code?: string }).code, "ECONNREFUSED")

        const cut = yield* serve((_, response) => {
          response.writeHead(200, { "content-length": "100000" })
          response.write(Buffer.alloc(1000))
          setTimeout(() => response.socket?.destroy(), 20)
        })
        const whole = yield* Effect.flip(
          Effect.flatMap(http.execute(HttpClientRequest.get(`${cut.url}/a`)), (r) => r.arrayBuffer)
        )
        assert.strictEqual(whole.reason._tag, "DecodeError")
        const streamed = yield* Effect.flip(
          Effect.flatMap(http.execute(HttpClientRequest.get(`${cut.url}/b`)), (r) => Stream.runDrain(r.stream))
        )
        assert.strictEqual(streamed.reason._tag, "DecodeError")
      })
    )
  )

  it.live("NodeHttpClient.UndiciOptions in the caller's context reach undici (reset: the connection is closed)", () =>
    provided(
      Effect.gen(function* () {
        const server = yield* serve((_, response) => {
          response.writeHead(200, { "content-type": "text/plain" })
          response.end("ok")
        })
        const http = yield* HttpClient.HttpClient
        const get = Effect.flatMap(http.execute(HttpClientRequest.get(`${server.url}/x`)), (r) => r.text)
        yield* get
        yield* get.pipe(Effect.provideService(NodeHttpClient.UndiciOptions, { reset: true }))
        assert.deepStrictEqual(
          server.received.map((r) => r.headers.connection),
          ["keep-alive", "close"]
        )
      })
    )
  )

  it.live("no body: 204 and HEAD read as empty, as text and as a stream", () =>
    provided(
      Effect.gen(function* () {
        const server = yield* serve((request, response) => {
          if (request.method === "HEAD") {
            response.writeHead(200, { "content-length": "12345" })
            response.end()
          } else {
            response.writeHead(204)
            response.end()
          }
        })
        const http = yield* HttpClient.HttpClient
        const noContent = yield* http.execute(HttpClientRequest.delete(`${server.url}/x`))
        assert.strictEqual(noContent.status, 204)
        assert.strictEqual(yield* noContent.text, "")
        const head = yield* http.execute(HttpClientRequest.head(`${server.url}/x`))
        assert.strictEqual(head.headers["content-length"], "12345")
        assert.strictEqual((yield* Stream.runCollect(head.stream)).length, 0)
        assert.deepStrictEqual(
          server.received.map((r) => r.method),
          ["DELETE", "HEAD"]
        )
      })
    )
  )
})
