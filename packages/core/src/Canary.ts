/**
 * Secret canaries for tests: run effects with every log line captured at the most verbose level, then check
 * that no error rendering (message, `String`, JSON, `Cause.pretty`) and no log line contains a secret.
 * Used by each provider's `Canary.test.ts`; useful in your own tests too.
 *
 * `RequestErrorTags` lists the core error family, for checking that a canary drove every path: a client's
 * `TimeoutError` comes from a network that never answers ({@link silent}) and its `ResponseTooLargeError` from a
 * call under a small body cap (`RequestLimits.provide({ maxBodyBytes: 1 })`).
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HttpClient from "effect/http/HttpClient"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"

/** The tags of the core request error family plus `ConfigurationError`. */
export const RequestErrorTags: ReadonlyArray<string> = [
  "InvalidRequestError",
  "AuthenticationError",
  "ForbiddenError",
  "RateLimitedError",
  "ApiError",
  "TransportError",
  "TimeoutError",
  "ResponseTooLargeError",
  "DecodeError",
  "ConfigurationError"
]

/**
 * `client` on a network that takes each request and never answers (a silent proxy): a client built on it fails
 * with `TimeoutError` once its deadline runs out (move the `TestClock`).
 */
export const silent = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  HttpClient.transform(client, () => Effect.never)

export interface Capture {
  /** Every log line emitted so far, formatted. */
  readonly lines: Array<string>
  /** Every rendering of every failure seen by `observe`. */
  readonly renderings: Array<string>
  /** Runs `effect`, logs its outcome at every level, records its failure renderings. Never fails. */
  readonly observe: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<Exit.Exit<A, E>, never, R>
  /** The secrets found in any captured line or rendering (empty when clean). */
  readonly leaks: (secrets: ReadonlyArray<string>) => Array<{ readonly secret: string; readonly where: string }>
  /**
   * The error tags among `tags` that no observed failure had (compared with each failure's `_tag` exactly, never
   * searched for in rendered text); empty when every path was exercised.
   */
  readonly unexercised: (tags: ReadonlyArray<string>) => Array<string>
  /** A layer installing the capturing logger at level "All". */
  readonly layer: Layer.Layer<never>
}

const render = (value: unknown): Array<string> => {
  const out: Array<string> = []
  const attempt = (f: () => string) => {
    try {
      out.push(f())
    } catch {
      // a value that cannot be rendered leaks nothing
    }
  }
  attempt(() => String(value))
  attempt(() => JSON.stringify(value) ?? "")
  attempt(() => Inspectable.toStringUnknown(value))
  if (value instanceof Error) {
    attempt(() => value.message)
    attempt(() => value.stack ?? "")
  }
  return out
}

/** The `_tag` of a failure value, if it has one. */
const tagOf = (value: unknown): string | undefined => {
  if (typeof value !== "object" || value === null) return undefined
  const tag = (value as { readonly _tag?: unknown })._tag
  return typeof tag === "string" ? tag : undefined
}

export const make = (): Capture => {
  const lines: Array<string> = []
  const renderings: Array<string> = []
  const observedTags = new Set<string>()
  const logger = Logger.make((options) => {
    lines.push(
      `${options.logLevel} ${render(options.message).join(" ")} ${Cause.pretty(options.cause)} ${JSON.stringify(
        Object.fromEntries(Object.entries(options.fiber.getRef(References.CurrentLogAnnotations)))
      )}`
    )
  })
  const layer = Layer.mergeAll(
    Logger.layer([logger, Logger.formatStructured.pipe(Logger.map((entry) => lines.push(JSON.stringify(entry))))]),
    Layer.succeed(References.MinimumLogLevel, "All")
  )
  const observe = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(effect)
      if (Exit.isFailure(exit)) {
        renderings.push(Cause.pretty(exit.cause))
        for (const error of Cause.prettyErrors(exit.cause)) renderings.push(...render(error))
        for (const reason of exit.cause.reasons) {
          const failure = reason._tag === "Fail" ? reason.error : reason._tag === "Die" ? reason.defect : undefined
          if (failure === undefined) continue
          renderings.push(...render(failure))
          const tag = tagOf(failure)
          if (tag !== undefined) observedTags.add(tag)
        }
        yield* Effect.logError("observed failure", exit.cause)
        yield* Effect.logDebug(exit.cause)
        yield* Effect.logTrace(exit)
      } else {
        yield* Effect.logDebug("observed success", exit.value)
      }
      return exit
    })
  const leaks = (secrets: ReadonlyArray<string>) => {
    const found: Array<{ secret: string; where: string }> = []
    for (const secret of secrets) {
      for (const where of [...lines, ...renderings]) {
        if (where.includes(secret)) found.push({ secret, where: where.slice(0, 300) })
      }
    }
    return found
  }
  const unexercised = (tags: ReadonlyArray<string>) => tags.filter((tag) => !observedTags.has(tag))
  return { lines, renderings, observe, leaks, unexercised, layer }
}
