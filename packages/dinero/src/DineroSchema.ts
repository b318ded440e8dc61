/**
 * Dinero's wire shapes, field for field as Dinero's published OpenAPI document names them (the facts the contract
 * test holds them to are in `test/contract/facts.json`, extracted by `scripts/facts.ts`):
 *
 * - PascalCase fields, and the spec's own spellings: `SENumber` on contacts; `TimeStamp` in the read models of
 *   invoices and credit notes and in the create / update / payment answers, while request bodies (`BookModel`,
 *   updates, deletes, payments) and the voucher read models spell it `Timestamp`.
 * - Money (`BaseAmountValue`, `TotalInclVat`, `Amount`, ...) is decoded into a decimal *string* (`"1234.5"`) and
 *   encoded back as the JSON number Dinero expects, so amounts never go through float arithmetic in your code.
 * - Date-times (`CreatedAt`, `UpdatedAt`, ...) decode to `DateTime.Utc`; a zone-less value such as
 *   `2006-01-02T15:04:05.000` is read as UTC, deterministically.
 * - `Timestamp` / `TimeStamp` is not a date: it is Dinero's opaque optimistic-concurrency token, sent back
 *   verbatim to book, update or delete.
 * - List items carry only the fields asked for with `fields`, named the way they were asked for (Dinero's default
 *   for contacts is `name,contactGuid`, lower-case first letter): list items are matched to the schema's fields
 *   case-insensitively, and every field but the id is optional.
 * - Values Dinero may extend (statuses, types) are plain strings: a new value never fails a read.
 *
 * Unknown fields are ignored on decode, so new fields on Dinero's side never break a client.
 */
import * as Wire from "@nordkit/core/Wire"
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"

/** Dinero organization ids are integers; they appear in every path as `/v1/{organizationId}/...`. */
export const OrganizationId = Schema.String.pipe(Schema.check(Schema.isPattern(/^[1-9]\d{0,11}$/)))

const optional = Wire.optionalNullable

/** A decimal number as a string, e.g. `"1234.5"` or `"-10"`. */
export const Decimal = Schema.String.pipe(Schema.check(Schema.isPattern(/^-?\d+(\.\d+)?$/)))

const decimalOf = (n: number): string => {
  const text = String(n)
  // Tiny or huge values print with an exponent: spell them out (money never needs more than 10 decimals).
  return /e/i.test(text) ? n.toFixed(10).replace(/\.?0+$/, "") : text
}

/** Money: a JSON number on the wire, a decimal string in your code. */
export const Amount = Schema.Finite.pipe(
  Schema.decodeTo(Decimal, SchemaTransformation.transform({ decode: decimalOf, encode: (s) => Number(s) }))
)

/** A date-time; zone-less values are read as UTC (see the module comment). */
export const DateTime = Schema.DateTimeUtcFromString

/** A calendar date, `YYYY-MM-DD` (invoice `Date`, `PaymentDate`, voucher dates). */
export const LocalDate = Schema.String.pipe(Schema.check(Schema.isPattern(/^\d{4}-\d{2}-\d{2}$/)))

/** Dinero's concurrency token (`Timestamp` / `TimeStamp`): opaque, non-empty. */
export const Timestamp = Schema.String.pipe(Schema.check(Schema.isMinLength(1)))

/**
 * A struct whose wire keys are matched case-insensitively (list items come back named the way `fields` asked for
 * them, e.g. `contactGuid`).
 */
const caseInsensitive = <S extends Schema.Struct<Schema.Struct.Fields>>(struct: S): S => {
  const names = new Map(Object.keys(struct.fields).map((key) => [key.toLowerCase(), key]))
  return Schema.Record(Schema.String, Schema.Unknown).pipe(
    Schema.decodeTo(
      struct as Schema.Struct<Schema.Struct.Fields>,
      SchemaTransformation.transform<Record<string, unknown>, Record<string, unknown>>({
        decode: (record) => {
          const out: Record<string, unknown> = {}
          for (const [key, value] of Object.entries(record)) out[names.get(key.toLowerCase()) ?? key] = value
          return out
        },
        encode: (value) => value
      }) as never
    )
  ) as unknown as S
}

// ---------------------------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------------------------

/**
 * `Pagination` of a list (`PaginationDetails`): `Page` is 0-based, `Result` counts the items in this page,
 * `ResultWithoutFilter` the items before pagination.
 */
export const Pagination = Schema.Struct({
  MaxPageSizeAllowed: optional(Schema.Int),
  PageSize: Schema.Int,
  Result: Schema.Int,
  ResultWithoutFilter: optional(Schema.Int),
  Page: Schema.Int
})
export type Pagination = typeof Pagination.Type

/** A page of a list endpoint: `{ Collection: [...], Pagination: {...} }` (`Collection` may be null: empty). */
export const Page = <S extends Schema.Top>(item: S) =>
  Schema.Struct({
    Collection: Schema.NullOr(Schema.Array(item)).pipe(
      Schema.decodeTo(
        Schema.Array(Schema.toType(item)),
        SchemaTransformation.transform({
          decode: (collection) => collection ?? [],
          encode: (collection) => collection
        })
      )
    ),
    Pagination: Pagination
  })
export interface Page<A> {
  readonly Collection: ReadonlyArray<A>
  readonly Pagination: Pagination
}

/**
 * The next page to read after `page`, or undefined when it was the last. A short page is always the last.
 * `ResultWithoutFilter` ("count before pagination" in the spec; possibly before the filter too) bounds the items
 * from above, so stopping when it is reached never skips a page — at worst one extra request reads an empty page.
 */
export const nextPage = (page: Page<unknown>, itemsBefore: number): number | undefined => {
  const { Collection, Pagination } = page
  if (Collection.length === 0 || Collection.length < Pagination.PageSize) return undefined
  const total = Pagination.ResultWithoutFilter
  if (total !== undefined && total !== null && itemsBefore + Collection.length >= total) return undefined
  return Pagination.Page + 1
}

/** Paging and filtering shared by the list endpoints. */
export interface ListParams {
  /** Fields to return (Dinero returns only a few by default); the id field is added when fields are given. */
  readonly fields?: ReadonlyArray<string> | undefined
  /**
   * Dinero's filter: conditions `Field eq 'value'` or `Field contains 'value'`, joined with `;` (AND), e.g.
   * `Name contains 'Acme';Email contains 'dk'`. Build one safely with {@link queryFilter}.
   */
  readonly queryFilter?: string | undefined
  /** Only items created, updated or deleted at or after this instant (sent as `YYYY-MM-DDTHH:mm:ssZ`). */
  readonly changesSince?: Date | undefined
  /** Only deleted items. */
  readonly deletedOnly?: boolean | undefined
  /** 0-based page. Default 0. */
  readonly page?: number | undefined
  /** Items per page. Default 100 (Dinero's maximum is 1000). */
  readonly pageSize?: number | undefined
}

/** `GET /v1/{org}/invoices` adds a date range, a status filter, free text and sorting. */
export interface InvoiceListParams extends ListParams {
  /** `YYYY-MM-DD`; needs `endDate` too. */
  readonly startDate?: string | undefined
  /** `YYYY-MM-DD`; needs `startDate` too. */
  readonly endDate?: string | undefined
  /** e.g. `Draft`, `Booked`, `Paid`, `OverPaid`, `Overdue` (comma separated for several). */
  readonly statusFilter?: string | undefined
  readonly freeTextSearch?: string | undefined
  /** `VoucherNumber`, `VoucherDate`, `Status`, `Contact` (comma separated). */
  readonly sort?: string | undefined
  readonly sortOrder?: "ascending" | "descending" | undefined
}

/** One condition of a `queryFilter`. */
export interface FilterCondition {
  readonly field: string
  readonly op: "eq" | "contains"
  readonly value: string
}

/**
 * Builds a `queryFilter`: conditions joined with `;`, values in single quotes (a quote inside a value is
 * doubled). Throws on a field name that is not a plain identifier, and on a value containing `;` (the condition
 * separator, which Dinero's syntax gives no escape for).
 */
export const queryFilter = (...conditions: ReadonlyArray<FilterCondition>): string =>
  conditions
    .map(({ field, op, value }) => {
      if (!/^[A-Za-z]\w*$/.test(field)) throw new TypeError(`queryFilter: ${JSON.stringify(field)} is not a field`)
      if (value.includes(";")) throw new TypeError(`queryFilter: a value cannot contain ';' (${field})`)
      return `${field} ${op} '${value.replaceAll("'", "''")}'`
    })
    .join(";")

/** Dinero's date-time query format, `YYYY-MM-DDTHH:mm:ssZ` (UTC, whole seconds). */
export const queryDateTime = (date: Date): string => `${date.toISOString().slice(0, 19)}Z`

// ---------------------------------------------------------------------------------------------------------
// Organizations
// ---------------------------------------------------------------------------------------------------------

/** An entry of `GET /v1/organizations` (`OrganizationReadModel`). */
export const Organization = Schema.Struct({
  Id: Schema.Int,
  Name: Schema.String,
  Type: optional(Schema.String),
  IsPro: optional(Schema.Boolean),
  IsPayingPro: optional(Schema.Boolean),
  IsVatFree: optional(Schema.Boolean),
  Email: optional(Schema.String),
  Phone: optional(Schema.String),
  Street: optional(Schema.String),
  City: optional(Schema.String),
  ZipCode: optional(Schema.String),
  AttPerson: optional(Schema.String),
  IsTaxFreeUnion: optional(Schema.Boolean),
  VatNumber: optional(Schema.String),
  CountryKey: optional(Schema.String),
  Website: optional(Schema.String)
})
export type Organization = typeof Organization.Type

export const OrganizationList = Schema.Array(caseInsensitive(Organization))

// ---------------------------------------------------------------------------------------------------------
// Contacts
// ---------------------------------------------------------------------------------------------------------

const contactFields = {
  ExternalReference: optional(Schema.String),
  Street: optional(Schema.String),
  ZipCode: optional(Schema.String),
  City: optional(Schema.String),
  CountryKey: optional(Schema.String),
  Phone: optional(Schema.String),
  Email: optional(Schema.String),
  Webpage: optional(Schema.String),
  AttPerson: optional(Schema.String),
  VatNumber: optional(Schema.String),
  EanNumber: optional(Schema.String),
  SENumber: optional(Schema.String),
  PNumber: optional(Schema.String),
  PaymentConditionType: optional(Schema.String),
  PaymentConditionNumberOfDays: optional(Schema.Int),
  IsPerson: optional(Schema.Boolean),
  IsMember: optional(Schema.Boolean),
  MemberNumber: optional(Schema.String),
  UseCvr: optional(Schema.Boolean),
  CompanyTypeKey: optional(Schema.String),
  CompanyStatus: optional(Schema.String),
  VatRegionKey: optional(Schema.String),
  InvoiceMailOutOptionKey: optional(Schema.String),
  PreferredInvoiceLanguageKey: optional(Schema.String),
  PreferredInvoiceCurrencyKey: optional(Schema.String),
  IsDebitor: optional(Schema.Boolean),
  IsCreditor: optional(Schema.Boolean),
  CreatedAt: optional(DateTime),
  UpdatedAt: optional(DateTime),
  DeletedAt: optional(DateTime)
}

/** `GET /v1/{org}/contacts/{guid}` (`ContactReadModel`). */
export const Contact = Schema.Struct({ ContactGuid: Schema.String, Name: Schema.String, ...contactFields })
export type Contact = typeof Contact.Type

/**
 * An item of `GET /v1|v2/{org}/contacts`: only the requested fields, named as requested (the default is
 * `name,contactGuid`); matched case-insensitively.
 */
export const ContactListItem = caseInsensitive(
  Schema.Struct({ ContactGuid: Schema.String, Name: optional(Schema.String), ...contactFields })
)
export type ContactListItem = typeof ContactListItem.Type

/** Body of `POST /v1/{org}/contacts` (`ContactCreateModel`) and `PUT /v2/{org}/contacts/{guid}`. */
export const ContactInput = Schema.Struct({
  Name: Schema.NonEmptyString,
  /** ISO 3166 alpha-2, e.g. `DK`. */
  CountryKey: Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Z]{2}$/))),
  IsPerson: Schema.Boolean,
  /** Required by Dinero (only unions use members): the client sends false when you leave it out. */
  IsMember: Schema.optional(Schema.Boolean),
  /**
   * Required by Dinero: whether Dinero fills name and address from the CVR register. The client sends false when
   * you leave it out.
   */
  UseCvr: Schema.optional(Schema.Boolean),
  ExternalReference: Schema.optional(Schema.String),
  Street: Schema.optional(Schema.String),
  ZipCode: Schema.optional(Schema.String),
  City: Schema.optional(Schema.String),
  Phone: Schema.optional(Schema.String),
  Email: Schema.optional(Schema.String),
  Webpage: Schema.optional(Schema.String),
  AttPerson: Schema.optional(Schema.String),
  VatNumber: Schema.optional(Schema.String),
  EanNumber: Schema.optional(Schema.String),
  SENumber: Schema.optional(Schema.String),
  PNumber: Schema.optional(Schema.String),
  PaymentConditionType: Schema.optional(Schema.String),
  PaymentConditionNumberOfDays: Schema.optional(Schema.Int),
  MemberNumber: Schema.optional(Schema.String),
  CompanyTypeKey: Schema.optional(Schema.String),
  InvoiceMailOutOptionKey: Schema.optional(Schema.String),
  PreferredInvoiceLanguageKey: Schema.optional(Schema.String),
  PreferredInvoiceCurrencyKey: Schema.optional(Schema.String)
})
export type ContactInput = typeof ContactInput.Type

/** Answer of `POST /v1/{org}/contacts` (`ContactCreatedResult`). */
export const ContactCreated = Schema.Struct({ ContactGuid: Schema.String })
export type ContactCreated = typeof ContactCreated.Type

// ---------------------------------------------------------------------------------------------------------
// Products
// ---------------------------------------------------------------------------------------------------------

const productFields = {
  ProductNumber: optional(Schema.String),
  BaseAmountValue: optional(Amount),
  BaseAmountValueInclVat: optional(Amount),
  TotalAmount: optional(Amount),
  TotalAmountInclVat: optional(Amount),
  Quantity: optional(Schema.Finite),
  AccountNumber: optional(Schema.Int),
  Unit: optional(Schema.String),
  ExternalReference: optional(Schema.String),
  Comment: optional(Schema.String),
  CreatedAt: optional(DateTime),
  UpdatedAt: optional(DateTime),
  DeletedAt: optional(DateTime)
}

/** `GET /v1/{org}/products/{guid}` (`ProductReadModel`). */
export const Product = Schema.Struct({ ProductGuid: Schema.String, Name: optional(Schema.String), ...productFields })
export type Product = typeof Product.Type

/** An item of `GET /v1/{org}/products`. */
export const ProductListItem = caseInsensitive(
  Schema.Struct({ ProductGuid: Schema.String, Name: optional(Schema.String), ...productFields })
)
export type ProductListItem = typeof ProductListItem.Type

/** Body of `POST /v1/{org}/products` and `PUT /v1/{org}/products/{guid}` (`ProductCreateModel`). */
export const ProductInput = Schema.Struct({
  Name: Schema.optional(Schema.String),
  ProductNumber: Schema.optional(Schema.String),
  /** Unit price excluding VAT. */
  BaseAmountValue: Amount,
  Quantity: Schema.Finite,
  AccountNumber: Schema.Int,
  /** `parts`, `hours`, `km`, `day`, `week`, `month`, `kilogram`, ... */
  Unit: Schema.NonEmptyString,
  ExternalReference: Schema.optional(Schema.String),
  Comment: Schema.optional(Schema.String)
})
export type ProductInput = typeof ProductInput.Type

/** Answer of `POST /v1/{org}/products` (`ProductCreatedResult`). */
export const ProductCreated = Schema.Struct({ ProductGuid: Schema.String })
export type ProductCreated = typeof ProductCreated.Type

// ---------------------------------------------------------------------------------------------------------
// Invoices and credit notes
// ---------------------------------------------------------------------------------------------------------

/** Invoice payment states Dinero documents; others decode too (as plain strings). */
export type InvoiceStatus = "Draft" | "Booked" | "Paid" | "OverPaid" | "Overdue" | (string & {})

/** A line of a read invoice (`InvoiceLinesReadModel`). */
export const ProductLine = Schema.Struct({
  ProductGuid: optional(Schema.String),
  Description: optional(Schema.String),
  Comments: optional(Schema.String),
  Quantity: optional(Schema.Finite),
  AccountNumber: optional(Schema.Int),
  AccountName: optional(Schema.String),
  Unit: optional(Schema.String),
  Discount: optional(Schema.Finite),
  LineType: optional(Schema.String),
  BaseAmountValue: optional(Amount),
  BaseAmountValueInclVat: optional(Amount),
  TotalAmount: optional(Amount),
  TotalAmountInclVat: optional(Amount)
})
export type ProductLine = typeof ProductLine.Type

/** A total line (`TotalLine`: SubTotal, Vat, Total, ...). */
export const TotalLine = Schema.Struct({
  Type: optional(Schema.String),
  TotalAmount: Amount,
  Position: optional(Schema.Int),
  Label: optional(Schema.String)
})

const salesVoucherFields = {
  Number: optional(Schema.Int),
  ContactGuid: optional(Schema.String),
  ContactName: optional(Schema.String),
  Date: optional(Schema.String),
  Description: optional(Schema.String),
  Comment: optional(Schema.String),
  Currency: optional(Schema.String),
  Language: optional(Schema.String),
  ExternalReference: optional(Schema.String),
  Address: optional(Schema.String),
  Status: optional(Schema.String),
  PaymentStatus: optional(Schema.String),
  MailOutStatus: optional(Schema.String),
  LatestMailOutType: optional(Schema.String),
  ShowLinesInclVat: optional(Schema.Boolean),
  InvoiceTemplateId: optional(Schema.String),
  TotalExclVat: optional(Amount),
  TotalVat: optional(Amount),
  TotalInclVat: optional(Amount),
  TotalVatableAmount: optional(Amount),
  TotalNonVatableAmount: optional(Amount),
  TotalLines: optional(Schema.Array(TotalLine)),
  ProductLines: optional(Schema.Array(ProductLine)),
  CreatedAt: optional(DateTime),
  UpdatedAt: optional(DateTime),
  DeletedAt: optional(DateTime)
}

/**
 * `GET /v1/{org}/invoices/{guid}` (JSON) and the answer of booking (`InvoiceReadModel`). `TimeStamp` is the
 * concurrency token to book, update, pay or credit with.
 */
export const Invoice = Schema.Struct({
  Guid: Schema.String,
  TimeStamp: optional(Schema.String),
  ...salesVoucherFields,
  PaymentDate: optional(Schema.String),
  PaymentConditionType: optional(Schema.String),
  PaymentConditionNumberOfDays: optional(Schema.Int),
  FikCode: optional(Schema.String),
  DepositAccountNumber: optional(Schema.Int),
  IsSentToDebtCollection: optional(Schema.Boolean),
  IsMobilePayInvoiceEnabled: optional(Schema.Boolean),
  IsPensoPayEnabled: optional(Schema.Boolean)
})
export type Invoice = typeof Invoice.Type

/** `GET /v1/{org}/sales/creditnotes/{guid}` (`SalesCreditNoteReadModel`). */
export const CreditNote = Schema.Struct({
  Guid: Schema.String,
  TimeStamp: optional(Schema.String),
  CreditNoteFor: optional(Schema.String),
  ...salesVoucherFields
})
export type CreditNote = typeof CreditNote.Type

/** An item of `GET /v1/{org}/invoices` (`SalesVoucherReadListModel`), fields as requested. */
export const InvoiceListItem = caseInsensitive(
  Schema.Struct({
    Guid: Schema.String,
    Number: optional(Schema.Int),
    ExternalReference: optional(Schema.String),
    Date: optional(Schema.String),
    PaymentDate: optional(Schema.String),
    Description: optional(Schema.String),
    Status: optional(Schema.String),
    Type: optional(Schema.String),
    ContactName: optional(Schema.String),
    ContactGuid: optional(Schema.String),
    TotalInclVat: optional(Amount),
    TotalExclVat: optional(Amount),
    TotalInclVatInDkk: optional(Amount),
    TotalExclVatInDkk: optional(Amount),
    MailOutStatus: optional(Schema.String),
    LatestMailOutType: optional(Schema.String),
    Currency: optional(Schema.String),
    CreatedAt: optional(DateTime),
    UpdatedAt: optional(DateTime),
    DeletedAt: optional(DateTime)
  })
)
export type InvoiceListItem = typeof InvoiceListItem.Type

/** A line of a new or updated invoice (`InvoiceLinesCreateModel`). Amounts exclude VAT unless `ShowLinesInclVat`. */
export const ProductLineInput = Schema.Struct({
  ProductGuid: Schema.optional(Schema.String),
  Description: Schema.optional(Schema.String),
  Comments: Schema.optional(Schema.String),
  Quantity: Schema.Finite,
  AccountNumber: Schema.Int,
  /** Required for product lines: `parts`, `hours`, `km`, `day`, `week`, `month`, `kilogram`, ... */
  Unit: Schema.optional(Schema.String),
  /** Percent, 0–100. Required by Dinero: the client sends 0 when you leave it out. */
  Discount: Schema.optional(Schema.Finite.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 100 })))),
  LineType: Schema.optional(Schema.Literals(["Product", "Text"])),
  BaseAmountValue: Amount
})
export type ProductLineInput = typeof ProductLineInput.Type

const invoiceInputFields = {
  ContactGuid: Schema.optional(Schema.String),
  ProductLines: Schema.Array(ProductLineInput).pipe(Schema.check(Schema.isMinLength(1))),
  Guid: Schema.optional(Schema.String),
  Date: Schema.optional(LocalDate),
  Currency: Schema.optional(Schema.String),
  Language: Schema.optional(Schema.String),
  ExternalReference: Schema.optional(Schema.String),
  Description: Schema.optional(Schema.String),
  Comment: Schema.optional(Schema.String),
  Address: Schema.optional(Schema.String),
  ShowLinesInclVat: Schema.optional(Schema.Boolean),
  PaymentConditionType: Schema.optional(Schema.String),
  PaymentConditionNumberOfDays: Schema.optional(Schema.Int),
  ReminderFee: Schema.optional(Schema.Finite),
  ReminderInterestRate: Schema.optional(Schema.Finite),
  IsMobilePayInvoiceEnabled: Schema.optional(Schema.Boolean),
  IsPensoPayEnabled: Schema.optional(Schema.Boolean),
  InvoiceTemplateId: Schema.optional(Schema.String)
}

/** Body of `POST /v1/{org}/invoices` (`InvoiceCreateModel`, a draft) and of the totals call. */
export const InvoiceInput = Schema.Struct(invoiceInputFields)
export type InvoiceInput = typeof InvoiceInput.Type

/** Body of `PUT /v1.2/{org}/invoices/{guid}` (`InvoiceUpdateModel`): the whole draft plus its `Timestamp`. */
export const InvoiceUpdate = Schema.Struct({ Timestamp, ...invoiceInputFields })
export type InvoiceUpdate = typeof InvoiceUpdate.Type

/** Answer of `POST /v1/{org}/invoices/fetch` (`InvoiceFetchReadModel`): totals and dates of a would-be invoice. */
const {
  Status: _status,
  PaymentStatus: _paymentStatus,
  MailOutStatus: _mailOutStatus,
  LatestMailOutType: _latestMailOutType,
  CreatedAt: _createdAt,
  UpdatedAt: _updatedAt,
  DeletedAt: _deletedAt,
  ...totalsFields
} = salesVoucherFields

export const InvoiceTotals = Schema.Struct({
  ...totalsFields,
  PaymentDate: optional(Schema.String),
  PaymentConditionType: optional(Schema.String),
  PaymentConditionNumberOfDays: optional(Schema.Int),
  CanEnableMobilePayInvoice: optional(Schema.Boolean),
  CanEnablePensoPay: optional(Schema.Boolean)
})
export type InvoiceTotals = typeof InvoiceTotals.Type

/** Body of the book endpoints (`BookModel`). Note the spelling: `Timestamp` here, `TimeStamp` in read models. */
export const BookRequest = Schema.Struct({
  /** The entity's latest timestamp; a stale one is refused (Dinero error code 58). */
  Timestamp,
  /** The number to book with. Default: the next number. */
  Number: Schema.optional(Schema.Int)
})
export type BookRequest = typeof BookRequest.Type
/** @deprecated the same as {@link BookRequest} */
export const BookInvoiceRequest = BookRequest
export type BookInvoiceRequest = BookRequest

/** Body of deletes and of credit-note generation (`TimestampObject` / `RequiredTimestampObject`). */
export const TimestampBody = Schema.Struct({ Timestamp })

/** Answer of create calls (`CreatedResponseModel`): the new entity's `Guid` and its `TimeStamp`. */
export const Created = Schema.Struct({ Guid: Schema.String, TimeStamp: optional(Schema.String) })
export type Created = typeof Created.Type

/** Answer of `PUT /v1.2/{org}/invoices/{guid}` (`UpdatedResponseModel`). */
export const Updated = Created
export type Updated = Created

/** Body of `POST /v1/{org}/invoices/{guid}/payments` (`PaymentCreateModel`). */
export const PaymentInput = Schema.Struct({
  /** The invoice's latest `TimeStamp`. */
  Timestamp,
  /** The deposit account the money went to (see `listDepositAccounts`). */
  DepositAccountNumber: Schema.Int,
  Description: Schema.NonEmptyString,
  /** Non-zero. */
  Amount: Amount,
  /** Whether the rest of the invoice is written off as a fee. Required by Dinero: the client sends false. */
  RemainderIsFee: Schema.optional(Schema.Boolean),
  AmountInForeignCurrency: Schema.optional(Amount),
  ExternalReference: Schema.optional(Schema.String),
  PaymentDate: Schema.optional(LocalDate)
})
export type PaymentInput = typeof PaymentInput.Type

/** Answer of adding a payment (`CreatedPaymentResponse`): the payment's `Guid`, the invoice's new `TimeStamp`. */
export const PaymentCreated = Schema.Struct({
  Guid: Schema.String,
  TimeStamp: optional(Schema.String),
  RelatedVoucherGuid: optional(Schema.String)
})
export type PaymentCreated = typeof PaymentCreated.Type

/** Answer of deleting a payment (`DeletedPaymentResponse`): the invoice's new `TimeStamp`. */
export const PaymentDeleted = Schema.Struct({ TimeStamp: optional(Schema.String) })
export type PaymentDeleted = typeof PaymentDeleted.Type

/** A registered payment (`PaymentReadModel`). */
export const Payment = Schema.Struct({
  Guid: Schema.String,
  DepositAccountNumber: optional(Schema.Int),
  Currency: optional(Schema.String),
  ExchangeRate: optional(Schema.Finite),
  PaymentClass: optional(Schema.String),
  RelatedVoucherId: optional(Schema.String),
  ExternalReference: optional(Schema.String),
  PaymentDate: optional(Schema.String),
  Description: optional(Schema.String),
  Amount: Amount
})
export type Payment = typeof Payment.Type

/** `GET /v2/{org}/invoices/{guid}/payments` (`InvoicePaymentsModel`). */
export const InvoicePayments = Schema.Struct({
  Payments: optional(Schema.Array(Payment)),
  RemainingAmount: Amount,
  PaidAmount: Amount,
  InvoiceTotalIncludingReminderExpenses: optional(Amount),
  RemainderAsFeeAvailable: optional(Schema.Boolean)
})
export type InvoicePayments = typeof InvoicePayments.Type

/** Body of `POST /v1/{org}/invoices/{guid}/email` (`ApiMailoutModel`). */
export const MailoutInput = Schema.Struct({
  Timestamp: Schema.optional(Timestamp),
  Sender: Schema.optional(Schema.String),
  CcToSender: Schema.optional(Schema.Boolean),
  /** Default: the contact's email. */
  Receiver: Schema.optional(Schema.String),
  Subject: Schema.optional(Schema.String),
  /** Must contain `[link-to-pdf]` when set. */
  Message: Schema.optional(Schema.String.pipe(Schema.check(Schema.isPattern(/\[link-to-pdf\]/)))),
  AddVoucherAsPdfAttachment: Schema.optional(Schema.Boolean),
  /** Required by Dinero: the client sends false when you leave it out. */
  ShouldAddTrustPilotEmailAsBcc: Schema.optional(Schema.Boolean)
})
export type MailoutInput = typeof MailoutInput.Type

/** Answer of sending an email (`EmailSentModel`). */
export const EmailSent = Schema.Struct({
  Recipients: optional(Schema.Array(Schema.Struct({ Email: optional(Schema.String) })))
})
export type EmailSent = typeof EmailSent.Type

// ---------------------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------------------

/** Dinero refuses files above 6 MB (checked before sending). */
export const maxFileBytes = 6 * 1024 * 1024

/** Answer of `POST /v1/{org}/files` (`FileSavedReadModel`). */
export const FileSaved = Schema.Struct({ FileGuid: Schema.String })
export type FileSaved = typeof FileSaved.Type

// ---------------------------------------------------------------------------------------------------------
// Purchase vouchers
// ---------------------------------------------------------------------------------------------------------

/** A line of a new or updated purchase voucher (`PurchaseVoucherLineCreateModel`). */
export const PurchaseVoucherLineInput = Schema.Struct({
  /** What was paid (incl. VAT). */
  Amount: Amount,
  AccountNumber: Schema.optional(Schema.Int),
  Description: Schema.optional(Schema.String),
  /** Default: the account's VAT type. */
  VatCode: Schema.optional(Schema.String),
  AccountTagName: Schema.optional(Schema.String)
})
export type PurchaseVoucherLineInput = typeof PurchaseVoucherLineInput.Type

/** Body of `POST /v1.2/{org}/vouchers/purchase` (`PurchaseVoucherCreateModelV2`). */
export const PurchaseVoucherInput = Schema.Struct({
  /** `cash` (paid now, from `DepositAccountNumber`) or `credit` (a bill from `ContactGuid`, paid later). */
  PurchaseType: Schema.Literals(["cash", "credit"]),
  Lines: Schema.optional(Schema.Array(PurchaseVoucherLineInput)),
  VoucherDate: Schema.optional(LocalDate),
  DepositAccountNumber: Schema.optional(Schema.Int),
  RegionKey: Schema.optional(Schema.Literals(["DK", "EU", "World"])),
  /** An uploaded receipt (`uploadFile`). */
  FileGuid: Schema.optional(Schema.String),
  ContactGuid: Schema.optional(Schema.String),
  PaymentDate: Schema.optional(LocalDate),
  CurrencyKey: Schema.optional(Schema.String),
  ExternalReference: Schema.optional(Schema.String)
})
export type PurchaseVoucherInput = typeof PurchaseVoucherInput.Type

/** Body of `PUT /v1.1/{org}/vouchers/purchase/{guid}` (`PurchaseVoucherUpdateModel`). */
export const PurchaseVoucherUpdate = Schema.Struct({
  Timestamp,
  PurchaseType: Schema.Literals(["cash", "credit"]),
  ContactGuid: Schema.String,
  VoucherDate: LocalDate,
  Lines: Schema.Array(PurchaseVoucherLineInput),
  DepositAccountNumber: Schema.optional(Schema.Int),
  RegionKey: Schema.optional(Schema.Literals(["DK", "EU", "World"])),
  FileGuid: Schema.optional(Schema.String),
  PaymentDate: Schema.optional(LocalDate),
  CurrencyKey: Schema.optional(Schema.String),
  ExternalReference: Schema.optional(Schema.String)
})
export type PurchaseVoucherUpdate = typeof PurchaseVoucherUpdate.Type

/** A line of a read purchase voucher (`PurchaseVoucherLineReadModel`). */
export const PurchaseVoucherLine = Schema.Struct({
  Description: optional(Schema.String),
  VatCode: optional(Schema.String),
  AccountNumber: optional(Schema.Int),
  AmountExclVatValue: Amount,
  AmountInclVatValue: Amount,
  VatAmountValue: Amount,
  AccountTagName: optional(Schema.String),
  AccountWeightTagId: optional(Schema.String),
  AccountWeightTagVersion: optional(Schema.Int),
  AccountTagSynonym: optional(Schema.String)
})

/** A purchase voucher (`PurchaseVoucherReadModelV2`). Its concurrency token is spelled `Timestamp`. */
export const PurchaseVoucher = Schema.Struct({
  Guid: Schema.String,
  Timestamp: optional(Schema.String),
  Status: optional(Schema.String),
  FileGuid: optional(Schema.String),
  VoucherNumber: optional(Schema.Int),
  VoucherDate: optional(Schema.String),
  PaymentDate: optional(Schema.String),
  RegionKey: optional(Schema.String),
  PurchaseType: optional(Schema.String),
  Lines: optional(Schema.Array(PurchaseVoucherLine)),
  DepositAccountNumber: optional(Schema.Int),
  ContactGuid: optional(Schema.String),
  ExternalReference: optional(Schema.String),
  VoucherTotals: optional(
    Schema.Array(
      Schema.Struct({
        Label: optional(Schema.String),
        Total: Amount,
        Type: optional(Schema.String),
        Position: optional(Schema.Int)
      })
    )
  ),
  CurrencyKey: optional(Schema.String),
  BookedByType: optional(Schema.String),
  BookedByUsername: optional(Schema.String),
  BookingTime: optional(Schema.String)
})
export type PurchaseVoucher = typeof PurchaseVoucher.Type

// ---------------------------------------------------------------------------------------------------------
// Manual vouchers ("finansbilag"; Dinero's paths spell it `manuel`)
// ---------------------------------------------------------------------------------------------------------

/** A line of a manual voucher (`ManuelVoucherLineCreateModel`). */
export const ManualVoucherLineInput = Schema.Struct({
  Amount: Amount,
  Description: Schema.optional(Schema.String),
  AccountNumber: Schema.optional(Schema.Int),
  BalancingAccountNumber: Schema.optional(Schema.Int),
  AccountVatCode: Schema.optional(Schema.String),
  BalancingAccountVatCode: Schema.optional(Schema.String)
})
export type ManualVoucherLineInput = typeof ManualVoucherLineInput.Type

const manualVoucherInputFields = {
  VoucherDate: Schema.optional(LocalDate),
  Lines: Schema.optional(Schema.Array(ManualVoucherLineInput)),
  FileGuid: Schema.optional(Schema.String),
  ExternalReference: Schema.optional(Schema.String)
}

/** Body of `POST /v1/{org}/vouchers/manuel` (`ManuelVoucherCreateModel`). */
export const ManualVoucherInput = Schema.Struct(manualVoucherInputFields)
export type ManualVoucherInput = typeof ManualVoucherInput.Type

/** Body of `PUT /v1/{org}/vouchers/manuel/{guid}` (`ManuelVoucherUpdateModel`). */
export const ManualVoucherUpdate = Schema.Struct({ Timestamp, ...manualVoucherInputFields })
export type ManualVoucherUpdate = typeof ManualVoucherUpdate.Type

/** A manual voucher (`ManuelVoucherReadModel`); its concurrency token is spelled `Timestamp`. */
export const ManualVoucher = Schema.Struct({
  Guid: Schema.String,
  Timestamp: optional(Schema.String),
  VoucherNumber: optional(Schema.Int),
  VoucherDate: optional(Schema.String),
  TotalInclVat: Amount,
  TotalExclVat: Amount,
  FileGuid: optional(Schema.String),
  CreditNoteFor: optional(Schema.String),
  Status: optional(Schema.String),
  ExternalReference: optional(Schema.String),
  Lines: optional(
    Schema.Array(
      Schema.Struct({
        Description: optional(Schema.String),
        AmountExclVatValue: Amount,
        AmountInclVatValue: Amount,
        VatAmountValue: Amount,
        AccountNumber: optional(Schema.Int),
        BalancingAccountNumber: optional(Schema.Int),
        AccountVatCode: optional(Schema.String),
        BalancingAccountVatCode: optional(Schema.String),
        CurrencyKey: optional(Schema.String),
        AmountInForeignCurrency: optional(Amount)
      })
    )
  ),
  BookedByType: optional(Schema.String),
  BookedByUsername: optional(Schema.String),
  BookingTime: optional(Schema.String)
})
export type ManualVoucher = typeof ManualVoucher.Type

// ---------------------------------------------------------------------------------------------------------
// Ledger items (the daybook, "kassekladde")
// ---------------------------------------------------------------------------------------------------------

/** A line of a ledger item (`LedgerItemLineModelV2`). `Amount` is in DKK. */
export const LedgerItemLineInput = Schema.Struct({
  Id: Schema.optional(Schema.String),
  Description: Schema.optional(Schema.String),
  Amount: Schema.optional(Amount),
  AccountNumber: Schema.optional(Schema.Int),
  AccountVatCode: Schema.optional(Schema.String),
  BalancingAccountNumber: Schema.optional(Schema.Int),
  BalancingAccountVatCode: Schema.optional(Schema.String),
  IsPaymentForVoucherId: Schema.optional(Schema.String)
})
export type LedgerItemLineInput = typeof LedgerItemLineInput.Type

/** A ledger item to add (`LedgerItemModelV2`): balanced lines under one voucher number. */
export const LedgerItemInput = Schema.Struct({
  Id: Schema.optional(Schema.String),
  Version: Schema.optional(Schema.String),
  VoucherNumber: Schema.optional(Schema.Int),
  VoucherDate: Schema.optional(LocalDate),
  FileGuid: Schema.optional(Schema.String),
  Lines: Schema.optional(Schema.Array(LedgerItemLineInput).pipe(Schema.check(Schema.isMinLength(1))))
})
export type LedgerItemInput = typeof LedgerItemInput.Type

/** A ledger item's id and version (`LedgerItemReadModel`, and the `LedgerItemModel` the book call takes). */
export const LedgerItemRef = Schema.Struct({ Id: Schema.String, Version: optional(Schema.String) })
export type LedgerItemRef = typeof LedgerItemRef.Type

/**
 * Answer of `POST /v1.2/{org}/ledgeritems` for one item. The spec answers one `LedgerItemReadModel` for its array
 * body; an array of them (one per item sent) is read too, as its first element, so either reading works.
 */
export const LedgerItemAdded = Schema.Union([LedgerItemRef, Schema.NonEmptyArray(LedgerItemRef)]).pipe(
  Schema.decodeTo(
    Schema.toType(LedgerItemRef),
    SchemaTransformation.transform({
      decode: (added) => ("Id" in added ? added : added[0]),
      encode: (ref) => ref
    })
  )
)

/** Booking state of a ledger item (`LedgerItemStatusReadModel`): `Draft`, `PendingBooking`, `Booked`, ... */
export const LedgerItemStatus = Schema.Struct({
  Id: Schema.String,
  Status: optional(Schema.String),
  VoucherNumber: optional(Schema.Int),
  Version: optional(Schema.String)
})
export type LedgerItemStatus = typeof LedgerItemStatus.Type

// ---------------------------------------------------------------------------------------------------------
// Reference data and entries
// ---------------------------------------------------------------------------------------------------------

/** An accounting year (`AccountingYearReadModel`). */
export const AccountingYear = Schema.Struct({
  Name: optional(Schema.String),
  FromDate: optional(Schema.String),
  ToDate: optional(Schema.String),
  /** `None`, `OnlySalarySum`, `MixedActivities`, or a value Dinero adds later. */
  SalarySumTaxStateEnum: optional(Schema.String)
})
export type AccountingYear = typeof AccountingYear.Type

/** An entry or purchase account (`EntryAccountReadModel`), fields as requested. */
export const EntryAccount = caseInsensitive(
  Schema.Struct({
    AccountNumber: Schema.Int,
    PublicStandardNumber: optional(Schema.Int),
    Name: optional(Schema.String),
    VatCode: optional(Schema.String),
    Category: optional(Schema.String),
    CategoryName: optional(Schema.String),
    IsHidden: optional(Schema.Boolean),
    IsDefaultSalesAccount: optional(Schema.Boolean)
  })
)
export type EntryAccount = typeof EntryAccount.Type

/** A deposit account (`DepositAccountReadModel`), fields as requested. */
export const DepositAccount = caseInsensitive(
  Schema.Struct({
    AccountNumber: Schema.Int,
    PublicStandardNumber: optional(Schema.Int),
    Name: optional(Schema.String),
    IsDefault: optional(Schema.Boolean),
    IsHidden: optional(Schema.Boolean),
    BankRegistrationNumber: optional(Schema.String),
    BankAccountNumber: optional(Schema.String),
    BankSwiftNumber: optional(Schema.String),
    BankIbanNumber: optional(Schema.String)
  })
)
export type DepositAccount = typeof DepositAccount.Type

/** A VAT type (`VatTypeReadModel`); `VatRate` is a decimal string, e.g. `"0.25"`. */
export const VatType = Schema.Struct({
  VatCode: optional(Schema.String),
  Name: optional(Schema.String),
  VatRate: Amount
})
export type VatType = typeof VatType.Type

/** An accounting entry (`EntryReadModel`). */
export const Entry = Schema.Struct({
  AccountNumber: Schema.Int,
  AccountName: optional(Schema.String),
  Date: optional(Schema.String),
  VoucherNumber: optional(Schema.Int),
  VoucherGuid: optional(Schema.String),
  FileGuid: optional(Schema.String),
  VoucherType: optional(Schema.String),
  Description: optional(Schema.String),
  VatType: optional(Schema.String),
  VatCode: optional(Schema.String),
  Amount: Amount,
  EntryGuid: optional(Schema.String),
  ContactGuid: optional(Schema.String),
  /** `Normal`, `Primo`, `Ultimo`. */
  Type: optional(Schema.String)
})
export type Entry = typeof Entry.Type

// ---------------------------------------------------------------------------------------------------------
// Webhooks (Visma Connect integrations only)
// ---------------------------------------------------------------------------------------------------------

/** Body of `POST /v1/{org}/webhooks/subscribe` (`SubscribeToWebhookModel`): an https URL and an event id. */
export const WebhookSubscription = Schema.Struct({
  Uri: Schema.String.pipe(Schema.check(Schema.isPattern(/^https:\/\/[^\s/?#]+/))),
  EventId: Schema.NonEmptyString
})
export type WebhookSubscription = typeof WebhookSubscription.Type

/** Body of `DELETE /v1/{org}/webhooks/unsubscribe` (`UnsubscribeFromWebhookModel`). */
export const WebhookUnsubscription = Schema.Struct({ EventId: Schema.NonEmptyString })

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

/**
 * Dinero's error body: `{ code, message, languageSpecificMessages?, validationErrors? }` (PascalCase variants
 * accepted). `validationErrors` maps a field to its message (or messages).
 */
export const ErrorBody = Schema.Struct({
  code: optional(Schema.Union([Schema.Number, Schema.String])),
  Code: optional(Schema.Union([Schema.Number, Schema.String])),
  message: optional(Schema.String),
  Message: optional(Schema.String),
  validationErrors: optional(Schema.Record(Schema.String, Schema.Unknown)),
  ValidationErrors: optional(Schema.Record(Schema.String, Schema.Unknown)),
  languageSpecificMessages: optional(Schema.Array(Schema.Unknown))
})
export type ErrorBody = typeof ErrorBody.Type

/** Dinero's application error codes (`ApiError.code`). */
export const ErrorCode = {
  NotFound: "40",
  Unauthorized: "41",
  Validation: "42",
  LimitExceeded: "43",
  /** A stale `Timestamp`: the entity changed since it was read. Read it again and retry with the new one. */
  StaleTimestamp: "58"
} as const
