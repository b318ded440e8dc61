/**
 * Reading a client's configuration (`layerConfig()`): the fixed environment variable names of DESIGN.md, with
 * every failure turned into a `ConfigurationError` that names the variable and never echoes a value.
 */
import type * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import { ConfigurationError } from "./NordkitError.ts"

/** Loads `config`, mapping a missing or malformed variable to `ConfigurationError`. */
export const load = <A>(provider: string, config: Config.Config<A>): Effect.Effect<A, ConfigurationError> =>
  Effect.mapError(
    Effect.gen(function* () {
      return yield* config
    }),
    (error) => new ConfigurationError({ provider, detail: describe(error) })
  )

/** Names the variables involved, from the error's paths only: values are never quoted. */
const describe = (error: Config.ConfigError): string => {
  const paths = [...error.message.matchAll(/at \[([^\]]*)\]/g)].map((m) => m[1].replaceAll('"', ""))
  const unique = [...new Set(paths)]
  return unique.length === 0 ? "missing or invalid configuration" : `missing or invalid variable ${unique.join(", ")}`
}
