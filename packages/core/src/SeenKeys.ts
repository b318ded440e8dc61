/**
 * Keys seen within a lifetime, in this process's memory: the one replay memory behind used PKCE states
 * (`Pkce.makeUsedStatesMemory`), webhook ids, callback signatures and response nonces. `markUsed` is true the first
 * time a key is seen within its lifetime, false for a repeat; `forget` lets a key in again (a callback whose
 * handling failed, so the provider's retry is handled).
 *
 * Entries are kept in insertion order; with a common lifetime the oldest expire first, so each call evicts from the
 * front until it meets a live one: O(1) amortized, memory bounded by the traffic of one lifetime. For several
 * processes, back the same interface with a shared store (see `RedisCoordination`).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

export interface SeenKeys {
  /** Records `key` for `ttlMillis`; true when it was not seen (alive) before. */
  readonly markUsed: (key: string, ttlMillis: number) => Effect.Effect<boolean>
  /** Forgets `key`, so its next `markUsed` is a first use again. */
  readonly forget: (key: string) => Effect.Effect<void>
}

export const makeMemory = (): SeenKeys => {
  const seen = new Map<string, number>()
  return {
    markUsed: (key, ttlMillis) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        for (const [oldest, expiresAt] of seen) {
          if (expiresAt > now) break
          seen.delete(oldest)
        }
        const expiresAt = seen.get(key)
        if (expiresAt !== undefined && expiresAt > now) return false
        // Re-inserted at the back: the map stays ordered by expiry when lifetimes are equal.
        seen.delete(key)
        seen.set(key, now + ttlMillis)
        return true
      }),
    forget: (key) =>
      Effect.sync(() => {
        seen.delete(key)
      })
  }
}
