import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Canary from "../src/Canary.ts"
import { ApiError, ForbiddenError } from "../src/NordkitError.ts"

const where = { provider: "canary-test", method: "GET", path: "/x", status: 500 }

describe("Canary", () => {
  it.effect("unexercised compares failure tags exactly: a tag named in another error's text does not count", () =>
    Effect.gen(function* () {
      const capture = Canary.make()
      yield* capture.observe(Effect.fail(new ApiError({ ...where, detail: "upstream said ForbiddenError" })))
      assert.deepStrictEqual(capture.unexercised(["ApiError", "ForbiddenError"]), ["ForbiddenError"])
      yield* capture.observe(Effect.fail(new ForbiddenError({ ...where, status: 403 })))
      assert.deepStrictEqual(capture.unexercised(["ApiError", "ForbiddenError"]), [])
    })
  )

  it.effect("leaks finds a secret in an error rendering or a log line, and nothing when clean", () => {
    const capture = Canary.make()
    return Effect.gen(function* () {
      yield* Effect.logDebug("a log line with CANARY-logged-12")
      yield* capture.observe(Effect.fail(new ApiError({ ...where, detail: "echo CANARY-secret-77" })))
      assert.isAbove(capture.leaks(["CANARY-secret-77"]).length, 0)
      assert.isAbove(capture.leaks(["CANARY-logged-12"]).length, 0)
      assert.deepStrictEqual(capture.leaks(["CANARY-never-seen"]), [])
    }).pipe(Effect.provide(capture.layer))
  })
})
