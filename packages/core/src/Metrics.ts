/**
 * Effect `Metric` counters every nordkit client updates, each with a `provider` attribute, so a dashboard shows
 * a provider degrading before users notice:
 *
 * | counter                              | counts                                                         |
 * | ------------------------------------ | -------------------------------------------------------------- |
 * | `nordkit_token_requests_total`       | token requests sent (every attempt)                            |
 * | `nordkit_token_failures_total`       | token acquisitions (first or refresh) that failed              |
 * | `nordkit_request_attempts_total`     | HTTP attempts (first attempts and retries)                     |
 * | `nordkit_retries_total`              | attempts after the first one of the same call                  |
 * | `nordkit_timeouts_total`             | attempts that ran out of their deadline                        |
 * | `nordkit_redirects_refused_total`    | 3xx answers refused (nordkit never follows a redirect)         |
 * | `nordkit_bodies_over_cap_total`      | response bodies over the byte cap                              |
 *
 * Each request's span (the platform HttpClient span) carries `nordkit.attempt`, the attempt number (1-based).
 * Read them with `Metric.snapshot` or export them with your OpenTelemetry layer.
 */
import type * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"

const counter = (name: string, description: string) => Metric.counter(name, { description, incremental: true })

export const tokenRequests = counter("nordkit_token_requests_total", "Token requests sent")
export const tokenFailures = counter(
  "nordkit_token_failures_total",
  "Token acquisitions (first or refresh) that failed"
)
export const attempts = counter("nordkit_request_attempts_total", "HTTP attempts sent")
export const retries = counter("nordkit_retries_total", "Attempts after the first of the same call")
export const timeouts = counter("nordkit_timeouts_total", "Attempts that ran out of their deadline")
export const redirectsRefused = counter("nordkit_redirects_refused_total", "Redirects refused")
export const bodiesOverCap = counter("nordkit_bodies_over_cap_total", "Response bodies over the byte cap")

const tagged = new WeakMap<Metric.Metric<number, unknown>, Map<string, Metric.Metric<number, unknown>>>()

/** `counter`'s series for `provider` (the same series as `Metric.withAttributes(counter, { provider })`). */
const forProvider = (counter: Metric.Metric<number, unknown>, provider: string): Metric.Metric<number, unknown> => {
  let byProvider = tagged.get(counter)
  if (byProvider === undefined) {
    byProvider = new Map()
    tagged.set(counter, byProvider)
  }
  let metric = byProvider.get(provider)
  if (metric === undefined) {
    // A counter that carries the attribute itself: no context copy on every update, as `withAttributes` makes.
    metric = Metric.counter(counter.id, {
      description: counter.description,
      incremental: true,
      attributes: { provider }
    }) as Metric.Metric<number, unknown>
    byProvider.set(provider, metric)
  }
  return metric
}

/** Adds one to `counter` for `provider`. */
export const increment = (counter: Metric.Metric<number, unknown>, provider: string): Effect.Effect<void> =>
  Metric.update(forProvider(counter, provider), 1)

/** `increment`, from code that already holds the fiber's context (the per-attempt guard): no effect to run. */
export const add = (counter: Metric.Metric<number, unknown>, provider: string, context: Context.Context<never>): void =>
  forProvider(counter, provider).updateUnsafe(1, context)
