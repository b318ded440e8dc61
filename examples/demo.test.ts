import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { DinteroTestServer } from "@nordkit/dintero/testing"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Dintero from "./flows/dintero.ts"

describe("demo", () => {
  it.live("the Dintero flow walks a checkout against its own test server by default", () =>
    Dintero.flow.pipe(
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: {} }))),
      Effect.scoped,
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )

  it.live("with DINTERO_* set, the Dintero flow makes read-only calls against the configured host", () =>
    Effect.gen(function* () {
      const server = yield* DinteroTestServer.make()
      const url = yield* DinteroTestServer.listen(server)
      const account = DinteroTestServer.defaultAccount
      yield* Dintero.flow.pipe(
        Effect.provide(
          ConfigProvider.layer(
            ConfigProvider.fromEnv({
              env: {
                DINTERO_ACCOUNT_ID: account.accountId,
                DINTERO_CLIENT_ID: account.clientId,
                DINTERO_CLIENT_SECRET: account.clientSecret,
                DINTERO_API_URL: url,
                DINTERO_CHECKOUT_URL: url
              }
            })
          )
        ),
        Effect.scoped
      )
      const log = yield* server.requests
      assert.deepStrictEqual(
        log.map((r) => `${r.method} ${r.path} ${r.status}`),
        [`POST /v1/accounts/${account.accountId}/auth/token 200`, "GET /v1/transactions 200"]
      )
    }).pipe(
      Effect.scoped,
      Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )
})
