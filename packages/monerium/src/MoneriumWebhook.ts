/**
 * Monerium's webhooks, receiving side: a verifier for its signatures (Standard Webhooks) and the event shapes.
 *
 * Every delivery carries `webhook-id` (the event id, stable across retries), `webhook-timestamp` (Unix seconds)
 * and `webhook-signature` (one or more `v1,<base64>` entries, space- or comma-separated). The signed content is
 * `{id}.{timestamp}.{raw body}`, the key is the subscription secret without its `whsec_` prefix, base64-decoded,
 * and the tag is HMAC-SHA256, base64-encoded. The verifier:
 *
 * - refuses a delivery without the three headers, with a timestamp outside the tolerance (default 5 minutes,
 *   either direction), or without a matching `v1` signature (compared in constant time);
 * - refuses a replay: each `webhook-id` is accepted once while its timestamp is within tolerance (Monerium
 *   retries a failed delivery with the same id — answer 2xx once you have handled it). Ids are remembered in
 *   core's `Pkce.UsedStates` service from context (this process's memory unless the app provides a shared one,
 *   e.g. `RedisCoordination.layerUsedStates()`, so every replica refuses an id another accepted), or in the
 *   {@link SeenIds} you pass;
 * - decodes the body into a {@link WebhookEvent} (unknown event types are kept, not refused).
 *
 * Verify the raw body exactly as received (before any JSON parsing). Browser-safe: WebCrypto through
 * `effect/crypto`.
 */
import * as BoundedBody from "@nordkit/core/BoundedBody"
import * as NordkitError from "@nordkit/core/NordkitError"
import * as Pkce from "@nordkit/core/Pkce"
import * as SeenKeys from "@nordkit/core/SeenKeys"
import * as Clock from "effect/Clock"
import * as Mac from "effect/crypto/Mac"
import * as SecureRandom from "effect/crypto/SecureRandom"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Base64 from "effect/encoding/Base64"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { Iban, Order, Profile } from "./MoneriumSchema.ts"

const provider = "monerium"

/** Why a delivery was refused. Carries the event id at most — never the secret, a signature or the body. */
export class WebhookVerificationError extends /* @__PURE__ */ Data.TaggedError("WebhookVerificationError")<{
  readonly provider: string
  readonly reason:
    | "missing_headers"
    | "invalid_timestamp"
    | "stale"
    | "future"
    | "invalid_signature"
    | "replayed"
    | "replay_store_unavailable"
    | "body_too_large"
    | "invalid_payload"
  readonly webhookId?: string | undefined
}> {
  override get message(): string {
    return `${this.provider}: webhook refused (${this.reason})${this.webhookId ? ` id ${this.webhookId}` : ""}`
  }
}

// ------------------------------------------------------------------------------------------ events

const timestamp = Schema.optional(Schema.String)

export const OrderEvent = Schema.Struct({
  type: Schema.Literals(["order.created", "order.updated"]),
  timestamp,
  data: Order
})
export const ProfileUpdatedEvent = Schema.Struct({ type: Schema.Literal("profile.updated"), timestamp, data: Profile })
export const ProfileErrorEvent = Schema.Struct({
  type: Schema.Literal("profile.error"),
  timestamp,
  data: Schema.Struct({
    id: Schema.optional(Schema.String),
    kind: Schema.optional(Schema.String),
    errors: Schema.optional(
      Schema.Array(Schema.Struct({ field: Schema.optional(Schema.String), reason: Schema.optional(Schema.String) }))
    )
  })
})
export const IbanUpdatedEvent = Schema.Struct({ type: Schema.Literal("iban.updated"), timestamp, data: Iban })
export const SubscriptionCreatedEvent = Schema.Struct({ type: Schema.Literal("subscription.created"), timestamp })
const RawEvent = Schema.Struct({ type: Schema.String, timestamp, data: Schema.optional(Schema.Unknown) })

export const KnownWebhookEvent = Schema.Union([
  OrderEvent,
  ProfileUpdatedEvent,
  ProfileErrorEvent,
  IbanUpdatedEvent,
  SubscriptionCreatedEvent
])
export type KnownWebhookEvent = typeof KnownWebhookEvent.Type

/** An event type this package does not know yet (or a known one whose data did not decode): kept raw. */
export interface OtherWebhookEvent {
  readonly type: "other"
  /** The event's own `type`, e.g. a type Monerium adds later. */
  readonly originalType: string
  readonly timestamp?: string | undefined
  readonly data?: unknown
}

/** A decoded event: narrow on `type` ("order.created", ..., or "other"). */
export type WebhookEvent = KnownWebhookEvent | OtherWebhookEvent

const decodeKnown = Schema.decodeUnknownOption(Schema.fromJsonString(KnownWebhookEvent))
const decodeRaw = Schema.decodeUnknownOption(Schema.fromJsonString(RawEvent))

/** Reads an event body: a known event, an `other` one, or None when it is not an event at all. */
export const decodeEvent = (text: string): Option.Option<WebhookEvent> => {
  const known = decodeKnown(text)
  if (Option.isSome(known)) return known
  return Option.map(
    decodeRaw(text),
    (raw): OtherWebhookEvent => ({ type: "other", originalType: raw.type, timestamp: raw.timestamp, data: raw.data })
  )
}

/** A verified delivery. */
export interface VerifiedWebhook {
  /** `webhook-id`: deduplicate on it (retries reuse it). */
  readonly id: string
  /** `webhook-timestamp`, Unix seconds. */
  readonly timestamp: number
  readonly event: WebhookEvent
}

// ------------------------------------------------------------------------------------------ secrets

const secretPattern = /^whsec_([A-Za-z0-9+/]+={0,2})$/

/** The HMAC key of a `whsec_<base64>` secret, or undefined when it is not one (24 to 64 bytes, per the spec). */
const keyBytes = (secret: string): Uint8Array | undefined => {
  const match = secretPattern.exec(secret)
  if (match === null) return undefined
  const decoded = Base64.decode(match[1])
  if (decoded._tag === "Failure") return undefined
  const bytes = decoded.success
  return bytes.length >= 24 && bytes.length <= 64 ? bytes : undefined
}

/** Whether `secret` is a valid subscription secret: `whsec_` and the base64 of 24 to 64 bytes. */
export const isValidSecret = (secret: string): boolean => keyBytes(secret) !== undefined

const webCrypto = <A, E>(effect: Effect.Effect<A, E, Mac.Mac | SecureRandom.SecureRandom>) =>
  effect.pipe(Effect.provide(Mac.layerWebCrypto), Effect.provide(SecureRandom.layerWebCrypto))

/** A new subscription secret: `whsec_` + base64 of `bytes` (default 32) secure random bytes. */
export const generateSecret = (bytes = 32): Effect.Effect<Redacted.Redacted<string>> =>
  webCrypto(
    Effect.flatMap(Effect.service(SecureRandom.SecureRandom), (random) =>
      Effect.map(random.randomBytes(Math.min(64, Math.max(24, bytes))), (raw) =>
        Redacted.make(`whsec_${Base64.encode(raw)}`, { label: "webhook secret" })
      )
    )
  ).pipe(Effect.orDie)

const encoder = new TextEncoder()

const signedContent = (id: string, timestamp: string, body: string | Uint8Array): Uint8Array => {
  const head = encoder.encode(`${id}.${timestamp}.`)
  const payload = typeof body === "string" ? encoder.encode(body) : body
  const out = new Uint8Array(head.length + payload.length)
  out.set(head)
  out.set(payload, head.length)
  return out
}

const hmac = (key: Uint8Array, data: Uint8Array) =>
  webCrypto(
    Effect.gen(function* () {
      const mac = yield* Mac.Mac
      const macKey = yield* Mac.key(Mac.hmacSha256, key)
      return yield* mac.sign(macKey, data)
    })
  ).pipe(Effect.orDie)

/**
 * The `webhook-signature` value for a delivery (`v1,<base64>`), e.g. to test your own webhook route. Dies on a
 * secret that {@link isValidSecret} refuses.
 */
export const sign = (options: {
  readonly secret: Redacted.Redacted<string> | string
  readonly id: string
  readonly timestamp: number
  readonly body: string | Uint8Array
}): Effect.Effect<string> =>
  Effect.suspend(() => {
    const key = keyBytes(typeof options.secret === "string" ? options.secret : Redacted.value(options.secret))
    if (key === undefined) return Effect.die(new Error("not a whsec_ secret"))
    return Effect.map(
      hmac(key, signedContent(options.id, String(options.timestamp), options.body)),
      (tag) => `v1,${Base64.encode(tag)}`
    )
  })

// ------------------------------------------------------------------------------------------ verifier

/** Where seen webhook ids are remembered (same shape as core's `Pkce.UsedStates` service). */
export interface SeenIds {
  /** Records `id` for `ttlMillis`; true when it was not seen before. */
  readonly markUsed: (id: string, ttlMillis: number) => Effect.Effect<boolean, unknown>
}

/** Seen ids in this process's memory (oldest evicted first). */
export const makeSeenIdsMemory = (): SeenIds => SeenKeys.makeMemory()

export interface VerifierOptions {
  /** The subscription secret, `whsec_<base64>`. */
  readonly secret: Redacted.Redacted<string>
  /** How far `webhook-timestamp` may be from now, either way. Default 300 s (the docs' recommendation). */
  readonly toleranceSeconds?: number | undefined
  /** Where seen ids live. Default: core's `Pkce.UsedStates` from context (memory unless shared), keys prefixed. */
  readonly seenIds?: SeenIds | undefined
  /** Largest body accepted, bytes. Default 1 MiB. */
  readonly maxBodyBytes?: number | undefined
}

export interface Verifier {
  /** Verifies a delivery from its headers and raw body, and marks its id as seen. */
  readonly verify: (delivery: {
    readonly headers: Readonly<Record<string, string | undefined>>
    readonly body: string | Uint8Array
  }) => Effect.Effect<VerifiedWebhook, WebhookVerificationError>
  /** The same for the request an Effect HTTP server is handling. */
  readonly verifyRequest: Effect.Effect<VerifiedWebhook, WebhookVerificationError, HttpServerRequest.HttpServerRequest>
}

const headerOf = (headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined => {
  const direct = headers[name]
  if (direct !== undefined) return direct
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value
  return undefined
}

/**
 * A verifier for one subscription secret. Fails with `ConfigurationError` when the secret is not `whsec_` and the
 * base64 of 24–64 bytes.
 */
export const makeVerifier = (options: VerifierOptions): Effect.Effect<Verifier, NordkitError.ConfigurationError> =>
  Effect.suspend(() => {
    const key = keyBytes(Redacted.value(options.secret))
    if (key === undefined) {
      return Effect.fail(
        new NordkitError.ConfigurationError({
          provider,
          detail: "the webhook secret is not whsec_ followed by the base64 of 24 to 64 bytes"
        })
      )
    }
    const tolerance = (options.toleranceSeconds ?? 300) * 1000
    const seenIds: SeenIds = options.seenIds ?? {
      markUsed: (id, ttlMillis) =>
        Effect.gen(function* () {
          const used = yield* Pkce.UsedStates
          return yield* used.markUsed(`monerium-webhook:${id}`, ttlMillis)
        })
    }
    const maxBody = options.maxBodyBytes ?? 1024 * 1024
    const refuse = (reason: WebhookVerificationError["reason"], webhookId?: string) =>
      Effect.fail(new WebhookVerificationError({ provider, reason, webhookId }))

    const verify: Verifier["verify"] = ({ headers, body }) =>
      Effect.gen(function* () {
        const id = headerOf(headers, "webhook-id")
        const stamp = headerOf(headers, "webhook-timestamp")
        const signatures = headerOf(headers, "webhook-signature")
        if (!id || !stamp || !signatures) return yield* refuse("missing_headers")
        // Ids are short opaque strings; anything else is not from Monerium and is not echoed back.
        if (id.length > 200) return yield* refuse("missing_headers")
        const size = typeof body === "string" ? encoder.encode(body).length : body.length
        if (size > maxBody) return yield* refuse("body_too_large", id)
        if (!/^\d{1,12}$/.test(stamp)) return yield* refuse("invalid_timestamp", id)
        const sentAt = Number(stamp) * 1000
        const now = yield* Clock.currentTimeMillis
        if (now - sentAt > tolerance) return yield* refuse("stale", id)
        if (sentAt - now > tolerance) return yield* refuse("future", id)
        const expected = yield* hmac(key, signedContent(id, stamp, body))
        let valid = false
        // `v1,<sig>` entries, space-separated (Standard Webhooks, the guides' code) or comma-separated (the guides'
        // header table): base64 has neither character, so the tokens alternate version, signature.
        const tokens = signatures.split(/[\s,]+/).filter((token) => token.length > 0)
        for (let i = 0; i + 1 < tokens.length; i += 2) {
          if (tokens[i] !== "v1") continue
          const decoded = Base64.decode(tokens[i + 1])
          // Every candidate is compared (no early exit on a match), each in constant time.
          if (decoded._tag === "Success" && Mac.timingSafeEqual(decoded.success, expected)) valid = true
        }
        if (!valid) return yield* refuse("invalid_signature", id)
        // Remembered as long as the same delivery could still pass the timestamp check.
        const first = yield* Effect.orElseSucceed(
          seenIds.markUsed(id, Math.max(1, sentAt + tolerance - now + 1000)),
          () => "unavailable" as const
        )
        if (first === "unavailable") return yield* refuse("replay_store_unavailable", id)
        if (!first) return yield* refuse("replayed", id)
        const text = typeof body === "string" ? body : new TextDecoder().decode(body)
        const event = decodeEvent(text)
        if (event._tag === "None") return yield* refuse("invalid_payload", id)
        return { id, timestamp: Number(stamp), event: event.value }
      })

    const verifyRequest = Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      // Read incrementally and stop at the cap: a body without a (truthful) length cannot exhaust memory.
      const body = yield* BoundedBody.readRequest(request, maxBody)
      if (Option.isNone(body)) return yield* refuse("body_too_large")
      return yield* verify({ headers: request.headers, body: body.value })
    })

    return Effect.succeed({ verify, verifyRequest })
  })
