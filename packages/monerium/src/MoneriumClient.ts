/**
 * The Monerium client: a service with typed operations on API v2 (auth context, profiles, addresses, balances,
 * IBANs, orders), built either for the authorization-code flow (a user connects their Monerium account; tokens
 * refresh with rotation through a `TokenStore`) or for client credentials (partner apps). Caching, single-flight
 * refresh, 401 replay, retries and Retry-After come from `@nordkit/core`; this module only describes Monerium.
 *
 * ```ts
 * // a web app (code flow): /connect, then /callback
 * const monerium = yield* MoneriumClient.MoneriumClient
 * const { url, pending } = yield* monerium.authorize()            // keep `pending` (session / cookie), redirect
 * yield* monerium.handleCallback(callbackUrl, pending)            // checks state, exchanges the code, stores
 * const context = yield* monerium.authContext
 *
 * // layers: MoneriumClient.layerConfig() + an HttpClient (FetchHttpClient.layer in a browser)
 * //         + optionally TokenStore.layerKeyValueStore() for a session that survives restarts
 * ```
 *
 * Runs in browsers: no `node:` imports, WebCrypto through `effect/crypto`, any `HttpClient`.
 */
import {
  type AccessToken,
  ApiClient,
  BaseUrl,
  ClientConfig,
  NordkitError,
  Pkce,
  type RetryPolicy,
  type TokenProvider,
  TokenStore
} from "@nordkit/core"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as MoneriumAuth from "./MoneriumAuth.ts"
import { type CallbackError, errorFields, type MoneriumError } from "./MoneriumError.ts"
import {
  type Address,
  AddressList,
  AuthContext,
  Balances,
  type Iban,
  IbanList,
  type ListOrdersParams,
  NewOrder,
  Order,
  OrderList,
  Profile,
  ProfileList,
  RequestIban
} from "./MoneriumSchema.ts"

export type Environment = "sandbox" | "production"

export const apiUrls: Record<Environment, string> = {
  sandbox: "https://api.monerium.dev",
  production: "https://api.monerium.app"
}

/** How the client obtains tokens. The two kinds of Monerium apps have different client ids. */
export type Credentials =
  | {
      readonly _tag: "AuthorizationCode"
      readonly clientId: string
      /** Exactly one of the redirect URIs registered for the app. */
      readonly redirectUri: string
      /** The session's key in the `TokenStore` (one per user; default "default"). */
      readonly sessionKey?: string | undefined
    }
  | {
      readonly _tag: "ClientCredentials"
      readonly clientId: string
      readonly clientSecret: Redacted.Redacted<string>
    }

/** Credentials for the authorization-code flow with PKCE (an app acting for a user). */
export const authorizationCode = (options: {
  readonly clientId: string
  readonly redirectUri: string
  readonly sessionKey?: string | undefined
}): Credentials => ({ _tag: "AuthorizationCode", ...options })

/** Credentials for a partner app (client credentials, secret in the form body). */
export const clientCredentials = (options: {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
}): Credentials => ({ _tag: "ClientCredentials", ...options })

export interface Options {
  readonly credentials: Credentials
  /** `sandbox` (default) or `production`; selects the default API URL. */
  readonly environment?: Environment | undefined
  /** Replaces the environment's API URL (a test server, a proxy). */
  readonly apiUrl?: string | undefined
  readonly retry?: RetryPolicy.Options | undefined
  /** How long a pending authorization stays valid. Default 10 minutes. */
  readonly pendingMaxAgeMillis?: number | undefined
  /**
   * Send the tracing headers `traceparent` / `b3` to Monerium. Default false: in a browser they turn every call
   * into a CORS preflight that Monerium's `Access-Control-Allow-Headers` does not allow. Spans are still created.
   */
  readonly propagateTraceHeaders?: boolean | undefined
}

type E = MoneriumError

export interface Service {
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
  /** Whether a grant is stored for this session (always true for client credentials). */
  readonly isConnected: Effect.Effect<boolean, TokenStore.TokenStoreError>
  /** Forgets this session's tokens. */
  readonly disconnect: Effect.Effect<void, TokenStore.TokenStoreError>
  /** The current access token (from memory when fresh). */
  readonly accessToken: Effect.Effect<AccessToken.AccessToken, E>
  readonly tokens: TokenProvider.TokenProvider<E>
  /** Authenticated, retried HttpClient on the API base URL (v2 `Accept` added), for endpoints not wrapped here. */
  readonly http: ApiClient.RawClient<E>
  readonly authContext: Effect.Effect<AuthContext, E>
  readonly listProfiles: Effect.Effect<ReadonlyArray<Profile>, E>
  readonly getProfile: (profileId: string) => Effect.Effect<Profile, E>
  readonly listAddresses: (params?: {
    readonly profile?: string | undefined
  }) => Effect.Effect<ReadonlyArray<Address>, E>
  readonly getBalances: (options: {
    readonly chain: string
    readonly address: string
    readonly currency?: string | ReadonlyArray<string> | undefined
  }) => Effect.Effect<Balances, E>
  readonly listIbans: (params?: { readonly profile?: string | undefined }) => Effect.Effect<ReadonlyArray<Iban>, E>
  /** Requests an IBAN for an address (Monerium answers 202: poll `listIbans`). */
  readonly requestIban: (request: RequestIban) => Effect.Effect<void, E>
  readonly listOrders: (params?: ListOrdersParams) => Effect.Effect<ReadonlyArray<Order>, E>
  readonly getOrder: (orderId: string) => Effect.Effect<Order, E>
  readonly placeOrder: (order: NewOrder) => Effect.Effect<Order, E>
}

export class MoneriumClient extends Context.Service<MoneriumClient, Service>()("@nordkit/monerium/MoneriumClient") {}

const segment = (id: string) => encodeURIComponent(id)

const codeFlowOnly = new NordkitError.ConfigurationError({
  provider: MoneriumAuth.provider,
  detail: "authorize/handleCallback need authorization-code credentials (MONERIUM_REDIRECT_URI)"
})

/**
 * Builds the client. Uses the `TokenStore` in context for the code flow, or an in-memory one. Fails with
 * `ConfigurationError` for an insecure URL or empty credentials.
 */
export const make = Effect.fnUntraced(function* (
  options: Options
): Effect.fn.Return<Service, NordkitError.ConfigurationError, HttpClient.HttpClient | Scope.Scope> {
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
      store: yield* TokenStore.serviceOrMemory,
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
    retry: options.retry
  })
  const json =
    <S extends Schema.Constraint & { readonly DecodingServices: never }>(schema: S) =>
    (request: HttpClientRequest.HttpClientRequest): Effect.Effect<S["Type"], E> =>
      api.json(schema)(request)

  /** Encodes a body with its schema; refused input (e.g. a float amount) is an InvalidRequestError, nothing sent. */
  const withBody = ApiClient.jsonBody("monerium")

  const authContext = Effect.fn("MoneriumClient.authContext")(function* () {
    return yield* json(AuthContext)(HttpClientRequest.get("/auth/context"))
  })()

  const listProfiles = Effect.fn("MoneriumClient.listProfiles")(function* () {
    return (yield* json(ProfileList)(HttpClientRequest.get("/profiles"))).profiles
  })()

  const getProfile = Effect.fn("MoneriumClient.getProfile")(function* (profileId: string) {
    return yield* json(Profile)(HttpClientRequest.get(`/profiles/${segment(profileId)}`))
  })

  const listAddresses = Effect.fn("MoneriumClient.listAddresses")(function* (params?: {
    readonly profile?: string | undefined
  }) {
    const urlParams = params?.profile === undefined ? {} : { profile: params.profile }
    return (yield* json(AddressList)(HttpClientRequest.get("/addresses", { urlParams }))).addresses
  })

  const getBalances = Effect.fn("MoneriumClient.getBalances")(function* (options: {
    readonly chain: string
    readonly address: string
    readonly currency?: string | ReadonlyArray<string> | undefined
  }) {
    const currencies = options.currency === undefined ? [] : [options.currency].flat()
    const urlParams = currencies.map((currency) => ["currency", currency] as const)
    return yield* json(Balances)(
      HttpClientRequest.get(`/balances/${segment(options.chain)}/${segment(options.address)}`, { urlParams })
    )
  })

  const listIbans = Effect.fn("MoneriumClient.listIbans")(function* (params?: {
    readonly profile?: string | undefined
  }) {
    const urlParams = params?.profile === undefined ? {} : { profile: params.profile }
    return (yield* json(IbanList)(HttpClientRequest.get("/ibans", { urlParams }))).ibans
  })

  const requestIban = Effect.fn("MoneriumClient.requestIban")(function* (request: RequestIban) {
    const http = yield* withBody(RequestIban, request)(HttpClientRequest.post("/ibans"))
    yield* api.ok(http) as Effect.Effect<unknown, E>
  })

  const listOrders = Effect.fn("MoneriumClient.listOrders")(function* (params?: ListOrdersParams) {
    const urlParams: Record<string, string> = {}
    for (const key of ["address", "txHash", "profile", "memo", "state"] as const) {
      const value = params?.[key]
      if (value !== undefined) urlParams[key] = value
    }
    return (yield* json(OrderList)(HttpClientRequest.get("/orders", { urlParams }))).orders
  })

  const getOrder = Effect.fn("MoneriumClient.getOrder")(function* (orderId: string) {
    return yield* json(Order)(HttpClientRequest.get(`/orders/${segment(orderId)}`))
  })

  const placeOrder = Effect.fn("MoneriumClient.placeOrder")(function* (order: NewOrder) {
    const http = yield* withBody(NewOrder, order)(HttpClientRequest.post("/orders"))
    return yield* json(Order)(http)
  })

  const codeFlow = flow
  return MoneriumClient.of({
    environment,
    apiUrl,
    flow: credentials._tag,
    authorize: (params) => (codeFlow === undefined ? Effect.fail(codeFlowOnly) : codeFlow.authorize(params)),
    handleCallback: (url, pending) =>
      codeFlow === undefined ? Effect.fail(codeFlowOnly) : codeFlow.handleCallback(url, pending),
    isConnected: codeFlow === undefined ? Effect.succeed(true) : codeFlow.isConnected,
    disconnect: codeFlow === undefined ? Effect.void : codeFlow.disconnect,
    accessToken: tokens.get,
    tokens,
    http: api.http,
    authContext,
    listProfiles,
    getProfile,
    listAddresses,
    getBalances,
    listIbans,
    requestIban,
    listOrders,
    getOrder,
    placeOrder
  })
})

/**
 * The client as a layer. Needs an `HttpClient` (`FetchHttpClient.layer`, `NodeHttpClient.layerUndici`); uses the
 * `TokenStore` in context when there is one (e.g. `TokenStore.layerKeyValueStore()` for sessions that survive
 * restarts), else keeps tokens in memory.
 */
export const layer = (
  options: Options
): Layer.Layer<MoneriumClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(MoneriumClient, make(options))

const optionalString = (name: string) => Config.String(name).pipe(Config.option, Config.map(Option.getOrUndefined))

/**
 * The variables `layerConfig` reads (DESIGN.md): `MONERIUM_CLIENT_ID`; `MONERIUM_CLIENT_SECRET` selects client
 * credentials, else `MONERIUM_REDIRECT_URI` selects the code flow; `MONERIUM_ENVIRONMENT` (`sandbox` default or
 * `production`); optional `MONERIUM_API_URL`.
 */
export const config = Config.all({
  clientId: Config.String("MONERIUM_CLIENT_ID"),
  clientSecret: Config.Redacted("MONERIUM_CLIENT_SECRET").pipe(Config.option),
  redirectUri: optionalString("MONERIUM_REDIRECT_URI"),
  environment: Config.Literals(["sandbox", "production"], "MONERIUM_ENVIRONMENT").pipe(Config.withDefault("sandbox")),
  apiUrl: optionalString("MONERIUM_API_URL")
})

/** Options from the variables read by {@link config}. */
export const optionsFromConfig = (
  env: Config.Success<typeof config>
): Effect.Effect<Options, NordkitError.ConfigurationError> => {
  const base = { environment: env.environment, apiUrl: env.apiUrl }
  if (Option.isSome(env.clientSecret)) {
    return Effect.succeed({
      ...base,
      credentials: clientCredentials({ clientId: env.clientId, clientSecret: env.clientSecret.value })
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
 * The client as a layer configured from the `MONERIUM_*` variables (see {@link config}). `overrides` set what the
 * environment does not (retry, pending max age, ...).
 */
export const layerConfig = (
  overrides?: Partial<Omit<Options, "credentials">>
): Layer.Layer<MoneriumClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(
    MoneriumClient,
    ClientConfig.load("monerium", config).pipe(
      Effect.flatMap(optionsFromConfig),
      Effect.flatMap((loaded) => make({ ...loaded, ...overrides }))
    )
  )
