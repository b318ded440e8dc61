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

/** What went wrong below HTTP, when the platform client says so. */
export const TransportKind = Schema.Literals([
  "refused",
  "reset",
  "dns",
  "tls",
  "timeout",
  "aborted",
  "invalid-request",
  "unknown"
])
export type TransportKind = typeof TransportKind.Type

/** The request never produced a usable response: connection refused, reset, DNS, TLS, ... */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  ...requestFields,
  detail: Schema.String,
  /** The kind of failure, read from the platform error's code. */
  kind: Schema.optional(TransportKind),
  /**
   * Whether the request may have reached the server (false only when the connection was never established,
   * e.g. refused or a DNS failure). A request that may have reached the server is never replayed unless it
   * is idempotent.
   */
  mayHaveReachedServer: Schema.optional(Schema.Boolean)
}) {
  override get message(): string {
    return `${where(this)}: transport failure${this.kind === undefined ? "" : ` (${this.kind})`}: ${this.detail}${
      this.mayHaveReachedServer === false ? "; the request did not reach the server" : ""
    }`
  }
}

/** Which part of an exchange ran out of time. */
export const TimeoutPhase = Schema.Literals(["connect", "headers", "body", "token"])
export type TimeoutPhase = typeof TimeoutPhase.Type

/**
 * A deadline ran out: the per-attempt deadline of a request (waiting for the response headers, or reading the
 * body) or the token acquisition deadline. `mayHaveReachedServer` says whether the provider may have acted on
 * the request (only `connect` timeouts are known not to have).
 */
export class TimeoutError extends Schema.TaggedError<TimeoutError>()("TimeoutError", {
  ...requestFields,
  phase: TimeoutPhase,
  /** The deadline that ran out, in milliseconds. */
  timeoutMillis: Schema.Number,
  mayHaveReachedServer: Schema.Boolean
}) {
  override get message(): string {
    return `${where(this)}: no ${this.phase === "token" ? "token" : this.phase === "body" ? "complete body" : this.phase === "connect" ? "connection" : "response"} within ${this.timeoutMillis} ms${
      this.mayHaveReachedServer
        ? " (the request may have reached the server)"
        : " (the request did not reach the server)"
    }`
  }
}

/** A response body exceeded the byte cap for its kind (JSON and error bodies, or downloads); reading stopped there. */
export class ResponseTooLargeError extends Schema.TaggedError<ResponseTooLargeError>()("ResponseTooLargeError", {
  ...requestFields,
  /** The cap that was exceeded, in bytes. */
  limitBytes: Schema.Number,
  /** The announced `content-length`, when the server sent one. */
  contentLength: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    return `${where(this)}: response body larger than ${this.limitBytes} bytes${
      this.contentLength === undefined ? "" : ` (content-length ${this.contentLength})`
    }`
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
  | TimeoutError
  | ResponseTooLargeError
  | DecodeError

export type NordkitError = RequestError | ConfigurationError
