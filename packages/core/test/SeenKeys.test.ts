import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/testing/TestClock"
import * as SeenKeys from "../src/SeenKeys.ts"

describe("SeenKeys.makeMemory", () => {
  it.effect("a key is new once within its lifetime, new again after it or after forget", () =>
    Effect.gen(function* () {
      const seen = SeenKeys.makeMemory()
      assert.isTrue(yield* seen.markUsed("a", 1_000))
      assert.isFalse(yield* seen.markUsed("a", 1_000))
      assert.isTrue(yield* seen.markUsed("b", 1_000))
      yield* TestClock.adjust(999)
      assert.isFalse(yield* seen.markUsed("a", 1_000))
      yield* TestClock.adjust(1)
      assert.isTrue(yield* seen.markUsed("a", 1_000), "expired: a first use again")
      yield* seen.forget("a")
      assert.isTrue(yield* seen.markUsed("a", 1_000), "forgotten: a first use again")
    })
  )

  it.effect("a key with a longer lifetime behind a live one is still remembered", () =>
    Effect.gen(function* () {
      const seen = SeenKeys.makeMemory()
      yield* seen.markUsed("short", 100)
      yield* seen.markUsed("long", 10_000)
      yield* TestClock.adjust(5_000)
      assert.isFalse(yield* seen.markUsed("long", 10_000))
      assert.isTrue(yield* seen.markUsed("short", 100))
    })
  )
})
