/**
 * Dinero's failures, mapped in one place:
 *
 * - the `{ code, message, validationErrors }` body → the fields of nordkit's error family (`ApiError.code` is
 *   Dinero's application code, e.g. "42" for a validation error; `ApiError.fieldErrors` holds the per-field
 *   messages);
 * - 403 (organization without a Pro subscription, app code 48 or 90 depending on the source) → `ForbiddenError`;
 * - 429, whose body is *plain text* ("API calls quota exceeded! ...") → `RateLimitedError`, never a decode error,
 *   carrying the wait until Dinero's minute window has surely reset (the `Retry-After` header when present);
 * - 480 "Brownout" (sent at random for endpoints about to be removed) → `BrownoutError`: not transient, not
 *   retried, a signal to move off the endpoint.
 */
import type * as ApiClient from "@nordkit/core/ApiClient"
import type * as NE from "@nordkit/core/NordkitError"
import * as NordkitError from "@nordkit/core/NordkitError"
import * as RetryPolicy from "@nordkit/core/RetryPolicy"
import type * as TokenStore from "@nordkit/core/TokenStore"
import * as Data from "effect/Data"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Schema from "effect/Schema"
import { ErrorBody } from "./DineroSchema.ts"

/** 480: Dinero is browning out an endpoint that is about to be removed. */
export class BrownoutError extends /* @__PURE__ */ Data.TaggedError("BrownoutError")<{
  readonly provider: string
  readonly method: string
  readonly path: string
  readonly status: number
  readonly detail?: string | undefined
}> {
  override get message(): string {
    return `${this.provider} ${this.method} ${this.path} -> ${this.status}: brownout (endpoint scheduled for removal)${
      this.detail ? `: ${this.detail}` : ""
    }`
  }
}

/** A file above Dinero's 6 MB limit: refused before anything is sent. */
export class FileTooLargeError extends /* @__PURE__ */ Data.TaggedError("FileTooLargeError")<{
  readonly provider: string
  readonly size: number
  readonly limit: number
}> {
  override get message(): string {
    return `${this.provider}: the file is ${this.size} bytes; the limit is ${this.limit} bytes (nothing was sent)`
  }
}

/** Ledger items that were not all `Booked` when the status poll's schedule ended. */
export class LedgerItemsNotBookedError extends /* @__PURE__ */ Data.TaggedError("LedgerItemsNotBookedError")<{
  readonly provider: string
  readonly statuses: ReadonlyArray<{ readonly id: string; readonly status?: string | undefined }>
}> {
  override get message(): string {
    return `${this.provider}: ledger items not booked yet: ${this.statuses
      .filter((s) => s.status !== "Booked")
      .map((s) => `${s.id} ${s.status ?? "unknown"}`)
      .join(", ")}`
  }
}

/** Visma Connect: the returned `state` was refused (missing, wrong, reused, expired, ...). */
export class StateMismatchError extends /* @__PURE__ */ Data.TaggedError("StateMismatchError")<{
  readonly provider: string
  readonly problem: "missing" | "mismatch" | "reused" | "expired" | "future" | "unavailable"
}> {
  override get message(): string {
    return `${this.provider}: authorization callback refused: state ${this.problem}`
  }
}

/** Visma Connect: the user (or Visma Connect) refused the authorization (`error=access_denied`, ...). */
export class AuthorizationDeniedError extends /* @__PURE__ */ Data.TaggedError("AuthorizationDeniedError")<{
  readonly provider: string
  readonly error: string
  readonly errorDescription?: string | undefined
}> {
  override get message(): string {
    return `${this.provider}: authorization denied (${this.error})${this.errorDescription ? `: ${this.errorDescription}` : ""}`
  }
}

/** Visma Connect: a callback URL or pending record that cannot be used. */
export class InvalidCallbackError extends /* @__PURE__ */ Data.TaggedError("InvalidCallbackError")<{
  readonly provider: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.provider}: invalid authorization callback: ${this.detail}`
  }
}

/** Visma Connect: no usable grant for the session; send the user through `authorize` again. */
export class ReauthorizationRequiredError extends /* @__PURE__ */ Data.TaggedError("ReauthorizationRequiredError")<{
  readonly provider: string
  readonly reason: "not_connected" | "invalid_grant" | "no_refresh_token"
  readonly detail?: string | undefined
}> {
  override get message(): string {
    return `${this.provider}: re-authorization required (${this.reason})${this.detail ? `: ${this.detail}` : ""}`
  }
}

/**
 * Every failure a Dinero operation can end in. The last two only occur with Visma Connect tokens.
 */
export type DineroError =
  | NE.RequestError
  | BrownoutError
  | FileTooLargeError
  | LedgerItemsNotBookedError
  | ReauthorizationRequiredError
  | TokenStore.TokenStoreError

/** What completing the Visma Connect authorization-code flow can fail with. */
export type CallbackError =
  | StateMismatchError
  | AuthorizationDeniedError
  | InvalidCallbackError
  | NE.RequestError
  | TokenStore.TokenStoreError

/**
 * How long to wait after a 429 without `Retry-After`: Dinero's minute window plus a second, so the retry lands in a
 * fresh window even when the server counts the window's last millisecond as part of it.
 */
export const rateLimitWindowMillis = 61_000

const decode = Schema.decodeUnknownOption(ErrorBody)

const messageOf = (value: unknown): string | undefined => {
  if (typeof value === "string") return value
  if (Array.isArray(value)) {
    const parts = value.filter((v): v is string => typeof v === "string")
    return parts.length > 0 ? parts.join("; ") : undefined
  }
  return undefined
}

/**
 * Reads Dinero's error body (JSON), a bare JSON string (the file upload's documented 400 answer) or a plain-text
 * body into the error family's fields.
 */
export const errorFields = (json: unknown, text: string): ApiClient.ErrorFields => {
  if (typeof json === "string") return json.length > 0 ? { detail: json.slice(0, 200) } : {}
  const body = decode(json)
  if (body._tag === "None") return json === undefined && text.length > 0 ? { detail: text.slice(0, 200) } : {}
  const b = body.value
  const code = b.code ?? b.Code
  const validation = b.validationErrors ?? b.ValidationErrors
  const fieldErrors: Record<string, string> = {}
  for (const [field, value] of Object.entries(validation ?? {})) {
    const message = messageOf(value)
    if (message !== undefined) fieldErrors[field] = message
  }
  return {
    code: code === undefined || code === null ? undefined : String(code),
    detail: b.message ?? b.Message ?? undefined,
    fieldErrors: Object.keys(fieldErrors).length > 0 ? fieldErrors : undefined
  }
}

/** How long to wait after a 429 that has no `Retry-After`: a full minute window (plus the margin). */
export const retryAfterFallback = (response: HttpClientResponse.HttpClientResponse): number | undefined =>
  response.status === 429 ? rateLimitWindowMillis : undefined

/** Dinero-specific classification, run before the default status mapping. */
export const classify = (failure: ApiClient.FailedResponse): BrownoutError | NE.RequestError | undefined => {
  const where = { provider: failure.provider, method: failure.method, path: failure.path, status: failure.status }
  if (failure.status === 480) {
    return new BrownoutError({
      ...where,
      status: 480,
      detail: failure.fields.detail ?? (failure.text.length > 0 ? failure.text.slice(0, 200) : undefined)
    })
  }
  if (failure.status === 429) {
    return new NordkitError.RateLimitedError({
      ...where,
      retryAfterMillis: RetryPolicy.retryAfterMillis(failure.headers, failure.now) ?? rateLimitWindowMillis,
      detail: failure.fields.detail ?? (failure.text.length > 0 ? failure.text.slice(0, 120) : undefined)
    })
  }
  return undefined
}
