import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as KeyValueStore from "effect/persistence/KeyValueStore"
import * as Redacted from "effect/Redacted"
import * as AccessToken from "../src/AccessToken.ts"
import * as TokenStore from "../src/TokenStore.ts"

const token = AccessToken.make({
  value: "CANARY-access-0a1b",
  issuedAt: 1_000,
  expiresInSeconds: 3600,
  refreshToken: "CANARY-refresh-2c3d",
  scope: "orders:read",
  extra: { profile: "p-1", userId: "u-1" }
})

const roundTrip = Effect.gen(function* () {
  const store = yield* TokenStore.TokenStore
  assert.isTrue(Option.isNone(yield* store.get("alice")))
  yield* store.set("alice", token)
  const read = Option.getOrThrow(yield* store.get("alice"))
  assert.strictEqual(Redacted.value(read.value), "CANARY-access-0a1b")
  assert.strictEqual(Redacted.value(read.refreshToken!), "CANARY-refresh-2c3d")
  assert.strictEqual(read.expiresAt, token.expiresAt)
  assert.strictEqual(read.issuedAt, 1_000)
  assert.strictEqual(read.scope, "orders:read")
  assert.deepStrictEqual(read.extra, { profile: "p-1", userId: "u-1" })
  assert.isTrue(Option.isNone(yield* store.get("bob")))
  yield* store.remove("alice")
  assert.isTrue(Option.isNone(yield* store.get("alice")))
})

describe("TokenStore", () => {
  it.effect("the in-memory store keeps tokens per key", () => roundTrip.pipe(Effect.provide(TokenStore.layerMemory)))

  it.effect("the KeyValueStore store round-trips every field", () =>
    roundTrip.pipe(Effect.provide(TokenStore.layerKeyValueStore().pipe(Layer.provide(KeyValueStore.layerMemory))))
  )

  it.effect("a file-system store keeps the token across layers (a restart)", () =>
    Effect.gen(function* () {
      const directory = `${process.env.TMPDIR ?? "/tmp"}/nordkit-tokenstore-${Date.now()}-${Math.random()}`
      const layer = () =>
        TokenStore.layerKeyValueStore().pipe(
          Layer.provide(KeyValueStore.layerFileSystem(directory)),
          Layer.provide(NodeServices.layer)
        )
      yield* Effect.flatMap(Effect.service(TokenStore.TokenStore), (store) => store.set("alice", token)).pipe(
        Effect.provide(layer())
      )
      const read = yield* Effect.flatMap(Effect.service(TokenStore.TokenStore), (store) => store.get("alice")).pipe(
        Effect.provide(layer())
      )
      assert.strictEqual(Redacted.value(Option.getOrThrow(read).refreshToken!), "CANARY-refresh-2c3d")
    })
  )

  it.effect("an unreadable stored value is an error that quotes no value", () =>
    Effect.gen(function* () {
      const kv = yield* KeyValueStore.KeyValueStore
      yield* kv.set("nordkit-token:alice", '{"accessToken":"CANARY-garbage-9f"}')
      const store = TokenStore.makeKeyValueStore(kv)
      const error = yield* Effect.flip(store.get("alice"))
      assert.strictEqual(error._tag, "TokenStoreError")
      assert.notInclude(JSON.stringify(error) + error.message + String(error), "CANARY-garbage-9f")
    }).pipe(Effect.provide(KeyValueStore.layerMemory))
  )

  it("encode/decode is lossless and redacts nothing it should keep", () => {
    const decoded = Option.getOrThrow(TokenStore.decode(TokenStore.encode(token)))
    assert.strictEqual(TokenStore.encode(decoded), TokenStore.encode(token))
    assert.isTrue(Option.isNone(TokenStore.decode("not json")))
  })
})
