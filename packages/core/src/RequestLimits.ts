/**
 * Deadlines and body caps for every request a nordkit client sends (API calls and token requests):
 *
 * - `timeout`: per attempt, from sending the request until the whole body has been read (headers and body).
 *   Default 30 s. When it runs out the attempt fails with `TimeoutError` (phase `headers` or `body`); idempotent
 *   requests are retried by the retry policy, POSTs are not replayed.
 * - `maxBodyBytes`: bytes read into memory for JSON and error bodies. Default 8 MiB.
 * - `maxDownloadBytes`: bytes read for downloads (`ApiClient.bytes`, e.g. invoice PDFs). Default 64 MiB.
 *
 * A body over its cap fails with `ResponseTooLargeError` as soon as the cap is passed (at once when the
 * `content-length` says so); the body is read incrementally, so memory stays near the cap.
 *
 * Precedence: per call (`RequestLimits.provide`) over the client's options over one provider's layer
 * (`RequestLimits.layerFor`) over a layer for all (`RequestLimits.layer`) over the defaults. A layer applies where
 * it is provided: to the program (read when each request starts), or to a client's layer (that client's API
 * calls and token requests, wherever they run; on top of the program's).
 *
 * ```ts
 * // one call
 * client.getTransaction(id).pipe(RequestLimits.provide({ timeout: "2 seconds" }))
 * // every provider, or one
 * program.pipe(Effect.provide(RequestLimits.layer({ timeout: "10 seconds" })))
 * program.pipe(Effect.provide(RequestLimits.layerFor("dinero", { maxDownloadBytes: 256 * 1024 * 1024 })))
 * // the clients of one layer
 * Layer.provide(DineroClient.layerConfig(), RequestLimits.layer({ timeout: "10 seconds" }))
 * ```
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Refinable from "./internal/refinable.ts"

export interface Limits {
  /** Per-attempt deadline, headers and whole body. Default 30 s. */
  readonly timeout?: Duration.Input | undefined
  /** Cap on JSON and error bodies, in bytes. Default 8 MiB. */
  readonly maxBodyBytes?: number | undefined
  /** Cap on downloaded bytes (PDFs), in bytes. Default 64 MiB. */
  readonly maxDownloadBytes?: number | undefined
}

export interface Resolved {
  readonly timeoutMillis: number
  readonly maxBodyBytes: number
  readonly maxDownloadBytes: number
}

export const defaults: Resolved = {
  timeoutMillis: 30_000,
  maxBodyBytes: 8 * 1024 * 1024,
  maxDownloadBytes: 64 * 1024 * 1024
}

/** Limits set by layers for everything below them: for all providers (`layer`) and per provider (`layerFor`). */
export interface LayeredLimits {
  readonly all: Limits
  readonly providers: Readonly<Record<string, Limits>>
}

export const Layered = Context.Reference<LayeredLimits>("@nordkit/core/RequestLimits/Layered", {
  defaultValue: () => ({ all: {}, providers: {} })
})

/** Limits set for one call (`provide`); they win over the client's options. */
export const PerCall = Context.Reference<Limits>("@nordkit/core/RequestLimits/PerCall", { defaultValue: () => ({}) })

const defined = (limits: Limits): Limits => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(limits)) if (value !== undefined) out[key] = value
  return out as Limits
}

/** Sets limits for one effect (e.g. one call). */
export const provide =
  (limits: Limits) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withFiber((fiber) =>
      Effect.provideService(effect, PerCall, { ...fiber.getRef(PerCall), ...defined(limits) })
    )

const { refine, refines } = Refinable.make(Layered)

/** Sets limits for every provider below this layer, token requests included. */
export const layer = (limits: Limits): Layer.Layer<never> =>
  refine((current) => ({ ...current, all: { ...current.all, ...defined(limits) } }))

/** Sets limits for one provider (`"dintero"`, `"dinero"`, `"monerium"`, `"netgiro"`) below this layer. */
export const layerFor = (provider: string, limits: Limits): Layer.Layer<never> =>
  refine((current) => ({
    ...current,
    providers: { ...current.providers, [provider]: { ...current.providers[provider], ...defined(limits) } }
  }))

/**
 * The limits for one request: the caller's layers (`current`), with a client's own layers (`captured`, provided to
 * its layer) on top. When the caller's were built on top of the captured ones (a layer around one call), the
 * caller's are used as is.
 */
export const merge = (current: LayeredLimits, captured: LayeredLimits | undefined): LayeredLimits => {
  if (captured === undefined || refines(current, captured)) return current
  const providers: Record<string, Limits> = { ...current.providers }
  for (const [name, limits] of Object.entries(captured.providers)) providers[name] = { ...providers[name], ...limits }
  return { all: { ...current.all, ...captured.all }, providers }
}

const positive = (value: number | undefined, fallback: number) =>
  value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback

/** Resolves the limits for one attempt: per call over client over provider layer over layer over defaults. */
export const resolve = (
  provider: string,
  layered: LayeredLimits,
  client: Limits | undefined,
  perCall: Limits
): Resolved => {
  const merged = {
    ...layered.all,
    ...layered.providers[provider],
    ...(client === undefined ? {} : defined(client)),
    ...perCall
  }
  const timeout = merged.timeout === undefined ? undefined : Duration.toMillis(Duration.fromInputUnsafe(merged.timeout))
  return {
    timeoutMillis: positive(timeout, defaults.timeoutMillis),
    maxBodyBytes: positive(merged.maxBodyBytes, defaults.maxBodyBytes),
    maxDownloadBytes: positive(merged.maxDownloadBytes, defaults.maxDownloadBytes)
  }
}
