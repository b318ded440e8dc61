/**
 * The Dintero Checkout client: a service with typed operations for a shop's whole lifecycle — sessions (create,
 * read, update, cancel; payment-token sessions; pay with a stored token), transactions (read with `includes`, list
 * with every filter or as a `Stream` over the cursor, update, capture, refund, void, extend the authorization),
 * callbacks (verify, then re-fetch the transaction), settlements and reports on the API host — plus authenticated
 * HttpClients on both hosts for endpoints nordkit does not wrap. Tokens are fetched once, cached, refreshed ahead of
 * expiry and replaced after a 401 — all by `@nordkit/core`.
 *
 * Capture, refund and void may answer `202 Accepted` with an `event-request-id` header: the operation is still
 * processing at the payment provider. Those answers are `{ _tag: "Processing" }`, never reported as done.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const dintero = yield* DinteroClient.DinteroClient
 *   const session = yield* dintero.createSession({ ... })
 * })
 * program.pipe(Effect.provide(DinteroClient.layerConfig()), Effect.provide(NodeHttpClient.layerUndici))
 * ```
 */
import type * as AccessToken from "@nordkit/core/AccessToken"
import * as ApiClient from "@nordkit/core/ApiClient"
import * as BaseUrl from "@nordkit/core/BaseUrl"
import * as ClientConfig from "@nordkit/core/ClientConfig"
import * as NordkitError from "@nordkit/core/NordkitError"
import * as PathSegment from "@nordkit/core/PathSegment"
import type * as RequestLimits from "@nordkit/core/RequestLimits"
import type * as RetryPolicy from "@nordkit/core/RetryPolicy"
import type * as TokenProvider from "@nordkit/core/TokenProvider"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as DinteroAuth from "./DinteroAuth.ts"
import * as DinteroCallback from "./DinteroCallback.ts"
import { errorFields } from "./DinteroError.ts"
import {
  AccountId,
  CaptureRequest,
  type Environment,
  ExtendAuthorizationRequest,
  environmentOf,
  type ListReportsParams,
  ListReportsQuery,
  type ListSettlementsParams,
  ListSettlementsQuery,
  type ListTransactionsParams,
  ListTransactionsQuery,
  PaymentTokenSessionRequest,
  PayRequest,
  PayResult,
  RefundRequest,
  ReportList,
  Session,
  SessionCreated,
  SessionProfileRequest,
  SettlementList,
  type SignatureSecret,
  SignatureSecretResponse,
  Transaction,
  type TransactionInclude,
  TransactionList,
  UpdateSessionRequest,
  UpdateTransactionRequest
} from "./DinteroSchema.ts"

export const defaultApiUrl = "https://api.dintero.com"
export const defaultCheckoutUrl = "https://checkout.dintero.com"

export interface Options {
  /** `T` or `P` followed by digits; the prefix selects test or production. */
  readonly accountId: string
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /** Host of the token endpoint, settlements and reports. Default `https://api.dintero.com`. */
  readonly apiUrl?: string | undefined
  /** Host of the Checkout API. Default `https://checkout.dintero.com`. */
  readonly checkoutUrl?: string | undefined
  /** Sent as `Dintero-System-Name` / `Dintero-System-Version`, identifying your integration to Dintero. */
  readonly systemName?: string | undefined
  readonly systemVersion?: string | undefined
  readonly retry?: RetryPolicy.Options | undefined
  /** Your HttpClient middleware, applied to each attempt (see `ApiClient.Options.transformClient`). */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
  /**
   * Deadline and body caps for this client's API calls (see `RequestLimits`; a per-call `RequestLimits.provide`
   * wins). Default: 30 s per attempt, 8 MiB JSON and error bodies, 64 MiB downloads.
   */
  readonly limits?: RequestLimits.Limits | undefined
}

/**
 * Result of capture, refund and void: done (200, with the transaction), or accepted and still processing (202,
 * with the `event-request-id` that the completing event will carry as `correlation_request_id`).
 */
export type OperationResult =
  | { readonly _tag: "Done"; readonly transaction: Transaction }
  | {
      readonly _tag: "Processing"
      readonly eventRequestId: string | undefined
      /** The transaction as Dintero returned it with the 202 (the operation not yet applied), when it sent one. */
      readonly transaction: Transaction | undefined
    }

/** Result of a capture; `Captured` is the `Done` of earlier versions. */
export type CaptureResult =
  | { readonly _tag: "Captured"; readonly transaction: Transaction }
  | Extract<OperationResult, { _tag: "Processing" }>

export interface GetTransactionOptions {
  /** `card.payment_token`, `card.recurrence_token`, `session`, `events.request_headers`, ... */
  readonly includes?: ReadonlyArray<TransactionInclude> | undefined
}

export interface CreateSessionOptions {
  /** Answer with the whole created session too (`include_session=true`): `SessionCreated.session`. */
  readonly includeSession?: boolean | undefined
}

export interface UpdateSessionOptions {
  /** Update a session that is not locked for paying (`update_without_lock=true`). */
  readonly updateWithoutLock?: boolean | undefined
  readonly forceShippingAddressCallback?: boolean | undefined
}

type E = NordkitError.RequestError

export interface Service {
  readonly accountId: AccountId
  readonly environment: Environment
  /** Authenticated, retried HttpClient on the Checkout API base URL, for endpoints not wrapped here. */
  readonly http: ApiClient.RawClient
  /** The same on the API host (`https://api.dintero.com`): settlements, reports, accounts. */
  readonly apiHttp: ApiClient.RawClient
  /** The current access token (from cache when fresh). */
  readonly accessToken: Effect.Effect<AccessToken.AccessToken, E>
  /** The token provider, e.g. to count token requests or invalidate. */
  readonly tokens: TokenProvider.TokenProvider<E>
  readonly createSession: (
    request: SessionProfileRequest,
    options?: CreateSessionOptions
  ) => Effect.Effect<SessionCreated, E>
  readonly getSession: (sessionId: string) => Effect.Effect<Session, E>
  readonly updateSession: (
    sessionId: string,
    request: UpdateSessionRequest,
    options?: UpdateSessionOptions
  ) => Effect.Effect<Session, E>
  readonly cancelSession: (sessionId: string) => Effect.Effect<Session, E>
  /** A session that only stores the customer's card as a payment / recurrence token (no amount reserved). */
  readonly createPaymentTokenSession: (
    request: PaymentTokenSessionRequest,
    options?: CreateSessionOptions
  ) => Effect.Effect<SessionCreated, E>
  /** Pays a new session at once with a stored token (merchant-initiated). */
  readonly payWithToken: (request: PayRequest) => Effect.Effect<PayResult, E>
  readonly getTransaction: (transactionId: string, options?: GetTransactionOptions) => Effect.Effect<Transaction, E>
  /** One page of `GET /v1/transactions` (every published filter; `limit` up to 100). */
  readonly listTransactions: (params?: ListTransactionsParams) => Effect.Effect<ReadonlyArray<Transaction>, E>
  /** Every matching transaction, page after page (`starting_after` the last id of the previous page). */
  readonly streamTransactions: (params?: ListTransactionsParams) => Stream.Stream<Transaction, E>
  readonly updateTransaction: (
    transactionId: string,
    request: UpdateTransactionRequest
  ) => Effect.Effect<Transaction, E>
  readonly captureTransaction: (transactionId: string, request: CaptureRequest) => Effect.Effect<CaptureResult, E>
  readonly refundTransaction: (transactionId: string, request: RefundRequest) => Effect.Effect<OperationResult, E>
  readonly voidTransaction: (transactionId: string) => Effect.Effect<OperationResult, E>
  readonly extendAuthorization: (
    transactionId: string,
    request?: ExtendAuthorizationRequest
  ) => Effect.Effect<Transaction, E>
  /**
   * Creates (or rotates: callbacks signed with the previous secret stop verifying) the secret Dintero signs
   * callbacks with (`POST /v1/admin/signature`). Needs the `admin:checkout` scope.
   */
  readonly createSignatureSecret: Effect.Effect<SignatureSecret, E>
  /** The current signature secret (`GET /v1/admin/signature`), e.g. at start-up instead of rotating it. */
  readonly getSignatureSecret: Effect.Effect<SignatureSecret, E>
  /**
   * The transaction a verified callback points at, read back from Dintero (callbacks are never trusted on their
   * own). Fails with `CallbackVerificationError` (`transaction_mismatch`) when the transaction does not belong to
   * the callback's session or merchant reference, or (`invalid_callback`) when the callback names no transaction.
   */
  readonly fetchCallbackTransaction: (
    callback: DinteroCallback.Callback,
    options?: GetTransactionOptions
  ) => Effect.Effect<Transaction, E | DinteroCallback.CallbackVerificationError>
  /** Settlements of the account (API host). */
  readonly listSettlements: (params?: ListSettlementsParams) => Effect.Effect<SettlementList, E>
  /** Report metadata of the account (API host). */
  readonly listReports: (params?: ListReportsParams) => Effect.Effect<ReportList, E>
}

export class DinteroClient extends Context.Service<DinteroClient, Service>()("@nordkit/dintero/DinteroClient") {}

const decodeAccountId = Schema.decodeUnknownOption(AccountId)

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * `decoded` with every field of `raw` that its schema did not know put back, at every depth: a field Dintero adds
 * tomorrow is still on the object your code reads.
 */
export const keepUnknownFields = <A>(raw: unknown, decoded: A): A => {
  if (Array.isArray(raw) && Array.isArray(decoded)) {
    return decoded.map((d, i) => keepUnknownFields(raw[i], d)) as A
  }
  if (isRecord(raw) && isRecord(decoded)) {
    const out: Record<string, unknown> = { ...raw }
    for (const [k, v] of Object.entries(decoded)) out[k] = keepUnknownFields(raw[k], v)
    return out as A
  }
  return decoded
}

/** A request refused before sending: `InvalidRequestError` with the schema's complaint, nothing sent. */
const invalid = (method: string, path: string) => (error: Schema.SchemaError) =>
  new NordkitError.InvalidRequestError({ provider: "dintero", method, path, detail: error.message.slice(0, 500) })

/**
 * Query parameters checked against an operation's published parameters (an unknown name, a `limit` over 100, a
 * wrong type is an `InvalidRequestError`, nothing sent): arrays repeated (`multi`), those named in `csv`
 * comma-separated.
 */
const checkedQuery = (
  schema: Schema.Top & { readonly EncodingServices: never },
  path: string,
  params: Record<string, unknown> = {},
  csv: ReadonlyArray<string> = []
): Effect.Effect<Array<[string, string]>, NordkitError.InvalidRequestError> => {
  const defined = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined))
  return Effect.mapBoth(
    Schema.encodeUnknownEffect(Schema.toCodecJson(schema))(defined, { onExcessProperty: "error" }) as Effect.Effect<
      unknown,
      Schema.SchemaError
    >,
    {
      onFailure: invalid("GET", path),
      onSuccess: () =>
        Object.entries(defined).flatMap(
          ([k, v]): Array<[string, string]> =>
            !Array.isArray(v) ? [[k, String(v)]] : csv.includes(k) ? [[k, v.join(",")]] : v.map((x) => [k, String(x)])
        )
    }
  )
}

/** `GET /v1/transactions` query: the camelCase names of earlier versions and single values accepted too. */
const transactionQuery = (params: ListTransactionsParams = {}) => {
  const { startingAfter, merchantReference, sessionId, status, ...rest } = params
  const sessionIds = sessionId ?? rest.session_id
  return checkedQuery(
    ListTransactionsQuery,
    "/v1/transactions",
    {
      ...rest,
      status: typeof status === "string" ? [status] : status,
      starting_after: startingAfter ?? rest.starting_after,
      merchant_reference: merchantReference ?? rest.merchant_reference,
      session_id: typeof sessionIds === "string" ? [sessionIds] : sessionIds
    },
    ["payout_correlation_id"]
  )
}

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
  const aid = accountId.value
  const apiUrl = yield* BaseUrl.validate("dintero", "DINTERO_API_URL", options.apiUrl ?? defaultApiUrl)
  const checkoutUrl = yield* BaseUrl.validate(
    "dintero",
    "DINTERO_CHECKOUT_URL",
    options.checkoutUrl ?? defaultCheckoutUrl
  )
  const httpClient = yield* HttpClient.HttpClient
  const tokens = yield* DinteroAuth.makeTokenProvider({
    accountId: aid,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    apiUrl
  })
  const headers: Record<string, string> = { accept: "application/json" }
  if (options.systemName !== undefined) headers["dintero-system-name"] = options.systemName
  if (options.systemVersion !== undefined) headers["dintero-system-version"] = options.systemVersion
  yield* ApiClient.validateHeaders("dintero", headers)
  const common = {
    provider: "dintero",
    tokens,
    headers,
    errorFields,
    retry: options.retry,
    transformClient: options.transformClient,
    limits: options.limits
  }
  const api = ApiClient.make(httpClient, { ...common, baseUrl: checkoutUrl })
  const apiHost = ApiClient.make(httpClient, { ...common, baseUrl: apiUrl })

  const jsonBody = ApiClient.jsonBody("dintero")
  /**
   * `ApiClient.jsonBody`, after checking the body names no field its schema lacks (at any depth): an encode would
   * drop such a field without a word, so it is an `InvalidRequestError` instead, nothing sent.
   */
  const withBody =
    <S extends Schema.Constraint & { readonly EncodingServices: never }>(schema: S, body: S["Type"]) =>
    (request: HttpClientRequest.HttpClientRequest) =>
      Effect.andThen(
        Effect.mapError(
          Schema.encodeUnknownEffect(schema)(body, { onExcessProperty: "error" }) as Effect.Effect<
            unknown,
            Schema.SchemaError
          >,
          invalid(request.method, new URL(request.url, "http://path.invalid").pathname)
        ),
        jsonBody(schema, body)(request)
      )
  const path = (method: string) => PathSegment.path("dintero", method)

  /** Decodes with `schema` and keeps the fields the schema does not know. */
  const decodeOpen =
    <S extends Schema.Constraint & { readonly DecodingServices: never }>(schema: S, client = api) =>
    (response: HttpClientResponse.HttpClientResponse) =>
      Effect.zipWith(client.decode(schema)(response), client.decode(Schema.Unknown)(response), (decoded, raw) =>
        keepUnknownFields(raw, decoded as S["Type"])
      )
  const json =
    <S extends Schema.Constraint & { readonly DecodingServices: never }>(schema: S, client = api) =>
    (request: HttpClientRequest.HttpClientRequest) =>
      Effect.flatMap(client.ok(request), decodeOpen(schema, client))

  /** 200 with the transaction, or 202 still processing (with `event-request-id`). */
  const operation = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.gen(function* () {
      const response = yield* api.ok(request)
      if (response.status === 202) {
        const transaction = yield* decodeOpen(Transaction)(response).pipe(
          Effect.map((t): Transaction | undefined => t),
          Effect.orElseSucceed(() => undefined)
        )
        return { _tag: "Processing", eventRequestId: response.headers["event-request-id"], transaction } as const
      }
      return { _tag: "Done", transaction: yield* decodeOpen(Transaction)(response) } as const
    })

  const includeSession = (options?: CreateSessionOptions) =>
    options?.includeSession === true ? { include_session: "true" } : {}

  const createSession = Effect.fn("DinteroClient.createSession")(function* (
    request: SessionProfileRequest,
    createOptions?: CreateSessionOptions
  ) {
    const http = yield* withBody(
      SessionProfileRequest,
      request
    )(HttpClientRequest.post("/v1/sessions-profile", { urlParams: includeSession(createOptions) }))
    return yield* json(SessionCreated)(http)
  })

  const getSession = Effect.fn("DinteroClient.getSession")(function* (sessionId: string) {
    return yield* json(Session)(HttpClientRequest.get(yield* path("GET")`/v1/sessions/${sessionId}`))
  })

  const updateSession = Effect.fn("DinteroClient.updateSession")(function* (
    sessionId: string,
    request: UpdateSessionRequest,
    updateOptions?: UpdateSessionOptions
  ) {
    const urlParams: Record<string, string> = {}
    if (updateOptions?.updateWithoutLock === true) urlParams.update_without_lock = "true"
    if (updateOptions?.forceShippingAddressCallback === true) urlParams.force_shipping_address_callback = "true"
    const http = yield* withBody(
      UpdateSessionRequest,
      request
    )(HttpClientRequest.put(yield* path("PUT")`/v1/sessions/${sessionId}`, { urlParams }))
    return yield* json(Session)(http)
  })

  const cancelSession = Effect.fn("DinteroClient.cancelSession")(function* (sessionId: string) {
    return yield* json(Session)(HttpClientRequest.post(yield* path("POST")`/v1/sessions/${sessionId}/cancel`))
  })

  const createPaymentTokenSession = Effect.fn("DinteroClient.createPaymentTokenSession")(function* (
    request: PaymentTokenSessionRequest,
    createOptions?: CreateSessionOptions
  ) {
    const http = yield* withBody(
      PaymentTokenSessionRequest,
      request
    )(HttpClientRequest.post("/v1/sessions/payment-token", { urlParams: includeSession(createOptions) }))
    return yield* json(SessionCreated)(http)
  })

  const payWithToken = Effect.fn("DinteroClient.payWithToken")(function* (request: PayRequest) {
    const http = yield* withBody(PayRequest, request)(HttpClientRequest.post("/v1/sessions/pay"))
    return yield* json(PayResult)(http)
  })

  const getTransaction = Effect.fn("DinteroClient.getTransaction")(function* (
    transactionId: string,
    getOptions?: GetTransactionOptions
  ) {
    const urlParams = (getOptions?.includes ?? []).map((i): [string, string] => ["includes", i])
    return yield* json(Transaction)(
      HttpClientRequest.get(yield* path("GET")`/v1/transactions/${transactionId}`, { urlParams })
    )
  })

  const listTransactions = Effect.fn("DinteroClient.listTransactions")(function* (params?: ListTransactionsParams) {
    return yield* json(TransactionList)(
      HttpClientRequest.get("/v1/transactions", { urlParams: yield* transactionQuery(params) })
    )
  })

  const streamTransactions = (params: ListTransactionsParams = {}): Stream.Stream<Transaction, E> => {
    const { startingAfter, starting_after, ...filters } = params
    // Dintero serves at most 100 per page: a larger limit would end the stream after its first (short) page.
    const limit = Math.min(params.limit ?? 100, 100)
    return Stream.paginate(startingAfter ?? starting_after, (after: string | undefined) =>
      Effect.map(
        listTransactions({ ...filters, limit, ...(after === undefined ? {} : { starting_after: after }) }),
        (page) => {
          const last = page.length < limit ? undefined : page[page.length - 1]?.id
          return [page, last === undefined ? Option.none<string | undefined>() : Option.some(last)] as const
        }
      )
    )
  }

  const updateTransaction = Effect.fn("DinteroClient.updateTransaction")(function* (
    transactionId: string,
    request: UpdateTransactionRequest
  ) {
    const http = yield* withBody(
      UpdateTransactionRequest,
      request
    )(HttpClientRequest.put(yield* path("PUT")`/v1/transactions/${transactionId}`))
    return yield* json(Transaction)(http)
  })

  const captureTransaction = Effect.fn("DinteroClient.captureTransaction")(function* (
    transactionId: string,
    request: CaptureRequest
  ) {
    const http = yield* withBody(
      CaptureRequest,
      request
    )(HttpClientRequest.post(yield* path("POST")`/v1/transactions/${transactionId}/capture`))
    const result = yield* operation(http)
    return result._tag === "Done" ? ({ _tag: "Captured", transaction: result.transaction } as const) : result
  })

  const refundTransaction = Effect.fn("DinteroClient.refundTransaction")(function* (
    transactionId: string,
    request: RefundRequest
  ) {
    const http = yield* withBody(
      RefundRequest,
      request
    )(HttpClientRequest.post(yield* path("POST")`/v1/transactions/${transactionId}/refund`))
    return yield* operation(http)
  })

  const voidTransaction = Effect.fn("DinteroClient.voidTransaction")(function* (transactionId: string) {
    return yield* operation(HttpClientRequest.post(yield* path("POST")`/v1/transactions/${transactionId}/void`))
  })

  const extendAuthorization = Effect.fn("DinteroClient.extendAuthorization")(function* (
    transactionId: string,
    request: ExtendAuthorizationRequest = {}
  ) {
    const http = yield* withBody(
      ExtendAuthorizationRequest,
      request
    )(HttpClientRequest.post(yield* path("POST")`/v1/transactions/${transactionId}/authorization`))
    return yield* json(Transaction)(http)
  })

  const signatureSecret = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<SignatureSecret, E> =>
    Effect.map(
      api.json(SignatureSecretResponse)(request),
      ({ signature, id, created_at }): SignatureSecret => ({
        secret: signature.secret,
        ...(signature.type !== undefined ? { type: signature.type } : {}),
        ...(id !== undefined ? { id } : {}),
        ...(created_at !== undefined ? { created_at } : {})
      })
    )
  const createSignatureSecret = signatureSecret(
    HttpClientRequest.bodyJsonUnsafe(HttpClientRequest.post("/v1/admin/signature"), {})
  ).pipe(Effect.withSpan("DinteroClient.createSignatureSecret"))
  const getSignatureSecret = signatureSecret(HttpClientRequest.get("/v1/admin/signature")).pipe(
    Effect.withSpan("DinteroClient.getSignatureSecret")
  )

  const fetchCallbackTransaction = Effect.fn("DinteroClient.fetchCallbackTransaction")(function* (
    callback: DinteroCallback.Callback,
    getOptions?: GetTransactionOptions
  ) {
    const refuse = (reason: "invalid_callback" | "transaction_mismatch") =>
      new DinteroCallback.CallbackVerificationError({
        provider: "dintero",
        reason,
        transactionId: callback.transactionId
      })
    if (callback.transactionId === undefined || callback.transactionId.length === 0) {
      return yield* refuse("invalid_callback")
    }
    const transaction = yield* getTransaction(callback.transactionId, getOptions)
    if (transaction.id !== callback.transactionId) return yield* refuse("transaction_mismatch")
    if (
      callback.sessionId !== undefined &&
      transaction.session_id !== undefined &&
      transaction.session_id !== callback.sessionId
    ) {
      return yield* refuse("transaction_mismatch")
    }
    if (
      callback.merchantReference !== undefined &&
      transaction.merchant_reference !== undefined &&
      transaction.merchant_reference !== callback.merchantReference
    ) {
      return yield* refuse("transaction_mismatch")
    }
    return transaction
  })

  const listSettlements = Effect.fn("DinteroClient.listSettlements")(function* (params?: ListSettlementsParams) {
    return yield* json(
      SettlementList,
      apiHost
    )(
      HttpClientRequest.get(yield* path("GET")`/v1/accounts/${aid}/settlements`, {
        urlParams: yield* checkedQuery(ListSettlementsQuery, "/v1/accounts/{aid}/settlements", params)
      })
    )
  })

  const listReports = Effect.fn("DinteroClient.listReports")(function* (params?: ListReportsParams) {
    return yield* json(
      ReportList,
      apiHost
    )(
      HttpClientRequest.get(yield* path("GET")`/v1/accounts/${aid}/reports/metadata`, {
        urlParams: yield* checkedQuery(ListReportsQuery, "/v1/accounts/{aid}/reports/metadata", params)
      })
    )
  })

  return DinteroClient.of({
    accountId: aid,
    environment: environmentOf(aid),
    http: api.http,
    apiHttp: apiHost.http,
    accessToken: tokens.get,
    tokens,
    createSession,
    getSession,
    updateSession,
    cancelSession,
    createPaymentTokenSession,
    payWithToken,
    getTransaction,
    listTransactions,
    streamTransactions,
    updateTransaction,
    captureTransaction,
    refundTransaction,
    voidTransaction,
    extendAuthorization,
    createSignatureSecret,
    getSignatureSecret,
    fetchCallbackTransaction,
    listSettlements,
    listReports
  })
})

/** The client as a layer, from explicit options. Needs an `HttpClient` (e.g. `NodeHttpClient.layerUndici`). */
export const layer = (
  options: Options
): Layer.Layer<DinteroClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(DinteroClient, make(options))

/** The options `layerConfig` reads from configuration. */
export type ConfigOptions = Pick<Options, "accountId" | "clientId" | "clientSecret" | "apiUrl" | "checkoutUrl">

/** One `Config` per option, reading the fixed `DINTERO_*` variables; `layerConfig` lets an app replace any of them. */
export const configs: ClientConfig.Configs<ConfigOptions> = /* @__PURE__ */ (() => ({
  // A pure thunk (and `config` below a pure call): a bundle that never reads the environment drops `Config`.
  accountId: Config.String("DINTERO_ACCOUNT_ID"),
  clientId: Config.String("DINTERO_CLIENT_ID"),
  clientSecret: Config.Redacted("DINTERO_CLIENT_SECRET"),
  apiUrl: ClientConfig.optionalString("DINTERO_API_URL"),
  checkoutUrl: ClientConfig.optionalString("DINTERO_CHECKOUT_URL")
}))()

/** The configuration `layerConfig` reads, as one `Config`. */
export const config: Config.Config<ConfigOptions> = /* @__PURE__ */ Config.all(configs)

/**
 * The client as a layer, configured from `DINTERO_ACCOUNT_ID`, `DINTERO_CLIENT_ID`, `DINTERO_CLIENT_SECRET` and the
 * optional `DINTERO_API_URL`, `DINTERO_CHECKOUT_URL`. Pass your own `Config` for any of them:
 * `layerConfig({ clientSecret: Config.Redacted("SHOP_DINTERO_SECRET") })`.
 */
export const layerConfig: (
  configs?: {
    readonly [K in keyof ConfigOptions]?: Config.Config<ConfigOptions[K]>
  }
) => Layer.Layer<DinteroClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =
  /* @__PURE__ */ ClientConfig.layerConfig({
    service: DinteroClient,
    provider: "dintero",
    config: configs,
    make
  })
