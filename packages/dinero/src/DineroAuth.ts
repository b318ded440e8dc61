/**
 * How Dinero issues tokens to a personal integration: the OAuth2 *password* grant at the authz endpoint, the client
 * authenticated with a Basic header (`client_id:client_secret`), a form body with `scope=read write` and the
 * organization's API key as both `username` and `password`. The answer is a one-hour bearer token for that one
 * organization and no refresh token, so a new grant is made when the token nears expiry (core's token provider
 * does that ahead of time, in the background).
 *
 * One token provider per organization: tokens never cross organizations.
 */
import type * as NordkitError from "@nordkit/core/NordkitError"
import * as OAuth2 from "@nordkit/core/OAuth2"
import type * as TokenProvider from "@nordkit/core/TokenProvider"
import type * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"

export const defaultAuthUrl = "https://authz.dinero.dk/dineroapi/oauth/token"

/** The scope Dinero documents for API-key integrations. */
export const scope = "read write"

export interface Credentials {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /** The organization's API key (generated in Dinero, per organization). */
  readonly apiKey: Redacted.Redacted<string>
  /** Validated token endpoint URL. */
  readonly authUrl: string
}

/** The token request Dinero expects. */
export const tokenRequest = (credentials: Credentials): OAuth2.TokenRequest => ({
  provider: "dinero",
  endpoint: credentials.authUrl,
  grantType: "password",
  client: { _tag: "Basic", clientId: credentials.clientId, clientSecret: credentials.clientSecret },
  params: { scope, username: credentials.apiKey, password: credentials.apiKey },
  encoding: "form",
  // Dinero documents one hour; the response decides, this is the fallback.
  defaultExpiresInSeconds: 3600
})

/** A token provider for one organization (cached, single-flight, re-granted ahead of expiry). */
export const makeTokenProvider = (
  credentials: Credentials
): Effect.Effect<TokenProvider.TokenProvider<NordkitError.RequestError>, never, HttpClient.HttpClient | Scope.Scope> =>
  OAuth2.makeTokenProvider(tokenRequest(credentials))
