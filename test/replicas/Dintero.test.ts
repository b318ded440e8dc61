/**
 * 8 replicas × 100 concurrent cold callers on one Dintero credential, coordinated through a real Redis:
 * exactly one token request at the test server, and again exactly one after the token expired.
 */

import type * as Effect from "effect/Effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Served, serve, spawnWorkers, type Worker } from "./harness.ts"
import * as RedisServer from "./RedisServer.ts"
import * as Servers from "./servers.ts"

describe("replicas: one Dintero credential", () => {
  let redis: RedisServer.RedisServer
  let served: Served<any>
  let workers: Array<Worker> = []

  beforeAll(async () => {
    redis = await RedisServer.start()
    const DinteroTestServer = await Servers.dintero()
    served = await serve(DinteroTestServer.make({ tokenLifetimeSeconds: 3600 }))
    const account = DinteroTestServer.defaultAccount
    workers = await spawnWorkers(8, (index) => ({
      scenario: "dintero",
      name: `dintero-${index}`,
      redisUrl: redis.url,
      apiUrl: served.url,
      dintero: { accountId: account.accountId, clientId: account.clientId, clientSecret: account.clientSecret }
    }))
  })

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()))
    await served?.close()
    await redis?.stop()
  })

  const tokenRequests = async () => {
    const requests = (await served.run(served.server.requests as Effect.Effect<ReadonlyArray<{ path: string }>>)) ?? []
    return requests.filter((request) => request.path.endsWith("/auth/token")).length
  }

  it("8 processes × 100 concurrent cold callers: exactly 1 token request; the same after expiry", async () => {
    const cold = await Promise.all(workers.map((worker) => worker.send("tokens", { n: 100 })))
    expect(cold.map((reply) => reply.ok)).toEqual(Array(8).fill(100))
    expect(await tokenRequests()).toBe(1)
    // Every replica holds the same token.
    expect(new Set(cold.map((reply) => reply.distinctTokens))).toEqual(new Set([1]))

    // An hour later (each replica's Effect Clock moves on; the server's token has expired for them).
    await Promise.all(workers.map((worker) => worker.send("advance", { millis: 3_600_000 })))
    const expired = await Promise.all(workers.map((worker) => worker.send("tokens", { n: 100 })))
    expect(expired.map((reply) => reply.ok)).toEqual(Array(8).fill(100))
    expect(await tokenRequests()).toBe(2)
  })
})
