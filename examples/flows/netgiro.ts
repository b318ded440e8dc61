/**
 * Netgíró in the demo: by default, against the Netgíró test server on loopback, the V1 checkout flow (insert a
 * cart, wait for the customer, confirm; every request signed and every response verified), then a V2 payment by
 * phone number (Pending -> Confirmed at the interval Netgíró asks for), a partial refund, and the transaction
 * status after it. With NETGIRO_APP_KEY and NETGIRO_SECRET set, a read-only call (the sales list) against the
 * configured host.
 */

import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { NetgiroClient, NetgiroSchema, NetgiroV2Client } from "@nordkit/netgiro"
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
  const server = yield* NetgiroTestServer.make({
    approveAfterMillis: 1_200,
    checkIntervalMillis: 400,
    pollIntervalMillis: 400
  })
  const url = yield* NetgiroTestServer.listen(server)
  const app = NetgiroTestServer.publicTestApp
  const secret = Redacted.make(app.secret)
  const client = yield* NetgiroClient.make({
    appKey: app.appKey,
    secret,
    apiUrl: url,
    partnerUrl: NetgiroTestServer.urlsOf(url).partnerUrl
  })
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
  yield* Console.log(`  sales      ${sales.Sales?.length ?? 0} confirmed sale(s) in the sales list`)
  const partnerRefund = yield* client.refund(cart.TransactionId, 2_990, { reason: "Wrong size" })
  const status = yield* client.transactionStatus(cart.TransactionId)
  yield* Console.log(
    `  partner    refund 2.990 kr through the Partner API (token header, key ${partnerRefund.idempotencyKey.slice(0, 8)}…); ` +
      `status ${status.Status}, refundable: ${status.IsRefundable}`
  )

  const requests = (yield* server.requests).filter((r) => r.path.startsWith("/v1/"))
  const nonces = requests.map((r) => BigInt(r.headers.netgiro_nonce ?? "0"))
  const increasing = nonces.every((n, i) => i === 0 || n > nonces[i - 1])
  yield* Console.log(
    `  requests   ${requests.length} signed requests, ${yield* server.verifiedCount} verified by the server, ` +
      `nonces strictly increasing: ${increasing}; 0 token requests`
  )

  // V2: one API key header instead of signatures.
  const urls = NetgiroTestServer.urlsOf(url)
  const v2 = yield* NetgiroV2Client.make({ apiKey: Redacted.make(app.appKey), secret, apiUrl: urls.v2Url })
  yield* Console.log(`  v2         ${urls.v2Url} with X-Netgiro-Api-Key ${String(Redacted.make(app.appKey))}`)
  const payment = yield* v2.createPayment({
    Amount: 12_000,
    Reference: "demo-order-3",
    CustomerIdentifier: NetgiroTestServer.v2Customers.approves
  })
  yield* Console.log(
    `  payment    ${payment.TransactionId}: 12.000 kr to GSM ${NetgiroTestServer.v2Customers.approves} -> ${payment.Status}, ` +
      `poll every ${payment.PollIntervalMs} ms`
  )
  const v2Started = Date.now()
  const settled = yield* v2.waitForPayment(payment, { timeout: "30 seconds" })
  const polls = (yield* server.requests).filter((r) => r.path.startsWith("/v2/checkout/status/")).length
  yield* Console.log(`  customer   ${settled.Status} after ${Date.now() - v2Started} ms (${polls} status polls)`)
  const id = settled.TransactionId as string
  const refund = yield* v2.refund(id, 4_500, { description: "One item returned" })
  yield* Console.log(`  refund     4.500 kr: ${refund.message} (IdempotencyKey ${refund.idempotencyKey})`)
  const above = yield* Effect.flip(v2.refund(id, 9_000))
  yield* Console.log(
    `  refund     9.000 kr more: ${above._tag}${above._tag === "NetgiroRefundError" ? ` (${above.reason})` : ""}`
  )
  const details = yield* v2.transaction(id)
  const refunded = (yield* server.refunds).filter((r) => r.transactionId === id).reduce((sum, r) => sum + r.amount, 0)
  yield* Console.log(
    `  status     ${details.Status}, total ${details.TotalAmount} kr, refundable: ${details.IsRefundable}, ` +
      `refunded so far ${refunded} kr (server's ledger)`
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
