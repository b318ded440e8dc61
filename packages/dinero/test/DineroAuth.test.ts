import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { DineroAuth } from "../src/index.ts"
import { DineroTestServer } from "../src/testing.ts"
import { client, org1, setup } from "./fixtures.ts"

describe("DineroAuth", () => {
  it.effect("sends exactly the token request Dinero documents", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      const token = yield* dinero.accessToken
      const [request] = yield* server.tokenRequests
      assert.strictEqual(request.method, "POST")
      assert.strictEqual(request.path, "/dineroapi/oauth/token")
      assert.strictEqual(request.headers.authorization, `Basic ${btoa(`${client.clientId}:${client.clientSecret}`)}`)
      assert.match(request.headers["content-type"], /^application\/x-www-form-urlencoded/)
      const form = new URLSearchParams(request.body)
      assert.deepStrictEqual(Object.fromEntries(form), {
        grant_type: "password",
        scope: "read write",
        username: org1.apiKey,
        password: org1.apiKey
      })
      assert.deepStrictEqual([...form.keys()].sort(), ["grant_type", "password", "scope", "username"])
      assert.strictEqual(token.tokenType, "Bearer")
      assert.strictEqual(token.expiresAt - token.issuedAt, 3_600_000)
      assert.isUndefined(token.refreshToken, "Dinero sends refresh_token: null")
    })
  )

  it.effect("the request describes the protocol: password grant, Basic client, scope and the key twice", () =>
    Effect.sync(() => {
      const request = DineroAuth.tokenRequest({
        clientId: "id",
        clientSecret: Redacted.make("secret"),
        apiKey: Redacted.make("key"),
        authUrl: DineroAuth.defaultAuthUrl
      })
      assert.strictEqual(request.grantType, "password")
      assert.strictEqual(request.client._tag, "Basic")
      assert.strictEqual(request.encoding, "form")
      assert.strictEqual(request.params?.scope, "read write")
      assert.isTrue(Redacted.isRedacted(request.params?.username), "the API key stays Redacted until the wire")
      assert.strictEqual(request.endpoint, "https://authz.dinero.dk/dineroapi/oauth/token")
    })
  )

  it.effect("a wrong API key is a typed AuthenticationError (invalid_grant)", () =>
    Effect.gen(function* () {
      const { dinero } = yield* setup({ apiKey: Redacted.make("not-a-key") })
      const error = yield* Effect.flip(dinero.listContacts())
      assert.strictEqual(error._tag, "AuthenticationError")
      if (error._tag !== "AuthenticationError") return
      assert.strictEqual(error.status, 400)
      assert.strictEqual(error.error, "invalid_grant")
      assert.strictEqual(error.path, DineroTestServer.tokenPath)
    })
  )

  it.effect("a wrong client secret is a typed AuthenticationError (invalid_client)", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup({ clientSecret: Redacted.make("wrong") })
      const error = yield* Effect.flip(dinero.listContacts())
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual(error._tag === "AuthenticationError" && error.error, "invalid_client")
      assert.lengthOf(yield* server.apiRequests, 0, "no API call without a token")
      // A failed grant is not cached: the next call tries again.
      yield* Effect.flip(dinero.listContacts())
      assert.lengthOf(yield* server.tokenRequests, 2)
    })
  )

  it.effect("50 concurrent first calls cause one grant", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      yield* Effect.all(
        Array.from({ length: 50 }, () => dinero.listProducts()),
        { concurrency: "unbounded" }
      )
      assert.lengthOf(yield* server.tokenRequests, 1)
    })
  )
})
