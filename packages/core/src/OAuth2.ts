/**
 * OAuth2 token requests (RFC 6749): the grants nordkit's providers use, client authentication by Basic header
 * or in the body, form or JSON bodies, the token response schema (`expires_in` as number or numeric string,
 * extra fields kept), and §5.2 error responses decoded into `AuthenticationError`.
 *
 * Expiry is computed from the moment the request was sent (Effect Clock), never from when the answer came, and
 * the granted lifetime is clamped to [`minimumLifetimeSeconds`, `maximumLifetimeSeconds`]: an `expires_in` of 0,
 * negative or below the expiry skew never turns every call into a token request, and `1e306` is not forever.
 *
 * Only an allow-list of extra response fields (`extraFieldsInClear`) is kept readable; any other extra field
 * (an `id_token`, ...) is kept `Redacted`. The secrets of a token request (client secret, password, code,
 * code verifier, refresh token) are scrubbed from any server text that enters an error (see `Redaction`).
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as AccessToken from "./AccessToken.ts"
import * as ApiClient from "./ApiClient.ts"
import * as Json from "./Json.ts"
import * as Metrics from "./Metrics.ts"
import { AuthenticationError, DecodeError, type RequestError } from "./NordkitError.ts"
import * as Redaction from "./Redaction.ts"
import type * as RequestLimits from "./RequestLimits.ts"
import type * as RetryPolicy from "./RetryPolicy.ts"
import * as TokenCoordinator from "./TokenCoordinator.ts"
import * as TokenProvider from "./TokenProvider.ts"

export type GrantType = "client_credentials" | "password" | "authorization_code" | "refresh_token"

/** How the client authenticates itself to the token endpoint. */
export type ClientAuthentication =
  /** `Authorization: Basic base64(client_id:client_secret)` (RFC 6749 §2.3.1, preferred). */
  | { readonly _tag: "Basic"; readonly clientId: string; readonly clientSecret: Redacted.Redacted<string> }
  /** `client_id` (and `client_secret`, when given) in the request body. */
  | { readonly _tag: "Body"; readonly clientId: string; readonly clientSecret?: Redacted.Redacted<string> | undefined }

export interface TokenRequest {
  /** Provider name for errors. */
  readonly provider: string
  /** Absolute token endpoint URL (already validated). */
  readonly endpoint: string
  readonly grantType: GrantType
  readonly client: ClientAuthentication
  /** Grant parameters (scope, audience, username, password, code, code_verifier, redirect_uri, refresh_token...). */
  readonly params?: Readonly<Record<string, string | Redacted.Redacted<string> | undefined>> | undefined
  /** `form` (application/x-www-form-urlencoded, RFC 6749) or `json`. Default `form`. */
  readonly encoding?: "form" | "json" | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Lifetime assumed when the response has no `expires_in`. Default 3600 s. */
  readonly defaultExpiresInSeconds?: number | undefined
  readonly retry?: RetryPolicy.Options | undefined
  /**
   * Reads the token endpoint's error body. Default: RFC 6749 §5.2, or a nested `{ error: { code, message } }`.
   */
  readonly errorFields?: ((json: unknown, text: string) => ApiClient.ErrorFields) | undefined
  /** Per-attempt deadline and body cap of the token request (see `RequestLimits`). */
  readonly limits?: RequestLimits.Limits | undefined
}

/** Shortest lifetime a token is given, whatever `expires_in` says (0, negative, below the skew). */
export const minimumLifetimeSeconds = 60

/** Longest lifetime a token is given, whatever `expires_in` says. */
export const maximumLifetimeSeconds = 24 * 60 * 60

/** Extra token-response fields kept readable in `AccessToken.extra`; any other extra field is kept Redacted. */
export const extraFieldsInClear: ReadonlySet<string> = new Set([
  "profile",
  "userId",
  "user_id",
  "account_id",
  "accountId",
  "organization_id",
  "organizationId",
  "refresh_expires_in",
  "not-before-policy",
  "session_state"
])

/** Clamps a granted lifetime into [minimum, maximum] seconds (a non-finite value counts as the maximum). */
export const clampLifetime = (seconds: number): number =>
  Number.isNaN(seconds)
    ? minimumLifetimeSeconds
    : Math.min(maximumLifetimeSeconds, Math.max(minimumLifetimeSeconds, seconds))

/** The token endpoint's success body. Unknown fields are kept in `AccessToken.extra`. */
export const TokenResponse = Schema.Struct({
  access_token: Schema.NonEmptyString,
  token_type: Schema.optional(Schema.String),
  expires_in: Schema.optional(Schema.Union([Schema.Finite, Schema.FiniteFromString])),
  refresh_token: Schema.optional(Schema.NullOr(Schema.String)),
  scope: Schema.optional(Schema.NullOr(Schema.String))
})

/** RFC 6749 §5.2 error body. */
export const ErrorResponse = Schema.Struct({
  error: Schema.String,
  error_description: Schema.optional(Schema.NullOr(Schema.String)),
  error_uri: Schema.optional(Schema.NullOr(Schema.String))
})

/** A provider-style nested error body, e.g. Dintero's `{ error: { code, message } }`. */
const NestedErrorResponse = Schema.Struct({
  error: Schema.Struct({
    code: Schema.optional(Schema.NullOr(Schema.Union([Schema.String, Schema.Number]))),
    message: Schema.optional(Schema.NullOr(Schema.String))
  })
})

const knownFields = new Set(["access_token", "token_type", "expires_in", "refresh_token", "scope"])
const decodeResponse = Schema.decodeUnknownExit(TokenResponse)
const decodeRfcError = Schema.decodeUnknownOption(ErrorResponse)
const decodeNestedError = Schema.decodeUnknownOption(NestedErrorResponse)

/** Reads a token endpoint's error body: RFC 6749 §5.2, a nested `{error:{code,message}}`, or nothing. */
export const errorFields = (json: unknown, text: string): ApiClient.ErrorFields => {
  const rfc = decodeRfcError(json)
  if (rfc._tag === "Some") {
    return { code: rfc.value.error, detail: rfc.value.error_description ?? undefined }
  }
  const nested = decodeNestedError(json)
  if (nested._tag === "Some") {
    const code = nested.value.error.code
    return {
      code: code === undefined || code === null ? undefined : String(code),
      detail: nested.value.error.message ?? undefined
    }
  }
  return json === undefined && text.length > 0 ? { detail: text.slice(0, 200) } : {}
}

const errorUri = (json: unknown): string | undefined => {
  const rfc = decodeRfcError(json)
  return rfc._tag === "Some" ? (rfc.value.error_uri ?? undefined) : undefined
}

/**
 * Whether a grant may be sent twice. A refresh token that rotates, or a single-use authorization code,
 * must never be replayed after the request may have reached the server.
 */
const isReplayable = (grant: GrantType) => grant === "client_credentials" || grant === "password"

/** RFC 6749 §2.3.1 / Appendix B: client id and secret are form-urlencoded before they are joined by ":". */
const formEncode = (value: string): string => new URLSearchParams([["", value]]).toString().slice(1)

/** The Basic authorization header value for `clientId` and `clientSecret` (RFC 6749 §2.3.1). */
export const basicCredentials = (clientId: string, clientSecret: string): string =>
  `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`

/** A token a client can send: visible ASCII without spaces (RFC 6750 §2.1 allows less). */
const sendableToken = /^[\x21-\x7e]+$/

/** The secrets a token request holds (registered for scrubbing while it runs). */
const secretsOf = (request: TokenRequest): Array<Redaction.Secret | undefined> => [
  request.client.clientSecret,
  ...Object.values(request.params ?? {}).filter(Redacted.isRedacted)
]

const bodyOf = (request: TokenRequest): Record<string, string> => {
  const body: Record<string, string> = { grant_type: request.grantType }
  if (request.client._tag === "Body") {
    body.client_id = request.client.clientId
    if (request.client.clientSecret !== undefined) body.client_secret = Redacted.value(request.client.clientSecret)
  }
  for (const [key, value] of Object.entries(request.params ?? {})) {
    if (value !== undefined) body[key] = Redacted.isRedacted(value) ? Redacted.value(value) : value
  }
  return body
}

/**
 * Sends one token request and returns the token. Errors: `AuthenticationError` for 400/401 (carrying the
 * RFC 6749 `error`, `error_description`, `error_uri`), `ForbiddenError`, `RateLimitedError`, `ApiError`,
 * `TransportError`, `DecodeError` — none of them holding a secret.
 */
export const requestToken = (
  request: TokenRequest
): Effect.Effect<AccessToken.AccessToken, RequestError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const api = ApiClient.make<never>(client, {
      provider: request.provider,
      baseUrl: "",
      errorFields: request.errorFields ?? errorFields,
      classify: (failure) =>
        failure.status === 400 || failure.status === 401
          ? new AuthenticationError({
              provider: failure.provider,
              method: failure.method,
              path: failure.path,
              status: failure.status,
              error: failure.fields.code,
              errorDescription: failure.fields.detail,
              errorUri: errorUri(failure.json)
            })
          : undefined,
      retry: {
        ...request.retry,
        isIdempotent: () => isReplayable(request.grantType)
      },
      limits: request.limits
    })
    const body = bodyOf(request)
    let http = HttpClientRequest.post(request.endpoint).pipe(HttpClientRequest.acceptJson)
    http =
      request.encoding === "json"
        ? HttpClientRequest.bodyJsonUnsafe(http, body)
        : HttpClientRequest.bodyUrlParams(http, body)
    if (request.client._tag === "Basic") {
      http = HttpClientRequest.setHeader(
        http,
        "authorization",
        basicCredentials(request.client.clientId, Redacted.value(request.client.clientSecret))
      )
    }
    for (const [key, value] of Object.entries(request.headers ?? {}))
      http = HttpClientRequest.setHeader(http, key, value)

    const sentAt = yield* Clock.currentTimeMillis
    yield* Metrics.increment(Metrics.tokenRequests, request.provider)
    const response = yield* api.ok(http)
    const text = yield* Effect.orElseSucceed(response.text, () => "")
    const failDecode = (detail: string) =>
      new DecodeError({
        provider: request.provider,
        method: "POST",
        path: ApiClient.pathOf(http),
        status: response.status,
        detail
      })
    const parsed = Json.parseOption(text)
    if (Option.isNone(parsed)) return yield* failDecode("token response is not JSON")
    const json = parsed.value
    const decoded = decodeResponse(json)
    // The decode issue is not echoed: it could quote the token itself.
    if (decoded._tag === "Failure") return yield* failDecode("token response does not match the OAuth2 token schema")
    const value = decoded.value
    if (!sendableToken.test(value.access_token)) {
      return yield* failDecode("access_token has characters a bearer token cannot carry")
    }
    const extra: Record<string, unknown> = {}
    if (typeof json === "object" && json !== null) {
      for (const [key, field] of Object.entries(json)) {
        if (knownFields.has(key)) continue
        extra[key] = extraFieldsInClear.has(key) ? field : Redacted.make(field)
      }
    }
    return AccessToken.make({
      value: value.access_token,
      tokenType: value.token_type,
      issuedAt: sentAt,
      expiresInSeconds: clampLifetime(value.expires_in ?? request.defaultExpiresInSeconds ?? 3600),
      scope: value.scope ?? undefined,
      refreshToken: value.refresh_token ?? undefined,
      extra
    })
  }).pipe(Redaction.withSecrets(secretsOf(request)))

/**
 * A token provider whose acquisition is an OAuth2 token request. `request` may depend on the latest token
 * (e.g. a refresh grant that sends its refresh token). The HttpClient is the one in context when the provider
 * is made.
 */
export const makeTokenProvider = (
  request: TokenRequest | ((latest: Option.Option<AccessToken.AccessToken>) => TokenRequest),
  options?: Omit<TokenProvider.Options<RequestError, never>, "acquire">
): Effect.Effect<TokenProvider.TokenProvider<RequestError>, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    // A fixed request is one credential set: processes sharing it share acquisitions (with a TokenCoordinator).
    const shared =
      typeof request === "function"
        ? undefined
        : TokenCoordinator.share<RequestError>({
            key: yield* TokenCoordinator.keyOf(request.provider, [
              request.endpoint,
              request.grantType,
              request.client.clientId,
              request.client.clientSecret,
              ...Object.entries(request.params ?? {})
                .sort(([a], [b]) => (a < b ? -1 : 1))
                .flatMap(([name, value]) => [name, value])
            ])
          })
    return yield* TokenProvider.make<RequestError, never>({
      ...(typeof request === "function" ? {} : { provider: request.provider, endpoint: request.endpoint }),
      shared,
      ...options,
      acquire: (latest) => {
        const resolved = typeof request === "function" ? request(latest) : request
        return Effect.provideService(requestToken(resolved), HttpClient.HttpClient, client).pipe(
          Effect.tapError(() => Metrics.increment(Metrics.tokenFailures, resolved.provider))
        )
      }
    })
  })
