/**
 * The typed error family every nordkit client fails with. Each error names the provider, the HTTP method and
 * the URL path of the request (never its query, which may carry secrets) and, when a response arrived, its
 * status. None of them ever holds a secret: tokens, client secrets and API keys stay `Redacted` elsewhere.
 *
 * Callers branch on `_tag` (`Effect.catchTag("RateLimitedError", ...)`); provider packages add their own
 * errors next to these (signature mismatch, result codes, ...).
 */
import * as Schema from "effect/Schema"

const requestFields = {
  /** Provider name, e.g. "dintero". */
  provider: Schema.String,
  /** HTTP method of the failed request. */
  method: Schema.String,
  /** URL path of the failed request, without query or fragment. */
  path: Schema.String,
  /** HTTP status, when a response arrived. */
  status: Schema.optional(Schema.Number),
  /** The provider's id for this request or response (e.g. Netgíró's `netgiro_referenceId`): give it to support. */
  requestId: Schema.optional(Schema.String)
}

const where = (e: {
  provider: string
  method: string
  path: string
  status?: number | undefined
  requestId?: string | undefined
}) =>
  `${e.provider} ${e.method} ${e.path}${e.status === undefined ? "" : ` -> ${e.status}`}${
    e.requestId === undefined ? "" : ` [request id ${e.requestId}]`
  }`

/**
 * The provider rejected our credentials or token: a token endpoint's RFC 6749 §5.2 error (`invalid_client`,
 * `invalid_grant`, ...), or a 401 that persisted after one refresh and replay.
 */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>()("AuthenticationError", {
  ...requestFields,
  /** RFC 6749 `error` code, or the provider's own error code. */
  error: Schema.optional(Schema.String),
  /** RFC 6749 `error_description`, or the provider's message. */
  errorDescription: Schema.optional(Schema.String),
  /** RFC 6749 `error_uri`. */
  errorUri: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `${where(this)}: authentication rejected${this.error ? ` (${this.error})` : ""}${
      this.errorDescription ? `: ${this.errorDescription}` : ""
    }`
  }
}

/** 403: authenticated, but not allowed to do this (missing scope, plan, MFA, ...). */
export class ForbiddenError extends Schema.TaggedError<ForbiddenError>()("ForbiddenError", {
  ...requestFields,
  code: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `${where(this)}: forbidden${this.code ? ` (${this.code})` : ""}${this.detail ? `: ${this.detail}` : ""}`
  }
}

/** 429 (or an equivalent): the provider asked us to slow down. `retryAfterMillis` is its requested delay. */
export class RateLimitedError extends Schema.TaggedError<RateLimitedError>()("RateLimitedError", {
  ...requestFields,
  retryAfterMillis: Schema.optional(Schema.Number),
  detail: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `${where(this)}: rate limited${
      this.retryAfterMillis === undefined ? "" : `, retry after ${Math.ceil(this.retryAfterMillis / 1000)} s`
    }`
  }
}

/** Any other non-success answer, with the provider's own error body decoded. */
export class ApiError extends Schema.TaggedError<ApiError>()("ApiError", {
  ...requestFields,
  /** The provider's error code (stringified), e.g. "NOT FOUND" or "42". */
  code: Schema.optional(Schema.String),
  /** The provider's error message. */
  detail: Schema.optional(Schema.String),
  /** Per-field validation messages, when the provider sends them. */
  fieldErrors: Schema.optional(Schema.Record(Schema.String, Schema.String))
}) {
  override get message(): string {
    return `${where(this)}: ${this.code ?? "API error"}${this.detail ? `: ${this.detail}` : ""}`
  }
}

/** The request never produced a response: connection refused, reset, timeout, ... */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  ...requestFields,
  detail: Schema.String
}) {
  override get message(): string {
    return `${where(this)}: transport failure: ${this.detail}`
  }
}

/** A response arrived but did not match the expected schema. */
export class DecodeError extends Schema.TaggedError<DecodeError>()("DecodeError", {
  ...requestFields,
  detail: Schema.String
}) {
  override get message(): string {
    return `${where(this)}: unexpected response: ${this.detail}`
  }
}

/**
 * The caller's input was refused by the request schema before anything was sent (an amount that is not an
 * integer in minor units, a malformed field, ...). Nothing reached the provider; the input is untouched.
 */
export class InvalidRequestError extends Schema.TaggedError<InvalidRequestError>()("InvalidRequestError", {
  provider: Schema.String,
  method: Schema.String,
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.provider} ${this.method} ${this.path}: invalid request, nothing was sent: ${this.detail}`
  }
}

/** The client was configured with something unusable (bad account id, http URL, missing variable, ...). */
export class ConfigurationError extends Schema.TaggedError<ConfigurationError>()("ConfigurationError", {
  provider: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.provider}: invalid configuration: ${this.detail}`
  }
}

/** Every failure a request through a nordkit client can end in (configuration errors happen at layer build). */
export type RequestError =
  | InvalidRequestError
  | AuthenticationError
  | ForbiddenError
  | RateLimitedError
  | ApiError
  | TransportError
  | DecodeError

export type NordkitError = RequestError | ConfigurationError
