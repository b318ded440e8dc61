/**
 * The coordination algorithm on Node's own Web Locks (`navigator.locks`) and a shared in-memory Storage: several
 * token providers — separate caches, as separate tabs or processes would have — share one credential. The
 * multi-process and Chromium versions are in test/replicas.
 */

import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AccessToken from "../src/AccessToken.ts"
import * as MemoryStorage from "../src/MemoryStorage.ts"
import * as TokenCoordinator from "../src/TokenCoordinator.ts"
import * as TokenProvider from "../src/TokenProvider.ts"
import * as WebLocks from "../src/WebLocks.ts"

const available = typeof navigator !== "undefined" && (navigator as { locks?: unknown }).locks !== undefined

describe.skipIf(!available)("TokenCoordinator", () => {
  it.live("3 providers × 30 cold callers share 1 acquisition; a 401 on one of them causes 1 more, shared", () =>
    Effect.gen(function* () {
      const storage = MemoryStorage.make()
      const prefix = `test-${Math.random().toString(36).slice(2)}:`
      const coordinator = TokenCoordinator.fromBackend(
        WebLocks.makeBackend({ prefix, storage: () => storage, indexedDB: () => undefined })
      )
      let acquisitions = 0
      const gate = yield* Deferred.make<void>()
      const acquire = () =>
        Effect.gen(function* () {
          acquisitions++
          const n = acquisitions
          yield* Deferred.await(gate)
          return AccessToken.make({ value: `token-${n}`, issuedAt: Date.now(), expiresInSeconds: 3600 })
        })
      const providers = yield* Effect.forEach([1, 2, 3], () =>
        TokenProvider.make({ acquire, shared: TokenCoordinator.share({ key: "credential" }) }).pipe(
          Effect.provideService(TokenCoordinator.TokenCoordinator, coordinator)
        )
      )
      const callers = yield* Effect.forEach(
        providers.flatMap((provider) => Array.from({ length: 30 }, () => provider.get)),
        (get) => Effect.forkChild(get)
      )
      yield* Effect.sleep(50)
      yield* Deferred.succeed(gate, undefined)
      const tokens = yield* Effect.forEach(callers, Fiber.join)
      assert.strictEqual(acquisitions, 1)
      assert.deepStrictEqual([...new Set(tokens.map((t) => Redacted.value(t.value)))], ["token-1"])

      // A 401 on provider 1: it replaces the token; providers 2 and 3, told of the 401 later, take its new one.
      yield* providers[0].invalidate(tokens[0])
      const fresh = yield* providers[0].get
      assert.strictEqual(Redacted.value(fresh.value), "token-2")
      yield* providers[1].invalidate(tokens[0])
      yield* providers[2].invalidate(tokens[0])
      const others = yield* Effect.all([providers[1].get, providers[2].get])
      assert.deepStrictEqual(
        others.map((t) => Redacted.value(t.value)),
        ["token-2", "token-2"]
      )
      assert.strictEqual(acquisitions, 2)
    }).pipe(Effect.scoped)
  )

  it.live("a coordinator that cannot lock: a rotating credential fails typed, another acquires on its own", () =>
    Effect.gen(function* () {
      const broken = TokenCoordinator.fromBackend(
        WebLocks.makeBackend({
          storage: () => MemoryStorage.make(),
          indexedDB: () => undefined,
          locks: () => {
            throw new Error("no lock manager")
          }
        })
      )
      let acquisitions = 0
      const acquire = () =>
        Effect.sync(() => {
          acquisitions++
          return AccessToken.make({ value: `token-${acquisitions}`, issuedAt: Date.now(), expiresInSeconds: 3600 })
        })
      const rotating = yield* TokenProvider.make({
        acquire,
        shared: TokenCoordinator.share({ key: "rotating", unavailable: (error) => `refused: ${error.operation}` })
      }).pipe(Effect.provideService(TokenCoordinator.TokenCoordinator, broken))
      assert.strictEqual(yield* Effect.flip(rotating.get), "refused: lock")
      assert.strictEqual(acquisitions, 0)
      const repeatable = yield* TokenProvider.make({
        acquire,
        shared: TokenCoordinator.share({ key: "repeatable" })
      }).pipe(Effect.provideService(TokenCoordinator.TokenCoordinator, broken))
      assert.strictEqual(Redacted.value((yield* repeatable.get).value), "token-1")
      assert.isTrue(Option.isSome(yield* repeatable.current))
    }).pipe(Effect.scoped)
  )

  it.effect("keyOf: the same credential gives the same key, no secret in it", () =>
    Effect.gen(function* () {
      const secret = Redacted.make("s3cret-value")
      const a = yield* TokenCoordinator.keyOf("dintero", ["https://x/token", "client", secret])
      const b = yield* TokenCoordinator.keyOf("dintero", ["https://x/token", "client", Redacted.make("s3cret-value")])
      const c = yield* TokenCoordinator.keyOf("dintero", ["https://x/token", "client", Redacted.make("other")])
      assert.strictEqual(a, b)
      assert.notStrictEqual(a, c)
      assert.match(a, /^dintero:[A-Za-z0-9_-]{32}$/)
      assert.notInclude(a, "s3cret")
    })
  )
})
