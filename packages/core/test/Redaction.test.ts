import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Redacted from "effect/Redacted"
import * as OAuth2 from "../src/OAuth2.ts"
import * as Redaction from "../src/Redaction.ts"

describe("Redaction", () => {
  it.effect(
    "finds the secrets a request carries: bearer, Basic (decoded and base64), secret headers, form fields",
    () =>
      Effect.gen(function* () {
        const request = HttpClientRequest.post("https://h/token").pipe(
          HttpClientRequest.setHeader("authorization", OAuth2.basicCredentials("id-1", "se cret+/")),
          HttpClientRequest.setHeader("x-api-key", "key-12345"),
          HttpClientRequest.setHeader("netgiro_signature", "sig-abcdef"),
          HttpClientRequest.setHeader("accept", "application/json"),
          HttpClientRequest.bodyUrlParams({
            grant_type: "authorization_code",
            code: "code-777",
            code_verifier: "ver-888"
          })
        )
        const secrets = yield* Redaction.collect(request)
        const text = [
          "se cret+/",
          "se+cret%2B%2F",
          btoa("id-1:se+cret%2B%2F"),
          "key-12345",
          "sig-abcdef",
          "code-777",
          "ver-888",
          "application/json",
          "authorization_code"
        ].join(" | ")
        assert.strictEqual(
          Redaction.scrub(text, secrets),
          "[redacted] | [redacted] | [redacted] | [redacted] | [redacted] | [redacted] | [redacted] | application/json | authorization_code"
        )
      })
  )

  it.effect("registered secrets are scrubbed in every form: as is, URL-encoded, JSON-escaped, base64", () =>
    Effect.gen(function* () {
      const secret = 'p"a ss/ø'
      const secrets = yield* Redaction.collect(undefined).pipe(Redaction.withSecrets([Redacted.make(secret)]))
      const forms = [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]
      for (const form of forms) assert.strictEqual(Redaction.scrub(`x${form}y`, secrets), "x[redacted]y", form)
      assert.deepStrictEqual(Redaction.scrubValue({ a: [secret], [secret]: 1 }, secrets), {
        a: ["[redacted]"],
        "[redacted]": 1
      })
    })
  )

  it("secrets shorter than 4 characters are not scrubbed (they would mangle ordinary text)", () => {
    assert.strictEqual(Redaction.scrub("abc abc", Redaction.prepare(["abc"])), "abc abc")
  })
})
