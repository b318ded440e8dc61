import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { DineroClient } from "../src/index.ts"
import { DineroTestServer } from "../src/testing.ts"
import { invoiceFor, options, org1 } from "./fixtures.ts"

/** A test server on loopback and a client talking to it over real HTTP. */
const loopback = (serverOptions?: DineroTestServer.Options) =>
  Effect.gen(function* () {
    const server = yield* DineroTestServer.make(serverOptions)
    const url = yield* DineroTestServer.listen(server)
    const dinero = yield* DineroClient.make(options({}, url))
    return { server, dinero }
  })

const overLoopback = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.scoped,
    Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Effect.provide(NodeHttpClient.layerUndici)
  )

/** A small receipt: a PDF header and some binary bytes. */
const receipt = new Uint8Array([...new TextEncoder().encode("%PDF-1.4\n%"), 0xe2, 0xe3, 0xcf, 0xd3, 0x0a, 0x25, 0x25])

describe("bookkeeping over loopback HTTP", () => {
  it.live("a purchase voucher with an uploaded receipt is booked", () =>
    overLoopback(
      Effect.gen(function* () {
        const { server, dinero } = yield* loopback()
        const file = yield* dinero.uploadFile({
          data: receipt,
          fileName: "kvittering.pdf",
          contentType: "application/pdf"
        })
        const stored = (yield* server.files(org1.organizationId)).get(file.FileGuid)
        assert.deepStrictEqual(stored, { name: "kvittering.pdf", type: "application/pdf", size: receipt.length })
        const upload = (yield* server.apiRequests).find((r) => r.path.endsWith("/files"))!
        assert.match(upload.headers["content-type"] ?? "", /^multipart\/form-data; boundary=/)

        const accounts = yield* dinero.listPurchaseAccounts()
        const office = accounts.find((a) => a.Name === "Kontorartikler")!
        const draft = yield* dinero.createPurchaseVoucher({
          PurchaseType: "cash",
          VoucherDate: "2026-03-02",
          FileGuid: file.FileGuid,
          DepositAccountNumber: 55000,
          Lines: [{ Amount: "312.50", AccountNumber: office.AccountNumber, Description: "Printerpapir" }]
        })
        assert.strictEqual(draft.Status, "Draft")
        assert.deepStrictEqual(
          draft.Lines?.map((l) => [l.AmountInclVatValue, l.AmountExclVatValue, l.VatAmountValue]),
          [["312.5", "250", "62.5"]]
        )
        const booked = yield* dinero.bookPurchaseVoucher(draft.Guid, { Timestamp: draft.Timestamp! })
        assert.strictEqual(booked.Status, "Paid", "a cash purchase is paid when booked")
        assert.strictEqual(booked.VoucherNumber, 1)
        const read = yield* dinero.getPurchaseVoucher(draft.Guid)
        assert.strictEqual(read.FileGuid, file.FileGuid)
        assert.strictEqual(read.Timestamp, booked.Timestamp)
        // Booked means in the books: its entries carry the receipt.
        const entries = yield* dinero.listEntries({
          from: new Date("2026-01-01T00:00:00Z"),
          to: new Date("2026-12-31T00:00:00Z")
        })
        const own = entries.filter((e) => e.VoucherGuid === draft.Guid)
        assert.deepStrictEqual(
          own.map((e) => [e.AccountNumber, e.Amount, e.FileGuid]),
          [
            [office.AccountNumber, "250", file.FileGuid],
            [55000, "-312.5", file.FileGuid]
          ]
        )
        // Booking again with the old timestamp: refused.
        const again = yield* Effect.flip(dinero.bookPurchaseVoucher(draft.Guid, { Timestamp: draft.Timestamp! }))
        assert.strictEqual(again._tag, "ApiError")
      })
    )
  )

  it.live("a file above 6 MB is a FileTooLargeError and nothing is sent", () =>
    overLoopback(
      Effect.gen(function* () {
        const { server, dinero } = yield* loopback()
        yield* dinero.listVatTypes()
        const before = (yield* server.apiRequests).length
        const error = yield* Effect.flip(
          dinero.uploadFile({
            data: new Uint8Array(6 * 1024 * 1024 + 1),
            fileName: "big.pdf",
            contentType: "application/pdf"
          })
        )
        assert.strictEqual(error._tag, "FileTooLargeError")
        assert.strictEqual((yield* server.apiRequests).length, before)
        // A file Dinero refuses: its 400 answer is a bare JSON string (the spec's schema), kept as the detail.
        const refused = yield* Effect.flip(
          dinero.uploadFile({ data: new TextEncoder().encode("hej"), fileName: "a.txt", contentType: "text/plain" })
        )
        assert.strictEqual(refused._tag, "ApiError")
        assert.strictEqual(refused._tag === "ApiError" && refused.detail, "Only PDF and images are accepted")
      })
    )
  )

  it.live("a ledger item is booked and its status awaited on a Schedule", () =>
    overLoopback(
      Effect.gen(function* () {
        const { server, dinero } = yield* loopback({ ledgerBookingDelayMillis: 1000 })
        const file = yield* dinero.uploadFile({ data: receipt, fileName: "gebyr.pdf", contentType: "application/pdf" })
        const item = yield* dinero.addLedgerItem({
          VoucherDate: "2026-03-03",
          FileGuid: file.FileGuid,
          Lines: [{ Description: "Bankgebyr", Amount: "25", AccountNumber: 3600, BalancingAccountNumber: 55000 }]
        })
        assert.isString(item.Version)
        yield* dinero.bookLedgerItems([item])
        const [pending] = yield* dinero.ledgerItemStatus([item.Id])
        assert.strictEqual(pending!.Status, "PendingBooking", "booking is asynchronous")

        // Too short a wait: a typed error carrying the statuses.
        const early = yield* Effect.flip(
          dinero.awaitLedgerItemsBooked([item.Id], {
            schedule: Schedule.spaced("20 millis").pipe(Schedule.upTo({ times: 2 }))
          })
        )
        assert.strictEqual(early._tag, "LedgerItemsNotBookedError")

        const statuses = yield* dinero.awaitLedgerItemsBooked([item.Id], {
          schedule: Schedule.spaced("100 millis").pipe(Schedule.upTo({ times: 30 }))
        })
        assert.strictEqual(statuses[0]!.Status, "Booked")
        assert.isNumber(statuses[0]!.VoucherNumber)
        const polls = (yield* server.apiRequests).filter((r) => r.path.endsWith("/ledgeritems/status"))
        assert.isAbove(polls.length, 3, "the status was polled until booked")
        const booked = (yield* dinero.listEntries({
          from: new Date("2026-03-01T00:00:00Z"),
          to: new Date("2026-03-31T00:00:00Z")
        })).filter((e) => e.VoucherGuid === item.Id)
        assert.deepStrictEqual(
          booked.map((e) => [e.AccountNumber, e.Amount]),
          [
            [3600, "25"],
            [55000, "-25"]
          ]
        )
      })
    )
  )

  it.live("an invoice is paid, then credited: payments, status, credit note booked with its PDF", () =>
    overLoopback(
      Effect.gen(function* () {
        const { dinero } = yield* loopback()
        const [customer] = (yield* dinero.listContacts()).Collection
        const draft = yield* dinero.createInvoice(invoiceFor(customer!.ContactGuid))
        const booked = yield* dinero.bookInvoice(draft.Guid, { Timestamp: draft.TimeStamp! })
        // Dinero answers only AccountNumber and Name unless asked for more.
        assert.isUndefined((yield* dinero.listDepositAccounts())[0]!.IsDefault)
        const [deposit] = (yield* dinero.listDepositAccounts({ fields: ["Name", "IsDefault"] })).filter(
          (a) => a.IsDefault
        )
        // A partial payment, then the rest.
        const first = yield* dinero.addInvoicePayment(draft.Guid, {
          Timestamp: booked.TimeStamp!,
          DepositAccountNumber: deposit!.AccountNumber,
          Description: "Delbetaling",
          Amount: "5000",
          PaymentDate: "2026-03-10"
        })
        const stale = yield* Effect.flip(
          dinero.addInvoicePayment(draft.Guid, {
            Timestamp: booked.TimeStamp!,
            DepositAccountNumber: deposit!.AccountNumber,
            Description: "Rest",
            Amount: "4093.13"
          })
        )
        assert.strictEqual(stale._tag === "ApiError" ? stale.code : stale._tag, "58", "the payment moved the timestamp")
        yield* dinero.addInvoicePayment(draft.Guid, {
          Timestamp: first.TimeStamp!,
          DepositAccountNumber: deposit!.AccountNumber,
          Description: "Rest",
          Amount: "4093.13"
        })
        const payments = yield* dinero.listInvoicePayments(draft.Guid)
        assert.strictEqual(payments.PaidAmount, "9093.13")
        assert.strictEqual(payments.RemainingAmount, "0")
        assert.deepStrictEqual(
          payments.Payments?.map((p) => p.Amount),
          ["5000", "4093.13"]
        )
        const paid = yield* dinero.getInvoice(draft.Guid)
        assert.strictEqual(paid.PaymentStatus, "Paid")

        const sent = yield* dinero.sendInvoiceEmail(draft.Guid, { Message: "Tak for handlen. [link-to-pdf]" })
        assert.deepStrictEqual(
          sent.Recipients?.map((r) => r.Email),
          ["kunde1@example.dk"]
        )

        // Credited in full.
        const note = yield* dinero.createCreditNoteFromInvoice(draft.Guid, paid.TimeStamp!)
        const draftNote = yield* dinero.getCreditNote(note.Guid)
        assert.strictEqual(draftNote.CreditNoteFor, draft.Guid)
        assert.strictEqual(draftNote.TotalInclVat, "9093.13")
        const bookedNote = yield* dinero.bookCreditNote(note.Guid, { Timestamp: note.TimeStamp! })
        assert.strictEqual(bookedNote.Status, "Booked")
        assert.strictEqual(bookedNote.Number, 2)
        const pdf = yield* dinero.getCreditNotePdf(note.Guid)
        assert.strictEqual(new TextDecoder().decode(pdf.slice(0, 5)), "%PDF-")
        const afterCredit = yield* dinero.listInvoicePayments(draft.Guid)
        assert.strictEqual(afterCredit.RemainingAmount, "-9093.13", "paid and credited: the customer is owed the money")
      })
    )
  )

  it.live("entry changes stream in 31-day ranges with a cursor that resumes exactly", () =>
    overLoopback(
      Effect.gen(function* () {
        const { dinero } = yield* loopback()
        const since = new Date(Date.now() - 70 * 86_400_000)
        const [customer] = (yield* dinero.listContacts()).Collection
        const draft = yield* dinero.createInvoice(invoiceFor(customer!.ContactGuid))
        yield* dinero.bookInvoice(draft.Guid, { Timestamp: draft.TimeStamp! })
        // The query format has whole seconds: a range ends at the last whole second, the rest comes next time.
        yield* Effect.sleep("1100 millis")
        const ranges = Array.from(yield* Stream.runCollect(dinero.streamEntryChanges({ since })))
        assert.lengthOf(ranges, 3, "70 days in ranges of at most 31")
        const entries = ranges.flatMap((r) => r.entries)
        assert.deepStrictEqual(new Set(entries.map((e) => e.VoucherGuid)), new Set([draft.Guid]))
        const cursor = ranges.at(-1)!.cursor
        // Nothing new since the cursor...
        yield* Effect.sleep("1100 millis")
        const none = Array.from(yield* Stream.runCollect(dinero.streamEntryChanges({ since: cursor })))
        assert.deepStrictEqual(
          none.flatMap((r) => r.entries),
          []
        )
        // ...then a new booking appears exactly once.
        const second = yield* dinero.createInvoice(invoiceFor(customer!.ContactGuid))
        yield* dinero.bookInvoice(second.Guid, { Timestamp: second.TimeStamp! })
        yield* Effect.sleep("1100 millis")
        const resumed = Array.from(yield* Stream.runCollect(dinero.streamEntryChanges({ since: none.at(-1)!.cursor })))
        assert.deepStrictEqual(
          new Set(resumed.flatMap((r) => r.entries).map((e) => e.VoucherGuid)),
          new Set([second.Guid])
        )
      })
    )
  )

  it.live("entries of a period spanning accounting years: one request per year, never a crossing range", () =>
    overLoopback(
      Effect.gen(function* () {
        const { server, dinero } = yield* loopback()
        const year = new Date().getUTCFullYear()
        const [customer] = (yield* dinero.listContacts()).Collection
        const last = yield* dinero.createInvoice({ ...invoiceFor(customer!.ContactGuid), Date: `${year - 1}-06-01` })
        yield* dinero.bookInvoice(last.Guid, { Timestamp: last.TimeStamp! })
        const current = yield* dinero.createInvoice({ ...invoiceFor(customer!.ContactGuid), Date: `${year}-01-02` })
        yield* dinero.bookInvoice(current.Guid, { Timestamp: current.TimeStamp! })
        const from = new Date(`${year - 1}-01-01T00:00:00Z`)
        const to = new Date(`${year}-12-31T00:00:00Z`)
        const crossing = yield* Effect.flip(dinero.listEntries({ from, to }))
        assert.strictEqual(crossing._tag, "ApiError", "Dinero refuses a range across accounting years")
        const years = Array.from(yield* Stream.runCollect(dinero.streamEntries({ from, to })))
        assert.deepStrictEqual(
          years.map((y) => [y.accountingYear, [...new Set(y.entries.map((e) => e.VoucherGuid))]]),
          [
            [String(year - 1), [last.Guid]],
            [String(year), [current.Guid]]
          ]
        )
        const requests = (yield* server.apiRequests).filter((r) => r.path.endsWith("/entries") && r.status === 200)
        assert.deepStrictEqual(
          requests.map((r) => [r.query.get("fromDate")!.slice(0, 4), r.query.get("toDate")!.slice(0, 4)]),
          [
            [String(year - 1), String(year - 1)],
            [String(year), String(year)]
          ]
        )
      })
    )
  )
})
