import { createHash } from "node:crypto"
import { NodeCrypto } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Digest from "effect/crypto/Digest"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Redacted from "effect/Redacted"
import { NetgiroAuth, NetgiroClient } from "../src/index.ts"
import { NetgiroTestServer } from "../src/testing.ts"

const app = NetgiroTestServer.publicTestApp

/**
 * Runs one client operation against a test server that believes it is `origin`, with a fixed nonce, and
 * returns what the server received: the test vectors go through the client's real signing middleware.
 */
const signedBy = <A, E>(
  origin: string,
  nonce: bigint,
  operation: (client: NetgiroClient.Service) => Effect.Effect<A, E>
) =>
  Effect.gen(function* () {
    const server = yield* NetgiroTestServer.make({ origin })
    const client = yield* NetgiroClient.make({
      appKey: app.appKey,
      secret: Redacted.make(app.secret),
      apiUrl: `${origin}/v1`,
      nonce: Effect.succeed(nonce)
    }).pipe(Effect.provideServiceEffect(HttpClient.HttpClient, NetgiroTestServer.makeClient(server)))
    yield* operation(client)
    const [request] = yield* server.requests
    return request
  })

describe("NetgiroAuth", () => {
  it.effect("the published GET example (Sales/GetList) is reproduced by the client's signing path", () =>
    Effect.gen(function* () {
      const request = yield* signedBy("https://api.netgiro.is", 635318618538563781n, (client) => client.salesList)
      assert.strictEqual(request.url, "/v1/Sales/GetList?AllForCompany=true")
      assert.strictEqual(request.headers.netgiro_nonce, "635318618538563781")
      assert.strictEqual(request.headers.netgiro_appkey, app.appKey)
      assert.strictEqual(
        request.headers.netgiro_signature,
        "1fcfcbf71b1350cf914ebb952c71d74551416a965ee3b65c38a16b35e687f87c"
      )
      assert.strictEqual(request.status, 200)
    })
  )

  it.effect("the request page's header example is the same request with the path in lower case", () =>
    Effect.gen(function* () {
      // The header table shows 63 of the 64 hex digits; the full value is this one.
      const signature = yield* NetgiroAuth.signature(
        yield* NetgiroAuth.digestService,
        Redacted.make(app.secret),
        "635318618538563781",
        "https://api.netgiro.is/v1/sales/GetList?AllForCompany=true",
        new Uint8Array(0)
      )
      assert.isTrue(signature.startsWith("fab2e49378897fc3e36a51c747fe90792e604080459f4ea2c782596ce7e31cd"))
    })
  )

  it.effect("the published POST example (InsertCart with a JSON body) is reproduced byte for byte", () =>
    Effect.gen(function* () {
      const request = yield* signedBy("https://api.test.netgiro.is", 39084373214935208n, (client) =>
        client.insertCart({
          Amount: 1000,
          Reference: "991100-123",
          CustomerId: "8223281",
          ConfirmationType: 1,
          CallbackUrl: "www.example.com/callback-success/991100-123",
          CallbackCancelUrl: "www.example.com/callback-cancel/991100-123"
        })
      )
      assert.strictEqual(request.url, "/v1/Checkout/InsertCart")
      assert.strictEqual(
        request.headers.netgiro_signature,
        "8ff35684c44ae5279f16f5b024b80a7f4de18f45b71aafc9c03a2f07ac3e9856"
      )
      assert.strictEqual(request.status, 200)
    })
  )

  it.effect("the signature is plain SHA-256 of the concatenation, not HMAC, on WebCrypto and on NodeCrypto", () =>
    Effect.gen(function* () {
      const url = "https://api.netgiro.is/v1/sales/GetList?AllForCompany=true"
      const expected = "fab2e49378897fc3e36a51c747fe90792e604080459f4ea2c782596ce7e31cd2"
      const web = yield* NetgiroAuth.digestService
      const node = yield* Effect.provide(Effect.service(Digest.Digest), NodeCrypto.layerDigest)
      for (const digest of [web, node]) {
        const signature = yield* NetgiroAuth.signature(
          digest,
          Redacted.make(app.secret),
          "635318618538563781",
          url,
          new Uint8Array(0)
        )
        assert.strictEqual(signature, expected)
      }
    })
  )

  it.effect("the URL is signed case-sensitively: each casing gives its own, independently computed signature", () =>
    Effect.gen(function* () {
      const digest = yield* NetgiroAuth.digestService
      const secret = Redacted.make(app.secret)
      const body = new TextEncoder().encode(`{"TransactionId":"abc"}`)
      for (const url of ["https://h/v1/Checkout/CheckCart", "https://h/v1/checkout/checkcart"]) {
        // The rule, computed outside the module under test: hex SHA-256 of secret + nonce + url, then the body.
        const expected = createHash("sha256").update(`${app.secret}1${url}`, "utf8").update(body).digest("hex")
        assert.strictEqual(yield* NetgiroAuth.signature(digest, secret, "1", url, body), expected, url)
      }
      const a = yield* NetgiroAuth.signature(digest, secret, "1", "https://h/v1/Checkout/CheckCart", body)
      const b = yield* NetgiroAuth.signature(digest, secret, "1", "https://h/v1/checkout/checkcart", body)
      assert.notStrictEqual(a, b)
    })
  )

  it.effect("verify: valid, missing and mismatched signatures", () =>
    Effect.gen(function* () {
      const digest = yield* NetgiroAuth.digestService
      const secret = Redacted.make(app.secret)
      const body = new TextEncoder().encode(`{"Success":true}`)
      const signature = yield* NetgiroAuth.signature(digest, secret, "42", "http://h/x", body)
      const check = (nonce: string | undefined, sig: string | undefined, b = body) =>
        NetgiroAuth.verify(digest, secret, { nonce, signature: sig }, "http://h/x", b)
      assert.strictEqual(yield* check("42", signature), "valid")
      assert.strictEqual(yield* check("42", signature.toUpperCase()), "valid")
      assert.strictEqual(yield* check(undefined, signature), "missing")
      assert.strictEqual(yield* check("42", undefined), "missing")
      assert.strictEqual(yield* check("43", signature), "mismatch")
      assert.strictEqual(yield* check("42", signature, new TextEncoder().encode(`{"Success":false}`)), "mismatch")
    })
  )

  it("constantTimeEqual compares whole strings", () => {
    assert.isTrue(NetgiroAuth.constantTimeEqual("abc", "abc"))
    assert.isFalse(NetgiroAuth.constantTimeEqual("abc", "abd"))
    assert.isFalse(NetgiroAuth.constantTimeEqual("abc", "ab"))
    assert.isFalse(NetgiroAuth.constantTimeEqual("", "a"))
  })
})
