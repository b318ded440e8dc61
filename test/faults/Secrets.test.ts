/**
 * Servers that echo the whole request back (headers, body, URL) in their error text — as JSON fields, nested
 * messages, plain text, and in a 200 that fails decoding — for the token endpoint and for API calls. No secret
 * the client holds may appear in any rendering: message, String(), JSON, Cause.pretty, the logger, span data.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ApiClient, OAuth2 } from "@nordkit/core"
import { Canary } from "@nordkit/core/testing"
import * as UndiciClient from "@nordkit/core/UndiciClient"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as HostileServer from "./HostileServer.ts"
import * as Spans from "./Spans.ts"

const CLIENT_ID = "client-id-7"
const CLIENT_SECRET = "cs-SECRET+/=:%&é-42"
const API_KEY = "apikey-SECRET-0042"
const CODE = "authcode-SECRET-77"
const VERIFIER = "verifier-SECRET-0123456789abcdefghijklmnopqrstuvwxyz"
const REFRESH = "refresh-SECRET-99"
const ACCESS = "access-SECRET-token-55"
const SIGNING_KEY = "signing-SECRET-key-31"

/** Each secret in the forms a server could echo it in. */
const forms = (secret: string) => [
  secret,
  encodeURIComponent(secret),
  new URLSearchParams([["", secret]]).toString().slice(1),
  btoa(unescape(encodeURIComponent(secret)))
]
const basicForms = [
  btoa(`${CLIENT_ID}:${CLIENT_SECRET}`.replace(/é/g, "e")),
  OAuth2.basicCredentials(CLIENT_ID, CLIENT_SECRET).slice(6)
]
const allSecrets = [
  ...[CLIENT_SECRET, API_KEY, CODE, VERIFIER, REFRESH, ACCESS, SIGNING_KEY].flatMap(forms),
  ...basicForms
]

const platforms: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["layerUndici", NodeHttpClient.layerUndici],
  ["UndiciClient", UndiciClient.layer],
  ["FetchHttpClient", FetchHttpClient.layer]
]

const echoes: ReadonlyArray<HostileServer.Behaviour> = [
  { _tag: "Echo", status: 400, json: true },
  { _tag: "Echo", status: 401, json: true },
  { _tag: "Echo", status: 403, json: true },
  { _tag: "Echo", status: 429, json: true },
  { _tag: "Echo", status: 500, json: false },
  { _tag: "Echo", status: 502, json: true },
  { _tag: "Echo", status: 200, json: true }
]

const Thing = Schema.Struct({ id: Schema.Number })

for (const [name, platform] of platforms) {
  describe(`echoed secrets on ${name}`, () => {
    it.live(
      "token endpoint: every grant, both encodings and client authentications — 0 secrets in any rendering",
      () => {
        const canary = Canary.make()
        return Effect.gen(function* () {
          const spans = Spans.make()
          for (const behaviour of echoes) {
            const server = yield* HostileServer.make(() => behaviour)
            const grants: ReadonlyArray<Omit<OAuth2.TokenRequest, "provider" | "endpoint">> = [
              {
                grantType: "password",
                client: { _tag: "Basic", clientId: CLIENT_ID, clientSecret: Redacted.make(CLIENT_SECRET) },
                params: { username: Redacted.make(API_KEY), password: Redacted.make(API_KEY) }
              },
              {
                grantType: "authorization_code",
                client: { _tag: "Body", clientId: CLIENT_ID, clientSecret: Redacted.make(CLIENT_SECRET) },
                params: {
                  code: Redacted.make(CODE),
                  code_verifier: Redacted.make(VERIFIER),
                  redirect_uri: "https://a/cb"
                }
              },
              {
                grantType: "refresh_token",
                client: { _tag: "Basic", clientId: CLIENT_ID, clientSecret: Redacted.make(CLIENT_SECRET) },
                params: { refresh_token: Redacted.make(REFRESH) },
                encoding: "json"
              },
              {
                grantType: "client_credentials",
                client: { _tag: "Body", clientId: CLIENT_ID, clientSecret: Redacted.make(CLIENT_SECRET) },
                encoding: "json"
              }
            ]
            for (const grant of grants) {
              const exit = yield* canary.observe(
                spans.provide(
                  OAuth2.requestToken({
                    provider: "fault",
                    endpoint: `${server.url}/token?x=1`,
                    retry: { attempts: 1 },
                    ...grant
                  }).pipe(Effect.withSpan("token"))
                )
              )
              assert.strictEqual(exit._tag, "Failure", `${behaviour._tag} ${JSON.stringify(behaviour)}`)
            }
            // The server did receive the secrets: the echo is real.
            assert.isTrue(server.received.some((request) => request.body.includes(encodeURIComponent(CODE))))
          }
          assert.deepStrictEqual([...canary.leaks(allSecrets), ...spans.leaks(allSecrets)], [])
          assert.isAbove(canary.renderings.length, 20)
        }).pipe(Effect.scoped, Effect.provide(canary.layer), Effect.provide(platform))
      }
    )

    it.live("API calls: bearer token and a client-held key echoed back — 0 secrets in any rendering", () => {
      const canary = Canary.make()
      return Effect.gen(function* () {
        const spans = Spans.make()
        for (const behaviour of echoes) {
          const server = yield* HostileServer.make((request) =>
            request.url.startsWith("/token")
              ? { _tag: "Json", status: 200, body: { access_token: ACCESS, expires_in: 3600 } }
              : behaviour
          )
          const tokens = yield* OAuth2.makeTokenProvider({
            provider: "fault",
            endpoint: `${server.url}/token`,
            grantType: "client_credentials",
            client: { _tag: "Basic", clientId: CLIENT_ID, clientSecret: Redacted.make(CLIENT_SECRET) }
          })
          const api = ApiClient.make(yield* HttpClient.HttpClient, {
            provider: "fault",
            baseUrl: server.url,
            tokens,
            retry: { attempts: 1 },
            secrets: [Redacted.make(SIGNING_KEY)],
            headers: { "x-api-key": API_KEY }
          })
          for (const request of [
            HttpClientRequest.get("/things/1"),
            HttpClientRequest.post("/things").pipe(HttpClientRequest.bodyText(`{"sig":"${SIGNING_KEY}"}`))
          ]) {
            const exit = yield* canary.observe(spans.provide(api.json(Thing)(request).pipe(Effect.withSpan("call"))))
            assert.strictEqual(exit._tag, "Failure")
          }
          assert.isTrue(server.received.some((request) => request.headers.authorization === `Bearer ${ACCESS}`))
        }
        assert.deepStrictEqual([...canary.leaks(allSecrets), ...spans.leaks(allSecrets)], [])
        assert.deepStrictEqual(
          canary.unexercised(["AuthenticationError", "ForbiddenError", "RateLimitedError", "ApiError", "DecodeError"]),
          []
        )
      }).pipe(Effect.scoped, Effect.provide(canary.layer), Effect.provide(platform))
    })
  })
}
