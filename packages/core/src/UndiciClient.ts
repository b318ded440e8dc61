/**
 * An `HttpClient` for Node over undici's `Dispatcher` — the one `@effect/platform-node` provides
 * (`NodeHttpClient.Dispatcher`) — with less work per request than `NodeHttpClient.layerUndici`.
 *
 * Effect's undici client calls `dispatcher.request`, which builds a Node `Readable` for every response body, and
 * reads it with a promise per read. This client dispatches with a handler of its own: body chunks go into a small
 * in-memory queue, reading the whole body completes when the last chunk arrives, and `response.stream` pulls from
 * the queue. Backpressure is kept: a stream reader that falls more than {@link highWaterMark} bytes behind pauses the
 * connection until it catches up. Everything else is effect's: `HttpClient.make` (URL, span, abort signal, request
 * scope), the `Dispatcher` service (connection pool and its options), `NodeHttpClient.UndiciOptions`, and the error
 * types (`TransportError` before the response head, `DecodeError` while reading the body).
 *
 * Requests with a `Stream` or `FormData` body, and upgrade requests, are sent by effect's own undici client on the
 * same dispatcher (the conversions are its).
 *
 * Node only; not part of `@nordkit/core`'s main entry. With nordkit's clients:
 *
 * ```ts
 * import * as UndiciClient from "@nordkit/core/UndiciClient"
 * MoneriumClient.layer(options).pipe(Layer.provide(UndiciClient.layer))
 * ```
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as Undici from "@effect/platform-node/Undici"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Cookies from "effect/http/Cookies"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as UrlParams from "effect/http/UrlParams"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import type * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as Socket from "effect/socket/Socket"
import * as BoundedBody from "./BoundedBody.ts"
import * as BodyBytes from "./internal/bodyBytes.ts"

/** Bytes a `response.stream` reader may fall behind before the connection is paused (reading it whole never pauses). */
export const highWaterMark = 64 * 1024

const textDecoder = new TextDecoder()

/** The body of one response as it arrives: a queue of chunks, its end or its failure, and at most one waiter. */
class Body {
  readonly controller: Undici.Dispatcher.DispatchController
  chunks: Array<Uint8Array> = []
  queued = 0
  ended = false
  failure: unknown = undefined
  /** A whole-body read is waiting: do not pause. */
  whole = false
  waiter: (() => void) | undefined = undefined

  constructor(controller: Undici.Dispatcher.DispatchController) {
    this.controller = controller
  }
  push(chunk: Uint8Array): void {
    this.chunks.push(chunk)
    this.queued += chunk.byteLength
    // A whole-body read waits for the end only.
    if (this.whole) return
    if (this.queued > highWaterMark) this.controller.pause()
    this.wake()
  }
  end(failure?: unknown): void {
    if (this.ended) return
    this.ended = true
    this.failure = failure
    this.wake()
  }
  wake(): void {
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      waiter()
    }
  }
  /** Takes every queued chunk (resuming a paused connection). */
  take(): Array<Uint8Array> {
    const chunks = this.chunks
    this.chunks = []
    this.queued = 0
    if (this.controller.paused) this.controller.resume()
    return chunks
  }
  /** Completes when something new has arrived (a chunk, the end or a failure). */
  arrival(): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      if (this.chunks.length > 0 || this.ended) return resume(Effect.void)
      this.waiter = () => resume(Effect.void)
      return Effect.sync(() => {
        this.waiter = undefined
      })
    })
  }
}

class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: typeof HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: typeof HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly request: HttpClientRequest.HttpClientRequest
  readonly url: string
  readonly status: number
  readonly rawHeaders: Undici.Dispatcher.ResponseData["headers"]
  readonly body: Body
  private cachedHeaders: Headers.Headers | undefined
  private cachedCookies: Cookies.Cookies | undefined
  /** The rest of the body, once read whole. */
  private bytes: Uint8Array | undefined

  constructor(
    request: HttpClientRequest.HttpClientRequest,
    url: string,
    status: number,
    headers: Undici.Dispatcher.ResponseData["headers"],
    body: Body
  ) {
    super()
    this.request = request
    this.url = url
    this.status = status
    this.rawHeaders = headers
    this.body = body
  }

  get statusText() {
    return undefined
  }
  get headers(): Headers.Headers {
    this.cachedHeaders ??= Headers.fromInput(this.rawHeaders as Headers.Input)
    return this.cachedHeaders
  }
  get cookies(): Cookies.Cookies {
    if (this.cachedCookies === undefined) {
      const header = this.rawHeaders["set-cookie"]
      this.cachedCookies = header ? Cookies.fromSetCookie(header) : Cookies.empty
    }
    return this.cachedCookies
  }
  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  private decodeError(cause: unknown): HttpClientError.HttpClientError {
    return new HttpClientError.HttpClientError({
      reason: new HttpClientError.DecodeError({ request: this.request, response: this, cause })
    })
  }

  /** The whole (rest of the) body, read once. */
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.HttpClientError> {
    return Effect.map(this.whole, (bytes) =>
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? (bytes.buffer as ArrayBuffer)
        : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer)
    )
  }
  /** The body as it arrived, for the guard (no `ArrayBuffer` copy). */
  get [BodyBytes.TypeId](): Effect.Effect<Uint8Array, HttpClientError.HttpClientError> {
    return this.whole
  }
  private get whole(): Effect.Effect<Uint8Array, HttpClientError.HttpClientError> {
    if (this.bytes !== undefined) return Effect.succeed(this.bytes)
    const body = this.body
    const finish = (): Effect.Effect<Uint8Array, HttpClientError.HttpClientError> => {
      if (body.failure !== undefined) return Effect.fail(this.decodeError(body.failure))
      const chunks = body.take()
      this.bytes = BoundedBody.concat(chunks)
      return Effect.succeed(this.bytes)
    }
    if (body.ended) return finish()
    body.whole = true
    if (body.controller.paused) body.controller.resume()
    const wait: Effect.Effect<Uint8Array, HttpClientError.HttpClientError> = Effect.flatMap(body.arrival(), () =>
      body.ended ? finish() : wait
    )
    return wait
  }
  get text(): Effect.Effect<string, HttpClientError.HttpClientError> {
    return Effect.map(this.whole, (bytes) => textDecoder.decode(bytes))
  }
  get json(): Effect.Effect<Schema.Json, HttpClientError.HttpClientError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => (text === "" ? null : JSON.parse(text)),
        catch: (cause) => this.decodeError(cause)
      })
    )
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.HttpClientError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        // A leading "?" is form data; URLSearchParams would drop it as a query prefix.
        try: () => UrlParams.fromInput(new URLSearchParams(text.replace(/^\?/, "%3F"))),
        catch: (cause) => this.decodeError(cause)
      })
    )
  }
  get formData(): Effect.Effect<FormData, HttpClientError.HttpClientError> {
    return Effect.flatMap(this.arrayBuffer, (buffer) =>
      Effect.tryPromise({
        try: () => new globalThis.Response(buffer, { headers: this.headers }).formData(),
        catch: (cause) => this.decodeError(cause)
      })
    )
  }
  get stream(): Stream.Stream<Uint8Array, HttpClientError.HttpClientError> {
    if (this.bytes !== undefined) return this.bytes.byteLength === 0 ? Stream.empty : Stream.succeed(this.bytes)
    const body = this.body
    const pull: Effect.Effect<
      readonly [Uint8Array, ...Array<Uint8Array>],
      HttpClientError.HttpClientError | Cause.Done
    > = Effect.suspend(() => {
      if (body.chunks.length > 0) return Effect.succeed(body.take() as [Uint8Array, ...Array<Uint8Array>])
      if (body.ended) return body.failure === undefined ? Cause.done() : Effect.fail(this.decodeError(body.failure))
      return Effect.flatMap(body.arrival(), () => pull)
    })
    return Stream.fromPull(Effect.succeed(pull))
  }
  get upgrade(): Effect.Effect<Socket.Socket, HttpClientError.HttpClientError> {
    return Effect.fail(
      new HttpClientError.HttpClientError({
        reason: new HttpClientError.StatusCodeError({
          request: this.request,
          response: this,
          description: "expected 101 Switching Protocols"
        })
      })
    )
  }
  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "effect/http/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
  pipe() {
    // biome-ignore lint/complexity/noArguments: the Pipeable protocol
    return pipeArguments(this, arguments)
  }
}

const transportError = (request: HttpClientRequest.HttpClientRequest, cause: unknown) =>
  new HttpClientError.HttpClientError({ reason: new HttpClientError.TransportError({ request, cause }) })

/** Sends one request and completes with its response head; the body keeps arriving into the response's queue. */
const send = (
  dispatcher: Undici.Dispatcher,
  request: HttpClientRequest.HttpClientRequest,
  url: string,
  signal: AbortSignal,
  options: Undici.Dispatcher.DispatchOptions
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> =>
  Effect.callback<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
    let controller: Undici.Dispatcher.DispatchController | undefined
    let reason: unknown
    let body: Body | undefined
    let settled = false
    const abort = (why: unknown) => {
      reason ??= why
      controller?.abort(reason as Error)
    }
    const onAbort = () => abort(signal.reason)
    const release = () => signal.removeEventListener("abort", onAbort)
    const fail = (cause: unknown) => {
      if (settled) return
      settled = true
      resume(Effect.fail(transportError(request, cause)))
    }
    if (signal.aborted) reason = signal.reason
    else signal.addEventListener("abort", onAbort, { once: true })
    try {
      dispatcher.dispatch(options, {
        onRequestStart(c) {
          controller = c
          if (reason !== undefined) c.abort(reason as Error)
        },
        onResponseStart(c, statusCode, headers) {
          if (statusCode < 200) return
          body = new Body(c)
          settled = true
          resume(Effect.succeed(new UndiciResponse(request, url, statusCode, headers, body)))
        },
        onResponseData(_, chunk) {
          body?.push(chunk)
        },
        onResponseEnd() {
          release()
          body?.end()
        },
        onResponseError(_, cause) {
          release()
          if (body === undefined) fail(cause)
          else body.end(cause)
        }
      })
    } catch (cause) {
      release()
      fail(cause)
    }
    return Effect.sync(() => {
      if (settled) return
      release()
      abort(new globalThis.Error("The request was interrupted"))
    })
  })

/**
 * An `HttpClient` on the current `NodeHttpClient.Dispatcher` (see the module comment). Requests with a `Stream` or
 * `FormData` body and upgrade requests go to effect's undici client on the same dispatcher.
 */
export const make: Effect.Effect<HttpClient.HttpClient, never, NodeHttpClient.Dispatcher> = Effect.gen(function* () {
  const dispatcher = yield* NodeHttpClient.Dispatcher
  const effectClient = yield* NodeHttpClient.makeUndici
  const lean = HttpClient.make((request, url, signal, fiber) => {
    const body = request.body
    return send(dispatcher, request, url.href.split("#")[0] as string, signal, {
      ...fiber.getRef(NodeHttpClient.UndiciOptions),
      method: request.method,
      headers: request.headers,
      origin: url.origin,
      path: url.pathname + url.search,
      body: body._tag === "Uint8Array" || body._tag === "Raw" ? (body.body as Uint8Array) : null,
      // deadlines are effect's (and nordkit's guard's), not undici's
      headersTimeout: 60 * 60 * 1000,
      bodyTimeout: 0
    })
  })
  return HttpClient.makeWith<HttpClientError.HttpClientError, never, HttpClientError.HttpClientError, never>(
    (effect) =>
      Effect.flatMap(effect, (request) => {
        const tag = request.body._tag
        return (tag === "Empty" || tag === "Uint8Array" || tag === "Raw") && request.headers.upgrade === undefined
          ? lean.postprocess(Effect.succeed(request))
          : effectClient.postprocess(Effect.succeed(request))
      }),
    Effect.succeed
  )
})

/** This client on the current `NodeHttpClient.Dispatcher` (provide one, e.g. `NodeHttpClient.layerDispatcherOptions`). */
export const layerNoDispatcher: Layer.Layer<HttpClient.HttpClient, never, NodeHttpClient.Dispatcher> =
  /* @__PURE__ */ Layer.effect(HttpClient.HttpClient, make)

/** This client with a default undici `Agent` of its own, closed with the layer (as `NodeHttpClient.layerUndici`). */
export const layer: Layer.Layer<HttpClient.HttpClient> = /* @__PURE__ */ Layer.provide(
  layerNoDispatcher,
  NodeHttpClient.layerDispatcher
)

/** This client with an undici `Agent` built from `options` (connections per origin, keep-alive, TLS, ...). */
export const layerOptions = (options?: Undici.Agent.Options | undefined): Layer.Layer<HttpClient.HttpClient> =>
  Layer.provide(layerNoDispatcher, NodeHttpClient.layerDispatcherOptions(options))
