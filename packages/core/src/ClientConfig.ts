/**
 * Reading a client's configuration, the same way for every provider: each option has a `Config` that reads it
 * (by default the provider's fixed environment variable names), an app may replace any of them with its own
 * `Config` (another name, `Config.succeed(value)`, a nested provider, ...), and every failure becomes a
 * `ConfigurationError` that names the variable and never echoes a value.
 *
 * ```ts
 * // in a provider package
 * export const config = { clientId: Config.String("DINTERO_CLIENT_ID"), apiUrl: ClientConfig.optionalString("DINTERO_API_URL") }
 * export const layerConfig = ClientConfig.layerConfig({ service: DinteroClient, provider: "dintero", config, make })
 * // in an app
 * DinteroClient.layerConfig({ clientSecret: Config.Redacted("PAYMENTS_DINTERO_SECRET") })
 * ```
 */
import * as Config from "effect/Config"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { ConfigurationError } from "./NordkitError.ts"

/** One `Config` per field of `A`. */
export type Configs<A> = { readonly [K in keyof A]-?: Config.Config<A[K]> }

/** A string variable that may be absent (`undefined` then). */
export const optionalString = (name: string): Config.Config<string | undefined> =>
  Config.String(name).pipe(Config.option, Config.map(Option.getOrUndefined))

/** A secret variable that may be absent (`undefined` then); read through `Config.Redacted`. */
export const optionalRedacted = (name: string): Config.Config<Redacted.Redacted<string> | undefined> =>
  Config.Redacted(name).pipe(Config.option, Config.map(Option.getOrUndefined))

/** Loads `config`, mapping a missing or malformed variable to `ConfigurationError`. */
export const load = <A>(provider: string, config: Config.Config<A>): Effect.Effect<A, ConfigurationError> =>
  Effect.mapError(config, (error) => new ConfigurationError({ provider, detail: describe(error) }))

/** Collects the paths of the variables an issue tree is about (its `Pointer` nodes), never a value. */
const pathsOf = (issue: unknown, prefix: ReadonlyArray<PropertyKey>, out: Set<string>): void => {
  if (typeof issue !== "object" || issue === null) return
  const node = issue as {
    readonly _tag?: string
    readonly path?: ReadonlyArray<PropertyKey>
    readonly issue?: unknown
    readonly issues?: ReadonlyArray<unknown>
  }
  const path = node._tag === "Pointer" && node.path !== undefined ? [...prefix, ...node.path] : prefix
  if (node.issue !== undefined) pathsOf(node.issue, path, out)
  else if (node.issues !== undefined) for (const inner of node.issues) pathsOf(inner, path, out)
  else if (path.length > 0) out.add(path.map(String).join("."))
}

/** Names the variables involved, from the error's structure only: values are never quoted. */
const describe = (error: Config.ConfigError): string => {
  const cause = error.cause as { readonly _tag?: string; readonly issue?: unknown }
  if (cause._tag === "SourceError") return "configuration source unavailable"
  const paths = new Set<string>()
  pathsOf(cause.issue, [], paths)
  return paths.size === 0 ? "missing or invalid configuration" : `missing or invalid variable ${[...paths].join(", ")}`
}

/**
 * The `layerConfig` of a client service: `config` holds one `Config` per field the environment provides (today's
 * variable names); the returned function lets an app replace any of them. `make` builds the service from what was
 * read (validate and fail with `ConfigurationError` there).
 */
export const layerConfig =
  <I, S, C, E, R>(options: {
    readonly service: Context.Key<I, S>
    readonly provider: string
    readonly config: Configs<C>
    readonly make: (loaded: C) => Effect.Effect<S, E, R>
  }) =>
  (
    configs?: { readonly [K in keyof C]?: Config.Config<C[K]> }
  ): Layer.Layer<I, E | ConfigurationError, Exclude<R, Scope.Scope>> =>
    Layer.effect(
      options.service,
      // Built when the layer is, so an app that never calls layerConfig pays nothing for it.
      Effect.flatMap(
        Effect.suspend(() =>
          load(options.provider, Config.all({ ...options.config, ...configs }) as unknown as Config.Config<C>)
        ),
        options.make
      )
    )
