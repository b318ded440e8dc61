/**
 * Client-side pacing: keeps a client under a provider's request quota (e.g. Dinero's 100 requests per minute per
 * organization) by *delaying* requests instead of letting a burst run into 429s. Built on effect's `RateLimiter`
 * (`effect/persistence`) and `HttpClient.withRateLimiter`, fixed-window algorithm: at most `limit` requests are
 * admitted per `window` for each key; the next ones wait for the following window.
 *
 * Pacing is HttpClient middleware meant for `ApiClient.make({ perAttempt })`, so every request that goes on the
 * wire counts — retries and 401 replays included. The 429 retries themselves are left to `RetryPolicy` (the
 * limiter's own unbounded 429 retry is switched off).
 *
 * The limiter is effect's `RateLimiter` service: the one in context, else one on the `RateLimiterStore` in context,
 * else a new in-memory one per pacer. So sharing a quota between clients or processes is a Layer swap:
 * provide `RateLimiter.layerStoreRedis(...)` (or any `RateLimiterStore`) to the client's layer. An explicit
 * `limiter` option still wins.
 *
 * A fixed window on our side cannot line up exactly with the provider's window: give `window` a small margin over
 * the provider's (for transit and clock skew), and keep a 429 fallback in the retry policy.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Option from "effect/Option"
import * as RateLimiter from "effect/persistence/RateLimiter"

export interface Options {
  /** Requests with the same key share one quota, e.g. `dinero:<clientId>:<organizationId>`. */
  readonly key: string | ((request: HttpClientRequest.HttpClientRequest) => string)
  /** Requests admitted per window. */
  readonly limit: number
  /** Window length. */
  readonly window: Duration.Input
  /** A limiter for this pacer. Default: {@link limiter} (the context's, else in memory). */
  readonly limiter?: RateLimiter.RateLimiter | undefined
}

/** HttpClient middleware that paces requests. */
export type Pacer = <E, R>(
  client: HttpClient.HttpClient.With<E, R>
) => HttpClient.HttpClient.With<E | HttpClientError.HttpClientError, R>

/** A new in-memory `RateLimiter` (Effect Clock based, so `TestClock` drives it). */
export const memoryLimiter: Effect.Effect<RateLimiter.RateLimiter> = RateLimiter.make.pipe(
  Effect.provide(RateLimiter.layerStoreMemory)
)

/**
 * The `RateLimiter` in context; else one on the `RateLimiterStore` in context (e.g. `RateLimiter.layerStoreRedis`);
 * else a new in-memory one ({@link memoryLimiter}).
 */
export const limiter: Effect.Effect<RateLimiter.RateLimiter> = Effect.flatMap(
  Effect.serviceOption(RateLimiter.RateLimiter),
  (inContext) => {
    if (Option.isSome(inContext)) return Effect.succeed(inContext.value)
    return Effect.flatMap(Effect.serviceOption(RateLimiter.RateLimiterStore), (store) =>
      Option.isSome(store)
        ? Effect.provideService(RateLimiter.make, RateLimiter.RateLimiterStore, store.value)
        : memoryLimiter
    )
  }
)

const isRateLimiterError = (u: unknown): u is RateLimiter.RateLimiterError =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "RateLimiterError"

/**
 * Builds the pacing middleware. A failure of the limiter's store (only possible with an external store) fails the
 * request as a transport error, before anything is sent.
 */
export const make = (options: Options): Effect.Effect<Pacer> =>
  Effect.gen(function* () {
    if (!(Number.isInteger(options.limit) && options.limit > 0)) {
      return yield* Effect.die(new Error("Pacing: limit must be a positive integer"))
    }
    const window = Duration.fromInputUnsafe(options.window)
    const chosen = options.limiter ?? (yield* limiter)
    const pacer: Pacer = <E, R>(client: HttpClient.HttpClient.With<E, R>) =>
      HttpClient.transform(
        HttpClient.withRateLimiter(client, {
          limiter: chosen,
          key: options.key,
          limit: options.limit,
          window,
          algorithm: "fixed-window",
          times: 0
        }),
        (effect, request) =>
          Effect.catchIf(effect, isRateLimiterError, (error) =>
            Effect.fail(
              new HttpClientError.HttpClientError({
                reason: new HttpClientError.TransportError({
                  request,
                  description: `rate limiter unavailable: ${error.message}`
                })
              })
            )
          )
        // The refinement removed every RateLimiterError from the error channel.
      ) as HttpClient.HttpClient.With<E | HttpClientError.HttpClientError, R>
    return pacer
  })
