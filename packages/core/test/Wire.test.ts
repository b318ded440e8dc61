import { assert, describe, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import * as Wire from "../src/Wire.ts"

describe("Wire", () => {
  it("openEnum keeps a value the provider added later as its raw string; a non-string still fails", () => {
    const Status = Wire.openEnum(["paid", "unpaid"])
    const decode = Schema.decodeUnknownSync(Status)
    assert.strictEqual(decode("paid"), "paid")
    assert.strictEqual(decode("partially_refunded"), "partially_refunded")
    assert.throws(() => decode(7))
  })

  it("optionalNullable accepts absent and null, and checks a present value", () => {
    const Item = Schema.Struct({ note: Wire.optionalNullable(Schema.String) })
    const decode = Schema.decodeUnknownSync(Item)
    assert.deepStrictEqual(decode({}), {})
    assert.deepStrictEqual(decode({ note: null }), { note: null })
    assert.deepStrictEqual(decode({ note: "x" }), { note: "x" })
    assert.throws(() => decode({ note: 1 }))
  })
})
