/**
 * The token engine: one per credential set. It hands out access tokens with these guarantees:
 *
 * - a fresh token comes from memory: no I/O, no lock (one `Ref` read);
 * - inside the refresh window the current token is returned at once and ONE background refresh runs;
 * - on a cold start or after expiry every caller awaits the same single in-flight acquisition;
 * - an acquisition has a deadline (`acquireTimeout`, default 60 s): when it runs out the acquisition is
 *   interrupted, its waiters fail with `TimeoutError` (phase "token"), and the next caller starts a fresh one —
 *   a lost response never wedges the provider;
 * - a failed background refresh keeps the still-valid token and retries on a jittered backoff `Schedule`
 *   (≥ 1 s) until hard expiry; a failed acquisition is never cached;
 * - `invalidate(token)` clears only the token it names;
 * - interrupting one waiter never cancels the shared acquisition;
 * - all timing is the Effect Clock.
 *
 * How a token is obtained (which grant, which endpoint) is the `acquire` function a provider passes in. It
 * receives the latest token ever obtained (even if expired or invalidated) so refresh-token grants can use it;
 * calls to `acquire` never overlap (a timed-out one is interrupted before the next starts), which is what makes
 * rotating refresh tokens safe.
 *
 * Across processes (replicas, browser tabs): give the provider a `shared.key` and provide a `TokenCoordinator`
 * layer (`RedisCoordination.layer`, `WebLocks.layer`); each acquisition then goes through it — at most one token
 * request per expiry for every process sharing the key, and a rotating refresh token presented by one holder at
 * a time. The fast path does not change: a fresh token still comes from memory, with no round trip.
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import type * as AccessToken from "./AccessToken.ts"
import { sameValue } from "./AccessToken.ts"
import { pathOfUrl } from "./internal/guard.ts"
import { TimeoutError } from "./NordkitError.ts"
import type * as TokenCoordinator from "./TokenCoordinator.ts"

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
  /**
   * Deadline of one acquisition, its own retries included. Default 60 s. When it runs out the acquisition is
   * interrupted and its waiters fail with `TimeoutError` (phase "token").
   */
  readonly acquireTimeout?: Duration.Input | undefined
  /** Provider name and token endpoint (URL or path) named by a `TimeoutError`. */
  readonly provider?: string | undefined
  readonly endpoint?: string | undefined
  /** A token to start with (e.g. restored from a store). */
  readonly initial?: AccessToken.AccessToken | undefined
  /**
   * Shares acquisitions with every process that uses the same credential set, through the `TokenCoordinator` in
   * context: `TokenCoordinator.share({ key, unavailable })` (without a coordinator this changes nothing).
   */
  readonly shared?: TokenCoordinator.Sharing<E> | undefined
}

const defaultWindow = (token: AccessToken.AccessToken): number =>
  Math.min(5 * 60_000, Math.floor((token.expiresAt - token.issuedAt) / 2))

/** Everything the engine remembers, replaced as a whole on each change. */
interface State<E> {
  /** The token in service, if any. */
  readonly current: AccessToken.AccessToken | undefined
  /** The last token obtained (kept after expiry or invalidation, for refresh grants). */
  readonly latest: AccessToken.AccessToken | undefined
  /** The acquisition in flight, shared by every waiter. */
  readonly inflight: Deferred.Deferred<AccessToken.AccessToken, E> | undefined
  /** Whether a background refresh is running. */
  readonly refreshing: boolean
  /** Earliest time a new background refresh may start after failed ones (no tight loop near expiry). */
  readonly refreshNotBefore: number
  readonly acquisitions: number
}

/**
 * Creates a token provider. Background refreshes and shared acquisitions run in the provider's scope, so
 * they outlive any single caller and stop when the scope closes.
 */
export const make = <E, R>(
  options: Options<E, R>
): Effect.Effect<TokenProvider<E | TimeoutError>, never, R | Scope.Scope> =>
  Effect.gen(function* () {
    type EE = E | TimeoutError
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
    const acquireTimeout = Duration.toMillis(Duration.fromInputUnsafe(options.acquireTimeout ?? 60_000))
    const timedOut = () =>
      new TimeoutError({
        provider: options.provider ?? "unknown",
        method: "POST",
        path: options.endpoint === undefined ? "(token)" : pathOfUrl(options.endpoint),
        phase: "token",
        timeoutMillis: acquireTimeout,
        mayHaveReachedServer: true
      })

    // Every read and write of the state happens inside one synchronous step, so the fast path is a single
    // `Ref.getUnsafe` (as cheap as a variable) and check-and-set needs no lock.
    const state = Ref.makeUnsafe<State<EE>>({
      current: options.initial,
      latest: options.initial,
      inflight: undefined,
      refreshing: false,
      refreshNotBefore: 0,
      acquisitions: 0
    })
    const change = (f: (s: State<EE>) => State<EE>) => Ref.update(state, f)

    const hardExpiry = (token: AccessToken.AccessToken) => token.expiresAt - skew
    const refreshAt = (token: AccessToken.AccessToken) => hardExpiry(token) - windowOf(token)

    /** Runs one acquisition in the provider's scope (never in a waiter) and settles `deferred` with its exit. */
    const start = (deferred: Deferred.Deferred<AccessToken.AccessToken, EE>) =>
      Effect.suspend(() => {
        const latest = Option.fromUndefinedOr(Ref.getUnsafe(state).latest)
        return options.shared === undefined
          ? options.acquire(latest)
          : options.shared.run({ skewMillis: skew, latest, acquire: options.acquire })
      }).pipe(
        Effect.provideContext(context),
        // The timed-out acquisition is interrupted, so two calls to `acquire` never overlap.
        Effect.timeoutOrElse({ duration: acquireTimeout, orElse: () => Effect.fail(timedOut()) }),
        Effect.onExit((exit) =>
          Effect.andThen(
            change((s) => ({
              ...s,
              inflight: s.inflight === deferred ? undefined : s.inflight,
              ...(Exit.isSuccess(exit) ? { current: exit.value, latest: exit.value } : {})
            })),
            Deferred.done(deferred, exit)
          )
        ),
        Effect.forkIn(scope, { startImmediately: true }),
        Effect.as(deferred)
      )

    /** Starts (or joins) the single in-flight acquisition. */
    const acquisition: Effect.Effect<Deferred.Deferred<AccessToken.AccessToken, EE>> = Effect.flatten(
      Ref.modify(state, (s): [Effect.Effect<Deferred.Deferred<AccessToken.AccessToken, EE>>, State<EE>] => {
        if (s.inflight !== undefined) return [Effect.succeed(s.inflight), s]
        const deferred = Deferred.makeUnsafe<AccessToken.AccessToken, EE>()
        return [start(deferred), { ...s, inflight: deferred, acquisitions: s.acquisitions + 1 }]
      })
    )

    /**
     * Backoff between failed background refreshes of `stale`: exponential from `backoffInitial`, jittered upwards
     * only (never below the 1 s floor), capped; it stops once `stale` is replaced or would expire before the next try.
     */
    const refreshBackoff = (stale: AccessToken.AccessToken) =>
      Schedule.exponential(backoffInitial).pipe(
        Schedule.modifyDelay(({ duration }) =>
          Effect.map(Random.next, (r) => {
            const base = Math.min(backoffMax, Duration.toMillis(duration))
            return Duration.millis(Math.min(backoffMax, base + Math.floor(r * base * 0.5)))
          })
        ),
        Schedule.while(({ now, duration }) =>
          Effect.map(
            Ref.updateAndGet(state, (s) => ({ ...s, refreshNotBefore: now + Duration.toMillis(duration) })),
            (s) => s.current === stale && s.refreshNotBefore < hardExpiry(stale)
          )
        )
      )

    /** Refreshes `stale` in the background; keeps it in service while attempts fail, until its hard expiry. */
    const backgroundRefresh = (stale: AccessToken.AccessToken) =>
      Effect.suspend(() =>
        // Replaced meanwhile (e.g. invalidated and re-acquired by a caller): nothing left to refresh.
        Ref.getUnsafe(state).current === stale ? Effect.flatMap(acquisition, Deferred.await) : Effect.void
      ).pipe(
        Effect.retry(refreshBackoff(stale)),
        Effect.catch(() => Effect.void), // not `Effect.ignore`: it keeps effect's loggers in a bundle
        Effect.ensuring(change((s) => ({ ...s, refreshing: false })))
      )

    const get: Effect.Effect<AccessToken.AccessToken, EE> = Effect.clockWith((clock) => {
      const now = clock.currentTimeMillisUnsafe()
      const s = Ref.getUnsafe(state)
      const token = s.current
      if (token !== undefined && now < hardExpiry(token)) {
        if (!s.refreshing && now >= refreshAt(token) && now >= s.refreshNotBefore) {
          return Effect.flatten(
            Ref.modify(state, (latest): [Effect.Effect<AccessToken.AccessToken>, State<EE>] =>
              latest.refreshing
                ? [Effect.succeed(token), latest]
                : [
                    Effect.as(Effect.forkIn(backgroundRefresh(token), scope, { startImmediately: true }), token),
                    { ...latest, refreshing: true }
                  ]
            )
          )
        }
        return Effect.succeed(token)
      }
      return Effect.flatMap(acquisition, Deferred.await)
    })

    const provider: TokenProvider<EE> = {
      get,
      invalidate: (token) =>
        change((s) => (s.current !== undefined && sameValue(s.current, token) ? { ...s, current: undefined } : s)),
      current: Effect.map(Ref.get(state), (s) => Option.fromUndefinedOr(s.current)),
      acquisitions: Effect.map(Ref.get(state), (s) => s.acquisitions)
    }
    yield* Scope.addFinalizer(
      scope,
      change((s) => ({ ...s, current: undefined }))
    )
    return provider
  })
