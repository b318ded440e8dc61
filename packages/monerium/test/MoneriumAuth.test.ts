import { assert, describe, it } from "@effect/vitest"
import { Pkce, TokenStore } from "@nordkit/core"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import { MoneriumAuth, MoneriumClient } from "../src/index.ts"
import { MoneriumTestServer } from "../src/testing.ts"

const app = MoneriumTestServer.defaultCodeApp

const setup = Effect.gen(function* () {
  const server = yield* MoneriumTestServer.make()
  const http = yield* MoneriumTestServer.makeClient(server)
  const store = TokenStore.makeMemory()
  const client = yield* MoneriumClient.make({
    apiUrl: "http://127.0.0.1",
    credentials: MoneriumClient.authorizationCode({ clientId: app.clientId, redirectUri: app.redirectUris[0] })
  }).pipe(Effect.provideService(HttpClient.HttpClient, http), Effect.provideService(TokenStore.TokenStore, store))
  return { server, client, store }
})

const withQuery = (url: string, key: string, value: string | undefined) => {
  const next = new URL(url)
  if (value === undefined) next.searchParams.delete(key)
  else next.searchParams.set(key, value)
  return next.toString()
}

describe("MoneriumAuth", () => {
  it.effect("the authorize URL carries client id, exact redirect URI, the S256 challenge of the verifier, state", () =>
    Effect.gen(function* () {
      const { client } = yield* setup
      const { url, pending } = yield* client.authorize({ email: "anna@example.com", authMode: "login" })
      const parsed = new URL(url)
      assert.strictEqual(parsed.origin + parsed.pathname, "http://127.0.0.1/auth")
      const q = parsed.searchParams
      assert.strictEqual(q.get("client_id"), app.clientId)
      assert.strictEqual(q.get("redirect_uri"), app.redirectUris[0])
      assert.strictEqual(q.get("code_challenge_method"), "S256")
      assert.strictEqual(q.get("code_challenge"), yield* Pkce.challenge(pending.codeVerifier))
      assert.strictEqual(q.get("state"), pending.state)
      assert.strictEqual(q.get("email"), "anna@example.com")
      assert.strictEqual(q.get("auth_mode"), "login")
      assert.isNull(q.get("code_verifier"))
      assert.notInclude(url, Redacted.value(pending.codeVerifier))
      assert.isTrue(Pkce.isValidVerifier(Redacted.value(pending.codeVerifier)))
      // Two authorizations never share a verifier or a state.
      const second = (yield* client.authorize()).pending
      assert.notStrictEqual(second.state, pending.state)
      assert.notStrictEqual(Redacted.value(second.codeVerifier), Redacted.value(pending.codeVerifier))
    })
  )

  it.effect("the pending record survives serialization (e.g. a cookie) and a new client instance", () =>
    Effect.gen(function* () {
      const { client, server, store } = yield* setup
      const { url, pending } = yield* client.authorize()
      const cookie = MoneriumAuth.encodePending(pending)
      assert.notInclude(String(pending.codeVerifier), Redacted.value(pending.codeVerifier))
      const restored = yield* MoneriumAuth.decodePending(cookie)
      assert.strictEqual(Redacted.value(restored.codeVerifier), Redacted.value(pending.codeVerifier))
      assert.deepStrictEqual({ ...restored, codeVerifier: 0 }, { ...pending, codeVerifier: 0 })
      // The callback lands on another instance of the app (a restart): it still completes.
      const http = yield* MoneriumTestServer.makeClient(server)
      const other = yield* MoneriumClient.make({
        apiUrl: "http://127.0.0.1",
        credentials: MoneriumClient.authorizationCode({ clientId: app.clientId, redirectUri: app.redirectUris[0] })
      }).pipe(Effect.provideService(HttpClient.HttpClient, http), Effect.provideService(TokenStore.TokenStore, store))
      const token = yield* other.handleCallback(yield* server.approve(url), restored)
      assert.isDefined(token.refreshToken)
      assert.isTrue(Option.isSome(yield* store.get("default")))
      const bad = yield* Effect.flip(MoneriumAuth.decodePending('{"v":1,"state":"x"}'))
      assert.strictEqual(bad._tag, "InvalidCallbackError")
    })
  )

  it.effect("the code is exchanged with the verifier and the exact redirect URI, then stored", () =>
    Effect.gen(function* () {
      const { client, server, store } = yield* setup
      const { url, pending } = yield* client.authorize()
      const callback = yield* server.approve(url)
      const token = yield* client.handleCallback(callback, pending)
      const [exchange] = yield* server.grantsOf("authorization_code")
      const form = new URLSearchParams(exchange.body)
      assert.strictEqual(form.get("client_id"), app.clientId)
      assert.strictEqual(form.get("code"), new URL(callback).searchParams.get("code"))
      assert.strictEqual(form.get("code_verifier"), Redacted.value(pending.codeVerifier))
      assert.strictEqual(form.get("redirect_uri"), app.redirectUris[0])
      assert.isNull(form.get("client_secret"))
      const stored = Option.getOrThrow(yield* store.get("default"))
      assert.strictEqual(Redacted.value(stored.value), Redacted.value(token.value))
      assert.isDefined(stored.refreshToken)
      // The stored token serves the next call: no further token request.
      yield* client.authContext
      assert.strictEqual((yield* server.tokenRequests).length, 1)
    })
  )

  it.effect("a tampered, missing, reused or expired state is rejected before any code is exchanged", () =>
    Effect.gen(function* () {
      const { client, server } = yield* setup
      const { url, pending } = yield* client.authorize()
      const callback = yield* server.approve(url)
      const state = pending.state
      const tampered = withQuery(callback, "state", `${state.slice(0, -2)}${state.endsWith("AA") ? "BB" : "AA"}`)
      const attacker = withQuery(callback, "state", (yield* client.authorize()).pending.state)
      for (const [url, problem] of [
        [tampered, "mismatch"],
        [attacker, "mismatch"],
        [withQuery(callback, "state", undefined), "missing"],
        [withQuery(callback, "state", ""), "missing"]
      ] as const) {
        const error = yield* Effect.flip(client.handleCallback(url, pending))
        assert.strictEqual(error._tag, "StateMismatchError")
        if (error._tag === "StateMismatchError") assert.strictEqual(error.problem, problem)
      }
      assert.strictEqual((yield* server.tokenRequests).length, 0, "no code was sent for a bad state")
      yield* client.handleCallback(callback, pending)
      // The same callback again (a replayed URL, a double submit): refused, the code is not sent twice.
      const reused = yield* Effect.flip(client.handleCallback(callback, pending))
      assert.strictEqual(reused._tag, "StateMismatchError")
      if (reused._tag === "StateMismatchError") assert.strictEqual(reused.problem, "reused")
      assert.strictEqual((yield* server.tokenRequests).length, 1)
      // A pending authorization older than 10 minutes is refused.
      const late = yield* client.authorize()
      const lateCallback = yield* server.approve(late.url)
      yield* TestClock.adjust("11 minutes")
      const expired = yield* Effect.flip(client.handleCallback(lateCallback, late.pending))
      assert.strictEqual(expired._tag, "StateMismatchError")
      if (expired._tag === "StateMismatchError") assert.strictEqual(expired.problem, "expired")
    })
  )

  it.effect("error=access_denied becomes AuthorizationDeniedError (after the state check)", () =>
    Effect.gen(function* () {
      const { client, server } = yield* setup
      const { url, pending } = yield* client.authorize()
      const callback = yield* server.deny(url)
      const forged = withQuery(callback, "state", "forged")
      const csrf = yield* Effect.flip(client.handleCallback(forged, pending))
      assert.strictEqual(csrf._tag, "StateMismatchError")
      const error = yield* Effect.flip(client.handleCallback(callback, pending))
      assert.strictEqual(error._tag, "AuthorizationDeniedError")
      if (error._tag === "AuthorizationDeniedError") {
        assert.strictEqual(error.error, "access_denied")
        assert.strictEqual(error.errorDescription, "The user denied the request")
      }
      assert.isFalse(yield* client.isConnected)
      // The guide's error redirect has no state at all: still a denial (it grants nothing), not a state problem.
      const stateless = new URL(callback)
      stateless.searchParams.delete("state")
      const denied = yield* Effect.flip(client.handleCallback(stateless, (yield* client.authorize()).pending))
      assert.strictEqual(denied._tag, "AuthorizationDeniedError")
      // A code without state is still refused.
      const codeOnly = new URL(yield* server.approve((yield* client.authorize()).url))
      codeOnly.searchParams.delete("state")
      const missing = yield* Effect.flip(client.handleCallback(codeOnly, (yield* client.authorize()).pending))
      assert.strictEqual(missing._tag, "StateMismatchError")
      assert.strictEqual((yield* server.tokenRequests).length, 0)
    })
  )

  it.effect("a lost or wrong verifier is refused by the server (invalid_grant), and nothing is stored", () =>
    Effect.gen(function* () {
      const { client, server } = yield* setup
      const first = yield* client.authorize()
      const second = yield* client.authorize()
      const callback = yield* server.approve(first.url)
      // The app kept the wrong pending record: right state, wrong verifier.
      const wrong = { ...first.pending, codeVerifier: second.pending.codeVerifier }
      const error = yield* Effect.flip(client.handleCallback(callback, wrong))
      assert.strictEqual(error._tag, "AuthenticationError")
      if (error._tag === "AuthenticationError") {
        assert.strictEqual(error.error, "400 Bad Request")
        assert.strictEqual(error.errorDescription, "PKCE verification failed")
      }
      assert.isFalse(yield* client.isConnected)
    })
  )

  it.effect("a callback without code or for another client is an InvalidCallbackError", () =>
    Effect.gen(function* () {
      const { client, server } = yield* setup
      const { url, pending } = yield* client.authorize()
      const callback = yield* server.approve(url)
      const noCode = yield* Effect.flip(client.handleCallback(withQuery(callback, "code", undefined), pending))
      assert.strictEqual(noCode._tag, "InvalidCallbackError")
      const other = yield* client.authorize()
      const foreign = yield* Effect.flip(
        client.handleCallback(yield* server.approve(other.url), { ...other.pending, clientId: "someone-else" })
      )
      assert.strictEqual(foreign._tag, "InvalidCallbackError")
      const notUrl = yield* Effect.flip(client.handleCallback("::not a url::", pending))
      assert.strictEqual(notUrl._tag, "InvalidCallbackError")
    })
  )

  it.effect("disconnect forgets the session; the next call asks for re-authorization", () =>
    Effect.gen(function* () {
      const { client, server } = yield* setup
      const { url, pending } = yield* client.authorize()
      yield* client.handleCallback(yield* server.approve(url), pending)
      yield* client.authContext
      yield* client.disconnect
      const error = yield* Effect.flip(client.authContext)
      assert.strictEqual(error._tag, "ReauthorizationRequiredError")
    })
  )
})
