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
import type * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"

export const tokenRequests = Metric.counter("nordkit_token_requests_total", {
  description: "Token requests sent",
  incremental: true
})
export const tokenFailures = Metric.counter("nordkit_token_failures_total", {
  description: "Token acquisitions (first or refresh) that failed",
  incremental: true
})
export const attempts = Metric.counter("nordkit_request_attempts_total", {
  description: "HTTP attempts sent",
  incremental: true
})
export const retries = Metric.counter("nordkit_retries_total", {
  description: "Attempts after the first of the same call",
  incremental: true
})
export const timeouts = Metric.counter("nordkit_timeouts_total", {
  description: "Attempts that ran out of their deadline",
  incremental: true
})
export const redirectsRefused = Metric.counter("nordkit_redirects_refused_total", {
  description: "Redirects refused",
  incremental: true
})
export const bodiesOverCap = Metric.counter("nordkit_bodies_over_cap_total", {
  description: "Response bodies over the byte cap",
  incremental: true
})

/** Adds one to `counter` for `provider`. */
export const increment = (counter: Metric.Metric<number, unknown>, provider: string): Effect.Effect<void> =>
  Metric.update(Metric.withAttributes(counter, { provider }), 1)
