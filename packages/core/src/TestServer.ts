/**
 * The shared harness under every provider's protocol-faithful test server: a request log, fault injection
 * (fail the next N requests, 429 with Retry-After, latency), a token registry that follows the Effect Clock,
 * and the two ways to run a server: in memory (an `HttpClient` that calls the handler directly, in the
 * caller's context so `TestClock` applies to both sides) and on a real loopback port.
 *
 * A provider's test server only describes its protocol: a `handle` function from a {@link TestRequest} to a
 * response. The harness is platform-neutral (no `node:` imports); the app provides the `HttpServer`
 * (for example `NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })`).
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpEffect from "effect/http/HttpEffect"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Json from "./Json.ts"

/** What the server saw of one request, as it arrived. */
export interface TestRequest {
  readonly method: string
  /** Path and query exactly as received, e.g. `/v1/sessions/abc?x=1`. */
  readonly url: string
  /** Path without the query. */
  readonly path: string
  readonly query: URLSearchParams
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>
  /** The raw body bytes decoded as UTF-8 ("" when none). */
  readonly body: string
  /** The raw body bytes. */
  readonly bytes: Uint8Array
  /** Effect Clock time when the request arrived (milliseconds). */
  readonly at: number
}

/** A logged request together with the status the server answered. */
export interface LoggedRequest extends TestRequest {
  readonly status: number
}

/** A fault queued for the next matching request. */
export interface Fault {
  readonly status: number
  readonly body?: string | undefined
  readonly contentType?: string | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Only requests whose path contains this string consume the fault. */
  readonly pathIncludes?: string | undefined
  /**
   * Hold the request without answering: it is logged (status 0) at once and answered 503 only when `reset` runs
   * (or after `hangMillis`, when set). Models a server or proxy that accepted the connection and went silent.
   */
  readonly hang?: boolean | undefined
  readonly hangMillis?: number | undefined
}

export interface Controls {
  /** Every request the server has received, oldest first. */
  readonly requests: Effect.Effect<ReadonlyArray<LoggedRequest>>
  readonly clearLog: Effect.Effect<void>
  /** Answer the next `count` matching requests with `fault` instead of handling them. */
  readonly failNext: (count: number, fault: Fault) => Effect.Effect<void>
  /** Answer the next `count` matching requests with 429 and the given `Retry-After` value. */
  readonly rateLimitNext: (
    count: number,
    retryAfter: string | undefined,
    options?: { readonly pathIncludes?: string; readonly body?: string; readonly contentType?: string }
  ) => Effect.Effect<void>
  /**
   * Do not answer the next `count` matching requests (they are logged with status 0): until `reset`, or for
   * `millis` when given.
   */
  readonly hangNext: (
    count: number,
    options?: { readonly pathIncludes?: string | undefined; readonly millis?: number | undefined }
  ) => Effect.Effect<void>
  /** Delay every response by `millis` (Effect Clock). */
  readonly setLatency: (millis: number) => Effect.Effect<void>
  readonly reset: Effect.Effect<void>
}

export type Handler = (request: TestRequest) => Effect.Effect<HttpServerResponse.HttpServerResponse>

export interface TestServer extends Controls {
  /** The server as an HTTP app, ready for `HttpServer.serveEffect` or the in-memory client. */
  readonly app: Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>
}

/** Builds the harness around a provider's protocol handler. */
export const make = Effect.fnUntraced(function* (handle: Handler) {
  const log = yield* Ref.make<Array<LoggedRequest>>([])
  const faults = yield* Ref.make<Array<{ remaining: number; fault: Fault }>>([])
  const latency = yield* Ref.make(0)
  // Hung requests wait on this until `reset` completes it (and installs a fresh one).
  const release = yield* Ref.make(yield* Deferred.make<void>())

  const takeFault = (path: string) =>
    Ref.modify(faults, (queue): [Fault | undefined, Array<{ remaining: number; fault: Fault }>] => {
      const index = queue.findIndex(
        (entry) => entry.fault.pathIncludes === undefined || path.includes(entry.fault.pathIncludes)
      )
      if (index < 0) return [undefined, queue]
      const entry = queue[index]
      const next = queue.slice()
      if (entry.remaining <= 1) next.splice(index, 1)
      else next[index] = { remaining: entry.remaining - 1, fault: entry.fault }
      return [entry.fault, next]
    })

  const app = Effect.gen(function* () {
    const serverRequest = yield* HttpServerRequest.HttpServerRequest
    const bytes = new Uint8Array(yield* Effect.orElseSucceed(serverRequest.arrayBuffer, () => new ArrayBuffer(0)))
    const parsed = new URL(serverRequest.url, "http://test.invalid")
    const headers: Record<string, string> = {}
    for (const [key, value] of Object.entries(serverRequest.headers)) headers[key.toLowerCase()] = String(value)
    const request: TestRequest = {
      method: serverRequest.method,
      url: parsed.pathname + parsed.search,
      path: parsed.pathname,
      query: parsed.searchParams,
      headers,
      body: new TextDecoder().decode(bytes),
      bytes,
      at: yield* Clock.currentTimeMillis
    }
    const delay = yield* Ref.get(latency)
    if (delay > 0) yield* Effect.sleep(delay)
    const fault = yield* takeFault(request.path)
    if (fault?.hang === true) {
      yield* Ref.update(log, (entries) => [...entries, { ...request, status: 0 }])
      const released = Deferred.await(yield* Ref.get(release))
      yield* fault.hangMillis === undefined ? released : Effect.race(released, Effect.sleep(fault.hangMillis))
      return HttpServerResponse.text("released", { status: 503 })
    }
    const response =
      fault === undefined
        ? yield* handle(request)
        : HttpServerResponse.text(fault.body ?? "", {
            status: fault.status,
            contentType: fault.contentType ?? "text/plain",
            headers: fault.headers ?? {}
          })
    yield* Ref.update(log, (entries) => [...entries, { ...request, status: response.status }])
    return response
  })

  const server: TestServer = {
    app,
    requests: Ref.get(log),
    clearLog: Ref.set(log, []),
    failNext: (count, fault) => Ref.update(faults, (queue) => [...queue, { remaining: count, fault }]),
    rateLimitNext: (count, retryAfter, options) =>
      Ref.update(faults, (queue) => [
        ...queue,
        {
          remaining: count,
          fault: {
            status: 429,
            body: options?.body ?? JSON.stringify({ error: "rate_limited" }),
            contentType: options?.contentType ?? "application/json",
            headers: retryAfter === undefined ? {} : { "retry-after": retryAfter },
            pathIncludes: options?.pathIncludes
          }
        }
      ]),
    hangNext: (count, options) =>
      Ref.update(faults, (queue) => [
        ...queue,
        {
          remaining: count,
          fault: { status: 0, hang: true, hangMillis: options?.millis, pathIncludes: options?.pathIncludes }
        }
      ]),
    setLatency: (millis) => Ref.set(latency, millis),
    reset: Effect.all(
      [
        Ref.set(log, []),
        Ref.set(faults, []),
        Ref.set(latency, 0),
        Effect.flatMap(Deferred.make<void>(), (next) =>
          Effect.flatMap(Ref.getAndSet(release, next), (previous) => Deferred.succeed(previous, undefined))
        )
      ],
      { discard: true }
    )
  }
  return server
})

/**
 * An `HttpClient` that answers every request with `app`, in memory. The app runs with the context of the
 * effect that builds the client, so the server and the client share one Clock (TestClock in tests).
 * Requests go through the real web `Request`/`Response` encoding, so headers and bodies are what a network
 * peer would see.
 */
export const makeMemoryClient = (
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>
): Effect.Effect<HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<never>()
    const handler = HttpEffect.toWebHandlerWith<never, HttpServerRequest.HttpServerRequest>(context)(app)
    const fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) =>
      handler(new Request(input, init))) as typeof globalThis.fetch
    const client = yield* Effect.provide(
      Effect.gen(function* () {
        return yield* HttpClient.HttpClient
      }),
      FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetchImpl)))
    )
    return client
  })

/** The in-memory client as a layer. */
export const layerMemoryClient = (
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>
): Layer.Layer<HttpClient.HttpClient> => Layer.effect(HttpClient.HttpClient, makeMemoryClient(app))

/**
 * Serves `app` on the current `HttpServer` for the lifetime of the scope and returns its base URL
 * (`http://127.0.0.1:PORT`). One app per `HttpServer`: give each test server its own server layer (port 0),
 * since two apps served on one server would both run for every request.
 */
export const listen = (
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>
) =>
  Effect.gen(function* () {
    yield* HttpServer.serveEffect()(app)
    const url = yield* HttpServer.addressFormattedWith((address) => Effect.succeed(address))
    return url.replace("0.0.0.0", "127.0.0.1").replace("[::]", "127.0.0.1")
  })

// ---------------------------------------------------------------------------------------------------------
// Token registry
// ---------------------------------------------------------------------------------------------------------

export interface IssuedToken {
  readonly token: string
  readonly subject: string
  readonly expiresAt: number
  readonly data: Readonly<Record<string, unknown>>
}

export type TokenCheck =
  | { readonly _tag: "Valid"; readonly token: IssuedToken }
  | { readonly _tag: "Expired"; readonly token: IssuedToken }
  | { readonly _tag: "Revoked" }
  | { readonly _tag: "Unknown" }

export interface TokenRegistry {
  /** Issues a new opaque token for `subject`, valid for `ttlSeconds` from now (Effect Clock). */
  readonly issue: (
    subject: string,
    ttlSeconds: number,
    options?: { readonly prefix?: string; readonly data?: Record<string, unknown> }
  ) => Effect.Effect<IssuedToken>
  readonly check: (token: string) => Effect.Effect<TokenCheck>
  /** Revokes one token, or every token of a subject, or all tokens. */
  readonly revoke: (selector?: { readonly token?: string; readonly subject?: string }) => Effect.Effect<number>
  /** Makes the named tokens (or all) expire now, as if their lifetime had run out. */
  readonly expire: (selector?: { readonly token?: string; readonly subject?: string }) => Effect.Effect<void>
  readonly issuedCount: Effect.Effect<number>
}

/** Server-side bookkeeping of issued tokens, for test servers. */
export const makeTokenRegistry: Effect.Effect<TokenRegistry> = Effect.gen(function* () {
  const tokens = new Map<string, IssuedToken>()
  const revoked = new Set<string>()
  let counter = 0
  const matches = (entry: IssuedToken, selector?: { readonly token?: string; readonly subject?: string }) =>
    (selector?.token === undefined || selector.token === entry.token) &&
    (selector?.subject === undefined || selector.subject === entry.subject)
  const randomPart = () => {
    const bytes = new Uint8Array(18)
    globalThis.crypto.getRandomValues(bytes)
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")
  }
  const registry: TokenRegistry = {
    issue: (subject, ttlSeconds, options) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        counter++
        const token = `${options?.prefix ?? "tok"}_${counter}_${randomPart()}`
        const issued: IssuedToken = { token, subject, expiresAt: now + ttlSeconds * 1000, data: options?.data ?? {} }
        tokens.set(token, issued)
        return issued
      }),
    check: (token) =>
      Effect.map(Clock.currentTimeMillis, (now): TokenCheck => {
        if (revoked.has(token)) return { _tag: "Revoked" }
        const entry = tokens.get(token)
        if (entry === undefined) return { _tag: "Unknown" }
        return now >= entry.expiresAt ? { _tag: "Expired", token: entry } : { _tag: "Valid", token: entry }
      }),
    revoke: (selector) =>
      Effect.sync(() => {
        let count = 0
        for (const entry of tokens.values()) {
          if (matches(entry, selector) && !revoked.has(entry.token)) {
            revoked.add(entry.token)
            count++
          }
        }
        return count
      }),
    expire: (selector) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        for (const entry of tokens.values()) {
          if (matches(entry, selector)) tokens.set(entry.token, { ...entry, expiresAt: now })
        }
      }),
    issuedCount: Effect.sync(() => counter)
  }
  return registry
})

// ---------------------------------------------------------------------------------------------------------
// Small response and request helpers shared by test servers
// ---------------------------------------------------------------------------------------------------------

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  HttpServerResponse.text(JSON.stringify(body), { status, contentType: "application/json", headers })

/** Parses a `Basic` authorization header into its two parts, or undefined when malformed. */
export const parseBasic = (
  header: string | undefined
): { readonly user: string; readonly pass: string } | undefined => {
  if (header === undefined || !/^Basic /i.test(header)) return undefined
  let decoded: string
  try {
    decoded = atob(header.slice(6).trim())
  } catch {
    return undefined
  }
  const colon = decoded.indexOf(":")
  if (colon < 0) return undefined
  // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
  const formDecode = (part: string) => {
    try {
      return decodeURIComponent(part.replace(/\+/g, " "))
    } catch {
      return part
    }
  }
  return { user: formDecode(decoded.slice(0, colon)), pass: formDecode(decoded.slice(colon + 1)) }
}

/** The bearer token of a request, or undefined. */
export const bearerOf = (request: TestRequest): string | undefined => {
  const header = request.headers.authorization
  return header !== undefined && /^Bearer /i.test(header) ? header.slice(7).trim() : undefined
}

/** Parses a JSON body, or undefined when it is not JSON. */
export const jsonBody = (request: TestRequest): unknown => Json.parse(request.body)
