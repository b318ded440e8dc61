/**
 * A user's refreshable grant kept in a `TokenStore` (authorization code flows: Dinero's Visma Connect, Monerium),
 * as a `TokenProvider`. Each acquisition reads the store (a restart, a fresh login or another instance's refresh is
 * picked up without a request), sends the stored refresh token once, and saves the rotated grant *before* the new
 * access token is returned. A dead grant (`isDeadGrant`, default `invalid_grant`) is removed from the store if it
 * is still the stored one and fails with the provider's reauthorization error. A rotated grant the store refused
 * (after two retries) is kept in memory and saved first on the next acquisition. Acquisitions are shared through
 * the `TokenCoordinator` in context; without a reachable coordinator: a `TokenStoreError`, never an unsynchronized
 * refresh.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as AccessToken from "./AccessToken.ts"
import type * as NordkitError from "./NordkitError.ts"
import * as TokenCoordinator from "./TokenCoordinator.ts"
import * as TokenProvider from "./TokenProvider.ts"
import * as TokenStore from "./TokenStore.ts"

export type Reason = "not_connected" | "no_refresh_token" | "invalid_grant"

export interface Options<R> {
  readonly provider: string
  readonly store: TokenStore.Service
  /** The session's key in the store. */
  readonly key: string
  /** A token is treated as expired this long (millis) before its `expiresAt`. */
  readonly skew: number
  /** Exchanges the refresh token (`grant_type=refresh_token`). */
  readonly refresh: (
    refreshToken: Redacted.Redacted<string>
  ) => Effect.Effect<AccessToken.AccessToken, NordkitError.RequestError>
  /** Whether a refused refresh means the grant is dead. Default: `invalid_grant`. */
  readonly isDeadGrant?: ((error: NordkitError.AuthenticationError) => boolean) | undefined
  /** The provider's typed "authorize again" error. */
  readonly reauthorize: (reason: Reason, detail?: string) => R
  /** Keep the stored token's `extra` fields under the refreshed ones. Default false. */
  readonly mergeExtra?: boolean | undefined
  /** What identifies the grant across processes (endpoint, client id, session key...), hashed by `keyOf`. */
  readonly sharedKeyParts: ReadonlyArray<string>
}

export interface StoredGrant<R> {
  readonly tokens: TokenProvider.TokenProvider<NordkitError.RequestError | R | TokenStore.TokenStoreError>
  /** Saves a token (retried; on failure it is kept and saved first on the next acquisition). */
  readonly save: (token: AccessToken.AccessToken) => Effect.Effect<void, TokenStore.TokenStoreError>
  /** Forgets the session: the unsaved token, the stored grant and the provider's current token. */
  readonly disconnect: Effect.Effect<void, TokenStore.TokenStoreError>
}

const defaultIsDeadGrant = (error: NordkitError.AuthenticationError) => error.error === "invalid_grant"

export const make = <R>(options: Options<R>): Effect.Effect<StoredGrant<R>, never, Scope.Scope> =>
  Effect.gen(function* () {
    type E = NordkitError.RequestError | R | TokenStore.TokenStoreError
    const { store, key, skew } = options
    const isDeadGrant = options.isDeadGrant ?? defaultIsDeadGrant
    // A rotated token the store refused: kept here so it is saved (and used) before anything else is sent.
    let unsaved: AccessToken.AccessToken | undefined

    const save = (token: AccessToken.AccessToken) =>
      store.set(key, token).pipe(
        Effect.retry({ times: 2 }),
        Effect.tapError(() =>
          Effect.sync(() => {
            unsaved = token
          })
        ),
        Effect.tap(() =>
          Effect.sync(() => {
            if (unsaved === token) unsaved = undefined
          })
        )
      )

    /** Removes the stored grant if it is still the one whose refresh token was rejected. */
    const forget = (rejected: Redacted.Redacted<string>) =>
      Effect.flatMap(store.get(key), (current) =>
        Option.isSome(current) &&
        current.value.refreshToken !== undefined &&
        Redacted.value(current.value.refreshToken) === Redacted.value(rejected)
          ? store.remove(key)
          : Effect.void
      )

    const acquire = (latest: Option.Option<AccessToken.AccessToken>): Effect.Effect<AccessToken.AccessToken, E> =>
      Effect.gen(function* () {
        if (unsaved !== undefined) yield* save(unsaved)
        const stored = yield* store.get(key)
        if (Option.isNone(stored)) return yield* Effect.fail(options.reauthorize("not_connected"))
        const token = stored.value
        const now = yield* Clock.currentTimeMillis
        // A token not handed out yet (a restart, a fresh login, another instance refreshed): use it.
        const unused = Option.isNone(latest) || !AccessToken.sameValue(latest.value, token)
        if (unused && now < token.expiresAt - skew) return token
        const sent = token.refreshToken
        if (sent === undefined) return yield* Effect.fail(options.reauthorize("no_refresh_token"))
        const refreshed = yield* options
          .refresh(sent)
          .pipe(
            Effect.catchTag(
              "AuthenticationError",
              (error): Effect.Effect<never, E> =>
                isDeadGrant(error)
                  ? Effect.flatMap(forget(sent), () =>
                      Effect.fail(options.reauthorize("invalid_grant", error.errorDescription))
                    )
                  : Effect.fail(error)
            )
          )
        // Rotation: keep the old refresh token only if the server did not send a new one.
        const next: AccessToken.AccessToken = {
          ...refreshed,
          refreshToken: refreshed.refreshToken ?? sent,
          ...(options.mergeExtra === true ? { extra: { ...token.extra, ...refreshed.extra } } : {})
        }
        // Saved before it is returned: no request uses the new access token before the store has the new refresh
        // token.
        yield* save(next)
        return next
      })

    const tokens = yield* TokenProvider.make<E, never>({
      acquire,
      expirySkew: skew,
      shared: TokenCoordinator.share<E>({
        key: yield* TokenCoordinator.keyOf(options.provider, options.sharedKeyParts),
        unavailable: (error) => new TokenStore.TokenStoreError({ operation: "lock", key, detail: error.detail })
      })
    })

    const disconnect = Effect.gen(function* () {
      unsaved = undefined
      yield* store.remove(key)
      const current = yield* tokens.current
      if (Option.isSome(current)) yield* tokens.invalidate(current.value)
    })

    return { tokens, save, disconnect }
  })
