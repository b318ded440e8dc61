/**
 * Replicas in the demo: three instances of an app (each with its own token cache and its own Redis
 * connections, as three processes would have) share one Dintero credential and one Monerium session through a
 * real redis-server on loopback. Shown when `redis-server` is installed; otherwise the demo says how to get it.
 * The same guarantees with real separate processes are tested in test/replicas.
 */

import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { RedisCoordination } from "@nordkit/core"
import { DinteroClient } from "@nordkit/dintero"
import { DinteroTestServer } from "@nordkit/dintero/testing"
import { MoneriumClient } from "@nordkit/monerium"
import { MoneriumTestServer } from "@nordkit/monerium/testing"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as RedisServer from "../../test/replicas/RedisServer.ts"

const replicas = 3

const listen = <S extends { readonly app: any }>(server: S, serve: (server: S) => Effect.Effect<string, never, any>) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
    return yield* serve(server).pipe(Effect.provide(context)) as Effect.Effect<string>
  })

const withRedis = Effect.gen(function* () {
  const redis = yield* Effect.acquireRelease(
    Effect.promise(() => RedisServer.start()),
    (server) => Effect.promise(() => server.stop())
  )
  yield* Console.log(`  redis      redis-server on 127.0.0.1:${redis.port} (password-protected, started for the demo)`)
  // Each replica: its own Redis connections and coordinator, its own client (nothing shared in memory).
  const shared = RedisCoordination.layerAll().pipe(
    Layer.provideMerge(NodeRedis.layer({ url: redis.url, disableOfflineQueue: true }))
  )

  const dintero = yield* DinteroTestServer.make()
  const dinteroUrl = yield* listen(dintero, DinteroTestServer.listen)
  const account = DinteroTestServer.defaultAccount
  const dinteroReplica = DinteroClient.layer({
    accountId: account.accountId,
    clientId: account.clientId,
    clientSecret: Redacted.make(account.clientSecret),
    apiUrl: dinteroUrl
  }).pipe(Layer.provide(shared))
  const dinteros = yield* Effect.forEach(Array.from({ length: replicas }), () =>
    Effect.flatMap(Layer.build(Layer.fresh(dinteroReplica)), (context) =>
      Effect.service(DinteroClient.DinteroClient).pipe(Effect.provide(context))
    )
  )
  yield* Effect.forEach(dinteros, (client) => Effect.forEach(Array.from({ length: 50 }), () => client.accessToken), {
    concurrency: "unbounded"
  })
  const tokenRequests = (yield* dintero.requests).filter((r) => r.path.endsWith("/auth/token")).length
  yield* Console.log(
    `  dintero    ${replicas} replicas × 50 concurrent cold callers → ${tokenRequests} token request at the test server`
  )

  const monerium = yield* MoneriumTestServer.make()
  const moneriumUrl = yield* listen(monerium, MoneriumTestServer.listen)
  const app = MoneriumTestServer.defaultCodeApp
  const moneriumReplica = MoneriumClient.layer({
    apiUrl: moneriumUrl,
    credentials: MoneriumClient.authorizationCode({
      clientId: app.clientId,
      redirectUri: app.redirectUris[0],
      sessionKey: "user-42"
    })
  }).pipe(Layer.provide(shared))
  const moneriums = yield* Effect.forEach(Array.from({ length: replicas }), () =>
    Effect.flatMap(Layer.build(Layer.fresh(moneriumReplica)), (context) =>
      Effect.service(MoneriumClient.MoneriumClient).pipe(Effect.provide(context))
    )
  )
  const [first, second] = moneriums
  const { url, pending } = yield* first.authorize()
  const callback = yield* monerium.approve(url)
  yield* first.handleCallback(callback, pending)
  const replay = yield* Effect.flip(second.handleCallback(callback, pending))
  yield* Console.log(
    `  monerium   login on replica 1; the same callback replayed to replica 2 → ${replay._tag}${"problem" in replay ? ` (${replay.problem})` : ""}`
  )
  const tokens = yield* Effect.forEach(moneriums, (client) => client.accessToken)
  // Every replica drops its token at once (e.g. a 401): they refresh the rotating grant together.
  const before = (yield* monerium.grantsOf("refresh_token")).length
  yield* Effect.forEach(moneriums, (client, i) => client.tokens.invalidate(tokens[i]))
  yield* Effect.forEach(moneriums, (client) => client.accessToken, { concurrency: "unbounded" })
  const refreshes = (yield* monerium.grantsOf("refresh_token")).length - before
  const reused = [...(yield* monerium.refreshUses).values()].filter((count) => count > 1).length
  yield* Console.log(
    `  monerium   ${replicas} replicas refreshing at once → ${refreshes} refresh request, ${reused} refresh token presented twice`
  )
})

export const flow: Effect.Effect<void, unknown, HttpClient.HttpClient | Scope.Scope> = Effect.gen(function* () {
  yield* Console.log("replicas — one credential shared by several app instances through Redis")
  if (!RedisServer.isAvailable()) {
    yield* Console.log(
      "  skipped    redis-server is not installed. Debian/Ubuntu: apt-get install redis-server (./nk test does it as\n" +
        "             root); macOS: brew install redis. Then run ./nk demo again."
    )
    return
  }
  yield* withRedis
})
