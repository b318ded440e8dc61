/**
 * The request pipeline every provider client is built from, in one place:
 *
 *   app's HttpClient -> per-attempt guard (deadline over headers and body, body cap, no redirects, header values
 *   checked; see internal/guard.ts) -> base URL + default headers -> retry policy -> bearer (401: invalidate,
 *   replay once) -> status mapping into the typed error family, server text scrubbed of the request's secrets
 *   (`Redaction`) -> schema decode
 *
 * A provider describes only its protocol: the base URL, its default headers, how to read its error body, and
 * (optionally) statuses or bodies that mean something special to it.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Guard from "./internal/guard.ts"
import * as Json from "./Json.ts"
import {
  ApiError,
  AuthenticationError,
  ConfigurationError,
  DecodeError,
  ForbiddenError,
  InvalidRequestError,
  RateLimitedError,
  type RequestError,
  TimeoutError,
  TransportError
} from "./NordkitError.ts"
import * as Redaction from "./Redaction.ts"
import * as RequestLimits from "./RequestLimits.ts"
import * as RetryPolicy from "./RetryPolicy.ts"
import type { TokenProvider } from "./TokenProvider.ts"

/** The raw HttpClient of an ApiClient: authenticated and retried, failing with transport or token errors. */
export type RawClient<E = never> = HttpClient.HttpClient.With<HttpClientError.HttpClientError | RequestError | E>

/** A provider's error body, reduced to the fields the error family carries. */
export interface ErrorFields {
  readonly code?: string | undefined
  readonly detail?: string | undefined
  readonly fieldErrors?: Readonly<Record<string, string>> | undefined
}

/** What a provider's classifier sees of a non-success (or suspicious) response. */
export interface FailedResponse {
  readonly provider: string
  readonly method: string
  readonly path: string
  readonly status: number
  /** The provider's request id, read from `Options.requestIdHeader`. */
  readonly requestId?: string | undefined
  readonly headers: Headers.Headers
  /** The body as text ("" when empty). */
  readonly text: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown
  readonly fields: ErrorFields
  /** Effect Clock millis when the response was read. */
  readonly now: number
}

export interface Options<EX = never> {
  /** Provider name carried by every error, e.g. "dintero". */
  readonly provider: string
  /** Validated base URL (see `BaseUrl.validate`); request URLs are appended to it. */
  readonly baseUrl: string
  /** Headers sent with every request (e.g. Monerium's versioned `Accept`). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /**
   * Response header carrying the provider's id for the request (e.g. `netgiro_referenceid`), copied into every
   * error as `requestId` so users can quote it to the provider's support.
   */
  readonly requestIdHeader?: string | undefined
  /** Reads the provider's error body. Default: nothing is read. */
  readonly errorFields?: ((json: unknown, text: string) => ErrorFields) | undefined
  /**
   * Provider-specific classification that runs before the default status mapping: return an error to fail
   * with, or undefined to fall through.
   */
  readonly classify?: ((response: FailedResponse) => EX | RequestError | undefined) | undefined
  /** Retry policy options (see `RetryPolicy`). */
  readonly retry?: RetryPolicy.Options | undefined
  /**
   * The app's own HttpClient middleware (logging, a circuit breaker, a custom timeout, ...), applied where each
   * attempt runs: under the retry schedule and the bearer step, beneath the provider's `perAttempt` (so it sees
   * each attempt as sent, signature included). Every provider client passes its `transformClient` option here.
   */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
  /** Statuses that count as success. Default: 200–299. */
  readonly isSuccess?: ((status: number) => boolean) | undefined
  /**
   * Send tracing headers (`traceparent`, `b3`) to the provider. Default false: trace ids are not a third party's
   * business, and in browsers these headers turn every call into a CORS preflight that providers do not allow.
   * Spans are still created either way.
   */
  readonly propagateTraceHeaders?: boolean | undefined
  /**
   * Deadline and body caps for this client's requests (see `RequestLimits`; a per-call `RequestLimits.provide`
   * wins). Default: 30 s per attempt, 8 MiB JSON and error bodies, 64 MiB downloads.
   */
  readonly limits?: RequestLimits.Limits | undefined
  /**
   * Secrets this client holds that a request does not show in its headers or form body (e.g. the key behind a
   * request signature): scrubbed from any server text before it enters an error (see `Redaction`).
   */
  readonly secrets?: ReadonlyArray<Redacted.Redacted<string>> | undefined
}

export interface ApiClient<EX = never, ET = never> {
  readonly provider: string
  /**
   * The authenticated, retried HttpClient (base URL prepended), for endpoints nordkit does not wrap. Its
   * responses are raw: use `ApiClient.json`/`bytes`/`ok` or your own mapping.
   */
  readonly http: RawClient<ET>
  /** Executes the request and returns the successful response, or fails with a typed error. */
  readonly ok: (
    request: HttpClientRequest.HttpClientRequest
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, RequestError | EX | ET>
  /** Executes the request and decodes the JSON body with `schema`. */
  readonly json: <S extends Schema.Constraint & { readonly DecodingServices: never }>(
    schema: S
  ) => (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<S["Type"], RequestError | EX | ET>
  /** Decodes the JSON body of a response already obtained with `ok`. */
  readonly decode: <S extends Schema.Constraint & { readonly DecodingServices: never }>(
    schema: S
  ) => (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<S["Type"], DecodeError>
  /** Executes the request and returns the body bytes. */
  readonly bytes: (request: HttpClientRequest.HttpClientRequest) => Effect.Effect<Uint8Array, RequestError | EX | ET>
}

/** URL path of a request, without query or fragment: safe to put in errors. */
export const pathOf: (request: HttpClientRequest.HttpClientRequest) => string = Guard.pathOf

const truncate = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}…` : text)

const parseJson = Json.parse

/** One decoder per schema, built on first use (operations call `json(schema)` on every request). */
const decoders = new WeakMap<object, (body: unknown) => Effect.Effect<unknown, Schema.SchemaError>>()
const decoderOf = (schema: Schema.Constraint): ((body: unknown) => Effect.Effect<unknown, Schema.SchemaError>) => {
  let decoder = decoders.get(schema)
  if (decoder === undefined) {
    decoder = Schema.decodeUnknownEffect(schema as Schema.Codec<unknown, unknown>)
    decoders.set(schema, decoder)
  }
  return decoder
}

/**
 * Encodes `body` with `schema` as the request's JSON body. Input the schema refuses fails with
 * `InvalidRequestError` (naming the field, never a defect) and nothing is sent.
 */
export const jsonBody =
  (provider: string) =>
  <S extends Schema.Constraint & { readonly EncodingServices: never }>(schema: S, body: S["Type"]) =>
  (
    request: HttpClientRequest.HttpClientRequest
  ): Effect.Effect<HttpClientRequest.HttpClientRequest, InvalidRequestError> =>
    Effect.mapBoth(Schema.encodeUnknownEffect(schema)(body) as Effect.Effect<unknown, Schema.SchemaError>, {
      onFailure: (error) =>
        new InvalidRequestError({
          provider,
          method: request.method,
          path: pathOf(request),
          detail: truncate(error.message, 500)
        }),
      onSuccess: (encoded) => HttpClientRequest.bodyJsonUnsafe(request, encoded)
    })

/**
 * Runs `effect` (e.g. `api.ok(request)` for a file) under the download cap (`RequestLimits` `maxDownloadBytes`,
 * 64 MiB by default) instead of the JSON cap. `ApiClient.bytes` does this itself.
 */
export const asDownload = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.provideService(effect, Guard.Download, true)

/**
 * Checks header values that come from configuration (a system name, an app key) when the client layer is
 * built: a value with CR, LF, NUL, another control character or a character outside Latin-1 would make every
 * request fail (and crash some platform clients), so it is a `ConfigurationError` up front. Values are never
 * echoed (an app key may be a secret).
 */
export const validateHeaders = (
  provider: string,
  headers: Readonly<Record<string, string | undefined>>
): Effect.Effect<void, ConfigurationError> =>
  Effect.suspend(() => {
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue
      const problem = Guard.headerProblem(name.toLowerCase(), value)
      if (problem !== undefined) return Effect.fail(new ConfigurationError({ provider, detail: problem }))
    }
    return Effect.void
  })

/** Maps a failed HTTP response to the error family (after a provider's own classifier had its say). */
export const classifyStatus = (response: FailedResponse): RequestError => {
  const where = {
    provider: response.provider,
    method: response.method,
    path: response.path,
    status: response.status,
    requestId: response.requestId
  }
  const { code, detail, fieldErrors } = response.fields
  switch (response.status) {
    case 401:
      return new AuthenticationError({ ...where, error: code, errorDescription: detail })
    case 403:
      return new ForbiddenError({ ...where, code, detail })
    case 429:
      return new RateLimitedError({
        ...where,
        retryAfterMillis: RetryPolicy.retryAfterMillis(response.headers, response.now),
        detail: detail ?? (response.json === undefined && response.text ? truncate(response.text, 120) : undefined)
      })
    default:
      return new ApiError({
        ...where,
        code,
        detail: detail ?? (response.json === undefined && response.text ? truncate(response.text) : undefined),
        fieldErrors
      })
  }
}

/** The provider's request id of a response, from the configured header. */
export const requestIdOf = (
  response: HttpClientResponse.HttpClientResponse,
  header: string | undefined
): string | undefined => (header === undefined ? undefined : response.headers[header.toLowerCase()])

const causeMessage = (cause: unknown): string | undefined => {
  for (let current = cause, depth = 0; current instanceof Error && depth < 4; depth++) {
    if (current.message !== "" && current.message !== "fetch failed") return current.message
    current = current.cause
  }
  return undefined
}

/**
 * Maps a transport-level HttpClientError (no usable response) to `TransportError` (saying the cause and
 * whether the request may have reached the server), or to `TimeoutError` when the attempt's deadline ran out.
 */
export const transportError = (
  provider: string,
  error: HttpClientError.HttpClientError,
  secrets: ReadonlyArray<string> = []
): TransportError | TimeoutError => {
  const where = { provider, method: error.request.method, path: pathOf(error.request), status: error.response?.status }
  const cause = "cause" in error.reason ? error.reason.cause : undefined
  if (cause instanceof Guard.DeadlineExceeded) {
    return new TimeoutError({
      ...where,
      phase: cause.phase,
      timeoutMillis: cause.timeoutMillis,
      mayHaveReachedServer: true
    })
  }
  const { kind, mayHaveReachedServer, code } = Guard.classifyTransport(cause)
  const message = causeMessage(cause)
  const description = error.reason.description
  const detail = [
    error.reason._tag,
    description,
    code !== undefined && message?.includes(code) ? undefined : code,
    message
  ]
    .filter((part): part is string => part !== undefined && part !== "")
    .join(": ")
  return new TransportError({
    ...where,
    kind,
    mayHaveReachedServer,
    detail: Redaction.scrub(truncate(detail, 300), secrets)
  })
}

/**
 * Reads a non-success response into a `FailedResponse`, for the classifiers.
 */
export const readFailure = (
  provider: string,
  response: HttpClientResponse.HttpClientResponse,
  errorFields?: (json: unknown, text: string) => ErrorFields,
  requestIdHeader?: string
): Effect.Effect<FailedResponse> =>
  Effect.gen(function* () {
    // Server text is scrubbed of the request's secrets before anything reads it (see `Redaction`).
    const secrets = yield* Redaction.collect(response.request)
    const text = Redaction.scrub(yield* Effect.orElseSucceed(response.text, () => ""), secrets)
    const json = parseJson(text)
    const now = yield* Effect.clockWith((clock) => Effect.succeed(clock.currentTimeMillisUnsafe()))
    return {
      provider,
      method: response.request.method,
      path: pathOf(response.request),
      status: response.status,
      requestId: requestIdOf(response, requestIdHeader),
      headers: response.headers,
      text,
      json,
      fields: errorFields === undefined ? {} : errorFields(json, text),
      now
    }
  })

/**
 * Adds `Authorization: Bearer` from `tokens`. On a 401 the token that was used is invalidated and the request
 * replayed once with a fresh token (N concurrent 401s on the same token cause one refresh, since `invalidate`
 * only clears the token it names). A second 401 is returned as is, for the status mapping.
 */
export const bearer =
  <ET>(tokens: TokenProvider<ET>) =>
  <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E | ET, R> =>
    HttpClient.makeWith<never, never, E | ET, R>(
      (requestEffect) =>
        Effect.flatMap(requestEffect, (request) =>
          Effect.flatMap(tokens.get, (token) =>
            Effect.flatMap(client.execute(HttpClientRequest.bearerToken(request, token.value)), (response) =>
              response.status !== 401
                ? Effect.succeed(response)
                : Effect.andThen(
                    tokens.invalidate(token),
                    Effect.flatMap(tokens.get, (fresh) =>
                      client.execute(HttpClientRequest.bearerToken(request, fresh.value))
                    )
                  )
            )
          )
        ),
      Effect.succeed
    )

/**
 * Builds a provider's API client on the app's HttpClient. Pass `tokens` for bearer authentication; without
 * it the client is unauthenticated (e.g. for signed-request providers that add their own middleware through
 * `transformClient`).
 */
export const make = <EX = never, ET = never>(
  client: HttpClient.HttpClient,
  options: Options<EX> & {
    /** Bearer tokens; their acquisition errors (any type) reach the caller unchanged. */
    readonly tokens?: TokenProvider<ET> | undefined
    /**
     * Extra middleware applied inside the retry loop (each attempt passes through it), e.g. request signing or
     * pacing. It must act when the attempt executes (`HttpClient.transform`), not in `mapRequestEffect`.
     */
    readonly perAttempt?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient | RawClient) | undefined
  }
): ApiClient<EX, ET> => {
  const provider = options.provider
  // A `RetryPolicy` or `RequestLimits` layer provided to the client's own layer (present where the client is built)
  // applies to its API calls too, not only to its token requests; the caller's context is still read per request.
  const built = Fiber.getCurrent()?.context
  const capturedPolicy = built === undefined ? undefined : Context.getOrUndefined(built, RetryPolicy.RetryPolicy)
  const capturedLimits = built === undefined ? undefined : Context.getOrUndefined(built, RequestLimits.Layered)
  // Deadline, body cap, redirects refused, header values checked: on every attempt (see internal/guard.ts).
  const guarded = Guard.guard({
    provider,
    limits: options.limits,
    captured: capturedLimits,
    propagateTraceHeaders: options.propagateTraceHeaders
  })(client) as HttpClient.HttpClient
  const base = HttpClient.mapRequest(guarded, (request) => {
    let next = HttpClientRequest.prependUrl(request, options.baseUrl)
    if (options.headers !== undefined) {
      for (const [key, value] of Object.entries(options.headers)) {
        if (!Headers.has(next.headers, key)) next = HttpClientRequest.setHeader(next, key, value)
      }
    }
    return next
  })
  // HttpClient.With is invariant in its error type; every layer here only widens it.
  const attempt = options.transformClient === undefined ? base : options.transformClient(base)
  const signed = (options.perAttempt === undefined ? attempt : options.perAttempt(attempt)) as RawClient
  const retried = RetryPolicy.retry({ ...options.retry, provider, captured: capturedPolicy })(signed) as RawClient
  const http = (options.tokens === undefined ? retried : bearer(options.tokens)(retried)) as RawClient<ET>
  const isSuccess = options.isSuccess ?? ((status: number) => status >= 200 && status < 300)

  const withSecrets = Redaction.withSecrets(options.secrets ?? [])
  const ok = (request: HttpClientRequest.HttpClientRequest) =>
    withSecrets(
      Effect.matchEffect(http.execute(request), {
        onFailure: (error): Effect.Effect<never, RequestError | EX | ET> =>
          HttpClientError.isHttpClientError(error)
            ? Effect.flatMap(Redaction.collect(error.request), (secrets) =>
                Effect.fail(transportError(provider, error, secrets))
              )
            : Effect.fail(error),
        onSuccess: (response): Effect.Effect<HttpClientResponse.HttpClientResponse, RequestError | EX | ET> => {
          if (isSuccess(response.status)) return Effect.succeed(response)
          return Effect.flatMap(
            readFailure(provider, response, options.errorFields, options.requestIdHeader),
            (failure) => {
              const special = options.classify?.(failure)
              return Effect.fail(special ?? classifyStatus(failure))
            }
          )
        }
      })
    )

  const decodeFailure = (response: HttpClientResponse.HttpClientResponse, detail: string) =>
    Effect.map(
      withSecrets(Redaction.collect(response.request)),
      (secrets) =>
        new DecodeError({
          provider,
          method: response.request.method,
          path: pathOf(response.request),
          status: response.status,
          requestId: requestIdOf(response, options.requestIdHeader),
          detail: truncate(Redaction.scrub(detail, secrets), 500)
        })
    )

  const decode = <S extends Schema.Constraint & { readonly DecodingServices: never }>(schema: S) => {
    const decodeBody = decoderOf(schema) as (body: unknown) => Effect.Effect<S["Type"], Schema.SchemaError>
    const fromText = (response: HttpClientResponse.HttpClientResponse, text: string) => {
      const body = parseJson(text)
      if (body === undefined) {
        return Effect.flip(decodeFailure(response, text.length === 0 ? "empty body" : "body is not JSON"))
      }
      return Effect.catch(decodeBody(body), (error) => Effect.flip(decodeFailure(response, error.message)))
    }
    return (response: HttpClientResponse.HttpClientResponse): Effect.Effect<S["Type"], DecodeError> => {
      // Responses from `ok` are already in memory (the guard read them): their text needs no effect.
      const buffered = Guard.bufferedText(response)
      if (buffered !== undefined) return fromText(response, buffered)
      return Effect.flatMap(
        Effect.catch(response.text, (e) => Effect.flip(decodeFailure(response, e.reason._tag))),
        (text) => fromText(response, text)
      )
    }
  }

  const json = <S extends Schema.Constraint & { readonly DecodingServices: never }>(schema: S) => {
    const decodeResponse = decode(schema)
    return (request: HttpClientRequest.HttpClientRequest): Effect.Effect<S["Type"], RequestError | EX | ET> =>
      Effect.flatMap(ok(request), decodeResponse)
  }

  const bytes = (request: HttpClientRequest.HttpClientRequest) =>
    Effect.flatMap(asDownload(ok(request)), (response) =>
      Effect.catch(
        Effect.map(response.arrayBuffer, (buffer) => new Uint8Array(buffer)),
        (e) => Effect.flip(decodeFailure(response, e.reason._tag))
      )
    )

  return { provider, http, ok, json, decode, bytes }
}
