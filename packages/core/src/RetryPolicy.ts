/**
 * The one retry policy of nordkit, as HttpClient middleware (DESIGN.md, "Retries"):
 *
 * - bounded: `attempts` in total (default 3);
 * - exponential backoff with jitter, capped (default 20 s);
 * - transient = transport errors, timeouts, 408, 429, 500, 502, 503, 504;
 * - `Retry-After` (seconds or HTTP date) is a floor that jitter never shortens; beyond `retryAfterCap`
 *   (default 60 s) the response is handed back at once, and the error mapping turns it into a
 *   `RateLimitedError` that carries the delay;
 * - requests that are not idempotent (POST, PATCH) are not retried once they may have reached the server
 *   (5xx, transport failure) unless they carry an idempotency key; a 429 or 408 means the server did not
 *   process the request, so those are retried for every method.
 *
 * The middleware never invents errors: when attempts run out, the caller sees the last response (or
 * transport error) and the error mapping classifies it.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Random from "effect/Random"
import * as Result from "effect/Result"

export interface Options {
  /** Attempts in total, first included. Default 3. */
  readonly attempts?: number | undefined
  /** First backoff delay. Default 500 ms. */
  readonly baseDelay?: Duration.Input | undefined
  /** Backoff cap. Default 20 s. */
  readonly maxDelay?: Duration.Input | undefined
  /** Longest `Retry-After` we are willing to wait. Default 60 s. */
  readonly retryAfterCap?: Duration.Input | undefined
  /**
   * Whether a request may be sent twice. Default: GET, HEAD, OPTIONS, PUT, DELETE, or any request with an
   * `Idempotency-Key` header.
   */
  readonly isIdempotent?: ((request: HttpClientRequest.HttpClientRequest) => boolean) | undefined
  /**
   * Extra statuses the provider documents as transient (e.g. none), merged with the defaults.
   */
  readonly extraTransientStatuses?: ReadonlyArray<number> | undefined
  /**
   * A provider-specific reading of how long to wait for a response that asked us to slow down, for
   * providers that do not send `Retry-After` (e.g. Dinero's per-minute window). Return undefined to use
   * the header or the backoff.
   */
  readonly retryAfterFallback?:
    | ((response: HttpClientResponse.HttpClientResponse, now: number) => number | undefined)
    | undefined
}

export const defaultTransientStatuses: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])
/** Statuses that mean the server did not act on the request, so any method may be retried. */
const notProcessedStatuses: ReadonlySet<number> = new Set([408, 429])

export const isIdempotentDefault = (request: HttpClientRequest.HttpClientRequest): boolean =>
  request.method === "GET" ||
  request.method === "HEAD" ||
  request.method === "OPTIONS" ||
  request.method === "PUT" ||
  request.method === "DELETE" ||
  Headers.has(request.headers, "idempotency-key")

/** Parses a `Retry-After` header into milliseconds from `now`, or undefined when absent or malformed. */
export const retryAfterMillis = (headers: Headers.Headers, now: number): number | undefined => {
  const raw = headers["retry-after"]
  if (raw === undefined) return undefined
  const parsed = Headers.parseRetryAfter(raw)
  return Result.isSuccess(parsed) ? Duration.toMillis(Headers.retryAfterDelay(parsed.success, now)) : undefined
}

interface Resolved {
  readonly attempts: number
  readonly base: number
  readonly max: number
  readonly cap: number
  readonly isIdempotent: (request: HttpClientRequest.HttpClientRequest) => boolean
  readonly transient: ReadonlySet<number>
  readonly fallback: Options["retryAfterFallback"]
}

const resolve = (options: Options): Resolved => ({
  attempts: Math.max(1, options.attempts ?? 3),
  base: Duration.toMillis(Duration.fromInputUnsafe(options.baseDelay ?? 500)),
  max: Duration.toMillis(Duration.fromInputUnsafe(options.maxDelay ?? 20_000)),
  cap: Duration.toMillis(Duration.fromInputUnsafe(options.retryAfterCap ?? 60_000)),
  isIdempotent: options.isIdempotent ?? isIdempotentDefault,
  transient:
    options.extraTransientStatuses === undefined
      ? defaultTransientStatuses
      : new Set([...defaultTransientStatuses, ...options.extraTransientStatuses]),
  fallback: options.retryAfterFallback
})

/** Full-jitter backoff in [d/2, d] where d = min(max, base * 2^attempt). */
const backoff = (policy: Resolved, attempt: number) =>
  Effect.map(Random.next, (r) => {
    const d = Math.min(policy.max, policy.base * 2 ** attempt)
    return Math.round(d / 2 + (r * d) / 2)
  })

/** Decides what to do with one attempt's outcome: the delay before the next attempt, or undefined to stop. */
const nextDelay = (
  policy: Resolved,
  request: HttpClientRequest.HttpClientRequest,
  outcome: Result.Result<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>,
  attempt: number
): Effect.Effect<number | undefined> =>
  Effect.gen(function* () {
    if (attempt + 1 >= policy.attempts) return undefined
    const idempotent = policy.isIdempotent(request)
    if (Result.isFailure(outcome)) {
      const reason = outcome.failure.reason._tag
      // A transport failure may have happened after the server received the request.
      if (reason !== "TransportError" || !idempotent) return undefined
      return yield* backoff(policy, attempt)
    }
    const response = outcome.success
    if (!policy.transient.has(response.status)) return undefined
    if (!idempotent && !notProcessedStatuses.has(response.status)) return undefined
    const now = yield* Clock.currentTimeMillis
    const asked =
      retryAfterMillis(response.headers, now) ??
      (policy.fallback === undefined ? undefined : policy.fallback(response, now))
    if (asked !== undefined && asked > policy.cap) return undefined
    const jittered = yield* backoff(policy, attempt)
    return asked === undefined ? jittered : Math.max(asked, jittered)
  })

/** Wraps a client with the retry policy. */
export const retry =
  (options: Options = {}) =>
  <E, R>(client: HttpClient.HttpClient.With<E, R>) => {
    const policy = resolve(options)
    return HttpClient.transform(client, (effect, request) =>
      Effect.gen(function* () {
        let attempt = 0
        while (true) {
          const outcome = yield* Effect.result(effect)
          if (Result.isFailure(outcome) && !HttpClientError.isHttpClientError(outcome.failure)) {
            // Not an HTTP failure (e.g. a token error from an inner layer): never retried here.
            return yield* Effect.fail(outcome.failure)
          }
          const delay = yield* nextDelay(
            policy,
            request,
            outcome as Result.Result<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>,
            attempt
          )
          if (delay === undefined) {
            return yield* Result.isFailure(outcome) ? Effect.fail(outcome.failure) : Effect.succeed(outcome.success)
          }
          yield* Effect.sleep(delay)
          attempt++
        }
      })
    )
  }
