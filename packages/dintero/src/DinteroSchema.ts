/**
 * Dintero Checkout API wire shapes, named after what they are. Every shape is the schema generated from Dintero's
 * published OpenAPI (`./generated/DinteroApi.ts`, see `scripts/generate.ts`): every field the spec documents is
 * typed and reaches the server. Amounts are integers in minor units (øre, cents), as Dintero sends them. Enums stay
 * open on decode (a status Dintero adds later is kept as its string), and fields the spec does not know are kept
 * on decoded responses (`DinteroClient` merges them back), so a new field on Dintero's side is never lost.
 */
import * as Schema from "effect/Schema"
// Imported by name (not re-exported as a namespace), so bundlers keep only the schemas an app's operations use.
// All generated schemas: `@nordkit/dintero/generated/DinteroApi`.
import * as Api from "./generated/DinteroApi.ts"

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

// --- sessions ---------------------------------------------------------------------------------------------------

/** Body of `POST /v1/sessions-profile`: the whole published session (order, addresses, express, metadata, ...). */
export const SessionProfileRequest = Api.CheckoutSessionProfilePostRequestJson
export type SessionProfileRequest = typeof SessionProfileRequest.Type
export type Order = SessionProfileRequest["order"]
export type OrderItem = NonNullable<Order["items"]>[number]

/** Answer of `POST /v1/sessions-profile` (and `/v1/sessions/payment-token`): the session id and payment page URL. */
export const SessionCreated = Schema.Struct({
  ...Api.CheckoutSessionProfilePost200.fields,
  id: Schema.String,
  url: Schema.String
})
export type SessionCreated = typeof SessionCreated.Type

/** A checkout session as `GET /v1/sessions/{id}` returns it. */
export const Session = Schema.Struct({ ...Api.CheckoutSessionGet200.fields, id: Schema.String })
export type Session = typeof Session.Type

/** Body of `PUT /v1/sessions/{id}`. */
export const UpdateSessionRequest = Api.UpdateSessionOptions
export type UpdateSessionRequest = typeof UpdateSessionRequest.Type

/** Body of `POST /v1/sessions/payment-token`: a session that only creates a payment / recurrence token. */
export const PaymentTokenSessionRequest = Api.CheckoutPaymentTokenSessionPostRequestJson
export type PaymentTokenSessionRequest = typeof PaymentTokenSessionRequest.Type

/** Body of `POST /v1/sessions/pay`: a session paid at once with a stored token (merchant-initiated). */
export const PayRequest = Api.CheckoutSessionPayPostRequestJson
export type PayRequest = typeof PayRequest.Type
/** Answer of `POST /v1/sessions/pay`. */
export const PayResult = Api.CheckoutSessionPayPost200
export type PayResult = typeof PayResult.Type

// --- transactions -------------------------------------------------------------------------------------------------

export const Transaction = Api.Transaction
export type Transaction = typeof Transaction.Type
export type TransactionEvent = NonNullable<Transaction["events"]>[number]

export const TransactionStatuses = [
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
] as const
/** A published status, or one Dintero added later (kept as its string). */
export type TransactionStatus = (typeof TransactionStatuses)[number] | (string & {})

export const TransactionList = Schema.Array(Transaction)

/** Body of `POST /v1/transactions/{id}/capture` (`capture_reference`, `items`, `final_capture`, ...). */
export const CaptureRequest = Api.TransactionsIdCapturePostRequestJson
export type CaptureRequest = typeof CaptureRequest.Type

/** Body of `POST /v1/transactions/{id}/refund`. */
export const RefundRequest = Api.TransactionsIdRefundPostRequestJson
export type RefundRequest = typeof RefundRequest.Type

/** Body of `PUT /v1/transactions/{id}` (`merchant_reference_2`). */
export const UpdateTransactionRequest = Api.TransactionsIdPutRequestJson
export type UpdateTransactionRequest = typeof UpdateTransactionRequest.Type

/** Body of `POST /v1/transactions/{id}/authorization` (extend the authorization). */
export const ExtendAuthorizationRequest = Api.TransactionTidExtendAuthorizationPostRequestJson
export type ExtendAuthorizationRequest = typeof ExtendAuthorizationRequest.Type

/** The published query parameters of `GET /v1/transactions`. */
export const ListTransactionsQuery = Api.TransactionsGetParams

/** What `GET /v1/transactions/{id}?includes=...` can add to a transaction. */
export type TransactionInclude = NonNullable<(typeof Api.TransactionsIdGetParams.Type)["includes"]>[number]

/**
 * Filters and paging of `GET /v1/transactions`: every published query parameter (arrays are sent as repeated
 * parameters, `payout_correlation_id` comma-separated), plus the camelCase names of earlier nordkit versions.
 */
export type ListTransactionsParams = Omit<Partial<typeof Api.TransactionsGetParams.Type>, "status"> & {
  readonly status?: TransactionStatus | ReadonlyArray<TransactionStatus> | undefined
  readonly startingAfter?: string | undefined
  readonly merchantReference?: string | undefined
  readonly sessionId?: string | undefined
}

/** Sum of successful events of one kind (e.g. "CAPTURE", "REFUND"), in minor units. */
export const eventTotal = (transaction: Transaction, event: string): number =>
  (transaction.events ?? [])
    .filter((e) => e.event === event && e.success !== false)
    .reduce((sum, e) => sum + (e.amount ?? 0), 0)

/** Amount captured so far, in minor units. */
export const capturedAmount = (transaction: Transaction): number => eventTotal(transaction, "CAPTURE")
/** Amount refunded so far, in minor units. */
export const refundedAmount = (transaction: Transaction): number => eventTotal(transaction, "REFUND")

/**
 * The events a 202-accepted operation produced, found by the `event-request-id` it answered with: the accepted
 * `INITIATE_CAPTURE` / `INITIATE_REFUND` / `INITIATE_VOID` event (whose `request_id` it is), then the completing
 * event (whose `correlation_request_id` it is) once the payment provider finished.
 */
export const eventsOfRequest = (transaction: Transaction, eventRequestId: string): ReadonlyArray<TransactionEvent> =>
  (transaction.events ?? []).filter(
    (e) => e.correlation_request_id === eventRequestId || e.request_id === eventRequestId
  )

/**
 * The event that completed a 202-accepted operation (`correlation_request_id` is its `event-request-id`), or
 * `undefined` while it is still processing. Check its `success` (and `error`) before treating it as done.
 */
export const completionOf = (transaction: Transaction, eventRequestId: string): TransactionEvent | undefined =>
  (transaction.events ?? []).find((e) => e.correlation_request_id === eventRequestId)

/** The error of a transaction's last failed event (`events[].error`: code, message, type, retry_policy), if any. */
export const failureOf = (transaction: Transaction): NonNullable<TransactionEvent["error"]> | undefined =>
  [...(transaction.events ?? [])].reverse().find((e) => e.success === false && e.error !== undefined)?.error

/**
 * Whether the card of a failed payment may be charged again. Dintero answers a declined token payment
 * (`payWithToken`) with 200 and a `FAILED` transaction; when its failed event's `retry_policy` says
 * `DO_NOT_RETRY`, charging the card again gets it blocked by the schemes.
 */
export const mayRetry = (transaction: Transaction): boolean => {
  const policy = failureOf(transaction)?.retry_policy as { readonly retry_codes?: unknown } | null | undefined
  return !(Array.isArray(policy?.retry_codes) && policy.retry_codes.includes("DO_NOT_RETRY"))
}

// --- settlements and reports (API host) ----------------------------------------------------------------------------

/** Answer of `GET /v1/accounts/{aid}/settlements`. */
export const SettlementList = Api.SettlementResponse
export type SettlementList = typeof SettlementList.Type
export const ListSettlementsQuery = Api.AidSettlementsListParams
export type ListSettlementsParams = Partial<typeof Api.AidSettlementsListParams.Type>

/** Answer of `GET /v1/accounts/{aid}/reports/metadata`. */
export const ReportList = Api.ApiReportsMetadataListGet200
export type ReportList = typeof ReportList.Type
export const ListReportsQuery = Api.ApiReportsMetadataListGetParams
export type ListReportsParams = Partial<typeof Api.ApiReportsMetadataListGetParams.Type>

// --- callback secret (not in the payments OpenAPI: `POST` / `GET /v1/admin/signature`) ------------------------------

const secretValue = Schema.RedactedFromValue(Schema.String, { label: "dintero callback signature secret" })

/**
 * Answer of `POST` / `GET /v1/admin/signature` as Dintero's Checkout API models it (`SignatureV0`): the resource's
 * `id`, `created_at`, `created_by`, and the secret nested in `signature`.
 */
export const SignatureSecretResponse = Schema.Struct({
  id: Schema.optionalKey(Schema.String),
  created_at: Schema.optionalKey(Schema.String),
  created_by: Schema.optionalKey(Schema.String),
  signature: Schema.Struct({ type: Schema.optionalKey(Schema.String), secret: secretValue })
})

/** The secret Dintero signs callbacks with (`signature.secret` of the answer, never shown in logs). */
export const SignatureSecret = Schema.Struct({
  secret: secretValue,
  type: Schema.optionalKey(Schema.String),
  id: Schema.optionalKey(Schema.String),
  created_at: Schema.optionalKey(Schema.String)
})
export type SignatureSecret = typeof SignatureSecret.Type

/** Dintero's error body: `{ error: { code?, message, errors? } }`. */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    code: Schema.optional(Schema.NullOr(Schema.Union([Schema.String, Schema.Number]))),
    message: Schema.optional(Schema.NullOr(Schema.String)),
    errors: Schema.optional(Schema.Array(Schema.Unknown))
  })
})
