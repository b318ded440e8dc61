/**
 * A tracer that keeps every span, so a test can check what spans carry (attributes, events, the exit and its
 * rendering) — a secret in a span event leaks as surely as one in a log line.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"

export interface Recording {
  readonly spans: Array<Tracer.NativeSpan>
  readonly provide: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Every span rendered as text: name, attributes, events, and the failure it ended with. */
  readonly renderings: () => Array<string>
  /** The secrets found in any span rendering (empty when clean). */
  readonly leaks: (secrets: ReadonlyArray<string>) => Array<{ readonly secret: string; readonly where: string }>
}

const safe = (value: unknown) =>
  JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v instanceof Map ? Object.fromEntries(v) : v))

export const make = (): Recording => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  const renderings = () =>
    spans.map((span) => {
      const exit = span.status._tag === "Ended" ? span.status.exit : undefined
      const failure = exit !== undefined && exit._tag === "Failure" ? Cause.pretty(exit.cause) : ""
      return `${span.name} ${safe(span.attributes)} ${safe(span.events)} ${failure} ${
        exit !== undefined && exit._tag === "Failure" ? safe(exit.cause.reasons) : ""
      }`
    })
  return {
    spans,
    provide: (effect) => Effect.withTracer(effect, tracer),
    renderings,
    leaks: (secrets) =>
      renderings().flatMap((where) =>
        secrets.filter((secret) => where.includes(secret)).map((secret) => ({ secret, where: where.slice(0, 300) }))
      )
  }
}
