/**
 * Dintero in the demo: by default the shop's whole lifecycle against the Dintero test server on loopback — a
 * session with every kind of field, the customer paying, Dintero's signed callback verified by the shop's own
 * callback route (which re-fetches the transaction and acknowledges), a final capture, a refund that Dintero accepts
 * with 202 and reports as still processing until its correlated event appears, the cursor stream and settlements on
 * the API host. With the DINTERO_* variables set, read-only calls (token, list transactions) against the
 * configured host.
 */

import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { DinteroCallback, DinteroClient, DinteroSchema } from "@nordkit/dintero"
import { DinteroTestServer } from "@nordkit/dintero/testing"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

const kr = (minor: number) => `${(minor / 100).toFixed(2)}`

const live = Effect.gen(function* () {
  const client = yield* DinteroClient.DinteroClient
  const token = yield* client.accessToken
  yield* Console.log(
    `  token      ${token.tokenType} ${String(token.value)} (account ${client.accountId}, ${client.environment})`
  )
  const transactions = yield* client.listTransactions({ limit: 5 })
  yield* Console.log(`  read       ${transactions.length} most recent transaction(s)`)
  for (const tx of transactions) {
    yield* Console.log(`             ${tx.id} ${tx.status} ${kr(tx.amount)} ${tx.currency}`)
  }
}).pipe(Effect.provide(DinteroClient.layerConfig()))

const loopbackServer = () => Layer.build(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))

const local = Effect.gen(function* () {
  const server = yield* DinteroTestServer.make()
  const url = yield* DinteroTestServer.listen(server).pipe(Effect.provide(yield* loopbackServer()))
  const account = DinteroTestServer.defaultCredentials
  const client = yield* DinteroClient.make({
    accountId: account.accountId,
    clientId: account.clientId,
    clientSecret: Redacted.make(account.clientSecret),
    apiUrl: url,
    checkoutUrl: url,
    systemName: "nordkit-demo"
  })
  yield* Console.log(`  server     Dintero test server on ${url} (account ${client.accountId}, ${client.environment})`)
  const token = yield* client.accessToken
  yield* Console.log(
    `  token      ${token.tokenType} ${String(token.value)}, valid ${Math.round((token.expiresAt - token.issuedAt) / 3600_000)} h`
  )

  // The shop's callback route: verify Dintero-Signature, re-fetch the transaction, acknowledge.
  const { secret } = yield* client.createSignatureSecret
  yield* Console.log(`  callbacks  signature secret created: ${String(secret)}`)
  const verifier = DinteroCallback.makeVerifier({ secret, accountId: client.accountId })
  const route = verifier
    .handleRequest((callback) =>
      Effect.gen(function* () {
        const transaction = yield* client.fetchCallbackTransaction(callback)
        yield* Console.log(
          `  callback   ${callback.method} verified (Dintero-Signature, t=${callback.timestamp}); re-fetched ${transaction.id}: ${transaction.status}; acknowledged 200`
        )
        return HttpServerResponse.empty({ status: 200 })
      })
    )
    .pipe(
      Effect.catchTag("CallbackVerificationError", (e) =>
        Effect.succeed(HttpServerResponse.text(e.reason, { status: DinteroCallback.statusFor(e) }))
      ),
      Effect.catch(() => Effect.succeed(HttpServerResponse.empty({ status: 503 })))
    )
  const shop = yield* Effect.gen(function* () {
    yield* HttpServer.serveEffect()(route)
    return yield* HttpServer.addressFormattedWith((address) => Effect.succeed(address))
  }).pipe(Effect.provide(yield* loopbackServer()))
  yield* Console.log(`  shop       callback route on ${shop}/dintero/callback`)

  const session = yield* client.createSession({
    url: { return_url: `${shop}/return`, callback_url: `${shop}/dintero/callback` },
    profile_id: "default",
    expires_at: new Date(Date.now() + 3600_000).toISOString(),
    metadata: { "shop:cart": "cart-1" },
    customer: { email: "kari@example.com", phone_number: "+4799999999" },
    order: {
      amount: 29_900,
      currency: "NOK",
      merchant_reference: "demo-order-1",
      merchant_reference_2: "cart-1",
      shipping_address: { first_name: "Kari", last_name: "Nordmann", address_line: "Gate 1", postal_code: "0150" },
      items: [
        {
          id: "socks",
          line_id: "1",
          description: "Wool socks",
          quantity: 2,
          amount: 19_900,
          vat_amount: 3_980,
          vat: 25
        },
        { id: "hat", line_id: "2", description: "Hat", quantity: 1, amount: 10_000, vat_amount: 2_000, vat: 25 }
      ]
    }
  })
  yield* Console.log(`  session    created ${session.id}`)
  const read = yield* client.getSession(session.id)
  yield* Console.log(
    `  session    read back: ${kr(read.order.amount)} ${read.order.currency}, ${read.order.items?.length ?? 0} items, metadata and addresses kept`
  )
  const transactionId = yield* server.authorizeSession(session.id)
  yield* Console.log(`  customer   paid -> transaction ${transactionId}; Dintero calls the shop back`)
  const status = yield* server.deliverCallback(session.id)
  const callback = yield* server.callbackFor(session.id)
  const forged = yield* verifier
    .verify({
      url: callback.url.replace("demo-order-1", "demo-order-2"),
      method: callback.method,
      signature: callback.headers["dintero-signature"]
    })
    .pipe(Effect.flip)
  yield* Console.log(`  callback   route answered ${status}; a forged copy is refused: ${forged.reason}`)

  yield* client.updateTransaction(transactionId, { merchant_reference_2: "ledger-2026-07" })
  const captured = yield* client.captureTransaction(transactionId, {
    amount: 29_900,
    capture_reference: "demo-capture",
    final_capture: true
  })
  if (captured._tag === "Captured") {
    yield* Console.log(
      `  capture    ${kr(DinteroSchema.capturedAmount(captured.transaction))} (final) -> ${captured.transaction.status}`
    )
  }

  // The payment provider is slow: Dintero accepts the refund with 202 and finishes it later.
  yield* server.setAsyncOperations(true)
  const refund = yield* client.refundTransaction(transactionId, {
    amount: 10_000,
    reason: "Hat returned",
    refund_reference: "demo-refund"
  })
  if (refund._tag === "Processing") {
    yield* Console.log(
      `  refund     202 accepted -> reported as processing (event-request-id ${refund.eventRequestId})`
    )
    yield* server.completePending
    const after = yield* client.getTransaction(transactionId)
    const event = DinteroSchema.completionOf(after, refund.eventRequestId ?? "")
    yield* Console.log(
      `  refund     completed later: ${event?.event} ${kr(event?.amount ?? 0)} (correlation_request_id matches) -> ${after.status}`
    )
  } else {
    yield* Console.log(`  refund     done at once -> ${refund.transaction.status}`)
  }

  const all = yield* Stream.runCollect(client.streamTransactions({ limit: 2 }))
  yield* Console.log(`  list       ${all.length} transactions streamed over the cursor, 2 per page`)
  yield* server.seedSettlement({ settled_at: "2026-07-01T00:00:00.000Z", provider: "vipps", payment_status: "paid" })
  const settlements = yield* client.listSettlements()
  yield* Console.log(`  settle     ${settlements.items?.length ?? 0} settlements read from the API host`)

  yield* server.revokeTokens
  const again = yield* client.getTransaction(transactionId)
  yield* Console.log(
    `  revoked    token revoked by the server; next call got 401, refreshed once, replayed: ${again.status}`
  )
  const tokenRequests = (yield* server.tokenRequests).length
  const apiRequests = (yield* server.requests).length - tokenRequests
  yield* Console.log(
    `  requests   ${apiRequests} API calls, ${tokenRequests} token requests (1 at start, 1 after the revocation)`
  )
})

const configured = Config.all([
  Config.String("DINTERO_ACCOUNT_ID"),
  Config.String("DINTERO_CLIENT_ID"),
  Config.Redacted("DINTERO_CLIENT_SECRET")
]).pipe(Config.option)

export const flow: Effect.Effect<void, unknown, HttpClient.HttpClient | Scope.Scope> = Effect.gen(function* () {
  const env = yield* configured
  if (Option.isSome(env)) {
    yield* Console.log("Dintero (live, read-only: DINTERO_* variables are set)")
    return yield* live
  }
  yield* Console.log(
    "Dintero (test server; set DINTERO_ACCOUNT_ID, DINTERO_CLIENT_ID, DINTERO_CLIENT_SECRET for the real API)"
  )
  yield* local
})
