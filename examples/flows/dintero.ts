/**
 * Dintero in the demo: by default a full checkout against the Dintero test server on loopback; with the
 * DINTERO_* variables set, read-only calls (token, list transactions) against the configured host.
 */

import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { DinteroClient, DinteroSchema, DinteroTestServer } from "@nordkit/dintero"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"

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

const local = Effect.gen(function* () {
  const server = yield* DinteroTestServer.make()
  const url = yield* DinteroTestServer.listen(server)
  const account = DinteroTestServer.defaultAccount
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

  const session = yield* client.createSession({
    url: { return_url: "https://shop.example/return" },
    profile_id: "default",
    order: {
      amount: 29_900,
      currency: "NOK",
      merchant_reference: "demo-order-1",
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
    `  session    read back: ${kr(read.order.amount)} ${read.order.currency}, ${read.order.items?.length ?? 0} items`
  )
  const transactionId = yield* server.authorizeSession(session.id)
  const authorized = yield* client.getTransaction(transactionId)
  yield* Console.log(`  customer   paid -> transaction ${authorized.id} ${authorized.status}`)
  const captured = yield* client.captureTransaction(transactionId, {
    amount: 29_900,
    capture_reference: "demo-capture"
  })
  if (captured._tag === "Captured") {
    yield* Console.log(
      `  capture    ${kr(DinteroSchema.capturedAmount(captured.transaction))} -> ${captured.transaction.status}`
    )
  }
  const refunded = yield* client.refundTransaction(transactionId, { amount: 10_000, reason: "Hat returned" })
  yield* Console.log(`  refund     ${kr(DinteroSchema.refundedAmount(refunded))} -> ${refunded.status}`)
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
}).pipe(Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })))

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
