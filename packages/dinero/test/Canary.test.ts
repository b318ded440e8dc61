import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { RequestLimits, TokenStore } from "@nordkit/core"
import { Canary } from "@nordkit/core/testing"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import { DineroClient, DineroVismaConnect } from "../src/index.ts"
import { DineroTestServer } from "../src/testing.ts"
import { invoiceFor } from "./fixtures.ts"

const SECRET = "CANARY-dinero-client-secret-5b1e77d0"
const KEY = "CANARY-dinero-api-key-a41f09c3"
const KEY_2 = "CANARY-dinero-api-key-2-e8d2b6f4"
const FREE_KEY = "CANARY-dinero-api-key-free-71c0aa9e"
const WRONG_SECRET = "CANARY-dinero-wrong-secret-3d5c"
const WRONG_KEY = "CANARY-dinero-wrong-key-9f2e"

const client: DineroTestServer.Client = { clientId: "canary-client", clientSecret: SECRET }
const organizations: ReadonlyArray<DineroTestServer.OrganizationSeed> = [
  { organizationId: "777001", name: "Canary ApS", apiKey: KEY },
  { organizationId: "777002", name: "Canary 2 ApS", apiKey: KEY_2 },
  { organizationId: "777003", name: "Canary Gratis ApS", apiKey: FREE_KEY, isPro: false }
]

const options = (overrides: Partial<DineroClient.Options> = {}, url = "http://127.0.0.1"): DineroClient.Options => ({
  clientId: client.clientId,
  clientSecret: Redacted.make(SECRET),
  organizationId: "777001",
  apiKey: Redacted.make(KEY),
  organizations: [{ organizationId: "777002", apiKey: Redacted.make(KEY_2) }],
  authUrl: `${url}${DineroTestServer.tokenPath}`,
  apiUrl: url,
  ...overrides
})

describe("secret canary (Dinero + core)", () => {
  const capture = Canary.make()
  it.effect("no error path and no log line contains the client secret, an API key or an access token", () =>
    Effect.gen(function* () {
      const server = yield* DineroTestServer.make({ clients: [client], organizations })
      const memory = yield* DineroTestServer.makeClient(server)
      const build = (overrides: Partial<DineroClient.Options> = {}) =>
        DineroClient.make(options(overrides)).pipe(Effect.provideService(HttpClient.HttpClient, memory))
      const observe = capture.observe
      /** Runs an effect that waits on the clock (retries, windows) to its end. */
      const observeWaiting = <A, E>(effect: Effect.Effect<A, E>) =>
        Effect.gen(function* () {
          const fiber = yield* Effect.forkChild(observe(effect))
          yield* TestClock.adjust("5 minutes")
          return yield* Fiber.join(fiber)
        })
      const dinero = yield* build()
      // Refused input -> InvalidRequestError, nothing sent.
      yield* observe(dinero.createContact({ Name: "X", CountryKey: "Denmark", IsPerson: true }))
      const second = yield* dinero.organization("777002")

      // Success paths log their values too (at Debug), tokens included as Redacted.
      yield* observe(dinero.accessToken)
      yield* observe(second.accessToken)
      const contacts = yield* dinero.listContacts()
      yield* observe(dinero.listOrganizations())
      // A body over the cap -> ResponseTooLargeError; a network that never answers -> TimeoutError.
      yield* observe(dinero.listContacts().pipe(RequestLimits.provide({ maxBodyBytes: 1 })))
      const silent = yield* DineroClient.make(options()).pipe(
        Effect.provideService(HttpClient.HttpClient, Canary.silent(memory))
      )
      yield* observeWaiting(silent.listContacts())
      // Wrong client secret -> AuthenticationError invalid_client; wrong API key -> invalid_grant.
      yield* observe((yield* build({ clientSecret: Redacted.make(WRONG_SECRET) })).listContacts())
      yield* observe((yield* build({ apiKey: Redacted.make(WRONG_KEY) })).listContacts())
      // 401 after one replay -> AuthenticationError.
      yield* server.failNext(2, { status: 401, pathIncludes: "/contacts", body: '{"message":"denied"}' })
      yield* observe(dinero.listContacts())
      // 403: an organization without Pro.
      yield* observe(
        (yield* build({ organizationId: "777003", apiKey: Redacted.make(FREE_KEY), organizations: [] })).listContacts()
      )
      // 429 plain text, persisting -> RateLimitedError after bounded waiting.
      yield* server.rateLimitNext(3, undefined, {
        pathIncludes: "/products",
        body: DineroTestServer.quotaExceededText(100, 60_000),
        contentType: "text/plain"
      })
      yield* observeWaiting(dinero.listProducts())
      // 480 Brownout.
      yield* server.brownoutNext(1, "/products")
      yield* observe(dinero.listProducts())
      // 500 after retries -> ApiError.
      yield* server.failNext(3, { status: 500, pathIncludes: "/products" })
      yield* observeWaiting(dinero.listProducts())
      // Dinero validation error; input the schema refuses; 404.
      yield* observe(dinero.createContact({ Name: "X", CountryKey: "DK", IsPerson: true, Email: "nope" }))
      yield* observe(dinero.createContact({ Name: "X", CountryKey: "Danmark", IsPerson: true }))
      yield* observe(dinero.getContact("00000000-0000-0000-0000-000000000000"))
      // Stale booking timestamp.
      const draft = yield* dinero.createInvoice(invoiceFor(contacts.Collection[0].ContactGuid))
      yield* server.touchInvoice("777001", draft.Guid)
      yield* observe(dinero.bookInvoice(draft.Guid, { Timestamp: draft.TimeStamp! }))
      // Decode failures: HTML where JSON was expected, a wrong shape, JSON where a PDF was expected.
      yield* server.failNext(1, { status: 200, pathIncludes: "/contacts", body: "<html>oops</html>" })
      yield* observe(dinero.listContacts())
      yield* server.failNext(1, {
        status: 200,
        pathIncludes: "/contacts",
        body: '{"Collection":7}',
        contentType: "application/json"
      })
      yield* observe(dinero.listContacts())
      yield* server.failNext(1, { status: 200, pathIncludes: "/invoices", body: "{}", contentType: "application/json" })
      yield* observe(dinero.getInvoicePdf(draft.Guid))
      // A stream that fails halfway.
      yield* server.failNext(1, { status: 500, pathIncludes: "/contacts" })
      yield* observeWaiting(Stream.runCollect(second.streamContacts()))
      // The token endpoint answers garbage that quotes the secrets -> DecodeError that does not quote the body.
      yield* server.revokeTokens()
      yield* server.failNext(1, {
        status: 200,
        pathIncludes: "/oauth/token",
        body: `{"access_token":42,"note":"${SECRET} ${KEY}"}`,
        contentType: "application/json"
      })
      yield* observe(dinero.listContacts())
      // Configuration errors: bad organization id, credentials in a URL, missing variables, unknown organization.
      yield* observe(build({ organizationId: "x" }))
      yield* observe(build({ apiUrl: `http://user:${SECRET}@api.example` }))
      yield* observe(build({ authUrl: `https://authz.example/token?key=${KEY}` }))
      yield* observe(dinero.organization("999"))
      yield* observe(
        Layer.build(DineroClient.layerConfig()).pipe(
          Effect.provide(Layer.succeed(HttpClient.HttpClient, memory)),
          Effect.provide(
            ConfigProvider.layer(ConfigProvider.fromEnv({ env: { DINERO_CLIENT_SECRET: SECRET, DINERO_API_KEY: KEY } }))
          ),
          Effect.scoped
        )
      )
      // Transport failure over real HTTP: nothing listens on port 9.
      const transport = yield* DineroClient.make(options({}, "http://127.0.0.1:9")).pipe(
        Effect.provide(NodeHttpClient.layerUndici)
      )
      const transportExit = yield* observeWaiting(transport.listContacts())
      assert.isTrue(Exit.isFailure(transportExit))

      const tokens = (yield* server.requests)
        .map((r) => r.headers.authorization ?? "")
        .filter((h) => h.startsWith("Bearer "))
        .map((h) => h.slice(7))
      assert.isAbove(new Set(tokens).size, 2, "several tokens were issued and used")
      assert.deepStrictEqual(
        capture.unexercised([...Canary.RequestErrorTags, "BrownoutError"]),
        [],
        "the canary drove every error path"
      )
      assert.isAbove(capture.lines.length, 30)
      assert.deepStrictEqual(
        capture.leaks([SECRET, KEY, KEY_2, FREE_KEY, WRONG_SECRET, WRONG_KEY, ...new Set(tokens)]),
        []
      )
      // Control: the capture does see what errors carry (the organization id is in every path), so a leak would show.
      assert.isNotEmpty(capture.leaks(["/v1/777001/"]))
      // The secrets are still there, only hidden.
      assert.strictEqual(Redacted.value(options().clientSecret), SECRET)
      assert.strictEqual(Redacted.value(options().apiKey!), KEY)
    }).pipe(Effect.provide(capture.layer))
  )
})
describe("secret canary (Visma Connect)", () => {
  const capture = Canary.make()
  const CONNECT_SECRET = "CANARY-visma-connect-secret-0c41d9"
  it.live("no error path of the code flow carries the client secret, a code, the verifier or a token", () =>
    Effect.gen(function* () {
      const connect: DineroTestServer.VismaConnectClient = {
        clientId: "isv_canary",
        clientSecret: CONNECT_SECRET,
        redirectUris: ["http://127.0.0.1/callback"],
        tenants: { t1: ["777001"] }
      }
      const server = yield* DineroTestServer.make({ organizations, vismaConnectClients: [connect] })
      const memory = yield* DineroTestServer.makeClient(server)
      const observe = capture.observe
      const store = TokenStore.makeMemory()
      const flow = yield* DineroVismaConnect.makeCodeFlow({
        authority: "http://127.0.0.1",
        clientId: connect.clientId,
        clientSecret: Redacted.make(CONNECT_SECRET),
        redirectUri: connect.redirectUris[0]!,
        sessionKey: "canary"
      }).pipe(Effect.provideService(HttpClient.HttpClient, memory), Effect.provideService(TokenStore.TokenStore, store))
      const authorize = (url: string) =>
        Effect.map(
          Effect.flatMap(HttpClient.HttpClient, (http) => http.get(url)),
          (r) => r.headers.location ?? ""
        ).pipe(Effect.provideService(HttpClient.HttpClient, memory))
      const first = yield* flow.authorize()
      const location = yield* authorize(first.url)
      const code = new URL(location).searchParams.get("code")!
      yield* flow.handleCallback(location, first.pending)
      const stored = yield* store.get("canary")
      const refresh = Option.isSome(stored) ? Redacted.value(stored.value.refreshToken!) : ""
      const access = Option.isSome(stored) ? Redacted.value(stored.value.value) : ""
      // Replayed state, forged state, a code used twice, a wrong secret, a revoked grant.
      yield* observe(flow.handleCallback(location, first.pending))
      const second = yield* flow.authorize()
      const secondLocation = yield* authorize(second.url)
      yield* observe(flow.handleCallback(secondLocation.replace(/state=[^&]+/, "state=x"), second.pending))
      const third = yield* flow.authorize()
      yield* observe(
        flow.handleCallback(location.replace(/state=[^&]+/, `state=${third.pending.state}`), third.pending)
      )
      const wrong = yield* DineroVismaConnect.makeClientCredentials({
        authority: "http://127.0.0.1",
        clientId: connect.clientId,
        clientSecret: Redacted.make(`${CONNECT_SECRET}-wrong`),
        tenantId: "t1"
      }).pipe(Effect.provideService(HttpClient.HttpClient, memory))
      yield* observe(wrong.get)
      const dinero = yield* DineroClient.makeWithTokens({
        organizationIds: ["777001"],
        tokens: flow.tokens,
        apiUrl: "http://127.0.0.1"
      }).pipe(Effect.provideService(HttpClient.HttpClient, memory))
      yield* server.tokens.expire()
      yield* dinero.listVatTypes()
      yield* server.tokens.revoke()
      // The retired refresh token replayed: the grant is revoked.
      yield* observe(
        Effect.flatMap(HttpClient.HttpClient, (http) =>
          http.execute(
            HttpClientRequest.post(`http://127.0.0.1${DineroTestServer.connectTokenPath}`).pipe(
              HttpClientRequest.basicAuth(connect.clientId, CONNECT_SECRET),
              HttpClientRequest.bodyUrlParams({ grant_type: "refresh_token", refresh_token: refresh })
            )
          )
        ).pipe(Effect.provideService(HttpClient.HttpClient, memory))
      )
      yield* observe(dinero.listVatTypes())
      assert.deepStrictEqual(
        capture.unexercised(["StateMismatchError", "AuthenticationError", "ReauthorizationRequiredError"]),
        []
      )
      assert.deepStrictEqual(
        capture.leaks(
          [CONNECT_SECRET, code, Redacted.value(first.pending.codeVerifier), refresh, access].filter(
            (x) => x.length > 0
          )
        ),
        []
      )
      // Control: what errors do carry is seen (the token endpoint's path), so a leak would show.
      assert.isNotEmpty(capture.leaks([DineroTestServer.connectTokenPath]))
    }).pipe(Effect.provide(capture.layer))
  )
})
