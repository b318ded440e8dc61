/**
 * Server routes for the code flow's server half (Monerium's `/auth/token` refuses browsers — no CORS — so the
 * code exchange and every refresh run on the app's server), as Effect HTTP server handlers:
 *
 * - {@link exchangeRoute}: `POST { code, codeVerifier }` from the app's own page (after
 *   `MoneriumBrowser.readCallback`) → `MoneriumClient.exchangeCode` → the grant is stored in the server's
 *   `TokenStore`; the answer is a short-lived access token `{ access_token, token_type, expires_in }` — never the
 *   refresh token.
 * - {@link accessTokenRoute}: `POST` → the session's current access token (refreshed here when needed), for a
 *   browser that calls the API itself (`MoneriumBrowser.tokenFromServer`).
 *
 * Both accept only JSON posts whose `Origin` is one of `allowedOrigins` (the app's own origin): another site
 * cannot make a user's browser redeem a code or read a token. Bodies are bounded; answers are `no-store`; errors
 * name the failure's tag only.
 */
import type * as AccessToken from "@nordkit/core/AccessToken"
import * as BoundedBody from "@nordkit/core/BoundedBody"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { Service } from "./MoneriumClient.ts"

export interface RouteOptions {
  /** Origins allowed to call the route, e.g. `["https://app.example.com"]` (the page's `location.origin`). */
  readonly allowedOrigins: ReadonlyArray<string>
  /** Largest body accepted, bytes. Default 8 KiB. */
  readonly maxBodyBytes?: number | undefined
}

const noStore = { "cache-control": "no-store" }

const refuse = (status: number, error: string) => HttpServerResponse.jsonUnsafe({ error }, { status, headers: noStore })

const tokenAnswer = (token: AccessToken.AccessToken) =>
  Effect.map(Clock.currentTimeMillis, (now) =>
    HttpServerResponse.jsonUnsafe(
      {
        access_token: Redacted.value(token.value),
        token_type: "Bearer",
        expires_in: Math.max(0, Math.floor((token.expiresAt - now) / 1000))
      },
      { headers: noStore }
    )
  )

/** The request if it is a bounded JSON POST from an allowed origin, else the refusal to answer. */
const checked = (options: RouteOptions) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (request.method !== "POST") return { refusal: refuse(405, "method_not_allowed") } as const
    const origin = request.headers.origin
    if (origin === undefined || !options.allowedOrigins.includes(origin)) {
      return { refusal: refuse(403, "origin_not_allowed") } as const
    }
    if (!(request.headers["content-type"] ?? "").startsWith("application/json")) {
      return { refusal: refuse(415, "json_required") } as const
    }
    const text = yield* BoundedBody.readRequestText(request, options.maxBodyBytes ?? 8 * 1024)
    if (Option.isNone(text)) return { refusal: refuse(413, "body_too_large") } as const
    return { text: text.value } as const
  })

const ExchangeBody = Schema.fromJsonString(Schema.Struct({ code: Schema.String, codeVerifier: Schema.String }))
const decodeExchange = Schema.decodeUnknownOption(ExchangeBody)

const statusOf = (tag: string) =>
  tag === "InvalidCallbackError" || tag === "InvalidRequestError"
    ? 400
    : tag === "AuthenticationError" || tag === "ReauthorizationRequiredError"
      ? 401
      : 502

/**
 * `POST { code, codeVerifier }` → exchanges the code for this session's `client` (code-flow credentials; its
 * redirect URI must be the one the browser's authorization used) and answers the access token.
 */
export const exchangeRoute = (
  client: Service,
  options: RouteOptions
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> =>
  Effect.gen(function* () {
    const request = yield* checked(options)
    if ("refusal" in request) return request.refusal
    const body = decodeExchange(request.text)
    if (body._tag === "None") return refuse(400, "invalid_body")
    return yield* client.exchangeCode(body.value).pipe(
      Effect.flatMap(tokenAnswer),
      Effect.catch((error) => Effect.succeed(refuse(statusOf(error._tag), error._tag)))
    )
  })

/** `POST` → this session's current access token, refreshed on the server when it nears expiry. */
export const accessTokenRoute = (
  client: Service,
  options: RouteOptions
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> =>
  Effect.gen(function* () {
    const request = yield* checked(options)
    if ("refusal" in request) return request.refusal
    return yield* client.accessToken.pipe(
      Effect.flatMap(tokenAnswer),
      Effect.catch((error) => Effect.succeed(refuse(statusOf(error._tag), error._tag)))
    )
  })
