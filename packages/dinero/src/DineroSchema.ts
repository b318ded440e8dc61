/**
 * Dinero's wire shapes: PascalCase fields, `{ Collection, Pagination }` lists, money as decimals, and timestamps
 * that may come without a time zone.
 *
 * - Money (`BaseAmountValue`, `TotalInclVat`, ...) is decoded into a decimal *string* (`"1234.5"`) and encoded back
 *   as the JSON number Dinero expects, so amounts never go through float arithmetic in your code.
 * - Date-times (`CreatedAt`, `UpdatedAt`, ...) decode to `DateTime.Utc`. A zone-less value such as
 *   `2006-01-02T15:04:05.000` is read as UTC — deterministically, never in the machine's local zone (which is what
 *   `new Date(...)` would do). Dinero's servers keep these in UTC as far as public clients show [U]; the raw string
 *   is one `DateTime.formatIso` away if you need to re-interpret it.
 * - `Timestamp` on invoices is *not* a date: it is Dinero's opaque optimistic-concurrency token (a row version),
 *   kept as a string and sent back verbatim when booking.
 * - List items only carry the fields you asked for with `fields`; their schemas make every field optional except
 *   the id, which the client always requests.
 *
 * Unknown fields are ignored on decode, so new fields on Dinero's side never break a client.
 */
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"

/** Dinero organization ids are integers; they appear in every path as `/v1/{organizationId}/...`. */
export const OrganizationId = Schema.String.pipe(Schema.check(Schema.isPattern(/^[1-9]\d{0,11}$/)))

const optional = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

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

/** A calendar date, `YYYY-MM-DD` (invoice `Date`, `PaymentDate`). */
export const LocalDate = Schema.String.pipe(Schema.check(Schema.isPattern(/^\d{4}-\d{2}-\d{2}/)))

// ---------------------------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------------------------

/** `Pagination` of a list: `Page` is 0-based; `Result` is the number of matching items [U: see `nextPage`]. */
export const Pagination = Schema.Struct({
  MaxPageSizeAllowed: optional(Schema.Int),
  PageSize: Schema.Int,
  Result: Schema.Int,
  ResultWithoutFilter: optional(Schema.Int),
  Page: Schema.Int
})
export type Pagination = typeof Pagination.Type

/** A page of a list endpoint: `{ Collection: [...], Pagination: {...} }`. */
export const Page = <S extends Schema.Top>(item: S) =>
  Schema.Struct({ Collection: Schema.Array(item), Pagination: Pagination })
export interface Page<A> {
  readonly Collection: ReadonlyArray<A>
  readonly Pagination: Pagination
}

/**
 * The next page to read after `page`, or undefined when it was the last. A short page is always the last. Sources
 * disagree on whether `Result` counts all matching items or only this page's [U]; it is used as a total only when
 * it cannot be the latter, so the worst case is one extra request for an empty page — never a skipped page.
 */
export const nextPage = (page: Page<unknown>, itemsBefore: number): number | undefined => {
  const { Collection, Pagination } = page
  if (Collection.length === 0 || Collection.length < Pagination.PageSize) return undefined
  const seen = itemsBefore + Collection.length
  if (Pagination.Result !== Collection.length && seen >= Pagination.Result) return undefined
  return Pagination.Page + 1
}

/** Paging and filtering shared by the list endpoints. */
export interface ListParams {
  /** Fields to return (Dinero returns only a few by default); the id field is always added. */
  readonly fields?: ReadonlyArray<string> | undefined
  /** Dinero's filter syntax, e.g. `Name eq 'Acme'` or `Email contains '@acme.dk'`. */
  readonly queryFilter?: string | undefined
  /** Only items changed since this instant. */
  readonly changesSince?: Date | undefined
  /** Only deleted items. */
  readonly deletedOnly?: boolean | undefined
  /** 0-based page. Default 0. */
  readonly page?: number | undefined
  /** Items per page. Default 100 (Dinero's maximum is 1000). */
  readonly pageSize?: number | undefined
}

/** `GET /v1/{org}/invoices` adds a date range and a status filter. */
export interface InvoiceListParams extends ListParams {
  /** `YYYY-MM-DD`. */
  readonly startDate?: string | undefined
  /** `YYYY-MM-DD`. */
  readonly endDate?: string | undefined
  /** e.g. `Draft`, `Booked`, `Paid`, `OverPaid`, `Overdue` (comma separated for several). */
  readonly statusFilter?: string | undefined
}

// ---------------------------------------------------------------------------------------------------------
// Organizations
// ---------------------------------------------------------------------------------------------------------

/** An entry of `GET /v1/organizations`. */
export const Organization = Schema.Struct({
  Id: Schema.Int,
  Name: Schema.String,
  IsPro: optional(Schema.Boolean),
  IsPayingPro: optional(Schema.Boolean),
  IsVatFree: optional(Schema.Boolean),
  Email: optional(Schema.String),
  IsTaxFreeUnion: optional(Schema.Boolean)
})
export type Organization = typeof Organization.Type

export const OrganizationList = Schema.Array(Organization)

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
  SeNumber: optional(Schema.String),
  PNumber: optional(Schema.String),
  PaymentConditionType: optional(Schema.String),
  PaymentConditionNumberOfDays: optional(Schema.Int),
  IsPerson: optional(Schema.Boolean),
  IsMember: optional(Schema.Boolean),
  MemberNumber: optional(Schema.String),
  UseCvr: optional(Schema.Boolean),
  CompanyTypeKey: optional(Schema.String),
  InvoiceMailOutOptionKey: optional(Schema.String),
  IsDebitor: optional(Schema.Boolean),
  IsCreditor: optional(Schema.Boolean),
  CreatedAt: optional(DateTime),
  UpdatedAt: optional(DateTime),
  DeletedAt: optional(DateTime)
}

/** `GET /v1/{org}/contacts/{guid}`. */
export const Contact = Schema.Struct({ ContactGuid: Schema.String, Name: Schema.String, ...contactFields })
export type Contact = typeof Contact.Type

/** An item of `GET /v1/{org}/contacts`: only the requested fields are present. */
export const ContactListItem = Schema.Struct({
  ContactGuid: Schema.String,
  Name: optional(Schema.String),
  ...contactFields
})
export type ContactListItem = typeof ContactListItem.Type

/** Body of `POST /v1/{org}/contacts` and `PUT /v1/{org}/contacts/{guid}`. */
export const ContactInput = Schema.Struct({
  Name: Schema.NonEmptyString,
  /** ISO 3166 alpha-2, e.g. `DK`. */
  CountryKey: Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Z]{2}$/))),
  IsPerson: Schema.Boolean,
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
  SeNumber: Schema.optional(Schema.String),
  PNumber: Schema.optional(Schema.String),
  PaymentConditionType: Schema.optional(Schema.String),
  PaymentConditionNumberOfDays: Schema.optional(Schema.Int),
  IsMember: Schema.optional(Schema.Boolean),
  MemberNumber: Schema.optional(Schema.String),
  UseCvr: Schema.optional(Schema.Boolean),
  CompanyTypeKey: Schema.optional(Schema.String),
  InvoiceMailOutOptionKey: Schema.optional(Schema.String)
})
export type ContactInput = typeof ContactInput.Type

// ---------------------------------------------------------------------------------------------------------
// Products
// ---------------------------------------------------------------------------------------------------------

const productFields = {
  ProductNumber: optional(Schema.String),
  BaseAmountValue: optional(Amount),
  BaseAmountValueInclVat: optional(Amount),
  Quantity: optional(Schema.Finite),
  AccountNumber: optional(Schema.Int),
  Unit: optional(Schema.String),
  ExternalReference: optional(Schema.String),
  Comment: optional(Schema.String),
  CreatedAt: optional(DateTime),
  UpdatedAt: optional(DateTime),
  DeletedAt: optional(DateTime)
}

/** `GET /v1/{org}/products/{guid}`. */
export const Product = Schema.Struct({ ProductGuid: Schema.String, Name: Schema.String, ...productFields })
export type Product = typeof Product.Type

/** An item of `GET /v1/{org}/products`. */
export const ProductListItem = Schema.Struct({
  ProductGuid: Schema.String,
  Name: optional(Schema.String),
  ...productFields
})
export type ProductListItem = typeof ProductListItem.Type

// ---------------------------------------------------------------------------------------------------------
// Invoices
// ---------------------------------------------------------------------------------------------------------

/** Invoice states Dinero documents; others decode too (as plain strings). */
export type InvoiceStatus = "Draft" | "Booked" | "Paid" | "OverPaid" | "Overdue" | (string & {})

export const ProductLine = Schema.Struct({
  ProductGuid: optional(Schema.String),
  Description: optional(Schema.String),
  Comments: optional(Schema.String),
  Quantity: optional(Schema.Finite),
  AccountNumber: optional(Schema.Int),
  Unit: optional(Schema.String),
  Discount: optional(Schema.Finite),
  LineType: optional(Schema.String),
  BaseAmountValue: optional(Amount),
  BaseAmountValueInclVat: optional(Amount),
  TotalAmount: optional(Amount),
  TotalAmountInclVat: optional(Amount)
})
export type ProductLine = typeof ProductLine.Type

const invoiceFields = {
  Number: optional(Schema.Int),
  ContactGuid: optional(Schema.String),
  ContactName: optional(Schema.String),
  Date: optional(LocalDate),
  PaymentDate: optional(LocalDate),
  Description: optional(Schema.String),
  Comment: optional(Schema.String),
  Currency: optional(Schema.String),
  Language: optional(Schema.String),
  ExternalReference: optional(Schema.String),
  Status: optional(Schema.String),
  TotalExclVat: optional(Amount),
  TotalVat: optional(Amount),
  TotalInclVat: optional(Amount),
  TotalInclVatInDkk: optional(Amount),
  PaymentConditionType: optional(Schema.String),
  PaymentConditionNumberOfDays: optional(Schema.Int),
  ProductLines: optional(Schema.Array(ProductLine)),
  CreatedAt: optional(DateTime),
  UpdatedAt: optional(DateTime),
  DeletedAt: optional(DateTime)
}

/** `GET /v1/{org}/invoices/{guid}` (JSON). `Timestamp` is the concurrency token to book with. */
export const Invoice = Schema.Struct({ Guid: Schema.String, Timestamp: Schema.String, ...invoiceFields })
export type Invoice = typeof Invoice.Type

/** An item of `GET /v1/{org}/invoices`. */
export const InvoiceListItem = Schema.Struct({
  Guid: Schema.String,
  Timestamp: optional(Schema.String),
  ...invoiceFields
})
export type InvoiceListItem = typeof InvoiceListItem.Type

/** A line of a new invoice. `BaseAmountValue` is the unit price excluding VAT, as a decimal string. */
export const ProductLineInput = Schema.Struct({
  ProductGuid: Schema.optional(Schema.String),
  Description: Schema.String,
  Comments: Schema.optional(Schema.String),
  Quantity: Schema.Finite,
  AccountNumber: Schema.Int,
  /** e.g. `parts`, `hours`, `km`, `day`, `week`, `month`, `kilogram`, `cubicMetre`, `set`, `litre`, `box`. */
  Unit: Schema.String,
  Discount: Schema.optional(Schema.Finite),
  LineType: Schema.optional(Schema.Literals(["Product", "Text"])),
  BaseAmountValue: Amount,
  BaseAmountValueInclVat: Schema.optional(Amount)
})
export type ProductLineInput = typeof ProductLineInput.Type

/** Body of `POST /v1/{org}/invoices` (creates a draft). */
export const InvoiceInput = Schema.Struct({
  ContactGuid: Schema.String,
  ProductLines: Schema.Array(ProductLineInput).pipe(Schema.check(Schema.isMinLength(1))),
  Date: Schema.optional(LocalDate),
  Currency: Schema.optional(Schema.String),
  Language: Schema.optional(Schema.String),
  ExternalReference: Schema.optional(Schema.String),
  Description: Schema.optional(Schema.String),
  Comment: Schema.optional(Schema.String),
  ShowLinesInclVat: Schema.optional(Schema.Boolean),
  PaymentConditionType: Schema.optional(Schema.String),
  PaymentConditionNumberOfDays: Schema.optional(Schema.Int),
  InvoiceTemplateId: Schema.optional(Schema.String)
})
export type InvoiceInput = typeof InvoiceInput.Type

/** Body of `POST /v1/{org}/invoices/{guid}/book`. */
export const BookInvoiceRequest = Schema.Struct({
  /** The invoice's latest `Timestamp`; a stale one is refused with 400. */
  Timestamp: Schema.String,
  /** Invoice number to book with. Default: the next number. */
  Number: Schema.optional(Schema.Int)
})
export type BookInvoiceRequest = typeof BookInvoiceRequest.Type

// ---------------------------------------------------------------------------------------------------------
// Results of create / book
// ---------------------------------------------------------------------------------------------------------

/**
 * What create and book return: the new entity's id and its `Timestamp`. Sources disagree on the casing (`Guid` /
 * `guid`, `Timestamp` / `timestamp`), and contacts answer `ContactGuid` [U]: all are accepted.
 */
export interface Created {
  readonly Guid: string
  readonly Timestamp: string | undefined
  /** Set by booking: the invoice number. */
  readonly Number: number | undefined
}

const CreatedWire = Schema.Struct({
  Guid: optional(Schema.String),
  guid: optional(Schema.String),
  ContactGuid: optional(Schema.String),
  ProductGuid: optional(Schema.String),
  Timestamp: optional(Schema.String),
  timestamp: optional(Schema.String),
  Number: optional(Schema.Int),
  number: optional(Schema.Int)
}).check(
  Schema.makeFilter((w) =>
    (w.Guid ?? w.guid ?? w.ContactGuid ?? w.ProductGuid) ? undefined : "expected Guid (or guid, ContactGuid)"
  )
)

export const Created: Schema.Codec<Created, typeof CreatedWire.Encoded> = CreatedWire.pipe(
  Schema.decodeTo(
    Schema.Struct({
      Guid: Schema.String,
      Timestamp: Schema.UndefinedOr(Schema.String),
      Number: Schema.UndefinedOr(Schema.Int)
    }),
    SchemaTransformation.transform({
      decode: (w) => ({
        Guid: (w.Guid ?? w.guid ?? w.ContactGuid ?? w.ProductGuid) as string,
        Timestamp: w.Timestamp ?? w.timestamp ?? undefined,
        Number: w.Number ?? w.number ?? undefined
      }),
      encode: (c) => ({ Guid: c.Guid, Timestamp: c.Timestamp, Number: c.Number })
    })
  )
)

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

/** Dinero's application error codes. */
export const ErrorCode = {
  NotFound: "40",
  Unauthorized: "41",
  Validation: "42",
  LimitExceeded: "43"
} as const
