import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as TestClock from "effect/testing/TestClock"
import { DineroClient } from "../src/index.ts"
import { DineroTestServer } from "../src/testing.ts"
import { client, options, org1, org2 } from "./fixtures.ts"

const base = "http://dinero.test"
const basic = `Basic ${btoa(`${client.clientId}:${client.clientSecret}`)}`

const grant = (http: HttpClient.HttpClient, form: Record<string, string>, authorization = basic) =>
  http.execute(
    HttpClientRequest.post(`${base}${DineroTestServer.tokenPath}`).pipe(
      HttpClientRequest.setHeader("authorization", authorization),
      HttpClientRequest.bodyUrlParams(form)
    )
  )

const passwordForm = (apiKey: string) => ({
  grant_type: "password",
  scope: "read write",
  username: apiKey,
  password: apiKey
})

const tokenFor = (http: HttpClient.HttpClient, apiKey: string) =>
  Effect.flatMap(grant(http, passwordForm(apiKey)), (r) =>
    Effect.map(r.json, (body) => (body as { access_token: string }).access_token)
  )

const get = (http: HttpClient.HttpClient, path: string, token: string, accept = "application/json") =>
  http.execute(
    HttpClientRequest.get(`${base}${path}`).pipe(
      HttpClientRequest.bearerToken(token),
      HttpClientRequest.setHeader("accept", accept)
    )
  )

const errorOf = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.map(response.json, (body) => (body as { error: string }).error)

const setup = (options?: DineroTestServer.Options) =>
  Effect.gen(function* () {
    const server = yield* DineroTestServer.make(options)
    const http = yield* DineroTestServer.makeClient(server)
    return { server, http }
  })

describe("DineroTestServer", () => {
  it.effect("the token endpoint is strict: client, content type, grant, scope, and the API key twice", () =>
    Effect.gen(function* () {
      const { http } = yield* setup()
      const ok = yield* grant(http, passwordForm(org1.apiKey))
      assert.strictEqual(ok.status, 200)
      assert.deepInclude(yield* ok.json, { token_type: "Bearer", expires_in: 3600, refresh_token: null })

      const wrongClient = yield* grant(http, passwordForm(org1.apiKey), `Basic ${btoa(`${client.clientId}:nope`)}`)
      assert.deepStrictEqual([wrongClient.status, yield* errorOf(wrongClient)], [401, "invalid_client"])
      const noClient = yield* grant(http, passwordForm(org1.apiKey), "")
      assert.strictEqual(noClient.status, 401)

      const json = yield* http.execute(
        HttpClientRequest.post(`${base}${DineroTestServer.tokenPath}`).pipe(
          HttpClientRequest.setHeader("authorization", basic),
          HttpClientRequest.bodyJsonUnsafe(passwordForm(org1.apiKey))
        )
      )
      assert.deepStrictEqual([json.status, yield* errorOf(json)], [400, "invalid_request"])

      const cases: Array<[Record<string, string>, string]> = [
        [{ ...passwordForm(org1.apiKey), grant_type: "client_credentials" }, "unsupported_grant_type"],
        [{ ...passwordForm(org1.apiKey), scope: "read" }, "invalid_scope"],
        [{ ...passwordForm(org1.apiKey), password: org2.apiKey }, "invalid_grant"],
        [passwordForm("unknown-key"), "invalid_grant"]
      ]
      for (const [form, expected] of cases) {
        const response = yield* grant(http, form)
        assert.deepStrictEqual([response.status, yield* errorOf(response)], [400, expected], JSON.stringify(form))
      }
    })
  )

  it.effect("tokens are bound to their organization and expire", () =>
    Effect.gen(function* () {
      const { server, http } = yield* setup()
      const token = yield* tokenFor(http, org1.apiKey)
      assert.strictEqual((yield* get(http, `/v1/${org1.organizationId}/contacts`, token)).status, 200)
      assert.strictEqual((yield* get(http, `/v1/${org2.organizationId}/contacts`, token)).status, 403)
      assert.strictEqual((yield* get(http, `/v1/${org1.organizationId}/contacts`, "forged")).status, 401)
      yield* server.expireTokens(org1.organizationId)
      assert.strictEqual((yield* get(http, `/v1/${org1.organizationId}/contacts`, token)).status, 401)
      const fresh = yield* tokenFor(http, org1.apiKey)
      yield* TestClock.adjust("3601 seconds")
      assert.strictEqual((yield* get(http, `/v1/${org1.organizationId}/contacts`, fresh)).status, 401)
    })
  )

  it.effect("the quota: 100 per minute per organization, then a plain-text 429 until the window ends", () =>
    Effect.gen(function* () {
      const { http } = yield* setup()
      const one = yield* tokenFor(http, org1.apiKey)
      const two = yield* tokenFor(http, org2.apiKey)
      for (let i = 0; i < 100; i++) {
        assert.strictEqual((yield* get(http, `/v1/${org1.organizationId}/products`, one)).status, 200)
      }
      const limited = yield* get(http, `/v1/${org1.organizationId}/products`, one)
      assert.strictEqual(limited.status, 429)
      assert.match(limited.headers["content-type"] ?? "", /^text\/plain/)
      assert.strictEqual(yield* limited.text, "API calls quota exceeded! maximum admitted 100 per 1m.")
      assert.isUndefined(limited.headers["retry-after"])
      assert.strictEqual(
        (yield* get(http, `/v1/${org2.organizationId}/products`, two)).status,
        200,
        "another organization has its own quota"
      )
      yield* TestClock.adjust("60 seconds")
      assert.strictEqual((yield* get(http, `/v1/${org1.organizationId}/products`, one)).status, 429, "window end")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* get(http, `/v1/${org1.organizationId}/products`, one)).status, 200)
    })
  )

  it.effect("Retry-After on the 429 is opt-in", () =>
    Effect.gen(function* () {
      const { http } = yield* setup({ rateLimit: { limit: 1, windowMillis: 60_000, retryAfter: true } })
      const token = yield* tokenFor(http, org1.apiKey)
      yield* get(http, `/v1/${org1.organizationId}/products`, token)
      yield* TestClock.adjust("15 seconds")
      const limited = yield* get(http, `/v1/${org1.organizationId}/products`, token)
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.headers["retry-after"], "45")
    })
  )

  it.effect(
    "invoices: TimeStamp in answers, Timestamp in the booking body, code 58 when stale, PDF on octet-stream",
    () =>
      Effect.gen(function* () {
        const { http } = yield* setup()
        const token = yield* tokenFor(http, org1.apiKey)
        const contacts = (yield* (yield* get(http, `/v1/${org1.organizationId}/contacts`, token)).json) as {
          Collection: Array<{ contactGuid: string }>
        }
        const post = (path: string, body: unknown) =>
          http.execute(
            HttpClientRequest.post(`${base}/v1/${org1.organizationId}${path}`).pipe(
              HttpClientRequest.bearerToken(token),
              HttpClientRequest.bodyJsonUnsafe(body)
            )
          )
        const line = { Description: "x", Quantity: 1, AccountNumber: 1000, Unit: "parts", BaseAmountValue: 10 }
        const withoutDiscount = yield* post("/invoices", {
          ContactGuid: contacts.Collection[0].contactGuid,
          ProductLines: [line]
        })
        assert.strictEqual(withoutDiscount.status, 400, "Discount is a required line field")
        const created = yield* post("/invoices", {
          ContactGuid: contacts.Collection[0].contactGuid,
          ProductLines: [{ ...line, Discount: 0 }]
        })
        assert.strictEqual(created.status, 200)
        const answer = (yield* created.json) as { Guid: string; TimeStamp: string }
        assert.deepStrictEqual(Object.keys(answer).sort(), ["Guid", "TimeStamp"])
        const draftPdf = yield* get(
          http,
          `/v1/${org1.organizationId}/invoices/${answer.Guid}`,
          token,
          "application/octet-stream"
        )
        assert.strictEqual(draftPdf.status, 400, "a draft has no PDF")
        const wrongCase = yield* post(`/invoices/${answer.Guid}/book`, { TimeStamp: answer.TimeStamp })
        assert.strictEqual(wrongCase.status, 400, "the booking body spells it Timestamp")
        const stale = yield* post(`/invoices/${answer.Guid}/book`, { Timestamp: "0000000000000000" })
        assert.strictEqual(((yield* stale.json) as { code: number }).code, 58)
        const booked = yield* post(`/invoices/${answer.Guid}/book`, { Timestamp: answer.TimeStamp })
        const invoice = (yield* booked.json) as { Number: number; TimeStamp: string; Status: string }
        assert.strictEqual(invoice.Status, "Booked")
        assert.strictEqual(invoice.Number, 1)
        assert.notStrictEqual(invoice.TimeStamp, answer.TimeStamp)
        const json = yield* get(http, `/v1/${org1.organizationId}/invoices/${answer.Guid}`, token)
        assert.match(json.headers["content-type"] ?? "", /^application\/json/)
        const pdf = yield* get(
          http,
          `/v1/${org1.organizationId}/invoices/${answer.Guid}`,
          token,
          "application/octet-stream"
        )
        assert.strictEqual(pdf.status, 200)
        assert.strictEqual(new TextDecoder().decode(new Uint8Array(yield* pdf.arrayBuffer).slice(0, 5)), "%PDF-")
      })
  )

  it.effect("contacts: default fields are name and contactGuid (lower-case); queryFilter joins with ';'", () =>
    Effect.gen(function* () {
      const { http } = yield* setup()
      const token = yield* tokenFor(http, org1.apiKey)
      const page = (yield* (yield* get(http, `/v1/${org1.organizationId}/contacts`, token)).json) as {
        Collection: Array<Record<string, unknown>>
      }
      assert.deepStrictEqual(Object.keys(page.Collection[0]).sort(), ["contactGuid", "name"])
      const filter = encodeURIComponent("Name contains 'kunde';Email contains 'kunde2'")
      const filtered = (yield* (yield* get(
        http,
        `/v1/${org1.organizationId}/contacts?fields=Name,Email&queryFilter=${filter}`,
        token
      )).json) as { Collection: Array<{ Name: string; Email: string }> }
      assert.deepStrictEqual(
        filtered.Collection.map((c) => c.Email),
        ["kunde2@example.dk"]
      )
      const bare = yield* get(http, `/v1/${org1.organizationId}/contacts?queryFilter=kunde`, token)
      assert.strictEqual(bare.status, 400, "a bare search term is refused")
      const millis = yield* get(
        http,
        `/v1/${org1.organizationId}/contacts?changesSince=2024-01-01T00:00:00.000Z`,
        token
      )
      assert.strictEqual(millis.status, 400, "changesSince is YYYY-MM-DDTHH:mm:ssZ")
    })
  )

  it.effect("timestamps are written without a zone, as Dinero does", () =>
    Effect.gen(function* () {
      const { http } = yield* setup()
      const token = yield* tokenFor(http, org1.apiKey)
      const page = (yield* (yield* get(http, `/v1/${org1.organizationId}/contacts?fields=CreatedAt`, token)).json) as {
        Collection: Array<{ CreatedAt: string }>
      }
      assert.match(page.Collection[0].CreatedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/)
    })
  )

  it.effect("requests are logged with their status", () =>
    Effect.gen(function* () {
      const { server, http } = yield* setup()
      const token = yield* tokenFor(http, org1.apiKey)
      yield* get(http, `/v1/${org1.organizationId}/nope`, token)
      const log = yield* server.requests
      assert.deepStrictEqual(
        log.map((r) => [r.path, r.status]),
        [
          [DineroTestServer.tokenPath, 200],
          [`/v1/${org1.organizationId}/nope`, 404]
        ]
      )
      const notFound = log.at(-1)!
      assert.strictEqual(notFound.status, 404)
      const body = (yield* (yield* get(http, `/v1/${org1.organizationId}/nope`, token)).json) as { code: number }
      assert.strictEqual(body.code, 40, "Dinero's error body with its not-found code")
    })
  )

  it.effect("layer: the server in memory with its controls; reset forgets data and tokens and seeds again", () =>
    Effect.gen(function* () {
      const server = yield* DineroTestServer.Server
      const dinero = yield* DineroClient.make(options())
      yield* dinero.createContact({ Name: "Ny ApS", CountryKey: "DK", IsPerson: false })
      assert.lengthOf((yield* dinero.listContacts()).Collection, 4)
      yield* server.revokeTokens()
      yield* dinero.listContacts()
      assert.lengthOf(yield* server.tokenRequests, 2, "a revoked token is replaced after one 401")
      yield* server.reset
      assert.lengthOf(yield* server.requests, 0)
      assert.lengthOf((yield* dinero.listContacts()).Collection, 3, "seeded again")
      assert.deepStrictEqual(DineroTestServer.defaultCredentials.client, DineroTestServer.defaultClient)
    }).pipe(Effect.provide(DineroTestServer.layer()))
  )
})
