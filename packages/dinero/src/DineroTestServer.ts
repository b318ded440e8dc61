/**
 * A protocol-faithful Dinero test server, for nordkit's tests, the demo, and your own integration tests.
 *
 * - Token endpoint `POST /dineroapi/oauth/token`: checks the Basic client credentials, the form content type,
 *   `grant_type=password`, `scope=read write`, and that `username` and `password` are both the API key of one
 *   organization; answers RFC 6749 errors otherwise. Tokens last `tokenLifetimeSeconds` (3600) and are bound to
 *   the organization (and client id) they were granted for.
 * - API `/v1/organizations` and `/v1/{organizationId}/contacts|invoices|products...`: checks the bearer token, its
 *   expiry and its organization (another organization's token gets 403), refuses organizations without Pro (403,
 *   app code 48), enforces the quota (default 100 requests per minute per organization per client id, fixed
 *   window opened by the first request) with Dinero's *plain-text* 429, keeps contacts, products and invoices in
 *   memory, pages lists as `{ Collection, Pagination }`, projects `fields`, applies `queryFilter`
 *   (`Field eq 'x'`, `Field contains 'x'`, joined by `and`), serves invoices as PDF on `Accept: application/pdf`,
 *   and books invoices only with their latest `Timestamp` (a stale one gets 400 with Dinero's error body).
 * - Faults (from the core harness, plus `brownoutNext` for 480), latency, token expiry and revocation, a request
 *   log.
 *
 * Run it in memory (`layerClient` / `makeClient`) or on a loopback port (`listen`, with an `HttpServer`). Point
 * the client's `authUrl` at `${url}/dineroapi/oauth/token` and its `apiUrl` at `url`.
 */
import { TestServer } from "@nordkit/core/testing"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type * as Layer from "effect/Layer"

export interface Client {
  readonly clientId: string
  readonly clientSecret: string
}

export interface OrganizationSeed {
  readonly organizationId: string
  readonly name: string
  readonly apiKey: string
  /** Organizations without Pro get 403 on every organization-scoped endpoint. Default true. */
  readonly isPro?: boolean | undefined
}

export interface RateLimit {
  /** Requests per window per organization per client id. Default 100. */
  readonly limit: number
  /** Window length. Default 60 000 ms. */
  readonly windowMillis: number
  /** Send `Retry-After` (seconds to the window's end) with the 429. Dinero does not document one: default false. */
  readonly retryAfter?: boolean | undefined
}

export interface Options {
  readonly clients?: ReadonlyArray<Client> | undefined
  readonly organizations?: ReadonlyArray<OrganizationSeed> | undefined
  /** `expires_in` of issued tokens, seconds. Default 3600. */
  readonly tokenLifetimeSeconds?: number | undefined
  /** The quota, or false for none. Default 100 per 60 s. */
  readonly rateLimit?: RateLimit | false | undefined
}

export const tokenPath = "/dineroapi/oauth/token"

export const defaultClient: Client = { clientId: "nordkit-dinero-client", clientSecret: "nordkit-dinero-secret" }

export const defaultOrganizations: ReadonlyArray<OrganizationSeed> = [
  { organizationId: "123456", name: "Nordkit ApS", apiKey: "nordkit-api-key-123456", isPro: true },
  { organizationId: "234567", name: "Nordkit Test ApS", apiKey: "nordkit-api-key-234567", isPro: true },
  { organizationId: "345678", name: "Gratis ApS", apiKey: "nordkit-api-key-345678", isPro: false }
]

export const defaultRateLimit: RateLimit = { limit: 100, windowMillis: 60_000 }

/** Dinero's 429 body: plain text, not JSON. */
export const quotaExceededText = (limit: number, windowMillis: number) =>
  `API calls quota exceeded! maximum admitted ${limit} per ${windowMillis % 60_000 === 0 ? `${windowMillis / 60_000}m` : `${windowMillis / 1000}s`}.`

export const staleTimestampMessage =
  "The invoice has been changed since it was read: the Timestamp is not the latest. Get the invoice again and book it with its current Timestamp."

type Json = Record<string, unknown>

interface Store {
  readonly contacts: Map<string, Json>
  readonly products: Map<string, Json>
  readonly invoices: Map<string, Json>
  nextInvoiceNumber: number
}

const dineroError = (
  status: number,
  code: number,
  message: string,
  validationErrors?: Record<string, string> | undefined
) =>
  TestServer.json(
    {
      code,
      message,
      languageSpecificMessages: [{ property: "", message }],
      ...(validationErrors === undefined ? {} : { validationErrors })
    },
    status
  )

const oauthError = (status: number, error: string, description: string) =>
  TestServer.json({ error, error_description: description }, status)

/** Dinero writes date-times without a zone. */
const zoneless = (millis: number) => new Date(millis).toISOString().slice(0, 23)
const dateOnly = (millis: number) => new Date(millis).toISOString().slice(0, 10)

const round2 = (n: number) => Math.round(n * 100) / 100

const defaultFields = {
  contacts: ["ContactGuid", "Name"],
  products: ["ProductGuid", "Name"],
  invoices: ["Guid", "Number", "ContactName", "Date", "Description", "Currency", "Status", "TotalInclVat"]
} as const

/** Keeps the requested fields (case-insensitive), or the defaults. */
const project = (item: Json, fields: string | null, defaults: ReadonlyArray<string>): Json => {
  const wanted = (fields === null || fields.trim() === "" ? [...defaults] : fields.split(","))
    .map((f) => f.trim().toLowerCase())
    .filter((f) => f.length > 0)
  const out: Json = {}
  for (const [key, value] of Object.entries(item)) if (wanted.includes(key.toLowerCase())) out[key] = value
  return out
}

/** `Field eq 'value'` / `Field contains 'value'`, joined by ` and `. Returns undefined when malformed. */
const parseFilter = (filter: string): Array<(item: Json) => boolean> | undefined => {
  const clauses = filter.split(/\s+and\s+/i)
  const predicates: Array<(item: Json) => boolean> = []
  for (const clause of clauses) {
    const m = /^\s*(\w+)\s+(eq|contains)\s+'((?:[^']|'')*)'\s*$/i.exec(clause)
    if (m === null) return undefined
    const [, field, op, raw] = m
    const value = raw.replaceAll("''", "'").toLowerCase()
    predicates.push((item) => {
      const key = Object.keys(item).find((k) => k.toLowerCase() === field.toLowerCase())
      const actual = key === undefined ? undefined : item[key]
      if (typeof actual !== "string") return false
      return op.toLowerCase() === "eq" ? actual.toLowerCase() === value : actual.toLowerCase().includes(value)
    })
  }
  return predicates
}

const pdfOf = (invoice: Json): Uint8Array => {
  const header = new TextEncoder().encode("%PDF-1.4\n%")
  const binary = new Uint8Array([0xe2, 0xe3, 0xcf, 0xd3, 0x0a])
  const body = new TextEncoder().encode(
    `1 0 obj << /Title (Invoice ${String(invoice.Number ?? "draft")} ${String(invoice.Guid)}) >> endobj\n` +
      `% ${String(invoice.ContactName)} ${String(invoice.TotalInclVat)} ${String(invoice.Currency)}\ntrailer << /Info 1 0 R >>\n%%EOF\n`
  )
  const out = new Uint8Array(header.length + binary.length + body.length)
  out.set(header, 0)
  out.set(binary, header.length)
  out.set(body, header.length + binary.length)
  return out
}

export const make = (options: Options = {}) =>
  Effect.gen(function* () {
    const clients = new Map((options.clients ?? [defaultClient]).map((c) => [c.clientId, c]))
    const organizations = new Map((options.organizations ?? defaultOrganizations).map((o) => [o.organizationId, o]))
    const lifetime = options.tokenLifetimeSeconds ?? 3600
    let rateLimit: RateLimit | false = options.rateLimit ?? defaultRateLimit
    const tokens = yield* TestServer.makeTokenRegistry
    const windows = new Map<string, { start: number; count: number }>()
    const stores = new Map<string, Store>()
    let rowVersion = 0x1f40
    const nextTimestamp = () => (++rowVersion).toString(16).toUpperCase().padStart(16, "0")

    const storeOf = (organizationId: string): Store => {
      let store = stores.get(organizationId)
      if (store === undefined) {
        store = { contacts: new Map(), products: new Map(), invoices: new Map(), nextInvoiceNumber: 1 }
        stores.set(organizationId, store)
      }
      return store
    }

    // ----------------------------------------------------------------------------------------------------
    // Token endpoint
    // ----------------------------------------------------------------------------------------------------

    const tokenEndpoint = (request: TestServer.TestRequest) =>
      Effect.gen(function* () {
        if (request.method !== "POST") return oauthError(405, "invalid_request", "Use POST")
        const basic = TestServer.parseBasic(request.headers.authorization)
        const client = basic === undefined ? undefined : clients.get(basic.user)
        if (basic === undefined || client === undefined || client.clientSecret !== basic.pass) {
          return oauthError(401, "invalid_client", "Client authentication failed")
        }
        if (!(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
          return oauthError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        }
        const form = new URLSearchParams(request.body)
        if (form.get("grant_type") !== "password") {
          return oauthError(400, "unsupported_grant_type", "grant_type must be password")
        }
        if (form.get("scope") !== "read write") return oauthError(400, "invalid_scope", "scope must be 'read write'")
        const username = form.get("username")
        const password = form.get("password")
        const organization =
          username === null || username !== password
            ? undefined
            : [...organizations.values()].find((o) => o.apiKey === username)
        if (organization === undefined) {
          return oauthError(400, "invalid_grant", "The API key is not valid for any organization")
        }
        const issued = yield* tokens.issue(organization.organizationId, lifetime, {
          prefix: "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.dinero",
          data: { clientId: client.clientId }
        })
        return TestServer.json({
          access_token: issued.token,
          token_type: "Bearer",
          expires_in: lifetime,
          refresh_token: null
        })
      })

    // ----------------------------------------------------------------------------------------------------
    // API
    // ----------------------------------------------------------------------------------------------------

    const denied = () => TestServer.json({ message: "Authorization has been denied for this request." }, 401)

    /** Fixed window per client id and organization; returns a 429 response when the quota is spent. */
    const admit = (key: string, now: number) => {
      if (rateLimit === false) return undefined
      const window = windows.get(key)
      if (window === undefined || now > window.start + rateLimit.windowMillis) {
        windows.set(key, { start: now, count: 1 })
        return undefined
      }
      if (window.count >= rateLimit.limit) {
        const headers: Record<string, string> = rateLimit.retryAfter
          ? { "retry-after": String(Math.max(1, Math.ceil((window.start + rateLimit.windowMillis - now) / 1000))) }
          : {}
        return HttpServerResponse.text(quotaExceededText(rateLimit.limit, rateLimit.windowMillis), {
          status: 429,
          contentType: "text/plain",
          headers
        })
      }
      window.count++
      return undefined
    }

    const listOf = (
      request: TestServer.TestRequest,
      all: ReadonlyArray<Json>,
      defaults: ReadonlyArray<string>,
      idField: string,
      extra?: (item: Json) => boolean
    ) => {
      const q = request.query
      const pageSize = q.get("pageSize") === null ? 100 : Number(q.get("pageSize"))
      const page = q.get("page") === null ? 0 : Number(q.get("page"))
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
        return dineroError(400, 42, "Validation failed", { pageSize: "pageSize must be between 1 and 1000" })
      }
      if (!Number.isInteger(page) || page < 0) {
        return dineroError(400, 42, "Validation failed", { page: "page must be 0 or more" })
      }
      const deletedOnly = q.get("deletedOnly") === "true"
      const since = q.get("changesSince")
      const sinceMillis = since === null ? undefined : Date.parse(since)
      if (sinceMillis !== undefined && Number.isNaN(sinceMillis)) {
        return dineroError(400, 42, "Validation failed", { changesSince: "changesSince must be an ISO 8601 date" })
      }
      const filter = q.get("queryFilter")
      const predicates = filter === null || filter.trim() === "" ? [] : parseFilter(filter)
      if (predicates === undefined) {
        return dineroError(400, 42, "Validation failed", { queryFilter: `Cannot parse queryFilter: ${filter}` })
      }
      const visible = all.filter((item) => (item.DeletedAt !== null) === deletedOnly)
      const matching = visible.filter(
        (item) =>
          predicates.every((p) => p(item)) &&
          (extra === undefined || extra(item)) &&
          (sinceMillis === undefined || Date.parse(`${String(item.UpdatedAt)}Z`) > sinceMillis)
      )
      const slice = matching.slice(page * pageSize, (page + 1) * pageSize)
      const fields = q.get("fields")
      return TestServer.json({
        Collection: slice.map((item) => ({ ...project(item, fields, defaults), [idField]: item[idField] })),
        Pagination: {
          MaxPageSizeAllowed: 1000,
          PageSize: pageSize,
          Result: matching.length,
          ResultWithoutFilter: visible.length,
          Page: page
        }
      })
    }

    const validateContact = (body: any): Record<string, string> | undefined => {
      const errors: Record<string, string> = {}
      if (typeof body !== "object" || body === null) return { body: "A JSON object is required" }
      if (typeof body.Name !== "string" || body.Name.trim() === "") errors.Name = "Name is required"
      if (typeof body.CountryKey !== "string" || !/^[A-Z]{2}$/.test(body.CountryKey)) {
        errors.CountryKey = "CountryKey must be an ISO 3166 alpha-2 code"
      }
      if (typeof body.IsPerson !== "boolean") errors.IsPerson = "IsPerson is required"
      if (body.Email !== undefined && (typeof body.Email !== "string" || !body.Email.includes("@"))) {
        errors.Email = "Email is not a valid e-mail address"
      }
      return Object.keys(errors).length > 0 ? errors : undefined
    }

    const contactFromBody = (body: any, guid: string, now: number, previous?: Json): Json => ({
      ContactGuid: guid,
      ExternalReference: body.ExternalReference ?? null,
      Name: body.Name,
      Street: body.Street ?? null,
      ZipCode: body.ZipCode ?? null,
      City: body.City ?? null,
      CountryKey: body.CountryKey,
      Phone: body.Phone ?? null,
      Email: body.Email ?? null,
      Webpage: body.Webpage ?? null,
      AttPerson: body.AttPerson ?? null,
      VatNumber: body.VatNumber ?? null,
      EanNumber: body.EanNumber ?? null,
      SeNumber: body.SeNumber ?? null,
      PNumber: body.PNumber ?? null,
      PaymentConditionType: body.PaymentConditionType ?? "Netto",
      PaymentConditionNumberOfDays: body.PaymentConditionNumberOfDays ?? 8,
      IsPerson: body.IsPerson,
      IsMember: body.IsMember ?? false,
      MemberNumber: body.MemberNumber ?? null,
      UseCvr: body.UseCvr ?? false,
      CompanyTypeKey: body.CompanyTypeKey ?? null,
      InvoiceMailOutOptionKey: body.InvoiceMailOutOptionKey ?? null,
      IsDebitor: true,
      IsCreditor: false,
      CreatedAt: previous?.CreatedAt ?? zoneless(now),
      UpdatedAt: zoneless(now),
      DeletedAt: null
    })

    const validateInvoice = (store: Store, body: any): Record<string, string> | undefined => {
      if (typeof body !== "object" || body === null) return { body: "A JSON object is required" }
      const errors: Record<string, string> = {}
      const contact = typeof body.ContactGuid === "string" ? store.contacts.get(body.ContactGuid) : undefined
      if (contact === undefined || contact.DeletedAt !== null) errors.ContactGuid = "Contact not found"
      if (!Array.isArray(body.ProductLines) || body.ProductLines.length === 0) {
        errors.ProductLines = "At least one product line is required"
      } else {
        body.ProductLines.forEach((line: any, i: number) => {
          if (typeof line?.Description !== "string")
            errors[`ProductLines[${i}].Description`] = "Description is required"
          if (typeof line?.Quantity !== "number") errors[`ProductLines[${i}].Quantity`] = "Quantity must be a number"
          if (!Number.isInteger(line?.AccountNumber)) {
            errors[`ProductLines[${i}].AccountNumber`] = "AccountNumber is required"
          }
          if (typeof line?.Unit !== "string") errors[`ProductLines[${i}].Unit`] = "Unit is required"
          if (typeof line?.BaseAmountValue !== "number") {
            errors[`ProductLines[${i}].BaseAmountValue`] = "BaseAmountValue must be a number"
          }
        })
      }
      if (body.Date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(body.Date))) {
        errors.Date = "Date must be YYYY-MM-DD"
      }
      return Object.keys(errors).length > 0 ? errors : undefined
    }

    const createInvoice = (store: Store, body: any, now: number): Json => {
      const lines = (body.ProductLines as Array<any>).map((line) => {
        const total = round2(line.Quantity * line.BaseAmountValue * (1 - (line.Discount ?? 0) / 100))
        return {
          ProductGuid: line.ProductGuid ?? null,
          Description: line.Description,
          Comments: line.Comments ?? null,
          Quantity: line.Quantity,
          AccountNumber: line.AccountNumber,
          Unit: line.Unit,
          Discount: line.Discount ?? 0,
          LineType: line.LineType ?? "Product",
          BaseAmountValue: line.BaseAmountValue,
          BaseAmountValueInclVat: round2(line.BaseAmountValue * 1.25),
          TotalAmount: total,
          TotalAmountInclVat: round2(total * 1.25)
        }
      })
      const exclVat = round2(lines.reduce((sum, l) => sum + l.TotalAmount, 0))
      const vat = round2(exclVat * 0.25)
      const contact = store.contacts.get(body.ContactGuid)!
      return {
        Guid: globalThis.crypto.randomUUID(),
        Timestamp: nextTimestamp(),
        Number: null,
        ContactGuid: body.ContactGuid,
        ContactName: contact.Name,
        Date: body.Date ?? dateOnly(now),
        PaymentDate: dateOnly(now + 8 * 86_400_000),
        Description: body.Description ?? "Faktura",
        Comment: body.Comment ?? null,
        Currency: body.Currency ?? "DKK",
        Language: body.Language ?? "da-DK",
        ExternalReference: body.ExternalReference ?? null,
        Status: "Draft",
        TotalExclVat: exclVat,
        TotalVat: vat,
        TotalInclVat: round2(exclVat + vat),
        TotalInclVatInDkk: round2(exclVat + vat),
        PaymentConditionType: body.PaymentConditionType ?? "Netto",
        PaymentConditionNumberOfDays: body.PaymentConditionNumberOfDays ?? 8,
        ProductLines: lines,
        CreatedAt: zoneless(now),
        UpdatedAt: zoneless(now),
        DeletedAt: null
      }
    }

    const organizationApi = (request: TestServer.TestRequest, organizationId: string, rest: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const store = storeOf(organizationId)
        const [resource, id, action] = rest
        const guid = id === undefined ? undefined : decodeURIComponent(id)
        const method = request.method

        if (resource === "contacts") {
          if (guid === undefined && method === "GET") {
            return listOf(request, [...store.contacts.values()], defaultFields.contacts, "ContactGuid")
          }
          if (guid === undefined && method === "POST") {
            const body = TestServer.jsonBody(request)
            const invalid = validateContact(body)
            if (invalid !== undefined) return dineroError(400, 42, "Validation failed", invalid)
            const created = contactFromBody(body, globalThis.crypto.randomUUID(), now)
            store.contacts.set(created.ContactGuid as string, created)
            return TestServer.json({ ContactGuid: created.ContactGuid }, 201)
          }
          const contact = guid === undefined ? undefined : store.contacts.get(guid)
          if (contact === undefined || (contact.DeletedAt !== null && method !== "GET")) {
            return dineroError(404, 40, `Contact ${guid} was not found`)
          }
          if (action === undefined && method === "GET") return TestServer.json(contact)
          if (action === undefined && method === "PUT") {
            const body = TestServer.jsonBody(request)
            const invalid = validateContact(body)
            if (invalid !== undefined) return dineroError(400, 42, "Validation failed", invalid)
            store.contacts.set(guid!, contactFromBody(body, guid!, now, contact))
            return HttpServerResponse.empty({ status: 200 })
          }
          if (action === undefined && method === "DELETE") {
            store.contacts.set(guid!, { ...contact, DeletedAt: zoneless(now), UpdatedAt: zoneless(now) })
            return HttpServerResponse.empty({ status: 200 })
          }
        }

        if (resource === "products") {
          if (guid === undefined && method === "GET") {
            return listOf(request, [...store.products.values()], defaultFields.products, "ProductGuid")
          }
          const product = guid === undefined ? undefined : store.products.get(guid)
          if (product === undefined) return dineroError(404, 40, `Product ${guid} was not found`)
          if (action === undefined && method === "GET") return TestServer.json(product)
        }

        if (resource === "invoices") {
          if (guid === undefined && method === "GET") {
            const q = request.query
            const start = q.get("startDate")
            const end = q.get("endDate")
            const statuses = q
              .get("statusFilter")
              ?.split(",")
              .map((s) => s.trim().toLowerCase())
            return listOf(request, [...store.invoices.values()], defaultFields.invoices, "Guid", (invoice) => {
              const date = String(invoice.Date)
              return (
                (start === null || date >= start) &&
                (end === null || date <= end) &&
                (statuses === undefined || statuses.includes(String(invoice.Status).toLowerCase()))
              )
            })
          }
          if (guid === undefined && method === "POST") {
            const body = TestServer.jsonBody(request)
            const invalid = validateInvoice(store, body)
            if (invalid !== undefined) return dineroError(400, 42, "Validation failed", invalid)
            const invoice = createInvoice(store, body, now)
            store.invoices.set(invoice.Guid as string, invoice)
            return TestServer.json({ Guid: invoice.Guid, Timestamp: invoice.Timestamp }, 201)
          }
          const invoice = guid === undefined ? undefined : store.invoices.get(guid)
          if (invoice === undefined) return dineroError(404, 40, `Invoice ${guid} was not found`)
          if (action === undefined && method === "GET") {
            if ((request.headers.accept ?? "").includes("application/pdf")) {
              return HttpServerResponse.uint8Array(pdfOf(invoice), { contentType: "application/pdf" })
            }
            return TestServer.json(invoice)
          }
          if (action === "book" && method === "POST") {
            const body = TestServer.jsonBody(request) as { Timestamp?: unknown; Number?: unknown } | undefined
            if (typeof body?.Timestamp !== "string") {
              return dineroError(400, 42, "Validation failed", { Timestamp: "Timestamp is required" })
            }
            if (invoice.Status !== "Draft") return dineroError(400, 42, "The invoice is already booked")
            if (body.Timestamp !== invoice.Timestamp) {
              return dineroError(400, 42, staleTimestampMessage, { Timestamp: "Timestamp is not the latest" })
            }
            const number = typeof body.Number === "number" ? body.Number : store.nextInvoiceNumber
            store.nextInvoiceNumber = Math.max(store.nextInvoiceNumber, number + 1)
            const booked: Json = {
              ...invoice,
              Number: number,
              Status: "Booked",
              Timestamp: nextTimestamp(),
              UpdatedAt: zoneless(now)
            }
            store.invoices.set(guid!, booked)
            return TestServer.json({ Guid: guid, Number: number, Timestamp: booked.Timestamp })
          }
        }
        return dineroError(404, 40, `No route for ${method} ${request.path}`)
      })

    const api = (request: TestServer.TestRequest) =>
      Effect.gen(function* () {
        const bearer = TestServer.bearerOf(request)
        if (bearer === undefined) return denied()
        const check = yield* tokens.check(bearer)
        if (check._tag !== "Valid") return denied()
        const tokenOrganization = check.token.subject
        const clientId = String(check.token.data.clientId)
        const [, first, ...rest] = request.path.split("/").filter((p) => p.length > 0) // ["v1", ...]
        const pathOrganization = first === "organizations" ? undefined : decodeURIComponent(first ?? "")
        if (pathOrganization !== undefined && pathOrganization !== tokenOrganization) {
          return dineroError(403, 41, `The access token does not give access to organization ${pathOrganization}`)
        }
        const limited = admit(`${clientId}:${tokenOrganization}`, yield* Clock.currentTimeMillis)
        if (limited !== undefined) return limited
        const organization = organizations.get(tokenOrganization)!
        if (first === "organizations" && rest.length === 0 && request.method === "GET") {
          const info = {
            Id: Number(organization.organizationId),
            Name: organization.name,
            IsPro: organization.isPro ?? true,
            IsPayingPro: organization.isPro ?? true,
            IsVatFree: false
          }
          return TestServer.json([{ ...project(info, request.query.get("fields"), ["Id", "Name"]) }])
        }
        if (!(organization.isPro ?? true)) {
          return dineroError(403, 48, "This organization does not have a Pro subscription, which the API requires")
        }
        return yield* organizationApi(request, tokenOrganization, rest)
      })

    const handler: TestServer.Handler = (request) =>
      request.path === tokenPath
        ? tokenEndpoint(request)
        : request.path.startsWith("/v1/")
          ? api(request)
          : Effect.succeed(dineroError(404, 40, "Not found"))

    const server = yield* TestServer.make(handler)

    // ----------------------------------------------------------------------------------------------------
    // Seed data and controls
    // ----------------------------------------------------------------------------------------------------

    const seedContacts = (organizationId: string, count: number, prefix = "Kunde") =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const store = storeOf(organizationId)
        const guids: Array<string> = []
        for (let i = 0; i < count; i++) {
          const n = store.contacts.size + 1
          const contact = contactFromBody(
            {
              Name: `${prefix} ${n}`,
              CountryKey: "DK",
              IsPerson: n % 2 === 0,
              Email: `kunde${n}@example.dk`,
              City: "København"
            },
            globalThis.crypto.randomUUID(),
            now
          )
          store.contacts.set(contact.ContactGuid as string, contact)
          guids.push(contact.ContactGuid as string)
        }
        return guids
      })

    const seedProduct = (organizationId: string, name: string, price: number) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const store = storeOf(organizationId)
        const guid = globalThis.crypto.randomUUID()
        store.products.set(guid, {
          ProductGuid: guid,
          ProductNumber: String(store.products.size + 1),
          Name: name,
          BaseAmountValue: price,
          BaseAmountValueInclVat: round2(price * 1.25),
          Quantity: 1,
          AccountNumber: 1000,
          Unit: "parts",
          ExternalReference: null,
          Comment: null,
          CreatedAt: zoneless(now),
          UpdatedAt: zoneless(now),
          DeletedAt: null
        })
        return guid
      })

    for (const organization of organizations.values()) {
      yield* seedContacts(organization.organizationId, 3)
      yield* seedProduct(organization.organizationId, "Konsulenttime", 950)
      yield* seedProduct(organization.organizationId, "Licens, måned", 149.5)
    }

    const isTokenRequest = (r: TestServer.LoggedRequest) => r.path === tokenPath

    return {
      ...server,
      tokens,
      /** Token requests received, oldest first. */
      tokenRequests: Effect.map(server.requests, (all) => all.filter(isTokenRequest)),
      /** API requests received (everything but the token endpoint), oldest first. */
      apiRequests: Effect.map(server.requests, (all) => all.filter((r) => !isTokenRequest(r))),
      /** The organization a token was issued for (undefined for unknown tokens). */
      organizationOf: (token: string) =>
        Effect.map(tokens.check(token), (check) => ("token" in check ? check.token.subject : undefined)),
      seedContacts,
      seedProduct,
      /** Answer the next `count` matching API requests with 480 Brownout. */
      brownoutNext: (count: number, pathIncludes?: string) =>
        server.failNext(count, {
          status: 480,
          body: JSON.stringify({
            code: 480,
            message: "Brownout: this endpoint is deprecated and will be removed. See the API changelog."
          }),
          contentType: "application/json",
          pathIncludes
        }),
      /** Plays another user editing an invoice: its `Timestamp` changes. */
      touchInvoice: (organizationId: string, guid: string) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const invoice = storeOf(organizationId).invoices.get(guid)
          if (invoice === undefined) return undefined
          const touched = { ...invoice, Timestamp: nextTimestamp(), UpdatedAt: zoneless(now) }
          storeOf(organizationId).invoices.set(guid, touched)
          return touched.Timestamp as string
        }),
      /** Makes every token (or one organization's) expire now. */
      expireTokens: (organizationId?: string) =>
        tokens.expire(organizationId === undefined ? undefined : { subject: organizationId }),
      /** Revokes every token (or one organization's): the next API call gets 401. */
      revokeTokens: (organizationId?: string) =>
        tokens.revoke(organizationId === undefined ? undefined : { subject: organizationId }),
      setRateLimit: (value: RateLimit | false) =>
        Effect.sync(() => {
          rateLimit = value
          windows.clear()
        })
    }
  })

export type DineroTestServer = Effect.Success<ReturnType<typeof make>>

/** An in-memory HttpClient answering with `server` (shares the caller's Clock, so TestClock applies). */
export const makeClient = (server: DineroTestServer): Effect.Effect<HttpClient.HttpClient> =>
  TestServer.makeMemoryClient(server.app)

export const layerClient = (server: DineroTestServer): Layer.Layer<HttpClient.HttpClient> =>
  TestServer.layerMemoryClient(server.app)

/** Serves `server` on the current `HttpServer` (loopback) and returns its base URL. */
export const listen = (server: DineroTestServer) => TestServer.listen(server.app)
