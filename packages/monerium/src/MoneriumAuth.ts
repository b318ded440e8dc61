/**
 * How Monerium hands out tokens, on `@nordkit/core`:
 *
 * **Authorization code + PKCE** (users), in two steps that fit a web app:
 * 1. `authorize()` builds the URL of `{api}/auth` (client id, exact redirect URI, S256 challenge, single-use
 *    state, optional email / auth mode) and returns the {@link PendingAuthorization} to keep — serializable with
 *    {@link encodePending} so a server can put it in its session or an HttpOnly cookie; nothing is lost on a
 *    restart.
 * 2. `handleCallback(url, pending)` checks the state exactly and once, turns `error=access_denied` into
 *    `AuthorizationDeniedError`, exchanges the code with the verifier, and saves the tokens in the `TokenStore`.
 *
 * **Refresh with rotation**: core's token provider makes acquisitions single-flight; each acquisition reads the
 * store (so a restart, or a login that just completed, is picked up without a request), sends the stored refresh
 * token once, and saves the rotated refresh token to the store *before* the new access token is handed to any
 * request. `invalid_grant` clears the stored grant and fails with `ReauthorizationRequiredError`. A refresh token
 * is never re-sent after the server answered; it is only re-sent on a later call when the previous attempt got
 * no answer at all (transport failure or 5xx), because then the server may never have seen it.
 *
 * **Client credentials** (partner apps): `client_id` and `client_secret` in the form body, no refresh token;
 * a new token is simply requested when the old one nears expiry.
 */
import {
  AccessToken,
  type NordkitError,
  OAuth2,
  Pkce,
  type RetryPolicy,
  TokenCoordinator,
  TokenProvider,
  TokenStore
} from "@nordkit/core"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import {
  AuthorizationDeniedError,
  type CallbackError,
  InvalidCallbackError,
  ReauthorizationRequiredError,
  StateMismatchError,
  tokenErrorFields
} from "./MoneriumError.ts"

export const provider = "monerium"

/** Monerium API v2 media type, sent as `Accept` on every request. */
export const acceptV2 = "application/vnd.monerium.api-v2+json"

/** What the app keeps between `authorize` and `handleCallback` (server side: it holds the PKCE verifier). */
export interface PendingAuthorization {
  readonly state: string
  readonly codeVerifier: Redacted.Redacted<string>
  readonly clientId: string
  readonly redirectUri: string
  /** Effect Clock millis when the authorization was started; old records are refused. */
  readonly issuedAt: number
}

export interface AuthorizationRequest {
  /** Send the user's browser here. */
  readonly url: string
  readonly pending: PendingAuthorization
}

export interface AuthorizeParams {
  /** Pre-fills the email on Monerium's login/sign-up page. */
  readonly email?: string | undefined
  /** Opens Monerium on its login or its sign-up page. */
  readonly authMode?: "login" | "signup" | undefined
  /** Lets the user skip KYC onboarding at this point (Monerium's `skip_kyc`). */
  readonly skipKyc?: boolean | undefined
}

const PendingJson = Schema.Struct({
  v: Schema.Literal(1),
  state: Schema.String,
  codeVerifier: Schema.String,
  clientId: Schema.String,
  redirectUri: Schema.String,
  issuedAt: Schema.Finite
})
const decodePendingJson = Schema.decodeUnknownOption(Schema.fromJsonString(PendingJson))

/**
 * The pending authorization as a string (JSON) for a session store or an HttpOnly, Secure cookie. It contains
 * the PKCE verifier in clear: keep it server side (or encrypted), never in a URL.
 */
export const encodePending = (pending: PendingAuthorization): string =>
  JSON.stringify({
    v: 1,
    state: pending.state,
    codeVerifier: Redacted.value(pending.codeVerifier),
    clientId: pending.clientId,
    redirectUri: pending.redirectUri,
    issuedAt: pending.issuedAt
  })

/** Reads what {@link encodePending} wrote. */
export const decodePending = (text: string): Effect.Effect<PendingAuthorization, InvalidCallbackError> =>
  Effect.suspend(() => {
    const decoded = decodePendingJson(text)
    if (
      Option.isNone(decoded) ||
      !Pkce.isValidVerifier(decoded.value.codeVerifier) ||
      !Pkce.isHttpUrl(decoded.value.redirectUri)
    ) {
      return Effect.fail(new InvalidCallbackError({ provider, detail: "the pending authorization is not readable" }))
    }
    const { v: _, codeVerifier, ...rest } = decoded.value
    return Effect.succeed({ ...rest, codeVerifier: Redacted.make(codeVerifier, { label: "code_verifier" }) })
  })

/**
 * The pending authorization sealed with the app's key (`Pkce.sealingKey`, AES-256-GCM): safe to keep in a
 * cookie or in browser storage — it can be neither read (it holds the verifier) nor altered (a forged
 * `issuedAt`, state or redirect URI is refused by {@link openPending}). Without a key, keep {@link encodePending}'s
 * text server side only (a session store).
 */
export const sealPending = (pending: PendingAuthorization, key: Pkce.SealingKey): Effect.Effect<string> =>
  Effect.orDie(Pkce.seal(encodePending(pending), key))

/** Reads what {@link sealPending} wrote with the same key; anything else is an `InvalidCallbackError`. */
export const openPending = (
  text: string,
  key: Pkce.SealingKey
): Effect.Effect<PendingAuthorization, InvalidCallbackError> =>
  Pkce.unseal(text, key).pipe(
    Effect.mapError(() => new InvalidCallbackError({ provider, detail: "the pending authorization is not readable" })),
    Effect.flatMap(decodePending)
  )

/** The authorize URL for a challenge and state (exported for tests and custom front ends). */
export const authorizeUrl = (options: {
  readonly apiUrl: string
  readonly clientId: string
  readonly redirectUri: string
  readonly challenge: string
  readonly state: string
  readonly params?: AuthorizeParams | undefined
}): string => {
  const query = new URLSearchParams({
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    code_challenge: options.challenge,
    code_challenge_method: "S256",
    state: options.state
  })
  if (options.params?.email !== undefined) query.set("email", options.params.email)
  if (options.params?.authMode !== undefined) query.set("auth_mode", options.params.authMode)
  if (options.params?.skipKyc !== undefined) query.set("skip_kyc", String(options.params.skipKyc))
  return `${options.apiUrl}/auth?${query.toString()}`
}

/** Errors of getting a token in the authorization-code flow. */
export type TokenError = NordkitError.RequestError | ReauthorizationRequiredError | TokenStore.TokenStoreError

export interface CodeFlow {
  readonly authorize: (params?: AuthorizeParams) => Effect.Effect<AuthorizationRequest>
  readonly handleCallback: (
    callbackUrl: string | URL,
    pending: PendingAuthorization
  ) => Effect.Effect<AccessToken.AccessToken, CallbackError>
  readonly tokens: TokenProvider.TokenProvider<TokenError>
  /** Whether the store holds a grant for this session. */
  readonly isConnected: Effect.Effect<boolean, TokenStore.TokenStoreError>
  /** Forgets the session's tokens (locally; Monerium has no revocation endpoint). */
  readonly disconnect: Effect.Effect<void, TokenStore.TokenStoreError>
}

export interface CodeFlowOptions {
  readonly apiUrl: string
  readonly clientId: string
  /** Must equal one of the app's registered redirect URIs exactly. */
  readonly redirectUri: string
  /** The session's key in the `TokenStore` (one per user). */
  readonly sessionKey: string
  readonly store: TokenStore.Service
  readonly retry?: RetryPolicy.Options | undefined
  /** How long a pending authorization stays valid. Default 10 minutes. */
  readonly pendingMaxAgeMillis?: number | undefined
  /** A token is treated as expired this long before its `expiresAt`. Default 5 s (as core). */
  readonly expirySkewMillis?: number | undefined
}

const headers = { accept: acceptV2 }

/**
 * The authorization-code flow for one session (one user): authorize, callback, and a token provider that
 * refreshes with rotation through the store.
 */
export const makeCodeFlow = (
  options: CodeFlowOptions
): Effect.Effect<CodeFlow, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const endpoint = `${options.apiUrl}/auth/token`
    const skew = options.expirySkewMillis ?? 5_000
    const guard = Pkce.makeStateGuard({ maxAgeMillis: options.pendingMaxAgeMillis })
    const { store, sessionKey: key } = options
    // A rotated token the store refused: kept here so it is saved (and used) before anything else is sent.
    let unsaved: AccessToken.AccessToken | undefined

    const request = (grantType: OAuth2.GrantType, params: OAuth2.TokenRequest["params"]) =>
      OAuth2.requestToken({
        provider,
        endpoint,
        grantType,
        client: { _tag: "Body", clientId: options.clientId },
        params,
        headers,
        errorFields: tokenErrorFields,
        retry: options.retry
      }).pipe(Effect.provideService(HttpClient.HttpClient, client))

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

    const reauthorize = (reason: ReauthorizationRequiredError["reason"], detail?: string) =>
      new ReauthorizationRequiredError({ provider, reason, detail })

    const acquire = (
      latest: Option.Option<AccessToken.AccessToken>
    ): Effect.Effect<AccessToken.AccessToken, TokenError> =>
      Effect.gen(function* () {
        if (unsaved !== undefined) yield* save(unsaved)
        const stored = yield* store.get(key)
        if (Option.isNone(stored)) return yield* reauthorize("not_connected")
        const token = stored.value
        const now = yield* Clock.currentTimeMillis
        const unused = Option.isNone(latest) || !AccessToken.sameValue(latest.value, token)
        // A token we have not handed out yet (restart, fresh login, another instance refreshed): use it.
        if (unused && now < token.expiresAt - skew) return token
        const sent = token.refreshToken
        if (sent === undefined) return yield* reauthorize("no_refresh_token")
        const refreshed = yield* request("refresh_token", { refresh_token: sent }).pipe(
          Effect.catchTag(
            "AuthenticationError",
            (error): Effect.Effect<never, TokenError> =>
              error.error === "invalid_grant"
                ? Effect.flatMap(forget(sent), () => Effect.fail(reauthorize("invalid_grant", error.errorDescription)))
                : Effect.fail(error)
          )
        )
        // Monerium rotates; keep the old refresh token only if a server did not send a new one.
        const next: AccessToken.AccessToken = {
          ...refreshed,
          refreshToken: refreshed.refreshToken ?? sent,
          extra: { ...token.extra, ...refreshed.extra }
        }
        // Saved before it is returned: no request can use the new access token before the store has the new
        // refresh token.
        yield* save(next)
        return next
      })

    /** Removes the stored grant if it is still the one whose refresh token was rejected. */
    const forget = (rejected: Redacted.Redacted<string>) =>
      Effect.flatMap(store.get(key), (current) =>
        Option.isSome(current) &&
        current.value.refreshToken !== undefined &&
        Redacted.value(current.value.refreshToken) === Redacted.value(rejected)
          ? store.remove(key)
          : Effect.void
      )

    const tokens = yield* TokenProvider.make<TokenError, never>({
      acquire,
      expirySkew: skew,
      // Every process (or tab) that shares this session's store shares its refreshes through the TokenCoordinator
      // in context: one holder at a time reads, presents and replaces the rotating refresh token. Without a
      // reachable coordinator there is no unsynchronized refresh: a typed TokenStoreError instead.
      shared: {
        key: yield* TokenCoordinator.keyOf(provider, [endpoint, options.clientId, key]),
        unavailable: (error) => new TokenStore.TokenStoreError({ operation: "lock", key, detail: error.detail })
      }
    })

    const authorize = (params?: AuthorizeParams) =>
      Effect.gen(function* () {
        const pair = yield* Pkce.makePair
        const state = yield* Pkce.makeState
        const issuedAt = yield* Clock.currentTimeMillis
        const pending: PendingAuthorization = {
          state,
          codeVerifier: pair.verifier,
          clientId: options.clientId,
          redirectUri: options.redirectUri,
          issuedAt
        }
        const url = authorizeUrl({
          apiUrl: options.apiUrl,
          clientId: options.clientId,
          redirectUri: options.redirectUri,
          challenge: pair.challenge,
          state,
          params
        })
        return { url, pending }
      })

    const handleCallback = (callbackUrl: string | URL, pending: PendingAuthorization) =>
      Effect.gen(function* () {
        const text = typeof callbackUrl === "string" ? callbackUrl : callbackUrl.href
        if (!URL.canParse(text)) {
          return yield* new InvalidCallbackError({ provider, detail: "the callback URL is not a URL" })
        }
        const url = new URL(text)
        if (pending.clientId !== options.clientId || pending.redirectUri !== options.redirectUri) {
          return yield* new InvalidCallbackError({
            provider,
            detail: "the pending authorization was started by another client or redirect URI"
          })
        }
        const query = url.searchParams
        const problem = yield* guard.consume({
          expected: pending.state,
          received: query.get("state"),
          issuedAt: pending.issuedAt
        })
        if (problem !== undefined) return yield* new StateMismatchError({ provider, problem })
        const error = query.get("error")
        if (error !== null) {
          return yield* new AuthorizationDeniedError({
            provider,
            error,
            errorDescription: query.get("error_description") ?? undefined
          })
        }
        const code = query.get("code")
        if (code === null || code.length === 0) {
          return yield* new InvalidCallbackError({ provider, detail: "the callback has neither code nor error" })
        }
        const token = yield* request("authorization_code", {
          code: Redacted.make(code, { label: "code" }),
          code_verifier: pending.codeVerifier,
          redirect_uri: pending.redirectUri
        })
        yield* save(token)
        // The next `tokens.get` picks the new grant from the store (the token provider's acquisition reads it).
        const current = yield* tokens.current
        if (Option.isSome(current)) yield* tokens.invalidate(current.value)
        return token
      })

    const isConnected = Effect.map(store.get(key), Option.isSome)
    const disconnect = Effect.gen(function* () {
      unsaved = undefined
      yield* store.remove(key)
      const current = yield* tokens.current
      if (Option.isSome(current)) yield* tokens.invalidate(current.value)
    })

    return { authorize, handleCallback, tokens, isConnected, disconnect } satisfies CodeFlow
  })

export interface ClientCredentialsOptions {
  readonly apiUrl: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly retry?: RetryPolicy.Options | undefined
}

/** Partner apps: `grant_type=client_credentials` with the secret in the form body (not Basic). */
export const makeClientCredentials = (
  options: ClientCredentialsOptions
): Effect.Effect<TokenProvider.TokenProvider<NordkitError.RequestError>, never, HttpClient.HttpClient | Scope.Scope> =>
  OAuth2.makeTokenProvider({
    provider,
    endpoint: `${options.apiUrl}/auth/token`,
    grantType: "client_credentials",
    client: { _tag: "Body", clientId: options.clientId, clientSecret: options.clientSecret },
    headers,
    errorFields: tokenErrorFields,
    retry: options.retry
  })
