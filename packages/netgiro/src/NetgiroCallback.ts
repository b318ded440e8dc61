/**
 * Merchant callbacks: Netgíró POSTs to a cart's `CallbackUrl` when the customer confirmed it and to its
 * `CallbackCancelUrl` when the cart was canceled. Answer 2xx: Netgíró retries a failed callback once, then
 * cancels the sale.
 *
 * The V1 body is the payment response the official .NET demo decodes, nested:
 * `{ PaymentSuccessful, PaymentInfo: { TransactionId, InvoiceNumber, ReferenceNumber, StatusId, TotalAmount, ... },
 * Success, Message, ResultCode }`. The V2 and hosted-checkout body is flat:
 * `{ Success, Message, TransactionId, ReferenceNumber, TotalAmount }`. Both decode into one `Callback`.
 *
 * **How a V1 callback is signed is not published**, so verification is a choice of `mode`:
 *
 * - `"recheck"` (the default): no signature rule is trusted. `settle` re-reads the cart with a signed
 *   `CheckCart` (whose answer is verified and bound to the transaction) and reports what that says. Default
 *   because it is the only check that holds whichever rule Netgíró's V1 server uses.
 * - `"requestSignature"`: `netgiro_signature = SHA-256(secret + netgiro_nonce + callbackUrl + body)`, the rule
 *   of API requests applied to the callback.
 * - `"transactionSignature"`: `X-Netgiro-Signature = SHA-256(secret + TransactionId + TotalAmount)`, the rule the
 *   V2 and hosted-checkout documentation gives. It does not cover `Success`: the confirm and the cancel callback
 *   of one transaction carry the same signature, so `kind` is not authenticated by it — before fulfilling a
 *   confirm, re-read the transaction (`NetgiroV2Client.transaction`).
 * - `"demoSignature"`: `netgiro_signature = SHA-256(netgiro_appkey + TransactionId + netgiro_nonce)`, what the
 *   official demo checks. It contains no secret — anyone can compute it — so it rejects garbage but proves
 *   nothing: `authenticated` stays false and `settle` re-reads the cart.
 *
 * Only a callback verified by a rule containing the secret is `authenticated`; `settle` trusts it without a
 * re-read. Everything else is re-read before it can move money.
 *
 * `make` adds a replay guard: the same callback (nonce, or signature and transaction) delivered again within
 * the window fails with `NetgiroReplayError` — answer it 2xx (it was handled already) but do not act twice.
 * Handle it with `handleRequest`: when your handler fails, the callback is released, so Netgíró's one retry of
 * it is handled again instead of being refused as a replay (and the sale canceled with nothing recorded).
 *
 * ```ts
 * const callbacks = yield* NetgiroCallback.make({ secret, callbackUrl: "https://shop.example/netgiro/callback" })
 * HttpRouter.add("POST", "/netgiro/callback", callbacks.handleRequest((callback) => Effect.gen(function*() {
 *   const settled = yield* NetgiroCallback.settle(callback)   // needs NetgiroClient (the re-read)
 *   if (settled._tag === "Confirmed") yield* markPaid(settled.transactionId)
 *   return HttpServerResponse.empty()
 * })))
 * ```
 *
 * `callbackUrl` must be the URL exactly as you sent it in `InsertCart` (what `requestSignature` covers), not
 * whatever host header the request arrived with behind your proxy.
 */
import * as BoundedBody from "@nordkit/core/BoundedBody"
import * as Json from "@nordkit/core/Json"
import * as NordkitError from "@nordkit/core/NordkitError"
import * as Digest from "effect/crypto/Digest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as ReplayWindow from "./internal/ReplayWindow.ts"
import * as NetgiroAuth from "./NetgiroAuth.ts"
import { type CheckCartResult, NetgiroClient } from "./NetgiroClient.ts"
import { NetgiroReplayError, NetgiroSignatureError, resultCaseOf } from "./NetgiroError.ts"
import { CallbackPayload, PaymentStatus } from "./NetgiroSchema.ts"

export type Mode = "recheck" | "requestSignature" | "transactionSignature" | "demoSignature"

export interface Incoming {
  /** Request headers; names are matched case-insensitively. */
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  /** The raw request body, exactly as received. */
  readonly body: string | Uint8Array
}

export interface Options {
  readonly secret: Redacted.Redacted<string>
  /** The `CallbackUrl` (or `CallbackCancelUrl`) exactly as sent in `InsertCart`. */
  readonly callbackUrl: string
  /** How the callback is verified. Default `"recheck"` (see the module documentation). */
  readonly mode?: Mode | undefined
  /** `demoSignature`: your app key; a callback naming another one is refused. */
  readonly appKey?: string | undefined
  /** `verifyRequest`: bytes of body read at most (default 64 KiB); a larger body is a `DecodeError`. */
  readonly maxBodyBytes?: number | undefined
}

/** A V2 callback's flat body. */
export const FlatCallbackPayload = Schema.Struct({
  Success: Schema.Boolean,
  Message: Schema.optional(Schema.NullOr(Schema.String)),
  TransactionId: Schema.String,
  ReferenceNumber: Schema.optional(Schema.NullOr(Schema.String)),
  TotalAmount: Schema.Number
})
export type FlatCallbackPayload = typeof FlatCallbackPayload.Type

/** A verified (or, for `recheck`/`demoSignature`, merely well-formed) callback. */
export interface Callback {
  /** `confirm`: the customer confirmed; `cancel`: the cart was canceled or expired. */
  readonly kind: "confirm" | "cancel"
  readonly transactionId: string
  readonly referenceNumber: string | undefined
  readonly totalAmount: number | undefined
  /** The nested V1 payload, when the body had that shape. */
  readonly payload: CallbackPayload | undefined
  /** The whole JSON body, including fields no schema names. */
  readonly raw: unknown
  readonly nonce: string | undefined
  readonly requestId: string | undefined
  readonly mode: Mode
  /**
   * True only when a rule containing the secret verified the callback. With `transactionSignature` that rule
   * covers `transactionId` and `totalAmount` only, not `kind`.
   */
  readonly authenticated: boolean
}

/** What a callback turned out to mean, after `settle`. */
export type Settled =
  | {
      readonly _tag: "Confirmed"
      readonly transactionId: string
      readonly source: Source
      readonly check?: CheckCartResult
    }
  | {
      readonly _tag: "Canceled"
      readonly transactionId: string
      readonly source: Source
      readonly check?: CheckCartResult
    }
  /**
   * A confirm callback for a `Manual` cart: the customer approved and the reservation waits for your
   * `confirmCart` (10426). Answer 2xx — the callback was right — and confirm the cart when you are ready.
   */
  | {
      readonly _tag: "Reserved"
      readonly transactionId: string
      readonly source: Source
      readonly check?: CheckCartResult
    }
  /** The re-read does not support the callback (e.g. still pending): act on nothing. */
  | {
      readonly _tag: "Unconfirmed"
      readonly transactionId: string
      readonly source: Source
      readonly check?: CheckCartResult
    }
export type Source = "signature" | "checkCart"

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const decodeNested = Schema.decodeUnknownOption(CallbackPayload)
const decodeFlat = Schema.decodeUnknownOption(FlatCallbackPayload)

const header = (headers: Incoming["headers"], name: string): string | undefined => {
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return typeof value === "string" ? value : value?.[0]
  }
  return undefined
}

const pathOf = (url: string) => (URL.canParse(url) ? new URL(url).pathname : "/")

/**
 * The `TotalAmount` texts a signer may have hashed (its format is not published): the JSON token as sent
 * (`5000`, or a .NET decimal's `5000.00`), the plain number (`5000`), and each with a decimal comma (`5000,00`,
 * a .NET decimal formatted in an Icelandic culture). Every candidate still needs the secret.
 */
const amountTexts = (body: string, amount: number | undefined): ReadonlyArray<string> => {
  const token = /"TotalAmount"\s*:\s*"?(-?[0-9]+(?:[.,][0-9]+)?)"?/.exec(body)?.[1]
  const texts = new Set<string>()
  if (token !== undefined) texts.add(token)
  if (amount !== undefined) texts.add(String(amount))
  for (const text of [...texts]) {
    texts.add(text.replace(",", "."))
    texts.add(text.replace(".", ","))
  }
  return [...texts]
}

/** Lowercase hex SHA-256 of the UTF-8 concatenation of `parts`. */
export const sha256Hex = (digest: NetgiroAuth.DigestService, ...parts: ReadonlyArray<string>) =>
  digest.digestHex(Digest.sha256, encoder.encode(parts.join("")))

/**
 * The V2 / hosted-checkout callback signature: `SHA-256(secret + TransactionId + TotalAmount)`, UTF-8, hex.
 * `TotalAmount` as its decimal text without grouping (`5000`): the documentation's example. UTF-8 and hex are
 * what Netgíró states for its other SHA-256 signatures; the format of a non-integer amount is not stated (an
 * assumption).
 */
export const transactionSignature = (
  digest: NetgiroAuth.DigestService,
  secret: Redacted.Redacted<string>,
  transactionId: string,
  totalAmount: string
) => sha256Hex(digest, Redacted.value(secret), transactionId, totalAmount)

const normalize = (raw: unknown) => {
  const nested = decodeNested(raw)
  if (nested._tag === "Some") {
    const payload = nested.value
    // `PaymentSuccessful: false` alone is not a cancel: a Manual cart's confirm callback reports a reservation.
    const canceled =
      payload.PaymentInfo.StatusId === PaymentStatus.Canceled ||
      (payload.ResultCode !== undefined &&
        payload.ResultCode !== null &&
        resultCaseOf(payload.ResultCode) === "PaymentCanceled")
    return {
      kind: canceled ? ("cancel" as const) : ("confirm" as const),
      transactionId: payload.PaymentInfo.TransactionId,
      referenceNumber: payload.PaymentInfo.ReferenceNumber ?? undefined,
      totalAmount: payload.PaymentInfo.TotalAmount ?? undefined,
      payload
    }
  }
  const flat = decodeFlat(raw)
  if (flat._tag === "Some") {
    return {
      kind: flat.value.Success ? ("confirm" as const) : ("cancel" as const),
      transactionId: flat.value.TransactionId,
      referenceNumber: flat.value.ReferenceNumber ?? undefined,
      totalAmount: flat.value.TotalAmount,
      payload: undefined
    }
  }
  return undefined
}

/**
 * Decodes a callback and checks it by `options.mode`. A signature that does not match (or is missing, for the
 * signature modes) is a `NetgiroSignatureError`; its body is not acted on.
 */
export const verify: (
  options: Options,
  incoming: Incoming
) => Effect.Effect<Callback, NetgiroSignatureError | NordkitError.DecodeError> = Effect.fn("NetgiroCallback.verify")(
  function* (options: Options, incoming: Incoming) {
    const mode = options.mode ?? "recheck"
    const bytes = typeof incoming.body === "string" ? encoder.encode(incoming.body) : incoming.body
    const text = decoder.decode(bytes)
    const nonce = header(incoming.headers, NetgiroAuth.headerNames.nonce)
    const requestId = header(incoming.headers, NetgiroAuth.headerNames.referenceId)
    const where = { provider: "netgiro", method: "POST", path: pathOf(options.callbackUrl), requestId }
    const digest = yield* NetgiroAuth.digestService
    const refuse = (reason: "missing" | "mismatch") => new NetgiroSignatureError({ ...where, reason })

    if (mode === "requestSignature") {
      const verdict = yield* NetgiroAuth.verify(
        digest,
        options.secret,
        { nonce, signature: header(incoming.headers, NetgiroAuth.headerNames.signature) },
        options.callbackUrl,
        bytes
      )
      if (verdict !== "valid") return yield* refuse(verdict)
    }
    const fail = (detail: string) => new NordkitError.DecodeError({ ...where, detail })
    const raw = Json.parseOption(text)
    if (Option.isNone(raw)) return yield* fail("callback body is not JSON")
    const callback = normalize(raw.value)
    if (callback === undefined) return yield* fail("callback body is neither the nested V1 nor the flat V2 shape")

    if (mode === "transactionSignature") {
      const given =
        header(incoming.headers, "x-netgiro-signature") ?? header(incoming.headers, NetgiroAuth.headerNames.signature)
      if (given === undefined || given === "") return yield* refuse("missing")
      let matched = false
      for (const amount of amountTexts(text, callback.totalAmount)) {
        const expected = yield* transactionSignature(digest, options.secret, callback.transactionId, amount)
        if (NetgiroAuth.constantTimeEqual(expected, given.toLowerCase())) matched = true
      }
      if (!matched) return yield* refuse("mismatch")
    }
    if (mode === "demoSignature") {
      const appKey = header(incoming.headers, NetgiroAuth.headerNames.appKey)
      const given = header(incoming.headers, NetgiroAuth.headerNames.signature)
      if (appKey === undefined || nonce === undefined || given === undefined) return yield* refuse("missing")
      if (options.appKey !== undefined && appKey.toLowerCase() !== options.appKey.toLowerCase()) {
        return yield* refuse("mismatch")
      }
      const expected = yield* sha256Hex(digest, appKey, callback.transactionId, nonce)
      if (!NetgiroAuth.constantTimeEqual(expected, given.toLowerCase())) return yield* refuse("mismatch")
    }
    const verified: Callback = {
      ...callback,
      raw,
      nonce,
      requestId,
      mode,
      authenticated: mode === "requestSignature" || mode === "transactionSignature"
    }
    return verified
  }
)

/** Bytes of a callback body read into memory at most (a real one is a few hundred). */
export const defaultMaxBodyBytes = 64 * 1024

const readBody = (options: Options) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const max = options.maxBodyBytes ?? defaultMaxBodyBytes
    // Read incrementally and stop at the cap: a hostile POST cannot make the shop buffer an unbounded body.
    const body = yield* BoundedBody.readRequest(request, max)
    if (Option.isNone(body)) {
      return yield* new NordkitError.DecodeError({
        provider: "netgiro",
        method: "POST",
        path: pathOf(options.callbackUrl),
        detail: `callback body unreadable or larger than ${max} bytes`
      })
    }
    const incoming: Incoming = { headers: request.headers, body: body.value }
    return incoming
  })

/** `verify` for the current request of an Effect HTTP server (no replay guard: see `make`). */
export const verifyRequest = (options: Options) =>
  Effect.flatMap(readBody(options), (incoming) => verify(options, incoming))

export interface Verifier {
  /** `verify`, then refuse a callback already seen within the window (`NetgiroReplayError`). */
  readonly verify: (
    incoming: Incoming
  ) => Effect.Effect<Callback, NetgiroSignatureError | NetgiroReplayError | NordkitError.DecodeError>
  readonly verifyRequest: Effect.Effect<
    Callback,
    NetgiroSignatureError | NetgiroReplayError | NordkitError.DecodeError,
    HttpServerRequest.HttpServerRequest
  >
  /**
   * Forgets a callback `verify` admitted, so the same callback is admitted again: call it when handling failed
   * and you answer non-2xx, or Netgíró's one retry would be refused as a replay and never acted on.
   */
  readonly release: (callback: Callback) => Effect.Effect<void>
  /**
   * `verifyRequest`, then `handle` on the callback; when `handle` fails (or is interrupted) the callback is
   * released, so Netgíró's retry of it is handled afresh rather than refused as a replay.
   */
  readonly handleRequest: <A, E, R>(
    handle: (callback: Callback) => Effect.Effect<A, E, R>
  ) => Effect.Effect<
    A,
    E | NetgiroSignatureError | NetgiroReplayError | NordkitError.DecodeError,
    R | HttpServerRequest.HttpServerRequest
  >
}

/**
 * A verifier with a replay guard (default window 24 hours: Netgíró's retry comes within minutes). A callback
 * counts as seen once verified; `release` (or `handleRequest`, which calls it when the handler fails) lets a
 * callback whose handling failed be handled again when Netgíró retries it.
 */
export const make = (options: Options & { readonly replayWindow?: Duration.Input | undefined }) =>
  Effect.map(ReplayWindow.make(options.replayWindow ?? "24 hours"), (window): Verifier => {
    const keys = new WeakMap<Callback, string>()
    const guarded = (incoming: Incoming) =>
      Effect.flatMap(verify(options, incoming), (callback) => {
        const signature =
          header(incoming.headers, "x-netgiro-signature") ?? header(incoming.headers, NetgiroAuth.headerNames.signature)
        const key = `${callback.kind}:${callback.transactionId}:${callback.nonce ?? ""}:${signature ?? ""}`
        return Effect.flatMap(window.admit(key), (fresh) => {
          if (fresh) {
            keys.set(callback, key)
            return Effect.succeed(callback)
          }
          return Effect.fail(
            new NetgiroReplayError({
              provider: "netgiro",
              method: "POST",
              path: pathOf(options.callbackUrl),
              requestId: callback.requestId,
              reason: "nonceReused",
              received: callback.transactionId
            })
          )
        })
      })
    const release = (callback: Callback) =>
      Effect.suspend(() => {
        const key = keys.get(callback)
        keys.delete(callback)
        return key === undefined ? Effect.void : window.forget(key)
      })
    const verifyRequest = Effect.flatMap(readBody(options), guarded)
    return {
      verify: guarded,
      verifyRequest,
      release,
      handleRequest: (handle) =>
        Effect.flatMap(verifyRequest, (callback) => Effect.onError(handle(callback), () => release(callback)))
    }
  })

/**
 * What a callback means for money. An `authenticated` callback is taken at its word — except a confirm
 * verified by `transactionSignature`, whose signature does not say confirm or cancel. Any other is re-read
 * with `CheckCart` (signed, verified and bound to the transaction): a confirm callback stands when the cart is
 * paid or waiting for this very callback (10429), and is `Reserved` when a `Manual` cart waits for your
 * `confirmCart` (10426); a cancel callback stands when the cart is canceled.
 */
export const settle = Effect.fn("NetgiroCallback.settle")(function* (callback: Callback) {
  const transactionId = callback.transactionId
  const kindSigned = callback.mode !== "transactionSignature" || callback.kind === "cancel"
  // A nested confirm that does not itself say paid (a Manual cart's reservation) is re-read, even when signed.
  const payload = callback.payload
  const saysPaid =
    payload === undefined ||
    payload.PaymentSuccessful === true ||
    payload.PaymentInfo.StatusId === PaymentStatus.Confirmed
  if (callback.authenticated && kindSigned && (callback.kind === "cancel" || saysPaid)) {
    return callback.kind === "confirm"
      ? ({ _tag: "Confirmed", transactionId, source: "signature" } as const)
      : ({ _tag: "Canceled", transactionId, source: "signature" } as const)
  }
  const client = yield* NetgiroClient
  const check = yield* Effect.catchTag(client.checkCart(transactionId), "NetgiroResultError", (e) =>
    Effect.succeed({ ResultCode: e.resultCode, PaymentSuccessful: false, Success: false } as CheckCartResult)
  )
  const reason = resultCaseOf(check.ResultCode)
  const paid = check.PaymentSuccessful || reason === "PaymentCompleted" || reason === "PendingProviderCallback"
  const canceled = reason === "PaymentCanceled" || reason === "AlreadyCanceled"
  const settled: Settled =
    callback.kind === "confirm" && paid
      ? { _tag: "Confirmed", transactionId, source: "checkCart", check }
      : callback.kind === "confirm" && reason === "PendingProviderConfirmation"
        ? { _tag: "Reserved", transactionId, source: "checkCart", check }
        : callback.kind === "cancel" && canceled
          ? { _tag: "Canceled", transactionId, source: "checkCart", check }
          : { _tag: "Unconfirmed", transactionId, source: "checkCart", check }
  return settled
})
