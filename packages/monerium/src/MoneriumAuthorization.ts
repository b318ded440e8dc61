/**
 * The authorization request and its callback for Monerium's authorization-code flow with PKCE — the part that
 * may run in a browser (no token endpoint here: Monerium's `/auth/token` does not answer cross-origin requests,
 * so the code is exchanged on the app's server, see `MoneriumClient.exchangeCode` / `MoneriumServer`):
 *
 * 1. {@link start} makes the S256 verifier/challenge and a single-use `state`, and returns the URL of
 *    `{api}/auth` to send the user to, with the {@link PendingAuthorization} to keep until the user comes back.
 * 2. {@link readCallback} checks the callback's `state` exactly and once, turns `error=access_denied` into
 *    `AuthorizationDeniedError`, and returns the code with the verifier, to hand to the app's server.
 *
 * Sealing the pending record with the app's key, for a cookie, is server-side: `MoneriumAuth.sealPending`.
 */
import * as Pkce from "@nordkit/core/Pkce"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { AuthorizationDeniedError, InvalidCallbackError, StateMismatchError } from "./MoneriumError.ts"

const provider = "monerium"

/** What the app keeps between `authorize` and `handleCallback` (server side: it holds the PKCE verifier). */
export type PendingAuthorization = Pkce.PendingAuthorization

export interface AuthorizationRequest {
  /** Send the user's browser here. */
  readonly url: string
  readonly pending: PendingAuthorization
}

export interface AuthorizeParams {
  /** Pre-fills the email on Monerium's login/sign-up page. */
  readonly email?: string | undefined
  /** Opens Monerium on its login or its sign-up page. */
  readonly authMode?: "login" | "signup" | undefined
  /** Lets the user skip KYC onboarding at this point (Monerium's `skip_kyc`). */
  readonly skipKyc?: boolean | undefined
}

const unreadable = () => new InvalidCallbackError({ provider, detail: "the pending authorization is not readable" })

/**
 * The pending authorization as a string (JSON) for a session store or an HttpOnly, Secure cookie. It contains
 * the PKCE verifier in clear: keep it server side (or encrypted), never in a URL.
 */
export const encodePending: (pending: PendingAuthorization) => string = Pkce.encodePending

/** Reads what {@link encodePending} wrote. */
export const decodePending = (text: string): Effect.Effect<PendingAuthorization, InvalidCallbackError> =>
  Effect.suspend(() =>
    Option.match(Pkce.decodePending(text), { onNone: () => Effect.fail(unreadable()), onSome: Effect.succeed })
  )

/** The authorize URL for a challenge and state (exported for tests and custom front ends). */
export const authorizeUrl = (options: {
  readonly apiUrl: string
  readonly clientId: string
  readonly redirectUri: string
  readonly challenge: string
  readonly state: string
  readonly params?: AuthorizeParams | undefined
}): string => {
  const query = new URLSearchParams({
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    code_challenge: options.challenge,
    code_challenge_method: "S256",
    state: options.state
  })
  if (options.params?.email !== undefined) query.set("email", options.params.email)
  if (options.params?.authMode !== undefined) query.set("auth_mode", options.params.authMode)
  if (options.params?.skipKyc !== undefined) query.set("skip_kyc", String(options.params.skipKyc))
  return `${options.apiUrl}/auth?${query.toString()}`
}

export interface StartOptions {
  /** The API base URL (`https://api.monerium.dev` for the sandbox), where `/auth` lives. */
  readonly apiUrl: string
  readonly clientId: string
  /** Exactly one of the redirect URIs registered for the app (absolute http(s)). */
  readonly redirectUri: string
  readonly params?: AuthorizeParams | undefined
}

/** Step 1: a fresh verifier, challenge and state; the URL to send the user to and the record to keep. */
export const start = (options: StartOptions): Effect.Effect<AuthorizationRequest> =>
  Effect.gen(function* () {
    const pair = yield* Pkce.makePair
    const state = yield* Pkce.makeState
    const issuedAt = yield* Clock.currentTimeMillis
    const pending: PendingAuthorization = {
      state,
      codeVerifier: pair.verifier,
      clientId: options.clientId,
      redirectUri: options.redirectUri,
      issuedAt
    }
    const url = authorizeUrl({
      apiUrl: options.apiUrl,
      clientId: options.clientId,
      redirectUri: options.redirectUri,
      challenge: pair.challenge,
      state,
      params: options.params
    })
    return { url, pending }
  })

/** What a successful callback yields: exchange it on the server (`MoneriumClient.exchangeCode`). */
export interface AuthorizationCode {
  readonly code: Redacted.Redacted<string>
  readonly codeVerifier: Redacted.Redacted<string>
  readonly redirectUri: string
}

/** What reading a callback can fail with. */
export type ReadCallbackError = StateMismatchError | AuthorizationDeniedError | InvalidCallbackError

const defaultGuard = Pkce.makeStateGuard()

/**
 * Step 2: reads the URL the user came back to against the pending record — the state must match exactly and is
 * accepted once (through `guard`, default: a 10-minute guard on core's `Pkce.UsedStates`); an `error` is an
 * `AuthorizationDeniedError`. `expect` (client id, redirect URI) must match the record when given.
 */
export const readCallback = (
  callbackUrl: string | URL,
  pending: PendingAuthorization,
  options?: {
    readonly guard?: Pkce.StateGuard | undefined
    readonly expect?: { readonly clientId: string; readonly redirectUri: string } | undefined
  }
): Effect.Effect<AuthorizationCode, ReadCallbackError> =>
  Effect.gen(function* () {
    const text = typeof callbackUrl === "string" ? callbackUrl : callbackUrl.href
    if (!URL.canParse(text)) {
      return yield* new InvalidCallbackError({ provider, detail: "the callback URL is not a URL" })
    }
    const url = new URL(text)
    const expect = options?.expect
    if (expect !== undefined && (pending.clientId !== expect.clientId || pending.redirectUri !== expect.redirectUri)) {
      return yield* new InvalidCallbackError({
        provider,
        detail: "the pending authorization was started by another client or redirect URI"
      })
    }
    const query = url.searchParams
    const error = query.get("error")
    // The guide's error redirect carries no state (`?error=access_denied&error_description=...`): a refusal
    // without a code grants nothing, so it is reported as what it is rather than as a state problem.
    if (error !== null && query.get("state") === null && query.get("code") === null) {
      return yield* new AuthorizationDeniedError({
        provider,
        error,
        errorDescription: query.get("error_description") ?? undefined
      })
    }
    const problem = yield* (options?.guard ?? defaultGuard).consume({
      expected: pending.state,
      received: query.get("state"),
      issuedAt: pending.issuedAt
    })
    if (problem !== undefined) return yield* new StateMismatchError({ provider, problem })
    if (error !== null) {
      return yield* new AuthorizationDeniedError({
        provider,
        error,
        errorDescription: query.get("error_description") ?? undefined
      })
    }
    const code = query.get("code")
    if (code === null || code.length === 0) {
      return yield* new InvalidCallbackError({ provider, detail: "the callback has neither code nor error" })
    }
    return {
      code: Redacted.make(code, { label: "code" }),
      codeVerifier: pending.codeVerifier,
      redirectUri: pending.redirectUri
    }
  })
