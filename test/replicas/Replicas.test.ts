/**
 * Replicas of an app as real node processes (`worker.ts`), coordinated through a real redis-server on a random
 * loopback port, against the provider test servers on loopback:
 *
 * - 8 processes × 100 concurrent cold callers on one Dintero credential → 1 token request; again 1 after expiry;
 * - a PKCE callback replayed to a second process is refused (shared used states), nothing exchanged twice;
 * - 4 processes × 10 rounds of simultaneous Monerium refreshes after expiry → no refresh token presented twice,
 *   no ReauthorizationRequiredError, one refresh per round;
 * - 4 processes bursting against one Dinero organization's quota → no 429;
 * - `kill -9` of the lock holder mid-acquisition → the others get a token within the lock TTL plus one round trip.
 *
 * "After expiry" moves each replica's Effect Clock forward (no waiting). Needs redis-server (`./nk test` installs
 * it as root); without it the tests report themselves skipped, except in CI.
 */
import type * as Effect from "effect/Effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Served, serve, spawnWorkers, type Worker } from "./harness.ts"
import * as RedisServer from "./RedisServer.ts"
import * as Servers from "./servers.ts"

const lockTtlMillis = 2_000

/** Every caller in every replica got one and the same token. */
const sameToken = (replies: ReadonlyArray<Record<string, any>>) =>
  replies.every((reply) => reply.distinctTokens === 1) && new Set(replies.map((reply) => reply.token)).size === 1
const hour = 3_600_000

describe.skipIf(!RedisServer.isAvailable() && process.env.CI === undefined)("replicas through Redis", () => {
  let redis: RedisServer.RedisServer
  let dintero: Served<any>
  let monerium: Served<any>
  let dinero: Served<any>
  let workers: Array<Worker> = []
  let moneriumApp: { clientId: string; redirectUri: string }

  beforeAll(async () => {
    const [DinteroTestServer, MoneriumTestServer, DineroTestServer] = await Promise.all([
      Servers.dintero(),
      Servers.monerium(),
      Servers.dinero()
    ])
    redis = await RedisServer.start()
    moneriumApp = {
      clientId: MoneriumTestServer.defaultCodeApp.clientId,
      redirectUri: MoneriumTestServer.defaultCodeApp.redirectUris[0]
    }
    dintero = await serve(DinteroTestServer.make({ tokenLifetimeSeconds: 3600 }))
    monerium = await serve(MoneriumTestServer.make())
    dinero = await serve(DineroTestServer.make({ rateLimit: { limit: 10, windowMillis: 1_000 } }))
    const account = DinteroTestServer.defaultAccount
    const dineroClient = DineroTestServer.defaultClient
    const organization = DineroTestServer.defaultOrganizations[0]
    workers = await spawnWorkers(8, (index) => ({
      name: `replica-${index}`,
      redisUrl: redis.url,
      lockTtlMillis,
      pollMillis: 100,
      urls: { dintero: dintero.url, monerium: monerium.url, dinero: dinero.url },
      dintero: { accountId: account.accountId, clientId: account.clientId, clientSecret: account.clientSecret },
      monerium: { ...moneriumApp, sessionKey: "user-1" },
      dinero: {
        clientId: dineroClient.clientId,
        clientSecret: dineroClient.clientSecret,
        organizationId: organization.organizationId,
        apiKey: organization.apiKey,
        // 20% over the server's window, for transit.
        limit: 10,
        windowMillis: 1_200
      }
    }))
  }, 120_000)

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()))
    await Promise.all([dintero?.close(), monerium?.close(), dinero?.close()])
    await redis?.stop()
  })

  const requestsOf = async (served: Served<any>) =>
    (await served.run(served.server.requests as Effect.Effect<ReadonlyArray<{ path: string; status: number }>>)) ?? []
  const advance = (group: Array<Worker>, millis: number) =>
    Promise.all(group.map((worker) => worker.send("advance", { millis })))

  it("8 processes × 100 concurrent cold callers on one Dintero credential: 1 token request; 1 after expiry; 1 per refresh window", async () => {
    await Promise.all(workers.map((worker) => worker.send("warm", { scenario: "dintero" })))
    const tokenRequests = async () =>
      (await requestsOf(dintero)).filter((request) => request.path.endsWith("/auth/token")).length
    const cold = await Promise.all(workers.map((worker) => worker.send("tokens", { scenario: "dintero", n: 100 })))
    expect(cold.map((reply) => reply.ok)).toEqual(Array(8).fill(100))
    expect(await tokenRequests()).toBe(1)
    expect(sameToken(cold)).toBe(true)

    await advance(workers, hour)
    const expired = await Promise.all(workers.map((worker) => worker.send("tokens", { scenario: "dintero", n: 100 })))
    expect(expired.map((reply) => reply.ok)).toEqual(Array(8).fill(100))
    expect(await tokenRequests()).toBe(2)
    expect(sameToken(expired)).toBe(true)
    expect(expired[0].token).not.toBe(cold[0].token)

    // Two minutes before that token's hard expiry (inside the refresh window): every replica answers at once with
    // the current token and starts a background refresh — one token request between them all.
    await advance(workers, hour - 5_000 - 120_000)
    const windowed = await Promise.all(workers.map((worker) => worker.send("tokens", { scenario: "dintero", n: 10 })))
    expect(sameToken(windowed) && windowed[0].token === expired[0].token).toBe(true)
    const deadline = Date.now() + 5_000
    while ((await tokenRequests()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    await new Promise((resolve) => setTimeout(resolve, 300))
    const refreshed = await Promise.all(workers.map((worker) => worker.send("tokens", { scenario: "dintero", n: 10 })))
    expect(await tokenRequests()).toBe(3)
    expect(sameToken(refreshed) && refreshed[0].token !== expired[0].token).toBe(true)
  })

  it("a Monerium callback replayed to a second process is refused; the code is exchanged once", async () => {
    const [first, second] = workers
    const { url, pending } = await first.send("authorize", { scenario: "monerium" })
    const callback = await monerium.run(monerium.server.approve(url))
    expect(await first.send("callback", { scenario: "monerium", url: callback, pending })).toMatchObject({ ok: true })
    const replay = await second.send("callback", { scenario: "monerium", url: callback, pending })
    expect(replay).toMatchObject({ ok: false, error: "StateMismatchError", problem: "reused" })
    expect(await monerium.run(monerium.server.grantsOf("authorization_code"))).toHaveLength(1)
  })

  it("4 processes × 10 rounds of simultaneous Monerium refreshes after expiry: no refresh token presented twice", async () => {
    const group = workers.slice(0, 4)
    const errors: Array<string> = []
    const before = ((await monerium.run(monerium.server.grantsOf("refresh_token"))) as Array<unknown>).length
    for (let round = 0; round < 10; round++) {
      await advance(group, hour + 60_000)
      const replies = await Promise.all(group.map((worker) => worker.send("tokens", { scenario: "monerium", n: 10 })))
      for (const reply of replies)
        errors.push(...Object.keys(reply.errors ?? {}), ...(reply.failed ? [reply.failed] : []))
      expect(sameToken(replies)).toBe(true)
    }
    const uses = (await monerium.run(monerium.server.refreshUses)) as Map<string, number>
    expect(errors).toEqual([])
    expect([...uses.values()].filter((count) => count > 1)).toEqual([])
    expect(await monerium.run(monerium.server.reuseDetections)).toBe(0)
    expect(((await monerium.run(monerium.server.grantsOf("refresh_token"))) as Array<unknown>).length - before).toBe(10)
  })

  it("4 processes bursting against one Dinero organization share its quota: no 429", async () => {
    const group = workers.slice(0, 4)
    await Promise.all(group.map((worker) => worker.send("warm", { scenario: "dinero" })))
    const started = performance.now()
    const replies = await Promise.all(group.map((worker) => worker.send("burst", { scenario: "dinero", n: 10 })))
    const elapsed = performance.now() - started
    expect(replies.map((reply) => reply.ok)).toEqual([10, 10, 10, 10])
    const api = (await requestsOf(dinero)).filter((request) => request.path.startsWith("/v1/"))
    expect(api.filter((request) => request.status === 429)).toHaveLength(0)
    expect(api.length).toBe(40)
    // 40 requests at 10 per window: the last ones waited for the fourth window.
    expect(elapsed).toBeGreaterThan(3 * 1_200 - 200)
  })

  it("kill -9 of the lock holder mid-acquisition: the others get a token within the lock TTL plus one round trip", async () => {
    const [holder, ...others] = workers.slice(5, 8)
    await advance(workers.slice(5, 8), 5 * hour)
    // The holder's token request reaches the server and never gets an answer.
    await dintero.run(dintero.server.hangNext(1, { pathIncludes: "/auth/token" }))
    const before = (await requestsOf(dintero)).length
    void holder.send("tokens", { scenario: "dintero", n: 5 }).catch(() => undefined)
    const hung = async () => (await requestsOf(dintero)).slice(before).some((request) => request.status === 0)
    const deadline = Date.now() + 5_000
    while (!(await hung()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await hung()).toBe(true)
    const waiting = others.map((worker) => worker.send("tokens", { scenario: "dintero", n: 20 }))
    await new Promise((resolve) => setTimeout(resolve, 300))
    const killed = performance.now()
    holder.process.kill("SIGKILL")
    const replies = await Promise.all(waiting)
    const recovered = performance.now() - killed
    expect(replies.map((reply) => reply.ok)).toEqual([20, 20])
    expect(sameToken(replies)).toBe(true)
    // The lock TTL plus one token round trip, with room for a loaded CI machine.
    expect(recovered).toBeLessThan(lockTtlMillis + 1_500)
    // The waiters sent nothing while the lock was held: the takeover made one request.
    await new Promise((resolve) => setTimeout(resolve, 100))
    const after = (await requestsOf(dintero)).slice(before).filter((request) => request.path.endsWith("/auth/token"))
    expect(after.map((request) => request.status)).toEqual([0, 200])
    console.log(`kill -9 recovery: ${recovered.toFixed(0)} ms (lock TTL ${lockTtlMillis} ms)`)
  })
})
