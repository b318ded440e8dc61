/**
 * Visma Connect rotates refresh tokens and revokes the grant when a retired one is presented again. Two instances
 * of the code flow sharing one grant (two replicas, two tabs) must therefore refresh one at a time: through the
 * `TokenCoordinator` in context, each refresh token reaches the server once. Without a coordinator the same race
 * revokes the grant — the control case, which shows the test can fail. Coordination here runs on Node's own Web
 * Locks; the Redis version of the same algorithm is exercised with real processes in test/replicas.
 */

import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as TokenCoordinator from "@nordkit/core/TokenCoordinator"
import * as TokenStore from "@nordkit/core/TokenStore"
import { MemoryStorage } from "@nordkit/core/testing"
import * as WebLocks from "@nordkit/core/WebLocks"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { DineroVismaConnect } from "../src/index.ts"
import { DineroTestServer } from "../src/testing.ts"
import { codeFlowOptions } from "./fixtures.ts"

const [org1] = DineroTestServer.defaultOrganizations

const overLoopback = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.scoped,
    Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Effect.provide(NodeHttpClient.layerUndici)
  )

const available = typeof navigator !== "undefined" && (navigator as { locks?: unknown }).locks !== undefined

/** Logs in once, then runs `rounds` simultaneous refreshes on two instances sharing the grant's store. */
const race = (coordinated: boolean, rounds: number) =>
  overLoopback(
    Effect.gen(function* () {
      const server = yield* DineroTestServer.make()
      const url = yield* DineroTestServer.listen(server)
      const store = TokenStore.makeMemory()
      const storage = MemoryStorage.make()
      const prefix = `visma-${Math.random().toString(36).slice(2)}:`
      const instance = Effect.gen(function* () {
        const flow = DineroVismaConnect.makeCodeFlow(codeFlowOptions(url)).pipe(
          Effect.provideService(TokenStore.TokenStore, store)
        )
        return yield* coordinated
          ? flow.pipe(
              Effect.provideService(
                TokenCoordinator.TokenCoordinator,
                TokenCoordinator.fromBackend(
                  WebLocks.makeBackend({ prefix, storage: () => storage, indexedDB: () => undefined })
                )
              )
            )
          : flow
      })
      const a = yield* instance
      const b = yield* instance

      const { url: authorizeUrl, pending } = yield* a.authorize()
      yield* server.setConsent([org1!.organizationId])
      const location = yield* Effect.promise(async () => {
        const response = await fetch(authorizeUrl, { redirect: "manual" })
        return response.headers.get("location") ?? ""
      })
      yield* a.handleCallback(location, pending)

      let failures = 0
      for (let round = 0; round < rounds; round++) {
        // Both instances find their access token rejected at the same moment and refresh.
        const [ta, tb] = yield* Effect.all([a.tokens.get, b.tokens.get])
        yield* a.tokens.invalidate(ta)
        yield* b.tokens.invalidate(tb)
        const exits = yield* Effect.all([Effect.exit(a.tokens.get), Effect.exit(b.tokens.get)], {
          concurrency: "unbounded"
        })
        failures += exits.filter(Exit.isFailure).length
        if (failures > 0) break
      }
      const presented = (yield* server.tokenRequests)
        .map((r) => new URLSearchParams(r.body))
        .filter((form) => form.get("grant_type") === "refresh_token")
        .map((form) => form.get("refresh_token"))
      return { failures, presented, distinct: new Set(presented).size }
    })
  )

describe.skipIf(!available)("Visma Connect shared by two instances", () => {
  it.live("with a TokenCoordinator: 5 rounds of simultaneous refreshes, no refresh token presented twice", () =>
    Effect.gen(function* () {
      const { failures, presented, distinct } = yield* race(true, 5)
      assert.strictEqual(failures, 0, "no instance was logged out")
      assert.lengthOf(presented, 5, "one refresh per round, shared by both instances")
      assert.strictEqual(distinct, presented.length, "every refresh token reached the server once")
    })
  )

  it.live("control, no coordinator: the same race presents a refresh token twice and the grant is revoked", () =>
    Effect.gen(function* () {
      const { failures, presented, distinct } = yield* race(false, 5)
      assert.isAbove(failures, 0)
      assert.isBelow(distinct, presented.length)
    })
  )
})
