import { assert, describe, it } from "@effect/vitest"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import { DineroSchema } from "../src/index.ts"

const decodeDateTime = Schema.decodeUnknownSync(DineroSchema.DateTime)
const decodeAmount = Schema.decodeUnknownSync(DineroSchema.Amount)
const encodeAmount = Schema.encodeUnknownExit(DineroSchema.Amount)
const decodeCreated = Schema.decodeUnknownExit(DineroSchema.Created)

describe("DineroSchema", () => {
  it.effect("adding a ledger item: the spec's single answer, or an array of one, gives the item's Id and Version", () =>
    Effect.sync(() => {
      const decode = Schema.decodeUnknownSync(DineroSchema.LedgerItemAdded)
      const ref = { Id: "7f1c0f0e-1111-4a4a-9b9b-000000000001", Version: "AAAAAAYb0Eo1" }
      assert.deepStrictEqual(decode(ref), ref)
      assert.deepStrictEqual(decode([ref]), ref)
      assert.isTrue(Exit.isFailure(Schema.decodeUnknownExit(DineroSchema.LedgerItemAdded)([])))
      assert.isTrue(Exit.isFailure(Schema.decodeUnknownExit(DineroSchema.LedgerItemAdded)({ Version: "x" })))
    })
  )

  it.effect("zone-less timestamps decode as UTC whatever the machine's time zone", () =>
    Effect.sync(() => {
      const saved = process.env.TZ
      try {
        process.env.TZ = "America/Los_Angeles"
        const raw = "2006-01-02T15:04:05.000"
        const utc = Date.UTC(2006, 0, 2, 15, 4, 5)
        // What a naive `new Date` would do here: read it as local time, eight hours off.
        assert.notStrictEqual(new Date(raw).getTime(), utc, "the machine zone is not UTC in this test")
        assert.strictEqual(decodeDateTime(raw).epochMilliseconds, utc)
        assert.strictEqual(decodeDateTime("2006-01-02T15:04:05").epochMilliseconds, utc)
        // .NET writes up to 7 fractional digits.
        assert.strictEqual(decodeDateTime("2006-01-02T15:04:05.1234567").epochMilliseconds, utc + 123)
        // With a zone, the instant is kept.
        assert.strictEqual(decodeDateTime("2006-01-02T17:04:05+02:00").epochMilliseconds, utc)
        assert.strictEqual(decodeDateTime("2006-01-02T15:04:05Z").epochMilliseconds, utc)
        assert.strictEqual(DateTime.formatIso(decodeDateTime(raw)), "2006-01-02T15:04:05.000Z")
      } finally {
        if (saved === undefined) delete process.env.TZ
        else process.env.TZ = saved
      }
    })
  )

  it.effect("money decodes to decimal strings and encodes back to the JSON numbers Dinero expects", () =>
    Effect.sync(() => {
      assert.strictEqual(decodeAmount(149.5), "149.5")
      assert.strictEqual(decodeAmount(0.1), "0.1")
      assert.strictEqual(decodeAmount(-10), "-10")
      assert.strictEqual(decodeAmount(1e-7), "0.0000001")
      assert.deepStrictEqual(encodeAmount("1234.50"), Exit.succeed(1234.5))
      assert.isTrue(Exit.isFailure(encodeAmount("12,50")), "a comma decimal is refused before sending")
      assert.isTrue(Exit.isFailure(Schema.decodeUnknownExit(DineroSchema.Amount)("149.5")), "a string on the wire")
    })
  )

  it.effect("create results read the spec's TimeStamp; list items match fields case-insensitively", () =>
    Effect.sync(() => {
      assert.deepStrictEqual(decodeCreated({ Guid: "g", TimeStamp: "t" }), Exit.succeed({ Guid: "g", TimeStamp: "t" }))
      assert.isTrue(Exit.isFailure(decodeCreated({ TimeStamp: "t" })), "Guid is required")
      const item = Schema.decodeUnknownSync(DineroSchema.ContactListItem)({ contactGuid: "c", name: "N" })
      assert.deepStrictEqual(item, { ContactGuid: "c", Name: "N" })
    })
  )

  it.effect("a Dinero list decodes as {Collection, Pagination}", () =>
    Effect.sync(() => {
      const page = Schema.decodeUnknownSync(DineroSchema.Page(DineroSchema.ContactListItem))({
        Collection: [{ ContactGuid: "a", Name: "A", CreatedAt: "2024-05-01T08:00:00.000", Email: null }],
        Pagination: { MaxPageSizeAllowed: 1000, PageSize: 100, Result: 1, ResultWithoutFilter: 4, Page: 0 }
      })
      assert.strictEqual(page.Collection[0].Name, "A")
      assert.strictEqual(page.Collection[0].Email, null)
      assert.strictEqual(page.Pagination.ResultWithoutFilter, 4)
    })
  )

  it.effect("nextPage: a short page ends the list; ResultWithoutFilter bounds it from above", () =>
    Effect.sync(() => {
      const page = (n: number, total: number | undefined, index: number) => ({
        Collection: Array.from({ length: n }, (_, i) => i),
        Pagination: { PageSize: 100, Result: n, ResultWithoutFilter: total, Page: index }
      })
      assert.strictEqual(DineroSchema.nextPage(page(40, 240, 2), 200), undefined, "short page")
      assert.strictEqual(DineroSchema.nextPage(page(0, 0, 0), 0), undefined, "empty")
      assert.strictEqual(DineroSchema.nextPage(page(100, 250, 0), 0), 1, "more beyond this page")
      assert.strictEqual(DineroSchema.nextPage(page(100, 200, 1), 100), undefined, "the count reached exactly")
      assert.strictEqual(DineroSchema.nextPage(page(100, undefined, 0), 0), 1, "no count: read on")
    })
  )

  it.effect("queryFilter joins conditions with ';', quotes values, doubles quotes; dates as YYYY-MM-DDTHH:mm:ssZ", () =>
    Effect.sync(() => {
      assert.strictEqual(
        DineroSchema.queryFilter(
          { field: "Name", op: "contains", value: "O'Hara" },
          { field: "Email", op: "eq", value: "a@b.dk" }
        ),
        "Name contains 'O''Hara';Email eq 'a@b.dk'"
      )
      assert.throws(() => DineroSchema.queryFilter({ field: "Name;x", op: "eq", value: "y" }))
      // `;` separates conditions: inside a value it would split the filter.
      assert.throws(() => DineroSchema.queryFilter({ field: "Name", op: "contains", value: "a;b" }), /;/)
      assert.strictEqual(DineroSchema.queryDateTime(new Date("2015-08-18T06:36:22.123Z")), "2015-08-18T06:36:22Z")
    })
  )
})
