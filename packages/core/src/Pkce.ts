/**
 * PKCE (RFC 7636) and the OAuth2 `state` parameter, for any authorization-code flow:
 *
 * - a code verifier from ≥ 32 secure random bytes, base64url without padding (43–128 characters, §4.1);
 * - its S256 challenge, `base64url(SHA-256(ASCII(verifier)))` (§4.2) — S256 only, never `plain`;
 * - a `state` from 32 secure random bytes, compared in constant time on return, and single-use through a
 *   {@link StateGuard} that remembers consumed states until they would have expired anyway.
 *
 * Randomness and hashing go through `effect/crypto` (`SecureRandom`, `Digest`): the ones you provide (e.g.
 * `NodeCrypto` layers), else WebCrypto, so this module runs in browsers and workers unchanged.
 */
import * as Clock from "effect/Clock"
import * as Digest from "effect/crypto/Digest"
import * as SecureRandom from "effect/crypto/SecureRandom"
import * as Effect from "effect/Effect"
import * as Base64Url from "effect/encoding/Base64Url"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

/** The provided `Digest`, or WebCrypto's when none is provided. */
const digestService: Effect.Effect<Digest.Digest["Service"]> = Effect.flatMap(
  Effect.serviceOption(Digest.Digest),
  Option.match({
    onSome: Effect.succeed,
    onNone: () => Effect.provide(Effect.service(Digest.Digest), Digest.layerWebCrypto)
  })
)

/** The provided `SecureRandom`, or WebCrypto's `getRandomValues` when none is provided. */
const randomService: Effect.Effect<SecureRandom.SecureRandom["Service"]> = Effect.flatMap(
  Effect.serviceOption(SecureRandom.SecureRandom),
  Option.match({
    onSome: Effect.succeed,
    onNone: () => Effect.provide(Effect.service(SecureRandom.SecureRandom), SecureRandom.layerWebCrypto)
  })
)

/** RFC 7636 §4.1: 43–128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`. */
export const isValidVerifier = (verifier: string): boolean => /^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)

/** The verifier for the given random bytes (32 bytes give 43 characters, 96 bytes give 128). */
export const verifierFromBytes = (bytes: Uint8Array): Redacted.Redacted<string> => {
  const verifier = Base64Url.encode(bytes)
  if (!isValidVerifier(verifier)) throw new RangeError("a PKCE verifier needs 32 to 96 random bytes")
  return Redacted.make(verifier, { label: "code_verifier" })
}

/**
 * A new code verifier from `bytes` secure random bytes (default 32, the RFC's recommendation; at most 96).
 */
export const makeVerifier = (bytes = 32): Effect.Effect<Redacted.Redacted<string>> =>
  Effect.suspend(() => {
    if (!Number.isInteger(bytes) || bytes < 32 || bytes > 96) {
      return Effect.die(new RangeError("a PKCE verifier needs 32 to 96 random bytes"))
    }
    return Effect.flatMap(randomService, (random) => Effect.map(random.randomBytes(bytes), verifierFromBytes))
  })

/** The S256 challenge of `verifier`: base64url (no padding) of SHA-256 over its ASCII bytes. */
export const challenge = (verifier: Redacted.Redacted<string> | string): Effect.Effect<string> =>
  Effect.flatMap(digestService, (digest) =>
    Effect.map(
      digest.digest(
        Digest.sha256,
        new TextEncoder().encode(Redacted.isRedacted(verifier) ? Redacted.value(verifier) : verifier)
      ),
      Base64Url.encode
    )
  )

export interface Pair {
  readonly verifier: Redacted.Redacted<string>
  readonly challenge: string
  readonly method: "S256"
}

/** A fresh verifier and its S256 challenge. */
export const makePair: Effect.Effect<Pair> = Effect.gen(function* () {
  const verifier = yield* makeVerifier()
  return { verifier, challenge: yield* challenge(verifier), method: "S256" as const }
})

/** A fresh, unguessable `state` value: 32 secure random bytes, base64url (43 characters). */
export const makeState: Effect.Effect<string> = Effect.flatMap(randomService, (random) =>
  Effect.map(random.randomBytes(32), Base64Url.encode)
)

/** Compares two strings in time independent of where they differ (the length may still show). */
export const constantTimeEquals = (a: string, b: string): boolean => {
  const left = new TextEncoder().encode(a)
  const right = new TextEncoder().encode(b)
  let diff = left.length ^ right.length
  const length = Math.max(left.length, right.length)
  for (let i = 0; i < length; i++) diff |= (left[i] ?? 0) ^ (right[i] ?? 0)
  return diff === 0
}

/** Why a returned `state` was refused. */
export type StateProblem = "missing" | "mismatch" | "reused" | "expired"

export interface StateGuard {
  /**
   * Checks the `received` state of a callback against the `expected` one (issued at `issuedAt`, Effect Clock
   * millis) and consumes it: the same state is accepted once. Returns the problem, or undefined when accepted.
   */
  readonly consume: (options: {
    readonly expected: string
    readonly received: string | null | undefined
    readonly issuedAt: number
  }) => Effect.Effect<StateProblem | undefined>
}

/**
 * A guard that accepts each state once, within `maxAgeMillis` (default 10 minutes) of when it was issued.
 * Consumed states are remembered until they would have expired, so memory stays bounded.
 */
export const makeStateGuard = (options?: { readonly maxAgeMillis?: number | undefined }): StateGuard => {
  const maxAge = options?.maxAgeMillis ?? 10 * 60_000
  const consumed = new Map<string, number>()
  return {
    consume: ({ expected, received, issuedAt }) =>
      Effect.map(Clock.currentTimeMillis, (now): StateProblem | undefined => {
        for (const [state, expiresAt] of consumed) if (expiresAt <= now) consumed.delete(state)
        if (received === null || received === undefined || received.length === 0) return "missing"
        if (!constantTimeEquals(expected, received)) return "mismatch"
        if (consumed.has(expected)) return "reused"
        if (now - issuedAt > maxAge) return "expired"
        consumed.set(expected, issuedAt + maxAge)
        return undefined
      })
  }
}
