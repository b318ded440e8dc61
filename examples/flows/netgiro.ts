/**
 * Netgíró in the demo: by default the checkout flow (insert a cart, wait for the customer, confirm) against the
 * Netgíró test server on loopback, every request signed and every response verified; with NETGIRO_APP_KEY and
 * NETGIRO_SECRET set, a read-only call (the sales list) against the configured host.
 */

import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { NetgiroClient, NetgiroSchema } from "@nordkit/netgiro"
import { NetgiroTestServer } from "@nordkit/netgiro/testing"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"

const live = Effect.gen(function* () {
  const client = yield* NetgiroClient.NetgiroClient
  yield* Console.log(`  host       ${client.apiUrl} (${client.environment})`)
  const sales = yield* client.salesList
  yield* Console.log(
    `  read       sales list: ${sales.Message ?? "ok"} (ResultCode ${sales.ResultCode}), response signature verified`
  )
  yield* Console.log(`  reference  netgiro_referenceId ${sales.requestId ?? "(none)"}`)
}).pipe(Effect.provide(NetgiroClient.layerConfig()))

const local = Effect.gen(function* () {
  const server = yield* NetgiroTestServer.make({ approveAfterMillis: 1_200, checkIntervalMillis: 400 })
  const url = yield* NetgiroTestServer.listen(server)
  const app = NetgiroTestServer.publicTestApp
  const secret = Redacted.make(app.secret)
  const client = yield* NetgiroClient.make({ appKey: app.appKey, secret, apiUrl: url })
  yield* Console.log(`  server     Netgíró test server on ${url} (public test app ${app.appKey})`)
  yield* Console.log(`  secret     ${String(secret)} — signs every request; no tokens with Netgíró`)

  const cart = yield* client.insertCart({
    Amount: 12_990,
    Reference: "demo-order-1",
    CustomerId: NetgiroTestServer.customers.approves,
    ConfirmationType: NetgiroSchema.ConfirmationTypes.Manual,
    Description: "Lopapeysa"
  })
  yield* Console.log(
    `  cart       inserted ${cart.TransactionId}: 12.990 kr, poll every ${cart.ProcessCartCheckIntervalMiliseconds} ms`
  )
  const started = Date.now()
  const outcome = yield* client.waitForPayment(cart, { timeout: "30 seconds" })
  yield* Console.log(`  customer   ${outcome._tag} after ${Date.now() - started} ms of polling CheckCart`)
  const confirmed = yield* client.confirmCart({ TransactionId: cart.TransactionId })
  yield* Console.log(
    `  confirm    ${confirmed.Message} (ResultCode ${confirmed.ResultCode}), invoice ${confirmed.PaymentInfo?.InvoiceNumber}, ` +
      `ref ${confirmed.requestId}`
  )

  const declined = yield* client.insertCart({
    Amount: 5_000,
    Reference: "demo-order-2",
    CustomerId: NetgiroTestServer.customers.noCredit,
    ConfirmationType: NetgiroSchema.ConfirmationTypes.Automatic
  })
  const second = yield* client.waitForPayment(declined, { timeout: "30 seconds" })
  yield* Console.log(
    `  customer   2222222229 (no credit): ${second._tag}${second._tag === "Declined" ? ` (${second.resultCode})` : ""}`
  )

  yield* server.tamperNext("body")
  const tampered = yield* Effect.flip(client.checkCart(cart.TransactionId))
  yield* Console.log(`  tamper     altered response body -> ${tampered._tag}, body discarded`)

  const missing = yield* Effect.flip(client.checkCart("00000000-0000-0000-0000-000000000000"))
  yield* Console.log(
    `  not found  ${missing._tag}${missing._tag === "NetgiroResultError" ? ` reason ${missing.reason} (${missing.resultCode})` : ""}`
  )

  const sales = yield* client.salesList
  const count = (sales.body as { Sales?: ReadonlyArray<unknown> }).Sales?.length ?? 0
  yield* Console.log(`  sales      ${count} confirmed sale(s) in the sales list`)

  const requests = yield* server.requests
  const nonces = requests.map((r) => BigInt(r.headers.netgiro_nonce ?? "0"))
  const increasing = nonces.every((n, i) => i === 0 || n > nonces[i - 1])
  yield* Console.log(
    `  requests   ${requests.length} signed requests, ${yield* server.verifiedCount} verified by the server, ` +
      `nonces strictly increasing: ${increasing}; 0 token requests`
  )
}).pipe(Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })))

const configured = Config.all([Config.String("NETGIRO_APP_KEY"), Config.Redacted("NETGIRO_SECRET")]).pipe(Config.option)

export const flow: Effect.Effect<void, unknown, HttpClient.HttpClient | Scope.Scope> = Effect.gen(function* () {
  const env = yield* configured
  if (Option.isSome(env)) {
    yield* Console.log("Netgíró (live, read-only: NETGIRO_* variables are set)")
    return yield* live
  }
  yield* Console.log("Netgíró (test server; set NETGIRO_APP_KEY, NETGIRO_SECRET for the real API)")
  yield* local
})
