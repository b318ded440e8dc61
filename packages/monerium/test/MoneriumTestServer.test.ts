import { assert, describe, it } from "@effect/vitest"
import { Pkce } from "@nordkit/core"
import * as Effect from "effect/Effect"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import { MoneriumAuth } from "../src/index.ts"
import { MoneriumTestServer } from "../src/testing.ts"

const app = MoneriumTestServer.defaultCodeApp
const partner = MoneriumTestServer.defaultPartnerApp
const base = "http://monerium.test"

const setup = Effect.gen(function* () {
  const server = yield* MoneriumTestServer.make()
  const http = yield* MoneriumTestServer.makeClient(server)
  const post = (path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    Effect.gen(function* () {
      const response = yield* http.execute(
        HttpClientRequest.post(`${base}${path}`).pipe(
          HttpClientRequest.bodyUrlParams(form),
          HttpClientRequest.setHeaders(headers)
        )
      )
      return { status: response.status, body: (yield* response.json) as Record<string, any> }
    }).pipe(Effect.orDie)
  const get = (path: string, headers: Record<string, string> = {}) =>
    Effect.gen(function* () {
      const response = yield* http.execute(
        HttpClientRequest.get(`${base}${path}`).pipe(HttpClientRequest.setHeaders(headers))
      )
      return { status: response.status, headers: response.headers, text: yield* response.text }
    }).pipe(Effect.orDie)
  /** Starts an authorization, has the user approve, returns the code and verifier. */
  const codeFor = (redirectUri = app.redirectUris[0]) =>
    Effect.gen(function* () {
      const pair = yield* Pkce.makePair
      const url = MoneriumAuth.authorizeUrl({
        apiUrl: base,
        clientId: app.clientId,
        redirectUri,
        challenge: pair.challenge,
        state: "s"
      })
      const callback = new URL(yield* server.approve(url))
      return { code: callback.searchParams.get("code")!, verifier: Redacted.value(pair.verifier), redirectUri }
    })
  const exchange = (code: string, verifier: string, overrides: Record<string, string> = {}) =>
    post("/auth/token", {
      grant_type: "authorization_code",
      client_id: app.clientId,
      code,
      code_verifier: verifier,
      redirect_uri: app.redirectUris[0],
      ...overrides
    })
  const refresh = (refreshToken: string, clientId = app.clientId) =>
    post("/auth/token", { grant_type: "refresh_token", client_id: clientId, refresh_token: refreshToken })
  return { server, http, post, get, codeFor, exchange, refresh }
})

describe("MoneriumTestServer", () => {
  it.effect("the authorize endpoint renders the consent page, and refuses what a strict server refuses", () =>
    Effect.gen(function* () {
      const { get } = yield* setup
      const pair = yield* Pkce.makePair
      const ok = MoneriumAuth.authorizeUrl({
        apiUrl: base,
        clientId: app.clientId,
        redirectUri: app.redirectUris[0],
        challenge: pair.challenge,
        state: "xyz"
      })
      const page = yield* get(new URL(ok).pathname + new URL(ok).search)
      assert.strictEqual(page.status, 200)
      assert.include(page.text, 'id="approve"')
      assert.include(page.text, 'id="deny"')
      const variants: Array<[string, string]> = [
        ["redirect_uri", "http://127.0.0.1/callback/"],
        ["redirect_uri", "http://evil.example/callback"],
        ["client_id", "unknown"],
        ["code_challenge_method", "plain"],
        ["code_challenge", "short"]
      ]
      for (const [key, value] of variants) {
        const url = new URL(ok)
        url.searchParams.set(key, value)
        const response = yield* get(url.pathname + url.search)
        assert.strictEqual(response.status, 400, `${key}=${value}`)
        assert.notInclude(response.headers.location ?? "", "evil")
      }
    })
  )

  it.effect("authorization codes: PKCE enforced, exact redirect URI, same client, single use, short-lived", () =>
    Effect.gen(function* () {
      const { codeFor, exchange } = yield* setup
      const a = yield* codeFor()
      const wrongVerifier = yield* exchange(a.code, Redacted.value(yield* Pkce.makeVerifier()))
      assert.deepStrictEqual([wrongVerifier.status, wrongVerifier.body.code], [400, 400])
      const burned = yield* exchange(a.code, a.verifier)
      assert.strictEqual(burned.status, 400, "a code that failed PKCE is burned")

      const b = yield* codeFor()
      const redirect = yield* exchange(b.code, b.verifier, { redirect_uri: app.redirectUris[1] })
      assert.deepStrictEqual([redirect.status, redirect.body.code], [400, 400])

      const c = yield* codeFor()
      const ok = yield* exchange(c.code, c.verifier)
      assert.strictEqual(ok.status, 200)
      assert.strictEqual(ok.body.token_type, "Bearer")
      assert.strictEqual(ok.body.expires_in, 3600)
      assert.isString(ok.body.refresh_token)
      // The published AccessToken shape: nothing beyond its four fields.
      assert.deepStrictEqual(Object.keys(ok.body).sort(), ["access_token", "expires_in", "refresh_token", "token_type"])
      const again = yield* exchange(c.code, c.verifier)
      assert.deepStrictEqual([again.status, again.body.code], [400, 400])

      const d = yield* codeFor()
      yield* TestClock.adjust("61 seconds")
      const late = yield* exchange(d.code, d.verifier)
      assert.strictEqual(late.body.message, "Authorization code expired")
    })
  )

  it.effect("a reused authorization code revokes the tokens it issued", () =>
    Effect.gen(function* () {
      const { codeFor, exchange, get } = yield* setup
      const c = yield* codeFor()
      const ok = yield* exchange(c.code, c.verifier)
      const headers = { authorization: `Bearer ${ok.body.access_token}`, accept: MoneriumTestServer.acceptV2 }
      assert.strictEqual((yield* get("/auth/context", headers)).status, 200)
      yield* exchange(c.code, c.verifier)
      assert.strictEqual((yield* get("/auth/context", headers)).status, 401)
    })
  )

  it.effect("refresh tokens rotate; reusing a retired one revokes the whole grant", () =>
    Effect.gen(function* () {
      const { server, codeFor, exchange, refresh, get } = yield* setup
      const c = yield* codeFor()
      const first = yield* exchange(c.code, c.verifier)
      const second = yield* refresh(first.body.refresh_token)
      assert.strictEqual(second.status, 200)
      assert.notStrictEqual(second.body.refresh_token, first.body.refresh_token)
      const otherClient = yield* refresh(second.body.refresh_token, "another-client")
      assert.deepStrictEqual([otherClient.status, otherClient.body.code], [400, 400])
      const reuse = yield* refresh(first.body.refresh_token)
      assert.deepStrictEqual([reuse.status, reuse.body.code], [400, 400])
      assert.strictEqual(yield* server.reuseDetections, 1)
      // The whole grant is gone: the newest refresh token and the access tokens too.
      assert.strictEqual((yield* refresh(second.body.refresh_token)).status, 400)
      const headers = { authorization: `Bearer ${second.body.access_token}`, accept: MoneriumTestServer.acceptV2 }
      assert.strictEqual((yield* get("/profiles", headers)).status, 401)
      assert.deepStrictEqual([...(yield* server.refreshUses).values()], [2, 2])
    })
  )

  it.effect("client credentials: secret in the body only; no refresh token", () =>
    Effect.gen(function* () {
      const { post } = yield* setup
      const ok = yield* post("/auth/token", {
        grant_type: "client_credentials",
        client_id: partner.clientId,
        client_secret: partner.clientSecret
      })
      assert.strictEqual(ok.status, 200)
      assert.isUndefined(ok.body.refresh_token)
      const basic = yield* post(
        "/auth/token",
        { grant_type: "client_credentials", client_id: partner.clientId },
        { authorization: `Basic ${btoa(`${partner.clientId}:${partner.clientSecret}`)}` }
      )
      assert.deepStrictEqual([basic.status, basic.body.code], [401, 401])
      const wrong = yield* post("/auth/token", {
        grant_type: "client_credentials",
        client_id: partner.clientId,
        client_secret: "nope"
      })
      assert.strictEqual(wrong.status, 401)
      const grant = yield* post("/auth/token", { grant_type: "password", client_id: partner.clientId })
      assert.strictEqual(grant.body.code, 400)
    })
  )

  it.effect("the API requires the v2 Accept header and a live bearer token; errors use Monerium's body", () =>
    Effect.gen(function* () {
      const { post, get } = yield* setup
      const token = (yield* post("/auth/token", {
        grant_type: "client_credentials",
        client_id: partner.clientId,
        client_secret: partner.clientSecret
      })).body.access_token
      const v1 = yield* get("/profiles", { authorization: `Bearer ${token}`, accept: "application/json" })
      assert.strictEqual(v1.status, 406)
      const none = yield* get("/profiles", { accept: MoneriumTestServer.acceptV2 })
      assert.strictEqual(none.status, 401)
      assert.deepStrictEqual(JSON.parse(none.text), {
        code: 401,
        status: "Unauthorized",
        message: "Not authenticated"
      })
      const ok = yield* get("/profiles", { authorization: `Bearer ${token}`, accept: MoneriumTestServer.acceptV2 })
      assert.strictEqual(ok.status, 200)
      yield* TestClock.adjust("1 hour")
      const expired = yield* get("/profiles", { authorization: `Bearer ${token}`, accept: MoneriumTestServer.acceptV2 })
      assert.strictEqual(expired.status, 401)
    })
  )

  it.effect("CORS on the API routes only: the token endpoint refuses a browser's cross-origin request", () =>
    Effect.gen(function* () {
      const { http } = yield* setup
      const send = (method: string, path: string, headers: Record<string, string>, body?: string) =>
        Effect.orDie(
          http.execute(
            HttpClientRequest.make(method as "POST")(`${base}${path}`).pipe(
              HttpClientRequest.setHeaders(headers),
              body === undefined ? (r) => r : HttpClientRequest.bodyText(body, "application/x-www-form-urlencoded")
            )
          )
        )
      const apiPreflight = yield* send("OPTIONS", "/profiles", {
        origin: "http://app.localhost",
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization, accept"
      })
      assert.strictEqual(apiPreflight.status, 204)
      assert.strictEqual(apiPreflight.headers["access-control-allow-origin"], "*")
      assert.include(apiPreflight.headers["access-control-allow-headers"], "authorization")
      const tokenPreflight = yield* send("OPTIONS", "/auth/token", {
        origin: "http://app.localhost",
        "access-control-request-method": "POST"
      })
      assert.strictEqual(tokenPreflight.status, 403)
      assert.isUndefined(tokenPreflight.headers["access-control-allow-origin"])
      // A "simple" cross-origin form post needs no preflight; the endpoint still refuses it.
      const form = `grant_type=client_credentials&client_id=${partner.clientId}&client_secret=${partner.clientSecret}`
      const crossOrigin = yield* send("POST", "/auth/token", { origin: "http://app.localhost" }, form)
      assert.strictEqual(crossOrigin.status, 403)
      assert.isUndefined(crossOrigin.headers["access-control-allow-origin"])
      // The same request from a server (no Origin) is served.
      const server = yield* send("POST", "/auth/token", {}, form)
      assert.strictEqual(server.status, 200)
      assert.isUndefined(server.headers["access-control-allow-origin"])
    })
  )
})
