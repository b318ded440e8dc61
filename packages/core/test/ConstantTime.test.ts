import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"
import * as ConstantTime from "../src/ConstantTime.ts"
import * as Json from "../src/Json.ts"

describe("ConstantTime", () => {
  it("equals is true only for identical strings, whatever their lengths", () => {
    assert.isTrue(ConstantTime.equals("a1b2c3", "a1b2c3"))
    assert.isFalse(ConstantTime.equals("a1b2c3", "a1b2c4"))
    assert.isFalse(ConstantTime.equals("a1b2c3", "a1b2c"))
    assert.isFalse(ConstantTime.equals("", "x"))
    assert.isTrue(ConstantTime.equals("þú", "þú"))
    assert.isFalse(ConstantTime.equals("þú", "þu"))
    assert.isTrue(ConstantTime.equalsBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2])))
    assert.isFalse(ConstantTime.equalsBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3])))
  })
})

describe("Json", () => {
  it("parse never throws: JSON values, or undefined for empty and malformed text", () => {
    assert.deepStrictEqual(Json.parse('{"a":[1,null]}'), { a: [1, null] })
    assert.strictEqual(Json.parse("null"), null)
    assert.isUndefined(Json.parse(""))
    assert.isUndefined(Json.parse("{not json"))
    assert.isTrue(Option.isNone(Json.parseOption("<html>")))
    assert.deepStrictEqual(Json.parseOption("3"), Option.some(3))
  })
})
