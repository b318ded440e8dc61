/**
 * Where a user's tokens live between requests and across restarts: a service keyed by a session key, with an
 * in-memory implementation (`layerMemory`, an explicit choice: layers that persist tokens name `TokenStore` in their
 * requirements) and a persistent one on effect's `KeyValueStore` (a directory of files
 * on Node with `KeyValueStore.layerFileSystem`, `localStorage` in a browser with `KeyValueStore.layerStorage`,
 * SQL, Redis, ...).
 *
 * Rotating refresh tokens (Monerium) make the store part of correctness: a client saves the rotated refresh
 * token here *before* it uses the new access token, so a crash can never leave it holding only a refresh token
 * the server has already retired.
 *
 * The persistent format is JSON with the token values in clear (the store *is* the secret): protect the
 * directory or storage like a password file. Errors never carry token values.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as KeyValueStore from "effect/persistence/KeyValueStore"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as AccessToken from "./AccessToken.ts"

/** The store could not be read or written. Names the operation and key, never a value. */
export class TokenStoreError extends /* @__PURE__ */ Data.TaggedError("TokenStoreError")<{
  readonly operation: string
  readonly key: string
  readonly detail: string
}> {
  override get message(): string {
    return `token store ${this.operation} ${this.key} failed: ${this.detail}`
  }
}

export interface Service {
  readonly get: (key: string) => Effect.Effect<Option.Option<AccessToken.AccessToken>, TokenStoreError>
  readonly set: (key: string, token: AccessToken.AccessToken) => Effect.Effect<void, TokenStoreError>
  readonly remove: (key: string) => Effect.Effect<void, TokenStoreError>
}

export class TokenStore extends Context.Service<TokenStore, Service>()("@nordkit/core/TokenStore") {}

/** A store in this process's memory: tokens live as long as the store (an explicit choice, see `layerMemory`). */
export const makeMemory = (): Service => {
  const tokens = new Map<string, AccessToken.AccessToken>()
  return {
    get: (key) => Effect.sync(() => Option.fromUndefinedOr(tokens.get(key))),
    set: (key, token) =>
      Effect.sync(() => {
        tokens.set(key, token)
      }),
    remove: (key) =>
      Effect.sync(() => {
        tokens.delete(key)
      })
  }
}

export const layerMemory: Layer.Layer<TokenStore> = Layer.sync(TokenStore, makeMemory)

/** The stored JSON form of a token (format version 1). */
export const Stored = Schema.Struct({
  v: Schema.Literal(1),
  accessToken: Schema.String,
  tokenType: Schema.String,
  issuedAt: Schema.Finite,
  expiresAt: Schema.Finite,
  scope: Schema.optional(Schema.String),
  refreshToken: Schema.optional(Schema.String),
  extra: Schema.Record(Schema.String, Schema.Unknown)
})
export type Stored = typeof Stored.Type

const toStored = (token: AccessToken.AccessToken): Stored => ({
  v: 1,
  accessToken: Redacted.value(token.value),
  tokenType: token.tokenType,
  issuedAt: token.issuedAt,
  expiresAt: token.expiresAt,
  ...(token.scope === undefined ? {} : { scope: token.scope }),
  ...(token.refreshToken === undefined ? {} : { refreshToken: Redacted.value(token.refreshToken) }),
  extra: token.extra
})

const fromStored = (stored: Stored): AccessToken.AccessToken => ({
  value: Redacted.make(stored.accessToken),
  tokenType: stored.tokenType,
  issuedAt: stored.issuedAt,
  expiresAt: stored.expiresAt,
  scope: stored.scope,
  refreshToken: stored.refreshToken === undefined ? undefined : Redacted.make(stored.refreshToken),
  extra: stored.extra
})

const storedJson = Schema.fromJsonString(Schema.toCodecJson(Stored))
const encodeStored = Schema.encodeSync(storedJson)
const decodeStored = Schema.decodeUnknownOption(storedJson)

/** Serializes a token for a persistent store (secrets in clear: the store must be protected). */
export const encode = (token: AccessToken.AccessToken): string => encodeStored(toStored(token))

/** Reads a token written by {@link encode}; `None` when the text is not one. */
export const decode = (text: string): Option.Option<AccessToken.AccessToken> =>
  Option.map(decodeStored(text), fromStored)

const storeError = (operation: string, key: string) => (error: KeyValueStore.KeyValueStoreError | Schema.SchemaError) =>
  new TokenStoreError({
    operation,
    key,
    // A schema issue may quote the stored value, which is a secret: only say what kind of failure it was.
    detail: Schema.isSchemaError(error) ? "stored value is not a token" : error.message
  })

/**
 * A persistent store on a `KeyValueStore` (`KeyValueStore.prefix` + `KeyValueStore.toSchemaStore`), keys prefixed
 * with `prefix` (default `nordkit-token:`). A stored value that cannot be read is a `TokenStoreError` (never
 * silently treated as "logged out").
 */
export const makeKeyValueStore = (
  store: KeyValueStore.KeyValueStore,
  options?: { readonly prefix?: string }
): Service => {
  const tokens = KeyValueStore.toSchemaStore(KeyValueStore.prefix(store, options?.prefix ?? "nordkit-token:"), Stored)
  return {
    get: (key) =>
      Effect.mapBoth(tokens.get(key), { onFailure: storeError("get", key), onSuccess: Option.map(fromStored) }),
    set: (key, token) => Effect.mapError(tokens.set(key, toStored(token)), storeError("set", key)),
    remove: (key) => Effect.mapError(tokens.remove(key), storeError("remove", key))
  }
}

/** The persistent store as a layer, on the `KeyValueStore` in context. */
export const layerKeyValueStore = (options?: {
  readonly prefix?: string
}): Layer.Layer<TokenStore, never, KeyValueStore.KeyValueStore> =>
  Layer.effect(
    TokenStore,
    Effect.map(Effect.service(KeyValueStore.KeyValueStore), (store) => makeKeyValueStore(store, options))
  )
