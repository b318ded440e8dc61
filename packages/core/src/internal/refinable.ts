/**
 * A `Context.Reference` whose layers refine the value in force (`RetryPolicy`, `RequestLimits`), remembering what
 * each value was built on — so a value captured where a client was built can be told apart from one a caller
 * built on top of it (a layer around one call), see `RetryPolicy.merge` / `RequestLimits.merge`.
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

export interface Refinable<A extends object> {
  /** A layer that replaces the value in force with `f(current)`. */
  readonly refine: (f: (current: A) => A) => Layer.Layer<never>
  /** Whether `current` is `captured` or was built on top of it. */
  readonly refines: (current: A, captured: A) => boolean
}

export const make = <A extends object>(reference: Context.Reference<A>): Refinable<A> => {
  const parents = new WeakMap<A, A>()
  return {
    refine: (f) =>
      Layer.effect(
        reference,
        Effect.map(Effect.service(reference), (current) => {
          const next = f(current)
          parents.set(next, current)
          return next
        })
      ),
    refines: (current, captured) => {
      for (let p: A | undefined = current, depth = 0; p !== undefined && depth < 32; p = parents.get(p), depth++) {
        if (p === captured) return true
      }
      return false
    }
  }
}
