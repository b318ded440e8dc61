/**
 * The one retry policy of nordkit: an effect `Schedule` applied with `Effect.retry` (as `HttpClient.retry` does,
 * entered at the first failure), chosen per request from the `RetryPolicy` reference, so an app replaces it with a
 * Layer — for every provider or for one.
 *
 * Two parts, on purpose:
 *
 * - the **schedule** (replaceable): how many attempts and how long between them. Default: 3 attempts in total,
 *   exponential backoff from 500 ms with full jitter in [d/2, d], capped at 20 s ({@link schedule}).
 * - the **rules** (a provider's protocol facts, always applied around whichever schedule runs):
 *   - transient = transport errors and 408, 429, 500, 502, 503, 504 (plus a provider's extra statuses);
 *   - `Retry-After` (seconds or HTTP date) is a floor that the schedule's delay never undercuts; beyond
 *     `retryAfterCap` (default 60 s) the response is handed back at once, and the error mapping turns it into a
 *     `RateLimitedError` that carries the delay;
 *   - requests that are not idempotent (POST, PATCH) are not replayed once they may have reached the server
 *     (5xx, a reset or timed-out connection) unless they carry an `Idempotency-Key`; a 429 or 408 means the
 *     server did not process the request, and a refused connection (or a DNS or TLS-handshake failure) means
 *     nothing reached it, so those are retried for every method;
 *   - single-use grants (a provider's `isIdempotent` returning false) follow the same rule.
 *
 * The retry never invents errors: when the schedule ends, the caller sees the last response (or transport error)
 * and the error mapping classifies it.
 *
 * ```ts
 * // no retries in tests, for every provider
 * Effect.provide(program, RetryPolicy.layer(Schedule.recurs(0)))
 * // a patient batch job, for Dinero only
 * Effect.provide(program, RetryPolicy.layerFor("dinero", RetryPolicy.schedule({ attempts: 8, maxDelay: "1 minute" })))
 * // or for the clients built by one layer (their API calls and token requests)
 * Layer.provide(DineroClient.layerConfig(), RetryPolicy.layer(Schedule.recurs(0)))
 * ```
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import type * as Layer from "effect/Layer"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as Guard from "./internal/guard.ts"
import * as Refinable from "./internal/refinable.ts"
import * as RetryAfter from "./internal/retryAfter.ts"

/**
 * What a retry schedule sees of each failed attempt: a transport failure, or a `StatusCodeError` wrapping a
 * transient response (its `response` has the status and headers).
 */
export type Input = HttpClientError.HttpClientError

/** A retry schedule: any effect `Schedule` that accepts the failed attempts (e.g. `Schedule.recurs(0)`). */
export type RetrySchedule = Schedule.Schedule<unknown, Input>

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
  /**
   * The provider name, to pick a schedule installed with {@link layerFor}. `ApiClient` sets it.
   */
  readonly provider?: string | undefined
  /**
   * The policy provided where the client was built (a {@link layer} given to the client's layer), when one was.
   * It applies to that client's requests on top of the policy in the caller's context. `ApiClient` sets it.
   */
  readonly captured?: Policy | undefined
}

/** The schedules in force: one for every provider, and per-provider replacements. */
export interface Policy {
  readonly schedule: RetrySchedule
  readonly providers: Readonly<Record<string, RetrySchedule>>
}

export const defaultTransientStatuses: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])
/** Statuses that mean the server did not act on the request, so any method may be retried. */
const notProcessedStatuses: ReadonlySet<number> = new Set([408, 429])

/**
 * The backoff schedule built from the options record: `attempts` in total (default 3), exponential from
 * `baseDelay` (500 ms) with full jitter in [d/2, d], each delay capped at `maxDelay` (20 s).
 */
export const schedule = (options: Pick<Options, "attempts" | "baseDelay" | "maxDelay"> = {}): RetrySchedule => {
  const attempts = Math.max(1, options.attempts ?? 3)
  const max = Duration.toMillis(Duration.fromInputUnsafe(options.maxDelay ?? 20_000))
  return Schedule.exponential(options.baseDelay ?? 500).pipe(
    Schedule.modifyDelay(({ duration }) =>
      Effect.map(Random.next, (r) => {
        const d = Math.min(max, Duration.toMillis(duration))
        return Duration.millis(Math.round(d / 2 + (r * d) / 2))
      })
    ),
    Schedule.upTo({ times: attempts - 1 })
  )
}

/**
 * The schedules in force. Default: {@link schedule}`()` for every provider. Replace it with {@link layer} /
 * {@link layerFor}: provided to the program, it is read when each request starts; provided to a client's layer,
 * it applies to that client's requests (API calls and token requests) wherever they run.
 */
export const RetryPolicy: Context.Reference<Policy> = Context.Reference<Policy>("@nordkit/core/RetryPolicy", {
  defaultValue: () => ({ schedule: defaultSchedule(), providers: {} })
})

let defaultScheduleValue: RetrySchedule | undefined
/** The default schedule, built once (its identity tells "no {@link layer} set one" apart). */
const defaultSchedule = (): RetrySchedule => {
  if (defaultScheduleValue === undefined) defaultScheduleValue = schedule()
  return defaultScheduleValue
}

/**
 * The policy for one request: the caller's (`current`), with what a client's own layers set (`captured`) on top —
 * its per-provider schedules, and its schedule for all when a {@link layer} set one. When the caller's policy was
 * built on top of the captured one (a layer provided around one call), the caller's is used as is.
 */
export const merge = (current: Policy, captured: Policy | undefined): Policy =>
  captured === undefined || refines(current, captured)
    ? current
    : {
        schedule: captured.schedule === defaultScheduleValue ? current.schedule : captured.schedule,
        providers: { ...current.providers, ...captured.providers }
      }

const { refine, refines } = Refinable.make(RetryPolicy)

/** Uses `retrySchedule` for every provider that has no schedule of its own. */
export const layer = (retrySchedule: RetrySchedule): Layer.Layer<never> =>
  refine((current) => ({ ...current, schedule: retrySchedule }))

/** Uses `retrySchedule` for one provider (e.g. `"dinero"`), token requests included. */
export const layerFor = (provider: string, retrySchedule: RetrySchedule): Layer.Layer<never> =>
  refine((current) => ({ ...current, providers: { ...current.providers, [provider]: retrySchedule } }))

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
  return raw === undefined ? undefined : RetryAfter.delayMillis(raw, now)
}

interface Rules {
  readonly cap: number
  readonly isIdempotent: (request: HttpClientRequest.HttpClientRequest) => boolean
  readonly transient: ReadonlySet<number>
  readonly fallback: Options["retryAfterFallback"]
}

/** Transient responses travel through the retry as these errors; the ones left are unwrapped again. */
const transientFailures = new WeakSet<HttpClientError.HttpClientError>()

const STOP = -1

/** The rules' verdict on one failed attempt: STOP, or the least delay before the next one (0 = no floor). */
const verdict = (rules: Rules, error: Input, now: number): number => {
  const idempotent = rules.isIdempotent(error.request)
  if (!transientFailures.has(error)) {
    if (error.reason._tag !== "TransportError") return STOP
    // A transport failure may have happened after the server received the request (a reset, a timeout), so only
    // an idempotent request is replayed — unless nothing reached the server (a refused connection, DNS, the TLS
    // handshake): then any request may be sent again.
    return idempotent || !Guard.classifyTransport(error.reason.cause).mayHaveReachedServer ? 0 : STOP
  }
  const response = (error.reason as HttpClientError.StatusCodeError).response
  if (!idempotent && !notProcessedStatuses.has(response.status)) return STOP
  const asked =
    retryAfterMillis(response.headers, now) ??
    (rules.fallback === undefined ? undefined : rules.fallback(response, now))
  if (asked === undefined) return 0
  return asked > rules.cap ? STOP : asked
}

type Step = (now: number, input: unknown) => Effect.Effect<[unknown, Duration.Duration], Cause.Done<unknown>>

/**
 * `inner` (how often, how long) under the rules (whether at all, and the `Retry-After` floor). The inner schedule
 * is chosen and started at the first failure, so a request that succeeds at once pays nothing for it.
 */
const governed = (rules: Rules, inner: Effect.Effect<RetrySchedule>): Schedule.Schedule<unknown, unknown> =>
  Schedule.fromStep(
    Effect.sync(() => {
      let started: Step | undefined
      const next = (step: Step, now: number, error: Input) => {
        const floor = verdict(rules, error, now)
        if (floor === STOP) return Cause.done(undefined)
        if (floor === 0) return step(now, error)
        return Effect.map(step(now, error), ([output, delay]): [unknown, Duration.Duration] => [
          output,
          Duration.max(delay, Duration.millis(floor))
        ])
      }
      return (now: number, error: unknown) => {
        // Only HTTP failures are candidates; anything else (e.g. a signer's error) reaches the caller at once.
        if (!HttpClientError.isHttpClientError(error)) return Cause.done(undefined)
        if (started !== undefined) return next(started, now, error)
        return Effect.flatMap(
          Effect.flatMap(inner, (chosen) => Schedule.toStep(chosen) as Effect.Effect<Step>),
          (step) => {
            started = step
            return next(step, now, error)
          }
        )
      }
    })
  )

const hasOwnSchedule = (options: Options) =>
  options.attempts !== undefined || options.baseDelay !== undefined || options.maxDelay !== undefined

/**
 * Wraps a client with the retry policy. The schedule is, by precedence: the provider's from {@link layerFor}, the
 * one built from `attempts`/`baseDelay`/`maxDelay` when any is set, then the {@link RetryPolicy}'s. The policy is
 * the caller's, with `options.captured` (the client's own layers) on top (see {@link merge}).
 */
export const retry =
  (options: Options = {}) =>
  <E, R>(
    client: HttpClient.HttpClient.With<E, R>
  ): HttpClient.HttpClient.With<E | HttpClientError.HttpClientError, R> => {
    const rules: Rules = {
      cap: Duration.toMillis(Duration.fromInputUnsafe(options.retryAfterCap ?? 60_000)),
      isIdempotent: options.isIdempotent ?? isIdempotentDefault,
      transient:
        options.extraTransientStatuses === undefined
          ? defaultTransientStatuses
          : new Set([...defaultTransientStatuses, ...options.extraTransientStatuses]),
      fallback: options.retryAfterFallback
    }
    const own = hasOwnSchedule(options) ? schedule(options) : undefined
    const provider = options.provider
    const captured = options.captured
    const chosen = Effect.map(Effect.service(RetryPolicy), (current) => {
      const policy = merge(current, captured)
      const forProvider = provider === undefined ? undefined : policy.providers[provider]
      return forProvider ?? own ?? policy.schedule
    })
    const transientError = (
      request: HttpClientRequest.HttpClientRequest,
      response: HttpClientResponse.HttpClientResponse
    ) => {
      const error = new HttpClientError.HttpClientError({
        reason: new HttpClientError.StatusCodeError({ request, response, description: "transient status" })
      })
      transientFailures.add(error)
      return error
    }
    // The transient responses left when the schedule ends are handed back as responses, for the status mapping.
    const unwrap = (error: unknown) =>
      HttpClientError.isHttpClientError(error) && transientFailures.has(error)
        ? Effect.succeed((error.reason as HttpClientError.StatusCodeError).response)
        : Effect.fail(error as HttpClientError.HttpClientError)
    // `HttpClient.retry`'s machinery (`Effect.retry` with the schedule), entered at the first failure: that failure
    // is handed to the schedule as its first input, then the schedule drives the attempts that follow. A request
    // that succeeds at once (nearly all of them) pays for one `matchEffect`, not for starting a schedule.
    return HttpClient.transform(client, (effect, request) => {
      const attempt = Effect.flatMap(effect, (response) =>
        rules.transient.has(response.status) ? Effect.fail(transientError(request, response)) : Effect.succeed(response)
      )
      const retryFrom = (first: HttpClientError.HttpClientError) => {
        let pending: HttpClientError.HttpClientError | undefined = first
        const again = Effect.suspend(() => {
          if (pending === undefined) return attempt
          const failure = pending
          pending = undefined
          return Effect.fail(failure)
        })
        // The attempts that follow are counted from here (the guard numbers each one: `nordkit.attempt`, metrics);
        // a call that succeeds at once never needs a counter.
        return Effect.catch(
          Effect.provideService(Effect.retry(again, governed(rules, chosen)), Guard.Attempts, { n: 1 }),
          unwrap
        )
      }
      return Effect.matchEffect(effect, {
        onFailure: (
          error
        ): Effect.Effect<HttpClientResponse.HttpClientResponse, E | HttpClientError.HttpClientError, R> =>
          HttpClientError.isHttpClientError(error) ? retryFrom(error) : Effect.fail(error),
        onSuccess: (
          response
        ): Effect.Effect<HttpClientResponse.HttpClientResponse, E | HttpClientError.HttpClientError, R> =>
          rules.transient.has(response.status) ? retryFrom(transientError(request, response)) : Effect.succeed(response)
      })
    }) as HttpClient.HttpClient.With<E | HttpClientError.HttpClientError, R>
  }
