/**
 * Every provider's public client against real loopback servers that misbehave — never answer, stall the body,
 * send 200 MB, echo the whole request, redirect to another origin — with `layerUndici` and `FetchHttpClient`,
 * counting what each server (and the "other origin") received. Short deadlines come from `RequestLimits.layer`.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { RequestLimits, TokenStore } from "@nordkit/core"
import { Canary } from "@nordkit/core/testing"
import * as UndiciClient from "@nordkit/core/UndiciClient"
import { DineroClient } from "@nordkit/dinero"
import { DinteroClient } from "@nordkit/dintero"
import { MoneriumClient } from "@nordkit/monerium"
import { NetgiroClient } from "@nordkit/netgiro"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as HostileServer from "./HostileServer.ts"
import * as Spans from "./Spans.ts"

const TIMEOUT = 300
const ATTEMPTS = 2
/** Scheduling slack on a shared 2-core machine. */
const MARGIN = 1_000
const retry = { attempts: ATTEMPTS, baseDelay: 10, maxDelay: 20 }

const CLIENT_SECRET = "client-SECRET-4711-abcdef"
const API_KEY = "dinero-APIKEY-SECRET-0815"
const NETGIRO_SECRET = "bmV0Z2lyby1TRUNSRVQtc2lnbmluZy1rZXk="
const ACCESS_TOKEN = "access-SECRET-token-abcdef-123"
const secrets = [
  CLIENT_SECRET,
  API_KEY,
  NETGIRO_SECRET,
  ACCESS_TOKEN,
  btoa(`dintero-client:${CLIENT_SECRET}`),
  btoa(`dinero-client:${CLIENT_SECRET}`),
  encodeURIComponent(NETGIRO_SECRET)
]

// The four clients have different service types; the suite only looks at the error tags.
type Operation = Effect.Effect<unknown, { readonly _tag: string }, any>

interface Provider {
  readonly name: string
  readonly layer: (url: string) => Layer.Layer<any, unknown, HttpClient.HttpClient>
  /** Path prefix of the token endpoint (answered with a valid token), when the provider uses tokens. */
  readonly tokenPath?: string | undefined
  /** An idempotent read (retried after a timeout). */
  readonly read: Operation
  /** A POST (never replayed after a timeout), when the provider has a stable one. */
  readonly write?: Operation | undefined
  /** Operations that put an id in the path. */
  readonly withId: ReadonlyArray<(id: string) => Operation>
}

const token = { access_token: ACCESS_TOKEN, token_type: "Bearer", expires_in: 3600 }

const run = (provider: Provider, url: string, operation: Operation) =>
  Effect.provide(operation, provider.layer(url)) as Effect.Effect<unknown, unknown>

const Dintero = DinteroClient.DinteroClient
const Dinero = DineroClient.DineroClient
const Monerium = MoneriumClient.MoneriumClient
const Netgiro = NetgiroClient.NetgiroClient

const session = {
  url: { return_url: "https://shop.example/return", callback_url: "https://shop.example/callback" },
  profile_id: "default",
  order: {
    amount: 10_000,
    currency: "NOK",
    merchant_reference: "order-1",
    items: [{ id: "sku-1", line_id: "1", description: "Hat", quantity: 1, amount: 10_000, vat_amount: 2_000, vat: 25 }]
  }
} as const

const providers: ReadonlyArray<Provider> = [
  {
    name: "dintero",
    layer: (url) =>
      DinteroClient.layer({
        accountId: "T11223344",
        clientId: "dintero-client",
        clientSecret: Redacted.make(CLIENT_SECRET),
        apiUrl: url,
        checkoutUrl: url,
        retry
      }),
    tokenPath: "/v1/accounts/T11223344/auth/token",
    read: Effect.flatMap(Dintero, (c) => c.getTransaction("T11223344.abc")),
    write: Effect.flatMap(Dintero, (c) => c.createSession(session)),
    withId: [
      (id) => Effect.flatMap(Dintero, (c) => c.getTransaction(id)),
      (id) => Effect.flatMap(Dintero, (c) => c.voidTransaction(id))
    ]
  },
  {
    name: "dinero",
    layer: (url) =>
      DineroClient.layer({
        clientId: "dinero-client",
        clientSecret: Redacted.make(CLIENT_SECRET),
        organizationId: "123456",
        apiKey: Redacted.make(API_KEY),
        authUrl: `${url}/dineroapi/oauth/token`,
        apiUrl: url,
        retry,
        pacing: false
      }),
    tokenPath: "/dineroapi/oauth/token",
    read: Effect.flatMap(Dinero, (c) => c.listContacts()),
    withId: [
      (id) => Effect.flatMap(Dinero, (c) => c.getContact(id)),
      (id) => Effect.flatMap(Dinero, (c) => c.deleteContact(id))
    ]
  },
  {
    name: "monerium",
    layer: (url) =>
      MoneriumClient.layer({
        credentials: MoneriumClient.clientCredentials({
          clientId: "monerium-client",
          clientSecret: Redacted.make(CLIENT_SECRET)
        }),
        apiUrl: url,
        retry
      }),
    tokenPath: "/auth/token",
    read: Effect.flatMap(Monerium, (c) => c.listProfiles),
    withId: [
      (id) => Effect.flatMap(Monerium, (c) => c.getOrder(id)),
      (id) => Effect.flatMap(Monerium, (c) => c.getProfile(id))
    ]
  },
  {
    name: "netgiro",
    layer: (url) =>
      NetgiroClient.layer({ appKey: "netgiro-app", secret: Redacted.make(NETGIRO_SECRET), apiUrl: url, retry }),
    read: Effect.flatMap(Netgiro, (c) => c.checkCart("c3a1d0f0-0000-4000-8000-000000000001")),
    write: Effect.flatMap(Netgiro, (c) =>
      c.insertCart({
        Amount: 4_990,
        Reference: "order-17",
        CustomerId: "8223281",
        ConfirmationType: 0,
        Description: "x"
      })
    ),
    withId: []
  }
]

const platforms: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["layerUndici", NodeHttpClient.layerUndici],
  ["UndiciClient", UndiciClient.layer],
  ["FetchHttpClient", FetchHttpClient.layer]
]

/** Routes token requests to a valid token and everything else to `behaviour`. */
const routed =
  (provider: Provider, behaviour: HostileServer.Behaviour) =>
  (request: HostileServer.Received): HostileServer.Behaviour =>
    provider.tokenPath !== undefined && request.url.startsWith(provider.tokenPath)
      ? { _tag: "Json", status: 200, body: token }
      : behaviour

const apiCount = (provider: Provider, server: HostileServer.HostileServer) =>
  server.received.filter((request) => provider.tokenPath === undefined || !request.url.startsWith(provider.tokenPath))
    .length

const timed = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    const start = Date.now()
    const exit = yield* Effect.exit(effect)
    return { exit, millis: Date.now() - start }
  })

const tagOf = (exit: { _tag: string; cause?: unknown }): string => {
  if (exit._tag === "Success") return "Success"
  const reasons = (exit as { cause: { reasons: ReadonlyArray<{ _tag: string; error?: { _tag?: string } }> } }).cause
    .reasons
  const reason = reasons[0]
  return reason?._tag === "Fail" ? (reason.error?._tag ?? "Fail") : (reason?._tag ?? "none")
}

for (const [platformName, platform] of platforms) {
  for (const provider of providers) {
    describe(`${provider.name} on ${platformName}`, () => {
      const env = Layer.merge(platform, RequestLimits.layer({ timeout: TIMEOUT, maxBodyBytes: 1024 * 1024 }))

      it.live("a server that never answers: reads time out after their retries, writes after one attempt", () =>
        Effect.gen(function* () {
          const server = yield* HostileServer.make(routed(provider, { _tag: "Hang" }))
          const read = yield* timed(run(provider, server.url, provider.read))
          assert.strictEqual(tagOf(read.exit), "TimeoutError")
          assert.isBelow(read.millis, ATTEMPTS * TIMEOUT + MARGIN)
          const reads = apiCount(provider, server)
          assert.isAtLeast(reads, 1)
          assert.isAtMost(reads, ATTEMPTS)
          if (provider.write !== undefined) {
            const write = yield* timed(run(provider, server.url, provider.write))
            assert.strictEqual(tagOf(write.exit), "TimeoutError")
            assert.isBelow(write.millis, TIMEOUT + MARGIN)
            assert.strictEqual(apiCount(provider, server) - reads, 1, "the POST is not replayed")
          }
        }).pipe(Effect.scoped, Effect.provide(env))
      )

      it.live("headers, then a stalled body: TimeoutError within the deadline", () =>
        Effect.gen(function* () {
          const server = yield* HostileServer.make(routed(provider, { _tag: "StallBody", contentLength: 4096 }))
          const { exit, millis } = yield* timed(run(provider, server.url, provider.read))
          assert.strictEqual(tagOf(exit), "TimeoutError")
          assert.isBelow(millis, ATTEMPTS * TIMEOUT + MARGIN)
        }).pipe(Effect.scoped, Effect.provide(env))
      )

      it.live("a 200 MB answer is refused at the cap (ResponseTooLargeError), chunked or announced", () =>
        Effect.gen(function* () {
          for (const chunked of [false, true]) {
            const server = yield* HostileServer.make(
              routed(provider, { _tag: "Huge", status: 200, bytes: 200 * 1024 * 1024, chunked })
            )
            const { exit, millis } = yield* timed(run(provider, server.url, provider.read))
            assert.strictEqual(tagOf(exit), "ResponseTooLargeError")
            assert.isBelow(millis, ATTEMPTS * TIMEOUT + MARGIN)
          }
        }).pipe(Effect.scoped, Effect.provide(env))
      )

      it.live("a redirect to another origin (API and token endpoint): refused, 0 requests at the other origin", () =>
        Effect.gen(function* () {
          const other = yield* HostileServer.make(() => ({ _tag: "Json", status: 200, body: token }))
          for (const status of [302, 307, 308]) {
            const redirect: HostileServer.Behaviour = { _tag: "Redirect", status, location: `${other.url}/steal` }
            const api = yield* HostileServer.make(routed(provider, redirect))
            assert.strictEqual(tagOf((yield* timed(run(provider, api.url, provider.read))).exit), "ApiError")
            if (provider.write !== undefined) {
              assert.strictEqual(tagOf((yield* timed(run(provider, api.url, provider.write))).exit), "ApiError")
            }
            if (provider.tokenPath !== undefined) {
              const tokenEndpoint = yield* HostileServer.make(() => redirect)
              const exit = (yield* timed(run(provider, tokenEndpoint.url, provider.read))).exit
              assert.notStrictEqual(tagOf(exit), "Success")
              assert.strictEqual(tokenEndpoint.count(), 1, "a refused redirect is not retried")
            }
          }
          assert.strictEqual(other.count(), 0)
        }).pipe(Effect.scoped, Effect.provide(env))
      )

      it.live("a server echoing the whole request in its errors: 0 secrets in any rendering", () => {
        const canary = Canary.make()
        const spans = Spans.make()
        return Effect.gen(function* () {
          const servers: Array<HostileServer.HostileServer> = []
          for (const behaviour of [
            { _tag: "Echo", status: 400, json: true },
            { _tag: "Echo", status: 401, json: true },
            { _tag: "Echo", status: 500, json: false },
            { _tag: "Echo", status: 200, json: true }
          ] as const) {
            const api = yield* HostileServer.make(routed(provider, behaviour))
            servers.push(api)
            for (const operation of provider.write === undefined ? [provider.read] : [provider.read, provider.write]) {
              yield* canary.observe(spans.provide(run(provider, api.url, operation)))
            }
            if (provider.tokenPath !== undefined) {
              const tokenEndpoint = yield* HostileServer.make(() => behaviour)
              servers.push(tokenEndpoint)
              yield* canary.observe(spans.provide(run(provider, tokenEndpoint.url, provider.read)))
            }
          }
          // Plus what only the wire shows: every credential-carrying header value actually sent (a bearer token,
          // Basic credentials, each request's signature).
          const sent = servers.flatMap((server) =>
            server.received.flatMap((request) =>
              Object.entries(request.headers)
                .filter(([name]) => /authorization|signature|key|token/i.test(name))
                .flatMap(([, value]) => (typeof value === "string" ? [value, value.replace(/^\S+ /, "")] : []))
            )
          )
          const all = [...secrets, ...sent.filter((value) => value.length >= 8)]
          assert.deepStrictEqual([...canary.leaks(all), ...spans.leaks(all)], [])
          assert.isAbove(canary.renderings.length, 8)
        }).pipe(Effect.scoped, Effect.provide(canary.layer), Effect.provide(env))
      })

      if (provider.tokenPath !== undefined) {
        it.live("a token endpoint that never answers the first request: a later caller gets a token", () =>
          Effect.gen(function* () {
            let tokenRequests = 0
            const server = yield* HostileServer.make((request) => {
              if (request.url.startsWith(provider.tokenPath as string)) {
                return tokenRequests++ === 0 ? { _tag: "Hang" } : { _tag: "Json", status: 200, body: token }
              }
              return { _tag: "Json", status: 404, body: { error: "not found" } }
            })
            const start = Date.now()
            const [first, second] = (yield* Effect.provide(
              Effect.all([Effect.exit(provider.read), Effect.exit(provider.read)]),
              provider.layer(server.url)
            )) as [{ _tag: string }, { _tag: string }]
            const millis = Date.now() - start
            // The first caller either timed out or was served by the retried token request; the second is served.
            assert.include(["TimeoutError", "ApiError", "DecodeError", "Success"], tagOf(first))
            assert.notStrictEqual(tagOf(second), "TimeoutError")
            assert.isTrue(
              server.received.some((request) => request.headers.authorization === `Bearer ${ACCESS_TOKEN}`),
              "an API request carried the token"
            )
            assert.isAtLeast(tokenRequests, 2)
            assert.isBelow(millis, ATTEMPTS * TIMEOUT + MARGIN + 500)
          }).pipe(Effect.scoped, Effect.provide(env))
        )
      }

      if (provider.withId.length > 0) {
        it.live('ids "..", ".", "" and friends send nothing', () =>
          Effect.gen(function* () {
            const server = yield* HostileServer.make(routed(provider, { _tag: "Json", status: 200, body: {} }))
            for (const operation of provider.withId) {
              for (const id of ["..", ".", "", "%2e%2e", "a/../b", "x?y", "x#y"]) {
                const { exit } = yield* timed(run(provider, server.url, operation(id)))
                assert.strictEqual(tagOf(exit), "InvalidRequestError", JSON.stringify(id))
              }
            }
            assert.strictEqual(apiCount(provider, server), 0)
          }).pipe(Effect.scoped, Effect.provide(env))
        )
      }
    })
  }
}

describe("header values from configuration", () => {
  for (const [platformName, platform] of [...platforms, ["layerNodeHttp", NodeHttpClient.layerNodeHttp] as const]) {
    it.live(
      `CR/LF, NUL or non-Latin-1 in a system name or app key is a ConfigurationError at layer build (${platformName})`,
      () =>
        Effect.gen(function* () {
          const server = yield* HostileServer.make(() => ({ _tag: "Json", status: 200, body: token }))
          for (const value of ["shop\r\nX-Evil: 1", "shop\u0000", "shop ✓"]) {
            const layers = [
              DinteroClient.layer({
                accountId: "T11223344",
                clientId: "dintero-client",
                clientSecret: Redacted.make(CLIENT_SECRET),
                apiUrl: server.url,
                checkoutUrl: server.url,
                systemName: value
              }),
              NetgiroClient.layer({ appKey: value, secret: Redacted.make(NETGIRO_SECRET), apiUrl: server.url })
            ] as ReadonlyArray<Layer.Layer<unknown, unknown, HttpClient.HttpClient>>
            for (const layer of layers) {
              const exit = yield* Effect.exit(Effect.scoped(Layer.build(layer)))
              assert.strictEqual(tagOf(exit), "ConfigurationError", JSON.stringify(value))
            }
          }
          assert.strictEqual(server.count(), 0)
        }).pipe(Effect.scoped, Effect.provide(platform))
    )
  }
})

describe("Monerium code exchange against an echoing token endpoint", () => {
  for (const [platformName, platform] of platforms) {
    it.live(`the authorization code and the PKCE verifier appear in no rendering (${platformName})`, () => {
      const canary = Canary.make()
      const spans = Spans.make()
      const code = "authcode-SECRET-5e6f7a8b9c"
      const codeVerifier = `verifier-SECRET-${"v".repeat(40)}`
      return Effect.gen(function* () {
        for (const behaviour of [
          { _tag: "Echo", status: 400, json: true },
          { _tag: "Echo", status: 500, json: false },
          { _tag: "Echo", status: 200, json: true }
        ] as const) {
          const server = yield* HostileServer.make(() => behaviour)
          const exchange = Effect.flatMap(MoneriumClient.MoneriumClient, (client) =>
            client.exchangeCode({ code, codeVerifier })
          ).pipe(
            Effect.provide(
              MoneriumClient.layer({
                credentials: MoneriumClient.authorizationCode({
                  clientId: "monerium-code-app",
                  redirectUri: "https://app.example/callback"
                }),
                apiUrl: server.url,
                retry
              })
            ),
            Effect.provide(TokenStore.layerMemory)
          )
          const exit = yield* canary.observe(spans.provide(exchange))
          assert.strictEqual(exit._tag, "Failure")
          assert.isTrue(
            server.received.some((request) => request.body.includes(code)),
            "the echo is real"
          )
        }
        const forms = [code, codeVerifier].flatMap((secret) => [secret, encodeURIComponent(secret), btoa(secret)])
        assert.deepStrictEqual([...canary.leaks(forms), ...spans.leaks(forms)], [])
      }).pipe(Effect.scoped, Effect.provide(canary.layer), Effect.provide(platform))
    })
  }
})
