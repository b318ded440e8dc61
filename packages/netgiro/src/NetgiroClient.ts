/**
 * The Netgíró checkout client: typed operations (insert, check, confirm and cancel a cart; the sales list),
 * `waitForPayment` to follow a cart until the customer decides, and the signed HttpClient for endpoints nordkit
 * does not wrap. Requests are signed per attempt, responses verified (`verifyResponses`), and the
 * `{Success, Message, ResultCode}` envelope turned into results or a `NetgiroResultError` naming the code.
 * A verified answer is also bound to its request: its nonce may not repeat within `replayWindow`, and the
 * transaction it names must be the one asked about (`NetgiroReplayError` otherwise). Refunds and transaction
 * status of V1 merchants go through Netgíró's Partner API (`refund`, `transactionStatus`), authenticated with
 * the `token` header. Every result carries `requestId` (Netgíró's `netgiro_referenceId`), and so does every
 * error.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const netgiro = yield* NetgiroClient.NetgiroClient
 *   const cart = yield* netgiro.insertCart({ Amount: 4990, Reference: "order-17", CustomerId: "1111111119",
 *     ConfirmationType: NetgiroSchema.ConfirmationTypes.Manual })
 *   const outcome = yield* netgiro.waitForPayment(cart, { timeout: "5 minutes" })
 *   if (outcome._tag === "Reserved") yield* netgiro.confirmCart({ TransactionId: cart.TransactionId })
 *   if (outcome._tag === "SmsCodeNeeded") yield* netgiro.confirmCart({ TransactionId: cart.TransactionId, smsCode })
 * })
 * program.pipe(Effect.provide(NetgiroClient.layerConfig()), Effect.provide(NodeHttpClient.layerUndici))
 * ```
 */
import * as ApiClient from "@nordkit/core/ApiClient"
import * as BaseUrl from "@nordkit/core/BaseUrl"
import * as ClientConfig from "@nordkit/core/ClientConfig"
import * as Json from "@nordkit/core/Json"
import * as NordkitError from "@nordkit/core/NordkitError"
import * as PathSegment from "@nordkit/core/PathSegment"
import * as Redaction from "@nordkit/core/Redaction"
import type * as RequestLimits from "@nordkit/core/RequestLimits"
import * as RequestSigner from "@nordkit/core/RequestSigner"
import type * as RetryPolicy from "@nordkit/core/RetryPolicy"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as ReplayWindow from "./internal/ReplayWindow.ts"
import * as Refunds from "./internal/refunds.ts"
import * as NetgiroAuth from "./NetgiroAuth.ts"
import {
  errorFields,
  type NetgiroRefundError,
  NetgiroReplayError,
  NetgiroResultError,
  NetgiroSignatureError,
  PaymentTimeoutError,
  type ResultCase,
  resultCaseOf
} from "./NetgiroError.ts"
import {
  CancelCartResponse,
  CheckCartResponse,
  ConfirmCartRequest,
  ConfirmCartResponse,
  Envelope,
  type Environment,
  InsertCartRequest,
  InsertCartResponse,
  PartnerRefundRequest,
  PartnerTransaction,
  type PaymentInfo,
  SalesListResponse,
  TransactionRequest,
  type VerifyMode
} from "./NetgiroSchema.ts"

export const provider = "netgiro"
export const defaultApiUrls: Readonly<Record<Environment, string>> = {
  test: "https://api.test.netgiro.is/v1",
  production: "https://api.netgiro.is/v1"
}

/** Partner API hosts (refunds and transaction status for V1 merchants). */
export const defaultPartnerUrls: Readonly<Record<Environment, string>> = {
  test: "https://partner-api.test.netgiro.is",
  production: "https://api.netgiro.is/partner"
}

export interface Options {
  /** Your application id (`netgiro_appkey`). */
  readonly appKey: string
  /** Your signing secret, exactly as Netgíró issued it (a base64 string, used as text). */
  readonly secret: Redacted.Redacted<string>
  /** `test` (default) or `production`: picks the default host. */
  readonly environment?: Environment | undefined
  /** Replaces the host (and `/v1` prefix) of the environment, e.g. a test server. */
  readonly apiUrl?: string | undefined
  /** Response signature check: `enforce` (default), `warn` (log and continue) or `off`. */
  readonly verifyResponses?: VerifyMode | undefined
  readonly retry?: RetryPolicy.Options | undefined
  /**
   * Your own nonce source, e.g. one shared by several processes using the same app key (each call must return
   * an integer larger than any before). Default: ticks since 1900 from the Effect Clock, strictly increasing.
   */
  readonly nonce?: Effect.Effect<bigint> | undefined
  /** How long a response nonce is remembered: the same signed answer arriving again within it is refused. */
  readonly replayWindow?: Duration.Input | undefined
  /** Replaces the Partner API base URL of the environment (`NETGIRO_PARTNER_API_URL`). */
  readonly partnerUrl?: string | undefined
  /**
   * The Partner API `token` header. Default: `secret` (Netgíró's WooCommerce plugin sends the signing secret as
   * the token). Never rendered: redacted in spans and absent from every error.
   */
  readonly partnerToken?: Redacted.Redacted<string> | undefined
  /** Your own HttpClient middleware (logging, a circuit breaker), applied where each attempt runs. */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
  /**
   * Deadline and body caps for this client's API calls (see `RequestLimits`; a per-call `RequestLimits.provide`
   * wins). Default: 30 s per attempt, 8 MiB JSON and error bodies, 64 MiB downloads.
   */
  readonly limits?: RequestLimits.Limits | undefined
}

/** What every result carries besides its body: Netgíró's id of the call (`netgiro_referenceId`), for support. */
export interface Meta {
  readonly requestId: string | undefined
}

export type InsertCartResult = InsertCartResponse & Meta
export type CheckCartResult = CheckCartResponse & Meta
export type ConfirmCartResult = ConfirmCartResponse & Meta
export type CancelCartResult = CancelCartResponse & Meta
export interface SalesListResult extends SalesListResponse, Meta {
  /** The whole JSON response (the list's item shape is not published). */
  readonly body: unknown
}

export interface RefundOptions {
  /** At most 100 characters (Partner API). */
  readonly reason?: string | undefined
  /**
   * Reuse the key of an earlier attempt of the same refund (e.g. after your process restarted mid-call): Netgíró
   * processes one refund per key. Default: a fresh key per `refund` call, reused by the client's own retries.
   */
  readonly idempotencyKey?: string | undefined
}

export interface RefundResult extends Meta {
  readonly transactionId: string
  readonly amount: number
  /** The key the refund was sent with: keep it to retry the same refund later. */
  readonly idempotencyKey: string
}

export interface PartnerTransactionResult extends PartnerTransaction, Meta {
  /** The whole JSON response (the shape is not published). */
  readonly body: unknown
}

/** How a cart ended, as seen by `waitForPayment`. */
export type PaymentOutcome =
  /** The loan is created: the payment is done. */
  | { readonly _tag: "Paid"; readonly check: CheckCartResult }
  /** The customer approved a `Manual` cart: call `confirmCart` to create the loan. */
  | { readonly _tag: "Reserved"; readonly check: CheckCartResult }
  /**
   * Result 10428: the customer was identified by SSN and got an SMS code. Ask them for it, then call
   * `confirmCart({ TransactionId, smsCode })`.
   */
  | { readonly _tag: "SmsCodeNeeded"; readonly check: CheckCartResult }
  /** The cart was canceled (by the merchant, the customer, or a failed callback). */
  | { readonly _tag: "Canceled"; readonly resultCode: number; readonly requestId: string | undefined }
  /** The customer (or Netgíró, e.g. no credit) declined the payment. */
  | {
      readonly _tag: "Declined"
      readonly resultCode: number
      readonly message: string | undefined
      readonly requestId: string | undefined
    }

export interface WaitOptions {
  /** Give up after this long (failing with `PaymentTimeoutError`). */
  readonly timeout: Duration.Input
  /** Poll interval when the cart does not say (`ProcessCartCheckIntervalMiliseconds`). Default 2 s. */
  readonly interval?: Duration.Input | undefined
}

/** Every failure of a Netgíró call. */
export type Error = NordkitError.RequestError | NetgiroResultError | NetgiroSignatureError | NetgiroReplayError

/** `ConfirmCart`'s body, plus the SMS code of a 10428 cart (sent as `Identifier`). */
export type ConfirmCartInput = ConfirmCartRequest & { readonly smsCode?: string | undefined }

export interface Service {
  readonly environment: Environment
  readonly apiUrl: string
  /** Signed (per attempt) and retried HttpClient on the API base URL; responses are raw and unverified. */
  readonly http: ApiClient.RawClient
  readonly insertCart: (request: InsertCartRequest) => Effect.Effect<InsertCartResult, Error>
  readonly checkCart: (transactionId: string) => Effect.Effect<CheckCartResult, Error>
  /**
   * Confirms a `Manual` cart, or a 10428 cart with the customer's `smsCode`. `PaymentSuccessful: false` is a
   * `NetgiroResultError`.
   */
  readonly confirmCart: (request: ConfirmCartInput) => Effect.Effect<ConfirmCartResult, Error>
  readonly cancelCart: (transactionId: string) => Effect.Effect<CancelCartResult, Error>
  readonly salesList: Effect.Effect<SalesListResult, Error>
  /**
   * Partner API refund, full or partial, in whole krónur. One idempotency key per call, reused on every retry,
   * so a retried refund is processed once. A refused refund is a `NetgiroRefundError`.
   */
  readonly refund: (
    transactionId: string,
    amount: number,
    options?: RefundOptions
  ) => Effect.Effect<RefundResult, NordkitError.RequestError | NetgiroRefundError>
  /** Partner API transaction status. */
  readonly transactionStatus: (
    transactionId: string
  ) => Effect.Effect<PartnerTransactionResult, NordkitError.RequestError>
  /**
   * Polls `CheckCart` (an effect `Schedule`, at the interval Netgíró asks for) until the cart is paid, reserved
   * (Manual), needs an SMS code (10428), or is canceled or declined. Interruptible; fails with
   * `PaymentTimeoutError` after `timeout`.
   */
  readonly waitForPayment: (
    cart: string | Pick<InsertCartResponse, "TransactionId" | "ProcessCartCheckIntervalMiliseconds">,
    options: WaitOptions
  ) => Effect.Effect<PaymentOutcome, Error | PaymentTimeoutError>
}

export class NetgiroClient extends Context.Service<NetgiroClient, Service>()("@nordkit/netgiro/NetgiroClient") {}

const declined: ReadonlySet<ResultCase> = new Set(["CustomerDeclined", "CustomerNotFound"])
const canceled: ReadonlySet<ResultCase> = new Set(["PaymentCanceled", "AlreadyCanceled"])
const minimumInterval = 250

/** A final outcome for a result code, or undefined when the cart is still pending. */
const outcomeOfResult = (
  reason: ResultCase,
  resultCode: number,
  message: string | undefined,
  requestId: string | undefined
): PaymentOutcome | undefined => {
  if (declined.has(reason)) return { _tag: "Declined", resultCode, message, requestId }
  if (canceled.has(reason)) return { _tag: "Canceled", resultCode, requestId }
  return undefined
}

const outcomeOfCheck = (check: CheckCartResult): PaymentOutcome | undefined => {
  const reason = resultCaseOf(check.ResultCode)
  if (check.PaymentSuccessful || reason === "PaymentCompleted") return { _tag: "Paid", check }
  if (reason === "PendingProviderConfirmation") return { _tag: "Reserved", check }
  if (reason === "AdditionalConfirmationNeeded") return { _tag: "SmsCodeNeeded", check }
  return outcomeOfResult(reason, check.ResultCode, check.Message ?? undefined, check.requestId)
}

/** Answers that move money (or say it moved) must name the transaction they answer. */
const bindsMoney = (value: { readonly PaymentSuccessful?: boolean | undefined; readonly ResultCode: number }) =>
  value.PaymentSuccessful === true || [10200, 10426, 10429].includes(value.ResultCode)

const defaultInterval = 2_000

const decoder = new TextDecoder()

const parseJson = Json.parse

const decodeEnvelope = Schema.decodeUnknownOption(Envelope)

/** Builds the client. Fails with `NordkitError.ConfigurationError` for a missing key or an insecure URL. */
export const make = Effect.fnUntraced(function* (
  options: Options
): Effect.fn.Return<Service, NordkitError.ConfigurationError, HttpClient.HttpClient | Scope.Scope> {
  if (options.appKey.trim().length === 0) {
    return yield* new NordkitError.ConfigurationError({ provider, detail: "NETGIRO_APP_KEY is empty" })
  }
  yield* ApiClient.validateHeaders(provider, {
    [NetgiroAuth.headerNames.appKey]: options.appKey,
    token: Redacted.value(options.partnerToken ?? options.secret)
  })
  const environment = options.environment ?? "test"
  if (environment !== "test" && environment !== "production") {
    return yield* new NordkitError.ConfigurationError({
      provider,
      detail: "NETGIRO_ENVIRONMENT must be test or production"
    })
  }
  const apiUrl = yield* BaseUrl.validate(provider, "NETGIRO_API_URL", options.apiUrl ?? defaultApiUrls[environment])
  const partnerUrl = yield* BaseUrl.validate(
    provider,
    "NETGIRO_PARTNER_API_URL",
    options.partnerUrl ?? defaultPartnerUrls[environment]
  )
  const mode: VerifyMode = options.verifyResponses ?? "enforce"
  const preparedSecret = Redaction.prepare([Redacted.value(options.secret)])
  const scrubSecret = (text: string) => Redaction.scrub(text, preparedSecret)
  const httpClient = yield* HttpClient.HttpClient
  const replay = yield* ReplayWindow.make(options.replayWindow ?? "10 minutes")
  const digest = yield* NetgiroAuth.digestService
  const nonce = options.nonce ?? (yield* NetgiroAuth.makeNonce)
  const signer = { appKey: options.appKey, secret: options.secret, digest, nonce }

  // CheckCart and the sales list only read: safe to send twice, so retried after 5xx and transport errors too.
  const isIdempotent = (request: HttpClientRequest.HttpClientRequest) =>
    request.method === "GET" || /\/checkout\/checkcart$/i.test(ApiClient.pathOf(request))

  const api = ApiClient.make(httpClient, {
    provider,
    baseUrl: apiUrl,
    requestIdHeader: NetgiroAuth.headerNames.referenceId,
    headers: { accept: "application/json" },
    errorFields,
    secrets: [options.secret],
    retry: { isIdempotent, ...options.retry },
    transformClient: options.transformClient,
    limits: options.limits,
    perAttempt: NetgiroAuth.requestSigner(signer)
  })

  const where = (response: HttpClientResponse.HttpClientResponse) => ({
    provider,
    method: response.request.method,
    path: ApiClient.pathOf(response.request),
    status: response.status
  })

  /**
   * Reads and verifies one response. A 2xx response that fails verification in `enforce` mode is a
   * `NetgiroSignatureError` and its body goes no further. An error response that does not verify (a proxy's
   * 502, a gateway's 429, or a 401 signed with the secret we do not have) is mapped by its status alone: its
   * body is not trusted, so it never becomes a `NetgiroResultError`.
   */
  const receive = Effect.fnUntraced(function* (response: HttpClientResponse.HttpClientResponse) {
    const bytes = new Uint8Array(
      yield* Effect.mapError(
        response.arrayBuffer,
        (e) =>
          new NordkitError.DecodeError({
            ...where(response),
            requestId: response.headers[NetgiroAuth.headerNames.referenceId],
            detail: `body unreadable: ${e.reason._tag}`
          })
      )
    )
    const requestId = response.headers[NetgiroAuth.headerNames.referenceId]
    const ok = response.status >= 200 && response.status < 300
    const received = {
      nonce: response.headers[NetgiroAuth.headerNames.nonce],
      signature: response.headers[NetgiroAuth.headerNames.signature]
    }
    let trusted = mode === "off"
    if (mode !== "off") {
      const url = RequestSigner.urlAsSent(response.request) ?? response.request.url
      const verdict = yield* NetgiroAuth.verify(digest, options.secret, received, url, bytes)
      trusted = verdict === "valid"
      if (!trusted && ok) {
        const error = new NetgiroSignatureError({
          ...where(response),
          requestId,
          reason: verdict === "missing" ? "missing" : "mismatch"
        })
        if (mode === "enforce") return yield* error
        yield* Effect.logWarning(`${error.message}; continuing (verifyResponses: warn)`)
        trusted = true
      } else if (verdict === "valid" && ok && !(yield* replay.admit(received.nonce as string))) {
        const error = new NetgiroReplayError({ ...where(response), requestId, reason: "nonceReused" })
        if (mode === "enforce") return yield* error
        yield* Effect.logWarning(`${error.message}; continuing (verifyResponses: warn)`)
      }
    }
    // An error body may echo what was sent: scrub the secret and the request's secrets before it goes anywhere.
    const text = ok
      ? decoder.decode(bytes)
      : Redaction.scrub(decoder.decode(bytes), yield* Redaction.collect(response.request, [options.secret]))
    return { response, text, json: trusted ? parseJson(text) : undefined, requestId, ok }
  })

  /** Maps a non-2xx response: a verified envelope becomes a `NetgiroResultError`, the rest the error family. */
  const failure = Effect.fnUntraced(function* (received: Effect.Success<ReturnType<typeof receive>>) {
    const { response, text, json, requestId } = received
    const now = yield* Effect.clockWith((clock) => Effect.succeed(clock.currentTimeMillisUnsafe()))
    const envelope = decodeEnvelope(json)
    const status = response.status
    if (Option.isSome(envelope) && status !== 401 && status !== 403 && status !== 429) {
      return yield* resultError(response, envelope.value, requestId)
    }
    return yield* ApiClient.classifyStatus({
      ...where(response),
      requestId,
      headers: response.headers,
      text: json === undefined ? "" : text,
      json,
      now,
      fields: errorFields(json, json === undefined ? text : "")
    })
  })

  const resultError = (
    response: HttpClientResponse.HttpClientResponse,
    envelope: Envelope,
    requestId: string | undefined
  ) =>
    new NetgiroResultError({
      ...where(response),
      requestId,
      resultCode: envelope.ResultCode,
      reason: resultCaseOf(envelope.ResultCode),
      resultMessage:
        envelope.Message === undefined || envelope.Message === null ? undefined : scrubSecret(envelope.Message)
    })

  /**
   * Sends, verifies, checks the envelope and decodes with `schema`. `reject` turns a decoded success that is
   * a failure in disguise (ConfirmCart's `PaymentSuccessful: false`) into a `NetgiroResultError`. With
   * `transactionId`, the answer must be about that transaction: a `PaymentInfo` naming another one, or an
   * answer that says money moved without naming any, is a `NetgiroReplayError`.
   */
  const call = <S extends Schema.Top & { readonly DecodingServices: never }>(
    schema: S,
    request: HttpClientRequest.HttpClientRequest,
    reject?: (value: S["Type"]) => boolean,
    transactionId?: string
  ): Effect.Effect<
    { readonly value: S["Type"]; readonly json: unknown; readonly requestId: string | undefined },
    Error
  > =>
    Effect.gen(function* () {
      const response = yield* Effect.catchIf(api.http.execute(request), HttpClientError.isHttpClientError, (e) =>
        Effect.fail(ApiClient.transportError(provider, e))
      )
      const received = yield* receive(response)
      if (!received.ok) return yield* failure(received)
      const fail = (detail: string) =>
        new NordkitError.DecodeError({ ...where(response), requestId: received.requestId, detail })
      if (received.json === undefined) return yield* fail(received.text === "" ? "empty body" : "body is not JSON")
      const envelope = decodeEnvelope(received.json)
      if (Option.isNone(envelope)) return yield* fail("no Success/ResultCode envelope")
      if (transactionId !== undefined && mode !== "off") {
        const answer = received.json as {
          readonly PaymentInfo?: Pick<PaymentInfo, "TransactionId"> | null
          readonly PaymentSuccessful?: boolean
          readonly ResultCode: number
        }
        const named = answer.PaymentInfo?.TransactionId
        const mismatch =
          named === undefined || named === null
            ? envelope.value.Success && bindsMoney(answer)
            : typeof named !== "string" || named.toLowerCase() !== transactionId.toLowerCase()
        if (mismatch) {
          return yield* new NetgiroReplayError({
            ...where(response),
            requestId: received.requestId,
            reason: "transactionMismatch",
            expected: transactionId,
            received: typeof named === "string" ? named : undefined
          })
        }
      }
      if (!envelope.value.Success) return yield* resultError(response, envelope.value, received.requestId)
      const value = yield* Effect.mapError(
        Schema.decodeUnknownEffect(schema)(received.json) as Effect.Effect<S["Type"], Schema.SchemaError>,
        (e) => fail(e.message.slice(0, 500))
      )
      if (reject?.(value)) return yield* resultError(response, envelope.value, received.requestId)
      return { value, json: received.json, requestId: received.requestId }
    })

  const withMeta = <A extends object>(result: { readonly value: A; readonly requestId: string | undefined }) => ({
    ...result.value,
    requestId: result.requestId
  })

  const post = <S extends Schema.Constraint & { readonly EncodingServices: never }>(
    path: string,
    schema: S,
    body: S["Type"]
  ) => ApiClient.jsonBody("netgiro")(schema, body)(HttpClientRequest.post(path))

  const insertCart = Effect.fn("NetgiroClient.insertCart")(function* (request: InsertCartRequest) {
    return withMeta(yield* call(InsertCartResponse, yield* post("/Checkout/InsertCart", InsertCartRequest, request)))
  })

  const checkCart = Effect.fn("NetgiroClient.checkCart")(function* (transactionId: string) {
    const body = { TransactionId: transactionId }
    const http = yield* post("/Checkout/CheckCart", TransactionRequest, body)
    return withMeta(yield* call(CheckCartResponse, http, undefined, transactionId))
  })

  const confirmCart = Effect.fn("NetgiroClient.confirmCart")(function* (input: ConfirmCartInput) {
    const { smsCode, ...rest } = input
    const request: ConfirmCartRequest = smsCode === undefined ? rest : { ...rest, Identifier: smsCode }
    const http = yield* post("/Checkout/ConfirmCart", ConfirmCartRequest, request)
    return withMeta(
      yield* call(ConfirmCartResponse, http, (value) => value.PaymentSuccessful === false, input.TransactionId)
    )
  })

  const cancelCart = Effect.fn("NetgiroClient.cancelCart")(function* (transactionId: string) {
    const body = { TransactionId: transactionId }
    const http = yield* post("/Checkout/CancelCart", TransactionRequest, body)
    return withMeta(yield* call(CancelCartResponse, http, undefined, transactionId))
  })

  const salesList: Effect.Effect<SalesListResult, Error> = Effect.withSpan(
    Effect.map(
      // Cased as in Netgíró's published GET signing example: the signature covers the URL as sent.
      call(SalesListResponse, HttpClientRequest.get("/Sales/GetList", { urlParams: { AllForCompany: "true" } })),
      (result) => ({ ...result.value, body: result.json, requestId: result.requestId })
    ),
    "NetgiroClient.salesList"
  )

  // Partner API: the `token` header is added per attempt and redacted wherever effect renders headers.
  const partnerToken = options.partnerToken ?? options.secret
  const partner = ApiClient.make(httpClient, {
    provider,
    baseUrl: partnerUrl,
    headers: { accept: "application/json" },
    errorFields: Refunds.errorFields,
    secrets: [partnerToken, options.secret],
    // The idempotency key travels in the body: a refund is safe to send again, so it is retried like a read.
    // Your retry options apply here too; a refund stays retried whatever your `isIdempotent` says (its key makes
    // it safe to send again).
    retry: {
      ...options.retry,
      isIdempotent: (request) =>
        request.method === "GET" ||
        /\/refund$/.test(ApiClient.pathOf(request)) ||
        (options.retry?.isIdempotent?.(request) ?? false)
    },
    transformClient: options.transformClient,
    limits: options.limits,
    perAttempt: RequestSigner.perAttempt(() => Effect.succeed({ token: Redacted.value(partnerToken) }), {
      redactHeaders: ["token"]
    })
  })

  const refund = Effect.fn("NetgiroClient.refund")(function* (
    transactionId: string,
    amount: number,
    refundOptions: RefundOptions = {}
  ) {
    const idempotencyKey = refundOptions.idempotencyKey ?? globalThis.crypto.randomUUID()
    const body: PartnerRefundRequest = {
      transactionId,
      refundAmount: amount,
      idempotencyKey,
      ...(refundOptions.reason === undefined ? {} : { reason: refundOptions.reason })
    }
    const request = yield* ApiClient.jsonBody(provider)(PartnerRefundRequest, body)(HttpClientRequest.post("/refund"))
    const response = yield* partner
      .ok(request)
      .pipe(Effect.catchTag("ApiError", Refunds.refusal(transactionId, amount)))
    return { transactionId, amount, idempotencyKey, requestId: response.headers[NetgiroAuth.headerNames.referenceId] }
  })

  const transactionStatus = Effect.fn("NetgiroClient.transactionStatus")(function* (transactionId: string) {
    const path = `/transaction/${yield* PathSegment.encode(provider, "GET", transactionId, "/transaction/{}")}`
    const response = yield* partner.ok(HttpClientRequest.get(path))
    const json = yield* partner.decode(Schema.Unknown)(response)
    const value = yield* Effect.mapError(
      Schema.decodeUnknownEffect(PartnerTransaction)(json),
      (e) => new NordkitError.DecodeError({ ...where(response), detail: e.message.slice(0, 500) })
    )
    const requestId = response.headers[NetgiroAuth.headerNames.referenceId]
    // "Sale not found" comes as `{ Success: false, Message }` (the sale details page): an error, not a status.
    if (value.Success === false) {
      return yield* new NordkitError.ApiError({ ...where(response), requestId, detail: value.Message ?? undefined })
    }
    return { ...value, body: json, requestId }
  })

  const waitForPayment = Effect.fn("NetgiroClient.waitForPayment")(function* (
    cart: string | Pick<InsertCartResponse, "TransactionId" | "ProcessCartCheckIntervalMiliseconds">,
    waitOptions: WaitOptions
  ) {
    const transactionId = typeof cart === "string" ? cart : cart.TransactionId
    const asked = typeof cart === "string" ? undefined : cart.ProcessCartCheckIntervalMiliseconds
    const interval = Math.max(
      minimumInterval,
      asked ??
        (waitOptions.interval === undefined
          ? defaultInterval
          : Duration.toMillis(Duration.fromInputUnsafe(waitOptions.interval)))
    )
    const timeout = Duration.fromInputUnsafe(waitOptions.timeout)
    const last = yield* Ref.make<{ code: number; requestId: string | undefined } | undefined>(undefined)

    // One CheckCart: a final outcome, or undefined while the customer has not decided.
    const once: Effect.Effect<PaymentOutcome | undefined, Error> = Effect.catch(
      Effect.flatMap(checkCart(transactionId), (check) =>
        Effect.as(Ref.set(last, { code: check.ResultCode, requestId: check.requestId }), outcomeOfCheck(check))
      ),
      (e): Effect.Effect<PaymentOutcome | undefined, Error> => {
        if (e._tag !== "NetgiroResultError") return Effect.fail(e)
        const final = outcomeOfResult(e.reason, e.resultCode, e.resultMessage, e.requestId)
        return final === undefined ? Effect.fail(e) : Effect.succeed(final)
      }
    )
    const poll = Effect.map(
      Effect.repeat(once, { schedule: Schedule.spaced(interval), until: (outcome) => outcome !== undefined }),
      (outcome) => outcome as PaymentOutcome
    )

    return yield* Effect.timeoutOrElse(poll, {
      duration: timeout,
      orElse: () =>
        Effect.flatMap(Ref.get(last), (seen) =>
          Effect.fail(
            new PaymentTimeoutError({
              provider,
              transactionId,
              waitedMillis: Duration.toMillis(timeout),
              lastResultCode: seen?.code,
              requestId: seen?.requestId
            })
          )
        )
    })
  })

  return NetgiroClient.of({
    environment,
    apiUrl,
    http: api.http,
    insertCart,
    checkCart,
    confirmCart,
    cancelCart,
    salesList,
    refund,
    transactionStatus,
    waitForPayment
  })
})

/** The client as a layer, from explicit options. Needs an `HttpClient` (e.g. `NodeHttpClient.layerUndici`). */
export const layer = (
  options: Options
): Layer.Layer<NetgiroClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(NetgiroClient, make(options))

/** The configuration `layerConfig` reads: the `NETGIRO_*` variables. */
/** The options `layerConfig` reads from configuration. */
export type ConfigOptions = Pick<
  Options,
  "appKey" | "secret" | "environment" | "apiUrl" | "partnerUrl" | "partnerToken" | "verifyResponses"
>

/** One `Config` per option, reading the `NETGIRO_*` variables; `layerConfig` lets an app replace any of them. */
export const configs: ClientConfig.Configs<ConfigOptions> = /* @__PURE__ */ (() => ({
  // A pure thunk (and `config` below a pure call): a bundle that never reads the environment drops `Config`.
  appKey: Config.String("NETGIRO_APP_KEY"),
  secret: Config.Redacted("NETGIRO_SECRET"),
  environment: Config.Literals(["test", "production"] as const, "NETGIRO_ENVIRONMENT").pipe(Config.withDefault("test")),
  apiUrl: ClientConfig.optionalString("NETGIRO_API_URL"),
  partnerUrl: ClientConfig.optionalString("NETGIRO_PARTNER_API_URL"),
  partnerToken: ClientConfig.optionalRedacted("NETGIRO_PARTNER_TOKEN"),
  // The response signature rule is not published (see the README): `warn` is the switch if it ever differs.
  verifyResponses: Config.Literals(["enforce", "warn", "off"] as const, "NETGIRO_VERIFY_RESPONSES").pipe(
    Config.withDefault("enforce" as const)
  )
}))()

/** The configuration `layerConfig` reads, as one `Config`. */
export const config: Config.Config<ConfigOptions> = /* @__PURE__ */ Config.all(configs)

/**
 * The client as a layer, configured from `NETGIRO_APP_KEY`, `NETGIRO_SECRET`, `NETGIRO_ENVIRONMENT` (`test`
 * default) and the optional `NETGIRO_API_URL`, `NETGIRO_PARTNER_API_URL`, `NETGIRO_PARTNER_TOKEN`,
 * `NETGIRO_VERIFY_RESPONSES` (`enforce` default, `warn`, `off`). Pass your
 * own `Config` for any option: `layerConfig({ secret: Config.Redacted("SHOP_NETGIRO_SECRET") })`.
 */
export const layerConfig: (
  configs?: { readonly [K in keyof ConfigOptions]?: Config.Config<ConfigOptions[K]> }
) => Layer.Layer<NetgiroClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =
  /* @__PURE__ */ ClientConfig.layerConfig({
    service: NetgiroClient,
    provider,
    config: configs,
    make
  })
