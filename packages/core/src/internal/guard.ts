/**
 * The per-attempt guard ApiClient puts directly over the app's HttpClient (so every attempt, first or retried,
 * token request or API call, passes through it):
 *
 * - header values are checked before sending (CR, LF, NUL, non-Latin-1 -> `InvalidRequestError`, nothing sent);
 * - redirects are never followed: `fetch` is told `redirect: "manual"`, and any 3xx (or a browser's opaque
 *   redirect) is refused with an `ApiError` (code `redirect_refused`);
 * - one deadline covers the attempt, from sending until the whole body is read: when it runs out, the attempt's
 *   own request scope is closed, which aborts the request's `AbortSignal` (no fiber is forked per attempt; every
 *   effect platform client honours the signal, and a custom one must); under a TestClock, `Effect.timeoutOrElse`;
 * - the body is read incrementally into memory under a byte cap, then handed on as a buffered response;
 * - a defect thrown by the platform client (e.g. `http.request` refusing a header) becomes a transport failure;
 * - the attempt's client span is recorded here (effect's attributes plus `nordkit.attempt`), the platform client's
 *   own switched off (see `recordRequest`).
 *
 * A deadline that runs out fails the attempt as a transport failure carrying `DeadlineExceeded`, so the retry
 * policy treats it like any failure after sending (idempotent requests retried, POSTs not replayed); the
 * error mapping turns it into `TimeoutError`.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as HttpTraceContext from "effect/http/HttpTraceContext"
import * as Url from "effect/http/Url"
import * as UrlParams from "effect/http/UrlParams"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as References from "effect/References"
import type * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as BoundedBody from "../BoundedBody.ts"
import * as Metrics from "../Metrics.ts"
import {
  ApiError,
  InvalidRequestError,
  ResponseTooLargeError,
  type TimeoutPhase,
  type TransportKind
} from "../NordkitError.ts"
import * as RequestLimits from "../RequestLimits.ts"
import * as BodyBytes from "./bodyBytes.ts"

/** Set by `ApiClient.bytes`: the attempt reads a download, under the download cap. */
export const Download = Context.Reference<boolean>("@nordkit/core/internal/guard/Download", {
  defaultValue: () => false
})

/** The attempt counter of one call: absent on a first attempt, set by the retry policy when it retries. */
export const Attempts = Context.Reference<{ n: number } | undefined>("@nordkit/core/internal/guard/Attempts", {
  defaultValue: () => undefined
})

/** The cause carried by a transport failure whose deadline ran out. */
export class DeadlineExceeded {
  readonly _tag = "DeadlineExceeded"
  readonly phase: TimeoutPhase
  readonly timeoutMillis: number
  constructor(phase: TimeoutPhase, timeoutMillis: number) {
    this.phase = phase
    this.timeoutMillis = timeoutMillis
  }
  get message() {
    return `no ${this.phase === "body" ? "complete body" : "response"} within ${this.timeoutMillis} ms`
  }
}

export const pathOf = (request: HttpClientRequest.HttpClientRequest): string => pathOfUrl(request.url)

/** The path of a URL (or of a bare path), without query or fragment: safe to put in an error. */
export const pathOfUrl = (url: string): string => {
  const scheme = url.indexOf("://")
  const start = scheme >= 0 ? url.indexOf("/", scheme + 3) : 0
  const path = start < 0 ? "/" : url.slice(start)
  const end = path.search(/[?#]/)
  return end < 0 ? path : path.slice(0, end)
}

const invalidHeaderValue = /[^\t\x20-\x7e\x80-\xff]/
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** Why a header cannot be sent, or undefined. Never echoes the value (it may be a secret). */
export const headerProblem = (name: string, value: string): string | undefined => {
  if (!headerName.test(name)) return `header name ${JSON.stringify(name.slice(0, 40))} is not a valid token`
  if (invalidHeaderValue.test(value))
    return `header ${name} contains CR, LF, NUL, another control character or a character outside Latin-1`
  return undefined
}

/** Dot segments left in a path (`/./`, `/../`) would move the request to another endpoint. */
const dotSegment = /(^|\/)(\.|%2e){1,2}(\/|$)/i

/** The kind of a platform transport failure and whether the request may have reached the server. */
/** Platform error codes by kind, and whether the request may have reached the server; the first match wins. */
const transportCodes: ReadonlyArray<readonly [RegExp, TransportKind, boolean]> = [
  [/^ECONNREFUSED$/, "refused", false],
  [/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME)$/, "dns", false],
  [/^UND_ERR_CONNECT_TIMEOUT$/, "timeout", false],
  [/^(ETIMEDOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT)$/, "timeout", true],
  [/^(ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED|ECONNABORTED|HPE_.*)$/, "reset", true],
  [/^(ERR_TLS|ERR_SSL)|CERT|^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|EPROTO)$/, "tls", false],
  [/^ERR_INVALID_(CHAR|HTTP_TOKEN|URL)$/, "invalid-request", false]
]

export const classifyTransport = (
  cause: unknown
): { readonly kind: TransportKind; readonly mayHaveReachedServer: boolean; readonly code?: string | undefined } => {
  let current: unknown = cause
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    if (current instanceof DeadlineExceeded) return { kind: "timeout", mayHaveReachedServer: true }
    const code = typeof current === "object" ? (current as { code?: unknown }).code : undefined
    const name = typeof current === "object" ? (current as { name?: unknown }).name : undefined
    if (typeof code === "string") {
      for (const [pattern, kind, mayHaveReachedServer] of transportCodes)
        if (pattern.test(code)) return { kind, mayHaveReachedServer, code }
    }
    if (name === "AbortError") return { kind: "aborted", mayHaveReachedServer: true }
    current = typeof current === "object" ? (current as { cause?: unknown }).cause : undefined
  }
  return { kind: "unknown", mayHaveReachedServer: true }
}

const transportFailure = (request: HttpClientRequest.HttpClientRequest, cause: unknown, description?: string) =>
  new HttpClientError.HttpClientError({
    reason: new HttpClientError.TransportError(
      description === undefined ? { request, cause } : { request, cause, description }
    )
  })

const Oversized = BoundedBody.Oversized
type Oversized = BoundedBody.Oversized

const emptyBody = new Uint8Array(0)

/** A body cut short (reset, aborted) is a transport failure after the request reached the server. */
const cutShort = (response: HttpClientResponse.HttpClientResponse, error: HttpClientError.HttpClientError) =>
  error.reason._tag === "DecodeError"
    ? transportFailure(response.request, error.reason.cause, "the body could not be read")
    : error

/**
 * Reads a body whose `content-length` is within the cap in one go (the platform clients enforce the announced
 * length, so it bounds what is read).
 */
const readAnnounced = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<Uint8Array, HttpClientError.HttpClientError> => {
  const bytes = BodyBytes.of(response)
  return bytes !== undefined
    ? Effect.mapError(bytes, (error) => cutShort(response, error))
    : Effect.mapBoth(response.arrayBuffer, {
        onFailure: (error) => cutShort(response, error),
        onSuccess: (buffer) => new Uint8Array(buffer)
      })
}

/**
 * Whether `Content-Length` bounds what reading the body puts in memory: not when the body is compressed (`fetch`
 * decodes it, so 20 KB of gzip can become 20 MiB), and not when a header may be hidden (a browser shows no
 * `Content-Encoding` of a cross-origin response). Otherwise the body is read incrementally under the cap.
 */
const lengthBoundsBody = (response: HttpClientResponse.HttpClientResponse, headers: Headers.Headers): boolean => {
  const encoding = headers["content-encoding"]
  if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") return false
  const origin = (globalThis as { readonly location?: { readonly origin?: unknown } }).location?.origin
  return typeof origin !== "string" || response.request.url.startsWith(`${origin}/`)
}

/** Reads `response.stream` into memory, failing with `Oversized` as soon as more than `cap` bytes arrived. */
const readCapped = (
  response: HttpClientResponse.HttpClientResponse,
  cap: number
): Effect.Effect<Uint8Array, HttpClientError.HttpClientError | Oversized> =>
  Effect.catch(
    BoundedBody.collect(response.stream, cap),
    (error): Effect.Effect<Uint8Array, HttpClientError.HttpClientError | Oversized> => {
      if (error._tag === "Oversized") return Effect.fail(error)
      if (error.reason._tag === "EmptyBodyError") return Effect.succeed(emptyBody)
      return Effect.fail(cutShort(response, error))
    }
  )

/**
 * Releases a body we will not read (one chunk at most is pulled, then the stream is closed). `Effect.catch`, not
 * `Effect.ignore`: `ignore` can log, which keeps effect's loggers in every browser bundle.
 */
const discard = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<void> =>
  Effect.catch(
    Stream.runForEach(response.stream, () => Effect.fail(new Oversized())),
    () => Effect.void
  )

const decodeFailure = (response: HttpClientResponse.HttpClientResponse, cause: unknown) =>
  new HttpClientError.HttpClientError({
    reason: new HttpClientError.DecodeError({ request: response.request, response, cause })
  })

const textDecoder = new TextDecoder()

/** The body of a response the guard read into memory, as text; undefined for any other response. */
export const bufferedText = (response: HttpClientResponse.HttpClientResponse): string | undefined =>
  response instanceof BufferedResponse ? response.readText() : undefined

/** `response` with its body already in memory: every read is served from `bytes`. */
class BufferedResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: typeof HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: typeof HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly original: HttpClientResponse.HttpClientResponse
  /** Read once: some platform responses build their headers object anew on every access. */
  readonly headers: Headers.Headers
  readonly bytes: Uint8Array
  private decoded: string | undefined

  constructor(original: HttpClientResponse.HttpClientResponse, headers: Headers.Headers, bytes: Uint8Array) {
    super()
    this.original = original
    this.headers = headers
    this.bytes = bytes
  }

  get request() {
    return this.original.request
  }
  get url() {
    return this.original.url
  }
  get status() {
    return this.original.status
  }
  get cookies() {
    return this.original.cookies
  }
  get remoteAddress() {
    return this.original.remoteAddress
  }
  get formData() {
    return this.original.formData
  }
  get upgrade() {
    return this.original.upgrade
  }
  readText(): string {
    this.decoded ??= textDecoder.decode(this.bytes)
    return this.decoded
  }
  get text(): Effect.Effect<string, HttpClientError.HttpClientError> {
    return Effect.sync(() => this.readText())
  }
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.HttpClientError> {
    return Effect.sync(
      () => this.bytes.buffer.slice(this.bytes.byteOffset, this.bytes.byteOffset + this.bytes.byteLength) as ArrayBuffer
    )
  }
  get json(): Effect.Effect<Schema.Json, HttpClientError.HttpClientError> {
    return Effect.try({
      try: () => {
        const body = this.readText()
        return body === "" ? null : JSON.parse(body)
      },
      catch: (cause): HttpClientError.HttpClientError => decodeFailure(this, cause)
    })
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.HttpClientError> {
    return Effect.try({
      try: () => UrlParams.fromInput(new URLSearchParams(this.readText())),
      catch: (cause): HttpClientError.HttpClientError => decodeFailure(this, cause)
    })
  }
  get stream(): Stream.Stream<Uint8Array, HttpClientError.HttpClientError> {
    return Stream.succeed(this.bytes)
  }
  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, { _id: "HttpClientResponse", status: this.status })
  }
  pipe() {
    // biome-ignore lint/complexity/noArguments: the Pipeable protocol
    return pipeArguments(this, arguments)
  }
}

let realClock: Clock.Clock | undefined
/** Whether `clock` is effect's own Clock (not a TestClock); read lazily, so importing this module runs nothing. */
const isRealClock = (clock: Clock.Clock): boolean => {
  if (realClock === undefined) realClock = Effect.runSync(Effect.clockWith(Effect.succeed))
  return clock === realClock
}

export interface Options {
  readonly provider: string
  readonly limits?: RequestLimits.Limits | undefined
  /** Limits layers provided where the client was built; on top of the caller's (`RequestLimits.merge`). */
  readonly captured?: RequestLimits.LayeredLimits | undefined
  /** Send tracing headers (`traceparent`, `b3`) to the provider. Default false (spans are recorded either way). */
  readonly propagateTraceHeaders?: boolean | undefined
}

/**
 * The deadlines of the attempts in flight, on one timer armed for the earliest of them (instead of a timer per
 * attempt). Like a timer per attempt, it keeps a Node process alive while an attempt waits for its deadline, and
 * not once none does (`ref` / `unref` where the platform has them); a finished attempt just leaves the set.
 */
const Deadlines = /* @__PURE__ */ (() => {
  interface Entry {
    readonly at: number
    readonly expire: () => void
  }
  type Handle = ReturnType<typeof setTimeout> & { ref?: () => unknown; unref?: () => unknown }
  const pending = new Set<Entry>()
  let timer: Handle | undefined
  let armedAt = Infinity
  const arm = (at: number) => {
    if (timer !== undefined) clearTimeout(timer)
    armedAt = at
    timer = setTimeout(sweep, Math.max(0, at - Date.now())) as Handle
  }
  const sweep = () => {
    timer = undefined
    armedAt = Infinity
    const now = Date.now()
    let next = Infinity
    for (const entry of pending) {
      if (entry.at <= now) {
        pending.delete(entry)
        entry.expire()
      } else if (entry.at < next) next = entry.at
    }
    if (next !== Infinity) arm(next)
  }
  return {
    add: (millis: number, expire: () => void): Entry => {
      const entry = { at: Date.now() + millis, expire }
      pending.add(entry)
      if (entry.at < armedAt) arm(entry.at)
      else if (pending.size === 1) timer?.ref?.()
      return entry
    },
    remove: (entry: Entry): void => {
      if (pending.delete(entry) && pending.size === 0) timer?.unref?.()
    }
  }
})()

/** Closes an attempt's Scope from plain code (a timer, an exit hook): its finalizer aborts the request. */
const closeScope = (scope: Scope.Closeable): void => {
  const finalizing = Scope.closeUnsafe(scope, Exit.void)
  if (finalizing !== undefined) Effect.runFork(finalizing)
}

const defaultPorts: Readonly<Record<string, number>> = { "http:": 80, "https:": 443 }
const constTrue = () => true
const clientSpan: Tracer.SpanOptionsNoTrace = { kind: "client" }

/**
 * Records on the attempt's client span what effect's platform clients record on theirs (method, `url.*`,
 * `server.*`, the request headers the app's `TracerHeaderFilter` admits), plus `nordkit.attempt`. The guard records
 * this span itself and switches the platform client's off (`TracerDisabledWhen`): effect's enters the span as the
 * current one (a context change per request) and wraps the request in an uninterruptible region, which over loopback
 * cost about a sixth of a request's CPU; nothing below the guard needs the span as a parent.
 */
const recordRequest = (
  span: Tracer.Span,
  fiber: Fiber.Fiber<unknown, unknown>,
  request: HttpClientRequest.HttpClientRequest,
  attempt: number
): void => {
  span.attribute("http.request.method", request.method)
  span.attribute("nordkit.attempt", attempt)
  const parsed = Url.make(request.url, request.urlParams, Option.getOrUndefined(request.hash))
  if (parsed._tag === "Success") {
    const u = parsed.success
    let redacted = fiber.getRef(UrlParams.CurrentRedactedNames)
    // Parameters given as Redacted values are redacted by name, as effect's clients do.
    for (const [key, value] of request.urlParams.params) if (typeof value !== "string") redacted = [...redacted, key]
    const query = UrlParams.redactUrl(u.search, redacted).slice(1)
    if (query !== "") span.attribute("url.query", query)
    span.attribute("url.full", UrlParams.redactUrl(u.href, redacted))
    span.attribute("url.path", u.pathname)
    span.attribute("url.scheme", u.protocol.slice(0, -1))
    const host = u.hostname
    if (host !== "") {
      span.attribute("server.address", host.startsWith("[") ? host.slice(1, -1) : host)
      const port = u.port === "" ? defaultPorts[u.protocol] : Number(u.port)
      if (port !== undefined) span.attribute("server.port", port)
    }
  }
  addHeaderAttributes(span, fiber, "request", request.headers)
}

/** The header attributes effect's clients record: only headers the app's `TracerHeaderFilter` admits (none by default). */
const addHeaderAttributes = (
  span: Tracer.Span,
  fiber: Fiber.Fiber<unknown, unknown>,
  phase: "request" | "response",
  headers: Headers.Headers
): void => {
  const filter = fiber.getRef(HttpClient.TracerHeaderFilter)
  let redacted: ReadonlyArray<string | RegExp> | undefined
  for (const name in headers) {
    if (!filter(name, phase)) continue
    redacted ??= fiber.getRef(Headers.CurrentRedactedNames)
    span.attribute(
      `http.${phase}.header.${name}`,
      Headers.isRedactedName(name, redacted) ? "<redacted>" : headers[name]
    )
  }
}

/**
 * Records the answer on the attempt's span; a 4xx or 5xx ends it as failed (OpenTelemetry's rule for client spans),
 * though the attempt itself succeeds with the response.
 */
const recordAnswer = (
  fiber: Fiber.Fiber<unknown, unknown>,
  span: Tracer.Span,
  response: HttpClientResponse.HttpClientResponse
): void => {
  const status = response.status
  span.attribute("http.response.status_code", status)
  addHeaderAttributes(span, fiber, "response", response.headers)
  if (status >= 400 && status < 600) {
    span.attribute("error.type", String(status))
    const exit = Exit.fail(
      new HttpClientError.HttpClientError({
        reason: new HttpClientError.StatusCodeError({ request: response.request, response })
      })
    )
    span.end(
      fiber.getRef(References.TracerTimingEnabled) ? fiber.getRef(Clock.Clock).currentTimeNanosUnsafe() : 0n,
      exit
    )
  }
}

const manualRedirects: globalThis.RequestInit = { redirect: "manual" }
const redirectInits = new WeakMap<globalThis.RequestInit, globalThis.RequestInit>()
/** The app's `RequestInit` with `redirect: "manual"` (one object per app value, not one per attempt). */
const redirectInit = (init: globalThis.RequestInit | undefined): globalThis.RequestInit => {
  if (init === undefined) return manualRedirects
  let manual = redirectInits.get(init)
  if (manual === undefined) {
    manual = { ...init, redirect: "manual" }
    redirectInits.set(init, manual)
  }
  return manual
}

/** The guard (see the module comment). */
export const guard =
  (options: Options) =>
  <E, R>(
    client: HttpClient.HttpClient.With<E, R>
  ): HttpClient.HttpClient.With<
    E | HttpClientError.HttpClientError | InvalidRequestError | ApiError | ResponseTooLargeError,
    R
  > => {
    // Limits are resolved again only when the layer or per-call references change.
    let lastLayered: RequestLimits.LayeredLimits | undefined
    let lastPerCall: RequestLimits.Limits | undefined
    let lastResolved = RequestLimits.defaults
    const resolve = (layered: RequestLimits.LayeredLimits, perCall: RequestLimits.Limits) => {
      if (layered !== lastLayered || perCall !== lastPerCall) {
        lastResolved = RequestLimits.resolve(
          options.provider,
          RequestLimits.merge(layered, options.captured),
          options.limits,
          perCall
        )
        lastLayered = layered
        lastPerCall = perCall
      }
      return lastResolved
    }
    // The production path hands the platform client a request lifetime of its own (`HttpClient.withScope`, one
    // Scope per attempt), so the deadline can abort the request without forking a fiber (see `attemptUnder`).
    const scoped = HttpClient.withScope(client)
    // No trace headers to a third party unless asked for (spans are still recorded).
    const propagate = options.propagateTraceHeaders === true
    type Out = E | HttpClientError.HttpClientError | InvalidRequestError | ApiError | ResponseTooLargeError
    return HttpClient.makeWith<E, R, Out, R>(
      (requestEffect) =>
        Effect.flatMap(requestEffect, (request) =>
          Effect.withFiber<HttpClientResponse.HttpClientResponse, Out, R>((fiber) => {
            const provider = options.provider
            const path = pathOf(request)
            const headers = request.headers
            for (const name in headers) {
              const problem = headerProblem(name, headers[name] as string)
              if (problem !== undefined) {
                return Effect.fail(new InvalidRequestError({ provider, method: request.method, path, detail: problem }))
              }
            }
            if (dotSegment.test(path)) {
              return Effect.fail(
                new InvalidRequestError({
                  provider,
                  method: request.method,
                  path,
                  detail: "the path has a dot segment; it would not address the intended resource"
                })
              )
            }
            const limits = resolve(fiber.getRef(RequestLimits.Layered), fiber.getRef(RequestLimits.PerCall))
            const cap = fiber.getRef(Download) ? limits.maxDownloadBytes : limits.maxBodyBytes
            const counter = fiber.getRef(Attempts)
            const attempt = counter === undefined ? 1 : ++counter.n
            const where = { provider, method: request.method, path }
            const context = fiber.context
            Metrics.add(Metrics.attempts, provider, context)
            if (attempt > 1) Metrics.add(Metrics.retries, provider, context)
            const millis = limits.timeoutMillis
            const state: { phase: TimeoutPhase } = { phase: "headers" }
            let span: Tracer.Span | undefined

            const read = (
              response: HttpClientResponse.HttpClientResponse
            ): Effect.Effect<HttpClientResponse.HttpClientResponse, Out> => {
              state.phase = "body"
              const status = response.status
              const responseHeaders = response.headers
              if (span !== undefined) recordAnswer(fiber, span, response)
              // 304 Not Modified is an answer, not a redirect (e.g. Monerium's `POST /ibans` when an IBAN exists).
              if (status === 0 || (status >= 300 && status < 400 && status !== 304)) {
                return Effect.andThen(
                  discard(response),
                  Effect.suspend(() => {
                    Metrics.add(Metrics.redirectsRefused, provider, context)
                    const location = responseHeaders.location
                    const target =
                      location !== undefined && URL.canParse(location, request.url)
                        ? new URL(location, request.url).origin
                        : undefined
                    return Effect.fail(
                      new ApiError({
                        ...where,
                        status,
                        code: "redirect_refused",
                        detail: `redirect${target === undefined ? "" : ` to ${target}`} not followed: nordkit never follows redirects`
                      })
                    )
                  })
                )
              }
              const announced = Number(responseHeaders["content-length"])
              const contentLength = Number.isFinite(announced) && announced >= 0 ? announced : undefined
              const tooLarge = () =>
                Effect.suspend(() => {
                  Metrics.add(Metrics.bodiesOverCap, provider, context)
                  return Effect.fail(new ResponseTooLargeError({ ...where, status, limitBytes: cap, contentLength }))
                })
              // A HEAD answer announces the length of a body it does not send.
              if (contentLength !== undefined && contentLength > cap && request.method !== "HEAD") {
                return Effect.andThen(discard(response), tooLarge())
              }
              const bytes =
                contentLength !== undefined && lengthBoundsBody(response, responseHeaders)
                  ? readAnnounced(response)
                  : Effect.catchIf(
                      readCapped(response, cap),
                      (error): error is Oversized => error instanceof Oversized,
                      tooLarge
                    )
              return Effect.map(
                bytes,
                (body) => new BufferedResponse(response, responseHeaders, body) as HttpClientResponse.HttpClientResponse
              )
            }
            const attempt$ = (effect: Effect.Effect<HttpClientResponse.HttpClientResponse, E, any>) =>
              Effect.flatMap(
                Effect.catchDefect(effect, (defect) =>
                  Effect.fail(transportFailure(request, defect, "the HTTP client failed"))
                ),
                read
              )
            const timedOut = () => {
              Metrics.add(Metrics.timeouts, provider, context)
              return Effect.fail(
                transportFailure(request, new DeadlineExceeded(state.phase, millis), `deadline of ${millis} ms`)
              )
            }
            const init = redirectInit(Context.getOrUndefined(context, FetchHttpClient.RequestInit))

            // One context update per attempt: `redirect: "manual"` for fetch, the platform client's span off (the
            // guard records the attempt's span, see `recordRequest`), and (below) the attempt's request scope.
            const attemptContext =
              (scope: Scope.Scope | undefined) =>
              (current: Context.Context<never>): Context.Context<R> => {
                const base = Context.add(
                  Context.add(current, HttpClient.TracerDisabledWhen, constTrue),
                  FetchHttpClient.RequestInit,
                  init
                )
                return (scope === undefined ? base : Context.add(base, Scope.Scope, scope)) as Context.Context<R>
              }

            const run = (sent: HttpClientRequest.HttpClientRequest) => {
              if (!(millis > 0 && millis <= 2_147_483_647) || !isRealClock(fiber.getRef(Clock.Clock))) {
                // Another Clock (a TestClock): the attempt runs in a child fiber, interrupted when the deadline runs
                // out on that clock, so tests that move time see the same deadline.
                return Effect.updateContext(
                  Effect.timeoutOrElse(attempt$(client.postprocess(Effect.succeed(sent))), {
                    duration: millis,
                    orElse: timedOut
                  }) as Effect.Effect<HttpClientResponse.HttpClientResponse, Out, R>,
                  attemptContext(undefined)
                ) as Effect.Effect<HttpClientResponse.HttpClientResponse, Out, R>
              }

              // Effect's own Clock: a timer aborts the attempt's request through its Scope (the platform client fails
              // the request and any body read with an abort), and the failure that follows becomes the deadline's. The
              // attempt runs on the caller's fiber: no fork, no second fiber to resume from.
              const scope = Scope.makeUnsafe()
              let expired = false
              const deadline = Deadlines.add(millis, () => {
                expired = true
                closeScope(scope)
              })
              return Effect.updateContext(
                Effect.onExit<HttpClientResponse.HttpClientResponse, Out, R, never, never>(
                  Effect.catchCause(attempt$(scoped.postprocess(Effect.succeed(sent))), (cause) =>
                    expired && !Cause.hasInterruptsOnly(cause) ? timedOut() : Effect.failCause(cause)
                  ),
                  (exit) => {
                    Deadlines.remove(deadline)
                    // After a complete body nothing is left to release; otherwise (a failure, an interruption, a
                    // refused redirect) the request is aborted, which also frees its connection.
                    if (exit._tag === "Failure") closeScope(scope)
                    return Effect.void
                  }
                ),
                attemptContext(scope)
              ) as Effect.Effect<HttpClientResponse.HttpClientResponse, Out, R>
            }

            // The attempt's client span (see `recordRequest`), unless the app turned client spans off for it.
            if (fiber.getRef(Tracer.DisablePropagation) || fiber.getRef(HttpClient.TracerDisabledWhen)(request)) {
              return run(request)
            }
            return Effect.useSpan(fiber.getRef(HttpClient.SpanNameGenerator)(request), clientSpan, (attemptSpan) => {
              span = attemptSpan
              recordRequest(attemptSpan, fiber, request, attempt)
              return run(
                propagate && fiber.getRef(HttpClient.TracerPropagationEnabled)
                  ? HttpClientRequest.setHeaders(request, HttpTraceContext.toHeaders(attemptSpan))
                  : request
              )
            })
          })
        ),
      client.preprocess
    )
  }
