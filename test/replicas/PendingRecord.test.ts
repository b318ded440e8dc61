import { assert, describe, it } from "@effect/vitest"
import { Pkce } from "@nordkit/core"
import { MoneriumAuth } from "@nordkit/monerium"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

const pending = (overrides?: Partial<MoneriumAuth.PendingAuthorization>) =>
  Effect.gen(function* () {
    const pair = yield* Pkce.makePair
    return {
      state: yield* Pkce.makeState,
      codeVerifier: pair.verifier,
      clientId: "app",
      redirectUri: "https://app.example/callback",
      issuedAt: 1_000,
      ...overrides
    } satisfies MoneriumAuth.PendingAuthorization
  })

describe("Monerium pending record", () => {
  it.effect("sealed with the app's key: opens intact, hides the verifier, refuses a forged or foreign record", () =>
    Effect.gen(function* () {
      const key = yield* Pkce.sealingKey(yield* Pkce.makeState)
      const record = yield* pending()
      const sealed = yield* MoneriumAuth.sealPending(record, key)
      assert.notInclude(sealed, Redacted.value(record.codeVerifier))
      assert.notInclude(sealed, record.state)
      const opened = yield* MoneriumAuth.openPending(sealed, key)
      assert.deepStrictEqual(
        { ...opened, codeVerifier: Redacted.value(opened.codeVerifier) },
        {
          ...record,
          codeVerifier: Redacted.value(record.codeVerifier)
        }
      )
      // A record re-issued in the year 5000 by someone without the key: the plain JSON form is not a sealed record.
      const forged = MoneriumAuth.encodePending({ ...record, issuedAt: Date.UTC(5000, 0, 1) })
      assert.strictEqual((yield* Effect.flip(MoneriumAuth.openPending(forged, key)))._tag, "InvalidCallbackError")
      const otherKey = yield* Pkce.sealingKey(yield* Pkce.makeState)
      assert.strictEqual((yield* Effect.flip(MoneriumAuth.openPending(sealed, otherKey)))._tag, "InvalidCallbackError")
    })
  )

  it.effect("a record whose redirect URI is not http(s) is refused", () =>
    Effect.gen(function* () {
      const record = yield* pending({ redirectUri: "javascript:alert(document.cookie)" })
      const error = yield* Effect.flip(MoneriumAuth.decodePending(MoneriumAuth.encodePending(record)))
      assert.strictEqual(error._tag, "InvalidCallbackError")
      const fine = yield* pending()
      const decoded = yield* MoneriumAuth.decodePending(MoneriumAuth.encodePending(fine))
      assert.strictEqual(decoded.redirectUri, fine.redirectUri)
    })
  )
})
