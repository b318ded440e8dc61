/**
 * The README's callback and return-URL recipes, as Effect HTTP server routes (`test/Recipes.test.ts` runs
 * them against the test server over loopback).
 */
import { NetgiroCallback, NetgiroClient, NetgiroV2Client } from "@nordkit/netgiro"
import * as Effect from "effect/Effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"

/** What the shop does with a payment: your order store. */
export interface Shop {
  readonly secret: Redacted.Redacted<string>
  /** The public URLs exactly as sent to Netgíró (`CallbackUrl`, `CallbackCancelUrl`). */
  readonly callbackUrl: string
  readonly cancelUrl: string
  readonly v2CallbackUrl: string
  readonly markPaid: (transactionId: string) => Effect.Effect<void>
  readonly markCanceled: (transactionId: string) => Effect.Effect<void>
}

/**
 * V1 callbacks (`POST /netgiro/callback`, `POST /netgiro/cancel`): verified by the default `recheck` mode, then
 * settled with a signed CheckCart (needs `NetgiroClient`). A replay of a handled callback is answered 200 and not
 * acted on again; a callback whose handling failed is answered non-2xx and handled again when Netgíró retries.
 */
export const v1Callbacks = (shop: Shop) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const confirm = yield* NetgiroCallback.make({ secret: shop.secret, callbackUrl: shop.callbackUrl })
      const cancel = yield* NetgiroCallback.make({ secret: shop.secret, callbackUrl: shop.cancelUrl })
      const handle = (verifier: NetgiroCallback.Verifier) =>
        // handleRequest: when the handler fails (the re-read failed, or the cart does not say what the callback
        // says) the callback is released, so Netgíró's one retry is handled afresh instead of being a replay.
        verifier
          .handleRequest((callback) =>
            Effect.gen(function* () {
              const settled = yield* NetgiroCallback.settle(callback)
              // Unconfirmed: the cart does not say what the callback says; act on nothing.
              if (settled._tag === "Unconfirmed") return yield* Effect.fail("unconfirmed" as const)
              if (settled._tag === "Reserved") {
                // A Manual cart the customer approved: create the loan (here at once; or when you ship).
                const netgiro = yield* NetgiroClient.NetgiroClient
                yield* netgiro.confirmCart({ TransactionId: settled.transactionId })
              }
              if (settled._tag === "Canceled") yield* shop.markCanceled(settled.transactionId)
              else yield* shop.markPaid(settled.transactionId)
              return HttpServerResponse.empty({ status: 200 })
            })
          )
          .pipe(
            Effect.catchTags({
              NetgiroReplayError: () => Effect.succeed(HttpServerResponse.empty({ status: 200 })),
              NetgiroSignatureError: () => Effect.succeed(HttpServerResponse.empty({ status: 401 })),
              DecodeError: () => Effect.succeed(HttpServerResponse.empty({ status: 400 }))
            }),
            // "unconfirmed": 409; the re-read failed (Netgíró unreachable): 503. Netgíró retries once.
            Effect.catch((e) => Effect.succeed(HttpServerResponse.empty({ status: e === "unconfirmed" ? 409 : 503 })))
          )
      return Layer.mergeAll(
        HttpRouter.add("POST", "/netgiro/callback", handle(confirm)),
        HttpRouter.add("POST", "/netgiro/cancel", handle(cancel))
      )
    })
  )

/**
 * V2 and hosted-checkout callbacks (`POST /netgiro/v2/callback`, `X-Netgiro-Signature`), and the hosted
 * checkout's return URL (`GET /netgiro/return`): the signed parameters are checked for what the customer sees,
 * and the order is fulfilled only after the transaction details say it is paid (needs `NetgiroV2Client`).
 */
export const v2Routes = (shop: Shop) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const callbacks = yield* NetgiroCallback.make({
        secret: shop.secret,
        callbackUrl: shop.v2CallbackUrl,
        mode: "transactionSignature"
      })
      // The signature covers TransactionId and TotalAmount, not `Success`: the confirm and the cancel callback of
      // one transaction carry the same signature, so a cancel callback could be replayed as a confirm. A confirm is
      // therefore refused when the transaction details say `canceled`. Any other status is accepted: what the
      // details say while Netgíró waits for this very answer is not documented, and a 409 to a genuine confirm
      // would make Netgíró cancel the sale. A cancel is taken at its word (it moves no money).
      const callback = callbacks
        .handleRequest((verified) =>
          Effect.gen(function* () {
            if (verified.kind === "cancel") {
              yield* shop.markCanceled(verified.transactionId)
              return HttpServerResponse.empty({ status: 200 })
            }
            const netgiro = yield* NetgiroV2Client.NetgiroV2Client
            const details = yield* netgiro.transaction(verified.transactionId)
            if (details.Status === "canceled") return yield* Effect.fail("unconfirmed" as const)
            yield* shop.markPaid(verified.transactionId)
            return HttpServerResponse.empty({ status: 200 })
          })
        )
        .pipe(
          Effect.catchTags({
            NetgiroReplayError: () => Effect.succeed(HttpServerResponse.empty({ status: 200 })),
            NetgiroSignatureError: () => Effect.succeed(HttpServerResponse.empty({ status: 401 })),
            DecodeError: () => Effect.succeed(HttpServerResponse.empty({ status: 400 }))
          }),
          Effect.catch((e) => Effect.succeed(HttpServerResponse.empty({ status: e === "unconfirmed" ? 409 : 503 })))
        )
      const returned = Effect.gen(function* () {
        const netgiro = yield* NetgiroV2Client.NetgiroV2Client
        const request = yield* HttpServerRequest.HttpServerRequest
        const query = request.url.includes("?") ? request.url.slice(request.url.indexOf("?")) : ""
        const back = yield* netgiro.verifyReturn(query)
        const details = yield* netgiro.transaction(back.TransactionId)
        if (details.Status !== "paid" && details.Status !== "reservation") {
          return HttpServerResponse.text(`Order ${back.ReferenceNumber}: payment not confirmed`, { status: 402 })
        }
        yield* shop.markPaid(back.TransactionId)
        return HttpServerResponse.text(`Thank you: order ${back.ReferenceNumber} is paid`)
      }).pipe(
        Effect.catchTag("NetgiroSignatureError", () =>
          Effect.succeed(HttpServerResponse.text("Invalid return parameters", { status: 400 }))
        ),
        Effect.catch(() => Effect.succeed(HttpServerResponse.text("Try again shortly", { status: 503 })))
      )
      return Layer.mergeAll(
        HttpRouter.add("POST", "/netgiro/v2/callback", callback),
        HttpRouter.add("GET", "/netgiro/return", returned)
      )
    })
  )
