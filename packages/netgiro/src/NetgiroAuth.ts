/**
 * How Netgíró authenticates: no tokens — every request, every response and every merchant callback is signed.
 *
 *   netgiro_signature = lowercase hex SHA-256( UTF-8(secret + nonce + url) ‖ body bytes )
 *
 * Plain SHA-256 of the concatenation, not HMAC: the prose of Netgíró's documentation says HMACSHA256, but its
 * example code and both published test vectors are plain SHA-256 (see `test/NetgiroAuth.test.ts`). `url` is the
 * full URL exactly as sent (case preserved, query included); `body` the exact bytes sent ("" for a GET).
 *
 * Nonces are ticks (100 ns) since 1900-01-01 from the Effect Clock, strictly increasing per client even under
 * concurrency (`RequestSigner.makeNonce`), and drawn afresh for every attempt of a retried request because the
 * signer runs inside the retry loop (`RequestSigner.perAttempt`).
 *
 * Responses are verified with the most plausible reading of the documentation (it does not say what the
 * response signature covers): SHA-256 of `secret + responseNonce + requestUrl + responseBody`, compared in
 * constant time.
 */
import * as RequestSigner from "@nordkit/core/RequestSigner"
import * as Digest from "effect/crypto/Digest"
import * as Mac from "effect/crypto/Mac"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"

export const headerNames = {
  appKey: "netgiro_appkey",
  nonce: "netgiro_nonce",
  signature: "netgiro_signature",
  referenceId: "netgiro_referenceid"
} as const

/** The Digest service the signing runs on: yours when provided (e.g. `NodeCrypto.layerDigest`), else WebCrypto. */
export type DigestService = Digest.Digest["Service"]

/** The provided `Digest`, or WebCrypto's (`crypto.subtle`) when none is provided. */
export const digestService: Effect.Effect<DigestService> = Effect.flatMap(
  Effect.serviceOption(Digest.Digest),
  Option.match({
    onSome: Effect.succeed,
    onNone: () => Effect.provide(Effect.service(Digest.Digest), Digest.layerWebCrypto)
  })
)

const encoder = new TextEncoder()

/** The bytes that are hashed: UTF-8 of `secret + nonce + url`, then the body bytes as they are. */
export const signatureInput = (secret: string, nonce: string, url: string, body: Uint8Array): Uint8Array => {
  const head = encoder.encode(secret + nonce + url)
  if (body.length === 0) return head
  const input = new Uint8Array(head.length + body.length)
  input.set(head, 0)
  input.set(body, head.length)
  return input
}

/** Netgíró's signature: lowercase hex SHA-256 of `secret + nonce + url + body`. */
export const signature = (
  digest: DigestService,
  secret: Redacted.Redacted<string>,
  nonce: string,
  url: string,
  body: Uint8Array
): Effect.Effect<string> => digest.digestHex(Digest.sha256, signatureInput(Redacted.value(secret), nonce, url, body))

/** Compares two strings in time that depends only on their lengths (effect's `Mac.timingSafeEqual` on UTF-8). */
export const constantTimeEqual = (a: string, b: string): boolean =>
  Mac.timingSafeEqual(encoder.encode(a), encoder.encode(b))

export type Verdict = "valid" | "missing" | "mismatch"

/** Checks a received `nonce`/`signature` pair against `url` and `body`. */
export const verify = (
  digest: DigestService,
  secret: Redacted.Redacted<string>,
  received: { readonly nonce: string | undefined; readonly signature: string | undefined },
  url: string,
  body: Uint8Array
): Effect.Effect<Verdict> => {
  const { nonce, signature: given } = received
  if (nonce === undefined || given === undefined || nonce === "" || given === "") return Effect.succeed("missing")
  return Effect.map(signature(digest, secret, nonce, url, body), (expected) =>
    constantTimeEqual(expected, given.toLowerCase()) ? "valid" : "mismatch"
  )
}

export interface SignerOptions {
  readonly appKey: string
  readonly secret: Redacted.Redacted<string>
  readonly digest: DigestService
  /** The client's nonce source (`RequestSigner.makeNonce({ fromMillis: RequestSigner.ticksSince1900 })`). */
  readonly nonce: Effect.Effect<bigint>
}

/**
 * A nonce source in Netgíró's recommended form (ticks since 1900), strictly increasing. The clock only has
 * millisecond resolution, so each source adds its own random offset below one millisecond (0–9,999 ticks):
 * two clients sharing an app key and signing in the same millisecond are then unlikely to send the same
 * nonce (for a guarantee, share one source: `NetgiroClient.Options.nonce`).
 */
export const makeNonce: Effect.Effect<Effect.Effect<bigint>> = Effect.flatMap(
  Random.nextIntBetween(0, 10_000, { halfOpen: true }),
  (offset) => RequestSigner.makeNonce({ fromMillis: (millis) => RequestSigner.ticksSince1900(millis) + BigInt(offset) })
)

/** The headers for one attempt: the same function the client's middleware calls for every request. */
export const signHeaders = (
  options: SignerOptions,
  input: { readonly url: string; readonly body: Uint8Array }
): Effect.Effect<Record<string, string>> =>
  Effect.flatMap(options.nonce, (n) => {
    const nonce = n.toString()
    return Effect.map(signature(options.digest, options.secret, nonce, input.url, input.body), (signed) => ({
      [headerNames.appKey]: options.appKey,
      [headerNames.nonce]: nonce,
      [headerNames.signature]: signed
    }))
  })

/** The request-signing middleware, for `ApiClient.make({ perAttempt })`: every attempt signed afresh. */
export const requestSigner = (options: SignerOptions) =>
  RequestSigner.perAttempt((input) => signHeaders(options, input), { redactHeaders: [headerNames.signature] })
