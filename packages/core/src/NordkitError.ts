/**
 * The typed error family every nordkit client fails with. Each error names the provider, the HTTP method and
 * the URL path of the request (never its query, which may carry secrets) and, when a response arrived, its
 * status. None of them ever holds a secret: tokens, client secrets and API keys stay `Redacted` elsewhere.
 *
 * Callers branch on `_tag` (`Effect.catchTag("RateLimitedError", ...)`); provider packages add their own
 * errors next to these (signature mismatch, result codes, ...).
 */
import * as Data from "effect/Data"

/** The fields every error raised from a request carries. */
export interface RequestFields {
  /** Provider name, e.g. "dintero". */
  readonly provider: string
  /** HTTP method of the failed request. */
  readonly method: string
  /** URL path of the failed request, without query or fragment. */
  readonly path: string
  /** HTTP status, when a response arrived. */
  readonly status?: number | undefined
  /** The provider's id for this request or response (e.g. Netgíró's `netgiro_referenceId`): give it to support. */
  readonly requestId?: string | undefined
}

const where = (e: RequestFields) =>
  `${e.provider} ${e.method} ${e.path}${e.status === undefined ? "" : ` -> ${e.status}`}${
    e.requestId === undefined ? "" : ` [request id ${e.requestId}]`
  }`

/**
 * The provider rejected our credentials or token: a token endpoint's RFC 6749 §5.2 error (`invalid_client`,
 * `invalid_grant`, ...), or a 401 that persisted after one refresh and replay.
 */
export class AuthenticationError extends /* @__PURE__ */ Data.TaggedError("AuthenticationError")<
  RequestFields & {
    /** RFC 6749 `error` code, or the provider's own error code. */
    readonly error?: string | undefined
    /** RFC 6749 `error_description`, or the provider's message. */
    readonly errorDescription?: string | undefined
    /** RFC 6749 `error_uri`. */
    readonly errorUri?: string | undefined
  }
> {
  override get message(): string {
    return `${where(this)}: authentication rejected${this.error ? ` (${this.error})` : ""}${
      this.errorDescription ? `: ${this.errorDescription}` : ""
    }`
  }
}

/** 403: authenticated, but not allowed to do this (missing scope, plan, MFA, ...). */
export class ForbiddenError extends /* @__PURE__ */ Data.TaggedError("ForbiddenError")<
  RequestFields & {
    readonly code?: string | undefined
    readonly detail?: string | undefined
  }
> {
  override get message(): string {
    return `${where(this)}: forbidden${this.code ? ` (${this.code})` : ""}${this.detail ? `: ${this.detail}` : ""}`
  }
}

/** 429 (or an equivalent): the provider asked us to slow down. `retryAfterMillis` is its requested delay. */
export class RateLimitedError extends /* @__PURE__ */ Data.TaggedError("RateLimitedError")<
  RequestFields & {
    readonly retryAfterMillis?: number | undefined
    readonly detail?: string | undefined
  }
> {
  override get message(): string {
    return `${where(this)}: rate limited${
      this.retryAfterMillis === undefined ? "" : `, retry after ${Math.ceil(this.retryAfterMillis / 1000)} s`
    }`
  }
}

/** Any other non-success answer, with the provider's own error body decoded. */
export class ApiError extends /* @__PURE__ */ Data.TaggedError("ApiError")<
  RequestFields & {
    /** The provider's error code (stringified), e.g. "NOT FOUND" or "42". */
    readonly code?: string | undefined
    /** The provider's error message. */
    readonly detail?: string | undefined
    /** Per-field validation messages, when the provider sends them. */
    readonly fieldErrors?: { readonly [key: string]: string } | undefined
  }
> {
  override get message(): string {
    return `${where(this)}: ${this.code ?? "API error"}${this.detail ? `: ${this.detail}` : ""}`
  }
}

/** What went wrong below HTTP, when the platform client says so. */
export type TransportKind = "refused" | "reset" | "dns" | "tls" | "timeout" | "aborted" | "invalid-request" | "unknown"

/** The request never produced a usable response: connection refused, reset, DNS, TLS, ... */
export class TransportError extends /* @__PURE__ */ Data.TaggedError("TransportError")<
  RequestFields & {
    readonly detail: string
    /** The kind of failure, read from the platform error's code. */
    readonly kind?: TransportKind | undefined
    /**
     * Whether the request may have reached the server (false only when the connection was never established,
     * e.g. refused or a DNS failure). A request that may have reached the server is never replayed unless it
     * is idempotent.
     */
    readonly mayHaveReachedServer?: boolean | undefined
  }
> {
  override get message(): string {
    return `${where(this)}: transport failure${this.kind === undefined ? "" : ` (${this.kind})`}: ${this.detail}${
      this.mayHaveReachedServer === false ? "; the request did not reach the server" : ""
    }`
  }
}

/** Which part of an exchange ran out of time. */
export type TimeoutPhase = "connect" | "headers" | "body" | "token"

/**
 * A deadline ran out: the per-attempt deadline of a request (waiting for the response headers, or reading the
 * body) or the token acquisition deadline. `mayHaveReachedServer` says whether the provider may have acted on
 * the request (only `connect` timeouts are known not to have).
 */
export class TimeoutError extends /* @__PURE__ */ Data.TaggedError("TimeoutError")<
  RequestFields & {
    readonly phase: TimeoutPhase
    /** The deadline that ran out, in milliseconds. */
    readonly timeoutMillis: number
    readonly mayHaveReachedServer: boolean
  }
> {
  override get message(): string {
    return `${where(this)}: no ${this.phase === "token" ? "token" : this.phase === "body" ? "complete body" : this.phase === "connect" ? "connection" : "response"} within ${this.timeoutMillis} ms${
      this.mayHaveReachedServer
        ? " (the request may have reached the server)"
        : " (the request did not reach the server)"
    }`
  }
}

/** A response body exceeded the byte cap for its kind (JSON and error bodies, or downloads); reading stopped there. */
export class ResponseTooLargeError extends /* @__PURE__ */ Data.TaggedError("ResponseTooLargeError")<
  RequestFields & {
    /** The cap that was exceeded, in bytes. */
    readonly limitBytes: number
    /** The announced `content-length`, when the server sent one. */
    readonly contentLength?: number | undefined
  }
> {
  override get message(): string {
    return `${where(this)}: response body larger than ${this.limitBytes} bytes${
      this.contentLength === undefined ? "" : ` (content-length ${this.contentLength})`
    }`
  }
}

/** A response arrived but did not match the expected schema. */
export class DecodeError extends /* @__PURE__ */ Data.TaggedError("DecodeError")<
  RequestFields & {
    readonly detail: string
  }
> {
  override get message(): string {
    return `${where(this)}: unexpected response: ${this.detail}`
  }
}

/**
 * The caller's input was refused by the request schema before anything was sent (an amount that is not an
 * integer in minor units, a malformed field, ...). Nothing reached the provider; the input is untouched.
 */
export class InvalidRequestError extends /* @__PURE__ */ Data.TaggedError("InvalidRequestError")<{
  readonly provider: string
  readonly method: string
  readonly path: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.provider} ${this.method} ${this.path}: invalid request, nothing was sent: ${this.detail}`
  }
}

/** The client was configured with something unusable (bad account id, http URL, missing variable, ...). */
export class ConfigurationError extends /* @__PURE__ */ Data.TaggedError("ConfigurationError")<{
  readonly provider: string
  readonly detail: string
}> {
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
