/**
 * Benchmark: what Redis coordination costs a token provider (a real redis-server on loopback, started and
 * stopped here; the Dintero test server in memory, so the token endpoint costs next to nothing).
 *
 * 1. Cached token get (`client.accessToken` with a fresh token) — memory only vs `RedisCoordination.layer`:
 *    median ns per get over alternating samples, and the Redis commands the server processed meanwhile (must
 *    be 0: the fast path never leaves memory).
 * 2. Cold acquisition (invalidate, then get): median µs per acquisition, memory vs Redis, and Redis commands per
 *    acquisition (5 round trips: read, lock, read under the lock, compare-and-set, release; Redis also counts
 *    the commands inside the Lua scripts).
 *
 * Run: ./nk node --conditions=@nordkit/source bench/replicas.ts   (needs redis-server; Debian: apt-get install
 * redis-server)
 */
import { execFileSync } from "node:child_process"
import { cpus } from "node:os"
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import { RedisCoordination } from "@nordkit/core"
import { DinteroClient } from "@nordkit/dintero"
import { DinteroTestServer } from "@nordkit/dintero/testing"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as RedisServer from "../test/replicas/RedisServer.ts"

const GETS_PER_SAMPLE = 200_000
const SAMPLES = 9
const COLD_PER_SAMPLE = 200

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 0 ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[mid]
}

if (!RedisServer.isAvailable()) {
  console.log("bench/replicas: redis-server is not installed (Debian: apt-get install redis-server). Skipped.")
  process.exit(0)
}
const redis = await RedisServer.start()

/** Commands the Redis server has processed so far (INFO stats). */
const commandsProcessed = () => {
  const info = execFileSync(
    "redis-cli",
    ["-p", String(redis.port), "--no-auth-warning", "-a", redis.password, "INFO", "stats"],
    { encoding: "utf8" }
  )
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? Number.NaN)
}

const program = Effect.gen(function* () {
  const server = yield* DinteroTestServer.make()
  const account = DinteroTestServer.defaultAccount
  const client = DinteroClient.layer({
    accountId: account.accountId,
    clientId: account.clientId,
    clientSecret: Redacted.make(account.clientSecret),
    apiUrl: "http://127.0.0.1"
  }).pipe(Layer.provide(DinteroTestServer.layerClient(server)))
  const memory = yield* Layer.build(Layer.fresh(client))
  const coordinated = yield* Layer.build(
    Layer.fresh(client).pipe(
      Layer.provide(RedisCoordination.layer()),
      Layer.provide(NodeRedis.layer({ url: redis.url, disableOfflineQueue: true }))
    )
  )
  const inMemory = yield* Effect.service(DinteroClient.DinteroClient).pipe(Effect.provide(memory))
  const inRedis = yield* Effect.service(DinteroClient.DinteroClient).pipe(Effect.provide(coordinated))
  yield* inMemory.accessToken
  yield* inRedis.accessToken

  // 1. Cached gets.
  const getLoop = (c: DinteroClient.Service) =>
    Effect.gen(function* () {
      const start = performance.now()
      for (let i = 0; i < GETS_PER_SAMPLE; i++) yield* c.accessToken
      return ((performance.now() - start) * 1e6) / GETS_PER_SAMPLE
    })
  const cachedMemory: Array<number> = []
  const cachedRedis: Array<number> = []
  yield* getLoop(inMemory)
  yield* getLoop(inRedis)
  // What one redis-cli call adds to the count (its AUTH and INFO).
  const infoCost = -commandsProcessed() + commandsProcessed()
  const commandsBefore = commandsProcessed()
  for (let s = 0; s < SAMPLES; s++) {
    cachedMemory.push(yield* getLoop(inMemory))
    cachedRedis.push(yield* getLoop(inRedis))
  }
  const cachedCommands = commandsProcessed() - commandsBefore - infoCost

  // 2. Cold acquisitions.
  const coldLoop = (c: DinteroClient.Service) =>
    Effect.gen(function* () {
      const start = performance.now()
      for (let i = 0; i < COLD_PER_SAMPLE; i++) {
        yield* c.tokens.invalidate(yield* c.accessToken)
        yield* c.accessToken
      }
      return ((performance.now() - start) * 1e3) / COLD_PER_SAMPLE
    })
  const coldMemory: Array<number> = []
  const coldRedis: Array<number> = []
  yield* coldLoop(inMemory)
  yield* coldLoop(inRedis)
  const coldBefore = commandsProcessed()
  yield* coldLoop(inRedis)
  const coldCommands = (commandsProcessed() - coldBefore - infoCost) / COLD_PER_SAMPLE
  for (let s = 0; s < SAMPLES; s++) {
    coldMemory.push(yield* coldLoop(inMemory))
    coldRedis.push(yield* coldLoop(inRedis))
  }

  const cpu = cpus()[0]?.model ?? "unknown CPU"
  console.log(`bench/replicas — Node ${process.version}, ${cpus().length} × ${cpu}, redis-server on loopback`)
  console.log(
    `cached token get   memory ${median(cachedMemory).toFixed(0)} ns   Redis coordination ${median(cachedRedis).toFixed(0)} ns   Redis commands during ${SAMPLES * GETS_PER_SAMPLE} gets: ${cachedCommands}`
  )
  console.log(
    `cold acquisition   memory ${median(coldMemory).toFixed(0)} µs   Redis coordination ${median(coldRedis).toFixed(0)} µs   added ${(median(coldRedis) - median(coldMemory)).toFixed(0)} µs; ${coldCommands.toFixed(1)} Redis commands per acquisition (5 round trips: read, lock, read under the lock, compare-and-set, release; the rest run inside the Lua scripts)`
  )
})

try {
  await Effect.runPromise(Effect.scoped(program))
} finally {
  await redis.stop()
}
