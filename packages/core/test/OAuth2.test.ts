import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Redacted from "effect/Redacted"
import * as BaseUrl from "../src/BaseUrl.ts"
import * as OAuth2 from "../src/OAuth2.ts"
import * as TestServer from "../src/TestServer.ts"
import * as OAuthServer from "./fixtures/OAuthServer.ts"

const basic = {
  _tag: "Basic",
  clientId: OAuthServer.CLIENT_ID,
  clientSecret: Redacted.make(OAuthServer.CLIENT_SECRET)
} as const

/** A token endpoint that records what it received and answers with `respond`. */
const recording = (respond: (request: TestServer.TestRequest) => HttpServerResponse.HttpServerResponse) =>
  Effect.gen(function* () {
    const server = yield* TestServer.make((request) => Effect.succeed(respond(request)))
    const client = yield* TestServer.makeMemoryClient(server.app)
    const request = (token: Omit<OAuth2.TokenRequest, "provider" | "endpoint">) =>
      OAuth2.requestToken({ provider: "oauth-test", endpoint: "http://auth.test/token", ...token }).pipe(
        Effect.provideService(HttpClient.HttpClient, client)
      )
    return { server, request }
  })

const ok = () => TestServer.json({ access_token: "at-1", token_type: "Bearer", expires_in: 60 })

describe("OAuth2.requestToken", () => {
  it.effect("password grant: Basic client authentication and a form body", () =>
    Effect.gen(function* () {
      const { server, request } = yield* recording(ok)
      yield* request({
        grantType: "password",
        client: basic,
        params: { scope: "read write", username: Redacted.make("api-key"), password: Redacted.make("api-key") }
      })
      const [sent] = yield* server.requests
      assert.strictEqual(sent.headers["content-type"], "application/x-www-form-urlencoded")
      assert.strictEqual(
        sent.headers.authorization,
        `Basic ${btoa(`${OAuthServer.CLIENT_ID}:${OAuthServer.CLIENT_SECRET}`)}`
      )
      assert.deepStrictEqual(Object.fromEntries(new URLSearchParams(sent.body)), {
        grant_type: "password",
        scope: "read write",
        username: "api-key",
        password: "api-key"
      })
    })
  )

  it.effect("client credentials in the body, JSON encoding", () =>
    Effect.gen(function* () {
      const { server, request } = yield* recording(ok)
      yield* request({
        grantType: "client_credentials",
        client: { _tag: "Body", clientId: "cid", clientSecret: Redacted.make("csecret") },
        encoding: "json",
        params: { audience: "https://api.example/v1" }
      })
      const [sent] = yield* server.requests
      assert.isUndefined(sent.headers.authorization)
      assert.match(sent.headers["content-type"], /^application\/json/)
      assert.deepStrictEqual(JSON.parse(sent.body), {
        grant_type: "client_credentials",
        client_id: "cid",
        client_secret: "csecret",
        audience: "https://api.example/v1"
      })
    })
  )

  it.effect("authorization_code and refresh_token grants carry their parameters", () =>
    Effect.gen(function* () {
      const { server, request } = yield* recording(() =>
        TestServer.json({ access_token: "at", token_type: "Bearer", expires_in: 3600, refresh_token: "rt-2" })
      )
      const token = yield* request({
        grantType: "authorization_code",
        client: { _tag: "Body", clientId: "app" },
        params: { code: Redacted.make("code-1"), code_verifier: Redacted.make("v"), redirect_uri: "https://app/cb" }
      })
      assert.strictEqual(Redacted.value(token.refreshToken!), "rt-2")
      yield* request({
        grantType: "refresh_token",
        client: { _tag: "Body", clientId: "app" },
        params: { refresh_token: token.refreshToken }
      })
      const [code, refresh] = (yield* server.requests).map((r) => Object.fromEntries(new URLSearchParams(r.body)))
      assert.deepStrictEqual(code, {
        grant_type: "authorization_code",
        client_id: "app",
        code: "code-1",
        code_verifier: "v",
        redirect_uri: "https://app/cb"
      })
      assert.deepStrictEqual(refresh, { grant_type: "refresh_token", client_id: "app", refresh_token: "rt-2" })
    })
  )

  it.effect("expires_in as a numeric string, absent (default lifetime), extra fields kept", () =>
    Effect.gen(function* () {
      let n = 0
      const { request } = yield* recording(() =>
        TestServer.json(
          n++ === 0
            ? { access_token: "a", token_type: "Bearer", expires_in: "120", profile: "p1" }
            : { access_token: "b", token_type: "Bearer" }
        )
      )
      const first = yield* request({ grantType: "client_credentials", client: basic })
      assert.strictEqual(first.expiresAt - first.issuedAt, 120_000)
      assert.deepStrictEqual(first.extra, { profile: "p1" })
      const second = yield* request({ grantType: "client_credentials", client: basic, defaultExpiresInSeconds: 600 })
      assert.strictEqual(second.expiresAt - second.issuedAt, 600_000)
    })
  )

  it.effect("an RFC 6749 §5.2 error becomes an AuthenticationError with error, description, uri and status", () =>
    Effect.gen(function* () {
      const { request } = yield* recording(() =>
        TestServer.json({ error: "invalid_grant", error_description: "Code expired", error_uri: "https://as/e" }, 400)
      )
      const error = yield* Effect.flip(request({ grantType: "client_credentials", client: basic }))
      assert.strictEqual(error._tag, "AuthenticationError")
      if (error._tag !== "AuthenticationError") return
      assert.strictEqual(error.error, "invalid_grant")
      assert.strictEqual(error.errorDescription, "Code expired")
      assert.strictEqual(error.errorUri, "https://as/e")
      assert.strictEqual(error.status, 400)
      assert.strictEqual(error.path, "/token")
    })
  )

  it.effect("a non-JSON error body is handled: AuthenticationError with the text as description", () =>
    Effect.gen(function* () {
      const { request } = yield* recording(() => TestServer.json(undefined, 401))
      const { request: textRequest } = yield* recording(() =>
        HttpServerResponse.text("<html>Unauthorized</html>", { status: 401, contentType: "text/html" })
      )
      const empty = yield* Effect.flip(request({ grantType: "client_credentials", client: basic }))
      assert.strictEqual(empty._tag, "AuthenticationError")
      const html = yield* Effect.flip(textRequest({ grantType: "client_credentials", client: basic }))
      assert.strictEqual(html._tag === "AuthenticationError" && html.errorDescription, "<html>Unauthorized</html>")
    })
  )

  it.effect("a success body that is not a token is a DecodeError that does not quote the body", () =>
    Effect.gen(function* () {
      const { request } = yield* recording(() => TestServer.json({ token: "SECRET-in-body" }))
      const error = yield* Effect.flip(request({ grantType: "client_credentials", client: basic }))
      assert.strictEqual(error._tag, "DecodeError")
      assert.notInclude(error.message, "SECRET-in-body")
    })
  )

  it.live("1,000 concurrent callers on a cold cache cause 1 token request over real HTTP", () =>
    Effect.gen(function* () {
      const server = yield* OAuthServer.make()
      const url = yield* TestServer.listen(server.app)
      const tokens = yield* OAuth2.makeTokenProvider({
        provider: "oauth-test",
        endpoint: `${url}/oauth/token`,
        grantType: "client_credentials",
        client: basic
      })
      yield* Effect.all(
        Array.from({ length: 1000 }, () => tokens.get),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(yield* server.tokenRequests, 1)
    }).pipe(
      Effect.scoped,
      Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )
})

describe("BaseUrl.validate", () => {
  it.effect("https anywhere, http only on loopback, never credentials or queries", () =>
    Effect.gen(function* () {
      const good = [
        "https://api.dintero.com",
        "https://x.example/v1/",
        "http://127.0.0.1:8080",
        "http://localhost:3000",
        "http://[::1]:9"
      ]
      for (const url of good)
        assert.strictEqual((yield* Effect.exit(BaseUrl.validate("p", "URL", url)))._tag, "Success", url)
      assert.strictEqual(yield* BaseUrl.validate("p", "URL", "https://x.example/v1/"), "https://x.example/v1")
      const bad = [
        "http://api.dintero.com",
        "ftp://x",
        "not a url",
        "https://u:p@x.example",
        "https://x.example?key=1",
        "http://10.0.0.1"
      ]
      for (const url of bad) {
        const error = yield* Effect.flip(BaseUrl.validate("p", "DINTERO_API_URL", url))
        assert.strictEqual(error._tag, "ConfigurationError", url)
        assert.include(error.message, "DINTERO_API_URL")
        assert.notInclude(error.message, "u:p")
      }
    })
  )
})

describe("OAuth2 hostile token responses", () => {
  it.effect("Basic client authentication form-urlencodes id and secret (RFC 6749 §2.3.1)", () =>
    Effect.gen(function* () {
      const { server, request } = yield* recording(ok)
      const clientId = "app id:1"
      const clientSecret = "s+/=:%é&x"
      yield* request({
        grantType: "client_credentials",
        client: { _tag: "Basic", clientId, clientSecret: Redacted.make(clientSecret) }
      })
      const [sent] = yield* server.requests
      assert.strictEqual(sent.headers.authorization, `Basic ${btoa("app+id%3A1:s%2B%2F%3D%3A%25%C3%A9%26x")}`)
      assert.deepStrictEqual(TestServer.parseBasic(sent.headers.authorization), { user: clientId, pass: clientSecret })
    })
  )

  it.effect("expires_in of 0, negative, below the skew or 1e306 is clamped to [60 s, 24 h]", () =>
    Effect.gen(function* () {
      for (const [expiresIn, lifetime] of [
        [0, 60_000],
        [-5, 60_000],
        [3, 60_000],
        [1e306, 86_400_000],
        ["1e306", 86_400_000],
        [7200, 7_200_000]
      ] as const) {
        const { request } = yield* recording(() => TestServer.json({ access_token: "at", expires_in: expiresIn }))
        const token = yield* request({ grantType: "client_credentials", client: basic })
        assert.strictEqual(token.expiresAt - token.issuedAt, lifetime, String(expiresIn))
      }
    })
  )

  it.effect("expires_in 0: many calls through the token provider cause one token request, not one per call", () =>
    Effect.gen(function* () {
      const server = yield* TestServer.make(() =>
        Effect.succeed(TestServer.json({ access_token: "at", expires_in: 0 }))
      )
      const client = yield* TestServer.makeMemoryClient(server.app)
      const tokens = yield* OAuth2.makeTokenProvider({
        provider: "oauth-test",
        endpoint: "http://auth.test/token",
        grantType: "client_credentials",
        client: basic
      }).pipe(Effect.provideService(HttpClient.HttpClient, client))
      for (let i = 0; i < 20; i++) yield* tokens.get
      assert.strictEqual((yield* server.requests).length, 1)
    })
  )

  it.effect("an empty or unsendable access_token is a DecodeError that does not quote the token", () =>
    Effect.gen(function* () {
      for (const accessToken of ["", "two words", "line\r\nbreak"]) {
        const { request } = yield* recording(() => TestServer.json({ access_token: accessToken, expires_in: 60 }))
        const error = yield* Effect.flip(request({ grantType: "client_credentials", client: basic }))
        assert.strictEqual(error._tag, "DecodeError", JSON.stringify(accessToken))
        if (accessToken !== "") assert.notInclude(error.message, accessToken)
      }
    })
  )

  it.effect("extra token-response fields outside the allow-list (an id_token) are kept Redacted", () =>
    Effect.gen(function* () {
      const { request } = yield* recording(() =>
        TestServer.json({ access_token: "at", expires_in: 60, id_token: "eyJ-SECRET-id-token", profile: "p1" })
      )
      const token = yield* request({ grantType: "client_credentials", client: basic })
      assert.strictEqual(token.extra.profile, "p1")
      assert.isTrue(Redacted.isRedacted(token.extra.id_token))
      assert.strictEqual(Redacted.value(token.extra.id_token as Redacted.Redacted<unknown>), "eyJ-SECRET-id-token")
      assert.notInclude(JSON.stringify(token.extra), "SECRET")
      assert.notInclude(String(token.extra.id_token), "SECRET")
    })
  )
})
