import { assert, describe, it } from "@effect/vitest"
import * as Digest from "effect/crypto/Digest"
import * as SecureRandom from "effect/crypto/SecureRandom"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import * as Pkce from "../src/Pkce.ts"

// RFC 7636 appendix B: the octets of the example verifier and the resulting verifier and S256 challenge.
const rfcOctets = new Uint8Array([
  116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91,
  88, 5, 88, 83, 132, 141, 121
])
const rfcVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
const rfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

describe("Pkce", () => {
  it.effect("the verifier and S256 challenge match RFC 7636 appendix B", () =>
    Effect.gen(function* () {
      const verifier = Pkce.verifierFromBytes(rfcOctets)
      assert.strictEqual(Redacted.value(verifier), rfcVerifier)
      assert.strictEqual(yield* Pkce.challenge(verifier), rfcChallenge)
      assert.strictEqual(yield* Pkce.challenge(rfcVerifier), rfcChallenge)
    })
  )

  it.effect("makePair draws 32 bytes from the provided SecureRandom and hashes with the provided Digest", () =>
    Effect.gen(function* () {
      const pair = yield* Pkce.makePair
      assert.strictEqual(Redacted.value(pair.verifier), rfcVerifier)
      assert.strictEqual(pair.challenge, rfcChallenge)
      assert.strictEqual(pair.method, "S256")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(
          Layer.succeed(
            SecureRandom.SecureRandom,
            SecureRandom.make((size) => rfcOctets.slice(0, size))
          ),
          Digest.layerWebCrypto
        )
      )
    )
  )

  it.effect("fresh verifiers are 43–128 unreserved characters, distinct, and redacted", () =>
    Effect.gen(function* () {
      const seen = new Set<string>()
      for (let i = 0; i < 50; i++) {
        const verifier = yield* Pkce.makeVerifier()
        const value = Redacted.value(verifier)
        assert.isTrue(Pkce.isValidVerifier(value))
        assert.strictEqual(value.length, 43)
        assert.notInclude(String(verifier), value)
        seen.add(value)
      }
      assert.strictEqual(seen.size, 50)
      assert.strictEqual(Redacted.value(yield* Pkce.makeVerifier(96)).length, 128)
      const tooShort = yield* Effect.exit(Pkce.makeVerifier(31))
      assert.isTrue(tooShort._tag === "Failure")
      const state = yield* Pkce.makeState
      assert.match(state, /^[A-Za-z0-9_-]{43}$/)
      assert.notStrictEqual(state, yield* Pkce.makeState)
    })
  )

  it.effect("a state is accepted once: missing, tampered, reused and expired states are refused", () =>
    Effect.gen(function* () {
      const guard = Pkce.makeStateGuard({ maxAgeMillis: 600_000 })
      const state = yield* Pkce.makeState
      const tampered = `${state.slice(0, -1)}${state.endsWith("A") ? "B" : "A"}`
      assert.strictEqual(yield* guard.consume({ expected: state, received: undefined, issuedAt: 0 }), "missing")
      assert.strictEqual(yield* guard.consume({ expected: state, received: tampered, issuedAt: 0 }), "mismatch")
      assert.strictEqual(yield* guard.consume({ expected: state, received: `${state}x`, issuedAt: 0 }), "mismatch")
      assert.strictEqual(yield* guard.consume({ expected: state, received: state, issuedAt: 0 }), undefined)
      assert.strictEqual(yield* guard.consume({ expected: state, received: state, issuedAt: 0 }), "reused")
      const late = yield* Pkce.makeState
      yield* TestClock.adjust("11 minutes")
      assert.strictEqual(yield* guard.consume({ expected: late, received: late, issuedAt: 0 }), "expired")
    })
  )

  it("constantTimeEquals compares exactly", () => {
    assert.isTrue(Pkce.constantTimeEquals("abc", "abc"))
    assert.isFalse(Pkce.constantTimeEquals("abc", "abd"))
    assert.isFalse(Pkce.constantTimeEquals("abc", "abcd"))
    assert.isFalse(Pkce.constantTimeEquals("", "a"))
  })

  it.effect("an issuedAt in the future is refused, and is not remembered", () =>
    Effect.gen(function* () {
      const guard = Pkce.makeStateGuard({ maxAgeMillis: 600_000 })
      yield* TestClock.adjust("1 hour")
      const now = 3_600_000
      const state = yield* Pkce.makeState
      const year5000 = Date.UTC(5000, 0, 1)
      assert.strictEqual(yield* guard.consume({ expected: state, received: state, issuedAt: year5000 }), "future")
      assert.strictEqual(yield* guard.consume({ expected: state, received: state, issuedAt: now + 61_000 }), "future")
      assert.strictEqual(yield* guard.consume({ expected: state, received: state, issuedAt: Number.NaN }), "future")
      // Within the 60 s skew a record from a slightly fast clock is accepted, once.
      assert.strictEqual(yield* guard.consume({ expected: state, received: state, issuedAt: now + 30_000 }), undefined)
      assert.strictEqual(yield* guard.consume({ expected: state, received: state, issuedAt: now }), "reused")
    }).pipe(Effect.provide(Pkce.layerUsedStatesMemory))
  )

  it.effect("the used-state memory forgets a state once its lifetime is over, and only then", () =>
    Effect.gen(function* () {
      const used = Pkce.makeUsedStatesMemory()
      assert.isTrue(yield* used.markUsed("a", 1_000))
      yield* TestClock.adjust(500)
      assert.isTrue(yield* used.markUsed("b", 1_000))
      assert.isFalse(yield* used.markUsed("a", 1_000))
      yield* TestClock.adjust(500)
      // "a" has expired (evicted from the front), "b" has not.
      assert.isTrue(yield* used.markUsed("a", 1_000))
      assert.isFalse(yield* used.markUsed("b", 1_000))
    })
  )

  it.effect("the guard records consumed states in the UsedStates service provided as a layer", () =>
    Effect.gen(function* () {
      const seen: Array<number> = []
      const recording: Pkce.UsedStatesService = {
        markUsed: (_state, ttl) =>
          Effect.sync(() => {
            seen.push(ttl)
            return seen.length === 1
          })
      }
      const guard = Pkce.makeStateGuard({ maxAgeMillis: 600_000 })
      const state = yield* Pkce.makeState
      const run = guard
        .consume({ expected: state, received: state, issuedAt: 0 })
        .pipe(Effect.provideService(Pkce.UsedStates, recording))
      assert.strictEqual(yield* run, undefined)
      assert.strictEqual(yield* run, "reused")
      // Remembered for the rest of the state's life plus the clock skew.
      assert.deepStrictEqual(seen, [660_000, 660_000])
      const failing: Pkce.UsedStatesService = {
        markUsed: () => Effect.fail(new Pkce.UsedStatesError({ detail: "down" }))
      }
      const other = yield* Pkce.makeState
      assert.strictEqual(
        yield* guard
          .consume({ expected: other, received: other, issuedAt: 0 })
          .pipe(Effect.provideService(Pkce.UsedStates, failing)),
        "unavailable"
      )
    })
  )

  it("redirect URIs must be absolute http(s) URLs", () => {
    assert.isTrue(Pkce.isHttpUrl("https://app.example/callback"))
    assert.isTrue(Pkce.isHttpUrl("http://127.0.0.1:8080/cb"))
    for (const bad of ["javascript:alert(1)", "data:text/html,x", "/callback", "", "ftp://x/y", "HTTPS//x"]) {
      assert.isFalse(Pkce.isHttpUrl(bad), bad)
    }
  })

  it.effect("a sealed record opens with its key only, and any change to it is refused", () =>
    Effect.gen(function* () {
      const key = yield* Pkce.sealingKey(yield* Pkce.makeState)
      const otherKey = yield* Pkce.sealingKey(new Uint8Array(32).fill(7))
      const payload = JSON.stringify({ state: "s", codeVerifier: "v".repeat(43), issuedAt: 1 })
      const sealed = yield* Pkce.seal(payload, key)
      assert.match(sealed, /^nk1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
      assert.notInclude(sealed, "codeVerifier")
      assert.strictEqual(yield* Pkce.unseal(sealed, key), payload)
      assert.notStrictEqual(yield* Pkce.seal(payload, key), sealed)
      const refused = (text: string, k = key) => Effect.map(Effect.flip(Pkce.unseal(text, k)), (e) => e._tag)
      assert.strictEqual(yield* refused(sealed, otherKey), "SealError")
      const last = sealed.at(-2) === "A" ? "B" : "A"
      assert.strictEqual(yield* refused(`${sealed.slice(0, -2)}${last}${sealed.at(-1)}`), "SealError")
      assert.strictEqual(yield* refused(sealed.slice(0, -4)), "SealError")
      assert.strictEqual(yield* refused(payload), "SealError")
      assert.strictEqual(yield* refused(`${sealed}.x`), "SealError")
      const short = yield* Effect.flip(Pkce.sealingKey(new Uint8Array(16)))
      assert.strictEqual(short.detail, "the key must be 32 bytes")
    })
  )

  it.effect(
    "a pending authorization round-trips, sealed or not; a bad verifier, a javascript: redirect or a tampered seal is None",
    () =>
      Effect.gen(function* () {
        const pending: Pkce.PendingAuthorization = {
          state: "state-1",
          codeVerifier: Redacted.make("v".repeat(43)),
          clientId: "client",
          redirectUri: "https://app.example/callback",
          issuedAt: 1_700_000_000_000
        }
        const text = Pkce.encodePending(pending)
        const back = Option.getOrThrow(Pkce.decodePending(text))
        assert.strictEqual(Redacted.value(back.codeVerifier), "v".repeat(43))
        assert.deepStrictEqual({ ...back, codeVerifier: null }, { ...pending, codeVerifier: null })
        assert.isTrue(Option.isNone(Pkce.decodePending(text.replace("v".repeat(43), "short"))))
        assert.isTrue(
          Option.isNone(Pkce.decodePending(text.replace("https://app.example/callback", "javascript:alert(1)")))
        )
        assert.isTrue(Option.isNone(Pkce.decodePending("{}")))
        const key = yield* Pkce.sealingKey(new Uint8Array(32).fill(3))
        const sealed = yield* Pkce.seal(text, key)
        assert.strictEqual(Option.getOrThrow(yield* Pkce.openPending(sealed, key)).state, "state-1")
        assert.isTrue(
          Option.isNone(yield* Pkce.openPending(`${sealed.slice(0, -1)}${sealed.endsWith("A") ? "B" : "A"}`, key))
        )
        assert.isTrue(Option.isNone(yield* Pkce.openPending(text, key)), "an unsealed record does not open as sealed")
      })
  )
})
