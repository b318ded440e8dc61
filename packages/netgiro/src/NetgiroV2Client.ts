/**
 * The Netgíró V2 API client: one `X-Netgiro-Api-Key` header (your ApplicationId) instead of signatures. Payment
 * by customer identifier (barcode, access code or GSM), status polling that honours `PollIntervalMs` (an effect
 * `Schedule`), capture (full or partial), cancel, refund (one idempotency key per refund, reused on every
 * retry), transaction details, settlements as a `Stream`, hosted checkout (the redirect flow of the web-shop
 * plugins) with its signed return parameters, and callback verification (`X-Netgiro-Signature`).
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const netgiro = yield* NetgiroV2Client.NetgiroV2Client
 *   const payment = yield* netgiro.createPayment({ Amount: 5000, Reference: "order-123", CustomerIdentifier: "8881234" })
 *   const settled = yield* netgiro.waitForPayment(payment, { timeout: "5 minutes" })  // Pending -> Confirmed
 *   yield* netgiro.refund(settled.TransactionId!, 2000, { description: "Returned item" })
 * })
 * program.pipe(Effect.provide(NetgiroV2Client.layerConfig()), Effect.provide(NodeHttpClient.layerUndici))
 * ```
 *
 * The API key and the secret are never rendered: the key header is redacted wherever effect renders headers,
 * and no error carries headers.
 */
import * as ApiClient from "@nordkit/core/ApiClient"
import * as BaseUrl from "@nordkit/core/BaseUrl"
import * as ClientConfig from "@nordkit/core/ClientConfig"
import * as NordkitError from "@nordkit/core/NordkitError"
import * as PathSegment from "@nordkit/core/PathSegment"
import type * as RequestLimits from "@nordkit/core/RequestLimits"
import * as RequestSigner from "@nordkit/core/RequestSigner"
import type * as RetryPolicy from "@nordkit/core/RetryPolicy"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Refunds from "./internal/refunds.ts"
import * as NetgiroAuth from "./NetgiroAuth.ts"
import * as NetgiroCallback from "./NetgiroCallback.ts"
import { type NetgiroRefundError, NetgiroSignatureError, PaymentTimeoutError } from "./NetgiroError.ts"
import type { Environment } from "./NetgiroSchema.ts"
import {
  CancelRequest,
  CaptureRequest,
  HostedCheckoutRequest,
  HostedCheckoutResponse,
  PaymentRequest,
  PaymentResponse,
  RefundRequest,
  Result,
  Settlement,
  type SettlementFilter,
  SettlementItem,
  TransactionDetails
} from "./NetgiroV2Schema.ts"

export const provider = "netgiro"

/** V2 API hosts. The test host is an assumption (the V1 test host with `/v2`); override with `apiUrl`. */
export const defaultApiUrls: Readonly<Record<Environment, string>> = {
  test: "https://api.test.netgiro.is/v2",
  production: "https://api.netgiro.is/v2"
}

/** Hosted checkout hosts. */
export const defaultCheckoutUrls: Readonly<Record<Environment, string>> = {
  test: "https://securepay.test.netgiro.is/v1",
  production: "https://securepay.netgiro.is/v1"
}

export const apiKeyHeader = "x-netgiro-api-key"

export interface Options {
  /** `X-Netgiro-Api-Key`: your ApplicationId. */
  readonly apiKey: Redacted.Redacted<string>
  /** Your SecretKey: verifies callbacks and hosted-checkout return parameters (not sent to the API). */
  readonly secret?: Redacted.Redacted<string> | undefined
  /** `test` (default) or `production`: picks the default hosts. */
  readonly environment?: Environment | undefined
  /** Replaces the V2 API base URL (with `/v2`). */
  readonly apiUrl?: string | undefined
  /** Replaces the hosted-checkout base URL (with `/v1`). */
  readonly checkoutUrl?: string | undefined
  /** Optional `NETGIRO_CLIENTINFO` header naming your platform (e.g. `System: Custom POS`). */
  readonly clientInfo?: string | undefined
  readonly retry?: RetryPolicy.Options | undefined
  /** Your own HttpClient middleware, applied where each attempt runs. */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
  /**
   * Deadline and body caps for this client's API calls (see `RequestLimits`; a per-call `RequestLimits.provide`
   * wins). Default: 30 s per attempt, 8 MiB JSON and error bodies, 64 MiB downloads.
   */
  readonly limits?: RequestLimits.Limits | undefined
}

/** Netgíró's id of the call, when it gives one. */
export interface Meta {
  readonly requestId: string | undefined
}

export type PaymentResult = PaymentResponse & Meta

export interface WaitOptions {
  /** Give up after this long (failing with `PaymentTimeoutError`). */
  readonly timeout: Duration.Input
  /** Poll interval when the answer carries no `PollIntervalMs`. Default 2 s. */
  readonly interval?: Duration.Input | undefined
}

export interface RefundOptions {
  /** Reason shown in the merchant portal. */
  readonly description?: string | undefined
  /**
   * Reuse the key of an earlier attempt of the same refund (after your process restarted mid-call). Default: a
   * fresh key per `refund` call, reused by the client's own retries.
   */
  readonly idempotencyKey?: string | undefined
}

export interface RefundResult extends Meta {
  readonly transactionId: string
  readonly amount: number
  readonly idempotencyKey: string
  readonly message: string | undefined
}

/** The return parameters of a hosted checkout, verified. */
export interface ReturnParameters {
  readonly TransactionId: string
  readonly ReferenceNumber: string
  readonly InvoiceNumber: string
  readonly TotalAmount: string
  /** `2` confirmed, `5` canceled. */
  readonly Status: string
  readonly confirmed: boolean
}

export type Error = NordkitError.RequestError

export interface Service {
  readonly environment: Environment
  readonly apiUrl: string
  readonly checkoutUrl: string
  /** The keyed, retried HttpClient on the V2 base URL, for endpoints nordkit does not wrap. */
  readonly http: ApiClient.RawClient
  /** `POST /checkout/payment`: `Confirmed`/`Authorized` at once for barcodes and access codes, else `Pending`. */
  readonly createPayment: (request: PaymentRequest) => Effect.Effect<PaymentResult, Error>
  /** `GET /checkout/status/{id}`. */
  readonly paymentStatus: (transactionId: string) => Effect.Effect<PaymentResult, Error>
  /**
   * Polls the status while it is `Pending`, every `PollIntervalMs` of the latest answer (a `Schedule`), and
   * returns the first other answer (`Confirmed`, `Authorized`, `Cancelled`, or a status Netgíró adds later).
   */
  readonly waitForPayment: (
    payment: string | Pick<PaymentResponse, "TransactionId" | "PollIntervalMs" | "Status">,
    options: WaitOptions
  ) => Effect.Effect<PaymentResult, Error | PaymentTimeoutError>
  /** Captures an authorized payment: the whole amount, or `amount` krónur. */
  readonly capture: (transactionId: string, amount?: number) => Effect.Effect<PaymentResult, Error>
  /** Cancels a payment at any stage (pending, authorized, confirmed). */
  readonly cancel: (transactionId: string) => Effect.Effect<PaymentResult, Error>
  /** Refunds `amount` krónur; a refused refund is a `NetgiroRefundError`. */
  readonly refund: (
    transactionId: string,
    amount: number,
    options?: RefundOptions
  ) => Effect.Effect<RefundResult, Error | NetgiroRefundError>
  /** `GET /transaction/details/{id}`. */
  readonly transaction: (transactionId: string) => Effect.Effect<TransactionDetails & Meta, Error>
  /** `GET /settlement/list`, one settlement per element. */
  readonly settlements: (filter?: SettlementFilter) => Stream.Stream<Settlement, Error>
  /** `GET /settlement/items/{number}`, one line per element. */
  readonly settlementItems: (settlementNumber: string) => Stream.Stream<SettlementItem, Error>
  /** Hosted checkout: the `CheckoutUrl` to redirect the customer's browser to. */
  readonly createHostedCheckout: (request: HostedCheckoutRequest) => Effect.Effect<HostedCheckoutResponse & Meta, Error>
  /**
   * Checks the parameters Netgíró appended to your `SuccessUrl` (a URL, its query, or `URLSearchParams`):
   * `NetgiroSignature = SHA-256(secret + ReferenceNumber + TransactionId + InvoiceNumber + TotalAmount + Status)`.
   * Use it for what the customer sees; fulfil only after the callback or `transaction` says so.
   */
  readonly verifyReturn: (
    query: string | URLSearchParams
  ) => Effect.Effect<ReturnParameters, NetgiroSignatureError | NordkitError.ConfigurationError>
  /**
   * Verifies a callback by `X-Netgiro-Signature` (needs `secret`). The signature covers `TransactionId` and
   * `TotalAmount`, not `Success`: before fulfilling a confirm, check that `transaction(id)` is not `canceled`.
   * For a replay guard use `NetgiroCallback.make({ mode: "transactionSignature", ... })`.
   */
  readonly verifyCallback: (
    incoming: NetgiroCallback.Incoming,
    callbackUrl: string
  ) => Effect.Effect<
    NetgiroCallback.Callback,
    NetgiroSignatureError | NordkitError.DecodeError | NordkitError.ConfigurationError
  >
}

export class NetgiroV2Client extends Context.Service<NetgiroV2Client, Service>()("@nordkit/netgiro/NetgiroV2Client") {}

const minimumInterval = 250
const defaultInterval = 2_000

/** Builds the client. Fails with `NordkitError.ConfigurationError` for an empty key or an insecure URL. */
export const make = Effect.fnUntraced(function* (options: Options) {
  if (Redacted.value(options.apiKey).trim().length === 0) {
    return yield* new NordkitError.ConfigurationError({ provider, detail: "NETGIRO_API_KEY is empty" })
  }
  // A key or client info that cannot be a header value (CRLF, NUL, non-Latin-1) is refused here, not per request.
  yield* ApiClient.validateHeaders(provider, {
    [apiKeyHeader]: Redacted.value(options.apiKey),
    NETGIRO_CLIENTINFO: options.clientInfo
  })
  const environment = options.environment ?? "test"
  if (environment !== "test" && environment !== "production") {
    return yield* new NordkitError.ConfigurationError({
      provider,
      detail: "NETGIRO_ENVIRONMENT must be test or production"
    })
  }
  const apiUrl = yield* BaseUrl.validate(provider, "NETGIRO_V2_API_URL", options.apiUrl ?? defaultApiUrls[environment])
  const checkoutUrl = yield* BaseUrl.validate(
    provider,
    "NETGIRO_CHECKOUT_URL",
    options.checkoutUrl ?? defaultCheckoutUrls[environment]
  )
  const httpClient = yield* HttpClient.HttpClient
  const keyed = RequestSigner.perAttempt(() => Effect.succeed({ [apiKeyHeader]: Redacted.value(options.apiKey) }), {
    redactHeaders: [apiKeyHeader]
  })
  const headers = {
    accept: "application/json",
    ...(options.clientInfo === undefined ? {} : { NETGIRO_CLIENTINFO: options.clientInfo })
  }
  // The refund's idempotency key is in its body: safe to send again, so it is retried like a read.
  const isIdempotent = (request: HttpClientRequest.HttpClientRequest) =>
    request.method === "GET" ||
    /\/transaction\/refund$/.test(ApiClient.pathOf(request)) ||
    (options.retry?.isIdempotent?.(request) ?? false)
  const secrets = options.secret === undefined ? [options.apiKey] : [options.apiKey, options.secret]
  const api = ApiClient.make(httpClient, {
    provider,
    baseUrl: apiUrl,
    headers,
    errorFields: Refunds.errorFields,
    secrets,
    retry: { ...options.retry, isIdempotent },
    transformClient: options.transformClient,
    limits: options.limits,
    perAttempt: keyed
  })
  const hosted = ApiClient.make(httpClient, {
    provider,
    baseUrl: checkoutUrl,
    headers,
    errorFields: Refunds.errorFields,
    secrets,
    retry: options.retry,
    transformClient: options.transformClient,
    limits: options.limits,
    perAttempt: keyed
  })

  const where = (response: HttpClientResponse.HttpClientResponse) => ({
    provider,
    method: response.request.method,
    path: ApiClient.pathOf(response.request),
    status: response.status
  })

  const body = <S extends Schema.Constraint & { readonly EncodingServices: never }>(
    request: HttpClientRequest.HttpClientRequest,
    schema: S,
    value: S["Type"]
  ) => ApiClient.jsonBody(provider)(schema, value)(request)

  /** Sends and decodes; a 2xx answer with `Success: false` is an `ApiError` carrying its message. */
  const call = <S extends Schema.Constraint & { readonly DecodingServices: never }>(
    client: ApiClient.ApiClient,
    schema: S,
    request: HttpClientRequest.HttpClientRequest
  ): Effect.Effect<S["Type"] & Meta, Error> =>
    Effect.gen(function* () {
      const response = yield* client.ok(request)
      // `Success: false` is read before the schema: a failure answered where a details body was expected (a
      // "Transaction not found" in an HTTP 200) is an ApiError carrying Netgíró's message, not a DecodeError.
      const json = yield* client.decode(Schema.Unknown)(response)
      const envelope = typeof json === "object" && json !== null ? (json as Record<string, unknown>) : {}
      if (envelope.Success === false) {
        const message = typeof envelope.Message === "string" ? envelope.Message : undefined
        return yield* new NordkitError.ApiError({ ...where(response), detail: message })
      }
      const value = yield* Effect.mapError(
        Schema.decodeUnknownEffect(schema)(json) as Effect.Effect<S["Type"], Schema.SchemaError>,
        (e) => new NordkitError.DecodeError({ ...where(response), detail: e.message.slice(0, 500) })
      )
      return { ...(value as object), requestId: undefined } as S["Type"] & Meta
    })

  const pathWith = (method: string, template: string, id: string) =>
    Effect.map(PathSegment.encode(provider, method, id, template), (segment) => template.replace("{}", segment))

  const createPayment = Effect.fn("NetgiroV2Client.createPayment")(function* (request: PaymentRequest) {
    return yield* call(
      api,
      PaymentResponse,
      yield* body(HttpClientRequest.post("/checkout/payment"), PaymentRequest, request)
    )
  })

  const paymentStatus = Effect.fn("NetgiroV2Client.paymentStatus")(function* (transactionId: string) {
    return yield* call(
      api,
      PaymentResponse,
      HttpClientRequest.get(yield* pathWith("GET", "/checkout/status/{}", transactionId))
    )
  })

  const intervalOf = (answer: Pick<PaymentResponse, "PollIntervalMs"> | undefined, fallback: number) =>
    Duration.millis(Math.max(minimumInterval, answer?.PollIntervalMs ?? fallback))

  const waitForPayment = Effect.fn("NetgiroV2Client.waitForPayment")(function* (
    payment: string | Pick<PaymentResponse, "TransactionId" | "PollIntervalMs" | "Status">,
    waitOptions: WaitOptions
  ) {
    const transactionId = typeof payment === "string" ? payment : (payment.TransactionId ?? "")
    const fallback =
      waitOptions.interval === undefined
        ? defaultInterval
        : Duration.toMillis(Duration.fromInputUnsafe(waitOptions.interval))
    const timeout = Duration.fromInputUnsafe(waitOptions.timeout)
    // Each pause is the PollIntervalMs of the answer just read (the fallback when it carries none).
    const schedule = Schedule.spaced(fallback).pipe(
      Schedule.setInputType<PaymentResult>(),
      Schedule.modifyDelay((metadata) => Effect.succeed(intervalOf(metadata.input, fallback)))
    )
    if (
      typeof payment !== "string" &&
      payment.Status !== undefined &&
      payment.Status !== null &&
      payment.Status !== "Pending"
    ) {
      const settled: PaymentResult = { ...payment, Success: true, requestId: undefined }
      return settled
    }
    const repeated = Effect.repeat(paymentStatus(transactionId), {
      schedule,
      until: (latest: PaymentResult) => latest.Status !== "Pending"
    })
    const poll = typeof payment === "string" ? repeated : Effect.delay(repeated, intervalOf(payment, fallback))
    return yield* Effect.timeoutOrElse(poll, {
      duration: timeout,
      orElse: () =>
        Effect.fail(new PaymentTimeoutError({ provider, transactionId, waitedMillis: Duration.toMillis(timeout) }))
    })
  })

  const capture = Effect.fn("NetgiroV2Client.capture")(function* (transactionId: string, amount?: number) {
    const request: CaptureRequest =
      amount === undefined ? { TransactionId: transactionId } : { TransactionId: transactionId, Amount: amount }
    return yield* call(
      api,
      PaymentResponse,
      yield* body(HttpClientRequest.post("/transaction/capture"), CaptureRequest, request)
    )
  })

  const cancel = Effect.fn("NetgiroV2Client.cancel")(function* (transactionId: string) {
    const request: CancelRequest = { TransactionId: transactionId }
    return yield* call(
      api,
      PaymentResponse,
      yield* body(HttpClientRequest.post("/transaction/cancel"), CancelRequest, request)
    )
  })

  const refund = Effect.fn("NetgiroV2Client.refund")(function* (
    transactionId: string,
    amount: number,
    refundOptions: RefundOptions = {}
  ) {
    const idempotencyKey = refundOptions.idempotencyKey ?? globalThis.crypto.randomUUID()
    const request: RefundRequest = {
      TransactionId: transactionId,
      RefundAmount: amount,
      IdempotencyKey: idempotencyKey,
      ...(refundOptions.description === undefined ? {} : { Description: refundOptions.description })
    }
    const http = yield* body(HttpClientRequest.post("/transaction/refund"), RefundRequest, request)
    const result = yield* call(api, Result, http).pipe(
      Effect.catchTag("ApiError", Refunds.refusal(transactionId, amount))
    )
    const refunded: RefundResult = {
      transactionId,
      amount,
      idempotencyKey,
      message: result.Message ?? undefined,
      requestId: result.requestId
    }
    return refunded
  })

  const transaction = Effect.fn("NetgiroV2Client.transaction")(function* (transactionId: string) {
    return yield* call(
      api,
      TransactionDetails,
      HttpClientRequest.get(yield* pathWith("GET", "/transaction/details/{}", transactionId))
    )
  })

  const settlements = (filter: SettlementFilter = {}): Stream.Stream<Settlement, Error> => {
    const urlParams: Record<string, string> = {}
    for (const [key, value] of Object.entries(filter)) if (typeof value === "string") urlParams[key] = value
    return Stream.flatMap(
      Stream.fromEffect(api.json(Schema.Array(Settlement))(HttpClientRequest.get("/settlement/list", { urlParams }))),
      (list) => Stream.fromIterable(list)
    )
  }

  const settlementItems = (settlementNumber: string): Stream.Stream<SettlementItem, Error> =>
    Stream.flatMap(
      Stream.fromEffect(
        Effect.flatMap(pathWith("GET", "/settlement/items/{}", settlementNumber), (path) =>
          api.json(Schema.Array(SettlementItem))(HttpClientRequest.get(path))
        )
      ),
      (items) => Stream.fromIterable(items)
    )

  const createHostedCheckout = Effect.fn("NetgiroV2Client.createHostedCheckout")(function* (
    request: HostedCheckoutRequest
  ) {
    return yield* call(
      hosted,
      HostedCheckoutResponse,
      yield* body(HttpClientRequest.post("/Checkout/Payment"), HostedCheckoutRequest, request)
    )
  })

  const needSecret = (what: string) =>
    options.secret === undefined
      ? Effect.fail(
          new NordkitError.ConfigurationError({ provider, detail: `NETGIRO_SECRET is needed to verify ${what}` })
        )
      : Effect.succeed(options.secret)

  const verifyReturn = Effect.fn("NetgiroV2Client.verifyReturn")(function* (query: string | URLSearchParams) {
    const secret = yield* needSecret("return parameters")
    const params =
      typeof query !== "string"
        ? query
        : URL.canParse(query)
          ? new URL(query).searchParams
          : new URLSearchParams(query.startsWith("?") ? query.slice(1) : query)
    // Names in any case, with or without the `ng_` prefix `PrefixUrlParameters` adds (e.g. `ng_invoiceNumber`).
    const byName = new Map<string, string>()
    for (const [key, value] of params) {
      const name = key.toLowerCase().replace(/^ng_/, "")
      if (!byName.has(name)) byName.set(name, value)
    }
    const get = (name: string) => byName.get(name.toLowerCase()) ?? ""
    const values = {
      TransactionId: get("TransactionId"),
      ReferenceNumber: get("ReferenceNumber"),
      InvoiceNumber: get("InvoiceNumber"),
      TotalAmount: get("TotalAmount"),
      Status: get("Status")
    }
    const given = get("NetgiroSignature")
    const path = "/return"
    if (given === "") return yield* new NetgiroSignatureError({ provider, method: "GET", path, reason: "missing" })
    const digest = yield* NetgiroAuth.digestService
    const expected = yield* NetgiroCallback.sha256Hex(
      digest,
      Redacted.value(secret),
      values.ReferenceNumber,
      values.TransactionId,
      values.InvoiceNumber,
      values.TotalAmount,
      values.Status
    )
    if (!NetgiroAuth.constantTimeEqual(expected, given.toLowerCase())) {
      return yield* new NetgiroSignatureError({ provider, method: "GET", path, reason: "mismatch" })
    }
    const verified: ReturnParameters = { ...values, confirmed: values.Status === "2" }
    return verified
  })

  const verifyCallback = (incoming: NetgiroCallback.Incoming, callbackUrl: string) =>
    Effect.flatMap(needSecret("callbacks"), (secret) =>
      NetgiroCallback.verify({ secret, callbackUrl, mode: "transactionSignature" }, incoming)
    )

  return NetgiroV2Client.of({
    environment,
    apiUrl,
    checkoutUrl,
    http: api.http,
    createPayment,
    paymentStatus,
    waitForPayment,
    capture,
    cancel,
    refund,
    transaction,
    settlements,
    settlementItems,
    createHostedCheckout,
    verifyReturn,
    verifyCallback
  })
})

/** The client as a layer, from explicit options. Needs an `HttpClient` (e.g. `NodeHttpClient.layerUndici`). */
export const layer = (
  options: Options
): Layer.Layer<NetgiroV2Client, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(NetgiroV2Client, make(options))

/** The options `layerConfig` reads from configuration. */
export type ConfigOptions = Pick<Options, "apiKey" | "secret" | "environment" | "apiUrl" | "checkoutUrl">

/**
 * One `Config` per option: `NETGIRO_API_KEY` (falling back to `NETGIRO_APP_KEY`: the V2 key is your
 * ApplicationId), the optional `NETGIRO_SECRET`, `NETGIRO_ENVIRONMENT` (`test` default), `NETGIRO_V2_API_URL`,
 * `NETGIRO_CHECKOUT_URL`.
 */
export const configs: ClientConfig.Configs<ConfigOptions> = /* @__PURE__ */ (() => ({
  // A pure thunk (and `config` below a pure call): a bundle that never reads the environment drops `Config`.
  apiKey: Config.Redacted("NETGIRO_API_KEY").pipe(Config.orElse(() => Config.Redacted("NETGIRO_APP_KEY"))),
  secret: ClientConfig.optionalRedacted("NETGIRO_SECRET"),
  environment: Config.Literals(["test", "production"] as const, "NETGIRO_ENVIRONMENT").pipe(Config.withDefault("test")),
  apiUrl: ClientConfig.optionalString("NETGIRO_V2_API_URL"),
  checkoutUrl: ClientConfig.optionalString("NETGIRO_CHECKOUT_URL")
}))()

/** The configuration `layerConfig` reads, as one `Config`. */
export const config: Config.Config<ConfigOptions> = /* @__PURE__ */ Config.all(configs)

/** The client as a layer, configured from `configs`; pass your own `Config` for any option. */
export const layerConfig: (
  configs?: { readonly [K in keyof ConfigOptions]?: Config.Config<ConfigOptions[K]> }
) => Layer.Layer<NetgiroV2Client, NordkitError.ConfigurationError, HttpClient.HttpClient> =
  /* @__PURE__ */ ClientConfig.layerConfig({
    service: NetgiroV2Client,
    provider,
    config: configs,
    make
  })
