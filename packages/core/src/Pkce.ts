/**
 * PKCE (RFC 7636) and the OAuth2 `state` parameter, for any authorization-code flow:
 *
 * - a code verifier from ≥ 32 secure random bytes, base64url without padding (43–128 characters, §4.1);
 * - its S256 challenge, `base64url(SHA-256(ASCII(verifier)))` (§4.2) — S256 only, never `plain`;
 * - a `state` from 32 secure random bytes, compared in constant time on return, and single-use through a
 *   {@link StateGuard}: a state issued in the future or older than its lifetime is refused, and a consumed state
 *   is remembered in the {@link UsedStates} service until it would have expired anyway (evicted in O(1) per
 *   consume). The default service is this process's memory; several replicas share one through Redis
 *   (`RedisCoordination.layerUsedStates`), so a callback replayed to another replica is refused too;
 * - a sealed pending record ({@link seal} / {@link unseal}): AES-256-GCM with a key the app provides, so a
 *   record kept in a cookie can be neither read (it holds the verifier) nor forged (e.g. a new `issuedAt`);
 * - {@link isHttpUrl}: a redirect URI must be an absolute http(s) URL (never `javascript:` or `data:`).
 *
 * Randomness and hashing go through `effect/crypto` (`SecureRandom`, `Digest`): the ones you provide (e.g.
 * `NodeCrypto` layers), else WebCrypto, so this module runs in browsers and workers unchanged.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Aead from "effect/crypto/Aead"
import * as Digest from "effect/crypto/Digest"
import * as SecureRandom from "effect/crypto/SecureRandom"
import * as WebCrypto from "effect/crypto/WebCrypto"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Base64Url from "effect/encoding/Base64Url"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as ConstantTime from "./ConstantTime.ts"
import * as SeenKeys from "./SeenKeys.ts"

// Without a provided `Digest` / `SecureRandom`, WebCrypto is called directly (through effect's `WebCrypto`
// reference) rather than through their `layerWebCrypto`: those layers build the whole service (UUID, ULID,
// shuffling...), several KiB of a browser bundle that only needs bytes and one SHA-256.

/** SHA-256 of `data` with the provided `Digest`, or WebCrypto's `subtle.digest` when none is provided. */
const sha256 = (data: Uint8Array<ArrayBuffer>): Effect.Effect<Uint8Array> =>
  Effect.flatMap(Effect.serviceOption(Digest.Digest), (digest) =>
    Option.isSome(digest)
      ? digest.value.digest(Digest.sha256, data)
      : Effect.flatMap(Effect.service(WebCrypto.WebCrypto), (crypto) =>
          Effect.promise(async () => new Uint8Array(await crypto.subtle.digest("SHA-256", data)))
        )
  )

/** `size` secure random bytes from the provided `SecureRandom`, or WebCrypto's `getRandomValues`. */
const randomBytes = (size: number): Effect.Effect<Uint8Array> =>
  Effect.flatMap(Effect.serviceOption(SecureRandom.SecureRandom), (random) =>
    Option.isSome(random)
      ? random.value.randomBytes(size)
      : Effect.map(Effect.service(WebCrypto.WebCrypto), (crypto) => crypto.getRandomValues(new Uint8Array(size)))
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
    return Effect.map(randomBytes(bytes), verifierFromBytes)
  })

/** The S256 challenge of `verifier`: base64url (no padding) of SHA-256 over its ASCII bytes. */
export const challenge = (verifier: Redacted.Redacted<string> | string): Effect.Effect<string> =>
  Effect.map(
    sha256(new TextEncoder().encode(Redacted.isRedacted(verifier) ? Redacted.value(verifier) : verifier)),
    Base64Url.encode
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
export const makeState: Effect.Effect<string> = Effect.map(randomBytes(32), Base64Url.encode)

/** Compares two strings in time independent of where they differ (the length may still show). */
export const constantTimeEquals: (a: string, b: string) => boolean = ConstantTime.equals

/** Whether `uri` is an absolute `http:` or `https:` URL (redirect URIs may not be `javascript:`, `data:`, ...). */
export const isHttpUrl = (uri: string): boolean => {
  if (!URL.canParse(uri)) return false
  const protocol = new URL(uri).protocol
  return protocol === "https:" || protocol === "http:"
}

/** Why a returned `state` was refused. `unavailable`: the shared store of used states could not be asked. */
export type StateProblem = "missing" | "mismatch" | "reused" | "expired" | "future" | "unavailable"

/** The store of used states could not answer. Carries no state value. */
export class UsedStatesError extends /* @__PURE__ */ Data.TaggedError("UsedStatesError")<{
  readonly detail: string
}> {
  override get message(): string {
    return `used-state store failed: ${this.detail}`
  }
}

/**
 * Remembers consumed states. `markUsed` records `state` for `ttlMillis` and answers whether this was its first
 * use; two concurrent calls with the same state get one `true` between them.
 */
export interface UsedStatesService {
  readonly markUsed: (state: string, ttlMillis: number) => Effect.Effect<boolean, UsedStatesError>
}

/**
 * Used states in this process's memory. Entries are kept in insertion order with a common lifetime, so the
 * oldest expire first: each call evicts from the front until it meets a live one (amortized O(1)).
 */
export const makeUsedStatesMemory = (): UsedStatesService => SeenKeys.makeMemory()

/**
 * Where consumed states are remembered. Default: this process's memory. Provide a shared implementation
 * (`RedisCoordination.layerUsedStates`) so that every replica refuses a state another one accepted.
 */
export const UsedStates: Context.Reference<UsedStatesService> = Context.Reference<UsedStatesService>(
  "@nordkit/core/Pkce/UsedStates",
  { defaultValue: makeUsedStatesMemory }
)

/** Used states in this process's memory, as a layer (a fresh set, e.g. per test). */
export const layerUsedStatesMemory: Layer.Layer<never> = /* @__PURE__ */ Layer.sync(UsedStates, makeUsedStatesMemory)

export interface StateGuard {
  /**
   * Checks the `received` state of a callback against the `expected` one (issued at `issuedAt`, Effect Clock
   * millis) and consumes it: the same state is accepted once. Returns the problem, or undefined when accepted.
   * A store that cannot answer refuses the callback (`unavailable`): it never accepts a state it could not
   * record.
   */
  readonly consume: (options: {
    readonly expected: string
    readonly received: string | null | undefined
    readonly issuedAt: number
  }) => Effect.Effect<StateProblem | undefined>
}

/**
 * A guard that accepts each state once, within `maxAgeMillis` (default 10 minutes) of when it was issued; an
 * `issuedAt` more than `maxClockSkewMillis` (default 60 s) in the future is refused. Consumed states go to the
 * {@link UsedStates} service in context when `consume` runs (this process's memory unless the app provides a
 * shared one).
 */
export const makeStateGuard = (options?: {
  readonly maxAgeMillis?: number | undefined
  readonly maxClockSkewMillis?: number | undefined
}): StateGuard => {
  const maxAge = options?.maxAgeMillis ?? 10 * 60_000
  const skew = options?.maxClockSkewMillis ?? 60_000
  return {
    consume: ({ expected, received, issuedAt }) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        if (received === null || received === undefined || received.length === 0) return "missing"
        if (!constantTimeEquals(expected, received)) return "mismatch"
        if (!Number.isFinite(issuedAt) || issuedAt > now + skew) return "future"
        if (now - issuedAt > maxAge) return "expired"
        const used = yield* UsedStates
        // Remembered for the rest of the state's life (plus the skew): after that it is refused as expired.
        const first = yield* Effect.orElseSucceed(
          used.markUsed(expected, Math.max(1, issuedAt + maxAge + skew - now)),
          () => "unavailable" as const
        )
        if (first === "unavailable") return "unavailable"
        return first ? undefined : "reused"
      })
  }
}

/** A pending record could not be sealed or opened (wrong key, tampered, not a sealed record). No content. */
export class SealError extends /* @__PURE__ */ Data.TaggedError("SealError")<{
  readonly detail: string
}> {
  override get message(): string {
    return `sealed record refused: ${this.detail}`
  }
}

/** The provided `Aead`, or WebCrypto's when none is provided. */
// A function, not a constant: a bundle that never seals drops it (and effect's AEAD code with it).
const aeadService = (): Effect.Effect<Aead.Aead["Service"]> =>
  Effect.flatMap(
    Effect.serviceOption(Aead.Aead),
    Option.match({
      onSome: Effect.succeed,
      onNone: () =>
        Effect.provide(Effect.service(Aead.Aead), Aead.layerWebCrypto.pipe(Layer.provide(SecureRandom.layerWebCrypto)))
    })
  )

/** An AES-256-GCM key for {@link seal} / {@link unseal}. */
export type SealingKey = Aead.Key<typeof Aead.aes256Gcm>

/**
 * The key for {@link seal} / {@link unseal}: 32 bytes, given as bytes or as base64url text (e.g. from a
 * secret manager: `Config.redacted("PENDING_KEY")`). Generate one with `makeState` (32 random bytes).
 */
export const sealingKey = (
  secret: Uint8Array | Redacted.Redacted<string> | string
): Effect.Effect<SealingKey, SealError> =>
  Effect.suspend(() => {
    let bytes: Uint8Array
    if (secret instanceof Uint8Array) bytes = secret
    else {
      const decoded = Base64Url.decode(Redacted.isRedacted(secret) ? Redacted.value(secret) : secret)
      if (decoded._tag === "Failure") return Effect.fail(new SealError({ detail: "the key is not base64url" }))
      bytes = decoded.success
    }
    if (bytes.length !== 32) return Effect.fail(new SealError({ detail: "the key must be 32 bytes" }))
    return Effect.mapError(Aead.key(Aead.aes256Gcm, bytes), () => new SealError({ detail: "the key is unusable" }))
  })

const sealPrefix = "nk1."
const sealAad = () => new TextEncoder().encode("nordkit sealed record v1")

/**
 * Encrypts and authenticates `payload` (AES-256-GCM, a fresh 12-byte nonce): the result is URL- and cookie-safe
 * text that only the key holder can read, and any change to it is detected by {@link unseal}.
 */
export const seal = (payload: string, key: SealingKey): Effect.Effect<string, SealError> =>
  Effect.gen(function* () {
    const aead = yield* aeadService()
    const nonce = yield* randomBytes(12)
    const sealed = yield* Effect.mapError(
      aead.encrypt(key, new TextEncoder().encode(payload), { nonce, aad: sealAad() }),
      () => new SealError({ detail: "encryption failed" })
    )
    return `${sealPrefix}${Base64Url.encode(nonce)}.${Base64Url.encode(sealed)}`
  })

/** Opens what {@link seal} made with the same key; a tampered, truncated or foreign text is a `SealError`. */
export const unseal = (text: string, key: SealingKey): Effect.Effect<string, SealError> =>
  Effect.gen(function* () {
    const refused = new SealError({ detail: "not a record sealed with this key" })
    if (!text.startsWith(sealPrefix)) return yield* refused
    const [nonceText, sealedText, ...rest] = text.slice(sealPrefix.length).split(".")
    if (nonceText === undefined || sealedText === undefined || rest.length > 0) return yield* refused
    const nonce = Base64Url.decode(nonceText)
    const sealed = Base64Url.decode(sealedText)
    if (nonce._tag === "Failure" || sealed._tag === "Failure" || nonce.success.length !== 12) return yield* refused
    const aead = yield* aeadService()
    const plain = yield* Effect.mapError(
      aead.decrypt(key, sealed.success, { nonce: nonce.success, aad: sealAad() }),
      () => refused
    )
    const decoded = yield* Effect.try({
      try: () => new TextDecoder("utf-8", { fatal: true }).decode(plain),
      catch: () => refused
    })
    return decoded
  })

/**
 * What an app keeps between sending the user to an authorization-code + PKCE login and the user's return
 * (server side, or sealed: it holds the verifier).
 */
export interface PendingAuthorization {
  readonly state: string
  readonly codeVerifier: Redacted.Redacted<string>
  readonly clientId: string
  readonly redirectUri: string
  /** Effect Clock millis when the authorization was started; old records are refused. */
  readonly issuedAt: number
}

const PendingJson = Schema.Struct({
  v: Schema.Literal(1),
  state: Schema.String,
  codeVerifier: Schema.String,
  clientId: Schema.String,
  redirectUri: Schema.String,
  issuedAt: Schema.Finite
})
const decodePendingJson = Schema.decodeUnknownOption(Schema.fromJsonString(PendingJson))

/** The pending authorization as JSON text. It holds the verifier in clear: keep it server side, or {@link seal} it. */
export const encodePending = (pending: PendingAuthorization): string =>
  JSON.stringify({
    v: 1,
    state: pending.state,
    codeVerifier: Redacted.value(pending.codeVerifier),
    clientId: pending.clientId,
    redirectUri: pending.redirectUri,
    issuedAt: pending.issuedAt
  })

/** Reads what {@link encodePending} wrote; a malformed record, verifier or non-http(s) redirect URI is `None`. */
export const decodePending = (text: string): Option.Option<PendingAuthorization> => {
  const decoded = decodePendingJson(text)
  if (Option.isNone(decoded) || !isValidVerifier(decoded.value.codeVerifier) || !isHttpUrl(decoded.value.redirectUri)) {
    return Option.none()
  }
  const { v: _, codeVerifier, ...rest } = decoded.value
  return Option.some({ ...rest, codeVerifier: Redacted.make(codeVerifier, { label: "code_verifier" }) })
}

/** Opens a pending authorization sealed with {@link seal}(`encodePending(...)`); anything else is `None`. */
export const openPending = (text: string, key: SealingKey): Effect.Effect<Option.Option<PendingAuthorization>> =>
  unseal(text, key).pipe(
    Effect.map(decodePending),
    Effect.orElseSucceed(() => Option.none<PendingAuthorization>())
  )
