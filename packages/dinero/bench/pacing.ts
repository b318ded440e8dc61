/**
 * Measures the Dinero client over real loopback HTTP against its test server:
 * - per-call latency with a cached token, with and without the pacing middleware (its overhead);
 * - a burst against a server that enforces a quota, paced and unpaced (time taken, 429s met).
 *
 * Run: ./nk node --conditions=@nordkit/source packages/dinero/bench/pacing.ts
 */
import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { DineroClient } from "../src/index.ts"
import { DineroTestServer } from "../src/testing.ts"

const [organization] = DineroTestServer.defaultOrganizations
const client = DineroTestServer.defaultClient

const clientFor = (url: string, pacing: DineroClient.Options["pacing"]) =>
  DineroClient.make({
    clientId: client.clientId,
    clientSecret: Redacted.make(client.clientSecret),
    organizationId: organization.organizationId,
    apiKey: Redacted.make(organization.apiKey),
    authUrl: `${url}${DineroTestServer.tokenPath}`,
    apiUrl: url,
    ...(pacing === undefined ? {} : { pacing })
  })

/** Each test server on its own port: two apps served on one HttpServer would both see every request. */
const listen = (server: DineroTestServer.DineroTestServer) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
    return yield* DineroTestServer.listen(server).pipe(Effect.provide(context))
  })

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const start = performance.now()
    const value = yield* effect
    return [value, performance.now() - start] as const
  })

const program = Effect.gen(function* () {
  // Under the default quota (100 per 61 s) so that no call waits: what is measured is the middleware's cost.
  const calls = 99
  const open = yield* DineroTestServer.make({ rateLimit: false })
  const openUrl = yield* listen(open)
  for (const [label, pacing] of [
    ["pacing off", false],
    ["pacing on (default 100 per 61 s)", undefined],
    ["pacing off", false],
    ["pacing on (default 100 per 61 s)", undefined]
  ] as const) {
    const dinero = yield* clientFor(openUrl, pacing)
    yield* dinero.accessToken
    const [, ms] = yield* timed(
      Effect.forEach(Array.from({ length: calls }), () => dinero.listProducts(), { discard: true })
    )
    yield* Console.log(`${label}: ${calls} sequential calls, ${(ms / calls).toFixed(3)} ms/call`)
  }
  yield* Console.log(`token requests for 4 clients x ${calls} calls: ${(yield* open.tokenRequests).length}`)

  for (const [label, pacing] of [
    ["paced 20 per 1.05 s", { limit: 20, window: "1050 millis" }],
    ["unpaced", false]
  ] as const) {
    const strict = yield* DineroTestServer.make({ rateLimit: { limit: 20, windowMillis: 1_000, retryAfter: true } })
    const url = yield* listen(strict)
    const dinero = yield* clientFor(url, pacing)
    yield* dinero.accessToken
    // 100 calls at once: the default of the real client would wait a window; here the quota is 20 per second.
    const [results, ms] = yield* timed(
      Effect.forEach(Array.from({ length: 100 }), () => Effect.result(dinero.listProducts()), {
        concurrency: "unbounded"
      })
    )
    const failed = results.filter((r) => r._tag === "Failure").length
    const log = yield* strict.apiRequests
    const limited = log.filter((r) => r.status === 429).length
    yield* Console.log(`  (${log.length} API requests logged)`)
    yield* Console.log(
      `burst of 100 vs a 20/s quota, ${label}: ${(ms / 1000).toFixed(2)} s, ${limited} answered 429, ${failed} failed`
    )
  }
}).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))

Effect.runPromise(program).catch((error) => {
  console.error(error)
  process.exit(1)
})
