import { NodeCrypto } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { TestServer } from "@nordkit/core/testing"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import { NetgiroClient, NetgiroPayments, NetgiroSchema, NetgiroV2Client } from "../src/index.ts"
import { NetgiroTestServer } from "../src/testing.ts"

const app = NetgiroTestServer.publicTestApp
const origin = "http://127.0.0.1"

describe("NetgiroPayments (NETGIRO_API_VERSION)", () => {
  it.live("the same refund and status code runs on V1 (Partner API) and on V2, chosen by NETGIRO_API_VERSION", () =>
    Effect.gen(function* () {
      const merchant = yield* TestServer.make(() => Effect.succeed(TestServer.json({ ok: true })))
      const server = yield* NetgiroTestServer.make({ approveAfterMillis: 0 }).pipe(
        Effect.provideServiceEffect(HttpClient.HttpClient, TestServer.makeMemoryClient(merchant.app))
      )
      const http = Layer.succeed(HttpClient.HttpClient, yield* NetgiroTestServer.makeClient(server))
      const env = {
        NETGIRO_APP_KEY: app.appKey,
        NETGIRO_SECRET: app.secret,
        NETGIRO_API_URL: `${origin}/v1`,
        NETGIRO_PARTNER_API_URL: `${origin}/partner`,
        NETGIRO_V2_API_URL: `${origin}/v2`
      }
      const payments = (vars: Record<string, string>) =>
        Effect.service(NetgiroPayments.NetgiroPayments).pipe(
          Effect.provide(NetgiroPayments.layerConfig().pipe(Layer.provide(http))),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: vars })))
        )

      const [one, two] = yield* Effect.all([payments(env), payments({ ...env, NETGIRO_API_VERSION: "v2" })])
      assert.deepStrictEqual([one.version, two.version], ["v1", "v2"])
      const v1Client = yield* Effect.service(NetgiroClient.NetgiroClient).pipe(
        Effect.provide(NetgiroClient.layerConfig().pipe(Layer.provide(http))),
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
      )
      const cart = yield* v1Client.insertCart({
        Amount: 5_000,
        Reference: "v1-sale",
        CustomerId: NetgiroTestServer.customers.approves,
        ConfirmationType: NetgiroSchema.ConfirmationTypes.Automatic
      })
      yield* v1Client.checkCart(cart.TransactionId)
      const v2Client = yield* Effect.service(NetgiroV2Client.NetgiroV2Client).pipe(
        Effect.provide(NetgiroV2Client.layerConfig().pipe(Layer.provide(http))),
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
      )
      const sale = yield* v2Client.createPayment({
        Amount: 5_000,
        Reference: "v2-sale",
        CustomerIdentifier: NetgiroTestServer.v2Customers.barcode
      })

      for (const [payments, id] of [
        [one, cart.TransactionId],
        [two, sale.TransactionId as string]
      ] as const) {
        yield* payments.refund(id, 2_000, { reason: "Returned item" })
        const status = yield* payments.transactionStatus(id)
        assert.deepStrictEqual(
          [status.transactionId, status.status, status.totalAmount, status.isRefundable],
          [id, "paid", 5_000, true]
        )
      }
      assert.deepStrictEqual(
        (yield* server.refunds).map((r) => [r.api, r.amount]),
        [
          ["partner", 2_000],
          ["v2", 2_000]
        ]
      )
      const bad = yield* Effect.flip(payments({ ...env, NETGIRO_API_VERSION: "v3" }))
      assert.strictEqual(bad._tag, "ConfigurationError")
    }).pipe(Effect.provide(NodeCrypto.layerDigest))
  )

  it.effect("layerConfig takes an app's own Config per option (another variable name), never echoing values", () =>
    Effect.gen(function* () {
      const server = yield* NetgiroTestServer.make()
      const http = Layer.succeed(HttpClient.HttpClient, yield* NetgiroTestServer.makeClient(server))
      const env = ConfigProvider.layer(
        ConfigProvider.fromEnv({ env: { SHOP_NETGIRO_KEY: app.appKey, SHOP_NETGIRO_SECRET: app.secret } })
      )
      const client = yield* Effect.service(NetgiroClient.NetgiroClient).pipe(
        Effect.provide(
          NetgiroClient.layerConfig({
            appKey: Config.String("SHOP_NETGIRO_KEY"),
            secret: Config.Redacted("SHOP_NETGIRO_SECRET"),
            apiUrl: Config.succeed(`${origin}/v1`)
          }).pipe(Layer.provide(http))
        ),
        Effect.provide(env)
      )
      const sales = yield* client.salesList
      assert.isTrue(sales.Success, "signed with the secret read from SHOP_NETGIRO_SECRET")
      const missing = yield* Effect.flip(
        Effect.service(NetgiroV2Client.NetgiroV2Client).pipe(
          Effect.provide(
            NetgiroV2Client.layerConfig({ apiKey: Config.Redacted("SHOP_V2_KEY") }).pipe(Layer.provide(http))
          ),
          Effect.provide(env)
        )
      )
      assert.strictEqual(missing._tag, "ConfigurationError")
      assert.include(missing.message, "SHOP_V2_KEY")
      assert.notInclude(missing.message, app.secret)
    }).pipe(Effect.provide(NodeCrypto.layerDigest))
  )
})
