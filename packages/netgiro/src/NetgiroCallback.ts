/**
 * Merchant callbacks: Netgíró POSTs to the `CallbackUrl` of a cart when the customer confirmed it (server
 * callback confirmation). The request carries `netgiro_nonce` and `netgiro_signature` over
 * `secret + nonce + callbackUrl + rawBody`; verify it before acting on it, then answer 2xx (Netgíró retries a
 * failed callback once, then cancels the sale).
 *
 * Use `verify` with whatever your HTTP server gives you, or `verifyRequest` inside an Effect HTTP handler:
 *
 * ```ts
 * HttpRouter.add("POST", "/netgiro/callback", Effect.gen(function*() {
 *   const callback = yield* NetgiroCallback.verifyRequest({ secret, callbackUrl: "https://shop.example/netgiro/callback" })
 *   yield* markPaid(callback.payload.TransactionId)
 *   return HttpServerResponse.empty()
 * }))
 * ```
 *
 * `callbackUrl` must be the URL exactly as you sent it in `InsertCart` (that is what Netgíró signs), not
 * whatever host header the request arrived with behind your proxy.
 */
import { NordkitError } from "@nordkit/core"
import * as Effect from "effect/Effect"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as NetgiroAuth from "./NetgiroAuth.ts"
import { NetgiroSignatureError } from "./NetgiroError.ts"
import { CallbackPayload } from "./NetgiroSchema.ts"

export interface Incoming {
  /** Request headers; names are matched case-insensitively. */
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  /** The raw request body, exactly as received. */
  readonly body: string | Uint8Array
}

export interface Options {
  readonly secret: Redacted.Redacted<string>
  /** The `CallbackUrl` exactly as sent in `InsertCart`. */
  readonly callbackUrl: string
}

export interface Verified {
  readonly payload: CallbackPayload
  /** The whole JSON body, including fields the payload schema does not name. */
  readonly raw: unknown
  readonly nonce: string
  readonly referenceId: string | undefined
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const decodePayload = Schema.decodeUnknownEffect(CallbackPayload)

const notJson = Symbol("notJson")
const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return notJson
  }
}

const header = (headers: Incoming["headers"], name: string): string | undefined => {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return typeof value === "string" ? value : value?.[0]
  }
  return undefined
}

/** Verifies a callback's signature, then decodes its body. A bad or missing signature is never decoded. */
export const verify = Effect.fn("NetgiroCallback.verify")(function* (options: Options, incoming: Incoming) {
  const bytes = typeof incoming.body === "string" ? encoder.encode(incoming.body) : incoming.body
  const nonce = header(incoming.headers, NetgiroAuth.headerNames.nonce)
  const referenceId = header(incoming.headers, NetgiroAuth.headerNames.referenceId)
  const where = { provider: "netgiro", method: "POST", path: pathOf(options.callbackUrl), referenceId }
  const digest = yield* NetgiroAuth.digestService
  const verdict = yield* NetgiroAuth.verify(
    digest,
    options.secret,
    { nonce, signature: header(incoming.headers, NetgiroAuth.headerNames.signature) },
    options.callbackUrl,
    bytes
  )
  if (verdict !== "valid") return yield* new NetgiroSignatureError({ ...where, reason: verdict })
  const fail = (detail: string) => new NordkitError.DecodeError({ ...where, detail })
  const raw = parseJson(decoder.decode(bytes))
  if (raw === notJson) return yield* fail("callback body is not JSON")
  const payload = yield* Effect.mapError(decodePayload(raw), (e) => fail(e.message.slice(0, 500)))
  return { payload, raw, nonce: nonce as string, referenceId } satisfies Verified
})

/** `verify` for the current request of an Effect HTTP server. */
export const verifyRequest = (options: Options) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const body = new Uint8Array(
      yield* Effect.mapError(
        request.arrayBuffer,
        () =>
          new NordkitError.DecodeError({
            provider: "netgiro",
            method: "POST",
            path: pathOf(options.callbackUrl),
            detail: "callback body unreadable"
          })
      )
    )
    return yield* verify(options, { headers: request.headers, body })
  })

const pathOf = (url: string) => (URL.canParse(url) ? new URL(url).pathname : "/")
