/**
 * Token coordination between the tabs (and workers) of one origin: the Web Locks API (`navigator.locks`) around
 * every acquisition, the shared token in `localStorage`. Two tabs whose tokens live in `localStorage` (e.g.
 * `TokenStore.layerKeyValueStore()` on `KeyValueStore.layerStorage(() => localStorage)`) then never present one
 * rotating refresh token twice: the second tab waits for the lock, then finds the token the first one stored.
 *
 * A tab that closes releases its lock at once (the browser does it), so there is no lock TTL to wait for.
 *
 * The lock alone is not enough: a browser propagates one tab's `localStorage` writes to its other tabs
 * asynchronously (Chromium caches storage per renderer process), so the next holder could read the grant the
 * previous holder has just replaced and present a retired refresh token. Each holder therefore ends by writing a
 * fresh generation value last to `localStorage` and to IndexedDB (whose transactions every tab sees in order);
 * the next holder reads the generation from IndexedDB and waits (default at most 2 s) until its `localStorage`
 * shows it — then every earlier write of that holder is visible too. If it never does, the acquisition fails
 * with a `CoordinationError` instead of reading a stale grant.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
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
  /** Where generations are kept for the storage barrier. Default `indexedDB`; none (no barrier) if absent. */
  readonly indexedDB?: (() => IDBFactory | undefined) | undefined
  /** How long a new holder waits for `localStorage` to show the previous holder's writes. Default 2 s. */
  readonly storageSyncTimeoutMillis?: number | undefined
}

const request = <A>(make: () => IDBRequest<A>): Promise<A> =>
  new Promise((resolve, reject) => {
    const r = make()
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })

/** A tiny key-value store on IndexedDB: one object store, one value per key. */
const makeGenerations = (factory: IDBFactory, name: string) => {
  let db: Promise<IDBDatabase> | undefined
  const open = () => {
    db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const r = factory.open(name, 1)
      r.onupgradeneeded = () => r.result.createObjectStore("generations")
      r.onsuccess = () => resolve(r.result)
      r.onerror = () => reject(r.error)
    })
    return db
  }
  return {
    get: async (key: string): Promise<string | undefined> => {
      const database = await open()
      return request(() => database.transaction("generations", "readonly").objectStore("generations").get(key))
    },
    put: async (key: string, value: string): Promise<void> => {
      const database = await open()
      await new Promise<void>((resolve, reject) => {
        const transaction = database.transaction("generations", "readwrite")
        transaction.objectStore("generations").put(value, key)
        transaction.oncomplete = () => resolve()
        transaction.onerror = () => reject(transaction.error)
        transaction.onabort = () => reject(transaction.error)
      })
    }
  }
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
  const marker = (key: string) => `${prefix}generation:${key}`
  const syncTimeout = options?.storageSyncTimeoutMillis ?? 2_000
  let generations: ReturnType<typeof makeGenerations> | undefined | null = null
  const generationsOf = () => {
    if (generations === null) {
      const factory = (options?.indexedDB ?? (() => (typeof indexedDB === "undefined" ? undefined : indexedDB)))()
      generations = factory === undefined ? undefined : makeGenerations(factory, `${prefix}web-locks`)
    }
    return generations
  }

  /** Waits until this tab's `localStorage` shows the generation the last holder committed to IndexedDB. */
  const barrier = (key: string) =>
    Effect.gen(function* () {
      const store = generationsOf()
      if (store === undefined) return
      const generation = yield* Effect.tryPromise({
        try: () => store.get(key),
        catch: () => unavailable("lock", key, "IndexedDB is not available")
      })
      if (generation === undefined) return
      yield* Effect.sync(() => storage().getItem(marker(key)) === generation).pipe(
        Effect.repeat({ schedule: Schedule.spaced(5), until: (seen) => seen }),
        Effect.timeoutOrElse({
          duration: syncTimeout,
          orElse: () =>
            Effect.fail(unavailable("lock", key, "this tab's storage did not catch up with the previous holder"))
        })
      )
    })

  /** Ends a holder's writes: a new generation, last in `localStorage`, then committed to IndexedDB. */
  const commit = (key: string) =>
    Effect.tryPromise({
      try: async () => {
        const store = generationsOf()
        if (store === undefined) return
        const generation = `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`
        storage().setItem(marker(key), generation)
        await store.put(key, generation)
      },
      catch: () => unavailable("write", key, "could not record the write generation")
    })

  const readRaw = (key: string) =>
    Effect.try({
      try: () => storage().getItem(slot(key)),
      catch: () => unavailable("read", key, "storage is not available")
    })
  // An unreadable shared value counts as none: the next holder replaces it.
  const decode = (_key: string, raw: string | null) =>
    Effect.succeed(raw === null ? Option.none<AccessToken.AccessToken>() : TokenStore.decode(raw))
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
        yield* barrier(key)
        // Whatever this holder writes (the shared token, a rotated grant, a removal), a new generation follows it
        // before the lock is released (finalizers run in reverse order).
        yield* Effect.addFinalizer(() => Effect.ignore(commit(key)))
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
