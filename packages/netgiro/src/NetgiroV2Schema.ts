/**
 * Netgíró V2 API and hosted-checkout wire shapes (PascalCase, as published). Amounts are whole krónur:
 * integers. Status values Netgíró adds later are kept as the raw string (`Status` is typed as the known
 * values or any other string), never failing a read.
 */
import * as Wire from "@nordkit/core/Wire"
import * as Schema from "effect/Schema"

const OptionalNullable = Wire.optionalNullable

/** A whole-krónur amount above zero. */
export const PositiveAmount = Schema.Int.pipe(Schema.check(Schema.isGreaterThan(0)))

/** Payment status of checkout and transaction answers; unknown values kept as strings. */
export const PaymentStatus = Wire.openEnum(["Pending", "Authorized", "Confirmed", "Cancelled"])
export type PaymentStatus = typeof PaymentStatus.Type

/** Body of `POST /v2/checkout/payment`. `CustomerIdentifier`: a barcode, a 10-digit access code or a GSM number. */
export const PaymentRequest = Schema.Struct({
  Amount: PositiveAmount,
  Reference: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  CustomerIdentifier: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  CallbackUrl: Schema.optional(Schema.String),
  CallbackCancelUrl: Schema.optional(Schema.String),
  ManualCapture: Schema.optional(Schema.Boolean)
})
export type PaymentRequest = typeof PaymentRequest.Type

/** The answer of payment, status, capture and cancel. */
export const PaymentResponse = Schema.Struct({
  Success: Schema.Boolean,
  Message: OptionalNullable(Schema.String),
  Status: OptionalNullable(PaymentStatus),
  TransactionId: OptionalNullable(Schema.String),
  /** Only while `Pending`: how often to poll, in milliseconds. */
  PollIntervalMs: OptionalNullable(Schema.Int)
})
export type PaymentResponse = typeof PaymentResponse.Type

/** Body of `POST /v2/transaction/capture`; without `Amount` the whole authorized amount is captured. */
export const CaptureRequest = Schema.Struct({
  TransactionId: Schema.String,
  Amount: Schema.optional(PositiveAmount)
})
export type CaptureRequest = typeof CaptureRequest.Type

/** Body of `POST /v2/transaction/cancel`. */
export const CancelRequest = Schema.Struct({ TransactionId: Schema.String })
export type CancelRequest = typeof CancelRequest.Type

/** Body of `POST /v2/transaction/refund`. */
export const RefundRequest = Schema.Struct({
  TransactionId: Schema.String,
  RefundAmount: PositiveAmount,
  Description: Schema.optional(Schema.String),
  IdempotencyKey: Schema.String.pipe(Schema.check(Schema.isMinLength(1)))
})
export type RefundRequest = typeof RefundRequest.Type

/** Answer of a refund, and of a failed call. */
export const Result = Schema.Struct({
  Success: Schema.Boolean,
  Message: OptionalNullable(Schema.String)
})
export type Result = typeof Result.Type

/** `Status` of transaction details: `paid`, `unpaid`, `canceled`, `reservation`, or a newer value. */
export const TransactionStatus = Wire.openEnum(["paid", "unpaid", "canceled", "reservation"])
export type TransactionStatus = typeof TransactionStatus.Type

/** `GET /v2/transaction/details/{transactionId}`. */
export const TransactionDetails = Schema.Struct({
  IsRefundable: Schema.Boolean,
  Status: TransactionStatus,
  Created: OptionalNullable(Schema.String),
  InvoiceNumber: OptionalNullable(Schema.Union([Schema.Int, Schema.String])),
  TotalAmount: Schema.Number,
  TransactionId: Schema.String,
  SettlementDate: OptionalNullable(Schema.String)
})
export type TransactionDetails = typeof TransactionDetails.Type

/** One settlement of `GET /v2/settlement/list`. */
export const Settlement = Schema.Struct({
  ProviderName: OptionalNullable(Schema.String),
  Number: Schema.String,
  Created: OptionalNullable(Schema.String),
  Amount: OptionalNullable(Schema.Number),
  CostAmount: OptionalNullable(Schema.Number),
  BankTransferTransactionDate: OptionalNullable(Schema.String),
  NumberOfSales: OptionalNullable(Schema.Int),
  TotalAmount: OptionalNullable(Schema.Number),
  Status: OptionalNullable(Schema.String)
})
export type Settlement = typeof Settlement.Type

/** One line of `GET /v2/settlement/items/{settlementNumber}`. */
export const SettlementItem = Schema.Struct({
  TotalAmount: Schema.Number,
  CostAmount: OptionalNullable(Schema.Number),
  Created: OptionalNullable(Schema.String),
  LoanNumber: OptionalNullable(Schema.String)
})
export type SettlementItem = typeof SettlementItem.Type

/** Query of the settlement list (all optional): dates as `YYYY-MM-DD`. */
export interface SettlementFilter {
  readonly dateFrom?: string | undefined
  readonly dateTo?: string | undefined
  readonly settlementNumber?: string | undefined
}

/**
 * Body of `POST {securepay}/Checkout/Payment` (hosted checkout). `CallbackCancelUrl` is not in the create page's
 * table; the payment-confirmation page names it as a field of this request (Netgíró POSTs the cancel callback to it).
 */
export const HostedCheckoutRequest = Schema.Struct({
  Amount: PositiveAmount,
  Reference: Schema.String.pipe(Schema.check(Schema.isMinLength(1))),
  SuccessUrl: Schema.String,
  CancelUrl: Schema.String,
  CallbackUrl: Schema.optional(Schema.String),
  CallbackCancelUrl: Schema.optional(Schema.String),
  ManualCapture: Schema.optional(Schema.Boolean)
})
export type HostedCheckoutRequest = typeof HostedCheckoutRequest.Type

export const HostedCheckoutResponse = Schema.Struct({
  Success: Schema.Boolean,
  Message: OptionalNullable(Schema.String),
  CheckoutUrl: OptionalNullable(Schema.String)
})
export type HostedCheckoutResponse = typeof HostedCheckoutResponse.Type
