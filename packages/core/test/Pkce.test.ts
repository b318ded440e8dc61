import { assert, describe, it } from "@effect/vitest"
import * as Digest from "effect/crypto/Digest"
import * as SecureRandom from "effect/crypto/SecureRandom"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
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
})
