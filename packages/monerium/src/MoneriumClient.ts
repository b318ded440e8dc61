/**
 * The Monerium client (server side): every operation of `MoneriumApi` on API v2, built either for the
 * authorization-code flow (a user connects their Monerium account; tokens refresh with rotation through the
 * `TokenStore` the layer requires) or for client credentials (private and whitelabel apps). Caching, single-flight
 * refresh, 401 replay, retries and Retry-After come from `@nordkit/core`; this module only describes Monerium.
 *
 * ```ts
 * // a server-rendered web app (code flow): /connect, then /callback
 * const monerium = yield* MoneriumClient.MoneriumClient
 * const { url, pending } = yield* monerium.authorize()            // keep `pending` (session / sealed cookie), redirect
 * yield* monerium.handleCallback(callbackUrl, pending)            // checks state, exchanges the code, stores
 * // or the browser split: the page reads the callback (MoneriumBrowser), the server exchanges
 * yield* monerium.exchangeCode({ code, codeVerifier })            // see MoneriumServer.exchangeRoute
 * const context = yield* monerium.authContext
 *
 * // layers: MoneriumClient.layerConfig() + an HttpClient + a TokenStore (TokenStore.layerMemory, layerKeyValueStore())
 * ```
 *
 * Monerium's token endpoint refuses browsers (no CORS): in a page use `MoneriumBrowser`, not this client.
 */
import type * as AccessToken from "@nordkit/core/AccessToken"
import * as ApiClient from "@nordkit/core/ApiClient"
import * as BaseUrl from "@nordkit/core/BaseUrl"
import * as ClientConfig from "@nordkit/core/ClientConfig"
import * as NordkitError from "@nordkit/core/NordkitError"
import * as Pkce from "@nordkit/core/Pkce"
import type * as RequestLimits from "@nordkit/core/RequestLimits"
import type * as RetryPolicy from "@nordkit/core/RetryPolicy"
import type * as TokenProvider from "@nordkit/core/TokenProvider"
import * as TokenStore from "@nordkit/core/TokenStore"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { isSuccess, makeOperations, type Operations } from "./MoneriumApi.ts"
import * as MoneriumAuth from "./MoneriumAuth.ts"
import { type CallbackError, errorFields, type MoneriumError } from "./MoneriumError.ts"

export type Environment = "sandbox" | "production"

export const apiUrls: Record<Environment, string> = {
  sandbox: "https://api.monerium.dev",
  production: "https://api.monerium.app"
}

/** The authorization-code flow with PKCE (an app acting for a user); tokens live in the `TokenStore`. */
export interface AuthorizationCodeCredentials {
  readonly _tag: "AuthorizationCode"
  readonly clientId: string
  /** Exactly one of the redirect URIs registered for the app. */
  readonly redirectUri: string
  /** The session's key in the `TokenStore` (one per user; default "default"). */
  readonly sessionKey?: string | undefined
}

/** Client credentials (private and whitelabel apps): the secret goes in the form body. */
export interface ClientCredentials {
  readonly _tag: "ClientCredentials"
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
}

/** How the client obtains tokens. The two kinds of Monerium apps have different client ids. */
export type Credentials = AuthorizationCodeCredentials | ClientCredentials

/**
 * What a client needs besides an `HttpClient`: the code flow keeps its rotating refresh tokens in a `TokenStore`
 * you provide (`TokenStore.layerMemory`, `TokenStore.layerKeyValueStore()`, Redis, ...) — never a silent default.
 */
export type Requirements<C extends Credentials> = C extends AuthorizationCodeCredentials ? TokenStore.TokenStore : never

/** Credentials for the authorization-code flow with PKCE (an app acting for a user). */
export const authorizationCode = (options: {
  readonly clientId: string
  readonly redirectUri: string
  readonly sessionKey?: string | undefined
}): AuthorizationCodeCredentials => ({ _tag: "AuthorizationCode", ...options })

/** Credentials for a private or whitelabel app (client credentials, secret in the form body). */
export const clientCredentials = (options: {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
}): ClientCredentials => ({ _tag: "ClientCredentials", ...options })

export interface Options<C extends Credentials = Credentials> {
  readonly credentials: C
  /** `sandbox` (default) or `production`; selects the default API URL. */
  readonly environment?: Environment | undefined
  /** Replaces the environment's API URL (a test server, a proxy). */
  readonly apiUrl?: string | undefined
  readonly retry?: RetryPolicy.Options | undefined
  /** Your own HttpClient middleware, applied to each attempt (logging, a circuit breaker, ...). */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
  /**
   * Deadline and body caps for this client's API calls (see `RequestLimits`; a per-call `RequestLimits.provide`
   * wins). Default: 30 s per attempt, 8 MiB JSON and error bodies, 64 MiB downloads.
   */
  readonly limits?: RequestLimits.Limits | undefined
  /** How long a pending authorization stays valid. Default 10 minutes. */
  readonly pendingMaxAgeMillis?: number | undefined
  /**
   * Send the tracing headers `traceparent` / `b3` to Monerium. Default false: in a browser they turn every call
   * into a CORS preflight that Monerium's `Access-Control-Allow-Headers` does not allow. Spans are still created.
   */
  readonly propagateTraceHeaders?: boolean | undefined
}

type E = MoneriumError

export interface Service extends Operations<E> {
  readonly environment: Environment
  readonly apiUrl: string
  readonly flow: Credentials["_tag"]
  /** Step 1 of the code flow: the URL to send the user to and the pending record to keep. */
  readonly authorize: (
    params?: MoneriumAuth.AuthorizeParams
  ) => Effect.Effect<MoneriumAuth.AuthorizationRequest, NordkitError.ConfigurationError>
  /** Step 2 of the code flow: the URL the user came back to, with the pending record from step 1. */
  readonly handleCallback: (
    callbackUrl: string | URL,
    pending: MoneriumAuth.PendingAuthorization
  ) => Effect.Effect<AccessToken.AccessToken, CallbackError | NordkitError.ConfigurationError>
  /**
   * The code flow's server half: exchanges a code the browser read from its callback
   * (`MoneriumAuthorization.readCallback`) for tokens and stores them. Monerium's token endpoint does not answer
   * browsers (no CORS), so this runs on the app's server (see `MoneriumServer.exchangeRoute`).
   */
  readonly exchangeCode: (grant: {
    readonly code: Redacted.Redacted<string> | string
    readonly codeVerifier: Redacted.Redacted<string> | string
  }) => Effect.Effect<AccessToken.AccessToken, CallbackError | NordkitError.ConfigurationError>
  /**
   * Sign-In with Ethereum (server side): for a wallet already linked to a Monerium account, the signed EIP-4361
   * message (`MoneriumMessage.siweMessage`) replaces the consent page; the code is exchanged and stored.
   */
  readonly authorizeSiwe: (siwe: {
    readonly message: string
    readonly signature: string
  }) => Effect.Effect<AccessToken.AccessToken, CallbackError | NordkitError.ConfigurationError>
  /** Whether a grant is stored for this session (always true for client credentials). */
  readonly isConnected: Effect.Effect<boolean, TokenStore.TokenStoreError>
  /** Forgets this session's tokens. */
  readonly disconnect: Effect.Effect<void, TokenStore.TokenStoreError>
  /** The current access token (from memory when fresh). */
  readonly accessToken: Effect.Effect<AccessToken.AccessToken, E>
  readonly tokens: TokenProvider.TokenProvider<E>
  /** Authenticated, retried HttpClient on the API base URL (v2 `Accept` added), for endpoints not wrapped here. */
  readonly http: ApiClient.RawClient<E>
}

export class MoneriumClient extends Context.Service<MoneriumClient, Service>()("@nordkit/monerium/MoneriumClient") {}

const codeFlowOnly = new NordkitError.ConfigurationError({
  provider: MoneriumAuth.provider,
  detail: "authorize/handleCallback need authorization-code credentials (MONERIUM_REDIRECT_URI)"
})

/**
 * Builds the client. The code flow needs a `TokenStore` (its type says so); client credentials do not. Fails with
 * `ConfigurationError` for an insecure URL or empty credentials.
 */
export const make = <C extends Credentials>(
  options: Options<C>
): Effect.Effect<Service, NordkitError.ConfigurationError, HttpClient.HttpClient | Scope.Scope | Requirements<C>> =>
  makeAny(options) as Effect.Effect<
    Service,
    NordkitError.ConfigurationError,
    HttpClient.HttpClient | Scope.Scope | Requirements<C>
  >

const makeAny = Effect.fnUntraced(function* (
  options: Options
): Effect.fn.Return<
  Service,
  NordkitError.ConfigurationError,
  HttpClient.HttpClient | Scope.Scope | TokenStore.TokenStore
> {
  const environment = options.environment ?? "sandbox"
  const credentials = options.credentials
  if (credentials.clientId.length === 0) {
    return yield* new NordkitError.ConfigurationError({ provider: "monerium", detail: "MONERIUM_CLIENT_ID is empty" })
  }
  const apiUrl = yield* BaseUrl.validate("monerium", "MONERIUM_API_URL", options.apiUrl ?? apiUrls[environment])
  const httpClient = yield* HttpClient.HttpClient

  let tokens: TokenProvider.TokenProvider<E>
  let flow: MoneriumAuth.CodeFlow | undefined
  if (credentials._tag === "AuthorizationCode") {
    if (!Pkce.isHttpUrl(credentials.redirectUri)) {
      return yield* new NordkitError.ConfigurationError({
        provider: "monerium",
        detail: "MONERIUM_REDIRECT_URI is not an absolute http(s) URL"
      })
    }
    flow = yield* MoneriumAuth.makeCodeFlow({
      apiUrl,
      clientId: credentials.clientId,
      redirectUri: credentials.redirectUri,
      sessionKey: credentials.sessionKey ?? "default",
      store: yield* TokenStore.TokenStore,
      retry: options.retry,
      pendingMaxAgeMillis: options.pendingMaxAgeMillis
    }).pipe(Effect.provideService(HttpClient.HttpClient, httpClient))
    tokens = flow.tokens
  } else {
    if (Redacted.value(credentials.clientSecret).length === 0) {
      return yield* new NordkitError.ConfigurationError({
        provider: "monerium",
        detail: "MONERIUM_CLIENT_SECRET is empty"
      })
    }
    tokens = yield* MoneriumAuth.makeClientCredentials({
      apiUrl,
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      retry: options.retry
    }).pipe(Effect.provideService(HttpClient.HttpClient, httpClient))
  }

  const api = ApiClient.make(httpClient, {
    provider: "monerium",
    baseUrl: apiUrl,
    tokens,
    propagateTraceHeaders: options.propagateTraceHeaders,
    headers: { accept: MoneriumAuth.acceptV2 },
    errorFields,
    isSuccess,
    retry: options.retry,
    transformClient: options.transformClient,
    limits: options.limits
  })
  const operations = makeOperations(api)

  const codeFlow = flow
  return MoneriumClient.of({
    environment,
    apiUrl,
    flow: credentials._tag,
    authorize: (params) => (codeFlow === undefined ? Effect.fail(codeFlowOnly) : codeFlow.authorize(params)),
    handleCallback: (url, pending) =>
      codeFlow === undefined ? Effect.fail(codeFlowOnly) : codeFlow.handleCallback(url, pending),
    exchangeCode: (grant) => (codeFlow === undefined ? Effect.fail(codeFlowOnly) : codeFlow.exchangeCode(grant)),
    authorizeSiwe: (siwe) => (codeFlow === undefined ? Effect.fail(codeFlowOnly) : codeFlow.authorizeSiwe(siwe)),
    isConnected: codeFlow === undefined ? Effect.succeed(true) : codeFlow.isConnected,
    disconnect: codeFlow === undefined ? Effect.void : codeFlow.disconnect,
    accessToken: tokens.get,
    tokens,
    http: api.http,
    ...operations
  })
})

/**
 * The client as a layer. Needs an `HttpClient` (`FetchHttpClient.layer`, `NodeHttpClient.layerUndici`), and for
 * the code flow a `TokenStore` (`TokenStore.layerMemory`, or `TokenStore.layerKeyValueStore()` for sessions that
 * survive restarts).
 */
export const layer = <C extends Credentials>(
  options: Options<C>
): Layer.Layer<MoneriumClient, NordkitError.ConfigurationError, HttpClient.HttpClient | Requirements<C>> =>
  Layer.effect(MoneriumClient, make(options))

/** The options `layerConfig` reads from configuration. */
export interface ConfigOptions {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string> | undefined
  readonly redirectUri: string | undefined
  readonly environment: Environment
  readonly apiUrl: string | undefined
}

/**
 * One `Config` per option, reading the `MONERIUM_*` variables: `MONERIUM_CLIENT_ID`; `MONERIUM_CLIENT_SECRET`
 * selects client credentials, else `MONERIUM_REDIRECT_URI` selects the code flow; `MONERIUM_ENVIRONMENT`
 * (`sandbox` default or `production`); optional `MONERIUM_API_URL`. `layerConfig` lets an app replace any of them.
 */
export const configs: ClientConfig.Configs<ConfigOptions> = /* @__PURE__ */ (() => ({
  // A pure thunk (and `config` below a pure call): a bundle that never reads the environment drops `Config`.
  clientId: Config.String("MONERIUM_CLIENT_ID"),
  clientSecret: ClientConfig.optionalRedacted("MONERIUM_CLIENT_SECRET"),
  redirectUri: ClientConfig.optionalString("MONERIUM_REDIRECT_URI"),
  environment: Config.Literals(["sandbox", "production"] as const, "MONERIUM_ENVIRONMENT").pipe(
    Config.withDefault("sandbox" as const)
  ),
  apiUrl: ClientConfig.optionalString("MONERIUM_API_URL")
}))()

/** The configuration `layerConfig` reads, as one `Config`. */
export const config: Config.Config<ConfigOptions> = /* @__PURE__ */ Config.all(configs)

/** Options from the values read by {@link config}. */
export const optionsFromConfig = (env: ConfigOptions): Effect.Effect<Options, NordkitError.ConfigurationError> => {
  const base = { environment: env.environment, apiUrl: env.apiUrl }
  if (env.clientSecret !== undefined) {
    return Effect.succeed({
      ...base,
      credentials: clientCredentials({ clientId: env.clientId, clientSecret: env.clientSecret })
    })
  }
  if (env.redirectUri !== undefined) {
    return Effect.succeed({
      ...base,
      credentials: authorizationCode({ clientId: env.clientId, redirectUri: env.redirectUri })
    })
  }
  return Effect.fail(
    new NordkitError.ConfigurationError({
      provider: "monerium",
      detail: "set MONERIUM_CLIENT_SECRET (client credentials) or MONERIUM_REDIRECT_URI (authorization code)"
    })
  )
}

/**
 * The client as a layer configured from the `MONERIUM_*` variables (see {@link configs}); pass your own `Config`
 * for any option (`layerConfig({ clientId: Config.String("PAY_MONERIUM_ID") })`), and `overrides` for what
 * configuration does not set (retry, transformClient, ...). The environment may select the code flow, so a
 * `TokenStore` is required (`TokenStore.layerMemory` when you use client credentials).
 */
export const layerConfig = (
  configOverrides?: { readonly [K in keyof ConfigOptions]?: Config.Config<ConfigOptions[K]> },
  overrides?: Partial<Omit<Options, "credentials">>
): Layer.Layer<MoneriumClient, NordkitError.ConfigurationError, HttpClient.HttpClient | TokenStore.TokenStore> =>
  ClientConfig.layerConfig({
    service: MoneriumClient,
    provider: "monerium",
    config: configs,
    make: (loaded: ConfigOptions) =>
      Effect.flatMap(optionsFromConfig(loaded), (options) => make({ ...options, ...overrides }))
  })(configOverrides)
