/**
 * Request signing as HttpClient middleware, for providers that sign every request instead of presenting a
 * token (Netgíró: SHA-256 over secret + nonce + URL + body).
 *
 * The signer runs in the client's postprocess step, which is the part a retry policy runs again for every
 * attempt: placed under `RetryPolicy.retry` (ApiClient's `perAttempt` option), each attempt is signed afresh,
 * with a new nonce and a new signature. It signs what goes on the wire: the URL exactly as the platform client
 * sends it (base URL, path and query parameters joined, fragment dropped) and the exact body bytes.
 *
 * `makeNonce` gives strictly increasing integer nonces from the Effect Clock, unique per source even when
 * thousands of requests are signed in the same millisecond.
 */
import * as Effect from "effect/Effect"
import * as Headers from "effect/http/Headers"
import type * as HttpBody from "effect/http/HttpBody"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Url from "effect/http/Url"
import type { RequestError } from "./NordkitError.ts"

/** What a signer sees of one attempt. */
export interface Signable {
  readonly request: HttpClientRequest.HttpClientRequest
  readonly method: string
  /** The full URL as it will be sent: case preserved, query included, no fragment. */
  readonly url: string
  /** The exact body bytes that will be sent (empty for no body). */
  readonly body: Uint8Array
}

export interface Options {
  /** Header names to treat as secrets while the request runs (tracing spans record them as redacted). */
  readonly redactHeaders?: ReadonlyArray<string> | undefined
}

const encoder = new TextEncoder()
const empty = new Uint8Array(0)

/**
 * The URL the platform client will request for `request`, or undefined when it is not a valid URL (the
 * platform client then fails with its own `InvalidUrlError`).
 */
export const urlAsSent = (request: HttpClientRequest.HttpClientRequest): string | undefined => {
  const result = Url.make(request.url, request.urlParams, undefined)
  if (result._tag === "Failure") return undefined
  const url = result.success
  url.hash = ""
  return url.href
}

/** The bytes a body will be sent as, or undefined for bodies that cannot be signed up front (streams, forms). */
export const bodyBytes = (body: HttpBody.HttpBody): Uint8Array | undefined => {
  switch (body._tag) {
    case "Empty":
      return empty
    case "Uint8Array":
      return body.body
    case "Raw":
      if (body.body instanceof Uint8Array) return body.body
      if (typeof body.body === "string") return encoder.encode(body.body)
      return undefined
    default:
      return undefined
  }
}

/**
 * Middleware that adds the headers `sign` computes to every attempt of every request. A body that cannot be
 * signed (a stream or multipart form) is a defect: signed-request providers take bytes or text.
 */
export const make =
  <E, R>(sign: (input: Signable) => Effect.Effect<Readonly<Record<string, string>>, E, R>, options: Options = {}) =>
  <E2, R2>(client: HttpClient.HttpClient.With<E2, R2>): HttpClient.HttpClient.With<E | E2, R | R2> => {
    const redact = (options.redactHeaders ?? []).map((name) => name.toLowerCase())
    const withRedaction = <A, EX, RX>(effect: Effect.Effect<A, EX, RX>) =>
      redact.length === 0
        ? effect
        : Effect.withFiber((fiber) =>
            Effect.provideService(effect, Headers.CurrentRedactedNames, [
              ...fiber.getRef(Headers.CurrentRedactedNames),
              ...redact
            ])
          )
    return HttpClient.makeWith<E | E2, R | R2, E | E2, R | R2>(
      (requestEffect) =>
        Effect.flatMap(requestEffect, (request) => {
          const url = urlAsSent(request)
          if (url === undefined) return client.postprocess(Effect.succeed(request))
          const body = bodyBytes(request.body)
          if (body === undefined) {
            return Effect.die(
              new Error(`RequestSigner: a ${request.body._tag} body cannot be signed; send bytes or text instead`)
            )
          }
          return withRedaction(
            Effect.flatMap(sign({ request, method: request.method, url, body }), (headers) =>
              client.postprocess(Effect.succeed(HttpClientRequest.setHeaders(request, headers)))
            )
          )
        }),
      client.preprocess
    )
  }

/**
 * `make` shaped for `ApiClient.make({ perAttempt })`: the signer may fail only with the error family (a failed
 * signature computation is a typed error, never a silent unsigned request).
 */
export const perAttempt =
  <E extends RequestError = never>(
    sign: (input: Signable) => Effect.Effect<Readonly<Record<string, string>>, E>,
    options: Options = {}
  ) =>
  (client: HttpClient.HttpClient): HttpClient.HttpClient.With<HttpClientError.HttpClientError | RequestError> =>
    make(sign, options)(client as HttpClient.HttpClient.With<HttpClientError.HttpClientError | RequestError>)

/** Ticks (100 ns) since 1900-01-01T00:00:00Z, the nonce form some providers recommend (Netgíró). */
export const ticksSince1900 = (millis: number): bigint => (BigInt(Math.floor(millis)) + 2_208_988_800_000n) * 10_000n

/**
 * A nonce source: every call returns an integer strictly greater than the previous one — the clock reading
 * (`fromMillis` of the Effect Clock, milliseconds by default) when it has moved on, otherwise the previous
 * nonce plus one. Safe under concurrency: each draw is a single synchronous step.
 */
export const makeNonce = (
  options: { readonly fromMillis?: ((millis: number) => bigint) | undefined } = {}
): Effect.Effect<Effect.Effect<bigint>> =>
  Effect.sync(() => {
    const fromMillis = options.fromMillis ?? ((millis: number) => BigInt(Math.floor(millis)))
    let last = -1n
    return Effect.clockWith((clock) =>
      Effect.sync(() => {
        const now = fromMillis(clock.currentTimeMillisUnsafe())
        last = now > last ? now : last + 1n
        return last
      })
    )
  })
