import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { NetgiroClient, NetgiroSchema, NetgiroV2Client } from "../src/index.ts"
import { NetgiroTestServer } from "../src/testing.ts"
import { type Shop, v1Callbacks, v2Routes } from "./recipes/routes.ts"

const app = NetgiroTestServer.publicTestApp
const secret = Redacted.make(app.secret)

describe("README recipes: callback and return-URL routes on an Effect HTTP server", () => {
  it.live(
    "V1 callback settles by CheckCart, a replay is not acted on twice, a forgery moves no money; V2 callback and hosted return",
    () =>
      Effect.gen(function* () {
        // Netgíró's test server on its own loopback port (it POSTs callbacks over real HTTP).
        const netgiro = yield* NetgiroTestServer.make()
        const netgiroHttp = yield* Layer.build(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
        const apiUrl = yield* NetgiroTestServer.listen(netgiro).pipe(Effect.provide(netgiroHttp))
        const urls = NetgiroTestServer.urlsOf(apiUrl)
        const v1 = yield* NetgiroClient.make({ appKey: app.appKey, secret, apiUrl })
        const v2 = yield* NetgiroV2Client.make({
          apiKey: Redacted.make(app.appKey),
          secret,
          apiUrl: urls.v2Url,
          checkoutUrl: urls.checkoutUrl
        })

        // The shop: the recipes' routes on another loopback port.
        const paid: Array<string> = []
        const canceled: Array<string> = []
        // Set to a transaction id: the shop's order store fails once when marking it paid.
        let failOnce: string | undefined
        const shop: Shop = {
          secret,
          callbackUrl: "https://shop.example/netgiro/callback",
          cancelUrl: "https://shop.example/netgiro/cancel",
          v2CallbackUrl: "https://shop.example/netgiro/v2/callback",
          markPaid: (id) =>
            Effect.suspend(() => {
              if (id !== failOnce) return Effect.sync(() => void paid.push(id))
              failOnce = undefined
              return Effect.die(new Error("order store unavailable"))
            }),
          markCanceled: (id) => Effect.sync(() => void canceled.push(id))
        }
        const shopServer = yield* Layer.build(
          HttpRouter.serve(Layer.mergeAll(v1Callbacks(shop), v2Routes(shop)), { disableLogger: true }).pipe(
            Layer.provide(Layer.succeed(NetgiroClient.NetgiroClient, v1)),
            Layer.provide(Layer.succeed(NetgiroV2Client.NetgiroV2Client, v2)),
            Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
          )
        )
        const address = yield* HttpServer.addressFormattedWith((a) =>
          Effect.succeed(a.replace("0.0.0.0", "127.0.0.1"))
        ).pipe(Effect.provide(Context.pick(HttpServer.HttpServer)(shopServer)))

        // V1 server-callback cart: Netgíró calls the shop, the shop re-reads the cart (10429) and answers 200.
        const cart = yield* v1.insertCart({
          Amount: 7_500,
          Reference: "recipe-1",
          CustomerId: NetgiroTestServer.customers.silent,
          ConfirmationType: NetgiroSchema.ConfirmationTypes.ServerCallback,
          CallbackUrl: `${address}/netgiro/callback`
        })
        yield* netgiro.approve(cart.TransactionId)
        const [delivery] = yield* netgiro.callbacks
        assert.strictEqual(delivery.status, 200)
        assert.deepStrictEqual(paid, [cart.TransactionId])
        assert.isTrue((yield* v1.checkCart(cart.TransactionId)).PaymentSuccessful, "the loan was created")

        const http = yield* HttpClient.HttpClient
        const post = (path: string, headers: Record<string, string>, body: string) =>
          Effect.map(
            http.execute(
              HttpClientRequest.post(`${address}${path}`).pipe(
                HttpClientRequest.setHeaders(headers),
                HttpClientRequest.bodyText(body, "application/json")
              )
            ),
            (r) => r.status
          )
        // The same callback again: answered 200, not acted on again.
        assert.strictEqual(yield* post("/netgiro/callback", { ...delivery.headers }, delivery.body), 200)
        assert.deepStrictEqual(paid, [cart.TransactionId])
        // A Manual cart with a CallbackUrl: the confirm callback comes while the reservation waits for ConfirmCart
        // (10426). It is answered 200 (not 409, which would make Netgíró cancel the sale) and the loan is created.
        const manual = yield* v1.insertCart({
          Amount: 3_300,
          Reference: "recipe-7",
          CustomerId: NetgiroTestServer.customers.silent,
          ConfirmationType: NetgiroSchema.ConfirmationTypes.Manual,
          CallbackUrl: `${address}/netgiro/callback`
        })
        yield* netgiro.approve(manual.TransactionId)
        const reservation = (yield* netgiro.callbacks).filter((c) => c.transactionId === manual.TransactionId)
        assert.deepStrictEqual(
          reservation.map((c) => c.status),
          [200]
        )
        assert.include(paid, manual.TransactionId)
        assert.isTrue((yield* v1.checkCart(manual.TransactionId)).PaymentSuccessful, "ConfirmCart created the loan")

        // A forged "paid" callback for a cart nobody paid: 409, nothing marked.
        const pending = yield* v1.insertCart({
          Amount: 7_500,
          Reference: "recipe-2",
          CustomerId: NetgiroTestServer.customers.silent,
          ConfirmationType: NetgiroSchema.ConfirmationTypes.Automatic
        })
        const forged = delivery.body.replaceAll(cart.TransactionId, pending.TransactionId)
        assert.strictEqual(yield* post("/netgiro/callback", { netgiro_nonce: "forged1" }, forged), 409)
        assert.notInclude(paid, pending.TransactionId)

        // V2: a barcode payment with a callback to the shop.
        const payment = yield* v2.createPayment({
          Amount: 5_000,
          Reference: "recipe-3",
          CustomerIdentifier: NetgiroTestServer.v2Customers.barcode,
          CallbackUrl: `${address}/netgiro/v2/callback`
        })
        assert.strictEqual(payment.Status, "Confirmed")
        assert.include(paid, payment.TransactionId)
        const delivered = (yield* netgiro.callbacks).find((c) => c.transactionId === payment.TransactionId)
        assert.strictEqual(
          yield* post("/netgiro/v2/callback", { ...delivered?.headers }, (delivered?.body ?? "").replace("5000", "5")),
          401
        )

        // The signature does not cover `Success`: a cancelled payment's cancel callback, turned into a confirm,
        // verifies — and is not fulfilled, because the transaction details do not say paid.
        const dropped = yield* v2.createPayment({
          Amount: 6_000,
          Reference: "recipe-5",
          CustomerIdentifier: NetgiroTestServer.v2Customers.silent,
          CallbackCancelUrl: `${address}/netgiro/v2/callback`
        })
        yield* netgiro.declineV2(dropped.TransactionId as string)
        assert.include(canceled, dropped.TransactionId)
        const cancelDelivery = (yield* netgiro.callbacks).find(
          (c) => c.transactionId === dropped.TransactionId && c.kind === "cancel"
        )
        const flipped = (cancelDelivery?.body ?? "").replace(`"Success":false`, `"Success":true`)
        assert.include(flipped, `"Success":true`)
        assert.strictEqual(
          yield* post("/netgiro/v2/callback", { ...cancelDelivery?.headers, "x-test": "flipped" }, flipped),
          409
        )
        assert.notInclude(paid, dropped.TransactionId)

        // The shop fails while handling a genuine callback (non-2xx): Netgíró's one retry of the same callback is
        // handled afresh, not refused as a replay — the order is marked paid and the sale stands.
        const retried = yield* v2.createPayment({
          Amount: 4_000,
          Reference: "recipe-6",
          CustomerIdentifier: NetgiroTestServer.v2Customers.silent,
          CallbackUrl: `${address}/netgiro/v2/callback`
        })
        failOnce = retried.TransactionId as string
        yield* netgiro.approveV2(retried.TransactionId as string)
        const attempts = (yield* netgiro.callbacks).filter((c) => c.transactionId === retried.TransactionId)
        assert.deepStrictEqual(
          attempts.map((c) => c.status),
          [500, 200]
        )
        assert.strictEqual(attempts[0].body, attempts[1].body)
        assert.include(paid, retried.TransactionId)
        assert.strictEqual((yield* v2.paymentStatus(retried.TransactionId as string)).Status, "Confirmed")

        // Hosted checkout: the customer comes back to the return URL.
        const checkout = yield* v2.createHostedCheckout({
          Amount: 9_900,
          Reference: "recipe-4",
          SuccessUrl: `${address}/netgiro/return`,
          CancelUrl: `${address}/netgiro/cancelled`
        })
        const redirect = yield* netgiro.completeCheckout(checkout.CheckoutUrl as string, "approve")
        const page = yield* http.execute(HttpClientRequest.get(redirect))
        assert.strictEqual(page.status, 200)
        assert.include(yield* page.text, "order recipe-4 is paid")
        const altered = yield* http.execute(
          HttpClientRequest.get(redirect.replace("TotalAmount=9900", "TotalAmount=99"))
        )
        assert.strictEqual(altered.status, 400)
      }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )
})
