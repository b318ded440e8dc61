/**
 * Dintero Checkout API wire shapes. Amounts are integers in minor units (øre, cents), as Dintero sends them.
 * Unknown fields are ignored on decode, so new fields on Dintero's side never break a client.
 */
import * as Schema from "effect/Schema"

/** A Dintero account id: `T` (test) or `P` (production) followed by 3 or 8 digits, e.g. `T12345678`. */
export const AccountId = Schema.String.pipe(
  Schema.check(Schema.isPattern(/^[TP](\d{3}|\d{8})$/)),
  Schema.brand("@nordkit/dintero/AccountId")
)
export type AccountId = typeof AccountId.Type

export type Environment = "test" | "production"

/** The environment an account id belongs to: its first letter. */
export const environmentOf = (accountId: AccountId): Environment => (accountId.startsWith("T") ? "test" : "production")

/** Amount in minor units: a non-negative integer. */
export const Amount = Schema.Int.pipe(Schema.check(Schema.isGreaterThanOrEqualTo(0)))

export const OrderItem = Schema.Struct({
  id: Schema.optional(Schema.String),
  line_id: Schema.String,
  description: Schema.optional(Schema.String),
  quantity: Schema.optional(Schema.Number),
  amount: Amount,
  vat_amount: Schema.optional(Amount),
  vat: Schema.optional(Schema.Number)
})
export type OrderItem = typeof OrderItem.Type

export const ShippingOption = Schema.Struct({
  id: Schema.String,
  line_id: Schema.String,
  amount: Amount,
  vat_amount: Schema.optional(Amount),
  vat: Schema.optional(Schema.Number),
  title: Schema.optional(Schema.String),
  operator: Schema.optional(Schema.String)
})

export const Order = Schema.Struct({
  amount: Amount,
  currency: Schema.String,
  merchant_reference: Schema.String,
  vat_amount: Schema.optional(Amount),
  items: Schema.optional(Schema.Array(OrderItem)),
  shipping_option: Schema.optional(ShippingOption)
})
export type Order = typeof Order.Type

export const SessionUrls = Schema.Struct({
  return_url: Schema.String,
  callback_url: Schema.optional(Schema.String)
})

/** Body of `POST /v1/sessions-profile`. */
export const SessionProfileRequest = Schema.Struct({
  url: SessionUrls,
  order: Order,
  profile_id: Schema.String,
  customer: Schema.optional(
    Schema.Struct({
      email: Schema.optional(Schema.String),
      phone_number: Schema.optional(Schema.String)
    })
  )
})
export type SessionProfileRequest = typeof SessionProfileRequest.Type

/** Answer of `POST /v1/sessions-profile`: the session id and the payment page URL. */
export const SessionCreated = Schema.Struct({
  id: Schema.String,
  url: Schema.String
})
export type SessionCreated = typeof SessionCreated.Type

export const Session = Schema.Struct({
  id: Schema.String,
  created_at: Schema.optional(Schema.String),
  updated_at: Schema.optional(Schema.String),
  order: Order,
  url: SessionUrls,
  profile_id: Schema.optional(Schema.String),
  transaction_id: Schema.optional(Schema.NullOr(Schema.String)),
  cancelled_at: Schema.optional(Schema.NullOr(Schema.String)),
  expires_at: Schema.optional(Schema.String)
})
export type Session = typeof Session.Type

export const TransactionStatus = Schema.Literals([
  "INITIATED",
  "AUTHORIZED",
  "AUTHORIZATION_VOIDED",
  "CAPTURED",
  "PARTIALLY_CAPTURED",
  "PARTIALLY_CAPTURED_REFUNDED",
  "REFUNDED",
  "PARTIALLY_REFUNDED",
  "DECLINED",
  "FAILED",
  "UNKNOWN",
  "ON_HOLD"
])
export type TransactionStatus = typeof TransactionStatus.Type

export const TransactionEvent = Schema.Struct({
  event: Schema.String,
  id: Schema.optional(Schema.String),
  amount: Schema.optional(Amount),
  success: Schema.optional(Schema.Boolean),
  created_at: Schema.optional(Schema.String),
  request_id: Schema.optional(Schema.String),
  capture_reference: Schema.optional(Schema.String),
  refund_reference: Schema.optional(Schema.String)
})
export type TransactionEvent = typeof TransactionEvent.Type

export const Transaction = Schema.Struct({
  id: Schema.String,
  session_id: Schema.optional(Schema.String),
  status: TransactionStatus,
  amount: Amount,
  currency: Schema.String,
  merchant_reference: Schema.optional(Schema.String),
  payment_product: Schema.optional(Schema.String),
  payment_product_type: Schema.optional(Schema.String),
  created_at: Schema.optional(Schema.String),
  updated_at: Schema.optional(Schema.String),
  items: Schema.optional(Schema.Array(OrderItem)),
  events: Schema.optional(Schema.Array(TransactionEvent))
})
export type Transaction = typeof Transaction.Type

export const TransactionList = Schema.Array(Transaction)

/** Sum of successful events of one kind (e.g. "CAPTURE", "REFUND"), in minor units. */
export const eventTotal = (transaction: Transaction, event: string): number =>
  (transaction.events ?? [])
    .filter((e) => e.event === event && e.success !== false)
    .reduce((sum, e) => sum + (e.amount ?? 0), 0)

/** Amount captured so far, in minor units. */
export const capturedAmount = (transaction: Transaction): number => eventTotal(transaction, "CAPTURE")
/** Amount refunded so far, in minor units. */
export const refundedAmount = (transaction: Transaction): number => eventTotal(transaction, "REFUND")

/** Body of `POST /v1/transactions/{id}/capture`. */
export const CaptureRequest = Schema.Struct({
  amount: Amount,
  capture_reference: Schema.optional(Schema.String),
  items: Schema.optional(Schema.Array(OrderItem))
})
export type CaptureRequest = typeof CaptureRequest.Type

/** Body of `POST /v1/transactions/{id}/refund`. */
export const RefundRequest = Schema.Struct({
  amount: Amount,
  reason: Schema.optional(Schema.String),
  refund_reference: Schema.optional(Schema.String),
  items: Schema.optional(Schema.Array(OrderItem))
})
export type RefundRequest = typeof RefundRequest.Type

/** Filters and paging of `GET /v1/transactions`. */
export interface ListTransactionsParams {
  readonly limit?: number | undefined
  readonly startingAfter?: string | undefined
  readonly status?: TransactionStatus | undefined
  readonly merchantReference?: string | undefined
  readonly sessionId?: string | undefined
}

/** Dintero's error body: `{ error: { code?, message, errors? } }`. */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    code: Schema.optional(Schema.NullOr(Schema.Union([Schema.String, Schema.Number]))),
    message: Schema.optional(Schema.NullOr(Schema.String)),
    errors: Schema.optional(Schema.Array(Schema.Unknown))
  })
})
