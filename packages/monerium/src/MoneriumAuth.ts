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
 * request. A refused refresh (a 400: Monerium's own error body, or `invalid_grant`) clears the stored grant and fails with `ReauthorizationRequiredError`. A refresh token
 * is never re-sent after the server answered; it is only re-sent on a later call when the previous attempt got
 * no answer at all (transport failure or 5xx), because then the server may never have seen it.
 *
 * **Client credentials** (partner apps): `client_id` and `client_secret` in the form body, no refresh token;
 * a new token is simply requested when the old one nears expiry.
 */
import type * as AccessToken from "@nordkit/core/AccessToken"
import * as ApiClient from "@nordkit/core/ApiClient"
import type * as NordkitError from "@nordkit/core/NordkitError"
import * as OAuth2 from "@nordkit/core/OAuth2"
import * as Pkce from "@nordkit/core/Pkce"
import type * as RetryPolicy from "@nordkit/core/RetryPolicy"
import * as StoredGrant from "@nordkit/core/StoredGrant"
import type * as TokenProvider from "@nordkit/core/TokenProvider"
import type * as TokenStore from "@nordkit/core/TokenStore"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { acceptV2, provider } from "./MoneriumApi.ts"
import {
  type AuthorizationRequest,
  type AuthorizeParams,
  decodePending,
  encodePending,
  type PendingAuthorization,
  readCallback,
  start
} from "./MoneriumAuthorization.ts"
import {
  type CallbackError,
  errorFields,
  InvalidCallbackError,
  ReauthorizationRequiredError,
  tokenErrorFields
} from "./MoneriumError.ts"

export { acceptV2, provider } from "./MoneriumApi.ts"

export {
  type AuthorizationCode,
  type AuthorizationRequest,
  type AuthorizeParams,
  authorizeUrl,
  decodePending,
  encodePending,
  type PendingAuthorization,
  readCallback,
  start
} from "./MoneriumAuthorization.ts"

// Sealing lives here, on the server side, not in `MoneriumAuthorization` (the module a browser bundles): it needs
// the app's key, which never belongs in a browser, and effect's AES-GCM code would ride along in every browser
// bundle that imports the package's main entry (esbuild keeps every export of a re-exported namespace).

/**
 * The pending authorization sealed with the app's key (`Pkce.sealingKey`, AES-256-GCM): safe to keep in a
 * cookie — it can be neither read (it holds the verifier) nor altered (a forged `issuedAt`, state or redirect URI
 * is refused by {@link openPending}). Without a key, keep {@link encodePending}'s text server side only (a session
 * store).
 */
export const sealPending = (pending: PendingAuthorization, key: Pkce.SealingKey): Effect.Effect<string> =>
  Effect.orDie(Pkce.seal(encodePending(pending), key))

/** Reads what {@link sealPending} wrote with the same key; anything else is an `InvalidCallbackError`. */
export const openPending = (
  text: string,
  key: Pkce.SealingKey
): Effect.Effect<PendingAuthorization, InvalidCallbackError> =>
  Effect.flatMap(
    Effect.orElseSucceed(Pkce.unseal(text, key), () => ""),
    decodePending
  )

/** Errors of getting a token in the authorization-code flow. */
export type TokenError = NordkitError.RequestError | ReauthorizationRequiredError | TokenStore.TokenStoreError

export interface CodeFlow {
  readonly authorize: (params?: AuthorizeParams) => Effect.Effect<AuthorizationRequest>
  readonly handleCallback: (
    callbackUrl: string | URL,
    pending: PendingAuthorization
  ) => Effect.Effect<AccessToken.AccessToken, CallbackError>
  /**
   * Exchanges a code the browser read from its callback (with `MoneriumAuthorization.readCallback`) for tokens,
   * with this flow's redirect URI, and stores them. Server side only: Monerium's token endpoint refuses browsers.
   */
  readonly exchangeCode: (grant: {
    readonly code: Redacted.Redacted<string> | string
    readonly codeVerifier: Redacted.Redacted<string> | string
  }) => Effect.Effect<AccessToken.AccessToken, CallbackError>
  /** Sign-In with Ethereum for a wallet already linked to a Monerium account (server side). */
  readonly authorizeSiwe: (siwe: {
    readonly message: string
    readonly signature: string
  }) => Effect.Effect<AccessToken.AccessToken, CallbackError>
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

    // Every process (or tab) that shares this session's store shares its refreshes through the TokenCoordinator
    // in context: one holder at a time reads, presents and replaces the rotating refresh token. Without a
    // reachable coordinator there is no unsynchronized refresh: a typed TokenStoreError instead.
    const storedGrant = yield* StoredGrant.make({
      // Monerium answers a refused refresh with its own `{ code: 400, status, message }` body (no RFC 6749
      // `error`): any 400 to a refresh means this grant cannot be refreshed — the user must authorize again.
      isDeadGrant: (error) => error.error === "invalid_grant" || error.status === 400,
      // Monerium rotates; the stored token's extra fields are kept under the refreshed ones.
      mergeExtra: true,
      sharedKeyParts: [endpoint, options.clientId, key],
      refresh: (refreshToken) => request("refresh_token", { refresh_token: refreshToken }),
      reauthorize: (reason, detail) => new ReauthorizationRequiredError({ provider, reason, detail }),
      provider,
      store,
      key,
      skew
    })
    const { save } = storedGrant
    const tokens: TokenProvider.TokenProvider<TokenError> = storedGrant.tokens

    const authorize = (params?: AuthorizeParams) =>
      start({ apiUrl: options.apiUrl, clientId: options.clientId, redirectUri: options.redirectUri, params })

    /** Exchanges a code (read from the callback by the browser or by this server) and stores the grant. */
    const exchangeCode = (grant: {
      readonly code: Redacted.Redacted<string> | string
      readonly codeVerifier: Redacted.Redacted<string> | string
    }) =>
      Effect.gen(function* () {
        const verifier =
          typeof grant.codeVerifier === "string"
            ? Redacted.make(grant.codeVerifier, { label: "code_verifier" })
            : grant.codeVerifier
        const code = typeof grant.code === "string" ? Redacted.make(grant.code, { label: "code" }) : grant.code
        if (Redacted.value(code).length === 0 || !Pkce.isValidVerifier(Redacted.value(verifier))) {
          return yield* new InvalidCallbackError({ provider, detail: "the code or the PKCE verifier is not usable" })
        }
        const token = yield* request("authorization_code", {
          code,
          code_verifier: verifier,
          redirect_uri: options.redirectUri
        })
        yield* save(token)
        // The next `tokens.get` picks the new grant from the store (the token provider's acquisition reads it).
        const current = yield* tokens.current
        if (Option.isSome(current)) yield* tokens.invalidate(current.value)
        return token
      })

    /**
     * Sign-In with Ethereum: `POST /auth` with the signed EIP-4361 message and a fresh PKCE challenge; Monerium
     * answers 302 to the redirect URI with a code (no consent page), which is exchanged here. Server side: the
     * redirect must be read, not followed (a browser cannot).
     */
    const authorizeSiwe = (siwe: { readonly message: string; readonly signature: string }) =>
      Effect.gen(function* () {
        const pair = yield* Pkce.makePair
        const state = yield* Pkce.makeState
        const issuedAt = yield* Clock.currentTimeMillis
        const request = HttpClientRequest.post(`${options.apiUrl}/auth`).pipe(
          HttpClientRequest.bodyUrlParams({
            client_id: options.clientId,
            redirect_uri: options.redirectUri,
            code_challenge: pair.challenge,
            code_challenge_method: "S256",
            authentication_method: "siwe",
            message: siwe.message,
            signature: siwe.signature,
            state
          })
        )
        const response = yield* client.execute(request).pipe(
          Effect.provideService(FetchHttpClient.RequestInit, { redirect: "manual" }),
          Effect.timeout("30 seconds"),
          Effect.catch((error) =>
            Effect.fail(
              error._tag === "TimeoutError"
                ? new InvalidCallbackError({
                    provider,
                    detail: "Monerium did not answer the SIWE authorization in time"
                  })
                : ApiClient.transportError(provider, error)
            )
          )
        )
        const location = response.headers.location
        if (response.status < 300 || response.status >= 400 || location === undefined) {
          const failure = yield* ApiClient.readFailure(provider, response, errorFields)
          return yield* Effect.fail(ApiClient.classifyStatus(failure))
        }
        const callback = new URL(location, options.apiUrl)
        const pending: PendingAuthorization = {
          state,
          codeVerifier: pair.verifier,
          clientId: options.clientId,
          redirectUri: options.redirectUri,
          issuedAt
        }
        return yield* handleCallback(callback, pending)
      })

    const handleCallback = (callbackUrl: string | URL, pending: PendingAuthorization) =>
      Effect.flatMap(
        readCallback(callbackUrl, pending, {
          guard,
          expect: { clientId: options.clientId, redirectUri: options.redirectUri }
        }),
        exchangeCode
      )

    const isConnected = Effect.map(store.get(key), Option.isSome)
    const disconnect = storedGrant.disconnect

    return {
      authorize,
      handleCallback,
      exchangeCode,
      authorizeSiwe,
      tokens,
      isConnected,
      disconnect
    } satisfies CodeFlow
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
