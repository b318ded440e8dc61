import { assert, describe, it } from "@effect/vitest"
import { MoneriumMessage } from "../src/index.ts"

// The examples of Monerium's guides and OpenAPI document, as test vectors.
const at = Date.parse("2024-07-12T12:02:49Z")
const iban = { identifier: { standard: "iban", iban: "EE127310138155512606682602" } } as const

describe("MoneriumMessage: the messages a wallet signs", () => {
  it("a SEPA redeem order, full IBAN (OAuth guide: 'Send EUR 100 to EE12… at 2024-07-12T12:02:00Z')", () => {
    assert.strictEqual(
      MoneriumMessage.orderMessage({ amount: "100", currency: "eur", counterpart: iban, at }),
      "Send EUR 100 to EE127310138155512606682602 at 2024-07-12T12:02:00Z"
    )
  })

  it("the short IBAN form: first four, ..., last four (OAuth guide and OpenAPI)", () => {
    assert.strictEqual(
      MoneriumMessage.orderMessage({ amount: "100", currency: "eur", counterpart: iban, at, shortIban: true }),
      "Send EUR 100 to EE12...2602 at 2024-07-12T12:02:00Z"
    )
    assert.strictEqual(MoneriumMessage.shortIban("EE52 1273 8426 8857 1285"), "EE52...1285")
    assert.strictEqual(MoneriumMessage.shortIban("EE127310138155512606682602").length, 11)
  })

  it("a cross-chain order: address and chain (OAuth guide)", () => {
    assert.strictEqual(
      MoneriumMessage.orderMessage({
        amount: "50",
        currency: "eur",
        counterpart: {
          identifier: { standard: "chain", address: "0x4B4c34f35b0Bb9Af56418FAdD4677ce45ADF7760", chain: "gnosis" }
        },
        at
      }),
      "Send EUR 50 to 0x4B4c34f35b0Bb9Af56418FAdD4677ce45ADF7760 on gnosis at 2024-07-12T12:02:00Z"
    )
  })

  it("the OpenAPI examples, up to their timestamp (they show seconds; the guides say the minute, seconds zero)", () => {
    const full = MoneriumMessage.orderMessage({ amount: "1.23", currency: "eur", counterpart: iban, at })
    assert.strictEqual(full, "Send EUR 1.23 to EE127310138155512606682602 at 2024-07-12T12:02:00Z")
    assert.isTrue("Send EUR 1.23 to EE127310138155512606682602 at 2024-07-12T12:02:49Z".startsWith(full.slice(0, -3)))
    const cross = MoneriumMessage.orderMessage({
      amount: "1.23",
      currency: "eur",
      counterpart: {
        identifier: { standard: "chain", address: "0x4B4c34f35b0Bb9Af56418FAdD4677ce45ADF7760", chain: "ethereum" }
      },
      at
    })
    assert.strictEqual(
      cross,
      "Send EUR 1.23 to 0x4B4c34f35b0Bb9Af56418FAdD4677ce45ADF7760 on ethereum at 2024-07-12T12:02:00Z"
    )
    // The OpenAPI pattern for the IBAN form, with one change: it ends in `T\d{2}:\d{2}Z` (no seconds at all),
    // which contradicts its own examples (`12:02:49Z`) and the OAuth guide's code and example (`12:02:00Z`). The
    // helper follows the guide; this checks everything else in the pattern.
    const pattern =
      /^Send\s([A-Z]{3})\s(\d+(\.\d{1,2})?)\sto\s([A-Z]{2}\d{2}\s?([A-Z0-9]{4}\s?){1,7}[A-Z0-9]{1,4})\sat\s(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)$/
    assert.match(full, pattern)
    assert.isTrue(full.endsWith(":00Z"), "seconds are zero")
  })

  it("IBANs are written upper case without spaces; currencies upper case; the time truncated to the minute, UTC", () => {
    assert.strictEqual(
      MoneriumMessage.orderMessage({
        amount: "4",
        currency: "isk",
        counterpart: { identifier: { standard: "iban", iban: "is14 0159 2600 7654 5510 7303 39" } },
        at: new Date("2024-06-07T18:25:59.948+02:00")
      }),
      "Send ISK 4 to IS140159260076545510730339 at 2024-06-07T16:25:00Z"
    )
    assert.throws(() => MoneriumMessage.messageTimestamp(Number.NaN))
  })

  it("the address-linking declaration is the documented sentence", () => {
    assert.strictEqual(MoneriumMessage.linkAddressMessage, "I hereby declare that I am the address owner.")
  })
})

describe("MoneriumMessage.siweMessage", () => {
  it("reproduces the OAuth guide's SIWE example line for line", () => {
    const message = MoneriumMessage.siweMessage({
      domain: "example.com",
      address: "0xf9ca5763A2d7a908d9a565567C80C069eCDd1B52",
      appName: "AppName",
      uri: "https://example.com/callback",
      chainId: 1,
      nonce: "8YOaY6qkvyf7F5lx",
      issuedAt: Date.parse("2024-08-24T14:23:00Z"),
      expirationTime: new Date("2024-08-24T15:23:00Z"),
      privacyPolicyUrl: "https://example.com/privacy-policy",
      termsOfServiceUrl: "https://example.com/terms-of-service"
    })
    assert.strictEqual(
      message,
      `example.com wants you to sign in with your Ethereum account:
0xf9ca5763A2d7a908d9a565567C80C069eCDd1B52

Allow AppName to access my data on Monerium

URI: https://example.com/callback
Version: 1
Chain ID: 1
Nonce: 8YOaY6qkvyf7F5lx
Issued At: 2024-08-24T14:23:00Z
Expiration Time: 2024-08-24T15:23:00Z
Resources:
- https://monerium.com/siwe
- https://example.com/privacy-policy
- https://example.com/terms-of-service`
    )
  })
})
