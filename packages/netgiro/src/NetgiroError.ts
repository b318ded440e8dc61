/**
 * Netgíró's own errors, next to nordkit's error family:
 *
 * - `NetgiroResultError`: the envelope said `Success: false`. Its `reason` names the result code
 *   (`"CustomerDeclined"`, `"CartNotFound"`, ...) so callers can branch on it; an unknown code is kept in
 *   `resultCode` with `reason: "Unknown"`.
 * - `NetgiroSignatureError`: a response (or a merchant callback) whose signature is missing or wrong. Its body
 *   was discarded, never decoded.
 * - `PaymentTimeoutError`: `waitForPayment` gave up.
 *
 * - `NetgiroReplayError`: a signed answer or callback that was already used (its nonce seen within the replay
 *   window) or that answers another request (its transaction id is not the one asked about).
 * - `NetgiroRefundError`: a refund the API refused; `reason: "ExceedsRemaining"` when the amount is above what
 *   is left to refund.
 *
 * Every error raised from a Netgíró response carries `requestId` (`netgiro_referenceId` for the V1 API), the id
 * Netgíró support asks for — the same field name as every other nordkit error.
 */
import type * as ApiClient from "@nordkit/core/ApiClient"
import type * as NordkitError from "@nordkit/core/NordkitError"
import * as Data from "effect/Data"
import * as Schema from "effect/Schema"
import { Envelope } from "./NetgiroSchema.ts"

/** Result codes and their names (Netgíró's documentation; 200 and 400 are the generic codes). */
export const resultCodes = {
  200: "Success",
  400: "GenericError",
  10200: "PaymentCompleted",
  10201: "PaymentCanceled",
  10202: "AlreadyCanceled",
  10203: "AlreadyConfirmed",
  10302: "CustomerDeclined",
  10304: "CartInvalid",
  10305: "BelowMinimumAmount",
  10306: "CustomerNotFound",
  10307: "CustomerDeclined",
  10422: "CustomerDeclined",
  10423: "CustomerDeclined",
  10424: "CartNotFound",
  10425: "PendingCustomerConfirmation",
  10426: "PendingProviderConfirmation",
  10427: "InvalidConfirmationType",
  10428: "AdditionalConfirmationNeeded",
  10429: "PendingProviderCallback"
} as const

export const ResultCase = Schema.Literals([
  "Success",
  "GenericError",
  "PaymentCompleted",
  "PaymentCanceled",
  "AlreadyCanceled",
  "AlreadyConfirmed",
  "CustomerDeclined",
  "CartInvalid",
  "BelowMinimumAmount",
  "CustomerNotFound",
  "CartNotFound",
  "PendingCustomerConfirmation",
  "PendingProviderConfirmation",
  "InvalidConfirmationType",
  "AdditionalConfirmationNeeded",
  "PendingProviderCallback",
  "Unknown"
])
export type ResultCase = typeof ResultCase.Type

/** The named case of a result code; `"Unknown"` for codes Netgíró has not documented. */
export const resultCaseOf = (code: number): ResultCase =>
  Object.hasOwn(resultCodes, code) ? resultCodes[code as keyof typeof resultCodes] : "Unknown"

/** The fields every Netgíró error raised from a request carries (core's; `requestId` is `netgiro_referenceId`). */
export type RequestFields = NordkitError.RequestFields

const where = (e: RequestFields) =>
  `${e.provider} ${e.method} ${e.path}${e.status === undefined ? "" : ` -> ${e.status}`}`

const reference = (e: { requestId?: string | undefined }) =>
  e.requestId === undefined ? "" : ` (netgiro_referenceId ${e.requestId})`

/** The envelope said `Success: false`. */
export class NetgiroResultError extends /* @__PURE__ */ Data.TaggedError("NetgiroResultError")<
  RequestFields & {
    /** The raw `ResultCode`, kept even when it is not a documented one. */
    readonly resultCode: number
    /** The named case of `resultCode`. */
    readonly reason: ResultCase
    /** Netgíró's `Message`. */
    readonly resultMessage?: string | undefined
  }
> {
  override get message(): string {
    return `${where(this)}: ${this.reason} (${this.resultCode})${this.resultMessage ? `: ${this.resultMessage}` : ""}${reference(this)}`
  }
}

/**
 * A signed answer that is authentic but not an answer to this request: its nonce was already seen within the
 * replay window (`nonceReused`), or it names another transaction (`transactionMismatch`). Also a merchant
 * callback delivered again (`nonceReused`). Its body was not acted on.
 */
export class NetgiroReplayError extends /* @__PURE__ */ Data.TaggedError("NetgiroReplayError")<
  RequestFields & {
    readonly reason: "nonceReused" | "transactionMismatch"
    /** The transaction id the request asked about. */
    readonly expected?: string | undefined
    /** The transaction id the answer named. */
    readonly received?: string | undefined
  }
> {
  override get message(): string {
    return `${where(this)}: ${
      this.reason === "nonceReused"
        ? "signed answer replayed (nonce already seen)"
        : `answer names transaction ${this.received ?? "(none)"}, not ${this.expected ?? "(none)"}`
    }, not acted on${reference(this)}`
  }
}

/** A refund the API refused. `ExceedsRemaining`: the amount is above what is left to refund. */
export class NetgiroRefundError extends /* @__PURE__ */ Data.TaggedError("NetgiroRefundError")<
  RequestFields & {
    readonly reason: "ExceedsRemaining" | "NotRefundable" | "Rejected"
    readonly transactionId: string
    readonly amount: number
    /** The provider's message. */
    readonly detail?: string | undefined
  }
> {
  override get message(): string {
    return `${where(this)}: refund of ${this.amount} on ${this.transactionId} refused: ${this.reason}${
      this.detail ? `: ${this.detail}` : ""
    }${reference(this)}`
  }
}

/** A response or callback whose signature did not verify. Its body was discarded. */
export class NetgiroSignatureError extends /* @__PURE__ */ Data.TaggedError("NetgiroSignatureError")<
  RequestFields & {
    /** `missing`: no nonce or signature header; `mismatch`: the signature does not cover what arrived. */
    readonly reason: "missing" | "mismatch"
  }
> {
  override get message(): string {
    return `${where(this)}: ${
      this.reason === "missing" ? "response signature headers missing" : "response signature does not match"
    }, body discarded${reference(this)}`
  }
}

/** `waitForPayment` did not see a final state within its timeout. */
export class PaymentTimeoutError extends /* @__PURE__ */ Data.TaggedError("PaymentTimeoutError")<{
  readonly provider: string
  readonly transactionId: string
  readonly waitedMillis: number
  /** The last result code CheckCart answered, if any. */
  readonly lastResultCode?: number | undefined
  readonly requestId?: string | undefined
}> {
  override get message(): string {
    return `${this.provider}: payment ${this.transactionId} not settled after ${Math.round(this.waitedMillis / 1000)} s${
      this.lastResultCode === undefined ? "" : ` (last result ${resultCaseOf(this.lastResultCode)})`
    }${reference(this)}`
  }
}

const decodeEnvelope = Schema.decodeUnknownOption(Envelope)

/** Reads Netgíró's envelope in a failed response into the error family's fields. */
export const errorFields = (json: unknown, text: string): ApiClient.ErrorFields => {
  const envelope = decodeEnvelope(json)
  if (envelope._tag === "None") return json === undefined && text.length > 0 ? { detail: text.slice(0, 200) } : {}
  return { code: String(envelope.value.ResultCode), detail: envelope.value.Message ?? undefined }
}

/** The `netgiro_referenceId` (`requestId`) any error of the client carries, if any. */
export const referenceIdOf = (error: unknown): string | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  const { requestId } = error as { requestId?: unknown }
  return typeof requestId === "string" ? requestId : undefined
}
