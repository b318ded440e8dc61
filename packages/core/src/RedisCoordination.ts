/**
 * Several replicas of an app, one credential set: tokens, refresh locks, used PKCE states and request quotas
 * shared through Redis, on effect's `Redis` service (`effect/persistence/Redis`). nordkit ships no Redis client:
 * the app provides one, e.g. `NodeRedis.layer({ url, disableOfflineQueue: true })` from
 * `@effect/platform-node/NodeRedis` (without `disableOfflineQueue`, node-redis queues commands while Redis is down,
 * and closing the client then waits for them: shutdown hangs until Redis is back).
 *
 * - {@link layer}: the `TokenCoordinator` — one token request per expiry across processes (a lock with a TTL,
 *   a fencing value and a heartbeat; waiters are woken by pub/sub and poll as a fallback; a dead holder's lock
 *   expires after `lockTtl` and the next waiter takes over).
 * - {@link layerTokenStore}: a `TokenStore` in Redis (Monerium sessions shared by every replica); a write made
 *   while holding a credential's lock is a compare-and-set on that lock, so a holder that lost it cannot
 *   overwrite a newer grant.
 * - {@link layerUsedStates}: PKCE/OAuth2 states consumed once across replicas (`SET NX PX`).
 * - {@link layerRateLimiter}: effect's `RateLimiter` on `RateLimiter.layerStoreRedis` (shared quotas, e.g. one
 *   Dinero organization paced across replicas).
 * - {@link layerAll}: all four.
 *
 * Tokens are kept in Redis in clear (like any token store): protect the Redis instance like a password file.
 * No error carries a token, a refresh token, or the connection's password.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as RateLimiter from "effect/persistence/RateLimiter"
import * as Redis from "effect/persistence/Redis"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as AccessToken from "./AccessToken.ts"
import * as Pkce from "./Pkce.ts"
import * as TokenCoordinator from "./TokenCoordinator.ts"
import * as TokenStore from "./TokenStore.ts"

export interface Options {
  /** Prefix of every Redis key and channel nordkit uses. Default `nordkit:`. */
  readonly prefix?: string | undefined
  /**
   * How long a lock outlives a holder that stopped renewing it (a crashed process). The holder renews it every
   * third of it while it works. Default 10 s.
   */
  readonly lockTtl?: Duration.Input | undefined
  /** The longest a waiter sleeps between checks when no notification arrives. Default 250 ms. */
  readonly pollInterval?: Duration.Input | undefined
  /**
   * Deadline of each Redis command. A client that queues commands while reconnecting (node-redis does) would
   * otherwise hold every acquisition until Redis is back. Default 2 s.
   */
  readonly commandTimeout?: Duration.Input | undefined
}

const timeoutOf = (options: { readonly commandTimeout?: Duration.Input | undefined } | undefined) =>
  Math.max(1, Duration.toMillis(Duration.fromInputUnsafe(options?.commandTimeout ?? "2 seconds")))

/** Runs a Redis command with a deadline, mapping its failure (and the deadline) with `onError`. */
const command = <A, X>(
  effect: Effect.Effect<A, Redis.RedisError>,
  millis: number,
  onError: (error: unknown) => X
): Effect.Effect<A, X> =>
  effect.pipe(
    Effect.mapError(onError),
    Effect.timeoutOrElse({
      duration: millis,
      orElse: () => Effect.fail(onError(new Error(`no answer within ${millis} ms`)))
    })
  )

/** Describes a Redis failure without its cause's text (which may quote a connection URL with its password). */
export const describeError = (error: unknown): string => {
  const cause = (error as { cause?: unknown } | undefined)?.cause ?? error
  const name = cause instanceof Error ? cause.name : typeof cause
  const text = cause instanceof Error ? cause.message : ""
  const code = (cause as { code?: unknown } | undefined)?.code
  const kind = /^no answer within \d+ ms$/.test(text)
    ? text
    : /NOAUTH|WRONGPASS/.test(text)
      ? "authentication refused"
      : /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|closed|Socket|socket|connect/i.test(`${text} ${String(code)}`)
        ? "connection unavailable"
        : /NOSCRIPT|ERR|WRONGTYPE|OOM|READONLY|LOADING/.test(text)
          ? (text.match(/^(NOSCRIPT|ERR|WRONGTYPE|OOM|READONLY|LOADING)/)?.[1] ?? "command refused")
          : "request failed"
  return `redis ${kind} (${name})`
}

const lockScript = Redis.script((lockKey: string, fence: string, ttl: number) => [lockKey, fence, ttl], {
  numberOfKeys: 1,
  lua: `if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then return -100 end
return redis.call("PTTL", KEYS[1])`
}).withReturnType<number>()

const extendScript = Redis.script((lockKey: string, fence: string, ttl: number) => [lockKey, fence, ttl], {
  numberOfKeys: 1,
  lua: `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end
return 0`
}).withReturnType<number>()

const releaseScript = Redis.script(
  (lockKey: string, fence: string, channel: string, key: string) => [lockKey, fence, channel, key],
  {
    numberOfKeys: 1,
    lua: `if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("DEL", KEYS[1])
  redis.call("PUBLISH", ARGV[2], ARGV[3])
  return 1
end
return 0`
  }
).withReturnType<number>()

/** Sets KEYS[2] only while KEYS[1] (the lock) holds ARGV[1] and KEYS[2] still holds ARGV[2] ("" = absent). */
const casScript = Redis.script(
  (
    lockKey: string,
    valueKey: string,
    fence: string,
    expected: string,
    value: string,
    ttl: number,
    channel: string,
    key: string
  ) => [lockKey, valueKey, fence, expected, value, ttl, channel, key],
  {
    numberOfKeys: 2,
    lua: `if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
if (redis.call("GET", KEYS[2]) or "") ~= ARGV[2] then return -1 end
redis.call("SET", KEYS[2], ARGV[3], "PX", ARGV[4])
redis.call("PUBLISH", ARGV[5], ARGV[6])
return 1`
  }
).withReturnType<number>()

/** Sets KEYS[2] only while KEYS[1] (the lock) holds ARGV[1]. */
const fencedSetScript = Redis.script(
  (lockKey: string, valueKey: string, fence: string, value: string) => [lockKey, valueKey, fence, value],
  {
    numberOfKeys: 2,
    lua: `if redis.call("GET", KEYS[1]) ~= ARGV[1] then return 0 end
redis.call("SET", KEYS[2], ARGV[2])
return 1`
  }
).withReturnType<number>()

/** The lock the current fiber holds (set by the coordinator around an acquisition). */
const HeldLock = Context.Reference<{ readonly lockKey: string; readonly fence: string } | undefined>(
  "@nordkit/core/RedisCoordination/HeldLock",
  { defaultValue: () => undefined }
)

// The shared token outlives its expiry by a day, so the last grant stays readable for the next refresh.
const slotGraceMillis = 24 * 60 * 60_000

/**
 * The coordinator's backend on a `Redis` service. Keys: `<prefix>token:<key>` (the shared token, JSON as
 * `TokenStore.encode`), `<prefix>lock:<key>` (the fencing value); channel `<prefix>token-changed`.
 */
export const makeBackend = (
  options?: Options
): Effect.Effect<TokenCoordinator.Backend, never, Redis.Redis | Scope.Scope> =>
  Effect.gen(function* () {
    const redis = yield* Redis.Redis
    const prefix = options?.prefix ?? "nordkit:"
    const timeout = timeoutOf(options)
    const lockTtl = Math.max(100, Duration.toMillis(Duration.fromInputUnsafe(options?.lockTtl ?? "10 seconds")))
    const poll = Math.max(5, Duration.toMillis(Duration.fromInputUnsafe(options?.pollInterval ?? "250 millis")))
    const channel = `${prefix}token-changed`
    const tokenKey = (key: string) => `${prefix}token:${key}`
    const lockKey = (key: string) => `${prefix}lock:${key}`
    const acquireLock = redis.eval(lockScript)
    const extend = redis.eval(extendScript)
    const release = redis.eval(releaseScript)
    const cas = redis.eval(casScript)

    const failure = (operation: string, key: string) => (error: unknown) =>
      new TokenCoordinator.CoordinationError({ operation, key, detail: describeError(error) })

    // One subscription for every key; each message (a key) wakes that key's waiters.
    const signals = new Map<string, Deferred.Deferred<void>>()
    const signalOf = (key: string) => {
      let signal = signals.get(key)
      if (signal === undefined) {
        signal = Deferred.makeUnsafe<void>()
        signals.set(key, signal)
      }
      return signal
    }
    const notify = (key: string) => {
      const signal = signals.get(key)
      if (signal === undefined) return
      signals.delete(key)
      Deferred.doneUnsafe(signal, Exit.void)
    }
    const messages = yield* redis.subscribe(channel)
    // If the subscription ends for good, waiters still poll.
    yield* Effect.forkScoped(
      Effect.ignore(Effect.forever(Effect.map(Queue.take(messages), (message) => notify(message.message))))
    )

    const readRaw = (key: string) =>
      command(redis.send<string | null>("GET", tokenKey(key)), timeout, failure("read", key))
    // The shared token is a cache of the last acquisition: a value this version cannot read counts as none (the
    // holder replaces it), so an old or foreign format never blocks acquisitions.
    const decodeRaw = (_key: string, raw: string | null) =>
      Effect.succeed(raw === null ? Option.none() : TokenStore.decode(raw))
    const read = (key: string) => Effect.flatMap(readRaw(key), (raw) => decodeRaw(key, raw))

    const lock = <A>(
      key: string,
      check: Effect.Effect<Option.Option<A>, TokenCoordinator.CoordinationError>
    ): Effect.Effect<TokenCoordinator.LockOutcome<A>, TokenCoordinator.CoordinationError, Scope.Scope> =>
      Effect.gen(function* () {
        const fence = yield* Pkce.makeState
        const locked = lockKey(key)
        // One attempt: the lock (`Locked`), a usable token seen while waiting (`Ready`), or undefined after a wait
        // (woken by a notification, or by the poll / the lock's remaining TTL), to try again.
        const attempt = Effect.gen(function* () {
          // Taken before the attempt, so a release between the attempt and the wait is not missed.
          const signal = signalOf(key)
          const pttl = yield* command(acquireLock(locked, fence, lockTtl), timeout, failure("lock", key))
          if (pttl === -100) return { _tag: "Locked" } as const
          const ready = yield* check
          if (Option.isSome(ready)) return { _tag: "Ready", value: ready.value } as const
          yield* Effect.ignore(Effect.timeout(Deferred.await(signal), pttl > 0 ? Math.min(poll, pttl + 1) : poll))
          return undefined
        })
        const result = yield* Effect.repeat(attempt, { until: (outcome) => outcome !== undefined })
        if (result?._tag === "Ready") return result
        yield* Effect.addFinalizer(() =>
          Effect.ignore(command(release(locked, fence, channel, key), timeout, failure("release", key)))
        )
        // Renewed while held; a renewal that finds the lock gone stops renewing (the fenced writes then fail).
        yield* Effect.forkScoped(
          Effect.ignore(
            command(extend(locked, fence, lockTtl), timeout, failure("extend", key)).pipe(
              Effect.delay(Math.floor(lockTtl / 3)),
              Effect.repeat({ schedule: Schedule.spaced(Math.floor(lockTtl / 3)), while: (renewed) => renewed === 1 })
            )
          )
        )
        let expected = ""
        const lease: TokenCoordinator.Lease = {
          read: Effect.flatMap(readRaw(key), (raw) => {
            expected = raw ?? ""
            return decodeRaw(key, raw)
          }),
          write: (token) =>
            Effect.flatMap(Clock.currentTimeMillis, (now) =>
              Effect.map(
                command(
                  cas(
                    locked,
                    tokenKey(key),
                    fence,
                    expected,
                    TokenStore.encode(token),
                    Math.max(1, token.expiresAt - now) + slotGraceMillis,
                    channel,
                    key
                  ),
                  timeout,
                  failure("write", key)
                ),
                (result) => result === 1
              )
            ),
          within: (effect) => Effect.provideService(effect, HeldLock, { lockKey: locked, fence })
        }
        return { _tag: "Locked", lease } as const
      })

    return { read, lock }
  })

/** The Redis `TokenCoordinator`, on the `Redis` service in context. */
export const layer = (options?: Options): Layer.Layer<never, never, Redis.Redis> =>
  Layer.effect(TokenCoordinator.TokenCoordinator, Effect.map(makeBackend(options), TokenCoordinator.fromBackend))

/**
 * A `TokenStore` in Redis under `<prefix>store:<key>`. A `set` made while the fiber holds a credential's lock
 * (the coordinator runs acquisitions that way) is fenced: it fails with `TokenStoreError` when the lock has
 * been lost, instead of overwriting what a newer holder stored.
 */
export const makeTokenStore = (options?: {
  readonly prefix?: string | undefined
  readonly commandTimeout?: Duration.Input | undefined
}): Effect.Effect<TokenStore.Service, never, Redis.Redis> =>
  Effect.gen(function* () {
    const redis = yield* Redis.Redis
    const timeout = timeoutOf(options)
    const prefix = `${options?.prefix ?? "nordkit:"}store:`
    const fencedSet = redis.eval(fencedSetScript)
    const storeError = (operation: string, key: string) => (error: unknown) =>
      new TokenStore.TokenStoreError({ operation, key, detail: describeError(error) })
    return {
      get: (key) =>
        Effect.flatMap(
          command(redis.send<string | null>("GET", prefix + key), timeout, storeError("get", key)),
          (text): Effect.Effect<Option.Option<AccessToken.AccessToken>, TokenStore.TokenStoreError> => {
            if (text === null) return Effect.succeedNone
            const token = TokenStore.decode(text)
            return Option.isSome(token)
              ? Effect.succeed(token)
              : Effect.fail(
                  new TokenStore.TokenStoreError({ operation: "get", key, detail: "stored value is not a token" })
                )
          }
        ),
      set: (key, token) =>
        Effect.flatMap(Effect.service(HeldLock), (held) =>
          held === undefined
            ? Effect.asVoid(
                command(redis.send("SET", prefix + key, TokenStore.encode(token)), timeout, storeError("set", key))
              )
            : Effect.flatMap(
                command(
                  fencedSet(held.lockKey, prefix + key, held.fence, TokenStore.encode(token)),
                  timeout,
                  storeError("set", key)
                ),
                (written) =>
                  written === 1
                    ? Effect.void
                    : Effect.fail(
                        new TokenStore.TokenStoreError({ operation: "set", key, detail: "the refresh lock was lost" })
                      )
              )
        ),
      remove: (key) => Effect.asVoid(command(redis.send("DEL", prefix + key), timeout, storeError("remove", key)))
    } satisfies TokenStore.Service
  })

/** The Redis `TokenStore` as a layer. */
export const layerTokenStore = (options?: {
  readonly prefix?: string | undefined
  readonly commandTimeout?: Duration.Input | undefined
}): Layer.Layer<TokenStore.TokenStore, never, Redis.Redis> =>
  Layer.effect(TokenStore.TokenStore, makeTokenStore(options))

/** Used states in Redis: `SET <prefix>state:<sha256(state)> 1 NX PX ttl` — the first replica to set it wins. */
export const makeUsedStates = (options?: {
  readonly prefix?: string | undefined
  readonly commandTimeout?: Duration.Input | undefined
}): Effect.Effect<Pkce.UsedStatesService, never, Redis.Redis> =>
  Effect.gen(function* () {
    const redis = yield* Redis.Redis
    const timeout = timeoutOf(options)
    const prefix = `${options?.prefix ?? "nordkit:"}state:`
    return {
      markUsed: (state, ttlMillis) =>
        Effect.flatMap(Pkce.challenge(state), (hash) =>
          command(
            Effect.map(
              redis.send<string | null>(
                "SET",
                prefix + hash,
                "1",
                "NX",
                "PX",
                String(Math.max(1, Math.ceil(ttlMillis)))
              ),
              (reply) => reply === "OK"
            ),
            timeout,
            (error) => new Pkce.UsedStatesError({ detail: describeError(error) })
          )
        )
    }
  })

/** Used PKCE/OAuth2 states shared by every replica (the app opts in by providing this layer). */
export const layerUsedStates = (options?: {
  readonly prefix?: string | undefined
  readonly commandTimeout?: Duration.Input | undefined
}): Layer.Layer<never, never, Redis.Redis> => Layer.effect(Pkce.UsedStates, makeUsedStates(options))

/** effect's `RateLimiter` with its counters in Redis (`RateLimiter.layerStoreRedis`). */
export const layerRateLimiter = (options?: {
  readonly prefix?: string | undefined
}): Layer.Layer<RateLimiter.RateLimiter, never, Redis.Redis> =>
  RateLimiter.layer.pipe(
    Layer.provide(RateLimiter.layerStoreRedis({ prefix: `${options?.prefix ?? "nordkit:"}ratelimit:` }))
  )

/** Token coordination, token store, used states and rate limiter, all on the `Redis` service in context. */
export const layerAll = (
  options?: Options
): Layer.Layer<TokenStore.TokenStore | RateLimiter.RateLimiter, never, Redis.Redis> =>
  Layer.mergeAll(layer(options), layerTokenStore(options), layerUsedStates(options), layerRateLimiter(options))
