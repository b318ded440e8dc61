import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Headers from "effect/http/Headers"
import { DineroError } from "../src/index.ts"

const failure = (status: number, text: string, headers: Record<string, string> = {}) => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return {
    provider: "dinero",
    method: "GET",
    path: "/v1/1/contacts",
    status,
    headers: Headers.fromInput(headers),
    text,
    json,
    fields: DineroError.errorFields(json, text),
    now: 0
  }
}

describe("DineroError", () => {
  it.effect("Dinero's error body gives the code, the message and the per-field messages", () =>
    Effect.sync(() => {
      const body = {
        code: 42,
        message: "Validation failed",
        languageSpecificMessages: [{ property: "", message: "Validering fejlede" }],
        validationErrors: { Email: "Email is not valid", Name: ["Name is required", "Name is too short"] }
      }
      assert.deepStrictEqual(DineroError.errorFields(body, JSON.stringify(body)), {
        code: "42",
        detail: "Validation failed",
        fieldErrors: { Email: "Email is not valid", Name: "Name is required; Name is too short" }
      })
      assert.deepStrictEqual(DineroError.errorFields({ Code: 40, Message: "Not found" }, ""), {
        code: "40",
        detail: "Not found",
        fieldErrors: undefined
      })
      assert.deepStrictEqual(DineroError.errorFields(undefined, "API calls quota exceeded!"), {
        detail: "API calls quota exceeded!"
      })
    })
  )

  it.effect("429 with a plain-text body is a RateLimitedError carrying the window to wait", () =>
    Effect.sync(() => {
      const error = DineroError.classify(failure(429, "API calls quota exceeded! maximum admitted 100 per 1m."))
      assert.strictEqual(error?._tag, "RateLimitedError")
      if (error?._tag !== "RateLimitedError") return
      assert.strictEqual(error.retryAfterMillis, 61_000)
      assert.strictEqual(error.detail, "API calls quota exceeded! maximum admitted 100 per 1m.")
      const withHeader = DineroError.classify(failure(429, "quota", { "retry-after": "12" }))
      assert.strictEqual(withHeader?._tag === "RateLimitedError" && withHeader.retryAfterMillis, 12_000)
    })
  )

  it.effect("480 is a BrownoutError; other statuses fall through to the default mapping", () =>
    Effect.sync(() => {
      const brownout = DineroError.classify(failure(480, '{"code":480,"message":"Brownout"}'))
      assert.strictEqual(brownout?._tag, "BrownoutError")
      assert.strictEqual(brownout?._tag === "BrownoutError" && brownout.detail, "Brownout")
      assert.include(String(brownout?.message), "brownout")
      assert.isUndefined(DineroError.classify(failure(400, '{"code":42,"message":"x"}')))
      assert.isUndefined(DineroError.classify(failure(403, '{"code":48,"message":"no Pro"}')))
    })
  )
})
