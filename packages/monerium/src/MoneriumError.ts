/**
 * Monerium's errors: its error body (`{ code, status, message, errors }`) read into nordkit's error family, and
 * the errors of the authorization-code flow that users branch on:
 *
 * - `StateMismatchError`: the callback's `state` is missing, tampered with, reused or too old (CSRF / replay);
 * - `AuthorizationDeniedError`: the user (or Monerium) refused, e.g. `error=access_denied`;
 * - `InvalidCallbackError`: the callback URL or the pending authorization record is unusable;
 * - `ReauthorizationRequiredError`: there is no usable grant any more (never connected, refresh token rejected
 *   with `invalid_grant`, revoked) — send the user through `authorize` again.
 *
 * None of them carries a code, verifier, token or secret.
 */
import type * as ApiClient from "@nordkit/core/ApiClient"
import type * as NordkitError from "@nordkit/core/NordkitError"
import * as OAuth2 from "@nordkit/core/OAuth2"
import type * as TokenStore from "@nordkit/core/TokenStore"
import * as Data from "effect/Data"
import * as Schema from "effect/Schema"
import { ErrorBody } from "./MoneriumSchema.ts"

export class StateMismatchError extends /* @__PURE__ */ Data.TaggedError("StateMismatchError")<{
  readonly provider: string
  readonly problem: "missing" | "mismatch" | "reused" | "expired" | "future" | "unavailable"
}> {
  override get message(): string {
    return `${this.provider}: authorization callback refused: state ${this.problem}`
  }
}

export class AuthorizationDeniedError extends /* @__PURE__ */ Data.TaggedError("AuthorizationDeniedError")<{
  readonly provider: string
  /** The OAuth2 `error` of the callback, e.g. "access_denied". */
  readonly error: string
  readonly errorDescription?: string | undefined
}> {
  override get message(): string {
    return `${this.provider}: authorization denied (${this.error})${this.errorDescription ? `: ${this.errorDescription}` : ""}`
  }
}

export class InvalidCallbackError extends /* @__PURE__ */ Data.TaggedError("InvalidCallbackError")<{
  readonly provider: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.provider}: invalid authorization callback: ${this.detail}`
  }
}

export class ReauthorizationRequiredError extends /* @__PURE__ */ Data.TaggedError("ReauthorizationRequiredError")<{
  readonly provider: string
  readonly reason: "not_connected" | "invalid_grant" | "no_refresh_token"
  /** The token endpoint's `error_description`, when it said why. */
  readonly detail?: string | undefined
}> {
  override get message(): string {
    return `${this.provider}: re-authorization required (${this.reason})${this.detail ? `: ${this.detail}` : ""}`
  }
}

/** What an operation of the client can fail with. */
export type MoneriumError = NordkitError.RequestError | ReauthorizationRequiredError | TokenStore.TokenStoreError

/** What completing the authorization-code flow can fail with. */
export type CallbackError =
  | StateMismatchError
  | AuthorizationDeniedError
  | InvalidCallbackError
  | NordkitError.RequestError
  | TokenStore.TokenStoreError

const decode = Schema.decodeUnknownOption(ErrorBody)

/** Reads Monerium's `{ code, status, message, errors }` body. */
export const errorFields = (json: unknown, text: string): ApiClient.ErrorFields => {
  const body = decode(json)
  if (body._tag === "None") return json === undefined && text.length > 0 ? { detail: text.slice(0, 200) } : {}
  const { code, status, message, errors } = body.value
  return {
    code: status === undefined ? String(code) : `${code} ${status}`,
    detail: message,
    fieldErrors: errors === undefined || errors === null || Object.keys(errors).length === 0 ? undefined : errors
  }
}

/** The token endpoint: RFC 6749 §5.2 first (`invalid_grant`, ...), then Monerium's own body. */
export const tokenErrorFields = (json: unknown, text: string): ApiClient.ErrorFields => {
  const rfc = OAuth2.errorFields(json, text)
  return rfc.code !== undefined ? rfc : errorFields(json, text)
}
