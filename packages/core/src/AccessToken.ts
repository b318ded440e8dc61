/**
 * An access token as nordkit keeps it: the value and refresh token `Redacted`, the expiry absolute (Effect Clock
 * milliseconds) and computed from the moment the token request was *sent*, so that a slow token endpoint never
 * makes us believe a token lives longer than it does.
 */
import * as Redacted from "effect/Redacted"

export interface AccessToken {
  readonly value: Redacted.Redacted<string>
  /** Usually "Bearer". */
  readonly tokenType: string
  /** Effect Clock millis at which the token request was sent. */
  readonly issuedAt: number
  /** Effect Clock millis after which the token must not be used. */
  readonly expiresAt: number
  readonly scope?: string | undefined
  readonly refreshToken?: Redacted.Redacted<string> | undefined
  /** Extra, non-secret fields of the token response (e.g. Monerium's `profile`, `userId`). */
  readonly extra: Readonly<Record<string, unknown>>
}

export const make = (options: {
  readonly value: string | Redacted.Redacted<string>
  readonly tokenType?: string | undefined
  readonly issuedAt: number
  /** Lifetime in seconds, counted from `issuedAt`. */
  readonly expiresInSeconds: number
  readonly scope?: string | undefined
  readonly refreshToken?: string | Redacted.Redacted<string> | undefined
  readonly extra?: Readonly<Record<string, unknown>> | undefined
}): AccessToken => ({
  value: Redacted.isRedacted(options.value) ? options.value : Redacted.make(options.value),
  tokenType: options.tokenType ?? "Bearer",
  issuedAt: options.issuedAt,
  expiresAt: options.issuedAt + options.expiresInSeconds * 1000,
  scope: options.scope,
  refreshToken:
    options.refreshToken === undefined || Redacted.isRedacted(options.refreshToken)
      ? options.refreshToken
      : Redacted.make(options.refreshToken),
  extra: options.extra ?? {}
})

/** Lifetime of the token in milliseconds, as granted. */
export const lifetime = (token: AccessToken): number => token.expiresAt - token.issuedAt

/** Two tokens are the same token when their values are equal. */
export const sameValue = (a: AccessToken, b: AccessToken): boolean =>
  a === b || Redacted.value(a.value) === Redacted.value(b.value)
