/**
 * When Redis is unreachable, and when a holder dies at the worst moment — against a real redis-server that the
 * test stops:
 *
 * - a credential that can be requested again (Dintero client credentials) falls back to this process's own
 *   acquisition: the call succeeds, one extra token request;
 * - a rotating grant (Monerium code flow) is never refreshed unsynchronized: a typed `TokenStoreError`, and no
 *   refresh token reaches the server;
 * - a callback whose state cannot be recorded as used is refused (`problem: "unavailable"`), its code never sent;
 * - shared pacing fails the request before it is sent (`TransportError`);
 * - no Redis error, log line or rendering carries the connection's password;
 * - a lock holder that lost its lock cannot overwrite the shared token or the stored grant (fencing);
 * - a crash between the provider's answer and the store write: the next holder presents the stored refresh token
 *   again; the server had rotated it, so it answers `invalid_grant` and the user must log in again
 *   (`ReauthorizationRequiredError`) — the grant is lost, never silently forked.
 */

import { inspect } from "node:util"
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { assert, describe, it } from "@effect/vitest"
import { AccessToken, OAuth2, RedisCoordination, TokenStore } from "@nordkit/core"
import { DineroClient } from "@nordkit/dinero"
import { DineroTestServer } from "@nordkit/dinero/testing"
import { DinteroClient } from "@nordkit/dintero"
import { DinteroTestServer } from "@nordkit/dintero/testing"
import { MoneriumClient } from "@nordkit/monerium"
import { MoneriumTestServer } from "@nordkit/monerium/testing"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Redis from "effect/persistence/Redis"
import * as Redacted from "effect/Redacted"
import * as RedisServer from "./RedisServer.ts"

const startRedis = Effect.acquireRelease(
  Effect.promise(() => RedisServer.start()),
  (server) => Effect.promise(() => server.stop())
)

/** Every rendering of a failure a user could print or log. */
const renderings = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.squash(cause) as { message?: string }
  return [Cause.pretty(cause), String(failure), JSON.stringify(failure), failure.message ?? ""].join("\n")
}

const coordination = (url: string) =>
  RedisCoordination.layerAll({ commandTimeout: "300 millis", lockTtl: "2 seconds" }).pipe(
    Layer.provideMerge(NodeRedis.layer({ url, disableOfflineQueue: true }))
  )

describe.skipIf(!RedisServer.isAvailable() && process.env.CI === undefined)(
  "Redis unavailable, holders that die",
  () => {
    it.live(
      "client credentials fall back; a rotating grant, a callback and shared pacing fail typed; no password leaks",
      () =>
        Effect.gen(function* () {
          const redis = yield* startRedis
          const logs: Array<string> = []
          const capture = Logger.layer([Logger.make((options) => logs.push(inspect(options.message, { depth: 6 })))])
          const dinteroServer = yield* DinteroTestServer.make()
          const account = DinteroTestServer.defaultAccount
          const moneriumServer = yield* MoneriumTestServer.make()
          const app = MoneriumTestServer.defaultCodeApp
          const dineroServer = yield* DineroTestServer.make()
          const dineroCredentials = DineroTestServer.defaultClient
          const organization = DineroTestServer.defaultOrganizations[0]
          const context = yield* Layer.build(
            Layer.mergeAll(
              DinteroClient.layer({
                accountId: account.accountId,
                clientId: account.clientId,
                clientSecret: Redacted.make(account.clientSecret),
                apiUrl: "http://127.0.0.1"
              }).pipe(Layer.provide(DinteroTestServer.layerClient(dinteroServer))),
              MoneriumClient.layer({
                apiUrl: "http://127.0.0.1",
                credentials: MoneriumClient.authorizationCode({
                  clientId: app.clientId,
                  redirectUri: app.redirectUris[0]
                })
              }).pipe(Layer.provide(MoneriumTestServer.layerClient(moneriumServer))),
              DineroClient.layer({
                clientId: dineroCredentials.clientId,
                clientSecret: Redacted.make(dineroCredentials.clientSecret),
                organizationId: organization.organizationId,
                apiKey: Redacted.make(organization.apiKey),
                authUrl: "http://127.0.0.1/dineroapi/oauth/token",
                apiUrl: "http://127.0.0.1"
              }).pipe(Layer.provide(DineroTestServer.layerClient(dineroServer)))
            ).pipe(Layer.provideMerge(coordination(redis.url)))
          ).pipe(Effect.provide(capture))
          const run = <A, E>(effect: Effect.Effect<A, E, any>) =>
            effect.pipe(Effect.provide(context), Effect.provide(capture)) as Effect.Effect<A, E>
          const dintero = yield* run(Effect.service(DinteroClient.DinteroClient))
          const monerium = yield* run(Effect.service(MoneriumClient.MoneriumClient))

          // Both work while Redis is up.
          const first = yield* run(dintero.accessToken)
          const { url, pending } = yield* run(monerium.authorize())
          yield* run(monerium.handleCallback(yield* moneriumServer.approve(url), pending))
          const grant = yield* run(monerium.accessToken)
          const dinero = yield* run(Effect.service(DineroClient.DineroClient))
          yield* run(dinero.listOrganizations())
          const second = yield* run(monerium.authorize())
          const secondCallback = yield* moneriumServer.approve(second.url)

          yield* Effect.promise(() => redis.stop())

          // Dintero: the invalidated token is replaced by this process's own request.
          yield* dintero.tokens.invalidate(first)
          const replaced = yield* run(dintero.accessToken)
          assert.isFalse(AccessToken.sameValue(first, replaced))
          const dinteroTokenRequests = (yield* dinteroServer.requests).filter((r) => r.path.endsWith("/auth/token"))
          assert.strictEqual(dinteroTokenRequests.length, 2)

          // Monerium: no refresh without the lock.
          const refreshesBefore = (yield* moneriumServer.grantsOf("refresh_token")).length
          yield* monerium.tokens.invalidate(grant)
          const exit = yield* Effect.exit(run(monerium.accessToken))
          assert.isTrue(Exit.isFailure(exit))
          if (Exit.isFailure(exit)) {
            const error = Cause.squash(exit.cause) as { _tag: string }
            assert.strictEqual(error._tag, "TokenStoreError")
            assert.notInclude(renderings(exit.cause), redis.password)
          }
          assert.strictEqual((yield* moneriumServer.grantsOf("refresh_token")).length, refreshesBefore)

          // A callback cannot be recorded as used: refused, and its code never sent.
          const codesBefore = (yield* moneriumServer.grantsOf("authorization_code")).length
          const refused = yield* Effect.flip(run(monerium.handleCallback(secondCallback, second.pending)))
          assert.deepInclude(refused, { _tag: "StateMismatchError", problem: "unavailable" })
          assert.strictEqual((yield* moneriumServer.grantsOf("authorization_code")).length, codesBefore)

          // Shared pacing: the request fails before it is sent.
          const apiBefore = (yield* dineroServer.requests).filter((r) => r.path.startsWith("/v1/")).length
          const paced = yield* Effect.flip(run(dinero.listOrganizations()))
          assert.strictEqual(paced._tag, "TransportError")
          assert.notInclude(String(paced), redis.password)
          assert.strictEqual((yield* dineroServer.requests).filter((r) => r.path.startsWith("/v1/")).length, apiBefore)
          // The Redis client logged its connection failures; none of them carries the password.
          assert.isTrue(
            logs.some((line) => line.includes("NodeRedis client error")),
            "the failures were logged"
          )
          for (const line of logs) assert.notInclude(line, redis.password)
        }).pipe(Effect.scoped)
    )

    it.live("a wrong password or an unreachable Redis fails the layer without echoing the URL's password", () =>
      Effect.gen(function* () {
        const redis = yield* startRedis
        const wrong = `redis://:not-${redis.password}@127.0.0.1:${redis.port}`
        const exit = yield* Effect.exit(Effect.scoped(Layer.build(coordination(wrong))))
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) assert.notInclude(renderings(exit.cause), redis.password)
        const described = RedisCoordination.describeError(
          new Redis.RedisError({ cause: new Error(`connect ECONNREFUSED ${wrong}`) })
        )
        assert.notInclude(described, redis.password)
        assert.strictEqual(described, "redis connection unavailable (Error)")
      }).pipe(Effect.scoped)
    )

    it.live("a holder whose lock expired cannot overwrite the shared token or the stored grant (fencing)", () =>
      Effect.gen(function* () {
        const redis = yield* startRedis
        const context = yield* Layer.build(NodeRedis.layer({ url: redis.url, disableOfflineQueue: true }))
        const backend = yield* RedisCoordination.makeBackend({ lockTtl: "300 millis" }).pipe(Effect.provide(context))
        const store = yield* RedisCoordination.makeTokenStore().pipe(Effect.provide(context))
        const token = (value: string) =>
          AccessToken.make({ value, issuedAt: Date.now(), expiresInSeconds: 3600, refreshToken: `${value}-refresh` })
        const outcome = yield* backend.lock("k", Effect.succeedNone)
        assert.strictEqual(outcome._tag, "Locked")
        if (outcome._tag !== "Locked") return
        yield* outcome.lease.read
        // Stall past the TTL without renewing (as a paused process would): another holder takes the lock.
        yield* Effect.sync(() => {
          const start = Date.now()
          while (Date.now() - start < 450) {}
        })
        const newer = yield* Effect.scoped(
          Effect.gen(function* () {
            const taken = yield* backend.lock("k", Effect.succeedNone)
            assert.strictEqual(taken._tag, "Locked")
            if (taken._tag !== "Locked") return false
            yield* taken.lease.read
            return yield* taken.lease.write(token("newer"))
          })
        )
        assert.isTrue(newer)
        assert.isFalse(yield* outcome.lease.write(token("stale")))
        const shared = yield* backend.read("k")
        assert.strictEqual(Option.map(shared, (t) => Redacted.value(t.value)).pipe(Option.getOrUndefined), "newer")
        // A fenced store write by the stale holder fails typed and changes nothing.
        yield* store.set("session", token("newer"))
        const within = outcome.lease.within ?? ((effect) => effect)
        const stale = yield* Effect.flip(within(store.set("session", token("stale"))))
        assert.strictEqual(stale._tag, "TokenStoreError")
        const stored = yield* store.get("session")
        assert.strictEqual(Option.map(stored, (t) => Redacted.value(t.value)).pipe(Option.getOrUndefined), "newer")
      }).pipe(Effect.scoped)
    )

    it.live("a crash between Monerium's answer and the store write: the next holder gets invalid_grant, typed", () =>
      Effect.gen(function* () {
        const redis = yield* startRedis
        const server = yield* MoneriumTestServer.make()
        const app = MoneriumTestServer.defaultCodeApp
        const replica = Layer.fresh(
          MoneriumClient.layer({
            apiUrl: "http://127.0.0.1",
            credentials: MoneriumClient.authorizationCode({ clientId: app.clientId, redirectUri: app.redirectUris[0] })
          }).pipe(Layer.provide(MoneriumTestServer.layerClient(server)), Layer.provideMerge(coordination(redis.url)))
        )
        const a = yield* Layer.build(replica)
        const b = yield* Layer.build(replica)
        const clientA = yield* Effect.service(MoneriumClient.MoneriumClient).pipe(Effect.provide(a))
        const clientB = yield* Effect.service(MoneriumClient.MoneriumClient).pipe(Effect.provide(b))
        const { url, pending } = yield* clientA.authorize()
        yield* clientA.handleCallback(yield* server.approve(url), pending).pipe(Effect.provide(a))
        const grant = yield* clientA.accessToken

        // Replica A refreshes and "crashes" after Monerium answered, before its store write: simulated by
        // refreshing at the token endpoint directly with the stored refresh token and dropping the answer.
        const store = yield* Effect.service(TokenStore.TokenStore).pipe(Effect.provide(a))
        const stored = Option.getOrThrow(yield* store.get("default"))
        const lost = yield* OAuth2.requestToken({
          provider: "monerium",
          endpoint: "http://127.0.0.1/auth/token",
          grantType: "refresh_token",
          client: { _tag: "Body", clientId: app.clientId },
          params: { refresh_token: stored.refreshToken },
          headers: { accept: MoneriumTestServer.acceptV2 }
        }).pipe(Effect.provide(MoneriumTestServer.layerClient(server)), Effect.option)
        assert.isTrue(Option.isSome(lost), "the provider answered (and rotated) before the crash")

        // Replica B holds the grant's access token (shared through Redis), then needs a new one: it takes the lock
        // and presents the stored — now retired — refresh token.
        assert.isTrue(AccessToken.sameValue(yield* clientB.accessToken, grant))
        yield* clientB.tokens.invalidate(grant)
        const error = yield* Effect.flip(clientB.accessToken)
        assert.strictEqual(error._tag, "ReauthorizationRequiredError")
        assert.strictEqual((error as { reason?: string }).reason, "invalid_grant")
        assert.isFalse(yield* clientB.isConnected)
      }).pipe(Effect.scoped)
    )
  }
)
