/**
 * Visma Connect: the OAuth2 authorization server Dinero requires for any integration used by more than one's own
 * organization (personal integrations, `DineroAuth`, are for your own organizations only). Built on core's `Pkce`,
 * `TokenStore` (a requirement: provide `TokenStore.layerMemory`, `TokenStore.layerKeyValueStore()`, ...), `OAuth2` and
 * `TokenProvider`:
 *
 * **Authorization code + PKCE** (a user grants your app access to their organizations):
 * 1. `authorize()` builds the URL of `{authority}/connect/authorize` (client id, exact redirect URI,
 *    `response_type=code`, the scopes `dineropublicapi:read dineropublicapi:write offline_access`, an S256
 *    challenge and a single-use `state`) and returns the {@link PendingAuthorization} to keep server side —
 *    {@link sealPending} turns it into an encrypted, tamper-proof string for a cookie.
 * 2. `handleCallback(url, pending)` checks the state (exactly, once, within its lifetime), turns `error=...` into
 *    `AuthorizationDeniedError`, exchanges the code with the verifier at `{authority}/connect/token` (client id and
 *    secret as Basic), and saves the tokens in the `TokenStore` under the session key.
 *
 * **Refresh with rotation**: each acquisition of the token provider reads the store, sends the stored refresh
 * token once, and saves the rotated one *before* the new access token is used; `invalid_grant` clears the stored
 * grant and fails with `ReauthorizationRequiredError`.
 *
 * **Client credentials per tenant** (`makeClientCredentials`): `grant_type=client_credentials` with `tenant_id`,
 * for server-to-server access to the organizations of a tenant that has approved your app.
 *
 * Give the token provider to `DineroClient.makeWithTokens` with the organizations the grant covers
 * (`listOrganizations` shows them).
 */
import type * as AccessToken from "@nordkit/core/AccessToken"
import * as BaseUrl from "@nordkit/core/BaseUrl"
import type * as NordkitError from "@nordkit/core/NordkitError"
import * as OAuth2 from "@nordkit/core/OAuth2"
import * as Pkce from "@nordkit/core/Pkce"
import type * as RetryPolicy from "@nordkit/core/RetryPolicy"
import * as StoredGrant from "@nordkit/core/StoredGrant"
import type * as TokenProvider from "@nordkit/core/TokenProvider"
import * as TokenStore from "@nordkit/core/TokenStore"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import {
  AuthorizationDeniedError,
  type CallbackError,
  InvalidCallbackError,
  ReauthorizationRequiredError,
  StateMismatchError
} from "./DineroError.ts"

export const provider = "dinero"

/** Visma Connect's host. */
export const defaultAuthority = "https://connect.visma.com"

/** The scopes of Dinero's API, plus `offline_access` for a refresh token. */
export const defaultScopes = ["dineropublicapi:read", "dineropublicapi:write", "offline_access"] as const

/** What the app keeps between `authorize` and `handleCallback` (server side: it holds the PKCE verifier). */
export type PendingAuthorization = Pkce.PendingAuthorization

export interface AuthorizationRequest {
  /** Send the user's browser here. */
  readonly url: string
  readonly pending: PendingAuthorization
}

/**
 * The pending authorization sealed (AES-256-GCM) with `key` (32 bytes, see `Pkce.sealingKey`): safe in a cookie —
 * unreadable (it holds the verifier) and unforgeable.
 */
export const sealPending = (pending: PendingAuthorization, key: Pkce.SealingKey) =>
  Pkce.seal(Pkce.encodePending(pending), key)

/** Opens what {@link sealPending} sealed; anything else is an `InvalidCallbackError`. */
export const unsealPending = (
  text: string,
  key: Pkce.SealingKey
): Effect.Effect<PendingAuthorization, InvalidCallbackError> =>
  Effect.flatMap(Pkce.openPending(text, key), (pending) =>
    Option.isSome(pending)
      ? Effect.succeed(pending.value)
      : Effect.fail(new InvalidCallbackError({ provider, detail: "the pending authorization is not readable" }))
  )

/** Errors of getting a token in the authorization-code flow. */
export type TokenError = NordkitError.RequestError | ReauthorizationRequiredError | TokenStore.TokenStoreError

export interface CodeFlow {
  /** A new authorization request: the URL to send the user to and the record to keep. */
  readonly authorize: (options?: {
    readonly scopes?: ReadonlyArray<string> | undefined
  }) => Effect.Effect<AuthorizationRequest>
  /** Completes the flow from the callback URL; the tokens are saved in the store. */
  readonly handleCallback: (
    callbackUrl: string | URL,
    pending: PendingAuthorization
  ) => Effect.Effect<AccessToken.AccessToken, CallbackError>
  /** Access tokens for the session, refreshed with rotation (give it to `DineroClient.makeWithTokens`). */
  readonly tokens: TokenProvider.TokenProvider<TokenError>
  readonly isConnected: Effect.Effect<boolean, TokenStore.TokenStoreError>
  /** Forgets the session's tokens locally. */
  readonly disconnect: Effect.Effect<void, TokenStore.TokenStoreError>
}

export interface CodeFlowOptions {
  /** Default `https://connect.visma.com` (validate a custom one with `BaseUrl.validate`). */
  readonly authority?: string | undefined
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /** Must equal one of the app's registered redirect URIs exactly. */
  readonly redirectUri: string
  /** The session's key in the `TokenStore` (one per user). */
  readonly sessionKey: string

  readonly retry?: RetryPolicy.Options | undefined
  /** How long a pending authorization stays valid. Default 10 minutes. */
  readonly pendingMaxAgeMillis?: number | undefined
}

/** The authorize URL for a challenge and state. */
export const authorizeUrl = (options: {
  readonly authority: string
  readonly clientId: string
  readonly redirectUri: string
  readonly challenge: string
  readonly state: string
  readonly scopes: ReadonlyArray<string>
}): string => {
  const query = new URLSearchParams({
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    response_type: "code",
    scope: options.scopes.join(" "),
    state: options.state,
    code_challenge: options.challenge,
    code_challenge_method: "S256"
  })
  return `${options.authority}/connect/authorize?${query.toString()}`
}

const skew = 5_000

/** The authorization-code flow for one session (one user); its grant lives in the `TokenStore` in context. */
export const makeCodeFlow = (
  options: CodeFlowOptions
): Effect.Effect<
  CodeFlow,
  NordkitError.ConfigurationError,
  HttpClient.HttpClient | TokenStore.TokenStore | Scope.Scope
> =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    // https only (plain http on loopback): the client secret, code and tokens cross it.
    const authority = yield* BaseUrl.validate(
      provider,
      "Visma Connect authority",
      options.authority ?? defaultAuthority
    )
    const guard = Pkce.makeStateGuard({ maxAgeMillis: options.pendingMaxAgeMillis })
    // The grant lives in the TokenStore you provide (`TokenStore.layerMemory`, `TokenStore.layerKeyValueStore()`,
    // Redis, ...): a visible requirement, never a silent default.
    const store = yield* TokenStore.TokenStore
    const key = options.sessionKey

    const request = (grantType: OAuth2.GrantType, params: OAuth2.TokenRequest["params"]) =>
      OAuth2.requestToken({
        provider,
        endpoint: `${authority}/connect/token`,
        grantType,
        client: { _tag: "Basic", clientId: options.clientId, clientSecret: options.clientSecret },
        params,
        retry: options.retry
      }).pipe(Effect.provideService(HttpClient.HttpClient, client))

    // Visma Connect rotates refresh tokens: every process (or tab) sharing this grant's store refreshes through
    // the TokenCoordinator in context, one holder at a time. Without a reachable coordinator there is no
    // unsynchronized refresh: a typed TokenStoreError instead. With no coordinator provided this changes nothing.
    const storedGrant = yield* StoredGrant.make({
      provider,
      store,
      key,
      skew,
      refresh: (refreshToken) => request("refresh_token", { refresh_token: refreshToken }),
      reauthorize: (reason, detail) => new ReauthorizationRequiredError({ provider, reason, detail }),
      sharedKeyParts: [`${authority}/connect/token`, options.clientId, key]
    })
    const tokens: TokenProvider.TokenProvider<TokenError> = storedGrant.tokens

    const authorize = (authorizeOptions?: { readonly scopes?: ReadonlyArray<string> | undefined }) =>
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
          authority,
          clientId: options.clientId,
          redirectUri: options.redirectUri,
          challenge: pair.challenge,
          state,
          scopes: authorizeOptions?.scopes ?? defaultScopes
        })
        return { url, pending }
      })

    const handleCallback = (callbackUrl: string | URL, pending: PendingAuthorization) =>
      Effect.gen(function* () {
        const text = typeof callbackUrl === "string" ? callbackUrl : callbackUrl.href
        if (!URL.canParse(text)) {
          return yield* new InvalidCallbackError({ provider, detail: "the callback URL is not a URL" })
        }
        if (pending.clientId !== options.clientId || pending.redirectUri !== options.redirectUri) {
          return yield* new InvalidCallbackError({
            provider,
            detail: "the pending authorization was started by another client or redirect URI"
          })
        }
        const query = new URL(text).searchParams
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
        yield* store.set(key, token)
        // The next `tokens.get` picks the new grant from the store.
        const current = yield* tokens.current
        if (Option.isSome(current)) yield* tokens.invalidate(current.value)
        return token
      })

    const isConnected = Effect.map(store.get(key), Option.isSome)
    const disconnect = storedGrant.disconnect

    return { authorize, handleCallback, tokens, isConnected, disconnect } satisfies CodeFlow
  })

export interface ClientCredentialsOptions {
  readonly authority?: string | undefined
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /** The Visma Connect tenant that approved your app; its organizations are what the tokens open. */
  readonly tenantId: string
  /** Default `dineropublicapi:read dineropublicapi:write`. */
  readonly scopes?: ReadonlyArray<string> | undefined
  readonly retry?: RetryPolicy.Options | undefined
}

/** Server-to-server tokens for one tenant (no refresh token: a new one is requested ahead of expiry). */
export const makeClientCredentials = (
  options: ClientCredentialsOptions
): Effect.Effect<
  TokenProvider.TokenProvider<NordkitError.RequestError>,
  NordkitError.ConfigurationError,
  HttpClient.HttpClient | Scope.Scope
> =>
  Effect.flatMap(
    BaseUrl.validate(provider, "Visma Connect authority", options.authority ?? defaultAuthority),
    (authority) =>
      OAuth2.makeTokenProvider({
        provider,
        endpoint: `${authority}/connect/token`,
        grantType: "client_credentials",
        client: { _tag: "Basic", clientId: options.clientId, clientSecret: options.clientSecret },
        params: {
          scope: (options.scopes ?? ["dineropublicapi:read", "dineropublicapi:write"]).join(" "),
          tenant_id: options.tenantId
        },
        retry: options.retry
      })
  )
