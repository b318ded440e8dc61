/**
 * The browser half of Monerium's code flow, and the API from a browser with an access token.
 *
 * Monerium's token endpoint does not support CORS: the code is exchanged, and tokens refreshed, on the app's
 * server. The split this module supports:
 *
 * 1. browser: {@link authorize} — PKCE verifier/challenge + state, the URL of Monerium's `/auth`; keep the
 *    pending record (e.g. `sessionStorage`), send the user to the URL;
 * 2. browser, back on the redirect URI: {@link readCallback} checks the state (once) and returns the code;
 *    {@link exchangeOnServer} posts `{ code, codeVerifier }` to the app's own route (same origin), which runs
 *    `MoneriumServer.exchangeRoute` — the exchange and the refresh token stay on the server;
 * 3. browser: {@link layer} — the API operations with an access token the app's server hands out
 *    ({@link tokenFromServer}, served by `MoneriumServer.accessTokenRoute`; refreshed there, never here).
 *
 * Nothing here talks to `/auth/token`, so a browser bundle holds no token-endpoint code.
 */
import * as AccessToken from "@nordkit/core/AccessToken"
import * as ApiClient from "@nordkit/core/ApiClient"
import * as BaseUrl from "@nordkit/core/BaseUrl"
import type * as NordkitError from "@nordkit/core/NordkitError"
import type * as RequestLimits from "@nordkit/core/RequestLimits"
import * as TokenProvider from "@nordkit/core/TokenProvider"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { acceptV2, isSuccess, makeOperations, type Operations, provider } from "./MoneriumApi.ts"
import {
  type AuthorizationCode,
  type AuthorizationRequest,
  type AuthorizeParams,
  type PendingAuthorization,
  type ReadCallbackError,
  readCallback as readCallbackWith,
  start
} from "./MoneriumAuthorization.ts"
import { errorFields } from "./MoneriumError.ts"

export type Environment = "sandbox" | "production"

export const apiUrls: Record<Environment, string> = {
  sandbox: "https://api.monerium.dev",
  production: "https://api.monerium.app"
}

/** Step 1 (browser): the URL to send the user to and the pending record to keep until they come back. */
export const authorize = (options: {
  readonly clientId: string
  readonly redirectUri: string
  readonly environment?: Environment | undefined
  readonly apiUrl?: string | undefined
  readonly params?: AuthorizeParams | undefined
}): Effect.Effect<AuthorizationRequest> =>
  start({
    apiUrl: options.apiUrl ?? apiUrls[options.environment ?? "sandbox"],
    clientId: options.clientId,
    redirectUri: options.redirectUri,
    params: options.params
  })

/** Step 2 (browser): checks the callback's state (once) and returns the code to exchange on the server. */
export const readCallback = (
  callbackUrl: string | URL,
  pending: PendingAuthorization
): Effect.Effect<AuthorizationCode, ReadCallbackError> => readCallbackWith(callbackUrl, pending)

const TokenAnswer = Schema.Struct({ access_token: Schema.String, expires_in: Schema.Finite })

const fromAnswer = (answer: typeof TokenAnswer.Type, issuedAt: number): AccessToken.AccessToken =>
  AccessToken.make({
    value: Redacted.make(answer.access_token, { label: "access_token" }),
    tokenType: "Bearer",
    issuedAt,
    expiresInSeconds: answer.expires_in
  })

/** Posts JSON to the app's own server (same origin) and reads `{ access_token, expires_in }`. */
const postForToken = (url: string, body: unknown) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const api = ApiClient.make(client, { provider: "app", baseUrl: "", retry: { attempts: 1 } })
    const issuedAt = yield* Clock.currentTimeMillis
    const request = HttpClientRequest.bodyJsonUnsafe(
      HttpClientRequest.post(url, { headers: { accept: "application/json" } }),
      body
    )
    return fromAnswer(yield* api.json(TokenAnswer)(request), issuedAt)
  })

/**
 * Step 2b (browser): hands the code to the app's server route (`MoneriumServer.exchangeRoute`), which exchanges
 * it and answers a short-lived access token (the refresh token never leaves the server).
 */
export const exchangeOnServer = (
  routeUrl: string,
  code: AuthorizationCode
): Effect.Effect<AccessToken.AccessToken, NordkitError.RequestError, HttpClient.HttpClient> =>
  postForToken(routeUrl, { code: Redacted.value(code.code), codeVerifier: Redacted.value(code.codeVerifier) })

/** A token source for {@link layer}: the app's `MoneriumServer.accessTokenRoute` (refreshes on the server). */
export const tokenFromServer = (
  routeUrl: string
): Effect.Effect<AccessToken.AccessToken, NordkitError.RequestError, HttpClient.HttpClient> =>
  postForToken(routeUrl, {})

/** The API operations with an access token (no auth flow): the browser's Monerium client. */
export class MoneriumBrowser extends Context.Service<
  MoneriumBrowser,
  Operations<NordkitError.RequestError> & { readonly apiUrl: string }
>()("@nordkit/monerium/MoneriumBrowser") {}

export interface Options<E> {
  readonly environment?: Environment | undefined
  readonly apiUrl?: string | undefined
  /** Where access tokens come from, e.g. {@link tokenFromServer}; asked again when one expires or gets a 401. */
  readonly accessToken: Effect.Effect<AccessToken.AccessToken, E, HttpClient.HttpClient>
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
  /**
   * Deadline and body caps for this client's API calls (see `RequestLimits`; a per-call `RequestLimits.provide`
   * wins). Default: 30 s per attempt, 8 MiB JSON and error bodies, 64 MiB downloads.
   */
  readonly limits?: RequestLimits.Limits | undefined
}

/** The operations on the API with tokens from `options.accessToken`. */
export const make = <E>(
  options: Options<E>
): Effect.Effect<
  Operations<NordkitError.RequestError | E> & { readonly apiUrl: string },
  NordkitError.ConfigurationError,
  HttpClient.HttpClient | Scope.Scope
> =>
  Effect.gen(function* () {
    const apiUrl = yield* BaseUrl.validate(
      provider,
      "MONERIUM_API_URL",
      options.apiUrl ?? apiUrls[options.environment ?? "sandbox"]
    )
    const client = yield* HttpClient.HttpClient
    const tokens = yield* TokenProvider.make({
      acquire: () => Effect.provideService(options.accessToken, HttpClient.HttpClient, client)
    })
    const api = ApiClient.make(client, {
      provider,
      baseUrl: apiUrl,
      tokens,
      headers: { accept: acceptV2 },
      errorFields,
      isSuccess,
      transformClient: options.transformClient,
      limits: options.limits
    })
    return { apiUrl, ...makeOperations(api) }
  })

/** {@link make} as a layer of the {@link MoneriumBrowser} service (on `FetchHttpClient.layer` in a browser). */
export const layer = (
  options: Options<NordkitError.RequestError>
): Layer.Layer<MoneriumBrowser, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(MoneriumBrowser, make(options))
