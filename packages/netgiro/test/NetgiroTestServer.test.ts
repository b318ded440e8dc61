import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { RequestSigner } from "@nordkit/core"
import * as Effect from "effect/Effect"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Redacted from "effect/Redacted"
import { NetgiroAuth, NetgiroClient } from "../src/index.ts"
import { NetgiroTestServer } from "../src/testing.ts"

const app = NetgiroTestServer.publicTestApp
const base = "http://127.0.0.1/v1"
const insertBody = {
  Amount: 1_000,
  Reference: "r-1",
  CustomerId: NetgiroTestServer.customers.silent,
  ConfirmationType: 0
}

const setup = Effect.gen(function* () {
  const server = yield* NetgiroTestServer.make()
  const http = yield* NetgiroTestServer.makeClient(server)
  const send = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.flatMap(http.execute(request), (response) =>
      Effect.map(response.text, (text) => ({
        status: response.status,
        headers: response.headers,
        json: JSON.parse(text),
        text
      }))
    )
  return { server, send }
})

const insert = () =>
  HttpClientRequest.post(`${base}/Checkout/InsertCart`).pipe(HttpClientRequest.bodyJsonUnsafe(insertBody))

describe("NetgiroTestServer", () => {
  it.effect("accepts a correctly signed request and signs its response over the request URL", () =>
    Effect.gen(function* () {
      const { server, send } = yield* setup
      const response = yield* send(yield* server.signRequest(insert()))
      assert.strictEqual(response.status, 200)
      assert.isTrue(response.json.Success)
      assert.isString(response.json.TransactionId)
      const digest = yield* NetgiroAuth.digestService
      const verdict = yield* NetgiroAuth.verify(
        digest,
        Redacted.make(app.secret),
        { nonce: response.headers.netgiro_nonce, signature: response.headers.netgiro_signature },
        `${base}/Checkout/InsertCart`,
        new TextEncoder().encode(response.text)
      )
      assert.strictEqual(verdict, "valid")
      assert.match(response.headers.netgiro_referenceid, /^[0-9a-f-]{36}$/)
    })
  )

  it.effect("rejects missing headers, unknown apps, malformed nonces and bad signatures with 401", () =>
    Effect.gen(function* () {
      const { server, send } = yield* setup
      const signed = yield* server.signRequest(insert())
      const without = (name: string) => HttpClientRequest.removeHeader(signed, name)
      for (const name of ["netgiro_appkey", "netgiro_nonce", "netgiro_signature"]) {
        const response = yield* send(without(name))
        assert.strictEqual(response.status, 401, name)
        assert.deepInclude(response.json, { Success: false, ResultCode: 401 })
      }
      const unknown = yield* send(
        HttpClientRequest.setHeader(signed, "netgiro_appkey", "00000000-0000-0000-0000-000000000000")
      )
      assert.strictEqual(unknown.status, 401)
      assert.isUndefined(unknown.headers.netgiro_signature, "an unknown app gets an unsigned answer")
      const malformed = yield* send(HttpClientRequest.setHeader(signed, "netgiro_nonce", "12-ab"))
      assert.strictEqual(malformed.json.Message, "netgiro_nonce must be 1-64 letters or digits")
      const forged = yield* send(HttpClientRequest.setHeader(signed, "netgiro_signature", "0".repeat(64)))
      assert.strictEqual(forged.json.Message, "Invalid signature")
      assert.isString(forged.headers.netgiro_signature, "a known app's rejection is signed")
      assert.strictEqual(yield* server.verifiedCount, 0)
      assert.lengthOf(yield* server.carts, 0)
    })
  )

  it.effect("the signature covers the exact URL and body: another casing, query or body is rejected", () =>
    Effect.gen(function* () {
      const { server, send } = yield* setup
      const signed = yield* server.signRequest(insert())
      const lower = yield* send(HttpClientRequest.setUrl(signed, `${base}/checkout/insertcart`))
      assert.strictEqual(lower.json.Message, "Invalid signature")
      const query = yield* send(HttpClientRequest.setUrl(signed, `${base}/Checkout/InsertCart?x=1`))
      assert.strictEqual(query.json.Message, "Invalid signature")
      const body = yield* send(HttpClientRequest.bodyJsonUnsafe(signed, { ...insertBody, Amount: 1 }))
      assert.strictEqual(body.json.Message, "Invalid signature")
      // Routes are case-insensitive, as long as the signature was made over the URL actually sent.
      const lowerSigned = yield* server.signRequest(HttpClientRequest.setUrl(insert(), `${base}/checkout/insertcart`))
      assert.strictEqual((yield* send(lowerSigned)).status, 200)
    })
  )

  it.effect("the official demo's nonces (16 random letters) are accepted when the signature covers them", () =>
    Effect.gen(function* () {
      const { send } = yield* setup
      const request = insert()
      const url = RequestSigner.urlAsSent(request) ?? request.url
      const body = RequestSigner.bodyBytes(request.body) ?? new Uint8Array(0)
      const nonce = "kQzXwPbnTrYuMsLe"
      const signature = createHash("sha256")
        .update(app.secret + nonce + url)
        .update(body)
        .digest("hex")
      const response = yield* send(
        HttpClientRequest.setHeaders(request, {
          netgiro_appkey: app.appKey,
          netgiro_nonce: nonce,
          netgiro_signature: signature
        })
      )
      assert.strictEqual(response.status, 200)
      assert.isTrue(response.json.Success)
    })
  )

  it.effect("a nonce is accepted once: a replayed request is rejected", () =>
    Effect.gen(function* () {
      const { server, send } = yield* setup
      const signed = yield* server.signRequest(insert())
      assert.strictEqual((yield* send(signed)).status, 200)
      const replay = yield* send(signed)
      assert.strictEqual(replay.status, 401)
      assert.strictEqual(replay.json.Message, "netgiro_nonce already used")
      assert.lengthOf(yield* server.carts, 1)
    })
  )

  it.effect("checkout endpoints take POST with JSON; validation errors are 400 GenericError", () =>
    Effect.gen(function* () {
      const { server, send } = yield* setup
      const get = yield* send(yield* server.signRequest(HttpClientRequest.get(`${base}/Checkout/CheckCart`)))
      assert.strictEqual(get.status, 405)
      const form = yield* send(
        yield* server.signRequest(
          HttpClientRequest.post(`${base}/Checkout/InsertCart`).pipe(
            HttpClientRequest.bodyText("Amount=1", "text/plain")
          )
        )
      )
      assert.strictEqual(form.status, 415)
      const invalid = yield* send(
        yield* server.signRequest(
          HttpClientRequest.post(`${base}/Checkout/InsertCart`).pipe(HttpClientRequest.bodyJsonUnsafe({ Amount: 1.5 }))
        )
      )
      assert.strictEqual(invalid.status, 400)
      assert.deepInclude(invalid.json, { Success: false, ResultCode: 400 })
      const badType = yield* send(
        yield* server.signRequest(
          HttpClientRequest.post(`${base}/Checkout/InsertCart`).pipe(
            HttpClientRequest.bodyJsonUnsafe({ ...insertBody, ConfirmationType: 7 })
          )
        )
      )
      assert.deepInclude(badType.json, { Success: false, ResultCode: 10427 })
    })
  )

  it.effect("fault injection and the request log come from the core harness", () =>
    Effect.gen(function* () {
      const { server, send } = yield* setup
      yield* server.failNext(1, { status: 503, body: "{}", contentType: "application/json" })
      assert.strictEqual((yield* send(yield* server.signRequest(insert()))).status, 503)
      assert.strictEqual((yield* send(yield* server.signRequest(insert()))).status, 200)
      const logged = yield* server.requests
      assert.deepStrictEqual(
        logged.map((r) => [r.method, r.path, r.status]),
        [
          ["POST", "/v1/Checkout/InsertCart", 503],
          ["POST", "/v1/Checkout/InsertCart", 200]
        ]
      )
    })
  )

  it.live("layer: the server and the HttpClient that reaches it, with the shared control vocabulary", () =>
    Effect.gen(function* () {
      const server = yield* NetgiroTestServer.Server
      const client = yield* NetgiroClient.make({
        appKey: NetgiroTestServer.defaultCredentials.appKey,
        secret: Redacted.make(NetgiroTestServer.defaultCredentials.secret),
        apiUrl: base,
        partnerUrl: "http://127.0.0.1/partner",
        retry: { baseDelay: "1 millis", maxDelay: "5 millis" }
      })
      yield* client.salesList
      assert.lengthOf(yield* server.requests, 1)
      yield* server.rateLimitNext(1, "0", { pathIncludes: "/partner/" })
      yield* server.failNext(1, { status: 503, pathIncludes: "/partner/" })
      const retried = yield* Effect.flip(client.transactionStatus("abc"))
      assert.strictEqual(retried._tag, "ApiError", "a 429 and a 503, retried, then the server's 404")
      assert.deepStrictEqual(
        (yield* server.requests).slice(1).map((r) => r.status),
        [429, 503, 404]
      )
      yield* server.revokeTokens
      const revoked = yield* Effect.flip(client.transactionStatus("abc"))
      assert.strictEqual(revoked._tag, "AuthenticationError")
      yield* server.reset
      assert.lengthOf(yield* server.requests, 0)
      const found = yield* Effect.flip(client.transactionStatus("abc"))
      assert.strictEqual(found._tag, "ApiError", "the key works again after reset: 404 for an unknown transaction")
    }).pipe(Effect.provide(NetgiroTestServer.layer()))
  )
})
