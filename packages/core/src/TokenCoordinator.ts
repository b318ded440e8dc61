/**
 * Single flight across processes (or browser tabs) that share one credential set: at most one token request
 * per expiry, and a rotating refresh token read, presented and replaced by one holder at a time.
 *
 * A {@link TokenProvider} keeps its in-memory fast path and its in-process single flight; only its acquisition
 * (cold start, expiry, refresh, after a 401) goes through the coordinator in context:
 *
 * 1. the shared token is read; a usable one (fresh, and not the token being replaced) is returned at once;
 * 2. otherwise the caller waits for the credential's lock. While it waits, every change of the shared token
 *    (a notification, or a short poll) is checked: a usable token ends the wait without the lock, so waiters
 *    never start their own request while another process holds the lock;
 * 3. the holder reads the shared token again (it may have changed), runs the acquisition, and writes the result
 *    with a compare-and-set: only while its lock still holds (fencing value) and only over the token it read.
 *
 * The default coordinator is none (this process only). Provide one with a Layer: `RedisCoordination.layer`
 * (replicas, on effect's `Redis` service) or `WebLocks.layer` (tabs of one origin, `navigator.locks`).
 *
 * When the coordinator cannot be reached, a credential that rotates fails with a typed error (an
 * unsynchronized refresh could present one refresh token twice and lose the grant); the others fall back to
 * their own acquisition — one extra token request per process, never a wrong token.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type * as AccessToken from "./AccessToken.ts"
import { sameValue } from "./AccessToken.ts"
import * as Pkce from "./Pkce.ts"

/** The coordinator (Redis, Web Locks, ...) could not be used. Names the operation and credential key only. */
export class CoordinationError extends /* @__PURE__ */ Data.TaggedError("CoordinationError")<{
  readonly operation: string
  readonly key: string
  readonly detail: string
}> {
  override get message(): string {
    return `token coordination ${this.operation} for ${this.key} failed: ${this.detail}`
  }
}

/** The lock of one credential, held for the lifetime of the scope it was taken in. */
export interface Lease {
  /** The shared token, read under the lock; remembered as the expected value of {@link Lease.write}. */
  readonly read: Effect.Effect<Option.Option<AccessToken.AccessToken>, CoordinationError>
  /**
   * Stores `token` as the shared token if this lease still holds the lock and the shared token is still the
   * one `read` returned. `false` when either changed (the token is then not stored).
   */
  readonly write: (token: AccessToken.AccessToken) => Effect.Effect<boolean, CoordinationError>
  /**
   * Runs the acquisition inside the lease, e.g. so a store write it makes is fenced by the lock
   * (`RedisCoordination.layerTokenStore` writes only while the lock is still held).
   */
  readonly within?: (<A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) | undefined
}

export type LockOutcome<A> =
  | { readonly _tag: "Locked"; readonly lease: Lease }
  | { readonly _tag: "Ready"; readonly value: A }

/** What a shared engine provides: a shared token slot and a lock per credential key. */
export interface Backend {
  readonly read: (key: string) => Effect.Effect<Option.Option<AccessToken.AccessToken>, CoordinationError>
  /**
   * Waits for the lock of `key`. Whenever the shared token may have changed while waiting, runs `check`:
   * a `Some` ends the wait without the lock (`Ready`). The lock is released when the scope closes.
   */
  readonly lock: <A>(
    key: string,
    check: Effect.Effect<Option.Option<A>, CoordinationError>
  ) => Effect.Effect<LockOutcome<A>, CoordinationError, Scope.Scope>
}

export interface AcquireOptions<E, R> {
  /** The credential set's key, the same in every process (no secret in it). */
  readonly key: string
  /** Whether a shared token can be used as is at `now` (Effect Clock millis). */
  readonly usable: (token: AccessToken.AccessToken, now: number) => boolean
  /** Obtains a new token; receives the shared token read under the lock (expired or replaced included). */
  readonly acquire: (shared: Option.Option<AccessToken.AccessToken>) => Effect.Effect<AccessToken.AccessToken, E, R>
}

export interface Service {
  readonly acquire: <E, R>(
    options: AcquireOptions<E, R>
  ) => Effect.Effect<AccessToken.AccessToken, E | CoordinationError, R>
}

/**
 * The coordinator token providers use for their acquisitions. Default: none — acquisitions are single-flight
 * within the process only.
 */
export const TokenCoordinator: Context.Reference<Service | undefined> = Context.Reference<Service | undefined>(
  "@nordkit/core/TokenCoordinator",
  { defaultValue: () => undefined }
)

/** The coordination algorithm (see the module comment) on a backend. */
export const fromBackend = (backend: Backend): Service => ({
  acquire: <E, R>(options: AcquireOptions<E, R>) =>
    Effect.scoped(
      Effect.gen(function* () {
        const usable = (token: Option.Option<AccessToken.AccessToken>) =>
          Effect.map(Clock.currentTimeMillis, (now) => Option.filter(token, (t) => options.usable(t, now)))
        const first = yield* usable(yield* backend.read(options.key))
        if (Option.isSome(first)) return first.value
        const outcome = yield* backend.lock(options.key, Effect.flatMap(backend.read(options.key), usable))
        if (outcome._tag === "Ready") return outcome.value
        const shared = yield* outcome.lease.read
        const again = yield* usable(shared)
        if (Option.isSome(again)) return again.value
        const acquisition = options.acquire(shared)
        const token = yield* outcome.lease.within === undefined ? acquisition : outcome.lease.within(acquisition)
        // A failed write loses nothing: the token is valid and returned; another process will find no shared
        // token and coordinate again (for a rotating grant its own store already holds the new refresh token).
        yield* Effect.ignore(outcome.lease.write(token))
        return token
      })
    )
})

export interface CoordinatedOptions<E, R> {
  /** The credential set's key; no coordination without one. */
  readonly key: string | undefined
  /** A shared token is used only while `now < expiresAt - skewMillis`. */
  readonly skewMillis: number
  /** The last token this process obtained (it is being replaced, so it is never taken back from the share). */
  readonly latest: Option.Option<AccessToken.AccessToken>
  /** The acquisition; receives the newest token known (the shared one when there is one). */
  readonly acquire: (latest: Option.Option<AccessToken.AccessToken>) => Effect.Effect<AccessToken.AccessToken, E, R>
  /**
   * For credentials that rotate: the error to fail with when the coordinator cannot be used. Without it, the
   * acquisition runs unsynchronized in this process (documented fallback for grants that can be repeated).
   */
  readonly unavailable?: ((error: CoordinationError) => E) | undefined
}

/** Runs a token provider's acquisition through the coordinator in context, if there is one and a key. */
export const coordinated = <E, R>(options: CoordinatedOptions<E, R>): Effect.Effect<AccessToken.AccessToken, E, R> =>
  Effect.flatMap(Effect.service(TokenCoordinator), (coordinator) => {
    if (coordinator === undefined || options.key === undefined) return options.acquire(options.latest)
    const latest = Option.getOrUndefined(options.latest)
    return coordinator
      .acquire<E, R>({
        key: options.key,
        usable: (token, now) =>
          now < token.expiresAt - options.skewMillis && (latest === undefined || !sameValue(token, latest)),
        acquire: (shared) => options.acquire(Option.isSome(shared) ? shared : options.latest)
      })
      .pipe(
        Effect.catchIf(
          (error): error is CoordinationError => error instanceof CoordinationError,
          (error) =>
            options.unavailable === undefined
              ? options.acquire(options.latest)
              : Effect.fail(options.unavailable(error))
        )
      )
  })

/**
 * What `TokenProvider.make`'s `shared` option takes: acquisitions for the credential set `key` go through the
 * `TokenCoordinator` in context (none by default: then nothing changes). `unavailable`, for credentials that rotate:
 * the error to fail with when the coordinator cannot be reached; without it the acquisition runs unsynchronized
 * here. (A value built here, so a token provider that shares nothing does not bundle the coordination code.)
 */
export interface Sharing<E> {
  readonly key: string
  readonly run: <R>(options: {
    readonly skewMillis: number
    readonly latest: Option.Option<AccessToken.AccessToken>
    readonly acquire: (latest: Option.Option<AccessToken.AccessToken>) => Effect.Effect<AccessToken.AccessToken, E, R>
  }) => Effect.Effect<AccessToken.AccessToken, E, R>
}

/** Shares the acquisitions of the credential set `key` (see {@link Sharing}). */
export const share = <E>(options: {
  readonly key: string
  readonly unavailable?: ((error: CoordinationError) => E) | undefined
}): Sharing<E> => ({
  key: options.key,
  run: (run) => coordinated({ key: options.key, unavailable: options.unavailable, ...run })
})

/**
 * A credential set's key for {@link share}: the provider's name and a SHA-256 of everything that
 * identifies the credential (endpoint, grant, client id, parameters — secrets included, only hashed), so the
 * same credential gives the same key in every process and no secret appears in it.
 */
export const keyOf = (
  provider: string,
  parts: ReadonlyArray<string | Redacted.Redacted<string> | undefined>
): Effect.Effect<string> =>
  Effect.map(
    Pkce.challenge(
      JSON.stringify(
        parts.map((part) => (part === undefined ? null : Redacted.isRedacted(part) ? Redacted.value(part) : part))
      )
    ),
    (hash) => `${provider}:${hash.slice(0, 32)}`
  )
