/**
 * How Dintero issues tokens: OAuth2 client credentials at `{apiUrl}/v1/accounts/{aid}/auth/token`, the client
 * authenticated with a Basic header, a JSON body, and the canonical audience
 * `https://api.dintero.com/v1/accounts/{aid}` — the audience is a protocol identifier and stays the same when
 * `apiUrl` points elsewhere (a proxy, a test server).
 */
import type * as NordkitError from "@nordkit/core/NordkitError"
import * as OAuth2 from "@nordkit/core/OAuth2"
import type * as TokenProvider from "@nordkit/core/TokenProvider"
import type * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type { AccountId } from "./DinteroSchema.ts"

/** The audience Dintero expects for an account's tokens. */
export const audience = (accountId: AccountId): string => `https://api.dintero.com/v1/accounts/${accountId}`

export interface Credentials {
  readonly accountId: AccountId
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /** Validated API base URL (token endpoint host). */
  readonly apiUrl: string
}

/** The token request Dintero expects. */
export const tokenRequest = (credentials: Credentials): OAuth2.TokenRequest => ({
  provider: "dintero",
  endpoint: `${credentials.apiUrl}/v1/accounts/${credentials.accountId}/auth/token`,
  grantType: "client_credentials",
  client: { _tag: "Basic", clientId: credentials.clientId, clientSecret: credentials.clientSecret },
  params: { audience: audience(credentials.accountId) },
  encoding: "json",
  // Dintero documents 86400 s in one place and 14400 s in another: the response decides; this is a fallback.
  defaultExpiresInSeconds: 14_400
})

/** A token provider for Dintero credentials (cached, single-flight, refreshed ahead of expiry). */
export const makeTokenProvider = (
  credentials: Credentials
): Effect.Effect<TokenProvider.TokenProvider<NordkitError.RequestError>, never, HttpClient.HttpClient | Scope.Scope> =>
  OAuth2.makeTokenProvider(tokenRequest(credentials))
