/**
 * The token engine: one per credential set. It hands out access tokens with these guarantees
 * (DESIGN.md, "Core behaviour"):
 *
 * - a fresh token comes from memory: no I/O, no lock;
 * - inside the refresh window the current token is returned at once and ONE background refresh runs;
 * - on a cold start or after expiry every caller awaits the same single in-flight acquisition;
 * - a failed background refresh keeps the still-valid token and retries with jittered backoff (≥ 1 s) until
 *   hard expiry; a failed acquisition is never cached;
 * - `invalidate(token)` clears only the token it names;
 * - interrupting one waiter never cancels the shared acquisition;
 * - all timing is the Effect Clock.
 *
 * How a token is obtained (which grant, which endpoint) is the `acquire` function a provider passes in. It
 * receives the latest token ever obtained (even if expired or invalidated) so refresh-token grants can use it;
 * calls to `acquire` never overlap, which is what makes rotating refresh tokens safe.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Scope from "effect/Scope"
import type * as AccessToken from "./AccessToken.ts"
import { sameValue } from "./AccessToken.ts"

export interface TokenProvider<E> {
  /** A usable token: from memory when fresh, else from the shared acquisition. */
  readonly get: Effect.Effect<AccessToken.AccessToken, E>
  /** Drops `token` if it is still the current one (e.g. after a 401). Other tokens are left alone. */
  readonly invalidate: (token: AccessToken.AccessToken) => Effect.Effect<void>
  /** The current token, if any, without acquiring. */
  readonly current: Effect.Effect<Option.Option<AccessToken.AccessToken>>
  /** How many times `acquire` has been started (for diagnostics, demos and tests). */
  readonly acquisitions: Effect.Effect<number>
}

export interface Options<E, R> {
  /** Obtains a new token. `latest` is the last token obtained, if any (expired or invalidated included). */
  readonly acquire: (latest: Option.Option<AccessToken.AccessToken>) => Effect.Effect<AccessToken.AccessToken, E, R>
  /**
   * How long before expiry a background refresh starts. Default: min(5 min, half the token's lifetime).
   */
  readonly refreshWindow?: ((token: AccessToken.AccessToken) => Duration.Input) | undefined
  /** A token is treated as expired this long before its `expiresAt`, for clock skew and transit. Default 5 s. */
  readonly expirySkew?: Duration.Input | undefined
  /** Backoff between failed background refreshes: first delay (default 1 s, minimum 1 s) and cap (default 30 s). */
  readonly backoff?: { readonly initial?: Duration.Input; readonly max?: Duration.Input } | undefined
  /** A token to start with (e.g. restored from a store). */
  readonly initial?: AccessToken.AccessToken | undefined
}

const defaultWindow = (token: AccessToken.AccessToken): number =>
  Math.min(5 * 60_000, Math.floor((token.expiresAt - token.issuedAt) / 2))

/**
 * Creates a token provider. Background refreshes and shared acquisitions run in the provider's scope, so
 * they outlive any single caller and stop when the scope closes.
 */
export const make = <E, R>(options: Options<E, R>): Effect.Effect<TokenProvider<E>, never, R | Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const context = yield* Effect.context<R>()
    const skew = Duration.toMillis(Duration.fromInputUnsafe(options.expirySkew ?? 5_000))
    const windowOf = (token: AccessToken.AccessToken) =>
      options.refreshWindow === undefined
        ? defaultWindow(token)
        : Duration.toMillis(Duration.fromInputUnsafe(options.refreshWindow(token)))
    const backoffInitial = Math.max(
      1_000,
      Duration.toMillis(Duration.fromInputUnsafe(options.backoff?.initial ?? 1_000))
    )
    const backoffMax = Math.max(
      backoffInitial,
      Duration.toMillis(Duration.fromInputUnsafe(options.backoff?.max ?? 30_000))
    )

    // Plain mutable state: every read and write happens synchronously inside one Effect step, so the
    // fast path needs no lock and no fiber switch.
    let current: AccessToken.AccessToken | undefined = options.initial
    let latest: AccessToken.AccessToken | undefined = options.initial
    let inflight: Deferred.Deferred<AccessToken.AccessToken, E> | undefined
    let refreshing = false
    // Earliest time a new background refresh may start after failed ones (no tight loop near expiry).
    let refreshNotBefore = 0
    let acquisitions = 0

    const hardExpiry = (token: AccessToken.AccessToken) => token.expiresAt - skew
    const refreshAt = (token: AccessToken.AccessToken) => hardExpiry(token) - windowOf(token)

    /** Starts (or joins) the single in-flight acquisition. It runs in the provider's scope, never in a waiter. */
    const acquisition: Effect.Effect<Deferred.Deferred<AccessToken.AccessToken, E>> = Effect.suspend(() => {
      if (inflight !== undefined) return Effect.succeed(inflight)
      const deferred = Deferred.makeUnsafe<AccessToken.AccessToken, E>()
      inflight = deferred
      acquisitions++
      const run = Effect.suspend(() => options.acquire(Option.fromUndefinedOr(latest))).pipe(
        Effect.provideContext(context),
        Effect.onExit((exit) =>
          Effect.sync(() => {
            inflight = undefined
            if (Exit.isSuccess(exit)) {
              current = exit.value
              latest = exit.value
            }
            Deferred.doneUnsafe(deferred, exit)
          })
        )
      )
      return Effect.as(Effect.forkIn(run, scope, { startImmediately: true }), deferred)
    })

    const jitteredBackoff = (attempt: number) =>
      Effect.map(Random.next, (r) => {
        const base = Math.min(backoffMax, backoffInitial * 2 ** attempt)
        // Jitter upwards only: the delay never drops below the 1 s floor.
        return Math.min(backoffMax, base + Math.floor(r * base * 0.5))
      })

    /** Refreshes `stale` in the background; keeps it in service while attempts fail, until its hard expiry. */
    const backgroundRefresh = (stale: AccessToken.AccessToken) =>
      Effect.gen(function* () {
        let attempt = 0
        while (true) {
          const exit = yield* Effect.exit(Effect.flatMap(acquisition, Deferred.await))
          if (Exit.isSuccess(exit)) return
          if (Cause.hasInterruptsOnly(exit.cause)) return
          const delay = yield* jitteredBackoff(attempt++)
          const now = yield* Clock.currentTimeMillis
          refreshNotBefore = now + delay
          if (current !== stale || now + delay >= hardExpiry(stale)) return
          yield* Effect.sleep(delay)
          if (current !== stale) return
        }
      }).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            refreshing = false
          })
        )
      )

    const get: Effect.Effect<AccessToken.AccessToken, E> = Effect.clockWith((clock) => {
      const now = clock.currentTimeMillisUnsafe()
      const token = current
      if (token !== undefined && now < hardExpiry(token)) {
        if (!refreshing && now >= refreshAt(token) && now >= refreshNotBefore) {
          refreshing = true
          return Effect.as(Effect.forkIn(backgroundRefresh(token), scope, { startImmediately: true }), token)
        }
        return Effect.succeed(token)
      }
      return Effect.flatMap(acquisition, Deferred.await)
    })

    const provider: TokenProvider<E> = {
      get,
      invalidate: (token) =>
        Effect.sync(() => {
          if (current !== undefined && sameValue(current, token)) current = undefined
        }),
      current: Effect.sync(() => Option.fromUndefinedOr(current)),
      acquisitions: Effect.sync(() => acquisitions)
    }
    yield* Scope.addFinalizer(
      scope,
      Effect.sync(() => {
        current = undefined
      })
    )
    return provider
  })
