import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Pkce, TokenStore } from "@nordkit/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { DineroClient, DineroVismaConnect } from "../src/index.ts"
import { DineroTestServer } from "../src/testing.ts"
import { codeFlowOptions, invoiceFor } from "./fixtures.ts"

const connect = DineroTestServer.defaultVismaConnectClient
const [org1, org2] = DineroTestServer.defaultOrganizations

const overLoopback = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.scoped,
    Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Effect.provide(NodeHttpClient.layerUndici)
  )

/** Plays the user's browser: follows the authorize URL and returns where Visma Connect redirects to. */
const browse = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url, { redirect: "manual" })
    return { status: response.status, location: response.headers.get("location") ?? "" }
  })

const setup = Effect.gen(function* () {
  const server = yield* DineroTestServer.make()
  const url = yield* DineroTestServer.listen(server)
  const store = TokenStore.makeMemory()
  const flow = yield* DineroVismaConnect.makeCodeFlow(codeFlowOptions(url)).pipe(
    Effect.provideService(TokenStore.TokenStore, store)
  )
  return { server, url, store, flow }
})

const refreshOf = (store: TokenStore.Service) =>
  Effect.map(store.get("user-1"), (t) =>
    Option.isSome(t) && t.value.refreshToken !== undefined ? Redacted.value(t.value.refreshToken) : undefined
  )

describe("Visma Connect", () => {
  it.live("the code flow completes (state, PKCE, exchange, refresh rotation) and the same client does the books", () =>
    overLoopback(
      Effect.gen(function* () {
        const { server, url, store, flow } = yield* setup
        const { url: authorizeUrl, pending } = yield* flow.authorize()
        const query = new URL(authorizeUrl).searchParams
        assert.strictEqual(new URL(authorizeUrl).pathname, "/connect/authorize")
        assert.strictEqual(query.get("code_challenge_method"), "S256")
        assert.strictEqual(query.get("response_type"), "code")
        assert.strictEqual(query.get("scope"), "dineropublicapi:read dineropublicapi:write offline_access")
        assert.strictEqual(query.get("state"), pending.state)
        assert.notInclude(authorizeUrl, Redacted.value(pending.codeVerifier), "the verifier never leaves the server")

        yield* server.setConsent([org1!.organizationId, org2!.organizationId])
        const redirect = yield* browse(authorizeUrl)
        assert.strictEqual(redirect.status, 302)
        assert.isTrue(redirect.location.startsWith(connect.redirectUris[0]!))

        const token = yield* flow.handleCallback(redirect.location, pending)
        assert.isDefined(token.refreshToken)
        const exchange = (yield* server.tokenRequests).at(-1)!
        const form = new URLSearchParams(exchange.body)
        assert.strictEqual(form.get("grant_type"), "authorization_code")
        assert.strictEqual(form.get("code_verifier"), Redacted.value(pending.codeVerifier))
        assert.strictEqual(form.get("redirect_uri"), connect.redirectUris[0])
        assert.strictEqual(
          exchange.headers.authorization,
          `Basic ${btoa(`${connect.clientId}:${connect.clientSecret}`)}`
        )

        // The state is single-use.
        const replay = yield* Effect.flip(flow.handleCallback(redirect.location, pending))
        assert.strictEqual(replay._tag, "StateMismatchError")

        // The same client, over the Visma Connect tokens, does the bookkeeping.
        const dinero = yield* DineroClient.makeWithTokens({
          organizationIds: [org1!.organizationId, org2!.organizationId],
          tokens: flow.tokens,
          apiUrl: url,
          pacingKey: connect.clientId
        })
        const organizations = yield* dinero.listOrganizations()
        assert.deepStrictEqual(
          organizations.map((o) => String(o.Id)),
          [org1!.organizationId, org2!.organizationId]
        )
        const contact = yield* dinero.createContact({ Name: "Visma Kunde ApS", CountryKey: "DK", IsPerson: false })
        const draft = yield* dinero.createInvoice(invoiceFor(contact.ContactGuid))
        const booked = yield* dinero.bookInvoice(draft.Guid, { Timestamp: draft.TimeStamp! })
        assert.strictEqual(booked.Status, "Booked")
        const file = yield* dinero.uploadFile({
          data: new TextEncoder().encode("%PDF-1.4 kvittering"),
          fileName: "kvittering.pdf",
          contentType: "application/pdf"
        })
        const voucher = yield* dinero.createPurchaseVoucher({
          PurchaseType: "cash",
          FileGuid: file.FileGuid,
          Lines: [{ Amount: "125", AccountNumber: 3600 }]
        })
        assert.strictEqual(
          (yield* dinero.bookPurchaseVoucher(voucher.Guid, { Timestamp: voucher.Timestamp! })).Status,
          "Paid"
        )
        const other = yield* dinero.organization(org2!.organizationId)
        yield* other.listContacts()

        // Refresh with rotation: the access token expires, the refresh token is used once and replaced.
        const before = yield* refreshOf(store)
        yield* server.tokens.expire()
        yield* dinero.listVatTypes()
        const refresh = (yield* server.tokenRequests).at(-1)!
        assert.strictEqual(new URLSearchParams(refresh.body).get("grant_type"), "refresh_token")
        assert.strictEqual(new URLSearchParams(refresh.body).get("refresh_token"), before)
        const after = yield* refreshOf(store)
        assert.isString(after)
        assert.notStrictEqual(after, before, "the rotated refresh token is in the store")
        const refreshes = (yield* server.tokenRequests).filter(
          (r) => new URLSearchParams(r.body).get("grant_type") === "refresh_token"
        )
        assert.lengthOf(refreshes, 1)

        // A retired refresh token replayed (someone stole it): the grant is revoked; the client must re-authorize.
        const stolen = yield* Effect.promise(() =>
          fetch(`${url}${DineroTestServer.connectTokenPath}`, {
            method: "POST",
            headers: {
              "content-type": "application/x-www-form-urlencoded",
              authorization: `Basic ${btoa(`${connect.clientId}:${connect.clientSecret}`)}`
            },
            body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: before! })
          }).then((r) => r.json() as Promise<{ error: string }>)
        )
        assert.strictEqual(stolen.error, "invalid_grant")
        yield* server.tokens.expire()
        const error = yield* Effect.flip(dinero.listVatTypes())
        assert.strictEqual(error._tag, "ReauthorizationRequiredError")
        assert.isFalse(yield* flow.isConnected, "the rejected grant is removed from the store")
      })
    )
  )

  it.live("a refused consent is an AuthorizationDeniedError; a forged state is refused before any exchange", () =>
    overLoopback(
      Effect.gen(function* () {
        const { server, flow } = yield* setup
        const first = yield* flow.authorize()
        yield* server.denyNextAuthorization()
        const denied = yield* browse(first.url)
        const error = yield* Effect.flip(flow.handleCallback(denied.location, first.pending))
        assert.strictEqual(error._tag, "AuthorizationDeniedError")

        const second = yield* flow.authorize()
        const redirect = yield* browse(second.url)
        const forged = redirect.location.replace(/state=[^&]+/, "state=forged")
        const mismatch = yield* Effect.flip(flow.handleCallback(forged, second.pending))
        assert.strictEqual(mismatch._tag, "StateMismatchError")
        const exchanges = (yield* server.tokenRequests).filter(
          (r) => new URLSearchParams(r.body).get("grant_type") === "authorization_code"
        )
        assert.lengthOf(exchanges, 0)
      })
    )
  )

  it.live("a pending authorization sealed for a cookie opens only with its key", () =>
    Effect.gen(function* () {
      const key = yield* Pkce.sealingKey(new Uint8Array(32).fill(7))
      const otherKey = yield* Pkce.sealingKey(new Uint8Array(32).fill(8))
      const pending: DineroVismaConnect.PendingAuthorization = {
        state: "s".repeat(43),
        codeVerifier: Redacted.make("v".repeat(43)),
        clientId: connect.clientId,
        redirectUri: connect.redirectUris[0]!,
        issuedAt: 1
      }
      const sealed = yield* DineroVismaConnect.sealPending(pending, key)
      assert.notInclude(sealed, "v".repeat(43))
      const opened = yield* DineroVismaConnect.unsealPending(sealed, key)
      assert.strictEqual(Redacted.value(opened.codeVerifier), "v".repeat(43))
      const refused = yield* Effect.flip(DineroVismaConnect.unsealPending(sealed, otherKey))
      assert.strictEqual(refused._tag, "InvalidCallbackError")
    })
  )

  it.live("a plain-http Visma Connect authority (not loopback) is a ConfigurationError: no secret sent in clear", () =>
    overLoopback(
      Effect.gen(function* () {
        const common = { clientId: connect.clientId, clientSecret: Redacted.make(connect.clientSecret) }
        const flow = yield* Effect.flip(
          DineroVismaConnect.makeCodeFlow({
            ...common,
            authority: "http://connect.example",
            redirectUri: "https://app.example/callback",
            sessionKey: "user-1"
          }).pipe(Effect.provide(TokenStore.layerMemory))
        )
        assert.strictEqual(flow._tag, "ConfigurationError")
        const credentials = yield* Effect.flip(
          DineroVismaConnect.makeClientCredentials({ ...common, authority: "http://connect.example", tenantId: "t" })
        )
        assert.strictEqual(credentials._tag, "ConfigurationError")
      })
    )
  )

  it.live("client credentials per tenant open that tenant's organizations only", () =>
    overLoopback(
      Effect.gen(function* () {
        const { server, url } = yield* setup
        const tokens = yield* DineroVismaConnect.makeClientCredentials({
          authority: url,
          clientId: connect.clientId,
          clientSecret: Redacted.make(connect.clientSecret),
          tenantId: "tenant-nordkit"
        })
        const dinero = yield* DineroClient.makeWithTokens({
          organizationIds: [org1!.organizationId, org2!.organizationId],
          tokens,
          apiUrl: url
        })
        const contacts = yield* dinero.listContacts()
        assert.isNotEmpty(contacts.Collection)
        const other = yield* dinero.organization(org2!.organizationId)
        const forbidden = yield* Effect.flip(other.listContacts())
        assert.strictEqual(forbidden._tag, "ForbiddenError", "the tenant does not cover this organization")
        // Webhooks: for Visma Connect integrations.
        yield* dinero.subscribeWebhook({ Uri: "https://app.example/dinero/webhooks", EventId: "invoice.booked" })
        assert.deepStrictEqual(yield* dinero.listWebhookSubscriptions(), [
          { EventId: "invoice.booked", Uri: "https://app.example/dinero/webhooks" }
        ])
        const insecure = yield* Effect.flip(
          dinero.subscribeWebhook({ Uri: "http://app.example/hook", EventId: "invoice.booked" })
        )
        assert.strictEqual(insecure._tag, "InvalidRequestError", "an http:// endpoint is refused before sending")
        const personal = yield* DineroClient.make({
          clientId: DineroTestServer.defaultClient.clientId,
          clientSecret: Redacted.make(DineroTestServer.defaultClient.clientSecret),
          organizationId: org1!.organizationId,
          apiKey: Redacted.make(org1!.apiKey),
          authUrl: `${url}${DineroTestServer.tokenPath}`,
          apiUrl: url
        })
        const noWebhooks = yield* Effect.flip(personal.listWebhookEvents())
        assert.strictEqual(noWebhooks._tag, "ForbiddenError", "a personal integration has no webhooks")
        const grant = (yield* server.tokenRequests).filter((r) => r.path === DineroTestServer.connectTokenPath).at(-1)!
        assert.strictEqual(new URLSearchParams(grant.body).get("grant_type"), "client_credentials")
        assert.strictEqual(new URLSearchParams(grant.body).get("tenant_id"), "tenant-nordkit")

        const unknown = yield* DineroVismaConnect.makeClientCredentials({
          authority: url,
          clientId: connect.clientId,
          clientSecret: Redacted.make(connect.clientSecret),
          tenantId: "someone-else"
        })
        const refused = yield* Effect.flip(unknown.get)
        assert.strictEqual(refused._tag, "AuthenticationError")
      })
    )
  )
})
