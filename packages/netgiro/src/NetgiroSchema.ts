/**
 * Netgíró v1 wire shapes, with Netgíró's own PascalCase field names. Amounts are whole krónur (ISK has no
 * minor unit in practice): integers, never floats. Unknown fields are ignored on decode; fields the public
 * documentation leaves vague are optional and nullable, so a real response never fails for a missing extra.
 */
import * as Schema from "effect/Schema"

/** How the merchant confirms a cart once the customer approved it: `0` automatic, `1` server callback, `2` manual. */
export const ConfirmationType = Schema.Literals([0, 1, 2])
export type ConfirmationType = typeof ConfirmationType.Type

/** Named confirmation types, for readability: `ConfirmationTypes.Manual` is `2`. */
export const ConfirmationTypes = { Automatic: 0, ServerCallback: 1, Manual: 2 } as const

/** A whole-krónur amount: a non-negative integer. */
export const Amount = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))

/** One cart line (`CartItemRequests[]`). `Amount` is the line total; `Quantity` is in thousandths (2 items = 2000). */
export const CartItem = Schema.Struct({
  ProductNo: Schema.optional(Schema.String),
  Name: Schema.String,
  Description: Schema.optional(Schema.String),
  UnitPrice: Amount,
  Amount: Amount,
  Quantity: Schema.optional(Schema.Int)
})
export type CartItem = typeof CartItem.Type

/** Body of `POST Checkout/InsertCart`. `CustomerId` is an SSN (kennitala), a GSM number or an app code. */
export const InsertCartRequest = Schema.Struct({
  Amount: Amount,
  Reference: Schema.String,
  CustomerId: Schema.String,
  ConfirmationType: ConfirmationType,
  CallbackUrl: Schema.optional(Schema.String),
  CallbackCancelUrl: Schema.optional(Schema.String),
  Description: Schema.optional(Schema.String),
  CartItemRequests: Schema.optional(Schema.Array(CartItem))
})
export type InsertCartRequest = typeof InsertCartRequest.Type

/** Body of `Checkout/CheckCart` and `Checkout/CancelCart`. */
export const TransactionRequest = Schema.Struct({ TransactionId: Schema.String })
export type TransactionRequest = typeof TransactionRequest.Type

/** Body of `Checkout/ConfirmCart`. `Identifier` is the customer identifier (needed for POS flows). */
export const ConfirmCartRequest = Schema.Struct({
  TransactionId: Schema.String,
  Identifier: Schema.optional(Schema.String)
})
export type ConfirmCartRequest = typeof ConfirmCartRequest.Type

/** The envelope every Netgíró response carries. */
export const Envelope = Schema.Struct({
  Success: Schema.Boolean,
  Message: Schema.optional(Schema.NullOr(Schema.String)),
  ResultCode: Schema.Int
})
export type Envelope = typeof Envelope.Type

/** `PaymentInfo.StatusId`: 1 unconfirmed, 2 confirmed, 5 canceled. */
export const PaymentStatus = { Unconfirmed: 1, Confirmed: 2, Canceled: 5 } as const

const OptionalNullable = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

export const PaymentInfo = Schema.Struct({
  TransactionId: Schema.String,
  InvoiceNumber: OptionalNullable(Schema.Union([Schema.Int, Schema.String])),
  ReferenceNumber: OptionalNullable(Schema.String),
  StatusId: Schema.Int,
  Created: OptionalNullable(Schema.String),
  TotalAmount: OptionalNullable(Schema.Number)
})
export type PaymentInfo = typeof PaymentInfo.Type

export const InsertCartResponse = Schema.Struct({
  ...Envelope.fields,
  TransactionId: Schema.String,
  /** How often to poll `CheckCart`, in milliseconds (Netgíró's spelling). */
  ProcessCartCheckIntervalMiliseconds: OptionalNullable(Schema.Int)
})
export type InsertCartResponse = typeof InsertCartResponse.Type

export const CheckCartResponse = Schema.Struct({
  ...Envelope.fields,
  PaymentSuccessful: Schema.Boolean,
  PaymentInfo: OptionalNullable(PaymentInfo)
})
export type CheckCartResponse = typeof CheckCartResponse.Type

export const ConfirmCartResponse = Schema.Struct({
  ...Envelope.fields,
  PaymentSuccessful: Schema.optional(Schema.Boolean),
  PaymentInfo: OptionalNullable(PaymentInfo)
})
export type ConfirmCartResponse = typeof ConfirmCartResponse.Type

export const CancelCartResponse = Envelope
export type CancelCartResponse = typeof CancelCartResponse.Type

/**
 * `GET sales/GetList?AllForCompany=true`: the payload shape is not published, so only the envelope is
 * decoded; the whole JSON object is kept in `body` of the result.
 */
export const SalesListResponse = Envelope

/**
 * The JSON body Netgíró POSTs to a `CallbackUrl` when a cart is confirmed. Its shape is not published for v1:
 * these fields are the most plausible reading (the CheckCart payment fields); all but `TransactionId` are
 * optional, and the raw JSON is kept beside the decoded value.
 */
export const CallbackPayload = Schema.Struct({
  TransactionId: Schema.String,
  Reference: OptionalNullable(Schema.String),
  PaymentSuccessful: Schema.optional(Schema.Boolean),
  StatusId: OptionalNullable(Schema.Int),
  InvoiceNumber: OptionalNullable(Schema.Union([Schema.Int, Schema.String])),
  ReferenceNumber: OptionalNullable(Schema.String),
  TotalAmount: OptionalNullable(Schema.Number)
})
export type CallbackPayload = typeof CallbackPayload.Type

/** Where the client runs: Netgíró's test or production host. */
export type Environment = "test" | "production"

/** How responses are verified: `enforce` rejects a bad signature, `warn` logs it, `off` skips the check. */
export type VerifyMode = "enforce" | "warn" | "off"
