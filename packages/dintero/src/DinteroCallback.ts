/**
 * Dintero's session callbacks, receiving side: parse the callback, verify its `Dintero-Signature`, refuse replays.
 *
 * When a session is paid (and, with `report_event`, on later transaction events) Dintero calls the session's
 * `url.callback_url` — a `GET` with `transaction_id`, `merchant_reference`, `session_id`, `time`, `error`, `event`
 * in the query, or a `POST` (when the callback URL carries `method=POST`) with the transaction in the body.
 *
 * With a signature secret (created once with `DinteroClient.createSignatureSecret`) every callback carries
 * `Dintero-Signature: t=<unix seconds>,v0-hmac-sha256=<hex>`: HMAC-SHA256 with the secret over
 *
 * ```
 * <t>\n<account id>\n<METHOD>\n<hostname>\n<pathname>\n<query parameters, sorted, form-encoded (space = +)>
 * ```
 *
 * Only the URL is signed — never a POST body. So a verified callback says "Dintero told you to look at transaction
 * X", nothing more: read the transaction back from Dintero before acting (`DinteroClient.fetchCallbackTransaction`
 * does both in one call, and checks the transaction belongs to the callback's session and reference).
 *
 * The verifier refuses a missing or malformed signature, a timestamp outside the tolerance (default 5 minutes,
 * either way, as Dintero recommends), a wrong signature (compared in constant time), a replay of a signature
 * already accepted, and a POST body that names another transaction or reference than the signed query. Browser-safe: HMAC through `effect/crypto` (WebCrypto).
 *
 * Dintero retries a delivery answered 5xx (or not answered) and gives up on a 4xx: handle callbacks with
 * `handleRequest`, which releases a callback whose handling failed so the retry is handled, and answer refusals
 * with `statusFor` (a replay is acknowledged with 200, a forgery refused with 400).
 */
import * as BoundedBody from "@nordkit/core/BoundedBody"
import * as Json from "@nordkit/core/Json"
import * as SeenKeys from "@nordkit/core/SeenKeys"
import * as Clock from "effect/Clock"
import * as Mac from "effect/crypto/Mac"
import * as SecureRandom from "effect/crypto/SecureRandom"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

const provider = "dintero"

/** Why a callback was refused. Carries no secret, signature or body. */
export class CallbackVerificationError extends /* @__PURE__ */ Data.TaggedError("CallbackVerificationError")<{
  readonly provider: string
  readonly reason:
    | "missing_signature"
    | "malformed_signature"
    | "stale"
    | "future"
    | "invalid_signature"
    | "replayed"
    | "replay_store_unavailable"
    | "invalid_callback"
    | "body_mismatch"
    | "body_too_large"
    | "transaction_mismatch"
  readonly transactionId?: string | undefined
}> {
  override get message(): string {
    return `${this.provider}: callback refused (${this.reason})${this.transactionId ? ` transaction ${this.transactionId}` : ""}`
  }
}

/** What a callback tells you (the query of a GET, or of a POST; a POST body is kept raw and never trusted). */
export interface Callback {
  readonly method: string
  readonly transactionId: string | undefined
  readonly merchantReference: string | undefined
  readonly sessionId: string | undefined
  readonly time: string | undefined
  /** Set when the payment failed (`report_error=true` callbacks), e.g. `cancelled`, `authorization`, `failed`. */
  readonly error: string | undefined
  /** The transaction event that caused this callback (`report_event`), e.g. `CAPTURE`. */
  readonly event: string | undefined
  readonly eventId: string | undefined
  /** All query parameters as received. */
  readonly query: Readonly<Record<string, string>>
  /** The POST body as received (unsigned: do not act on it; re-fetch the transaction). */
  readonly body: unknown
}

export interface VerifiedCallback extends Callback {
  /** `t` of the signature, Unix seconds. */
  readonly timestamp: number
}

/** Reads a callback from its full URL (as Dintero called it), its method and, for POST, the body text. */
export const parse = (url: string | URL, method = "GET", body?: string): Callback => {
  const parsed =
    typeof url === "string" ? (parseUrl(url, "http://callback.invalid") ?? new URL("http://callback.invalid")) : url
  const query: Record<string, string> = {}
  for (const [k, v] of parsed.searchParams) query[k] = v
  const json = body === undefined ? undefined : Json.parse(body)
  return {
    method: method.toUpperCase(),
    transactionId: query.transaction_id,
    merchantReference: query.merchant_reference,
    sessionId: query.session_id ?? query.sid,
    time: query.time,
    error: query.error,
    event: query.event,
    eventId: query.event_id,
    query,
    body: json
  }
}

/** The exact text Dintero signs for a callback (see the module comment). */
export const signedPayload = (options: {
  readonly timestamp: number | string
  readonly accountId: string
  readonly method: string
  readonly url: string | URL
}): string => {
  const url = typeof options.url === "string" ? new URL(options.url) : options.url
  const params = new URLSearchParams(url.searchParams)
  params.sort()
  return [
    String(options.timestamp),
    options.accountId,
    options.method.toUpperCase(),
    url.hostname,
    url.pathname,
    params.toString()
  ].join("\n")
}

const encoder = new TextEncoder()

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

const hmacSha256 = (secret: string, payload: string) =>
  Effect.gen(function* () {
    const mac = yield* Mac.Mac
    const key = yield* Mac.key(Mac.hmacSha256, encoder.encode(secret))
    return yield* mac.sign(key, encoder.encode(payload))
  }).pipe(Effect.provide(Mac.layerWebCrypto), Effect.provide(SecureRandom.layerWebCrypto), Effect.orDie)

const secretValue = (secret: Redacted.Redacted<string> | string) =>
  typeof secret === "string" ? secret : Redacted.value(secret)

/** The `Dintero-Signature` header for a callback, e.g. to test your own callback route. */
export const sign = (options: {
  readonly secret: Redacted.Redacted<string> | string
  readonly accountId: string
  readonly method: string
  readonly url: string | URL
  readonly timestamp: number
}): Effect.Effect<string> =>
  Effect.map(
    hmacSha256(secretValue(options.secret), signedPayload(options)),
    (tag) => `t=${options.timestamp},v0-hmac-sha256=${hex(tag)}`
  )

/** Where accepted signatures are remembered (same shape as core's `Pkce.UsedStates` service, e.g. in Redis). */
export interface SeenSignatures {
  /** Records `key` for `ttlMillis`; true when it was not seen before. */
  readonly markUsed: (key: string, ttlMillis: number) => Effect.Effect<boolean, unknown>
  /** Forgets `key` (for `Verifier.release`); a store without it cannot release, and a retry stays a replay. */
  readonly forget?: ((key: string) => Effect.Effect<void, unknown>) | undefined
}

/** Accepted signatures in this process's memory (oldest evicted first). */
export const makeSeenSignaturesMemory = (): SeenSignatures => SeenKeys.makeMemory()

export interface VerifierOptions {
  /** The signature secret of `POST /v1/admin/signature`. */
  readonly secret: Redacted.Redacted<string>
  /** The account the callbacks are for, e.g. `T12345678` (part of the signed text). */
  readonly accountId: string
  /**
   * The public origin of your callback URL, e.g. `https://shop.example` — the host Dintero called, which a proxy
   * in front of your server may have rewritten. Used by `verifyRequest`; default: the request's `Host` header.
   */
  readonly publicOrigin?: string | undefined
  /** How far `t` may be from now, either way. Default 300 s (Dintero's recommendation). */
  readonly toleranceSeconds?: number | undefined
  /** Where accepted signatures live. Default: this process's memory. */
  readonly seen?: SeenSignatures | undefined
  /** Largest POST body `verifyRequest` reads, bytes. Default 1 MiB. */
  readonly maxBodyBytes?: number | undefined
}

export interface Verifier {
  /** Verifies a callback from its full URL, method, `Dintero-Signature` header and (POST) body text. */
  readonly verify: (callback: {
    readonly url: string | URL
    readonly method: string
    readonly signature: string | undefined
    readonly body?: string | undefined
  }) => Effect.Effect<VerifiedCallback, CallbackVerificationError>
  /** The same for the request an Effect HTTP server is handling. */
  readonly verifyRequest: Effect.Effect<
    VerifiedCallback,
    CallbackVerificationError,
    HttpServerRequest.HttpServerRequest
  >
  /**
   * Forgets a callback `verify` accepted, so the same signed callback is accepted again. Call it when handling
   * failed and you answer 5xx: Dintero retries failed deliveries, and a retry carrying the same signature would
   * otherwise be refused as `replayed`.
   */
  readonly release: (callback: VerifiedCallback) => Effect.Effect<void>
  /**
   * `verifyRequest`, then `handle` on the callback; when `handle` fails (or is interrupted) the callback is
   * released, so Dintero's retry is handled afresh rather than refused as a replay.
   */
  readonly handleRequest: <A, E, R>(
    handle: (callback: VerifiedCallback) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | CallbackVerificationError, R | HttpServerRequest.HttpServerRequest>
}

/**
 * The status to answer a refused callback with. Dintero retries a delivery answered 5xx (up to 20 times) and
 * treats 4xx as final: `replayed` is acknowledged (200: it was accepted before, nothing to do), a replay store
 * that is down is a 503 (try again), anything else a 400 (a forgery or a broken callback is not worth retrying).
 */
export const statusFor = (error: CallbackVerificationError): number =>
  error.reason === "replayed" ? 200 : error.reason === "replay_store_unavailable" ? 503 : 400

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** A URL, or undefined for text no URL parser accepts (a hostile `Host` header, say): never a defect. */
const parseUrl = (url: string, base?: string): URL | undefined =>
  URL.canParse(url, base) ? new URL(url, base) : undefined

const signaturePattern = /^t=(\d{1,12}),v0-hmac-sha256=([0-9a-f]{64})$/

/** A verifier for one account's signature secret. */
export const makeVerifier = (options: VerifierOptions): Verifier => {
  const tolerance = (options.toleranceSeconds ?? 300) * 1000
  const seen = options.seen ?? makeSeenSignaturesMemory()
  const maxBody = options.maxBodyBytes ?? 1024 * 1024
  const keys = new WeakMap<VerifiedCallback, string>()
  const refuse = (reason: CallbackVerificationError["reason"], transactionId?: string) =>
    Effect.fail(new CallbackVerificationError({ provider, reason, transactionId }))

  const verify: Verifier["verify"] = (input) =>
    Effect.gen(function* () {
      const url = typeof input.url === "string" ? parseUrl(input.url) : input.url
      if (url === undefined) return yield* refuse("invalid_callback")
      const callback = parse(url, input.method, input.body)
      const transactionId =
        callback.transactionId !== undefined && callback.transactionId.length <= 100
          ? callback.transactionId
          : undefined
      if (input.signature === undefined || input.signature.length === 0) {
        return yield* refuse("missing_signature", transactionId)
      }
      const match = signaturePattern.exec(input.signature.trim())
      if (match === null) return yield* refuse("malformed_signature", transactionId)
      const timestamp = Number(match[1])
      const now = yield* Clock.currentTimeMillis
      if (timestamp * 1000 < now - tolerance) return yield* refuse("stale", transactionId)
      if (timestamp * 1000 > now + tolerance) return yield* refuse("future", transactionId)
      const expected = yield* hmacSha256(
        Redacted.value(options.secret),
        signedPayload({ timestamp, accountId: options.accountId, method: input.method, url })
      )
      const given = Uint8Array.from(match[2].match(/../g)!, (h) => Number.parseInt(h, 16))
      if (!Mac.timingSafeEqual(expected, given)) return yield* refuse("invalid_signature", transactionId)
      // The body is not signed: one that names another transaction or order than the signed query is forged. It
      // is refused before the signature counts as seen, so a forged copy cannot use up Dintero's own delivery.
      if (isRecord(callback.body)) {
        const { id, merchant_reference } = callback.body
        if (id !== undefined && id !== callback.transactionId) return yield* refuse("body_mismatch", transactionId)
        if (merchant_reference !== undefined && merchant_reference !== callback.merchantReference) {
          return yield* refuse("body_mismatch", transactionId)
        }
      }
      const key = `dintero-callback:${match[2]}`
      const first = yield* seen
        .markUsed(key, 2 * tolerance)
        .pipe(Effect.catch(() => refuse("replay_store_unavailable", transactionId)))
      if (!first) return yield* refuse("replayed", transactionId)
      const verified: VerifiedCallback = { ...callback, timestamp }
      keys.set(verified, key)
      return verified
    })

  const verifyRequest = Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const origin = options.publicOrigin ?? `http://${request.headers.host ?? "localhost"}`
    const url = parseUrl(request.url, origin)
    if (url === undefined) return yield* refuse("invalid_callback")
    let body: string | undefined
    if (request.method === "POST") {
      // Read incrementally and stop at the cap: a body without a (truthful) length cannot exhaust memory.
      const read = yield* BoundedBody.readRequestText(request, maxBody)
      if (Option.isNone(read)) return yield* refuse("body_too_large")
      body = read.value
    }
    return yield* verify({
      url,
      method: request.method,
      signature: request.headers["dintero-signature"],
      body
    })
  })

  const release: Verifier["release"] = (callback) =>
    Effect.suspend(() => {
      const key = keys.get(callback)
      keys.delete(callback)
      return key === undefined || seen.forget === undefined ? Effect.void : Effect.ignore(seen.forget(key))
    })

  const handleRequest = <A, E, R>(
    handle: (callback: VerifiedCallback) => Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | CallbackVerificationError, R | HttpServerRequest.HttpServerRequest> =>
    Effect.flatMap(verifyRequest, (callback) => Effect.onError(handle(callback), () => release(callback)))

  return { verify, verifyRequest, release, handleRequest }
}
