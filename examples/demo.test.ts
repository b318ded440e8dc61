import { execFile } from "node:child_process"
import { createServer } from "node:http"
import { fileURLToPath } from "node:url"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { DinteroTestServer } from "@nordkit/dintero/testing"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Dintero from "./flows/dintero.ts"

/** Runs the demo as a user would (`node examples/demo.ts`), with no provider variables set. */
const runDemo = () =>
  new Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resolve) => {
    const env: Record<string, string> = {}
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !/^(DINTERO|DINERO|MONERIUM|NETGIRO)_/.test(key)) env[key] = value
    }
    execFile(
      process.execPath,
      ["--conditions=@nordkit/source", fileURLToPath(new URL("./demo.ts", import.meta.url))],
      { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr })
    )
  })

describe("demo", () => {
  it("runs all four flows against their test servers and exits 0", { timeout: 150_000 }, async () => {
    const { code, stdout, stderr } = await runDemo()
    assert.strictEqual(code, 0, `demo exited with ${code}: ${stderr.slice(0, 2000)}`)
    assert.include(stdout, "all 5 flow(s) completed")
    assert.notInclude(stdout + stderr, "FAILED")
    for (const provider of ["Dintero", "Dinero", "Monerium", "Netg"]) assert.include(stdout, provider)
    // The replicas flow: shown with redis-server installed, else it says how to get it.
    assert.match(stdout, /replicas × 50 concurrent cold callers → 1 token request|redis-server is not installed/)
  })

  it.live("the Dintero flow walks a checkout against its own test server and prints what it did", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const console = { ...globalThis.console, log: (...args: ReadonlyArray<unknown>) => lines.push(args.join(" ")) }
      yield* Dintero.flow.pipe(
        Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: {} }))),
        Effect.provideService(Console.Console, console),
        Effect.scoped
      )
      const output = lines.join("\n")
      assert.match(output, /Dintero test server on http:\/\/127\.0\.0\.1:\d+/)
      assert.match(output, /session {4}created /)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici))
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
