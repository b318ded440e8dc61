/**
 * Monerium in the demo: client credentials (a partner app) against the Monerium test server on loopback; with
 * MONERIUM_CLIENT_ID and MONERIUM_CLIENT_SECRET set, read-only calls against the configured host. The
 * authorization-code flow with PKCE — and its browser split — runs in the example web app (examples/monerium-web).
 */

import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { TokenStore } from "@nordkit/core"
import { MoneriumClient, MoneriumMessage, MoneriumWebhook } from "@nordkit/monerium"
import { MoneriumTestServer } from "@nordkit/monerium/testing"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"

const live = Effect.gen(function* () {
  const client = yield* MoneriumClient.MoneriumClient
  const token = yield* client.accessToken
  yield* Console.log(`  token      ${token.tokenType} ${String(token.value)} (${client.environment}, ${client.apiUrl})`)
  const context = yield* client.authContext
  yield* Console.log(`  context    ${context.profiles.length} profile(s) visible to this app`)
  const profiles = yield* client.listProfiles
  for (const profile of profiles.slice(0, 5)) {
    yield* Console.log(`             ${profile.id} ${profile.kind} ${profile.state ?? ""}`)
  }
}).pipe(Effect.provide(MoneriumClient.layerConfig()), Effect.provide(TokenStore.layerMemory))

const local = Effect.gen(function* () {
  const server = yield* MoneriumTestServer.make()
  const url = yield* MoneriumTestServer.listen(server)
  const partner = MoneriumTestServer.defaultPartnerApp
  const client = yield* MoneriumClient.make({
    apiUrl: url,
    credentials: MoneriumClient.clientCredentials({
      clientId: partner.clientId,
      clientSecret: Redacted.make(partner.clientSecret)
    })
  })
  yield* Console.log(`  server     Monerium test server on ${url} (partner app ${partner.clientId})`)
  const token = yield* client.accessToken
  yield* Console.log(
    `  token      ${token.tokenType} ${String(token.value)}, valid ${Math.round((token.expiresAt - token.issuedAt) / 60_000)} min, secret sent in the form body`
  )
  const context = yield* client.authContext
  yield* Console.log(`  context    ${context.name}: ${context.profiles.map((p) => `${p.name} (${p.kind})`).join(", ")}`)
  const addresses = yield* client.listAddresses()
  const first = addresses[0]
  const chain = first.chains[0] ?? "ethereum"
  const address = first.address ?? ""
  const balances = yield* client.getBalances({ chain, address })
  yield* Console.log(
    `  balances   ${chain} ${address.slice(0, 10)}…: ${balances.balances
      .map((b) => `${b.amount} ${(b.currency ?? "").toUpperCase()}`)
      .join(", ")} (decimal strings)`
  )
  const ibans = yield* client.listIbans()
  yield* Console.log(`  ibans      ${ibans.map((i) => i.iban).join(", ")}`)
  const orders = yield* client.listOrders({ address })
  for (const order of orders) {
    yield* Console.log(
      `  order      ${order.id} ${order.kind} ${order.amount} ${order.currency.toUpperCase()} ${order.state}`
    )
  }
  // A redeem order: the exact message the wallet signs, then placed — signed by a key (200) or by a Safe on chain (202).
  const seed = MoneriumTestServer.seed
  const counterpart = {
    identifier: { standard: "iban", iban: "EE12 7310 1381 5551 2606 6826 02" },
    details: { firstName: "Satoshi", lastName: "Nakamoto", country: "FR" }
  } as const
  const at = yield* Clock.currentTimeMillis
  const message = MoneriumMessage.orderMessage({ amount: "10", currency: "eur", counterpart, at, shortIban: true })
  yield* Console.log(`  message    "${message}" (signed by the wallet)`)
  const base = {
    kind: "redeem",
    amount: "10",
    currency: "eur",
    address: seed.address,
    chain: "ethereum",
    counterpart,
    message
  } as const
  const placed = yield* client.placeOrder({
    ...base,
    signature: `0x${"ab".repeat(65)}`,
    referenceNumber: "RF18539007547034"
  })
  const safe = yield* client.placeOrder({ ...base, signature: "0x" })
  yield* Console.log(
    `  placed     EOA signature: ${placed._tag}${placed._tag === "Placed" ? ` (${placed.order.state}, ref ${placed.order.referenceNumber})` : ""}; Safe ("0x"): ${safe._tag} (202, waits for the on-chain signature)`
  )
  const corporate = yield* client.getProfile(seed.corporateProfileId)
  yield* Console.log(`  profile    ${corporate.name}: ${corporate.state} (form ${corporate.form?.state ?? "?"})`)
  // Webhooks: subscribe, then verify a delivery signed as Monerium signs it; a replay is refused.
  const webhookSecret = yield* MoneriumWebhook.generateSecret()
  const subscription = yield* client.createWebhook({
    url: "https://app.example/webhooks/monerium",
    secret: webhookSecret,
    types: ["order.created", "order.updated"]
  })
  const verifier = yield* MoneriumWebhook.makeVerifier({ secret: webhookSecret })
  const delivery = yield* server.signedDelivery(subscription.id, { type: "order.updated", data: orders[0] })
  const verified = yield* verifier.verify(delivery)
  const replay = yield* Effect.flip(verifier.verify(delivery))
  yield* Console.log(
    `  webhook    ${verified.event.type} ${verified.id.slice(0, 8)}… verified; again: ${replay.reason}`
  )
  // 20 concurrent calls share the cached token; a revoked token is replaced once and the call replayed.
  yield* Effect.all(
    Array.from({ length: 20 }, () => client.listProfiles),
    { concurrency: "unbounded" }
  )
  yield* server.tokens.revoke()
  const profiles = yield* client.listProfiles
  yield* Console.log(
    `  revoked    token revoked by the server; next call got 401, new token, replayed: ${profiles.length} profiles`
  )
  const tokenRequests = (yield* server.tokenRequests).length
  const apiRequests = (yield* server.requests).length - tokenRequests
  yield* Console.log(
    `  requests   ${apiRequests} API calls, ${tokenRequests} token requests (1 at start, 1 after the revocation)`
  )
  yield* Console.log(
    "  code flow  run the web example: ./nk node --conditions=@nordkit/source examples/monerium-web/main.ts"
  )
}).pipe(Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })))

const configured = Config.all([Config.String("MONERIUM_CLIENT_ID"), Config.Redacted("MONERIUM_CLIENT_SECRET")]).pipe(
  Config.option
)

export const flow: Effect.Effect<void, unknown, HttpClient.HttpClient | Scope.Scope> = Effect.gen(function* () {
  const env = yield* configured
  if (Option.isSome(env)) {
    yield* Console.log("Monerium (live, read-only: MONERIUM_CLIENT_ID and MONERIUM_CLIENT_SECRET are set)")
    return yield* live
  }
  yield* Console.log(
    "Monerium (test server, client credentials; set MONERIUM_CLIENT_ID, MONERIUM_CLIENT_SECRET for the real API)"
  )
  yield* local
})
