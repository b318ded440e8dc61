/**
 * The Dintero Checkout client: a service with typed operations (sessions, transactions, capture, refund,
 * void) and an authenticated HttpClient for endpoints nordkit does not wrap. Tokens are fetched once, cached,
 * refreshed ahead of expiry and replaced after a 401 — all by `@nordkit/core`.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const dintero = yield* DinteroClient.DinteroClient
 *   const session = yield* dintero.createSession({ ... })
 * })
 * program.pipe(Effect.provide(DinteroClient.layerConfig()), Effect.provide(NodeHttpClient.layerUndici))
 * ```
 */
import {
  type AccessToken,
  ApiClient,
  BaseUrl,
  ClientConfig,
  NordkitError,
  type RetryPolicy,
  type TokenProvider
} from "@nordkit/core"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as DinteroAuth from "./DinteroAuth.ts"
import { errorFields } from "./DinteroError.ts"
import {
  AccountId,
  CaptureRequest,
  type Environment,
  environmentOf,
  type ListTransactionsParams,
  RefundRequest,
  Session,
  SessionCreated,
  SessionProfileRequest,
  Transaction,
  TransactionList
} from "./DinteroSchema.ts"

export const defaultApiUrl = "https://api.dintero.com"
export const defaultCheckoutUrl = "https://checkout.dintero.com"

export interface Options {
  /** `T` or `P` followed by digits; the prefix selects test or production. */
  readonly accountId: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /** Host of the token endpoint. Default `https://api.dintero.com`. */
  readonly apiUrl?: string | undefined
  /** Host of the Checkout API. Default `https://checkout.dintero.com`. */
  readonly checkoutUrl?: string | undefined
  /** Sent as `Dintero-System-Name` / `Dintero-System-Version`, identifying your integration to Dintero. */
  readonly systemName?: string | undefined
  readonly systemVersion?: string | undefined
  readonly retry?: RetryPolicy.Options | undefined
}

/** Result of a capture: done (200), or accepted and still processing (202). */
export type CaptureResult =
  | { readonly _tag: "Captured"; readonly transaction: Transaction }
  | { readonly _tag: "Processing"; readonly eventRequestId: string | undefined }

type E = NordkitError.RequestError

export interface Service {
  readonly accountId: AccountId
  readonly environment: Environment
  /** Authenticated, retried HttpClient on the Checkout API base URL, for endpoints not wrapped here. */
  readonly http: ApiClient.RawClient
  /** The current access token (from cache when fresh). */
  readonly accessToken: Effect.Effect<AccessToken.AccessToken, E>
  /** The token provider, e.g. to count token requests or invalidate. */
  readonly tokens: TokenProvider.TokenProvider<E>
  readonly createSession: (request: SessionProfileRequest) => Effect.Effect<SessionCreated, E>
  readonly getSession: (sessionId: string) => Effect.Effect<Session, E>
  readonly cancelSession: (sessionId: string) => Effect.Effect<Session, E>
  readonly getTransaction: (transactionId: string) => Effect.Effect<Transaction, E>
  readonly listTransactions: (params?: ListTransactionsParams) => Effect.Effect<ReadonlyArray<Transaction>, E>
  readonly captureTransaction: (transactionId: string, request: CaptureRequest) => Effect.Effect<CaptureResult, E>
  readonly refundTransaction: (transactionId: string, request: RefundRequest) => Effect.Effect<Transaction, E>
  readonly voidTransaction: (transactionId: string) => Effect.Effect<Transaction, E>
}

export class DinteroClient extends Context.Service<DinteroClient, Service>()("@nordkit/dintero/DinteroClient") {}

const decodeAccountId = Schema.decodeUnknownOption(AccountId)

const segment = (id: string) => encodeURIComponent(id)

/** Builds the client. Fails with `NordkitError.ConfigurationError` for a bad account id or an insecure URL. */
export const make = Effect.fnUntraced(function* (
  options: Options
): Effect.fn.Return<Service, NordkitError.ConfigurationError, HttpClient.HttpClient | Scope.Scope> {
  const accountId = decodeAccountId(options.accountId)
  if (Option.isNone(accountId)) {
    return yield* new NordkitError.ConfigurationError({
      provider: "dintero",
      detail: "DINTERO_ACCOUNT_ID must be T or P followed by 3 or 8 digits (e.g. T12345678)"
    })
  }
  if (options.clientId.length === 0) {
    return yield* new NordkitError.ConfigurationError({ provider: "dintero", detail: "DINTERO_CLIENT_ID is empty" })
  }
  const apiUrl = yield* BaseUrl.validate("dintero", "DINTERO_API_URL", options.apiUrl ?? defaultApiUrl)
  const checkoutUrl = yield* BaseUrl.validate(
    "dintero",
    "DINTERO_CHECKOUT_URL",
    options.checkoutUrl ?? defaultCheckoutUrl
  )
  const httpClient = yield* HttpClient.HttpClient
  const tokens = yield* DinteroAuth.makeTokenProvider({
    accountId: accountId.value,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    apiUrl
  })
  const headers: Record<string, string> = { accept: "application/json" }
  if (options.systemName !== undefined) headers["dintero-system-name"] = options.systemName
  if (options.systemVersion !== undefined) headers["dintero-system-version"] = options.systemVersion
  const api = ApiClient.make(httpClient, {
    provider: "dintero",
    baseUrl: checkoutUrl,
    tokens,
    headers,
    errorFields,
    retry: options.retry
  })

  const withBody = ApiClient.jsonBody("dintero")

  const createSession = Effect.fn("DinteroClient.createSession")(function* (request: SessionProfileRequest) {
    const http = yield* withBody(SessionProfileRequest, request)(HttpClientRequest.post("/v1/sessions-profile"))
    return yield* api.json(SessionCreated)(http)
  })

  const getSession = Effect.fn("DinteroClient.getSession")(function* (sessionId: string) {
    return yield* api.json(Session)(HttpClientRequest.get(`/v1/sessions/${segment(sessionId)}`))
  })

  const cancelSession = Effect.fn("DinteroClient.cancelSession")(function* (sessionId: string) {
    return yield* api.json(Session)(HttpClientRequest.post(`/v1/sessions/${segment(sessionId)}/cancel`))
  })

  const getTransaction = Effect.fn("DinteroClient.getTransaction")(function* (transactionId: string) {
    return yield* api.json(Transaction)(HttpClientRequest.get(`/v1/transactions/${segment(transactionId)}`))
  })

  const listTransactions = Effect.fn("DinteroClient.listTransactions")(function* (params?: ListTransactionsParams) {
    const urlParams: Record<string, string> = {}
    if (params?.limit !== undefined) urlParams.limit = String(params.limit)
    if (params?.startingAfter !== undefined) urlParams.starting_after = params.startingAfter
    if (params?.status !== undefined) urlParams.status = params.status
    if (params?.merchantReference !== undefined) urlParams.merchant_reference = params.merchantReference
    if (params?.sessionId !== undefined) urlParams.session_id = params.sessionId
    return yield* api.json(TransactionList)(HttpClientRequest.get("/v1/transactions", { urlParams }))
  })

  const captureTransaction = Effect.fn("DinteroClient.captureTransaction")(function* (
    transactionId: string,
    request: CaptureRequest
  ) {
    const http = yield* withBody(
      CaptureRequest,
      request
    )(HttpClientRequest.post(`/v1/transactions/${segment(transactionId)}/capture`))
    const response = yield* api.ok(http)
    if (response.status === 202) {
      return { _tag: "Processing", eventRequestId: response.headers["event-request-id"] } as const
    }
    return { _tag: "Captured", transaction: yield* api.decode(Transaction)(response) } as const
  })

  const refundTransaction = Effect.fn("DinteroClient.refundTransaction")(function* (
    transactionId: string,
    request: RefundRequest
  ) {
    const http = yield* withBody(
      RefundRequest,
      request
    )(HttpClientRequest.post(`/v1/transactions/${segment(transactionId)}/refund`))
    return yield* api.json(Transaction)(http)
  })

  const voidTransaction = Effect.fn("DinteroClient.voidTransaction")(function* (transactionId: string) {
    return yield* api.json(Transaction)(HttpClientRequest.post(`/v1/transactions/${segment(transactionId)}/void`))
  })

  return DinteroClient.of({
    accountId: accountId.value,
    environment: environmentOf(accountId.value),
    http: api.http,
    accessToken: tokens.get,
    tokens,
    createSession,
    getSession,
    cancelSession,
    getTransaction,
    listTransactions,
    captureTransaction,
    refundTransaction,
    voidTransaction
  })
})

/** The client as a layer, from explicit options. Needs an `HttpClient` (e.g. `NodeHttpClient.layerUndici`). */
export const layer = (
  options: Options
): Layer.Layer<DinteroClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(DinteroClient, make(options))

/** The configuration `layerConfig` reads: the fixed `DINTERO_*` variables of DESIGN.md. */
export const config: Config.Config<Options> = Config.all({
  accountId: Config.String("DINTERO_ACCOUNT_ID"),
  clientId: Config.String("DINTERO_CLIENT_ID"),
  clientSecret: Config.Redacted("DINTERO_CLIENT_SECRET"),
  apiUrl: Config.String("DINTERO_API_URL").pipe(Config.option, Config.map(Option.getOrUndefined)),
  checkoutUrl: Config.String("DINTERO_CHECKOUT_URL").pipe(Config.option, Config.map(Option.getOrUndefined))
})

/**
 * The client as a layer, configured from `DINTERO_ACCOUNT_ID`, `DINTERO_CLIENT_ID`, `DINTERO_CLIENT_SECRET`
 * and the optional `DINTERO_API_URL`, `DINTERO_CHECKOUT_URL`. `overrides` set what the environment does not.
 */
export const layerConfig = (
  overrides?: Partial<Omit<Options, "accountId" | "clientId" | "clientSecret">>
): Layer.Layer<DinteroClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(
    DinteroClient,
    Effect.flatMap(ClientConfig.load("dintero", config), (loaded) => make({ ...loaded, ...overrides }))
  )
