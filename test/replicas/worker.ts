/**
 * One replica of an app, as a real node process: a nordkit client on undici, coordinated through a real Redis
 * (`NodeRedis` + `RedisCoordination`). The parent test sends commands as JSON lines on stdin and reads JSON lines
 * on stdout. Its Effect Clock can be moved forward (`advance`) so "after expiry" needs no waiting.
 */

import { createHash } from "node:crypto"
import { createInterface } from "node:readline"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRedis from "@effect/platform-node/NodeRedis"
import * as RedisCoordination from "@nordkit/core/RedisCoordination"
import * as DineroClient from "@nordkit/dinero/DineroClient"
import * as DinteroClient from "@nordkit/dintero/DinteroClient"
import * as MoneriumAuth from "@nordkit/monerium/MoneriumAuth"
import * as MoneriumClient from "@nordkit/monerium/MoneriumClient"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"

export type Scenario = "dintero" | "monerium" | "dinero"

export interface WorkerConfig {
  readonly name: string
  readonly redisUrl: string
  readonly urls: { readonly dintero: string; readonly monerium: string; readonly dinero: string }
  readonly lockTtlMillis?: number
  readonly pollMillis?: number
  /** Share used PKCE states through Redis. */
  readonly sharedStates?: boolean
  readonly dintero?: { readonly accountId: string; readonly clientId: string; readonly clientSecret: string }
  readonly monerium?: { readonly clientId: string; readonly redirectUri: string; readonly sessionKey: string }
  readonly dinero?: {
    readonly clientId: string
    readonly clientSecret: string
    readonly organizationId: string
    readonly apiKey: string
    readonly limit: number
    readonly windowMillis: number
  }
}

const config = JSON.parse(process.env.NK_WORKER ?? "{}") as WorkerConfig

// The Effect Clock of this process, movable forward by the parent.
let offset = 0
const base = Clock.Clock.defaultValue()
const clock: Clock.Clock = {
  currentTimeMillisUnsafe: () => base.currentTimeMillisUnsafe() + offset,
  currentTimeMillis: Effect.sync(() => base.currentTimeMillisUnsafe() + offset),
  currentTimeNanosUnsafe: () => base.currentTimeNanosUnsafe() + BigInt(offset) * 1_000_000n,
  currentTimeNanos: Effect.sync(() => base.currentTimeNanosUnsafe() + BigInt(offset) * 1_000_000n),
  monotonicTimeNanosUnsafe: () => base.monotonicTimeNanosUnsafe(),
  monotonicTimeNanos: base.monotonicTimeNanos,
  sleep: (duration) => base.sleep(duration)
}

// No offline queue: while Redis is down, commands fail at once instead of waiting (and blocking shutdown).
const redis = NodeRedis.layer({ url: config.redisUrl, disableOfflineQueue: true })
const coordination = RedisCoordination.layerAll({
  lockTtl: config.lockTtlMillis ?? 10_000,
  pollInterval: config.pollMillis ?? 250
})
const shared = coordination.pipe(Layer.provideMerge(redis))

const clientLayer = (scenario: Scenario): Layer.Layer<any, any, any> => {
  switch (scenario) {
    case "dintero": {
      const c = config.dintero!
      return DinteroClient.layer({
        accountId: c.accountId,
        clientId: c.clientId,
        clientSecret: Redacted.make(c.clientSecret),
        apiUrl: config.urls.dintero
      })
    }
    case "monerium": {
      const c = config.monerium!
      return MoneriumClient.layer({
        apiUrl: config.urls.monerium,
        credentials: MoneriumClient.authorizationCode({
          clientId: c.clientId,
          redirectUri: c.redirectUri,
          sessionKey: c.sessionKey
        })
      })
    }
    case "dinero": {
      const c = config.dinero!
      return DineroClient.layer({
        clientId: c.clientId,
        clientSecret: Redacted.make(c.clientSecret),
        organizationId: c.organizationId,
        apiKey: Redacted.make(c.apiKey),
        authUrl: `${config.urls.dinero}/dineroapi/oauth/token`,
        apiUrl: config.urls.dinero,
        pacing: { limit: c.limit, window: c.windowMillis }
      })
    }
  }
}

// One runtime per scenario, built on first use (each with its own Redis connection).
const runtimes = new Map<Scenario, ManagedRuntime.ManagedRuntime<any, any>>()
const runtimeOf = (scenario: Scenario) => {
  let runtime = runtimes.get(scenario)
  if (runtime === undefined) {
    const layer = clientLayer(scenario).pipe(
      Layer.provideMerge(shared),
      Layer.provide(NodeHttpClient.layerUndici),
      Layer.provide(Layer.succeed(Clock.Clock, clock))
    )
    runtime = ManagedRuntime.make(layer as Layer.Layer<any, any, never>)
    runtimes.set(scenario, runtime)
  }
  return runtime
}
const disposeAll = () => Promise.all([...runtimes.values()].map((runtime) => runtime.dispose()))

type Reply = Record<string, unknown>

/** Runs `n` copies of `effect` at once and tallies successes and error tags. */
const concurrently = <A, E>(n: number, effect: Effect.Effect<A, E, any>) =>
  Effect.gen(function* () {
    const started = performance.now()
    const results = yield* Effect.forEach(Array.from({ length: n }), () => Effect.result(effect), {
      concurrency: "unbounded"
    })
    const errors: Record<string, number> = {}
    const values = new Set<string>()
    let ok = 0
    for (const result of results) {
      if (result._tag === "Success") {
        ok++
        const value = result.success as { value?: unknown }
        if (Redacted.isRedacted(value?.value)) values.add(Redacted.value(value.value as Redacted.Redacted<string>))
      } else {
        const tag = (result.failure as { _tag?: string })?._tag ?? "unknown"
        errors[tag] = (errors[tag] ?? 0) + 1
      }
    }
    // A fingerprint of the token the callers got (the same in every replica when they share one).
    const token =
      values.size === 1
        ? createHash("sha256")
            .update([...values][0])
            .digest("hex")
            .slice(0, 12)
        : undefined
    return { ok, errors, distinctTokens: values.size, token, millis: performance.now() - started }
  })

const accessToken = (scenario: Scenario) =>
  Effect.gen(function* () {
    switch (scenario) {
      case "dintero":
        return yield* (yield* DinteroClient.DinteroClient).accessToken
      case "monerium":
        return yield* (yield* MoneriumClient.MoneriumClient).accessToken
      case "dinero":
        return yield* (yield* DineroClient.DineroClient).accessToken
    }
  })

const handle = (command: { op: string; [key: string]: any }): Effect.Effect<Reply, unknown, any> => {
  switch (command.op) {
    case "ready":
      return Effect.succeed({ ready: true, pid: process.pid })
    case "warm":
      return Effect.succeed({ warm: true })
    case "advance":
      return Effect.sync(() => {
        offset += command.millis as number
        return { offset }
      })
    case "tokens":
      return concurrently(command.n, accessToken(command.scenario))
    case "burst":
      return concurrently(
        command.n,
        Effect.gen(function* () {
          return yield* (yield* DineroClient.DineroClient).listOrganizations()
        })
      )
    case "authorize":
      return Effect.gen(function* () {
        const client = yield* MoneriumClient.MoneriumClient
        const request = yield* client.authorize()
        return { url: request.url, pending: MoneriumAuth.encodePending(request.pending) }
      })
    case "callback":
      return Effect.gen(function* () {
        const client = yield* MoneriumClient.MoneriumClient
        const pending = yield* MoneriumAuth.decodePending(command.pending)
        const result = yield* Effect.result(client.handleCallback(command.url, pending))
        if (result._tag === "Success") return { ok: true }
        const failure = result.failure as { _tag: string; problem?: string }
        return { ok: false, error: failure._tag, problem: failure.problem }
      })
    default:
      return Effect.fail(new Error(`unknown op ${command.op}`))
  }
}

const write = (reply: Reply) => process.stdout.write(`${JSON.stringify(reply)}\n`)

const lines = createInterface({ input: process.stdin })
lines.on("line", (line) => {
  const command = JSON.parse(line) as { id: number; op: string; scenario?: Scenario }
  if (command.op === "exit") {
    void disposeAll().then(() => process.exit(0))
    return
  }
  const reply =
    command.op === "ready" || command.op === "advance"
      ? Effect.runPromise(handle(command) as Effect.Effect<Reply, unknown>)
      : runtimeOf(command.scenario ?? "dintero").runPromise(Effect.provideService(handle(command), Clock.Clock, clock))
  reply.then(
    (reply) => write({ id: command.id, ...reply }),
    (error: unknown) => write({ id: command.id, failed: String((error as { _tag?: string })?._tag ?? error) })
  )
})
lines.on("close", () => {
  void disposeAll().then(() => process.exit(0))
})
