/**
 * The Netgíró checkout client: typed operations (insert, check, confirm and cancel a cart; the sales list),
 * `waitForPayment` to follow a cart until the customer decides, and the signed HttpClient for endpoints nordkit
 * does not wrap. Requests are signed per attempt, responses verified (`verifyResponses`), and the
 * `{Success, Message, ResultCode}` envelope turned into results or a `NetgiroResultError` naming the code.
 * Every result and error carries `netgiro_referenceId`.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const netgiro = yield* NetgiroClient.NetgiroClient
 *   const cart = yield* netgiro.insertCart({ Amount: 4990, Reference: "order-17", CustomerId: "1111111119",
 *     ConfirmationType: NetgiroSchema.ConfirmationTypes.Manual })
 *   const outcome = yield* netgiro.waitForPayment(cart, { timeout: "5 minutes" })
 *   if (outcome._tag === "Reserved") yield* netgiro.confirmCart({ TransactionId: cart.TransactionId })
 * })
 * program.pipe(Effect.provide(NetgiroClient.layerConfig()), Effect.provide(NodeHttpClient.layerUndici))
 * ```
 */
import { ApiClient, BaseUrl, ClientConfig, NordkitError, RequestSigner, type RetryPolicy } from "@nordkit/core"
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
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as NetgiroAuth from "./NetgiroAuth.ts"
import {
  errorFields,
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
  SalesListResponse,
  TransactionRequest,
  type VerifyMode
} from "./NetgiroSchema.ts"

export const provider = "netgiro"
export const defaultApiUrls: Readonly<Record<Environment, string>> = {
  test: "https://api.test.netgiro.is/v1",
  production: "https://api.netgiro.is/v1"
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
}

/** What every result carries besides its body: Netgíró's id of the call, for support. */
export interface Meta {
  readonly referenceId: string | undefined
}

export type InsertCartResult = InsertCartResponse & Meta
export type CheckCartResult = CheckCartResponse & Meta
export type ConfirmCartResult = ConfirmCartResponse & Meta
export type CancelCartResult = CancelCartResponse & Meta
export interface SalesListResult extends Envelope, Meta {
  /** The whole JSON response (its shape beyond the envelope is not published). */
  readonly body: unknown
}

/** How a cart ended, as seen by `waitForPayment`. */
export type PaymentOutcome =
  /** The loan is created: the payment is done. */
  | { readonly _tag: "Paid"; readonly check: CheckCartResult }
  /** The customer approved a `Manual` cart: call `confirmCart` to create the loan. */
  | { readonly _tag: "Reserved"; readonly check: CheckCartResult }
  /** The cart was canceled (by the merchant, the customer, or a failed callback). */
  | { readonly _tag: "Canceled"; readonly resultCode: number; readonly referenceId: string | undefined }
  /** The customer (or Netgíró, e.g. no credit) declined the payment. */
  | {
      readonly _tag: "Declined"
      readonly resultCode: number
      readonly message: string | undefined
      readonly referenceId: string | undefined
    }

export interface WaitOptions {
  /** Give up after this long (failing with `PaymentTimeoutError`). */
  readonly timeout: Duration.Input
  /** Poll interval when the cart does not say (`ProcessCartCheckIntervalMiliseconds`). Default 2 s. */
  readonly interval?: Duration.Input | undefined
}

/** Every failure of a Netgíró call. */
export type Error = NordkitError.RequestError | NetgiroResultError | NetgiroSignatureError

export interface Service {
  readonly environment: Environment
  readonly apiUrl: string
  /** Signed (per attempt) and retried HttpClient on the API base URL; responses are raw and unverified. */
  readonly http: ApiClient.RawClient
  readonly insertCart: (request: InsertCartRequest) => Effect.Effect<InsertCartResult, Error>
  readonly checkCart: (transactionId: string) => Effect.Effect<CheckCartResult, Error>
  /** Confirms a `Manual` cart. `PaymentSuccessful: false` is a `NetgiroResultError`. */
  readonly confirmCart: (request: ConfirmCartRequest) => Effect.Effect<ConfirmCartResult, Error>
  readonly cancelCart: (transactionId: string) => Effect.Effect<CancelCartResult, Error>
  readonly salesList: Effect.Effect<SalesListResult, Error>
  /**
   * Polls `CheckCart` at the interval Netgíró asks for until the cart is paid, reserved (Manual), canceled or
   * declined. Interruptible; fails with `PaymentTimeoutError` after `timeout`.
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
  referenceId: string | undefined
): PaymentOutcome | undefined => {
  if (declined.has(reason)) return { _tag: "Declined", resultCode, message, referenceId }
  if (canceled.has(reason)) return { _tag: "Canceled", resultCode, referenceId }
  return undefined
}

const outcomeOfCheck = (check: CheckCartResult): PaymentOutcome | undefined => {
  const reason = resultCaseOf(check.ResultCode)
  if (check.PaymentSuccessful || reason === "PaymentCompleted") return { _tag: "Paid", check }
  if (reason === "PendingProviderConfirmation") return { _tag: "Reserved", check }
  return outcomeOfResult(reason, check.ResultCode, check.Message ?? undefined, check.referenceId)
}
const defaultInterval = 2_000

const decoder = new TextDecoder()

const parseJson = (text: string): unknown => {
  if (text.length === 0) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const decodeEnvelope = Schema.decodeUnknownOption(Envelope)

/** Builds the client. Fails with `NordkitError.ConfigurationError` for a missing key or an insecure URL. */
export const make = Effect.fnUntraced(function* (
  options: Options
): Effect.fn.Return<Service, NordkitError.ConfigurationError, HttpClient.HttpClient | Scope.Scope> {
  if (options.appKey.trim().length === 0) {
    return yield* new NordkitError.ConfigurationError({ provider, detail: "NETGIRO_APP_KEY is empty" })
  }
  const environment = options.environment ?? "test"
  if (environment !== "test" && environment !== "production") {
    return yield* new NordkitError.ConfigurationError({
      provider,
      detail: "NETGIRO_ENVIRONMENT must be test or production"
    })
  }
  const apiUrl = yield* BaseUrl.validate(provider, "NETGIRO_API_URL", options.apiUrl ?? defaultApiUrls[environment])
  const mode: VerifyMode = options.verifyResponses ?? "enforce"
  const httpClient = yield* HttpClient.HttpClient
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
    retry: { isIdempotent, ...options.retry },
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
    const referenceId = response.headers[NetgiroAuth.headerNames.referenceId]
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
          referenceId,
          reason: verdict === "missing" ? "missing" : "mismatch"
        })
        if (mode === "enforce") return yield* error
        yield* Effect.logWarning(`${error.message}; continuing (verifyResponses: warn)`)
        trusted = true
      }
    }
    const text = decoder.decode(bytes)
    return { response, text, json: trusted ? parseJson(text) : undefined, referenceId, ok }
  })

  /** Maps a non-2xx response: a verified envelope becomes a `NetgiroResultError`, the rest the error family. */
  const failure = Effect.fnUntraced(function* (received: Effect.Success<ReturnType<typeof receive>>) {
    const { response, text, json, referenceId } = received
    const now = yield* Effect.clockWith((clock) => Effect.succeed(clock.currentTimeMillisUnsafe()))
    const envelope = decodeEnvelope(json)
    const status = response.status
    if (Option.isSome(envelope) && status !== 401 && status !== 403 && status !== 429) {
      return yield* resultError(response, envelope.value, referenceId)
    }
    return yield* ApiClient.classifyStatus({
      ...where(response),
      requestId: referenceId,
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
    referenceId: string | undefined
  ) =>
    new NetgiroResultError({
      ...where(response),
      referenceId,
      resultCode: envelope.ResultCode,
      reason: resultCaseOf(envelope.ResultCode),
      resultMessage: envelope.Message ?? undefined
    })

  /**
   * Sends, verifies, checks the envelope and decodes with `schema`. `reject` turns a decoded success that is
   * a failure in disguise (ConfirmCart's `PaymentSuccessful: false`) into a `NetgiroResultError`.
   */
  const call = <S extends Schema.Top & { readonly DecodingServices: never }>(
    schema: S,
    request: HttpClientRequest.HttpClientRequest,
    reject?: (value: S["Type"]) => boolean
  ): Effect.Effect<
    { readonly value: S["Type"]; readonly json: unknown; readonly referenceId: string | undefined },
    Error
  > =>
    Effect.gen(function* () {
      const response = yield* Effect.catchIf(api.http.execute(request), HttpClientError.isHttpClientError, (e) =>
        Effect.fail(ApiClient.transportError(provider, e))
      )
      const received = yield* receive(response)
      if (!received.ok) return yield* failure(received)
      const fail = (detail: string) =>
        new NordkitError.DecodeError({ ...where(response), requestId: received.referenceId, detail })
      if (received.json === undefined) return yield* fail(received.text === "" ? "empty body" : "body is not JSON")
      const envelope = decodeEnvelope(received.json)
      if (Option.isNone(envelope)) return yield* fail("no Success/ResultCode envelope")
      if (!envelope.value.Success) return yield* resultError(response, envelope.value, received.referenceId)
      const value = yield* Effect.mapError(
        Schema.decodeUnknownEffect(schema)(received.json) as Effect.Effect<S["Type"], Schema.SchemaError>,
        (e) => fail(e.message.slice(0, 500))
      )
      if (reject?.(value)) return yield* resultError(response, envelope.value, received.referenceId)
      return { value, json: received.json, referenceId: received.referenceId }
    })

  const withMeta = <A extends object>(result: { readonly value: A; readonly referenceId: string | undefined }) => ({
    ...result.value,
    referenceId: result.referenceId
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
    return withMeta(yield* call(CheckCartResponse, yield* post("/Checkout/CheckCart", TransactionRequest, body)))
  })

  const confirmCart = Effect.fn("NetgiroClient.confirmCart")(function* (request: ConfirmCartRequest) {
    const http = yield* post("/Checkout/ConfirmCart", ConfirmCartRequest, request)
    return withMeta(yield* call(ConfirmCartResponse, http, (value) => value.PaymentSuccessful === false))
  })

  const cancelCart = Effect.fn("NetgiroClient.cancelCart")(function* (transactionId: string) {
    const body = { TransactionId: transactionId }
    return withMeta(yield* call(CancelCartResponse, yield* post("/Checkout/CancelCart", TransactionRequest, body)))
  })

  const salesList: Effect.Effect<SalesListResult, Error> = Effect.withSpan(
    Effect.map(
      call(SalesListResponse, HttpClientRequest.get("/sales/GetList", { urlParams: { AllForCompany: "true" } })),
      (result) => ({ ...result.value, body: result.json, referenceId: result.referenceId })
    ),
    "NetgiroClient.salesList"
  )

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
    let last: { code: number; referenceId: string | undefined } | undefined

    const poll: Effect.Effect<PaymentOutcome, Error> = Effect.gen(function* () {
      while (true) {
        const checked: Effect.Effect<PaymentOutcome | undefined, Error> = Effect.map(
          checkCart(transactionId),
          (check) => {
            last = { code: check.ResultCode, referenceId: check.referenceId }
            return outcomeOfCheck(check)
          }
        )
        const outcome = yield* Effect.catch(checked, (e): Effect.Effect<PaymentOutcome | undefined, Error> => {
          if (e._tag !== "NetgiroResultError") return Effect.fail(e)
          const final = outcomeOfResult(e.reason, e.resultCode, e.resultMessage, e.referenceId)
          return final === undefined ? Effect.fail(e) : Effect.succeed(final)
        })
        if (outcome !== undefined) return outcome
        yield* Effect.sleep(interval)
      }
    })

    return yield* Effect.timeoutOrElse(poll, {
      duration: timeout,
      orElse: () =>
        Effect.fail(
          new PaymentTimeoutError({
            provider,
            transactionId,
            waitedMillis: Duration.toMillis(timeout),
            lastResultCode: last?.code,
            referenceId: last?.referenceId
          })
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
    waitForPayment
  })
})

/** The client as a layer, from explicit options. Needs an `HttpClient` (e.g. `NodeHttpClient.layerUndici`). */
export const layer = (
  options: Options
): Layer.Layer<NetgiroClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(NetgiroClient, make(options))

/** The configuration `layerConfig` reads: the fixed `NETGIRO_*` variables of DESIGN.md. */
export const config: Config.Config<Options> = Config.all({
  appKey: Config.String("NETGIRO_APP_KEY"),
  secret: Config.Redacted("NETGIRO_SECRET"),
  environment: Config.Literals(["test", "production"] as const, "NETGIRO_ENVIRONMENT").pipe(Config.withDefault("test")),
  apiUrl: Config.String("NETGIRO_API_URL").pipe(Config.option, Config.map(Option.getOrUndefined))
})

/**
 * The client as a layer, configured from `NETGIRO_APP_KEY`, `NETGIRO_SECRET`, `NETGIRO_ENVIRONMENT` (`test`
 * default) and the optional `NETGIRO_API_URL`. `overrides` set what the environment does not.
 */
export const layerConfig = (
  overrides?: Partial<Omit<Options, "appKey" | "secret">>
): Layer.Layer<NetgiroClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(
    NetgiroClient,
    Effect.flatMap(ClientConfig.load(provider, config), (loaded) => make({ ...loaded, ...overrides }))
  )
