/**
 * The client's own schemas against the spec's facts: every field a read schema decodes is a field of the spec's
 * model (a misspelling such as `SeNumber` or `Timestamp` for `TimeStamp` fails here), and every input schema has
 * every field the spec requires and no field the spec does not know.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import { DineroSchema as S } from "../../src/index.ts"
import { facts } from "./Facts.ts"

const fieldsOf = (schema: Schema.Top): Array<string> => {
  const ast = SchemaAST.toType(schema.ast)
  if (!SchemaAST.isObjects(ast)) throw new Error("not a struct")
  return ast.propertySignatures.map((p) => String(p.name))
}

const reads: ReadonlyArray<readonly [Schema.Top, string]> = [
  [S.Organization, "OrganizationReadModel"],
  [S.Contact, "ContactReadModel"],
  [S.ContactListItem, "ContactReadModel"],
  [S.ContactCreated, "ContactCreatedResult"],
  [S.ProductCreated, "ProductCreatedResult"],
  [S.Product, "ProductReadModel"],
  [S.ProductListItem, "ProductReadModel"],
  [S.Invoice, "InvoiceReadModel"],
  [S.InvoiceListItem, "SalesVoucherReadListModel"],
  [S.InvoiceTotals, "InvoiceFetchReadModel"],
  [S.ProductLine, "InvoiceLinesReadModel"],
  [S.TotalLine, "TotalLine"],
  [S.CreditNote, "SalesCreditNoteReadModel"],
  [S.Created, "CreatedResponseModel"],
  [S.Updated, "UpdatedResponseModel"],
  [S.PaymentCreated, "CreatedPaymentResponse"],
  [S.PaymentDeleted, "DeletedPaymentResponse"],
  [S.Payment, "PaymentReadModel"],
  [S.InvoicePayments, "InvoicePaymentsModel"],
  [S.EmailSent, "EmailSentModel"],
  [S.FileSaved, "FileSavedReadModel"],
  [S.PurchaseVoucher, "PurchaseVoucherReadModelV2"],
  [S.PurchaseVoucherLine, "PurchaseVoucherLineReadModel"],
  [S.ManualVoucher, "ManuelVoucherReadModel"],
  [S.LedgerItemRef, "LedgerItemReadModel"],
  [S.LedgerItemStatus, "LedgerItemStatusReadModel"],
  [S.AccountingYear, "AccountingYearReadModel"],
  [S.EntryAccount, "EntryAccountReadModel"],
  [S.DepositAccount, "DepositAccountReadModel"],
  [S.VatType, "VatTypeReadModel"],
  [S.Entry, "EntryReadModel"],
  [S.Pagination, "PaginationDetails"]
]

const inputs: ReadonlyArray<readonly [Schema.Top, string]> = [
  [S.ContactInput, "ContactCreateModel"],
  [S.ProductInput, "ProductCreateModel"],
  [S.ProductInput, "ProductUpdateModel"],
  [S.ContactInput, "ContactUpdateModel"],
  [S.InvoiceInput, "InvoiceCreateModel"],
  [S.InvoiceInput, "InvoiceCreateFetchModel"],
  [S.InvoiceUpdate, "InvoiceUpdateModel"],
  [S.ProductLineInput, "InvoiceLinesCreateModel"],
  [S.BookRequest, "BookModel"],
  [S.TimestampBody, "RequiredTimestampObject"],
  [S.PaymentInput, "PaymentCreateModel"],
  [S.MailoutInput, "ApiMailoutModel"],
  [S.PurchaseVoucherInput, "PurchaseVoucherCreateModelV2"],
  [S.PurchaseVoucherUpdate, "PurchaseVoucherUpdateModel"],
  [S.PurchaseVoucherLineInput, "PurchaseVoucherLineCreateModel"],
  [S.ManualVoucherInput, "ManuelVoucherCreateModel"],
  [S.ManualVoucherUpdate, "ManuelVoucherUpdateModel"],
  [S.ManualVoucherLineInput, "ManuelVoucherLineCreateModel"],
  [S.LedgerItemInput, "LedgerItemModelV2"],
  [S.LedgerItemLineInput, "LedgerItemLineModelV2"],
  [S.WebhookSubscription, "SubscribeToWebhookModel"],
  [S.WebhookUnsubscription, "UnsubscribeFromWebhookModel"]
]

describe("the client's schemas against the spec", () => {
  it.effect("every field a read schema decodes is spelled as in the spec's model", () =>
    Effect.sync(() => {
      const problems = reads.flatMap(([schema, model]) => {
        const known = Object.keys(facts.schemas[model]?.properties ?? {})
        return fieldsOf(schema)
          .filter((f) => !known.includes(f))
          .map((f) => `${model}: ${f}`)
      })
      assert.deepStrictEqual(problems, [])
    })
  )

  it.effect("every field the spec requires in a whole read model is decoded (none silently dropped)", () =>
    Effect.sync(() => {
      // List items and organizations carry only the fields asked for, so only whole models are held to this.
      const projected = new Set<Schema.Top>([S.ContactListItem, S.ProductListItem, S.InvoiceListItem, S.Organization])
      const problems = reads
        .filter(([schema]) => !projected.has(schema))
        .flatMap(([schema, model]) => {
          const fields = fieldsOf(schema)
          return (facts.schemas[model]?.required ?? [])
            .filter((r) => !fields.includes(r))
            .map((r) => `${model}: ${r} (required) not decoded`)
        })
      assert.deepStrictEqual(problems, [])
    })
  )

  it.effect("every input schema covers the spec's required fields and sends no unknown field", () =>
    Effect.sync(() => {
      const problems = inputs.flatMap(([schema, model]) => {
        const fact = facts.schemas[model]!
        const known = Object.keys(fact.properties ?? {})
        const fields = fieldsOf(schema)
        return [
          ...fields.filter((f) => !known.includes(f)).map((f) => `${model}: ${f} is not in the spec`),
          ...(fact.required ?? []).filter((r) => !fields.includes(r)).map((r) => `${model}: ${r} (required) missing`)
        ]
      })
      assert.deepStrictEqual(problems, [])
    })
  )

  it.effect("the check sees a misspelled field", () =>
    Effect.sync(() => {
      const known = Object.keys(facts.schemas.ContactReadModel!.properties ?? {})
      assert.isFalse(known.includes("SeNumber"))
      assert.isTrue(known.includes("SENumber"))
      assert.include(fieldsOf(S.Contact), "SENumber")
    })
  )
})
