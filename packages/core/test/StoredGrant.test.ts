import { assert, describe, it } from "@effect/vitest"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AccessToken from "../src/AccessToken.ts"
import * as NordkitError from "../src/NordkitError.ts"
import * as StoredGrant from "../src/StoredGrant.ts"
import * as TokenStore from "../src/TokenStore.ts"

class Reauthorize extends Data.TaggedError("Reauthorize")<{
  readonly reason: StoredGrant.Reason
  readonly detail: string | undefined
}> {}

// The test clock starts at 0: this token has expired, so the first acquisition refreshes.
const expired = AccessToken.make({
  value: "access-0",
  issuedAt: -120_000,
  expiresInSeconds: 60,
  refreshToken: "refresh-0",
  extra: { profile: "p-1" }
})

const rotated = (n: number) =>
  AccessToken.make({ value: `access-${n}`, issuedAt: 0, expiresInSeconds: 3600, refreshToken: `refresh-${n}` })

/** A memory store that logs writes and can be told to refuse them. */
const makeStore = () => {
  const memory = TokenStore.makeMemory()
  const log: Array<string> = []
  const control = { failWrites: 0 }
  const store: TokenStore.Service = {
    get: memory.get,
    remove: (key) =>
      Effect.andThen(
        Effect.sync(() => log.push("remove")),
        memory.remove(key)
      ),
    set: (key, token) =>
      Effect.suspend(() => {
        if (control.failWrites > 0) {
          control.failWrites--
          log.push("set failed")
          return Effect.fail(new TokenStore.TokenStoreError({ operation: "set", key, detail: "down" }))
        }
        log.push(`set ${Redacted.value(token.value)}`)
        return memory.set(key, token)
      })
  }
  return { store, log, control }
}

const storedRefresh = (store: TokenStore.Service) =>
  Effect.map(store.get("alice"), (token) =>
    Option.map(token, (t) => (t.refreshToken === undefined ? undefined : Redacted.value(t.refreshToken)))
  )

const grant = (
  store: TokenStore.Service,
  refresh: (sent: string) => Effect.Effect<AccessToken.AccessToken, NordkitError.RequestError>,
  extra?: Partial<StoredGrant.Options<Reauthorize>>
) =>
  StoredGrant.make({
    provider: "test",
    store,
    key: "alice",
    skew: 5_000,
    refresh: (token) => refresh(Redacted.value(token)),
    reauthorize: (reason, detail) => new Reauthorize({ reason, detail }),
    sharedKeyParts: ["https://auth.test/token", "client", "alice"],
    ...extra
  })

/** A grant over an expired stored token whose refresh is answered 400 with these fields. */
const refusing = (fields: { readonly error?: string; readonly errorDescription?: string }) =>
  Effect.gen(function* () {
    const { store } = makeStore()
    yield* store.set("alice", expired)
    const { tokens } = yield* grant(store, () =>
      Effect.fail(
        new NordkitError.AuthenticationError({
          provider: "test",
          method: "POST",
          path: "/token",
          status: 400,
          ...fields
        })
      )
    )
    return { store, tokens }
  })

describe("StoredGrant", () => {
  it.effect("saves the rotated grant before returning the new access token", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { store, log } = makeStore()
        yield* store.set("alice", expired)
        log.length = 0
        const sent: Array<string> = []
        const { tokens } = yield* grant(
          store,
          (refreshToken) =>
            Effect.sync(() => {
              sent.push(refreshToken)
              log.push("refreshed")
              return rotated(1)
            }),
          { mergeExtra: true }
        )
        const token = yield* tokens.get
        assert.strictEqual(Redacted.value(token.value), "access-1")
        assert.deepStrictEqual(sent, ["refresh-0"])
        assert.deepStrictEqual(log, ["refreshed", "set access-1"])
        assert.deepStrictEqual(yield* storedRefresh(store), Option.some("refresh-1"))
        assert.deepStrictEqual(token.extra, { profile: "p-1" })
      })
    )
  )

  it.effect("a dead grant is forgotten and fails with the typed reauthorization error", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { store, tokens } = yield* refusing({ error: "invalid_grant", errorDescription: "refresh token retired" })
        const error = yield* Effect.flip(tokens.get)
        assert.instanceOf(error, Reauthorize)
        assert.strictEqual(error.reason, "invalid_grant")
        assert.strictEqual(error.detail, "refresh token retired")
        assert.isTrue(Option.isNone(yield* store.get("alice")))
        const again = yield* Effect.flip(tokens.get)
        assert.strictEqual(again._tag === "Reauthorize" ? again.reason : again._tag, "not_connected")
      })
    )
  )

  it.effect("another refused refresh keeps the grant (not a dead grant unless isDeadGrant says so)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { store, tokens } = yield* refusing({})
        const error = yield* Effect.flip(tokens.get)
        assert.strictEqual(error._tag, "AuthenticationError")
        assert.deepStrictEqual(yield* storedRefresh(store), Option.some("refresh-0"))
      })
    )
  )

  it.effect("a rotated grant the store refused is saved first on the next acquisition, not refreshed again", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { store, log, control } = makeStore()
        yield* store.set("alice", expired)
        log.length = 0
        const sent: Array<string> = []
        const { tokens } = yield* grant(store, (refreshToken) =>
          Effect.sync(() => {
            sent.push(refreshToken)
            return rotated(sent.length)
          })
        )
        control.failWrites = 3
        const error = yield* Effect.flip(tokens.get)
        assert.strictEqual(error._tag, "TokenStoreError")
        assert.deepStrictEqual(log, ["set failed", "set failed", "set failed"])
        // The store still holds the retired refresh token; the rotated one waits in memory.
        assert.deepStrictEqual(yield* storedRefresh(store), Option.some("refresh-0"))
        const token = yield* tokens.get
        assert.strictEqual(Redacted.value(token.value), "access-1")
        assert.deepStrictEqual(sent, ["refresh-0"])
        assert.deepStrictEqual(yield* storedRefresh(store), Option.some("refresh-1"))
      })
    )
  )

  it.effect("disconnect drops the unsaved token and the stored grant", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { store, control } = makeStore()
        yield* store.set("alice", expired)
        const { tokens, disconnect } = yield* grant(store, () => Effect.succeed(rotated(1)))
        control.failWrites = 3
        yield* Effect.flip(tokens.get)
        yield* disconnect
        const error = yield* Effect.flip(tokens.get)
        assert.strictEqual(error._tag === "Reauthorize" ? error.reason : error._tag, "not_connected")
      })
    )
  )
})
