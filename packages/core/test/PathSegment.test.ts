import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as PathSegment from "../src/PathSegment.ts"

const refused = [
  "",
  ".",
  "..",
  " .. ",
  "．．",
  "%2e%2e",
  "%2E",
  ".%2e",
  "a/b",
  "/",
  "?",
  "#",
  "a\\b",
  "%2f",
  "\u0000",
  "\r\n",
  "\ud800"
]
const accepted: Array<[string, string]> = [
  ["abc", "abc"],
  ["T12345678.5f1b", "T12345678.5f1b"],
  ["...", "..."],
  ["a b", "a%20b"],
  ["ø", "%C3%B8"],
  ["100%", "100%25"]
]

describe("PathSegment", () => {
  for (const id of refused) {
    it.effect(`refuses ${JSON.stringify(id)} with InvalidRequestError naming the template`, () =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(PathSegment.path("dintero", "POST")`/v1/transactions/${id}/void`)
        assert.strictEqual(error._tag, "InvalidRequestError")
        assert.strictEqual(error.path, "/v1/transactions/{}/void")
        assert.strictEqual(error.method, "POST")
      })
    )
  }
  for (const [id, encoded] of accepted) {
    it.effect(`encodes ${JSON.stringify(id)} as one segment`, () =>
      Effect.gen(function* () {
        const path = yield* PathSegment.path("dinero", "GET")`/v1/${"org 1"}/contacts/${id}`
        assert.strictEqual(path, `/v1/org%201/contacts/${encoded}`)
        // The URL parser keeps it where it was put.
        assert.strictEqual(new URL(`https://h${path}`).pathname, path)
      })
    )
  }
})
