import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import * as ApiClient from "../src/ApiClient.ts"
import * as RequestSigner from "../src/RequestSigner.ts"
import * as TestServer from "../src/TestServer.ts"

/** An API whose every attempt is signed with a nonce and a description of what the signer saw. */
const setup = Effect.gen(function* () {
  const server = yield* TestServer.make((request) => Effect.succeed(TestServer.json({ ok: true, url: request.url })))
  const client = yield* TestServer.makeMemoryClient(server.app)
  const nonce = yield* RequestSigner.makeNonce()
  const seen: Array<RequestSigner.Signable> = []
  const signer = RequestSigner.perAttempt((input) =>
    Effect.map(nonce, (n) => {
      seen.push(input)
      return { "x-nonce": n.toString(), "x-signed-url": input.url, "x-signed-length": String(input.body.length) }
    })
  )
  const api = ApiClient.make(client, {
    provider: "signer-test",
    baseUrl: "http://api.test/V1",
    retry: { baseDelay: 100 },
    perAttempt: signer
  })
  return { server, api, seen }
})

describe("RequestSigner", () => {
  it.effect("each retry attempt is signed afresh, with a new, larger nonce", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup
      yield* server.failNext(2, { status: 503 })
      const fiber = yield* Effect.forkChild(api.ok(HttpClientRequest.get("/Items")))
      for (let i = 0; i < 20; i++) yield* TestClock.adjust(100)
      yield* Fiber.join(fiber)
      const nonces = (yield* server.requests).map((r) => BigInt(r.headers["x-nonce"]))
      assert.strictEqual(nonces.length, 3)
      assert.isTrue(nonces[0] < nonces[1] && nonces[1] < nonces[2])
    })
  )

  it.effect("the signer sees the URL as sent (case and query kept) and the exact body bytes", () =>
    Effect.gen(function* () {
      const { server, api, seen } = yield* setup
      yield* api.ok(
        HttpClientRequest.post("/Checkout/InsertCart", { urlParams: { All: "true", q: "a b" } }).pipe(
          HttpClientRequest.bodyText(`{"Name":"Þórður ✓"}`, "application/json")
        )
      )
      const [logged] = yield* server.requests
      assert.strictEqual(seen[0].url, "http://api.test/V1/Checkout/InsertCart?All=true&q=a+b")
      assert.strictEqual(`http://api.test${logged.url}`, seen[0].url)
      assert.deepStrictEqual(Array.from(seen[0].body), Array.from(logged.bytes))
      assert.strictEqual(logged.headers["x-signed-length"], String(logged.bytes.length))
    })
  )

  it.effect("a GET is signed over an empty body", () =>
    Effect.gen(function* () {
      const { api, seen } = yield* setup
      yield* api.ok(HttpClientRequest.get("/sales/GetList", { urlParams: { AllForCompany: "true" } }))
      assert.strictEqual(seen[0].body.length, 0)
      assert.strictEqual(seen[0].url, "http://api.test/V1/sales/GetList?AllForCompany=true")
    })
  )

  it.effect("a streamed body cannot be signed: a defect, and nothing is sent", () =>
    Effect.gen(function* () {
      const { server, api } = yield* setup
      const exit = yield* Effect.exit(
        api.ok(HttpClientRequest.post("/x").pipe(HttpClientRequest.bodyStream(Stream.make(new Uint8Array([1])))))
      )
      assert.strictEqual(exit._tag, "Failure")
      assert.strictEqual((yield* server.requests).length, 0)
    })
  )

  it.effect("1,000 nonces drawn concurrently in one millisecond are distinct and strictly increasing", () =>
    Effect.gen(function* () {
      const nonce = yield* RequestSigner.makeNonce({ fromMillis: RequestSigner.ticksSince1900 })
      const drawn = yield* Effect.all(
        Array.from({ length: 1000 }, () => nonce),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(new Set(drawn).size, 1000)
      for (let i = 1; i < drawn.length; i++) assert.isTrue(drawn[i] > drawn[i - 1])
      yield* TestClock.adjust(1)
      const later = yield* nonce
      assert.isTrue(later > drawn[999])
    })
  )

  it.effect("ticksSince1900 counts 100 ns ticks from 1900-01-01", () =>
    Effect.sync(() => {
      assert.strictEqual(RequestSigner.ticksSince1900(0), 22_089_888_000_000_000n)
      assert.strictEqual(RequestSigner.ticksSince1900(Date.UTC(1900, 0, 1)), 0n)
    })
  )

  it.effect("redacted header names are in force while the signed request runs", () =>
    Effect.gen(function* () {
      let during: ReadonlyArray<string | RegExp> = []
      const inner = HttpClient.make((request, _url, _signal, fiber) => {
        during = fiber.getRef(Headers.CurrentRedactedNames)
        return Effect.succeed(HttpClientResponse.fromWeb(request, new Response("ok")))
      })
      const client = RequestSigner.make(() => Effect.succeed({ "x-signature": "s3cr3t" }), {
        redactHeaders: ["X-Signature"]
      })(inner)
      yield* client.get("http://api.test/x")
      assert.include(during, "x-signature")
      assert.include(during, "authorization")
    })
  )
})
