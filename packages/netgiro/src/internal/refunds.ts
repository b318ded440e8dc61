/**
 * What the Partner API and the V2 API share about refunds and error bodies: `{ Message }` (or `message`)
 * error bodies, and a refused refund (a 4xx other than 401) as `NetgiroRefundError` with its reason read from
 * the message — the wording is not published, so the patterns are an assumption (see the README).
 */
import type * as ApiClient from "@nordkit/core/ApiClient"
import type * as NordkitError from "@nordkit/core/NordkitError"
import * as Effect from "effect/Effect"
import { NetgiroRefundError } from "../NetgiroError.ts"

const exceeds = /exceed|remaining|greater than|higher than|too (high|large)|more than/i
const notRefundable = /not refundable|cannot be refunded/i

/** Reads `{ Message }` / `{ message }` (with an optional code) from an error body. */
export const errorFields = (json: unknown, text: string): ApiClient.ErrorFields => {
  if (typeof json !== "object" || json === null) return text.length > 0 ? { detail: text.slice(0, 200) } : {}
  const record = json as Record<string, unknown>
  const message = record.Message ?? record.message ?? record.title ?? record.detail
  const code = record.ResultCode ?? record.code
  return {
    detail: typeof message === "string" ? message.slice(0, 300) : undefined,
    code: typeof code === "number" || typeof code === "string" ? String(code) : undefined
  }
}

export const reasonOf = (detail: string | undefined): NetgiroRefundError["reason"] =>
  detail === undefined
    ? "Rejected"
    : exceeds.test(detail)
      ? "ExceedsRemaining"
      : notRefundable.test(detail)
        ? "NotRefundable"
        : "Rejected"

/**
 * A refund's `ApiError` for a 4xx answer (not 401), or for a 2xx answer saying `Success: false`, becomes a
 * `NetgiroRefundError`; anything else passes.
 */
export const refusal =
  (transactionId: string, amount: number) =>
  (e: NordkitError.ApiError): Effect.Effect<never, NordkitError.ApiError | NetgiroRefundError> =>
    e.status !== undefined &&
    ((e.status >= 400 && e.status < 500 && e.status !== 401) || (e.status >= 200 && e.status < 300))
      ? Effect.fail(
          new NetgiroRefundError({
            provider: e.provider,
            method: e.method,
            path: e.path,
            status: e.status,
            requestId: e.requestId,
            reason: reasonOf(e.detail),
            transactionId,
            amount,
            detail: e.detail
          })
        )
      : Effect.fail(e)
