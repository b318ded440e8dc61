/**
 * Token coordination between the tabs (and workers) of one origin: the Web Locks API (`navigator.locks`) around
 * every acquisition, the shared token in `localStorage`. Two tabs whose tokens live in `localStorage` (e.g.
 * `TokenStore.layerKeyValueStore()` on `KeyValueStore.layerStorage(() => localStorage)`) then never present one
 * rotating refresh token twice: the second tab waits for the lock, then finds the token the first one stored.
 *
 * A tab that closes releases its lock at once (the browser does it), so there is no lock TTL to wait for.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as AccessToken from "./AccessToken.ts"
import * as TokenCoordinator from "./TokenCoordinator.ts"
import * as TokenStore from "./TokenStore.ts"

interface LockManager {
  readonly request: (name: string, callback: (lock: unknown) => Promise<void>) => Promise<void>
}

export interface Options {
  /** Prefix of the lock names and storage keys. Default `nordkit:`. */
  readonly prefix?: string | undefined
  /** Where the shared token lives. Default `localStorage`. */
  readonly storage?: (() => Storage) | undefined
  /** The lock manager. Default `navigator.locks`. */
  readonly locks?: (() => LockManager) | undefined
}

/** Whether this runtime has the Web Locks API. */
export const isAvailable = (): boolean =>
  typeof navigator !== "undefined" && (navigator as { locks?: unknown }).locks !== undefined

const unavailable = (operation: string, key: string, detail: string) =>
  new TokenCoordinator.CoordinationError({ operation, key, detail })

/** The coordinator's backend on Web Locks and Web Storage. */
export const makeBackend = (options?: Options): TokenCoordinator.Backend => {
  const prefix = options?.prefix ?? "nordkit:"
  const storage = options?.storage ?? (() => localStorage)
  const locks = options?.locks ?? (() => (navigator as unknown as { locks: LockManager }).locks)
  const slot = (key: string) => `${prefix}token:${key}`

  const readRaw = (key: string) =>
    Effect.try({
      try: () => storage().getItem(slot(key)),
      catch: () => unavailable("read", key, "storage is not available")
    })
  const decode = (key: string, raw: string | null) =>
    raw === null
      ? Effect.succeedNone
      : Option.match(TokenStore.decode(raw), {
          onNone: () => Effect.fail(unavailable("read", key, "the shared value is not a token")),
          onSome: (token) => Effect.succeed(Option.some(token))
        })
  const read = (
    key: string
  ): Effect.Effect<Option.Option<AccessToken.AccessToken>, TokenCoordinator.CoordinationError> =>
    Effect.flatMap(readRaw(key), (raw) => decode(key, raw))

  return {
    read,
    lock: (key) =>
      Effect.gen(function* () {
        const manager = yield* Effect.try({
          try: locks,
          catch: () => unavailable("lock", key, "the Web Locks API is not available")
        })
        const granted = Deferred.makeUnsafe<void, TokenCoordinator.CoordinationError>()
        let release: () => void = () => {}
        const released = new Promise<void>((resolve) => {
          release = resolve
        })
        // Released with the scope — also when the wait is interrupted (the lock is then let go as soon as granted).
        yield* Effect.addFinalizer(() => Effect.sync(() => release()))
        manager
          .request(`${prefix}lock:${key}`, () => {
            Deferred.doneUnsafe(granted, Exit.void)
            return released
          })
          .catch(() => Deferred.doneUnsafe(granted, Exit.fail(unavailable("lock", key, "the lock request failed"))))
        yield* Deferred.await(granted)
        let expected: string | null = null
        const lease: TokenCoordinator.Lease = {
          read: Effect.flatMap(readRaw(key), (raw) => {
            expected = raw
            return decode(key, raw)
          }),
          write: (token) =>
            Effect.try({
              try: () => {
                // Only lock holders write, so this compare-and-set cannot race with another tab.
                if (storage().getItem(slot(key)) !== expected) return false
                storage().setItem(slot(key), TokenStore.encode(token))
                return true
              },
              catch: () => unavailable("write", key, "storage is not writable")
            })
        }
        return { _tag: "Locked", lease } as const
      })
  }
}

/** The Web Locks `TokenCoordinator` (tabs and workers of one origin). */
export const layer = (options?: Options): Layer.Layer<never> =>
  Layer.succeed(TokenCoordinator.TokenCoordinator, TokenCoordinator.fromBackend(makeBackend(options)))
