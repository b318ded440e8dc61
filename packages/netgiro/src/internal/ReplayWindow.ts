/**
 * Remembers keys (response nonces, callback signatures) for a window of Effect Clock time: `admit` is true the
 * first time a key is seen within the window and false for a repeat. Entries are kept in arrival order, so
 * expired ones are evicted from the front: O(1) amortized per call, memory bounded by the traffic of one window.
 */
import * as SeenKeys from "@nordkit/core/SeenKeys"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

export interface ReplayWindow {
  readonly admit: (key: string) => Effect.Effect<boolean>
  /** Forgets a key admitted earlier, so the same key is admitted again (a callback whose handling failed). */
  readonly forget: (key: string) => Effect.Effect<void>
}

export const make = (window: Duration.Input): Effect.Effect<ReplayWindow> =>
  Effect.sync(() => {
    const millis = Duration.toMillis(Duration.fromInputUnsafe(window))
    const seen = SeenKeys.makeMemory()
    return { admit: (key) => seen.markUsed(key, millis), forget: seen.forget }
  })
