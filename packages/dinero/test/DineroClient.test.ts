import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import type { TestServer } from "@nordkit/core/testing"
import * as Chunk from "effect/Chunk"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as RateLimiter from "effect/persistence/RateLimiter"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/testing/TestClock"
import { DineroClient } from "../src/index.ts"
import { DineroTestServer } from "../src/testing.ts"
import { client, freeOrg, invoiceFor, options, org1, org2, setup } from "./fixtures.ts"

const bearerOf = (r: TestServer.LoggedRequest) => (r.headers.authorization ?? "").replace(/^Bearer /, "")

describe("DineroClient", () => {
  it.effect("two organizations never share a token: each request carries its own organization's token", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup({
        organizations: [{ organizationId: org2.organizationId, apiKey: Redacted.make(org2.apiKey) }]
      })
      assert.deepStrictEqual(dinero.organizationIds, [org1.organizationId, org2.organizationId])
      const second = yield* dinero.organization(org2.organizationId)
      // Interleaved and concurrent, so a shared cache or a mixed-up pipeline would show.
      yield* Effect.all(
        [
          dinero.listContacts(),
          second.listContacts(),
          dinero.listProducts(),
          second.listProducts(),
          second.listOrganizations(),
          dinero.listOrganizations()
        ],
        { concurrency: "unbounded" }
      )
      const [mine] = yield* dinero.listOrganizations()
      const [theirs] = yield* second.listOrganizations()
      assert.strictEqual(String(mine.Id), org1.organizationId)
      assert.strictEqual(String(theirs.Id), org2.organizationId)

      const api = yield* server.apiRequests
      assert.isTrue(api.every((r) => r.status === 200))
      const byOrganization = new Map<string, Set<string>>()
      for (const request of api) {
        const owner = yield* server.organizationOf(bearerOf(request))
        const inPath = /^\/v1\/(\d+)\//.exec(request.path)?.[1]
        if (inPath !== undefined) assert.strictEqual(owner, inPath, `${request.path} carried ${owner}'s token`)
        const set = byOrganization.get(owner!) ?? new Set()
        set.add(bearerOf(request))
        byOrganization.set(owner!, set)
      }
      assert.strictEqual(byOrganization.get(org1.organizationId)?.size, 1)
      assert.strictEqual(byOrganization.get(org2.organizationId)?.size, 1)
      const tokenRequests = yield* server.tokenRequests
      assert.deepStrictEqual(
        tokenRequests.map((r) => new URLSearchParams(r.body).get("username")).sort(),
        [org1.apiKey, org2.apiKey].sort()
      )
      const unknown = yield* Effect.flip(dinero.organization("999999"))
      assert.strictEqual(unknown._tag, "ConfigurationError")
    })
  )

  it.effect("150 calls in a burst to one organization cause no 429 and take the time the limit implies", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      yield* dinero.accessToken
      const fiber = yield* Effect.forkChild(
        Effect.forEach(Array.from({ length: 150 }), () => dinero.listContacts(), { concurrency: "unbounded" })
      )
      yield* TestClock.adjust("3 minutes")
      const pages = yield* Fiber.join(fiber)
      assert.lengthOf(pages, 150)
      const api = yield* server.apiRequests
      assert.lengthOf(api, 150, "every call went out exactly once")
      assert.deepStrictEqual(
        api.filter((r) => r.status !== 200),
        [],
        "no 429"
      )
      const times = api.map((r) => r.at)
      const first = Math.min(...times)
      const last = Math.max(...times)
      assert.strictEqual(times.filter((t) => t === first).length, 100, "the first 100 go at once")
      // 100 per minute: the 50 that do not fit wait for the next window (one minute plus the 1 s margin).
      assert.isAtLeast(last - first, 60_000)
      assert.isAtMost(last - first, 62_000)
    })
  )

  it.effect("two clients on one RateLimiterStore in context share the organization's quota: no 429", () =>
    Effect.gen(function* () {
      const server = yield* DineroTestServer.make()
      const http = yield* DineroTestServer.makeClient(server)
      // One store, two clients (as two processes would share a Redis store): each builds its limiter on it.
      const build = DineroClient.make(options()).pipe(Effect.provideService(HttpClient.HttpClient, http))
      const [a, b] = yield* Effect.all([build, build]).pipe(Effect.provide(RateLimiter.layerStoreMemory))
      yield* Effect.all([a.accessToken, b.accessToken])
      const burst = (client: DineroClient.Service) =>
        Effect.forEach(Array.from({ length: 75 }), () => client.listVatTypes(), { concurrency: "unbounded" })
      const fiber = yield* Effect.forkChild(Effect.all([burst(a), burst(b)], { concurrency: "unbounded" }))
      yield* TestClock.adjust("3 minutes")
      yield* Fiber.join(fiber)
      const api = yield* server.apiRequests
      assert.lengthOf(api, 150)
      assert.deepStrictEqual(
        api.filter((r) => r.status !== 200).map((r) => r.status),
        [],
        "the shared limiter kept both under 100 per minute"
      )
    })
  )

  it.effect("the same burst without pacing meets the server's quota; the plain-text 429s are waited out", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup({ pacing: false })
      yield* dinero.accessToken
      const fiber = yield* Effect.forkChild(
        Effect.forEach(Array.from({ length: 150 }), () => dinero.listContacts(), { concurrency: "unbounded" })
      )
      yield* TestClock.adjust("5 minutes")
      const pages = yield* Fiber.join(fiber)
      assert.lengthOf(pages, 150, "every call succeeded in the end")
      const limited = (yield* server.apiRequests).filter((r) => r.status === 429)
      assert.lengthOf(limited, 50, "the server enforced 100 per minute")
    })
  )

  it.effect("a forced 429 with a plain-text body is retried after the minute window and succeeds", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      yield* dinero.accessToken
      yield* server.rateLimitNext(1, undefined, {
        pathIncludes: "/contacts",
        body: DineroTestServer.quotaExceededText(100, 60_000),
        contentType: "text/plain"
      })
      const fiber = yield* Effect.forkChild(dinero.listContacts())
      yield* TestClock.adjust("60 seconds")
      assert.lengthOf(yield* server.apiRequests, 1, "not retried before the window has passed")
      yield* TestClock.adjust("2 seconds")
      const page = yield* Fiber.join(fiber)
      assert.isAbove(page.Collection.length, 0)
      assert.deepStrictEqual(
        (yield* server.apiRequests).map((r) => r.status),
        [429, 200]
      )
    })
  )

  it.effect("a 429 that persists is a RateLimitedError, never a DecodeError, after bounded waiting", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      yield* dinero.accessToken
      yield* server.rateLimitNext(5, undefined, {
        pathIncludes: "/contacts",
        body: DineroTestServer.quotaExceededText(100, 60_000),
        contentType: "text/plain"
      })
      const fiber = yield* Effect.forkChild(Effect.flip(dinero.listContacts()))
      yield* TestClock.adjust("5 minutes")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "RateLimitedError")
      if (error._tag !== "RateLimitedError") return
      assert.strictEqual(error.status, 429)
      assert.strictEqual(error.retryAfterMillis, 61_000)
      assert.include(error.detail ?? "", "API calls quota exceeded")
      const attempts = yield* server.apiRequests
      assert.lengthOf(attempts, 3, "3 attempts in total")
      assert.isAtMost(attempts[2].at - attempts[0].at, 2 * 61_000 + 5_000)
    })
  )

  it.effect("a 429 with Retry-After waits what the header says", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      yield* dinero.accessToken
      yield* server.rateLimitNext(1, "7", { pathIncludes: "/products", body: "quota", contentType: "text/plain" })
      const fiber = yield* Effect.forkChild(dinero.listProducts())
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      const [first, second] = yield* server.apiRequests
      assert.isAtLeast(second.at - first.at, 7_000)
      assert.isBelow(second.at - first.at, 10_000)
    })
  )

  it.effect("480 Brownout is a typed BrownoutError and is not retried", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      yield* dinero.accessToken
      yield* server.brownoutNext(1, "/products")
      const error = yield* Effect.flip(dinero.listProducts())
      assert.strictEqual(error._tag, "BrownoutError")
      if (error._tag === "BrownoutError") {
        assert.strictEqual(error.status, 480)
        assert.strictEqual(error.path, `/v1/${org1.organizationId}/products`)
        assert.include(error.detail ?? "", "Brownout")
      }
      assert.lengthOf(yield* server.apiRequests, 1)
    })
  )

  it.effect("an organization without Pro gets a ForbiddenError carrying Dinero's code", () =>
    Effect.gen(function* () {
      const { dinero } = yield* setup({ organizationId: freeOrg.organizationId, apiKey: Redacted.make(freeOrg.apiKey) })
      const error = yield* Effect.flip(dinero.listContacts())
      assert.strictEqual(error._tag, "ForbiddenError")
      if (error._tag === "ForbiddenError") {
        assert.strictEqual(error.code, "48")
        assert.include(error.detail ?? "", "Pro")
      }
    })
  )

  it.effect("a 401 causes one new grant and a successful replay", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      yield* dinero.listContacts()
      yield* server.revokeTokens()
      yield* server.clearLog
      yield* dinero.listContacts()
      assert.deepStrictEqual(
        (yield* server.requests).map((r) => [r.path === DineroTestServer.tokenPath ? "token" : "api", r.status]),
        [
          ["api", 401],
          ["token", 200],
          ["api", 200]
        ]
      )
      // A 401 that persists after the replay is an AuthenticationError, not a loop.
      yield* server.failNext(2, { status: 401, pathIncludes: "/contacts", body: '{"message":"denied"}' })
      const error = yield* Effect.flip(dinero.listContacts())
      assert.strictEqual(error._tag, "AuthenticationError")
    })
  )

  it.effect("a token the server expires early is replaced after one 401, also with a slow server", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      yield* dinero.listContacts()
      yield* server.setLatency(2_000)
      yield* server.expireTokens(org1.organizationId)
      yield* server.clearLog
      const fiber = yield* Effect.forkChild(dinero.listContacts())
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(
        (yield* server.requests).map((r) => [r.path === DineroTestServer.tokenPath ? "token" : "api", r.status]),
        [
          ["api", 401],
          ["token", 200],
          ["api", 200]
        ]
      )
    })
  )

  it.effect("without a refresh token, a new password grant is made before the hour runs out", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      yield* dinero.listContacts()
      yield* TestClock.adjust("56 minutes")
      yield* dinero.listContacts()
      yield* TestClock.adjust("1 second")
      const grants = yield* server.tokenRequests
      assert.lengthOf(grants, 2)
      assert.strictEqual(new URLSearchParams(grants[1].body).get("grant_type"), "password")
      yield* TestClock.adjust("10 minutes")
      yield* dinero.listContacts()
      assert.isTrue(
        (yield* server.apiRequests).every((r) => r.status === 200),
        "no call met an expired token"
      )
    })
  )

  it.effect("contacts: create, read, update, list with fields and filter, delete", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      const created = yield* dinero.createContact({
        Name: "Fjordhus A/S",
        CountryKey: "DK",
        IsPerson: false,
        Email: "bogholderi@fjordhus.dk",
        VatNumber: "DK12345678",
        ExternalReference: "crm-42"
      })
      const contact = yield* dinero.getContact(created.ContactGuid)
      assert.strictEqual(contact.Name, "Fjordhus A/S")
      assert.strictEqual(contact.VatNumber, "DK12345678")
      assert.isDefined(contact.CreatedAt)

      yield* dinero.updateContact(created.ContactGuid, { Name: "Fjordhus ApS", CountryKey: "DK", IsPerson: false })
      assert.strictEqual((yield* dinero.getContact(created.ContactGuid)).Name, "Fjordhus ApS")

      const found = yield* dinero.listContacts({ queryFilter: "Name contains 'fjord'", fields: ["Name", "Email"] })
      assert.deepStrictEqual(
        found.Collection.map((c) => [c.ContactGuid, c.Name]),
        [[created.ContactGuid, "Fjordhus ApS"]]
      )
      const listRequest = (yield* server.apiRequests).find((r) => r.query.get("queryFilter") !== null)!
      assert.strictEqual(listRequest.query.get("fields"), "ContactGuid,Name,Email")
      // Fields asked for in another casing come back in that casing (the spec's note) and decode to the schema's
      // names; the id field is not asked for twice.
      const lower = yield* dinero.listContacts({
        queryFilter: "Name contains 'fjord'",
        fields: ["contactGuid", "name"]
      })
      assert.deepStrictEqual(
        lower.Collection.map((c) => [c.ContactGuid, c.Name]),
        [[created.ContactGuid, "Fjordhus ApS"]]
      )
      const lowerRequest = (yield* server.apiRequests).filter((r) => r.query.get("queryFilter") !== null).at(-1)!
      assert.strictEqual(lowerRequest.query.get("fields"), "contactGuid,name")
      const sent = (yield* server.apiRequests).find((r) => r.method === "PUT")!
      assert.strictEqual(sent.path, `/v2/${org1.organizationId}/contacts/${created.ContactGuid}`, "the v2 path, not v1")

      yield* dinero.deleteContact(created.ContactGuid)
      const afterDelete = yield* dinero.listContacts({ queryFilter: "Name contains 'fjord'" })
      assert.lengthOf(afterDelete.Collection, 0)
      const deleted = yield* dinero.listContacts({ deletedOnly: true })
      assert.deepStrictEqual(
        deleted.Collection.map((c) => c.ContactGuid),
        [created.ContactGuid]
      )
    })
  )

  it.effect("Dinero's validation errors reach the caller per field", () =>
    Effect.gen(function* () {
      const { dinero } = yield* setup()
      const error = yield* Effect.flip(
        dinero.createContact({ Name: "Uden mail", CountryKey: "DK", IsPerson: true, Email: "not-an-email" })
      )
      assert.strictEqual(error._tag, "ApiError")
      if (error._tag !== "ApiError") return
      assert.strictEqual(error.status, 400)
      assert.strictEqual(error.code, "42")
      assert.strictEqual(error.detail, "Validation failed")
      assert.deepStrictEqual(error.fieldErrors, { Email: "Email is not a valid e-mail address" })
    })
  )

  it.effect("input the schema refuses is a typed error and nothing is sent", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      const error = yield* Effect.flip(dinero.createContact({ Name: "X", CountryKey: "Denmark", IsPerson: true }))
      assert.strictEqual(error._tag, "InvalidRequestError")
      assert.include(error.message, "CountryKey")
      assert.lengthOf(
        (yield* server.apiRequests).filter((r) => r.method === "POST"),
        0
      )
    })
  )

  it.effect("invoices: a draft is created and booked with its latest Timestamp; a stale one is a typed ApiError", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      const [customer] = (yield* dinero.listContacts()).Collection
      const draft = yield* dinero.createInvoice(invoiceFor(customer.ContactGuid))
      assert.isString(draft.TimeStamp)
      const read = yield* dinero.getInvoice(draft.Guid)
      assert.strictEqual(read.Status, "Draft")
      assert.strictEqual(read.TotalExclVat, "7274.5", "7.5 h x 950 + 149.5, as a decimal string")
      assert.strictEqual(read.TotalInclVat, "9093.13")

      // Someone else edits the draft: the Timestamp we hold is stale.
      const fresh = yield* server.touchInvoice(org1.organizationId, draft.Guid)
      const stale = yield* Effect.flip(dinero.bookInvoice(draft.Guid, { Timestamp: draft.TimeStamp! }))
      assert.strictEqual(stale._tag, "ApiError")
      if (stale._tag === "ApiError") {
        assert.strictEqual(stale.status, 400)
        assert.strictEqual(stale.code, "58", "Dinero's code for a stale timestamp")
        assert.strictEqual(stale.detail, DineroTestServer.staleTimestampMessage)
        assert.deepStrictEqual(stale.fieldErrors, { Timestamp: "Timestamp is not the latest" })
      }
      const booked = yield* dinero.bookInvoice(draft.Guid, { Timestamp: fresh! })
      assert.strictEqual(booked.Guid, draft.Guid)
      assert.strictEqual(booked.Number, 1)
      assert.notStrictEqual(booked.TimeStamp, fresh)
      assert.strictEqual((yield* dinero.getInvoice(draft.Guid)).Status, "Booked")
      const bookRequests = (yield* server.apiRequests).filter((r) => r.path.endsWith("/book"))
      assert.deepStrictEqual(
        bookRequests.map((r) => r.status),
        [400, 200],
        "each booking was sent once"
      )
      const listed = yield* dinero.listInvoices({ statusFilter: "Booked", fields: ["Number"] })
      assert.deepStrictEqual(
        listed.Collection.map((i) => [i.Guid, i.Number]),
        [[draft.Guid, 1]]
      )
    })
  )

  it.effect("a booking (POST) is not retried after a 503", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      const [customer] = (yield* dinero.listContacts()).Collection
      const draft = yield* dinero.createInvoice(invoiceFor(customer.ContactGuid))
      yield* server.failNext(1, { status: 503, pathIncludes: "/book" })
      const error = yield* Effect.flip(dinero.bookInvoice(draft.Guid, { Timestamp: draft.TimeStamp! }))
      assert.strictEqual(error._tag, "ApiError")
      assert.lengthOf(
        (yield* server.apiRequests).filter((r) => r.path.endsWith("/book")),
        1
      )
    })
  )

  it.effect("the invoice PDF comes back as bytes", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      const [customer] = (yield* dinero.listContacts()).Collection
      const draft = yield* dinero.createInvoice(invoiceFor(customer.ContactGuid))
      const notYet = yield* Effect.flip(dinero.getInvoicePdf(draft.Guid))
      assert.strictEqual(notYet._tag, "ApiError", "a draft has no PDF")
      const booked = yield* dinero.bookInvoice(draft.Guid, { Timestamp: draft.TimeStamp! })
      const pdf = yield* dinero.getInvoicePdf(draft.Guid)
      assert.instanceOf(pdf, Uint8Array)
      assert.strictEqual(new TextDecoder().decode(pdf.slice(0, 8)), "%PDF-1.4")
      assert.isTrue(pdf.includes(0xe2), "binary bytes survive (not decoded as text)")
      assert.include(new TextDecoder().decode(pdf), `Faktura ${booked.Number}`)
      const pdfRequest = (yield* server.apiRequests).at(-1)!
      assert.strictEqual(pdfRequest.headers.accept, "application/octet-stream")
      // A JSON answer where a PDF was asked for is a DecodeError, not bytes of JSON.
      yield* server.failNext(1, { status: 200, body: "{}", contentType: "application/json", pathIncludes: "/invoices" })
      const error = yield* Effect.flip(dinero.getInvoicePdf(draft.Guid))
      assert.strictEqual(error._tag, "DecodeError")
    })
  )

  it.effect("pagination as a Stream reads every page exactly once, lazily", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      yield* server.seedContacts(org1.organizationId, 247) // 250 with the 3 seeded
      yield* server.clearLog
      const all = yield* Stream.runCollect(dinero.streamContacts({ pageSize: 100, fields: ["Name"] }))
      const guids = Chunk.toReadonlyArray(Chunk.fromIterable(all)).map((c) => c.ContactGuid)
      assert.lengthOf(guids, 250)
      assert.strictEqual(new Set(guids).size, 250, "no duplicates")
      const pages = (yield* server.apiRequests).map((r) => r.query.get("page"))
      assert.deepStrictEqual(pages, ["0", "1", "2"])

      yield* server.clearLog
      const first150 = yield* Stream.runCollect(dinero.streamContacts({ pageSize: 100 }).pipe(Stream.take(150)))
      assert.lengthOf(Chunk.fromIterable(first150), 150)
      assert.deepStrictEqual(
        (yield* server.apiRequests).map((r) => r.query.get("page")),
        ["0", "1"],
        "page 2 is never requested when not consumed"
      )

      // A total that is an exact multiple of the page size needs no extra request for an empty page.
      yield* server.seedContacts(org1.organizationId, 50)
      yield* server.clearLog
      const exact = yield* Stream.runCollect(dinero.streamContacts({ pageSize: 100 }))
      assert.lengthOf(Chunk.fromIterable(exact), 300)
      assert.deepStrictEqual(
        (yield* server.apiRequests).map((r) => r.query.get("page")),
        ["0", "1", "2"]
      )
    })
  )

  it.effect("products decode with money as decimal strings and zone-less timestamps as UTC", () =>
    Effect.gen(function* () {
      const { dinero } = yield* setup()
      yield* TestClock.adjust("1 hour")
      const products = yield* Stream.runCollect(
        dinero.streamProducts({ fields: ["Name", "BaseAmountValue", "CreatedAt"] })
      )
      const list = Chunk.toReadonlyArray(Chunk.fromIterable(products))
      const licence = list.find((p) => p.Name === "Licens, måned")!
      assert.strictEqual(licence.BaseAmountValue, "149.5")
      const product = yield* dinero.getProduct(licence.ProductGuid)
      assert.strictEqual(product.BaseAmountValueInclVat, "186.88")
      assert.strictEqual(product.Unit, "parts")
      // Seeded at Clock 0 and written without a zone: read back as exactly 1970-01-01T00:00:00Z.
      assert.strictEqual(product.CreatedAt?.epochMilliseconds, 0)
    })
  )

  it.effect("configuration errors: bad organization id, missing key, insecure URL — before any request", () =>
    Effect.gen(function* () {
      const server = yield* DineroTestServer.make()
      const build = (overrides: Partial<DineroClient.Options>) =>
        Effect.flip(
          DineroClient.make(options(overrides)).pipe(
            Effect.provideServiceEffect(HttpClient.HttpClient, DineroTestServer.makeClient(server))
          )
        )
      for (const overrides of [
        { organizationId: "acme" },
        { organizationId: "../1" },
        { apiKey: Redacted.make(" ") },
        { apiKey: undefined },
        { clientId: "" },
        { apiUrl: "http://api.dinero.dk" },
        { authUrl: "http://authz.dinero.dk/dineroapi/oauth/token" },
        { organizations: [{ organizationId: org1.organizationId, apiKey: Redacted.make("x") }] }
      ] satisfies Array<Partial<DineroClient.Options>>) {
        const error = yield* build(overrides)
        assert.strictEqual(error._tag, "ConfigurationError", JSON.stringify(Object.keys(overrides)))
      }
      assert.lengthOf(yield* server.requests, 0)
    })
  )

  it.effect("layerConfig reads the DINERO_* variables", () =>
    Effect.gen(function* () {
      const server = yield* DineroTestServer.make()
      const env = (vars: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnv({ env: vars }))
      const organizations = yield* Effect.gen(function* () {
        const dinero = yield* DineroClient.DineroClient
        return yield* dinero.listOrganizations()
      }).pipe(
        Effect.provide(DineroClient.layerConfig()),
        Effect.provide(DineroTestServer.layerClient(server)),
        Effect.provide(
          env({
            DINERO_CLIENT_ID: client.clientId,
            DINERO_CLIENT_SECRET: client.clientSecret,
            DINERO_API_KEY: org2.apiKey,
            DINERO_ORGANIZATION_ID: org2.organizationId,
            DINERO_AUTH_URL: `http://127.0.0.1:1${DineroTestServer.tokenPath}`,
            DINERO_API_URL: "http://127.0.0.1:1"
          })
        )
      )
      assert.deepStrictEqual(
        organizations.map((o) => [String(o.Id), o.Name]),
        [[org2.organizationId, org2.name]]
      )
      const missing = yield* Effect.flip(
        Layer.build(DineroClient.layerConfig()).pipe(
          Effect.provide(DineroTestServer.layerClient(server)),
          Effect.provide(env({ DINERO_CLIENT_ID: client.clientId, DINERO_CLIENT_SECRET: client.clientSecret })),
          Effect.scoped
        )
      )
      assert.strictEqual(missing._tag, "ConfigurationError")
      assert.include(missing.message, "DINERO_API_KEY")
      // Any variable can be replaced by the app's own Config.
      const replaced = yield* Effect.gen(function* () {
        return (yield* DineroClient.DineroClient).organizationId
      }).pipe(
        Effect.provide(
          DineroClient.layerConfig(
            { pacing: false },
            {
              apiKey: Config.Redacted("BOOKS_DINERO_KEY"),
              organizationId: Config.succeed(org1.organizationId)
            }
          )
        ),
        Effect.provide(DineroTestServer.layerClient(server)),
        Effect.provide(
          env({
            DINERO_CLIENT_ID: client.clientId,
            DINERO_CLIENT_SECRET: client.clientSecret,
            BOOKS_DINERO_KEY: org1.apiKey
          })
        )
      )
      assert.strictEqual(replaced, org1.organizationId)
    })
  )

  it.live("the README flow over loopback: contact, invoice, book with the returned TimeStamp, PDF, read back", () =>
    Effect.gen(function* () {
      const server = yield* DineroTestServer.make()
      const url = yield* DineroTestServer.listen(server)
      const dinero = yield* DineroClient.make(options({}, url))
      const contacts = yield* dinero.listContacts()
      assert.deepStrictEqual(
        contacts.Collection.map((c) => c.Name),
        ["Kunde 1", "Kunde 2", "Kunde 3"],
        "Dinero's default fields (name, contactGuid) decoded"
      )
      const contact = yield* dinero.createContact({ Name: "Fjordhus ApS", CountryKey: "DK", IsPerson: false })
      const draft = yield* dinero.createInvoice({
        ContactGuid: contact.ContactGuid,
        ProductLines: [
          { Description: "Konsulenttime", Quantity: 7.5, AccountNumber: 1000, Unit: "hours", BaseAmountValue: "950" }
        ]
      })
      const booked = yield* dinero.bookInvoice(draft.Guid, { Timestamp: draft.TimeStamp! })
      const pdf = yield* dinero.getInvoicePdf(draft.Guid)
      const read = yield* dinero.getInvoice(draft.Guid)
      assert.strictEqual(read.Number, booked.Number)
      assert.strictEqual(read.TimeStamp, booked.TimeStamp)
      assert.strictEqual(read.Status, "Booked")
      assert.strictEqual(new TextDecoder().decode(pdf.slice(0, 5)), "%PDF-")
      const api = yield* server.apiRequests
      const create = api.find((r) => r.method === "POST" && r.path.endsWith("/invoices"))!
      assert.deepStrictEqual(JSON.parse(create.body).ProductLines[0].Discount, 0, "the required Discount is sent")
      const book = api.find((r) => r.path.endsWith("/book"))!
      assert.deepStrictEqual(JSON.parse(book.body), { Timestamp: draft.TimeStamp }, "Timestamp in the booking body")
      const contactBody = JSON.parse(api.find((r) => r.method === "POST" && r.path.endsWith("/contacts"))!.body)
      assert.strictEqual(contactBody.IsMember, false)
      assert.strictEqual(contactBody.UseCvr, false)
    }).pipe(
      Effect.scoped,
      Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )

  it.effect("a status or type Dinero adds later is kept as its string, never failing the read", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      const [customer] = (yield* dinero.listContacts()).Collection
      const draft = yield* dinero.createInvoice(invoiceFor(customer!.ContactGuid))
      const invoice = yield* dinero.getInvoice(draft.Guid)
      yield* server.failNext(1, {
        status: 200,
        contentType: "application/json",
        pathIncludes: "/invoices/",
        body: JSON.stringify({
          ...Object.fromEntries(Object.entries(invoice).filter(([k]) => !/At$/.test(k))),
          TotalExclVat: 1,
          TotalVat: 0.25,
          TotalInclVat: 1.25,
          TotalVatableAmount: 1,
          TotalNonVatableAmount: 0,
          ProductLines: [],
          TotalLines: [],
          Status: "Disputed",
          PaymentStatus: "PartlyRefunded",
          MailOutStatus: "Bounced",
          SomethingNew: { nested: true }
        })
      })
      const read = yield* dinero.getInvoice(draft.Guid)
      assert.strictEqual(read.Status, "Disputed")
      assert.strictEqual(read.PaymentStatus, "PartlyRefunded")
      assert.strictEqual(read.MailOutStatus, "Bounced")
    })
  )

  it.effect("ids that are not one path segment are refused before anything is sent", () =>
    Effect.gen(function* () {
      const { server, dinero } = yield* setup()
      yield* dinero.accessToken
      for (const id of ["", "..", "a/b", "x?y=1", "%2e%2e"]) {
        const error = yield* Effect.flip(dinero.getInvoice(id))
        assert.strictEqual(error._tag, "InvalidRequestError", JSON.stringify(id))
      }
      const error = yield* Effect.flip(dinero.deleteInvoicePayment("ok", "../../contacts", "t"))
      assert.strictEqual(error._tag, "InvalidRequestError")
      assert.lengthOf(yield* server.apiRequests, 0)
    })
  )

  it.live("works end to end over real HTTP on loopback", () =>
    Effect.gen(function* () {
      const server = yield* DineroTestServer.make()
      const url = yield* DineroTestServer.listen(server)
      const dinero = yield* DineroClient.make(options({}, url))
      const [organization] = yield* dinero.listOrganizations()
      assert.strictEqual(String(organization.Id), org1.organizationId)
      const contact = yield* dinero.createContact({ Name: "Loopback ApS", CountryKey: "DK", IsPerson: false })
      const draft = yield* dinero.createInvoice(invoiceFor(contact.ContactGuid))
      const booked = yield* dinero.bookInvoice(draft.Guid, { Timestamp: draft.TimeStamp! })
      assert.strictEqual(booked.Number, 1)
      const pdf = yield* dinero.getInvoicePdf(draft.Guid)
      assert.strictEqual(new TextDecoder().decode(pdf.slice(0, 5)), "%PDF-")
      assert.isTrue(pdf.includes(0xe2))
      yield* server.revokeTokens()
      yield* dinero.getContact(contact.ContactGuid)
      assert.lengthOf(yield* server.tokenRequests, 2)
      const token = (yield* server.tokenRequests)[0]
      assert.strictEqual(token.headers.authorization, `Basic ${btoa(`${client.clientId}:${client.clientSecret}`)}`)
    }).pipe(
      Effect.scoped,
      Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )
})
