/**
 * Benchmark: what the auth layer costs per request, and cold-start single-flight at scale.
 *
 * 1. Per request, over an in-memory transport (no sockets, so the auth machinery is not hidden by I/O):
 *    - "no auth":     ApiClient without a token provider (base URL, retry policy, status mapping)
 *    - "cached token": the same ApiClient with a bearer token provider whose token is cached
 *    Samples alternate between the two in one process; medians of per-request CPU µs (user + system) are compared.
 * 2. Cold start: 10,000 concurrent callers on an empty token cache; wall time until all have a token, and the
 *    number of token requests made (must be 1).
 *
 * Run: ./nk pnpm run bench   (or: ./nk node --conditions=@nordkit/source bench/auth-overhead.ts)
 */

import { cpus } from "node:os"
import { AccessToken, ApiClient, TokenProvider } from "@nordkit/core"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"

const REQUESTS_PER_SAMPLE = 2_000
const SAMPLES = 15
const COLD_CALLERS = 10_000
const COLD_SAMPLES = 9

/** A transport that answers every request at once with a small JSON body. */
const memoryTransport = HttpClient.make((request) =>
  Effect.succeed(
    HttpClientResponse.fromWeb(
      request,
      new Response('{"ok":true}', { status: 200, headers: { "content-length": "11" } })
    )
  )
)

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 0 ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[mid]
}

const program = Effect.gen(function* () {
  let tokenRequests = 0
  const tokens = yield* TokenProvider.make({
    acquire: () =>
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          tokenRequests++
          return AccessToken.make({
            value: "bench-token",
            issuedAt: clock.currentTimeMillisUnsafe(),
            expiresInSeconds: 3600
          })
        })
      )
  })
  const plain = ApiClient.make(memoryTransport, { provider: "bench", baseUrl: "https://api.bench.test" })
  const authed = ApiClient.make(memoryTransport, { provider: "bench", baseUrl: "https://api.bench.test", tokens })
  const request = HttpClientRequest.get("/v1/things/1")

  const sample = <ET>(api: ApiClient.ApiClient<never, ET>) =>
    Effect.gen(function* () {
      const start = process.cpuUsage()
      for (let i = 0; i < REQUESTS_PER_SAMPLE; i++) yield* api.ok(request)
      const used = process.cpuUsage(start)
      return (used.user + used.system) / REQUESTS_PER_SAMPLE
    })

  // Warm-up (JIT, token in cache).
  for (let i = 0; i < 3; i++) {
    yield* sample(plain)
    yield* sample(authed)
  }
  const plainTimes: Array<number> = []
  const authedTimes: Array<number> = []
  for (let i = 0; i < SAMPLES; i++) {
    plainTimes.push(yield* sample(plain))
    authedTimes.push(yield* sample(authed))
  }

  const coldTimes: Array<number> = []
  const coldRequests: Array<number> = []
  for (let i = 0; i < COLD_SAMPLES; i++) {
    let requests = 0
    const cold = yield* TokenProvider.make({
      acquire: () =>
        Effect.gen(function* () {
          requests++
          yield* Effect.sleep(5) // a token endpoint that takes 5 ms
          const now = yield* Effect.clockWith((c) => Effect.succeed(c.currentTimeMillisUnsafe()))
          return AccessToken.make({ value: "cold", issuedAt: now, expiresInSeconds: 3600 })
        })
    })
    const start = performance.now()
    yield* Effect.all(
      Array.from({ length: COLD_CALLERS }, () => cold.get),
      { concurrency: "unbounded", discard: true }
    )
    coldTimes.push(performance.now() - start)
    coldRequests.push(requests)
  }

  const p = median(plainTimes)
  const a = median(authedTimes)
  const cpu = cpus()[0]?.model ?? "unknown CPU"
  console.log(`machine: ${cpus().length} cores (${cpu}), Node ${process.version}`)
  console.log(`CPU per request, in-memory transport, median of ${SAMPLES} samples x ${REQUESTS_PER_SAMPLE} requests:`)
  console.log(`  no auth layer        ${p.toFixed(2)} µs`)
  console.log(`  cached bearer token  ${a.toFixed(2)} µs`)
  console.log(`  ratio                ${(a / p).toFixed(2)}x  (auth adds ${(a - p).toFixed(2)} µs per request)`)
  console.log(`  token requests during the run: ${tokenRequests}`)
  console.log(`cold start, ${COLD_CALLERS} concurrent callers, token endpoint taking 5 ms, median of ${COLD_SAMPLES}:`)
  console.log(
    `  all callers served in ${median(coldTimes).toFixed(1)} ms, token requests per run: ${[...new Set(coldRequests)].join(", ")}`
  )
})

Effect.runPromise(Effect.scoped(program)).catch((error) => {
  console.error(error)
  process.exit(1)
})
