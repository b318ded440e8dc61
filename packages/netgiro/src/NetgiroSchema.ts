/**
 * Netgíró v1 wire shapes, with Netgíró's own PascalCase field names. Amounts are whole krónur (ISK has no
 * minor unit in practice): integers, never floats. Unknown fields are ignored on decode; fields the public
 * documentation leaves vague are optional and nullable, so a real response never fails for a missing extra.
 */
import * as Wire from "@nordkit/core/Wire"
import * as Schema from "effect/Schema"

/** How the merchant confirms a cart once the customer approved it: `0` automatic, `1` server callback, `2` manual. */
export const ConfirmationType = Schema.Literals([0, 1, 2])
export type ConfirmationType = typeof ConfirmationType.Type

/** Named confirmation types, for readability: `ConfirmationTypes.Manual` is `2`. */
export const ConfirmationTypes = { Automatic: 0, ServerCallback: 1, Manual: 2 } as const

/** A whole-krónur amount: a non-negative integer. */
export const Amount = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))

/** A cart total: whole krónur above zero (a zero cart is refused before sending, not by Netgíró's 10305). */
export const CartAmount = Schema.Int.pipe(Schema.check(Schema.isGreaterThan(0)))

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
  Amount: CartAmount,
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

const OptionalNullable = Wire.optionalNullable

/**
 * `PaymentInfo` of CheckCart, ConfirmCart and CancelCart answers and of the merchant callbacks. The first six
 * fields are the documented ones; the rest are those the official .NET client models (all optional here).
 */
export const PaymentInfo = Schema.Struct({
  TransactionId: Schema.String,
  InvoiceNumber: OptionalNullable(Schema.Union([Schema.Int, Schema.String])),
  ReferenceNumber: OptionalNullable(Schema.String),
  StatusId: Schema.Int,
  Created: OptionalNullable(Schema.String),
  TotalAmount: OptionalNullable(Schema.Number),
  DiscountAmount: OptionalNullable(Schema.Number),
  ShippingAmount: OptionalNullable(Schema.Number),
  HandlingAmount: OptionalNullable(Schema.Number),
  AccountNumber: OptionalNullable(Schema.Union([Schema.Int, Schema.String])),
  NumberOfInstallments: OptionalNullable(Schema.Int),
  ClientIdentityConfirmed: OptionalNullable(Schema.Boolean),
  LocationId: OptionalNullable(Schema.String),
  RegisterId: OptionalNullable(Schema.String)
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

/** `CancelCart` answers the envelope and the documented `PaymentInfo` of the canceled cart. */
export const CancelCartResponse = Schema.Struct({
  ...Envelope.fields,
  PaymentInfo: OptionalNullable(PaymentInfo)
})
export type CancelCartResponse = typeof CancelCartResponse.Type

/**
 * One sale of `Sales/GetList`. Netgíró does not publish this list's item shape: the fields are those its sale
 * details (`transactions`) document, every one optional, so an item never fails the read.
 */
export const Sale = Schema.Struct({
  TransactionId: OptionalNullable(Schema.String),
  InvoiceNumber: OptionalNullable(Schema.Union([Schema.Int, Schema.String])),
  ReferenceNumber: OptionalNullable(Schema.String),
  Status: OptionalNullable(Schema.String),
  StatusId: OptionalNullable(Schema.Int),
  Created: OptionalNullable(Schema.String),
  TotalAmount: OptionalNullable(Schema.Number),
  IsRefundable: OptionalNullable(Schema.Boolean),
  SettlementDate: OptionalNullable(Schema.String)
})
export type Sale = typeof Sale.Type

/** `GET Sales/GetList?AllForCompany=true`: the envelope and the sales (an empty list when none is given). */
export const SalesListResponse = Schema.Struct({
  ...Envelope.fields,
  Sales: OptionalNullable(Schema.Array(Sale))
})
export type SalesListResponse = typeof SalesListResponse.Type

/**
 * The JSON body Netgíró POSTs to a cart's `CallbackUrl` (confirmed) or `CallbackCancelUrl` (canceled): the
 * payment response the official .NET demo decodes, nested — `PaymentInfo.TransactionId`, not a top-level one.
 */
export const CallbackPayload = Schema.Struct({
  PaymentSuccessful: Schema.optional(Schema.Boolean),
  PaymentInfo: PaymentInfo,
  Success: Schema.optional(Schema.Boolean),
  Message: OptionalNullable(Schema.String),
  ResultCode: OptionalNullable(Schema.Int)
})
export type CallbackPayload = typeof CallbackPayload.Type

// ---------------------------------------------------------------------------------------------------------
// Partner API (refunds and transaction status for V1 merchants)

/** Body of `POST {partner}/refund`. `refundAmount` is whole krónur; `reason` at most 100 characters. */
export const PartnerRefundRequest = Schema.Struct({
  transactionId: Schema.String,
  refundAmount: Schema.Int.pipe(Schema.check(Schema.isGreaterThan(0))),
  idempotencyKey: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  reason: Schema.optional(Schema.String.pipe(Schema.check(Schema.isMaxLength(100))))
})
export type PartnerRefundRequest = typeof PartnerRefundRequest.Type

/**
 * `GET {partner}/transaction/{id}`. Not published: read as the sale details of the V1 API (`IsRefundable`,
 * `Status`, `TotalAmount`, ...), every field optional; the raw JSON is kept beside it.
 */
export const PartnerTransaction = Schema.Struct({
  Success: Schema.optional(Schema.Boolean),
  Message: OptionalNullable(Schema.String),
  TransactionId: OptionalNullable(Schema.String),
  IsRefundable: OptionalNullable(Schema.Boolean),
  Status: OptionalNullable(Schema.String),
  Created: OptionalNullable(Schema.String),
  InvoiceNumber: OptionalNullable(Schema.Union([Schema.Int, Schema.String])),
  TotalAmount: OptionalNullable(Schema.Number),
  RefundedAmount: OptionalNullable(Schema.Number),
  SettlementDate: OptionalNullable(Schema.String)
})
export type PartnerTransaction = typeof PartnerTransaction.Type

/** Where the client runs: Netgíró's test or production host. */
export type Environment = "test" | "production"

/** How responses are verified: `enforce` rejects a bad signature, `warn` logs it, `off` skips the check. */
export type VerifyMode = "enforce" | "warn" | "off"
