import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Pkce, TokenStore } from "@nordkit/core"
import { TestServer } from "@nordkit/core/testing"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Spans from "../../../test/faults/Spans.ts"
import { MoneriumBrowser, MoneriumClient, MoneriumMessage, MoneriumSchema, MoneriumServer } from "../src/index.ts"
import { MoneriumTestServer } from "../src/testing.ts"

const seed = MoneriumTestServer.seed
const { codeApp, partnerApp } = MoneriumTestServer.defaultCredentials

const setup = Effect.gen(function* () {
  const server = yield* MoneriumTestServer.make()
  const http = yield* MoneriumTestServer.makeClient(server)
  const partner = yield* MoneriumClient.make({
    apiUrl: "http://127.0.0.1",
    credentials: MoneriumClient.clientCredentials({
      clientId: partnerApp.clientId,
      clientSecret: Redacted.make(partnerApp.clientSecret)
    })
  }).pipe(Effect.provideService(HttpClient.HttpClient, http))
  return { server, partner }
})

const sepa = {
  identifier: { standard: "iban", iban: "EE127310138155512606682602" },
  details: { firstName: "Satoshi", lastName: "Nakamoto", country: "FR" }
} as const

describe("Monerium operations against the spec's answers", () => {
  it.effect("an onboarding (incomplete) profile and a state Monerium adds later both read", () =>
    Effect.gen(function* () {
      const { server, partner } = yield* setup
      const corporate = yield* partner.getProfile(seed.corporateProfileId)
      assert.strictEqual(corporate.state, "incomplete")
      assert.strictEqual(corporate.form?.state, "incomplete")
      assert.deepStrictEqual(
        (yield* partner.listProfilesBy({ state: "incomplete" })).map((p) => p.id),
        [seed.corporateProfileId]
      )
      yield* server.setProfileState(seed.corporateProfileId, "under_review")
      const all = yield* partner.listProfiles
      assert.deepStrictEqual(
        all.map((p) => p.state),
        ["approved", "under_review"]
      )
    })
  )

  it("an auth context in the published shape (no perms; auth method; roles) decodes", () => {
    const published = {
      userId: "4f079ef8-6d26-11eb-9bc8-acde48001122",
      email: "user@example.com",
      name: "user@example.com",
      roles: ["admin"],
      auth: { method: "password", subject: "user@example.com", verified: true },
      defaultProfile: "4f079ef8-6d26-11eb-9bc8-acde48001122",
      profiles: [{ id: "4f079ef8-6d26-11eb-9bc8-acde48001122", kind: "corporate", name: "Acme", state: "incomplete" }]
    }
    const decoded = Schema.decodeUnknownSync(MoneriumSchema.AuthContext)(published)
    assert.deepStrictEqual(decoded, published)
    // Fields are optional where the spec says so: a bare context still reads (lists default to empty).
    assert.deepStrictEqual(Schema.decodeUnknownSync(MoneriumSchema.AuthContext)({}), { roles: [], profiles: [] })
  })

  it.effect(
    "a Safe order (signature 0x) is Accepted (202): one request, never a DecodeError, pending signature listed",
    () =>
      Effect.gen(function* () {
        const { server, partner } = yield* setup
        const at = yield* Clock.currentTimeMillis
        const result = yield* partner.placeOrder({
          kind: "redeem",
          amount: "12",
          currency: "eur",
          address: seed.address,
          chain: "ethereum",
          counterpart: sepa,
          message: MoneriumMessage.orderMessage({
            amount: "12",
            currency: "eur",
            counterpart: sepa,
            at,
            shortIban: true
          }),
          signature: "0x"
        })
        assert.deepStrictEqual(result, { _tag: "Accepted" })
        const posts = (yield* server.requests).filter((r) => r.method === "POST" && r.path === "/orders")
        assert.strictEqual(posts.length, 1)
        const pending = yield* partner.getSignatures({ kind: "order" })
        assert.strictEqual(pending.total, 1)
        assert.strictEqual(
          pending.pending[0].message,
          "Send EUR 12 to EE12...2602 at " + MoneriumMessage.messageTimestamp(at)
        )
        assert.strictEqual(pending.pending[0].counterpart?.identifier.standard, "iban")
      })
  )

  it.effect("every NewOrder field reaches the server, and the answer carries them back", () =>
    Effect.gen(function* () {
      const { server, partner } = yield* setup
      const at = yield* Clock.currentTimeMillis
      const file = yield* partner.uploadFile({
        name: "agreement.pdf",
        type: "application/pdf",
        data: new TextEncoder().encode("%PDF-1.7 agreement")
      })
      assert.strictEqual(file.name, "agreement.pdf")
      assert.strictEqual(file.size, 18)
      assert.match(file.hash ?? "", /^[0-9a-f]{64}$/)
      const order: MoneriumSchema.NewOrder = {
        id: "0b8e4c8a-1111-4aaa-9bbb-000000000042",
        kind: "redeem",
        amount: "15000",
        currency: "isk",
        address: seed.address,
        chain: "ethereum",
        counterpart: {
          identifier: { standard: "iban", iban: "DK5000400440116243" },
          details: { companyName: "Nordic Rent ApS", country: "DK" }
        },
        memo: "Rent March 2026",
        referenceNumber: "RF18539007547034",
        supportingDocumentId: file.id!,
        profileId: seed.profileId,
        message: MoneriumMessage.orderMessage({
          amount: "15000",
          currency: "isk",
          counterpart: { identifier: { standard: "iban", iban: "DK5000400440116243" } },
          at
        }),
        signature: `0x${"ef".repeat(65)}`
      }
      const result = yield* partner.placeOrder(order)
      const sent = (yield* server.requests).find((r) => r.method === "POST" && r.path === "/orders")!
      assert.deepStrictEqual(JSON.parse(sent.body), order)
      assert.strictEqual(result._tag, "Placed")
      if (result._tag !== "Placed") return
      assert.strictEqual(result.order.id, order.id)
      assert.strictEqual(result.order.referenceNumber, order.referenceNumber)
      assert.strictEqual(result.order.memo, order.memo)
      assert.strictEqual(result.order.meta.supportingDocumentId, file.id)
      assert.deepStrictEqual(result.order.counterpart, order.counterpart)
    })
  )

  it.effect("the guides' SEPA counterpart `{ name, country }` is sent as written", () =>
    Effect.gen(function* () {
      const { server, partner } = yield* setup
      const at = yield* Clock.currentTimeMillis
      const counterpart = {
        identifier: { standard: "iban", iban: "DE89370400440532013000" },
        details: { name: "Jane Doe", country: "DE" }
      } as const
      const result = yield* partner.placeOrder({
        kind: "redeem",
        amount: "100",
        currency: "eur",
        address: seed.address,
        chain: "ethereum",
        counterpart,
        message: MoneriumMessage.orderMessage({ amount: "100", currency: "eur", counterpart, at }),
        signature: `0x${"ef".repeat(65)}`
      })
      assert.strictEqual(result._tag, "Placed")
      const sent = (yield* server.requests).find((r) => r.method === "POST" && r.path === "/orders")!
      assert.deepStrictEqual(JSON.parse(sent.body).counterpart, counterpart)
    })
  )

  it.effect("every Order field reaches the caller: bank-account counterpart, issue sender, meta", () =>
    Effect.gen(function* () {
      const { partner } = yield* setup
      const rejected = yield* partner.getOrder(seed.rejectedOrderId)
      assert.deepStrictEqual(rejected.counterpart.identifier, {
        standard: "account",
        accountNumber: "1234567890",
        address: "1725 Slough Avenue in Scranton, PA",
        bic: "DEUTDEDBFRA"
      })
      assert.strictEqual(rejected.meta.rejectedReason, "Declined due to insufficient funds.")
      assert.strictEqual(rejected.meta.supportingDocumentId, "3ebc51a8-044f-41ed-8b1f-4a76448b7b21")
      const issue = yield* partner.getOrder(seed.issueOrderId)
      assert.deepStrictEqual(issue.counterpart.details, {
        name: "Anna Jónsdóttir",
        address: "Laugavegur 1, 101 Reykjavík"
      })
      assert.strictEqual(issue.referenceNumber, "RF18539007547034")
      assert.deepStrictEqual(issue.meta.txHashes, [
        "0x692ff12125b71c167b3ea90bddb3b28edd60941851cb0cdd852cc3b6d79311cd"
      ])
      const byHash = yield* partner.listOrders({ txHash: issue.meta.txHashes![0] })
      assert.deepStrictEqual(
        byHash.map((o) => o.id),
        [seed.issueOrderId]
      )
    })
  )

  it.effect("each operation runs in a span named after it, with the HTTP attempt inside", () =>
    Effect.gen(function* () {
      const { partner } = yield* setup
      const recording = Spans.make()
      const spans = recording.spans
      yield* recording.provide(partner.getAddress(seed.gnosisAddress))
      yield* recording.provide(partner.listAddresses({ chain: "polygon" }))
      const names = spans.map((span) => span.name)
      assert.deepStrictEqual(
        names.filter((name) => name.startsWith("Monerium.")),
        ["Monerium.getAddress", "Monerium.listAddresses"]
      )
      const operation = spans.find((span) => span.name === "Monerium.getAddress")
      const child = spans.find(
        (span) => span !== operation && span.parent._tag === "Some" && span.parent.value === operation
      )
      assert.isDefined(child, "the HTTP request's span is a child of the operation's span")
    })
  )

  it.effect("addresses and IBANs: get one, filter by chain, request (202), move", () =>
    Effect.gen(function* () {
      const { server, partner } = yield* setup
      const address = yield* partner.getAddress(seed.gnosisAddress)
      assert.deepStrictEqual(address.chains, ["gnosis"])
      assert.deepStrictEqual(
        (yield* partner.listAddresses({ chain: "polygon" })).map((a) => a.address),
        [seed.corporateAddress]
      )
      const iban = yield* partner.getIban(seed.iban)
      assert.strictEqual(iban.chain, "ethereum")
      yield* partner.moveIban(seed.iban, { address: seed.gnosisAddress, chain: "gnosis" })
      const moved = yield* partner.getIban(seed.iban.replace(/\s/g, ""))
      assert.deepStrictEqual([moved.address, moved.chain], [seed.gnosisAddress, "gnosis"])
      assert.deepStrictEqual(
        yield* partner.requestIban({
          address: seed.corporateAddress,
          chain: "polygon",
          profileId: seed.corporateProfileId
        }),
        { _tag: "Requested" }
      )
      // The whitelabel guide's `safeAddress` (for a Safe) reaches the server.
      yield* partner.linkAddress({
        profile: seed.profileId,
        address: `0x${"56".repeat(20)}`,
        chain: "gnosis",
        message: MoneriumMessage.linkAddressMessage,
        signature: "0x",
        safeAddress: `0x${"56".repeat(20)}`
      })
      const linkPost = (yield* server.requests).find((r) => r.method === "POST" && r.path === "/addresses")!
      assert.deepStrictEqual(
        [JSON.parse(linkPost.body).profile, JSON.parse(linkPost.body).safeAddress],
        [seed.profileId, `0x${"56".repeat(20)}`]
      )
      // The whitelabel guide names the customer's profile in the body (`profileId`); it reaches the server.
      const ibanPost = (yield* server.requests).find((r) => r.method === "POST" && r.path === "/ibans")!
      assert.strictEqual(JSON.parse(ibanPost.body).profileId, seed.corporateProfileId)
      assert.strictEqual((yield* partner.listIbans({ profile: seed.corporateProfileId })).length, 1)
      const tokens = yield* partner.getTokens
      assert.isTrue(tokens.some((t) => t.symbol === "EURe" && t.chain === "gnosis"))
    })
  )

  it.effect("refused before anything is sent: ids that leave their path segment, bad files, bad details", () =>
    Effect.gen(function* () {
      const { server, partner } = yield* setup
      yield* partner.listProfiles
      const before = (yield* server.requests).length
      for (const id of ["..", "a/b", "%2e%2e", ""]) {
        assert.strictEqual((yield* Effect.flip(partner.getOrder(id)))._tag, "InvalidRequestError", id)
        assert.strictEqual((yield* Effect.flip(partner.getIban(id)))._tag, "InvalidRequestError", id)
      }
      const big = new Uint8Array(5 * 1024 * 1024 + 1)
      const tooBig = yield* Effect.flip(partner.uploadFile({ name: "a.pdf", type: "application/pdf", data: big }))
      assert.strictEqual(tooBig._tag, "InvalidRequestError")
      const wrongType = yield* Effect.flip(
        partner.uploadFile({ name: "a.png", type: "image/png" as "image/jpeg", data: new Uint8Array(3) })
      )
      assert.strictEqual(wrongType._tag, "InvalidRequestError")
      const noCountry = yield* Effect.flip(
        partner.placeOrder({
          kind: "redeem",
          amount: "1",
          currency: "eur",
          address: seed.address,
          chain: "ethereum",
          counterpart: { identifier: sepa.identifier, details: { firstName: "Satoshi", lastName: "Nakamoto" } },
          message: "m",
          signature: "0x"
        })
      )
      assert.strictEqual(noCountry._tag, "InvalidRequestError")
      const twoForms = yield* Effect.flip(
        partner.placeOrder({
          kind: "redeem",
          amount: "1",
          currency: "eur",
          address: seed.address,
          chain: "ethereum",
          counterpart: {
            identifier: sepa.identifier,
            details: { companyName: "Acme", name: "Jane Doe", country: "DE" }
          },
          message: "m",
          signature: "0x"
        })
      )
      assert.strictEqual(twoForms._tag, "InvalidRequestError")
      assert.strictEqual((yield* server.requests).length, before, "nothing was sent")
    })
  )
})

describe("Sign-In with Ethereum", () => {
  it.effect(
    "a linked wallet's signed SIWE message: POST /auth, 302 read (not followed), code exchanged with PKCE",
    () =>
      Effect.gen(function* () {
        const server = yield* MoneriumTestServer.make()
        const http = yield* MoneriumTestServer.makeClient(server)
        const client = yield* MoneriumClient.make({
          apiUrl: "http://127.0.0.1",
          credentials: MoneriumClient.authorizationCode({
            clientId: codeApp.clientId,
            redirectUri: codeApp.redirectUris[0]
          })
        }).pipe(Effect.provideService(HttpClient.HttpClient, http), Effect.provide(TokenStore.layerMemory))
        const now = yield* Clock.currentTimeMillis
        const message = (address: string, expiresIn = 3_600_000) =>
          MoneriumMessage.siweMessage({
            domain: "app.example",
            address,
            appName: "Fjord Pay",
            uri: codeApp.redirectUris[0],
            chainId: 1,
            nonce: "8YOaY6qkvyf7F5lx",
            issuedAt: now,
            expirationTime: now + expiresIn,
            privacyPolicyUrl: "https://app.example/privacy",
            termsOfServiceUrl: "https://app.example/terms"
          })
        const signature = `0x${"ab".repeat(65)}`
        yield* client.authorizeSiwe({ message: message(seed.address), signature })
        assert.isTrue(yield* client.isConnected)
        assert.strictEqual((yield* client.authContext).userId, seed.userId)
        const [post] = (yield* server.requests).filter((r) => r.path === "/auth" && r.method === "POST")
        const form = new URLSearchParams(post.body)
        assert.strictEqual(form.get("authentication_method"), "siwe")
        assert.strictEqual(form.get("code_challenge_method"), "S256")
        assert.strictEqual(form.get("message"), message(seed.address))
        const [exchange] = yield* server.grantsOf("authorization_code")
        assert.match(new URLSearchParams(exchange.body).get("code_verifier") ?? "", /^[A-Za-z0-9_-]{43,128}$/)
        // An address no Monerium account has linked, or an expired message: refused, typed.
        const unknown = yield* Effect.flip(
          client.authorizeSiwe({ message: message(`0x${"99".repeat(20)}`), signature })
        )
        assert.strictEqual(unknown._tag, "AuthorizationDeniedError")
        const expired = yield* Effect.flip(client.authorizeSiwe({ message: message(seed.address, -1000), signature }))
        assert.strictEqual(expired._tag, "AuthorizationDeniedError")
      })
  )
})

describe("exchangeCode (the server half of the browser split)", () => {
  it.effect("a code the page read is exchanged with this client's redirect URI; unusable input is refused unsent", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      const http = yield* MoneriumTestServer.makeClient(server)
      const redirectUri = codeApp.redirectUris[1]
      const client = yield* MoneriumClient.make({
        apiUrl: "http://127.0.0.1",
        credentials: MoneriumClient.authorizationCode({ clientId: codeApp.clientId, redirectUri })
      }).pipe(Effect.provideService(HttpClient.HttpClient, http), Effect.provide(TokenStore.layerMemory))
      for (const grant of [
        { code: "", codeVerifier: "a".repeat(43) },
        { code: "abc", codeVerifier: "too-short" }
      ]) {
        assert.strictEqual((yield* Effect.flip(client.exchangeCode(grant)))._tag, "InvalidCallbackError")
      }
      assert.strictEqual((yield* server.tokenRequests).length, 0)
      // The browser's half, then the server's.
      const { url, pending } = yield* MoneriumBrowser.authorize({
        apiUrl: "http://127.0.0.1",
        clientId: codeApp.clientId,
        redirectUri
      })
      const code = yield* MoneriumBrowser.readCallback(yield* server.approve(url), pending)
      yield* client.exchangeCode(code)
      const [exchange] = yield* server.grantsOf("authorization_code")
      assert.strictEqual(new URLSearchParams(exchange.body).get("redirect_uri"), redirectUri)
      assert.strictEqual((yield* client.authContext).userId, seed.userId)
      // The state is single-use in the browser too.
      const again = yield* Effect.flip(MoneriumBrowser.readCallback(yield* server.approve(url), pending))
      assert.strictEqual(again._tag, "StateMismatchError")
    }).pipe(Effect.provide(Pkce.layerUsedStatesMemory))
  )
})

describe("MoneriumServer routes (the code flow's server half)", () => {
  it.live("exchange and token routes: same-origin JSON posts only; the refresh token never leaves the server", () =>
    Effect.gen(function* () {
      const server = yield* MoneriumTestServer.make()
      // One loopback HttpServer per app, each living as long as the test's scope.
      const serve = <E, R>(effect: Effect.Effect<string, E, R>) =>
        Effect.flatMap(Layer.build(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })), (context) =>
          effect.pipe(Effect.provide(context))
        )
      const apiUrl = yield* serve(MoneriumTestServer.listen(server))
      const store = TokenStore.makeMemory()
      const redirectUri = codeApp.redirectUris[0]
      const client = yield* MoneriumClient.make({
        apiUrl,
        credentials: MoneriumClient.authorizationCode({ clientId: codeApp.clientId, redirectUri })
      }).pipe(Effect.provideService(TokenStore.TokenStore, store))
      const origin = "https://app.example"
      const appUrl = yield* serve(TestServer.listen(MoneriumServer.exchangeRoute(client, { allowedOrigins: [origin] })))
      const tokenUrl = yield* serve(
        TestServer.listen(MoneriumServer.accessTokenRoute(client, { allowedOrigins: [origin] }))
      )
      const http = yield* HttpClient.HttpClient
      const post = (url: string, headers: Record<string, string>, body: string, contentType = "application/json") =>
        Effect.flatMap(
          http.execute(
            HttpClientRequest.post(url).pipe(
              HttpClientRequest.setHeaders(headers),
              HttpClientRequest.bodyText(body, contentType)
            )
          ),
          (response) =>
            Effect.map(response.text, (text) => ({ status: response.status, text, headers: response.headers }))
        )
      // The browser's part: authorization URL + PKCE, the user approves, the callback is read.
      const { url, pending } = yield* client.authorize()
      const callback = new URL(yield* server.approve(url))
      const code = callback.searchParams.get("code")!
      const body = JSON.stringify({ code, codeVerifier: Redacted.value(pending.codeVerifier) })

      assert.strictEqual((yield* post(appUrl, { origin: "https://evil.example" }, body)).status, 403)
      assert.strictEqual((yield* post(appUrl, {}, body)).status, 403)
      assert.strictEqual((yield* post(appUrl, { origin }, body, "text/plain")).status, 415)
      assert.strictEqual((yield* post(appUrl, { origin }, "{")).status, 400)
      assert.strictEqual((yield* post(appUrl, { origin }, `{"code":"${"x".repeat(9000)}"}`)).status, 413)
      assert.strictEqual((yield* server.tokenRequests).length, 0, "nothing refused reached Monerium")

      const exchanged = yield* post(appUrl, { origin }, body)
      assert.strictEqual(exchanged.status, 200)
      assert.strictEqual(exchanged.headers["cache-control"], "no-store")
      const answer = JSON.parse(exchanged.text)
      assert.deepStrictEqual(Object.keys(answer).sort(), ["access_token", "expires_in", "token_type"])
      assert.isTrue(yield* client.isConnected)
      // The same code again: Monerium refuses it (single use); the route says so without detail.
      const replay = yield* post(appUrl, { origin }, body)
      assert.deepStrictEqual([replay.status, JSON.parse(replay.text).error], [401, "AuthenticationError"])

      const token = yield* post(tokenUrl, { origin }, "{}")
      assert.strictEqual(token.status, 200)
      assert.isString(JSON.parse(token.text).access_token)
      assert.notInclude(token.text, "refresh")
      assert.strictEqual((yield* post(tokenUrl, { origin: "https://evil.example" }, "{}")).status, 403)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.scoped)
  )
})
