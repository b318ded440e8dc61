/**
 * A protocol-faithful Dinero test server, for nordkit's tests, the demo, and your own integration tests. It
 * answers in the shapes of Dinero's published OpenAPI document (the contract test holds it to them):
 *
 * - Personal-integration token endpoint `POST /dineroapi/oauth/token`: Basic client credentials, form body,
 *   `grant_type=password`, `scope=read write`, the organization's API key as both `username` and `password`;
 *   RFC 6749 errors otherwise. Tokens last `tokenLifetimeSeconds` (3600) and are bound to their organization.
 * - Visma Connect, `GET /connect/authorize` and `POST /connect/token`: the authorization-code flow with PKCE (S256
 *   only, exact redirect URI, `state` echoed), refresh tokens that rotate (a retired refresh token is
 *   `invalid_grant` and revokes its whole grant), and client credentials per tenant (`tenant_id`). A Visma
 *   Connect token opens every organization its grant covers.
 * - The API: bearer token, expiry and organization checked (another organization's token gets 403), organizations
 *   without Pro refused (403, code 48), the quota per organization and client id (100 a minute, fixed window,
 *   Dinero's *plain-text* 429); contacts (v1 and v2), products, invoices (draft, update, totals, book, PDF on
 *   `Accept: application/octet-stream`, payments, email, credit note), credit notes, files (multipart, 6 MB),
 *   purchase and manual vouchers, ledger items (booked asynchronously after `ledgerBookingDelayMillis`),
 *   accounts, accounting years, VAT types, entries and entry changes. Lists page as `{ Collection, Pagination }`,
 *   project `fields` (named as requested; contacts default to `name,contactGuid`), filter with `queryFilter`
 *   (`Field eq 'x'` / `Field contains 'x'` joined by `;`) and `changesSince` (`YYYY-MM-DDTHH:mm:ssZ`).
 *   Everything with a timestamp is changed only with its latest one: a stale one is 400 with code 58.
 * - Faults (from the core harness, plus `brownoutNext` for 480), latency, token expiry and revocation, a request
 *   log.
 *
 * Run it in memory (`layerClient` / `makeClient`) or on a loopback port (`listen`, with an `HttpServer`). Point
 * the client's `authUrl` at `${url}/dineroapi/oauth/token` and its `apiUrl` at `url`.
 */
import { TestServer } from "@nordkit/core/testing"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"

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

/** A Visma Connect client (an integration registered with Visma). */
export interface VismaConnectClient {
  readonly clientId: string
  readonly clientSecret: string
  /** Registered redirect URIs: the authorize request's must equal one of them exactly. */
  readonly redirectUris: ReadonlyArray<string>
  /** Client credentials: the organizations each tenant id opens. */
  readonly tenants?: Readonly<Record<string, ReadonlyArray<string>>> | undefined
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
  readonly vismaConnectClients?: ReadonlyArray<VismaConnectClient> | undefined
  /** `expires_in` of issued tokens, seconds. Default 3600. */
  readonly tokenLifetimeSeconds?: number | undefined
  /** The quota, or false for none. Default 100 per 60 s. */
  readonly rateLimit?: RateLimit | false | undefined
  /** How long booking ledger items takes (Effect Clock). Default 3000 ms. */
  readonly ledgerBookingDelayMillis?: number | undefined
}

export const tokenPath = "/dineroapi/oauth/token"
export const connectAuthorizePath = "/connect/authorize"
export const connectTokenPath = "/connect/token"

export const defaultClient: Client = { clientId: "nordkit-dinero-client", clientSecret: "nordkit-dinero-secret" }

export const defaultOrganizations: ReadonlyArray<OrganizationSeed> = [
  { organizationId: "123456", name: "Nordkit ApS", apiKey: "nordkit-api-key-123456", isPro: true },
  { organizationId: "234567", name: "Nordkit Test ApS", apiKey: "nordkit-api-key-234567", isPro: true },
  { organizationId: "345678", name: "Gratis ApS", apiKey: "nordkit-api-key-345678", isPro: false }
]

export const defaultVismaConnectClient: VismaConnectClient = {
  clientId: "isv_nordkit",
  clientSecret: "nordkit-visma-connect-secret",
  redirectUris: ["http://127.0.0.1/callback"],
  tenants: { "tenant-nordkit": ["123456"] }
}

/** The test server's default credentials: the personal-integration client and the Visma Connect client. */
export const defaultCredentials = {
  client: defaultClient,
  organizations: defaultOrganizations,
  vismaConnect: defaultVismaConnectClient
} as const

export const defaultRateLimit: RateLimit = { limit: 100, windowMillis: 60_000 }

/** The scopes Visma Connect grants for Dinero's API. */
export const vismaConnectScopes = ["dineropublicapi:read", "dineropublicapi:write"] as const

/** Dinero's 429 body: plain text, not JSON. */
export const quotaExceededText = (limit: number, windowMillis: number) =>
  `API calls quota exceeded! maximum admitted ${limit} per ${windowMillis % 60_000 === 0 ? `${windowMillis / 60_000}m` : `${windowMillis / 1000}s`}.`

export const staleTimestampMessage =
  "The entity has been changed since it was read: the Timestamp is not the latest. Get it again and use its current Timestamp."

/** Dinero's code for a stale timestamp. */
export const staleTimestampCode = 58

type Json = Record<string, any>

interface Store {
  readonly contacts: Map<string, Json>
  readonly products: Map<string, Json>
  readonly invoices: Map<string, Json>
  readonly creditNotes: Map<string, Json>
  readonly payments: Map<string, Array<Json>>
  readonly files: Map<string, { name: string; type: string; size: number }>
  readonly purchaseVouchers: Map<string, Json>
  readonly manualVouchers: Map<string, Json>
  readonly ledgerItems: Map<string, Json & { bookAt?: number }>
  readonly entries: Array<{ entry: Json; at: number }>
  nextInvoiceNumber: number
  nextVoucherNumber: number
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

const invalid = (errors: Record<string, string>) => dineroError(400, 42, "Validation failed", errors)
const stale = () =>
  dineroError(400, staleTimestampCode, staleTimestampMessage, { Timestamp: "Timestamp is not the latest" })
const notFound = (what: string, guid: string | undefined) => dineroError(404, 40, `${what} ${guid} was not found`)

const oauthError = (status: number, error: string, description: string) =>
  TestServer.json({ error, error_description: description }, status)

/** Dinero writes date-times without a zone. */
const zoneless = (millis: number) => new Date(millis).toISOString().slice(0, 23)
const dateOnly = (millis: number) => new Date(millis).toISOString().slice(0, 10)
const isDate = (value: unknown) => typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)
/** The query format Dinero documents for `changesSince`, `changesFrom`, ...: `YYYY-MM-DDTHH:mm:ssZ`. */
const queryDateTimePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/

const round2 = (n: number) => Math.round(n * 100) / 100
const uuid = () => globalThis.crypto.randomUUID()
const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value)
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value)

const defaultFields = {
  contacts: ["name", "contactGuid"],
  products: ["Name", "ProductGuid"],
  invoices: ["Guid", "ContactName", "Date", "Description"],
  entryAccounts: ["AccountNumber", "Name", "IsHidden"],
  purchaseAccounts: ["AccountNumber", "Name", "VatCode", "Category", "CategoryName", "IsHidden"],
  depositAccounts: ["AccountNumber", "Name"]
} as const

/** Keeps the requested fields, named the way they were requested (Dinero's behaviour), or the defaults. */
const project = (item: Json, fields: string | null, defaults: ReadonlyArray<string>): Json => {
  const wanted = (fields === null || fields.trim() === "" ? [...defaults] : fields.split(","))
    .map((f) => f.trim())
    .filter((f) => f.length > 0)
  const out: Json = {}
  for (const name of wanted) {
    const key = Object.keys(item).find((k) => k.toLowerCase() === name.toLowerCase())
    if (key !== undefined) out[name] = item[key]
  }
  return out
}

/**
 * `Field eq 'value'` / `Field contains 'value'`, joined by `;`, on the allowed fields. Returns an error message
 * when malformed.
 */
const parseFilter = (filter: string, allowed: ReadonlyArray<string>): Array<(item: Json) => boolean> | string => {
  const predicates: Array<(item: Json) => boolean> = []
  for (const clause of filter.split(";")) {
    const m = /^\s*(\w+)\s+(eq|contains)\s+'((?:[^']|'')*)'\s*$/i.exec(clause)
    if (m === null) return `Cannot parse queryFilter condition: ${clause.slice(0, 60)}`
    const [, field, op, raw] = m as unknown as [string, string, string, string]
    const key = allowed.find((a) => a.toLowerCase() === field.toLowerCase())
    if (key === undefined) return `${field} cannot be filtered on (allowed: ${allowed.join(", ")})`
    const value = raw.replaceAll("''", "'").toLowerCase()
    predicates.push((item) => {
      const actual = item[key]
      if (actual === null || actual === undefined) return false
      const text = String(actual).toLowerCase()
      return op.toLowerCase() === "eq" ? text === value : text.includes(value)
    })
  }
  return predicates
}

const pdfOf = (title: string, lines: ReadonlyArray<string>): Uint8Array => {
  const header = new TextEncoder().encode("%PDF-1.4\n%")
  const binary = new Uint8Array([0xe2, 0xe3, 0xcf, 0xd3, 0x0a])
  const body = new TextEncoder().encode(
    `1 0 obj << /Title (${title}) >> endobj\n${lines.map((l) => `% ${l}`).join("\n")}\ntrailer << /Info 1 0 R >>\n%%EOF\n`
  )
  const out = new Uint8Array(header.length + binary.length + body.length)
  out.set(header, 0)
  out.set(binary, header.length)
  out.set(body, header.length + binary.length)
  return out
}

const base64Url = (bytes: Uint8Array) => {
  let binary = ""
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")
}

const s256 = (verifier: string) =>
  Effect.promise(() => globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))).pipe(
    Effect.map((digest) => base64Url(new Uint8Array(digest)))
  )

/** The chart of accounts every organization starts with (a small part of Dinero's standard chart). */
const seedAccounts = [
  { AccountNumber: 1000, Name: "Salg af varer/ydelser m/moms", VatCode: "U25", Category: "Turnover" },
  { AccountNumber: 1100, Name: "Salg af varer/ydelser u/moms", VatCode: "none", Category: "Turnover" },
  { AccountNumber: 2000, Name: "Vareforbrug", VatCode: "I25", Category: "Variable Expenses" },
  { AccountNumber: 3600, Name: "Kontorartikler", VatCode: "I25", Category: "Administration Expenses" },
  { AccountNumber: 4000, Name: "Rejseudgifter", VatCode: "I25", Category: "Travel Expenses" },
  { AccountNumber: 55000, Name: "Bankkonto", VatCode: "none", Category: "Assets" },
  { AccountNumber: 55010, Name: "Kasse", VatCode: "none", Category: "Assets" }
]
const depositAccounts = [55000, 55010]
const vatTypes = [
  { VatCode: "U25", Name: "Salgsmoms 25%", VatRate: 0.25 },
  { VatCode: "I25", Name: "Købsmoms 25%", VatRate: 0.25 },
  { VatCode: "none", Name: "Ingen moms", VatRate: 0 }
]
/** Event ids the test server offers for webhooks (Dinero's own list is not in its spec). */
export const webhookEvents = ["invoice.booked", "invoice.paid", "contact.created", "contact.updated"] as const
const vatRateOf = (code: string | undefined | null) => vatTypes.find((v) => v.VatCode === code)?.VatRate ?? 0
const accountOf = (n: unknown) => seedAccounts.find((a) => a.AccountNumber === n)

export const make = (options: Options = {}) =>
  Effect.gen(function* () {
    const clients = new Map((options.clients ?? [defaultClient]).map((c) => [c.clientId, c]))
    const organizations = new Map((options.organizations ?? defaultOrganizations).map((o) => [o.organizationId, o]))
    const connectClients = new Map(
      (options.vismaConnectClients ?? [defaultVismaConnectClient]).map((c) => [c.clientId, c])
    )
    const lifetime = options.tokenLifetimeSeconds ?? 3600
    const ledgerDelay = options.ledgerBookingDelayMillis ?? 3000
    let rateLimit: RateLimit | false = options.rateLimit ?? defaultRateLimit
    const tokens = yield* TestServer.makeTokenRegistry
    const windows = new Map<string, { start: number; count: number }>()
    const stores = new Map<string, Store>()
    const webhooks = new Map<string, Map<string, string>>()
    let rowVersion = 0x1f40
    const nextTimestamp = () => (++rowVersion).toString(16).toUpperCase().padStart(16, "0")

    // Visma Connect state.
    interface Code {
      readonly clientId: string
      readonly redirectUri: string
      readonly challenge: string
      readonly organizations: ReadonlyArray<string>
      readonly scope: string
      readonly expiresAt: number
    }
    const codes = new Map<string, Code>()
    interface Grant {
      readonly id: string
      readonly clientId: string
      readonly organizations: ReadonlyArray<string>
      readonly scope: string
      current: string
      readonly retired: Set<string>
      revoked: boolean
    }
    const grants = new Map<string, Grant>()
    const refreshIndex = new Map<string, Grant>()
    let consentOrganizations: ReadonlyArray<string> | undefined
    let denyNext: string | undefined

    const storeOf = (organizationId: string): Store => {
      let store = stores.get(organizationId)
      if (store === undefined) {
        store = {
          contacts: new Map(),
          products: new Map(),
          invoices: new Map(),
          creditNotes: new Map(),
          payments: new Map(),
          files: new Map(),
          purchaseVouchers: new Map(),
          manualVouchers: new Map(),
          ledgerItems: new Map(),
          entries: [],
          nextInvoiceNumber: 1,
          nextVoucherNumber: 1
        }
        stores.set(organizationId, store)
      }
      return store
    }

    // ----------------------------------------------------------------------------------------------------
    // Personal-integration token endpoint
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
          data: { clientId: client.clientId, organizations: [organization.organizationId] }
        })
        return TestServer.json({
          access_token: issued.token,
          token_type: "Bearer",
          expires_in: lifetime,
          refresh_token: null
        })
      })

    // ----------------------------------------------------------------------------------------------------
    // Visma Connect
    // ----------------------------------------------------------------------------------------------------

    const redirectWith = (redirectUri: string, params: Record<string, string>) => {
      const url = new URL(redirectUri)
      for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
      return HttpServerResponse.empty({ status: 302, headers: { location: url.href } })
    }

    /** The user's browser arrives here; the test server plays a user who consents (or not, see `denyNextAuthorization`). */
    const connectAuthorize = (request: TestServer.TestRequest) =>
      Effect.gen(function* () {
        const q = request.query
        const client = connectClients.get(q.get("client_id") ?? "")
        const redirectUri = q.get("redirect_uri") ?? ""
        // Without a known client and an exact registered redirect URI, nothing is redirected (RFC 6749 §4.1.2.1).
        if (client === undefined) return oauthError(400, "invalid_client", "Unknown client_id")
        if (!client.redirectUris.includes(redirectUri)) {
          return oauthError(400, "invalid_request", "redirect_uri is not registered for this client")
        }
        const state = q.get("state")
        const fail = (error: string, description: string) =>
          redirectWith(redirectUri, {
            error,
            error_description: description,
            ...(state === null ? {} : { state })
          })
        if (q.get("response_type") !== "code") return fail("unsupported_response_type", "response_type must be code")
        const challenge = q.get("code_challenge")
        if (challenge === null || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
          return fail("invalid_request", "code_challenge (S256) is required")
        }
        if (q.get("code_challenge_method") !== "S256")
          return fail("invalid_request", "code_challenge_method must be S256")
        const scope = q.get("scope") ?? ""
        const scopes = scope.split(" ")
        if (!vismaConnectScopes.some((s) => scopes.includes(s))) {
          return fail("invalid_scope", "scope must include dineropublicapi:read or dineropublicapi:write")
        }
        if (denyNext !== undefined) {
          const error = denyNext
          denyNext = undefined
          return fail(error, "The user did not grant access")
        }
        const now = yield* Clock.currentTimeMillis
        const code = `vc_code_${uuid()}`
        codes.set(code, {
          clientId: client.clientId,
          redirectUri,
          challenge,
          organizations: consentOrganizations ?? [...organizations.keys()],
          scope,
          expiresAt: now + 5 * 60_000
        })
        return redirectWith(redirectUri, { code, ...(state === null ? {} : { state }) })
      })

    const issueConnect = (grant: Grant, withRefresh: boolean) =>
      Effect.gen(function* () {
        const issued = yield* tokens.issue(`vc:${grant.id}`, lifetime, {
          prefix: "eyJhbGciOiJSUzI1NiJ9.visma",
          data: { clientId: grant.clientId, organizations: grant.organizations, grant: grant.id }
        })
        let refresh: string | undefined
        if (withRefresh) {
          refresh = `vc_refresh_${uuid()}`
          grant.current = refresh
          refreshIndex.set(refresh, grant)
        }
        return TestServer.json({
          access_token: issued.token,
          token_type: "Bearer",
          expires_in: lifetime,
          scope: grant.scope,
          ...(refresh === undefined ? {} : { refresh_token: refresh })
        })
      })

    const connectToken = (request: TestServer.TestRequest) =>
      Effect.gen(function* () {
        if (request.method !== "POST") return oauthError(405, "invalid_request", "Use POST")
        if (!(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
          return oauthError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
        }
        const form = new URLSearchParams(request.body)
        const basic = TestServer.parseBasic(request.headers.authorization)
        const clientId = basic?.user ?? form.get("client_id") ?? ""
        const secret = basic?.pass ?? form.get("client_secret")
        const client = connectClients.get(clientId)
        if (client === undefined || client.clientSecret !== secret) {
          return oauthError(401, "invalid_client", "Client authentication failed")
        }
        const now = yield* Clock.currentTimeMillis
        const grantType = form.get("grant_type")
        if (grantType === "authorization_code") {
          const code = codes.get(form.get("code") ?? "")
          codes.delete(form.get("code") ?? "")
          if (code === undefined || code.expiresAt <= now || code.clientId !== clientId) {
            return oauthError(400, "invalid_grant", "The code is invalid, expired or already used")
          }
          if (form.get("redirect_uri") !== code.redirectUri) {
            return oauthError(400, "invalid_grant", "redirect_uri does not match the authorization request")
          }
          const verifier = form.get("code_verifier") ?? ""
          if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier) || (yield* s256(verifier)) !== code.challenge) {
            return oauthError(400, "invalid_grant", "code_verifier does not match the code_challenge")
          }
          const grant: Grant = {
            id: uuid(),
            clientId,
            organizations: code.organizations,
            scope: code.scope,
            current: "",
            retired: new Set(),
            revoked: false
          }
          grants.set(grant.id, grant)
          return yield* issueConnect(grant, code.scope.split(" ").includes("offline_access"))
        }
        if (grantType === "refresh_token") {
          const presented = form.get("refresh_token") ?? ""
          const grant = refreshIndex.get(presented)
          if (grant === undefined || grant.clientId !== clientId || grant.revoked) {
            return oauthError(400, "invalid_grant", "The refresh token is invalid")
          }
          if (presented !== grant.current) {
            // A retired refresh token came back: someone else may hold the family. Revoke all of it.
            grant.revoked = true
            yield* tokens.revoke({ subject: `vc:${grant.id}` })
            return oauthError(400, "invalid_grant", "The refresh token was already used")
          }
          grant.retired.add(presented)
          return yield* issueConnect(grant, true)
        }
        if (grantType === "client_credentials") {
          const tenant = form.get("tenant_id")
          const tenantOrganizations = tenant === null ? undefined : client.tenants?.[tenant]
          if (tenantOrganizations === undefined) {
            return oauthError(400, "invalid_request", "tenant_id is missing or not a tenant of this client")
          }
          const scope = form.get("scope") ?? ""
          if (!vismaConnectScopes.some((s) => scope.split(" ").includes(s))) {
            return oauthError(400, "invalid_scope", "scope must include dineropublicapi:read or dineropublicapi:write")
          }
          const grant: Grant = {
            id: uuid(),
            clientId,
            organizations: tenantOrganizations,
            scope,
            current: "",
            retired: new Set(),
            revoked: false
          }
          return yield* issueConnect(grant, false)
        }
        return oauthError(400, "unsupported_grant_type", `grant_type ${grantType} is not supported`)
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
      filterable: ReadonlyArray<string>,
      extra?: (item: Json) => boolean,
      deletedByDefault = false
    ) => {
      const q = request.query
      const pageSize = q.get("pageSize") === null ? 100 : Number(q.get("pageSize"))
      const page = q.get("page") === null ? 0 : Number(q.get("page"))
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
        return invalid({ pageSize: "pageSize must be between 1 and 1000" })
      }
      if (!Number.isInteger(page) || page < 0) return invalid({ page: "page must be 0 or more" })
      const deletedOnly = q.get("deletedOnly")
      const since = q.get("changesSince")
      if (since !== null && !queryDateTimePattern.test(since)) {
        return invalid({ changesSince: "changesSince must be UTC in the format YYYY-MM-DDTHH:mm:ssZ" })
      }
      const sinceMillis = since === null ? undefined : Date.parse(since)
      const filter = q.get("queryFilter")
      const predicates = filter === null || filter.trim() === "" ? [] : parseFilter(filter, filterable)
      if (typeof predicates === "string") return invalid({ queryFilter: predicates })
      const visible = all.filter((item) =>
        deletedOnly === "true"
          ? item.DeletedAt !== null
          : deletedOnly === "false" || !deletedByDefault
            ? item.DeletedAt === null
            : true
      )
      const matching = visible.filter(
        (item) =>
          predicates.every((p) => p(item)) &&
          (extra === undefined || extra(item)) &&
          (sinceMillis === undefined || Date.parse(`${String(item.UpdatedAt)}Z`) >= sinceMillis)
      )
      const slice = matching.slice(page * pageSize, (page + 1) * pageSize)
      // Only the fields asked for: an id not asked for is not added (the client asks for it).
      return TestServer.json({
        Collection: slice.map((item) => project(item, q.get("fields"), defaults)),
        Pagination: {
          MaxPageSizeAllowed: 1000,
          PageSize: pageSize,
          Result: slice.length,
          ResultWithoutFilter: matching.length,
          Page: page
        }
      })
    }

    // ---- contacts ----------------------------------------------------------------------------------------

    const validateContact = (body: unknown): Record<string, string> | undefined => {
      if (!isObject(body)) return { body: "A JSON object is required" }
      const errors: Record<string, string> = {}
      if (typeof body.Name !== "string" || body.Name.trim() === "") errors.Name = "Name is required"
      if (typeof body.CountryKey !== "string" || !/^[A-Z]{2}$/.test(body.CountryKey)) {
        errors.CountryKey = "CountryKey must be an ISO 3166 alpha-2 code"
      }
      for (const field of ["IsPerson", "IsMember", "UseCvr"]) {
        if (typeof body[field] !== "boolean") errors[field] = `${field} is required`
      }
      if (body.Email != null && (typeof body.Email !== "string" || !body.Email.includes("@"))) {
        errors.Email = "Email is not a valid e-mail address"
      }
      return Object.keys(errors).length > 0 ? errors : undefined
    }

    const contactFromBody = (body: Json, guid: string, now: number, previous?: Json): Json => ({
      ContactGuid: guid,
      CreatedAt: previous?.CreatedAt ?? zoneless(now),
      UpdatedAt: zoneless(now),
      DeletedAt: null,
      IsDebitor: true,
      IsCreditor: previous?.IsCreditor ?? false,
      CompanyStatus: body.IsPerson ? null : "normal",
      VatRegionKey: body.CountryKey === "DK" ? "DK" : "World",
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
      SENumber: body.SENumber ?? null,
      PNumber: body.PNumber ?? null,
      PaymentConditionType: body.PaymentConditionType ?? "Netto",
      PaymentConditionNumberOfDays: body.PaymentConditionNumberOfDays ?? 8,
      IsPerson: body.IsPerson,
      IsMember: body.IsMember,
      MemberNumber: body.MemberNumber ?? null,
      UseCvr: body.UseCvr,
      CompanyTypeKey: body.CompanyTypeKey ?? null,
      InvoiceMailOutOptionKey: body.InvoiceMailOutOptionKey ?? null,
      PreferredInvoiceLanguageKey: body.PreferredInvoiceLanguageKey ?? null,
      PreferredInvoiceCurrencyKey: body.PreferredInvoiceCurrencyKey ?? null
    })

    // ---- products ----------------------------------------------------------------------------------------

    const validateProduct = (body: unknown): Record<string, string> | undefined => {
      if (!isObject(body)) return { body: "A JSON object is required" }
      const errors: Record<string, string> = {}
      if (!isNumber(body.BaseAmountValue)) errors.BaseAmountValue = "BaseAmountValue is required (a number)"
      if (!isNumber(body.Quantity)) errors.Quantity = "Quantity is required (a number)"
      if (!Number.isInteger(body.AccountNumber)) errors.AccountNumber = "AccountNumber is required"
      if (typeof body.Unit !== "string" || body.Unit === "") errors.Unit = "Unit is required"
      return Object.keys(errors).length > 0 ? errors : undefined
    }

    const productOf = (body: Json, guid: string, now: number, number: number, previous?: Json): Json => ({
      CreatedAt: previous?.CreatedAt ?? zoneless(now),
      UpdatedAt: zoneless(now),
      DeletedAt: null,
      ProductGuid: guid,
      BaseAmountValueInclVat: round2(body.BaseAmountValue * 1.25),
      TotalAmount: round2(body.BaseAmountValue * body.Quantity),
      TotalAmountInclVat: round2(body.BaseAmountValue * body.Quantity * 1.25),
      ProductNumber: body.ProductNumber ?? previous?.ProductNumber ?? String(number),
      Name: body.Name ?? null,
      BaseAmountValue: body.BaseAmountValue,
      Quantity: body.Quantity,
      AccountNumber: body.AccountNumber,
      Unit: body.Unit,
      ExternalReference: body.ExternalReference ?? null,
      Comment: body.Comment ?? null
    })

    // ---- invoices ----------------------------------------------------------------------------------------

    const validateInvoice = (
      store: Store,
      body: unknown,
      needsTimestamp: boolean
    ): Record<string, string> | undefined => {
      if (!isObject(body)) return { body: "A JSON object is required" }
      const errors: Record<string, string> = {}
      if (needsTimestamp && typeof body.Timestamp !== "string") errors.Timestamp = "Timestamp is required"
      if (body.ContactGuid != null) {
        const contact = store.contacts.get(String(body.ContactGuid))
        if (contact === undefined || contact.DeletedAt !== null) errors.ContactGuid = "The contact does not exist"
      }
      if (!Array.isArray(body.ProductLines) || body.ProductLines.length === 0) {
        errors.ProductLines = "At least one product line is required"
      } else {
        body.ProductLines.forEach((line: any, i: number) => {
          if (!isObject(line)) {
            errors[`ProductLines[${i}]`] = "A product line must be an object"
            return
          }
          for (const field of ["Quantity", "BaseAmountValue", "Discount"]) {
            if (!isNumber(line[field])) errors[`ProductLines[${i}].${field}`] = `${field} is required (a number)`
          }
          if (!Number.isInteger(line.AccountNumber))
            errors[`ProductLines[${i}].AccountNumber`] = "AccountNumber is required"
          if (line.ProductGuid == null && typeof line.Description !== "string") {
            errors[`ProductLines[${i}].Description`] = "Description is required without ProductGuid"
          }
          if ((line.LineType ?? "Product") === "Product" && typeof line.Unit !== "string") {
            errors[`ProductLines[${i}].Unit`] = "Unit is required on product lines"
          }
        })
      }
      if (body.Date != null && !isDate(body.Date)) errors.Date = "Date must be YYYY-MM-DD"
      return Object.keys(errors).length > 0 ? errors : undefined
    }

    const linesOf = (body: Json) =>
      (body.ProductLines as Array<Json>).map((line) => {
        const base = line.BaseAmountValue as number
        const excl = body.ShowLinesInclVat === true ? base / 1.25 : base
        const total = round2(line.Quantity * excl * (1 - (line.Discount ?? 0) / 100))
        return {
          ProductGuid: line.ProductGuid ?? null,
          Description: line.Description ?? null,
          Comments: line.Comments ?? null,
          Quantity: line.Quantity,
          AccountNumber: line.AccountNumber,
          AccountName: accountOf(line.AccountNumber)?.Name ?? null,
          Unit: line.Unit ?? null,
          Discount: line.Discount,
          LineType: line.LineType ?? "Product",
          BaseAmountValue: round2(excl),
          BaseAmountValueInclVat: round2(excl * 1.25),
          TotalAmount: total,
          TotalAmountInclVat: round2(total * 1.25)
        }
      })

    const totalsOf = (lines: ReadonlyArray<Json>) => {
      const exclVat = round2(lines.reduce((sum, l) => sum + l.TotalAmount, 0))
      const vat = round2(exclVat * 0.25)
      return {
        TotalExclVat: exclVat,
        TotalVatableAmount: exclVat,
        TotalInclVat: round2(exclVat + vat),
        TotalNonVatableAmount: 0,
        TotalVat: vat,
        TotalLines: [
          { Type: "SubTotal", TotalAmount: exclVat, Position: 0, Label: "Subtotal" },
          { Type: "Vat", TotalAmount: vat, Position: 1, Label: "Moms (25%)" },
          { Type: "Total", TotalAmount: round2(exclVat + vat), Position: 2, Label: "Total DKK" }
        ]
      }
    }

    /** An `InvoiceReadModel` (also the shape of credit notes' book answer). */
    const invoiceOf = (store: Store, body: Json, now: number, previous?: Json): Json => {
      const lines = linesOf(body)
      const contact = body.ContactGuid == null ? undefined : store.contacts.get(body.ContactGuid)
      const date = body.Date ?? previous?.Date ?? dateOnly(now)
      const days = body.PaymentConditionNumberOfDays ?? contact?.PaymentConditionNumberOfDays ?? 8
      return {
        PaymentDate: dateOnly(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000),
        PaymentStatus: "Draft",
        PaymentConditionNumberOfDays: days,
        PaymentConditionType: body.PaymentConditionType ?? contact?.PaymentConditionType ?? "Netto",
        FikCode: null,
        DepositAccountNumber: null,
        MailOutStatus: "NotSent",
        LatestMailOutType: null,
        IsSentToDebtCollection: false,
        IsMobilePayInvoiceEnabled: body.IsMobilePayInvoiceEnabled ?? false,
        IsPensoPayEnabled: body.IsPensoPayEnabled ?? false,
        Status: "Draft",
        ContactGuid: body.ContactGuid ?? null,
        Guid: previous?.Guid ?? body.Guid ?? uuid(),
        TimeStamp: nextTimestamp(),
        CreatedAt: previous?.CreatedAt ?? zoneless(now),
        UpdatedAt: zoneless(now),
        DeletedAt: null,
        Number: 0,
        ContactName: contact?.Name ?? null,
        ShowLinesInclVat: body.ShowLinesInclVat ?? false,
        ...totalsOf(lines),
        InvoiceTemplateId: body.InvoiceTemplateId ?? null,
        Currency: body.Currency ?? "DKK",
        Language: body.Language ?? "da-DK",
        ExternalReference: body.ExternalReference ?? null,
        Description: body.Description ?? "Faktura",
        Comment: body.Comment ?? null,
        Date: date,
        ProductLines: lines,
        Address: body.Address ?? null
      }
    }

    /** A `SalesVoucherReadListModel` of an invoice. */
    const invoiceListItem = (invoice: Json): Json => ({
      Number: invoice.Number,
      Guid: invoice.Guid,
      ExternalReference: invoice.ExternalReference,
      Date: invoice.Date,
      PaymentDate: invoice.PaymentDate,
      Description: invoice.Description,
      Status: invoice.PaymentStatus,
      Type: "Invoice",
      ContactName: invoice.ContactName,
      ContactGuid: invoice.ContactGuid,
      TotalInclVat: invoice.TotalInclVat,
      TotalExclVat: invoice.TotalExclVat,
      TotalInclVatInDkk: invoice.TotalInclVat,
      TotalExclVatInDkk: invoice.TotalExclVat,
      MailOutStatus: invoice.MailOutStatus,
      LatestMailOutType: invoice.LatestMailOutType,
      Currency: invoice.Currency,
      CreatedAt: invoice.CreatedAt,
      UpdatedAt: invoice.UpdatedAt,
      DeletedAt: invoice.DeletedAt
    })

    const book = (entity: Json, body: unknown, key: "TimeStamp" | "Timestamp") => {
      if (!isObject(body) || typeof body.Timestamp !== "string") {
        return { error: invalid({ Timestamp: "Timestamp is required" }) }
      }
      if (entity.Status === "Booked") return { error: dineroError(400, 42, "The voucher is already booked") }
      if (body.Timestamp !== entity[key]) return { error: stale() }
      const number = isNumber(body.Number) ? body.Number : undefined
      return { number }
    }

    /** The number a sales voucher (invoice, credit note) is booked with: the one asked for, else the next. */
    const salesNumber = (store: Store, asked: number | undefined) => {
      const number = asked ?? store.nextInvoiceNumber
      store.nextInvoiceNumber = Math.max(store.nextInvoiceNumber, number + 1)
      return number
    }

    const paidOf = (payments: ReadonlyArray<Json>) => round2(payments.reduce((sum, p) => sum + p.Amount, 0))
    const paymentStatusOf = (invoice: Json, payments: ReadonlyArray<Json>, now: number) => {
      const paid = paidOf(payments)
      if (invoice.Status !== "Booked") return "Draft"
      if (paid > invoice.TotalInclVat) return "OverPaid"
      if (paid === invoice.TotalInclVat) return "Paid"
      return Date.parse(`${invoice.PaymentDate}T23:59:59Z`) < now ? "Overdue" : "Booked"
    }

    const addEntries = (
      store: Store,
      now: number,
      voucher: {
        guid: string
        number: number
        date: string
        type: string
        fileGuid?: string | null
        contactGuid?: string | null
      },
      lines: ReadonlyArray<{
        account: number
        amount: number
        description: string
        vatCode?: string | null | undefined
      }>
    ) => {
      for (const line of lines) {
        store.entries.push({
          at: now,
          entry: {
            AccountNumber: line.account,
            AccountName: accountOf(line.account)?.Name ?? null,
            Date: voucher.date,
            VoucherNumber: voucher.number,
            VoucherGuid: voucher.guid,
            FileGuid: voucher.fileGuid ?? null,
            VoucherType: voucher.type,
            Description: line.description,
            VatType:
              line.vatCode == null || line.vatCode === "none"
                ? null
                : (vatTypes.find((v) => v.VatCode === line.vatCode)?.Name ?? null),
            VatCode: line.vatCode ?? null,
            Amount: round2(line.amount),
            EntryGuid: uuid(),
            ContactGuid: voucher.contactGuid ?? null,
            Type: "Normal"
          }
        })
      }
    }

    // ---- purchase vouchers -------------------------------------------------------------------------------

    const validatePurchase = (store: Store, body: unknown, update: boolean): Record<string, string> | undefined => {
      if (!isObject(body)) return { body: "A JSON object is required" }
      const errors: Record<string, string> = {}
      if (body.PurchaseType !== "cash" && body.PurchaseType !== "credit") {
        errors.PurchaseType = "PurchaseType must be cash or credit"
      }
      if (update) {
        if (typeof body.Timestamp !== "string") errors.Timestamp = "Timestamp is required"
        if (typeof body.ContactGuid !== "string") errors.ContactGuid = "ContactGuid is required"
        if (!isDate(body.VoucherDate)) errors.VoucherDate = "VoucherDate is required (YYYY-MM-DD)"
        if (!Array.isArray(body.Lines)) errors.Lines = "Lines are required"
      }
      if (body.PurchaseType === "credit" && body.ContactGuid == null) {
        errors.ContactGuid = "A credit purchase needs a ContactGuid"
      }
      if (body.ContactGuid != null && !store.contacts.has(String(body.ContactGuid))) {
        errors.ContactGuid = "The contact does not exist"
      }
      if (body.FileGuid != null && !store.files.has(String(body.FileGuid))) errors.FileGuid = "The file does not exist"
      if (body.VoucherDate != null && !isDate(body.VoucherDate)) errors.VoucherDate = "VoucherDate must be YYYY-MM-DD"
      ;(Array.isArray(body.Lines) ? body.Lines : []).forEach((line: any, i: number) => {
        if (!isObject(line) || !isNumber(line.Amount)) errors[`Lines[${i}].Amount`] = "Amount is required (a number)"
        else if (line.AccountNumber != null && accountOf(line.AccountNumber) === undefined) {
          errors[`Lines[${i}].AccountNumber`] = "The account does not exist"
        }
      })
      return Object.keys(errors).length > 0 ? errors : undefined
    }

    const purchaseOf = (body: Json, now: number, previous?: Json): Json => {
      const lines = ((body.Lines ?? []) as Array<Json>).map((line) => {
        const account = line.AccountNumber ?? 2000
        const vatCode = line.VatCode ?? accountOf(account)?.VatCode ?? "I25"
        const rate = vatRateOf(vatCode)
        const incl = line.Amount as number
        const excl = round2(incl / (1 + rate))
        return {
          Description: line.Description ?? null,
          VatCode: vatCode,
          AccountNumber: account,
          AmountExclVatValue: excl,
          AmountInclVatValue: incl,
          VatAmountValue: round2(incl - excl),
          AccountTagName: line.AccountTagName ?? null,
          AccountWeightTagId: null,
          AccountWeightTagVersion: null,
          AccountTagSynonym: null
        }
      })
      const total = round2(lines.reduce((s, l) => s + l.AmountInclVatValue, 0))
      const vat = round2(lines.reduce((s, l) => s + l.VatAmountValue, 0))
      const date = body.VoucherDate ?? previous?.VoucherDate ?? dateOnly(now)
      return {
        Guid: previous?.Guid ?? uuid(),
        Timestamp: nextTimestamp(),
        Status: "Draft",
        FileGuid: body.FileGuid ?? null,
        VoucherNumber: null,
        VoucherDate: date,
        PaymentDate: body.PurchaseType === "cash" ? date : (body.PaymentDate ?? date),
        RegionKey: body.PurchaseType === "cash" ? (body.RegionKey ?? "DK") : null,
        PurchaseType: body.PurchaseType,
        Lines: lines,
        DepositAccountNumber: body.PurchaseType === "cash" ? (body.DepositAccountNumber ?? 55000) : null,
        ContactGuid: body.ContactGuid ?? null,
        ExternalReference: body.ExternalReference ?? null,
        VoucherTotals: [
          { Label: "Subtotal", Total: round2(total - vat), Type: "SubTotal", Position: 0 },
          { Label: "Moms", Total: vat, Type: "Vat", Position: 1 },
          { Label: "Total", Total: total, Type: "Total", Position: 2 }
        ],
        CurrencyKey: body.PurchaseType === "cash" ? "DKK" : (body.CurrencyKey ?? "DKK"),
        BookedByType: null,
        BookedByUsername: null,
        BookingTime: null
      }
    }

    // ---- manual vouchers ---------------------------------------------------------------------------------

    const validateManual = (body: unknown, update: boolean): Record<string, string> | undefined => {
      if (!isObject(body)) return { body: "A JSON object is required" }
      const errors: Record<string, string> = {}
      if (update && typeof body.Timestamp !== "string") errors.Timestamp = "Timestamp is required"
      if (body.VoucherDate != null && !isDate(body.VoucherDate)) errors.VoucherDate = "VoucherDate must be YYYY-MM-DD"
      ;(Array.isArray(body.Lines) ? body.Lines : []).forEach((line: any, i: number) => {
        if (!isObject(line) || !isNumber(line.Amount)) errors[`Lines[${i}].Amount`] = "Amount is required (a number)"
      })
      return Object.keys(errors).length > 0 ? errors : undefined
    }

    const manualOf = (body: Json, now: number, previous?: Json): Json => {
      const lines = ((body.Lines ?? []) as Array<Json>).map((line) => {
        const rate = vatRateOf(line.AccountVatCode)
        const incl = line.Amount as number
        const excl = round2(incl / (1 + rate))
        return {
          Description: line.Description ?? null,
          AmountExclVatValue: excl,
          AmountInclVatValue: incl,
          VatAmountValue: round2(incl - excl),
          AccountNumber: line.AccountNumber ?? null,
          BalancingAccountNumber: line.BalancingAccountNumber ?? null,
          AccountVatCode: line.AccountVatCode ?? null,
          BalancingAccountVatCode: line.BalancingAccountVatCode ?? null,
          CurrencyKey: "DKK",
          AmountInForeignCurrency: null
        }
      })
      return {
        VoucherNumber: null,
        VoucherDate: body.VoucherDate ?? previous?.VoucherDate ?? dateOnly(now),
        TotalInclVat: round2(lines.reduce((s, l) => s + l.AmountInclVatValue, 0)),
        TotalExclVat: round2(lines.reduce((s, l) => s + l.AmountExclVatValue, 0)),
        FileGuid: body.FileGuid ?? null,
        Guid: previous?.Guid ?? uuid(),
        CreditNoteFor: null,
        Status: "Draft",
        Lines: lines,
        Timestamp: nextTimestamp(),
        ExternalReference: body.ExternalReference ?? null,
        BookedByType: null,
        BookedByUsername: null,
        BookingTime: null
      }
    }

    const bookedBy = (now: number) => ({ BookedByType: "Web", BookedByUsername: "api", BookingTime: zoneless(now) })

    // ---- the router ----------------------------------------------------------------------------------------

    const organizationApi = (
      request: TestServer.TestRequest,
      organizationId: string,
      version: string,
      rest: ReadonlyArray<string>,
      viaConnect: boolean
    ) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const store = storeOf(organizationId)
        const [resource, ...more] = rest
        const ids = more.map((segment) => decodeURIComponent(segment))
        const [id, action, subId] = ids
        const method = request.method
        const route = `${method} ${request.path}`
        const body = () => TestServer.jsonBody(request)

        // -- contacts
        if (resource === "contacts") {
          if (id === undefined && method === "GET" && (version === "v1" || version === "v2")) {
            return listOf(
              request,
              [...store.contacts.values()],
              defaultFields.contacts,
              ["ExternalReference", "Name", "Email", "VatNumber", "EanNumber", "IsPerson", "Phone"],
              undefined,
              version === "v2"
            )
          }
          if (id === undefined && method === "POST" && version === "v1") {
            const b = body()
            const errors = validateContact(b)
            if (errors !== undefined) return invalid(errors)
            const created = contactFromBody(b as Json, (b as Json).ContactGuid ?? uuid(), now)
            store.contacts.set(created.ContactGuid, created)
            return TestServer.json({ ContactGuid: created.ContactGuid })
          }
          const contact = id === undefined ? undefined : store.contacts.get(id)
          if (contact === undefined || (contact.DeletedAt !== null && method !== "GET")) return notFound("Contact", id)
          if (action === undefined && method === "GET" && version === "v1") return TestServer.json(contact)
          if (action === undefined && method === "PUT" && version === "v2") {
            const b = body()
            const errors = validateContact(b)
            if (errors !== undefined) return invalid(errors)
            store.contacts.set(id!, contactFromBody(b as Json, id!, now, contact))
            return HttpServerResponse.empty({ status: 200 })
          }
          if (action === undefined && method === "PUT" && version === "v1") {
            return dineroError(480, 480, "Brownout: PUT /v1/{organizationId}/contacts/{guid} is deprecated; use v2")
          }
          if (action === undefined && method === "DELETE" && version === "v1") {
            store.contacts.set(id!, { ...contact, DeletedAt: zoneless(now), UpdatedAt: zoneless(now) })
            return HttpServerResponse.empty({ status: 200 })
          }
        }

        // -- products
        if (resource === "products" && version === "v1") {
          if (id === undefined && method === "GET") {
            return listOf(request, [...store.products.values()], defaultFields.products, [
              "Name",
              "ProductNumber",
              "ExternalReference"
            ])
          }
          if (id === undefined && method === "POST") {
            const b = body()
            const errors = validateProduct(b)
            if (errors !== undefined) return invalid(errors)
            const guid = uuid()
            store.products.set(guid, productOf(b as Json, guid, now, store.products.size + 1))
            return TestServer.json({ ProductGuid: guid })
          }
          const product = id === undefined ? undefined : store.products.get(id)
          if (product === undefined || (product.DeletedAt !== null && method !== "GET")) return notFound("Product", id)
          if (action === undefined && method === "GET") return TestServer.json(product)
          if (action === undefined && method === "PUT") {
            const b = body()
            const errors = validateProduct(b)
            if (errors !== undefined) return invalid(errors)
            store.products.set(id!, productOf(b as Json, id!, now, 0, product))
            return HttpServerResponse.empty({ status: 200 })
          }
          if (action === undefined && method === "DELETE") {
            store.products.set(id!, { ...product, DeletedAt: zoneless(now), UpdatedAt: zoneless(now) })
            return HttpServerResponse.empty({ status: 200 })
          }
        }

        // -- invoices
        if (resource === "invoices") {
          if (id === undefined && method === "GET" && version === "v1") {
            const q = request.query
            const start = q.get("startDate")
            const end = q.get("endDate")
            if ((start === null) !== (end === null)) {
              return invalid({ startDate: "startDate and endDate go together" })
            }
            const statuses = q
              .get("statusFilter")
              ?.split(",")
              .map((s) => s.trim().toLowerCase())
            const items = [...store.invoices.values()].map(invoiceListItem)
            return listOf(
              request,
              items,
              defaultFields.invoices,
              ["ExternalReference", "ContactGuid", "Description"],
              (invoice) => {
                const date = String(invoice.Date)
                return (
                  (start === null || invoice.Status === "Draft" || (date >= start && date <= (end as string))) &&
                  (statuses === undefined || statuses.includes(String(invoice.Status).toLowerCase()))
                )
              }
            )
          }
          if (id === undefined && method === "POST" && version === "v1") {
            const b = body()
            const errors = validateInvoice(store, b, false)
            if (errors !== undefined) return invalid(errors)
            const invoice = invoiceOf(store, b as Json, now)
            store.invoices.set(invoice.Guid, invoice)
            return TestServer.json({ Guid: invoice.Guid, TimeStamp: invoice.TimeStamp })
          }
          if (id === "fetch" && action === undefined && method === "POST" && version === "v1") {
            const b = body()
            const errors = validateInvoice(store, b, false)
            if (errors !== undefined) return invalid(errors)
            const invoice = invoiceOf(store, b as Json, now)
            const {
              Guid: _g,
              TimeStamp: _t,
              CreatedAt: _c,
              UpdatedAt: _u,
              DeletedAt: _d,
              Status: _s,
              PaymentStatus: _p,
              FikCode: _f,
              DepositAccountNumber: _a,
              MailOutStatus: _m,
              LatestMailOutType: _l,
              IsSentToDebtCollection: _x,
              IsMobilePayInvoiceEnabled: _y,
              IsPensoPayEnabled: _z,
              ...totals
            } = invoice
            return TestServer.json({ ...totals, CanEnableMobilePayInvoice: false, CanEnablePensoPay: false })
          }
          const invoice = id === undefined ? undefined : store.invoices.get(id)
          if (invoice === undefined || invoice.DeletedAt !== null) return notFound("Invoice", id)
          const payments = store.payments.get(invoice.Guid) ?? []
          if (action === undefined && method === "GET" && version === "v1") {
            const accept = request.headers.accept ?? ""
            if (accept.includes("application/octet-stream")) {
              if (invoice.Status !== "Booked") {
                return dineroError(400, 42, "PDFs can only be generated from booked invoices")
              }
              return HttpServerResponse.uint8Array(
                pdfOf(`Faktura ${invoice.Number}`, [
                  `${invoice.ContactName} ${invoice.TotalInclVat} ${invoice.Currency}`
                ]),
                { contentType: "application/octet-stream" }
              )
            }
            return TestServer.json({ ...invoice, PaymentStatus: paymentStatusOf(invoice, payments, now) })
          }
          if (action === undefined && method === "PUT" && version === "v1.2") {
            const b = body()
            const errors = validateInvoice(store, b, true)
            if (errors !== undefined) return invalid(errors)
            if (invoice.Status === "Booked") return dineroError(400, 42, "A booked invoice cannot be updated")
            if ((b as Json).Timestamp !== invoice.TimeStamp) return stale()
            const updated = invoiceOf(store, b as Json, now, invoice)
            store.invoices.set(invoice.Guid, updated)
            return TestServer.json({ Guid: updated.Guid, TimeStamp: updated.TimeStamp })
          }
          if (action === undefined && method === "DELETE" && version === "v1") {
            const b = body()
            if (invoice.Status === "Booked") return dineroError(400, 42, "A booked invoice is credited, not deleted")
            if (isObject(b) && typeof b.Timestamp === "string" && b.Timestamp !== invoice.TimeStamp) return stale()
            store.invoices.set(invoice.Guid, { ...invoice, DeletedAt: zoneless(now), UpdatedAt: zoneless(now) })
            return HttpServerResponse.empty({ status: 200 })
          }
          if (action === "book" && method === "POST" && version === "v1") {
            if (invoice.ContactGuid === null) return invalid({ ContactGuid: "A contact is required to book" })
            const checked = book(invoice, body(), "TimeStamp")
            if (checked.error !== undefined) return checked.error
            const number = salesNumber(store, checked.number)
            const booked: Json = {
              ...invoice,
              Number: number,
              Status: "Booked",
              PaymentStatus: "Booked",
              FikCode: `+71<${String(number).padStart(15, "0")}+85000000<`,
              TimeStamp: nextTimestamp(),
              UpdatedAt: zoneless(now)
            }
            store.invoices.set(invoice.Guid, booked)
            addEntries(
              store,
              now,
              { guid: invoice.Guid, number, date: invoice.Date, type: "Invoice", contactGuid: invoice.ContactGuid },
              [
                { account: 5600, amount: booked.TotalInclVat, description: `Faktura ${number}` },
                ...(booked.ProductLines as Array<Json>).map((l) => ({
                  account: l.AccountNumber,
                  amount: -l.TotalAmount,
                  description: `Faktura ${number}`,
                  vatCode: accountOf(l.AccountNumber)?.VatCode
                }))
              ]
            )
            return TestServer.json(booked)
          }
          if (action === "payments" && subId === undefined && method === "POST" && version === "v1") {
            const b = body()
            if (!isObject(b)) return invalid({ body: "A JSON object is required" })
            const errors: Record<string, string> = {}
            if (typeof b.Timestamp !== "string") errors.Timestamp = "Timestamp is required"
            if (!Number.isInteger(b.DepositAccountNumber) || !depositAccounts.includes(b.DepositAccountNumber)) {
              errors.DepositAccountNumber = "DepositAccountNumber must be a deposit account"
            }
            if (typeof b.Description !== "string" || b.Description === "")
              errors.Description = "Description is required"
            if (!isNumber(b.Amount) || b.Amount === 0) errors.Amount = "Amount must be a number other than 0"
            if (typeof b.RemainderIsFee !== "boolean") errors.RemainderIsFee = "RemainderIsFee is required"
            if (Object.keys(errors).length > 0) return invalid(errors)
            if (invoice.Status !== "Booked")
              return dineroError(400, 42, "Payments can only be added to booked invoices")
            if (b.Timestamp !== invoice.TimeStamp) return stale()
            const payment = {
              Guid: uuid(),
              DepositAccountNumber: b.DepositAccountNumber,
              Currency: "DKK",
              ExchangeRate: 100,
              PaymentClass: "Invoice",
              RelatedVoucherId: null,
              ExternalReference: b.ExternalReference ?? null,
              PaymentDate: b.PaymentDate ?? dateOnly(now),
              Description: b.Description,
              Amount: b.Amount
            }
            store.payments.set(invoice.Guid, [...payments, payment])
            const touched = { ...invoice, TimeStamp: nextTimestamp(), UpdatedAt: zoneless(now) }
            store.invoices.set(invoice.Guid, touched)
            addEntries(
              store,
              now,
              { guid: payment.Guid, number: invoice.Number, date: payment.PaymentDate, type: "Payment" },
              [
                { account: b.DepositAccountNumber, amount: b.Amount, description: b.Description },
                { account: 5600, amount: -b.Amount, description: b.Description }
              ]
            )
            return TestServer.json({ Guid: payment.Guid, TimeStamp: touched.TimeStamp, RelatedVoucherGuid: null })
          }
          if (action === "payments" && subId === undefined && method === "GET" && version === "v2") {
            const paid = paidOf(payments)
            return TestServer.json({
              Payments: payments,
              RemainingAmount: round2(invoice.TotalInclVat - paid),
              PaidAmount: paid,
              InvoiceTotalIncludingReminderExpenses: invoice.TotalInclVat,
              RemainderAsFeeAvailable: paid > 0 && paid < invoice.TotalInclVat
            })
          }
          if (action === "payments" && subId !== undefined && method === "DELETE" && version === "v1") {
            const b = body()
            if (!isObject(b) || typeof b.Timestamp !== "string") return invalid({ Timestamp: "Timestamp is required" })
            if (b.Timestamp !== invoice.TimeStamp) return stale()
            if (!payments.some((p) => p.Guid === subId)) return notFound("Payment", subId)
            store.payments.set(
              invoice.Guid,
              payments.filter((p) => p.Guid !== subId)
            )
            const touched = { ...invoice, TimeStamp: nextTimestamp(), UpdatedAt: zoneless(now) }
            store.invoices.set(invoice.Guid, touched)
            return TestServer.json({ TimeStamp: touched.TimeStamp })
          }
          if (action === "email" && method === "POST" && version === "v1") {
            const b = body()
            if (!isObject(b) || typeof b.ShouldAddTrustPilotEmailAsBcc !== "boolean") {
              return invalid({ ShouldAddTrustPilotEmailAsBcc: "ShouldAddTrustPilotEmailAsBcc is required" })
            }
            if (invoice.Status !== "Booked") return dineroError(400, 42, "Only booked invoices can be sent")
            if (typeof b.Timestamp === "string" && b.Timestamp !== invoice.TimeStamp) return stale()
            if (typeof b.Message === "string" && !b.Message.includes("[link-to-pdf]")) {
              return invalid({ Message: "Message must contain [link-to-pdf]" })
            }
            const receiver = b.Receiver ?? store.contacts.get(invoice.ContactGuid)?.Email
            if (typeof receiver !== "string") return invalid({ Receiver: "The contact has no email; give a Receiver" })
            store.invoices.set(invoice.Guid, { ...invoice, MailOutStatus: "Sent", LatestMailOutType: "Mailout" })
            return TestServer.json({ Recipients: [{ Email: receiver }] })
          }
          if (action === "generate-creditnote" && method === "POST" && version === "v1") {
            const b = body()
            if (invoice.Status !== "Booked") return dineroError(400, 42, "Only booked invoices can be credited")
            if (isObject(b) && typeof b.Timestamp === "string" && b.Timestamp !== invoice.TimeStamp) return stale()
            const note: Json = {
              ...invoice,
              Guid: uuid(),
              TimeStamp: nextTimestamp(),
              Number: 0,
              Status: "Draft",
              PaymentStatus: "Draft",
              Description: "Kreditnota",
              CreatedAt: zoneless(now),
              UpdatedAt: zoneless(now),
              CreditNoteFor: invoice.Guid
            }
            store.creditNotes.set(note.Guid, note)
            return TestServer.json({ Guid: note.Guid, TimeStamp: note.TimeStamp })
          }
        }

        // -- credit notes
        if (resource === "sales" && id === "creditnotes" && version === "v1") {
          const [, noteGuid, noteAction] = ids
          const note = noteGuid === undefined ? undefined : store.creditNotes.get(noteGuid)
          if (note === undefined) return notFound("Credit note", noteGuid)
          const readModel = () => {
            const {
              PaymentDate: _a,
              PaymentConditionNumberOfDays: _b,
              PaymentConditionType: _c,
              FikCode: _d,
              DepositAccountNumber: _e,
              IsSentToDebtCollection: _f,
              IsMobilePayInvoiceEnabled: _g,
              IsPensoPayEnabled: _h,
              ...rest
            } = store.creditNotes.get(note.Guid)!
            return rest
          }
          if (noteAction === undefined && method === "GET") return TestServer.json(readModel())
          if (noteAction === "book" && method === "POST") {
            const checked = book(note, body(), "TimeStamp")
            if (checked.error !== undefined) return checked.error
            const number = salesNumber(store, checked.number)
            const booked: Json = {
              ...note,
              Number: number,
              Status: "Booked",
              PaymentStatus: "Booked",
              TimeStamp: nextTimestamp()
            }
            store.creditNotes.set(note.Guid, booked)
            const original = store.invoices.get(note.CreditNoteFor)
            if (original !== undefined) {
              store.payments.set(original.Guid, [
                ...(store.payments.get(original.Guid) ?? []),
                {
                  Guid: uuid(),
                  DepositAccountNumber: null,
                  Currency: "DKK",
                  ExchangeRate: 100,
                  PaymentClass: "CreditNote",
                  RelatedVoucherId: note.Guid,
                  ExternalReference: null,
                  PaymentDate: dateOnly(now),
                  Description: `Kreditnota ${number}`,
                  Amount: note.TotalInclVat
                }
              ])
              store.invoices.set(original.Guid, { ...original, TimeStamp: nextTimestamp(), UpdatedAt: zoneless(now) })
            }
            addEntries(store, now, { guid: note.Guid, number, date: dateOnly(now), type: "CreditNote" }, [
              { account: 5600, amount: -note.TotalInclVat, description: `Kreditnota ${number}` },
              { account: 1000, amount: note.TotalExclVat, description: `Kreditnota ${number}`, vatCode: "U25" }
            ])
            // The spec answers booking with an `InvoiceReadModel`.
            const { CreditNoteFor: _x, ...invoiceShape } = booked
            return TestServer.json(invoiceShape)
          }
          if (noteAction === "pdf" && method === "GET") {
            if (note.Status !== "Booked")
              return dineroError(400, 42, "PDFs can only be generated from booked credit notes")
            return HttpServerResponse.uint8Array(
              pdfOf(`Kreditnota ${note.Number}`, [`${note.ContactName} ${note.TotalInclVat}`]),
              {
                contentType: "application/pdf"
              }
            )
          }
        }

        // -- files
        if (resource === "files" && id === undefined && method === "POST" && version === "v1") {
          if (request.bytes.length > 6 * 1024 * 1024) return TestServer.json("The file is larger than 6 MB", 400)
          const contentType = request.headers["content-type"] ?? ""
          if (!contentType.startsWith("multipart/form-data"))
            return TestServer.json("Expected multipart/form-data", 400)
          const form = yield* Effect.promise(() =>
            new Response(request.bytes.slice(), { headers: { "content-type": contentType } })
              .formData()
              .catch(() => undefined)
          )
          const file = form?.get("file")
          if (file === undefined || file === null || typeof file === "string") {
            return TestServer.json("Expected a file in the form field 'file'", 400)
          }
          if (!/^(application\/pdf|image\/)/.test(file.type))
            return TestServer.json("Only PDF and images are accepted", 400)
          const guid = uuid()
          store.files.set(guid, { name: file.name, type: file.type, size: file.size })
          return TestServer.json({ FileGuid: guid })
        }

        // -- purchase vouchers
        if (resource === "vouchers" && id === "purchase") {
          const [, guid, voucherAction] = ids
          if (guid === undefined && method === "POST" && version === "v1.2") {
            const b = body()
            const errors = validatePurchase(store, b, false)
            if (errors !== undefined) return invalid(errors)
            const voucher = purchaseOf(b as Json, now)
            store.purchaseVouchers.set(voucher.Guid, voucher)
            return TestServer.json(voucher)
          }
          const voucher = guid === undefined ? undefined : store.purchaseVouchers.get(guid)
          if (voucher === undefined) return notFound("Purchase voucher", guid)
          if (voucherAction === undefined && method === "GET" && version === "v1") return TestServer.json(voucher)
          if (voucherAction === undefined && method === "PUT" && version === "v1.1") {
            const b = body()
            const errors = validatePurchase(store, b, true)
            if (errors !== undefined) return invalid(errors)
            if (voucher.Status !== "Draft") return dineroError(400, 42, "A booked purchase voucher cannot be updated")
            if ((b as Json).Timestamp !== voucher.Timestamp) return stale()
            const updated = purchaseOf(b as Json, now, voucher)
            store.purchaseVouchers.set(voucher.Guid, updated)
            return TestServer.json(updated)
          }
          if (voucherAction === undefined && method === "DELETE" && version === "v1") {
            const b = body()
            if (isObject(b) && typeof b.Timestamp === "string" && b.Timestamp !== voucher.Timestamp) return stale()
            store.purchaseVouchers.delete(voucher.Guid)
            return HttpServerResponse.empty({ status: 200 })
          }
          if (voucherAction === "book" && method === "POST" && version === "v1") {
            const checked = book(voucher, body(), "Timestamp")
            if (checked.error !== undefined) return checked.error
            if ((voucher.Lines as Array<Json>).length === 0)
              return invalid({ Lines: "A voucher needs at least one line" })
            const number = checked.number ?? store.nextVoucherNumber
            store.nextVoucherNumber = Math.max(store.nextVoucherNumber, number + 1)
            const booked = {
              ...voucher,
              VoucherNumber: number,
              Status: voucher.PurchaseType === "cash" ? "Paid" : "Booked",
              Timestamp: nextTimestamp(),
              ...bookedBy(now)
            }
            store.purchaseVouchers.set(voucher.Guid, booked)
            const total = (voucher.VoucherTotals as Array<Json>).find((t) => t.Type === "Total")!.Total
            addEntries(
              store,
              now,
              {
                guid: voucher.Guid,
                number,
                date: voucher.VoucherDate,
                type: "PurchaseVoucher",
                fileGuid: voucher.FileGuid,
                contactGuid: voucher.ContactGuid
              },
              [
                ...(voucher.Lines as Array<Json>).map((l) => ({
                  account: l.AccountNumber,
                  amount: l.AmountExclVatValue,
                  description: l.Description ?? "Køb",
                  vatCode: l.VatCode
                })),
                { account: voucher.DepositAccountNumber ?? 6800, amount: -total, description: "Køb" }
              ]
            )
            return TestServer.json(booked)
          }
        }

        // -- manual vouchers
        if (resource === "vouchers" && id === "manuel" && version === "v1") {
          const [, guid, voucherAction] = ids
          if (guid === undefined && method === "POST") {
            const b = body()
            const errors = validateManual(b, false)
            if (errors !== undefined) return invalid(errors)
            const voucher = manualOf(b as Json, now)
            store.manualVouchers.set(voucher.Guid, voucher)
            return TestServer.json(voucher)
          }
          const voucher = guid === undefined ? undefined : store.manualVouchers.get(guid)
          if (voucher === undefined) return notFound("Manual voucher", guid)
          if (voucherAction === undefined && method === "GET") return TestServer.json(voucher)
          if (voucherAction === undefined && method === "PUT") {
            const b = body()
            const errors = validateManual(b, true)
            if (errors !== undefined) return invalid(errors)
            if (voucher.Status !== "Draft") return dineroError(400, 42, "A booked manual voucher cannot be updated")
            if ((b as Json).Timestamp !== voucher.Timestamp) return stale()
            const updated = manualOf(b as Json, now, voucher)
            store.manualVouchers.set(voucher.Guid, updated)
            return TestServer.json(updated)
          }
          if (voucherAction === undefined && method === "DELETE") {
            const b = body()
            if (!isObject(b) || typeof b.Timestamp !== "string") return invalid({ Timestamp: "Timestamp is required" })
            if (b.Timestamp !== voucher.Timestamp) return stale()
            store.manualVouchers.delete(voucher.Guid)
            return HttpServerResponse.empty({ status: 200 })
          }
          if (voucherAction === "book" && method === "POST") {
            const checked = book(voucher, body(), "Timestamp")
            if (checked.error !== undefined) return checked.error
            const number = checked.number ?? store.nextVoucherNumber
            store.nextVoucherNumber = Math.max(store.nextVoucherNumber, number + 1)
            const booked = {
              ...voucher,
              VoucherNumber: number,
              Status: "Booked",
              Timestamp: nextTimestamp(),
              ...bookedBy(now)
            }
            store.manualVouchers.set(voucher.Guid, booked)
            addEntries(
              store,
              now,
              {
                guid: voucher.Guid,
                number,
                date: voucher.VoucherDate,
                type: "ManualVoucher",
                fileGuid: voucher.FileGuid
              },
              (voucher.Lines as Array<Json>).flatMap((l) => [
                { account: l.AccountNumber, amount: l.AmountInclVatValue, description: l.Description ?? "" },
                { account: l.BalancingAccountNumber, amount: -l.AmountInclVatValue, description: l.Description ?? "" }
              ])
            )
            return TestServer.json(booked)
          }
        }

        // -- ledger items
        if (resource === "ledgeritems") {
          const items = TestServer.jsonBody(request)
          if (id === undefined && method === "POST" && version === "v1.2") {
            if (!Array.isArray(items) || items.length === 0 || items.length > 1000) {
              return invalid({ body: "An array of 1 to 1000 ledger items is required" })
            }
            const refs: Array<Json> = []
            for (const [i, item] of items.entries()) {
              if (!isObject(item) || !Array.isArray(item.Lines) || item.Lines.length === 0) {
                return invalid({ [`[${i}].Lines`]: "A ledger item needs lines" })
              }
              if (item.VoucherDate != null && !isDate(item.VoucherDate)) {
                return invalid({ [`[${i}].VoucherDate`]: "VoucherDate must be YYYY-MM-DD" })
              }
              if (item.FileGuid != null && !store.files.has(String(item.FileGuid))) {
                return invalid({ [`[${i}].FileGuid`]: "The file does not exist" })
              }
              const ledgerId = item.Id ?? uuid()
              const version = nextTimestamp()
              store.ledgerItems.set(ledgerId, {
                ...item,
                Id: ledgerId,
                Version: version,
                Status: "Draft",
                VoucherNumber: null
              })
              refs.push({ Id: ledgerId, Version: version })
            }
            // The spec answers with one LedgerItemReadModel.
            return TestServer.json(refs[0])
          }
          if (id === "book" && method === "POST" && version === "v1") {
            if (!Array.isArray(items)) return invalid({ body: "An array of ledger items is required" })
            for (const ref of items) {
              const item = isObject(ref) ? store.ledgerItems.get(String(ref.Id)) : undefined
              if (item === undefined) return notFound("Ledger item", isObject(ref) ? String(ref.Id) : "")
              if (ref.Version != null && ref.Version !== item.Version) return stale()
            }
            for (const ref of items as Array<Json>) {
              const item = store.ledgerItems.get(String(ref.Id))!
              store.ledgerItems.set(item.Id, { ...item, Status: "PendingBooking", bookAt: now + ledgerDelay })
            }
            return HttpServerResponse.empty({ status: 200 })
          }
          if (id === "status" && method === "POST" && version === "v1") {
            if (!Array.isArray(items)) return invalid({ body: "An array of { Id } is required" })
            const out: Array<Json> = []
            for (const ref of items) {
              const item = isObject(ref) ? store.ledgerItems.get(String(ref.Id)) : undefined
              if (item === undefined) continue
              if (item.Status === "PendingBooking" && item.bookAt !== undefined && now >= item.bookAt) {
                const number = item.VoucherNumber ?? store.nextVoucherNumber++
                const booked = { ...item, Status: "Booked", VoucherNumber: number, Version: nextTimestamp() }
                delete booked.bookAt
                store.ledgerItems.set(item.Id, booked)
                addEntries(
                  store,
                  now,
                  {
                    guid: item.Id,
                    number,
                    date: item.VoucherDate ?? dateOnly(now),
                    type: "Ledger",
                    fileGuid: item.FileGuid
                  },
                  (item.Lines as Array<Json>).flatMap((l) => [
                    {
                      account: l.AccountNumber,
                      amount: l.Amount ?? 0,
                      description: l.Description ?? "",
                      vatCode: l.AccountVatCode
                    },
                    { account: l.BalancingAccountNumber, amount: -(l.Amount ?? 0), description: l.Description ?? "" }
                  ])
                )
              }
              const current = store.ledgerItems.get(item.Id)!
              out.push({
                Status: current.Status,
                VoucherNumber: current.VoucherNumber,
                Id: current.Id,
                Version: current.Version
              })
            }
            return TestServer.json(out)
          }
        }

        // -- webhooks (Visma Connect only)
        if (resource === "webhooks" && version === "v1") {
          if (!viaConnect) {
            return dineroError(403, 41, "Webhooks are available to Visma Connect integrations only")
          }
          const subscriptions = webhooks.get(organizationId) ?? new Map<string, string>()
          webhooks.set(organizationId, subscriptions)
          if (id === "events" && method === "GET") return TestServer.json(webhookEvents.map((EventId) => ({ EventId })))
          if (id === "subscriptions" && method === "GET") {
            return TestServer.json([...subscriptions].map(([EventId, Uri]) => ({ EventId, Uri })))
          }
          if (id === "subscribe" && method === "POST") {
            const b = body()
            if (!isObject(b) || typeof b.Uri !== "string" || !/^https:\/\//.test(b.Uri)) {
              return invalid({ Uri: "Uri must be an https URL" })
            }
            if (typeof b.EventId !== "string" || !(webhookEvents as ReadonlyArray<string>).includes(b.EventId)) {
              return invalid({ EventId: `EventId must be one of ${webhookEvents.join(", ")}` })
            }
            subscriptions.set(b.EventId, b.Uri)
            return HttpServerResponse.empty({ status: 200 })
          }
          if (id === "unsubscribe" && method === "DELETE") {
            const b = body()
            if (!isObject(b) || typeof b.EventId !== "string" || !subscriptions.has(b.EventId)) {
              return notFound("Subscription", isObject(b) ? String(b.EventId) : "")
            }
            subscriptions.delete(b.EventId)
            return HttpServerResponse.empty({ status: 200 })
          }
        }

        // -- reference data
        if (version === "v1" && method === "GET") {
          const fields = request.query.get("fields")
          if (resource === "accountingyears" && id === undefined) {
            const year = new Date(now).getUTCFullYear()
            return TestServer.json(
              [year - 1, year].map((y) => ({
                Name: String(y),
                FromDate: `${y}-01-01`,
                ToDate: `${y}-12-31`,
                SalarySumTaxStateEnum: "None"
              }))
            )
          }
          if (resource === "accounts" && (id === "entry" || id === "purchase") && action === undefined) {
            const category = request.query.get("categoryFilter")
            const accounts = seedAccounts
              .filter((a) => id === "entry" || (a.AccountNumber >= 2000 && a.AccountNumber <= 9399))
              .filter((a) => id !== "entry" || category === null || a.Category === category)
              .map((a) => ({
                AccountNumber: a.AccountNumber,
                PublicStandardNumber: null,
                Name: a.Name,
                VatCode: a.VatCode,
                Category: a.Category,
                CategoryName: a.Category,
                IsHidden: false,
                IsDefaultSalesAccount: a.AccountNumber === 1000
              }))
            const defaults = id === "entry" ? defaultFields.entryAccounts : defaultFields.purchaseAccounts
            return TestServer.json(accounts.map((a) => project(a, fields, defaults)))
          }
          if (resource === "accounts" && id === "deposit" && action === undefined) {
            const accounts = depositAccounts.map((n) => ({
              AccountNumber: n,
              PublicStandardNumber: null,
              Name: accountOf(n)!.Name,
              IsDefault: n === 55000,
              IsHidden: false,
              BankRegistrationNumber: n === 55000 ? "1234" : null,
              BankAccountNumber: n === 55000 ? "0012345678" : null,
              BankSwiftNumber: null,
              BankIbanNumber: null
            }))
            return TestServer.json(accounts.map((a) => project(a, fields, defaultFields.depositAccounts)))
          }
          if (resource === "vatTypes" && id === undefined) return TestServer.json(vatTypes)
          if (resource === "entries") {
            const changes = id === "changes"
            if (id !== undefined && !changes) return notFound("Route", request.path)
            const fromText = request.query.get(changes ? "changesFrom" : "fromDate")
            const toText = request.query.get(changes ? "changesTo" : "toDate")
            if (
              fromText === null ||
              toText === null ||
              Number.isNaN(Date.parse(fromText)) ||
              Number.isNaN(Date.parse(toText))
            ) {
              return invalid({ [changes ? "changesFrom" : "fromDate"]: "A from and a to date-time are required" })
            }
            const from = Date.parse(fromText)
            const to = Date.parse(toText)
            if (to < from) return invalid({ [changes ? "changesTo" : "toDate"]: "The range ends before it starts" })
            if (!changes && new Date(from).getUTCFullYear() !== new Date(to).getUTCFullYear()) {
              return invalid({ toDate: "The period cannot cross accounting years" })
            }
            if (changes && to - from > 31 * 86_400_000) {
              return invalid({ changesTo: "The time range cannot be longer than 31 days" })
            }
            const inRange = store.entries.filter(({ entry, at }) =>
              changes
                ? at >= from && at < to
                : Date.parse(`${entry.Date}T00:00:00Z`) >= from && Date.parse(`${entry.Date}T00:00:00Z`) <= to
            )
            return TestServer.json(inRange.map(({ entry }) => entry))
          }
        }
        return dineroError(404, 40, `No route for ${route}`)
      })

    const api = (request: TestServer.TestRequest) =>
      Effect.gen(function* () {
        const bearer = TestServer.bearerOf(request)
        if (bearer === undefined) return denied()
        const check = yield* tokens.check(bearer)
        if (check._tag !== "Valid") return denied()
        const granted = (check.token.data.organizations ?? [check.token.subject]) as ReadonlyArray<string>
        const clientId = String(check.token.data.clientId)
        const [version, first, ...rest] = request.path.split("/").filter((p) => p.length > 0)
        const pathOrganization = first === "organizations" ? undefined : decodeURIComponent(first ?? "")
        if (pathOrganization !== undefined && !granted.includes(pathOrganization)) {
          return dineroError(403, 41, `The access token does not give access to organization ${pathOrganization}`)
        }
        const organizationId = pathOrganization ?? granted[0]!
        const limited = admit(`${clientId}:${organizationId}`, yield* Clock.currentTimeMillis)
        if (limited !== undefined) return limited
        if (first === "organizations" && rest.length === 0 && request.method === "GET" && version === "v1") {
          const list = granted.flatMap((id) => {
            const organization = organizations.get(id)
            if (organization === undefined) return []
            const info = {
              Name: organization.name,
              Id: Number(organization.organizationId),
              Type: "default",
              IsPro: organization.isPro ?? true,
              IsPayingPro: organization.isPro ?? true,
              IsVatFree: false,
              Email: `info@${organization.organizationId}.example.dk`,
              Phone: null,
              Street: null,
              City: "København",
              ZipCode: "1000",
              AttPerson: null,
              IsTaxFreeUnion: false,
              VatNumber: `DK${organization.organizationId.padStart(8, "0").slice(-8)}`,
              CountryKey: "DK",
              Website: null
            }
            return [project(info, request.query.get("fields"), ["Name", "Id"])]
          })
          return TestServer.json(list)
        }
        const organization = organizations.get(organizationId)
        if (organization === undefined) return dineroError(404, 40, `Organization ${organizationId} was not found`)
        if (!(organization.isPro ?? true)) {
          return dineroError(403, 48, "This organization does not have a Pro subscription, which the API requires")
        }
        return yield* organizationApi(
          request,
          organizationId,
          version ?? "",
          rest,
          check.token.data.grant !== undefined
        )
      })

    const handler: TestServer.Handler = (request) =>
      request.path === tokenPath
        ? tokenEndpoint(request)
        : request.path === connectAuthorizePath && request.method === "GET"
          ? connectAuthorize(request)
          : request.path === connectTokenPath
            ? connectToken(request)
            : /^\/v[\d.]+\//.test(request.path)
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
              IsMember: false,
              UseCvr: false,
              Email: `kunde${n}@example.dk`,
              City: "København"
            },
            uuid(),
            now
          )
          store.contacts.set(contact.ContactGuid, contact)
          guids.push(contact.ContactGuid)
        }
        return guids
      })

    const seedProduct = (organizationId: string, name: string, price: number) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const store = storeOf(organizationId)
        const guid = uuid()
        store.products.set(guid, {
          CreatedAt: zoneless(now),
          UpdatedAt: zoneless(now),
          DeletedAt: null,
          ProductGuid: guid,
          BaseAmountValueInclVat: round2(price * 1.25),
          TotalAmount: price,
          TotalAmountInclVat: round2(price * 1.25),
          ProductNumber: String(store.products.size + 1),
          Name: name,
          BaseAmountValue: price,
          Quantity: 1,
          AccountNumber: 1000,
          Unit: "parts",
          ExternalReference: null,
          Comment: null
        })
        return guid
      })

    const seed = Effect.gen(function* () {
      for (const organization of organizations.values()) {
        yield* seedContacts(organization.organizationId, 3)
        yield* seedProduct(organization.organizationId, "Konsulenttime", 950)
        yield* seedProduct(organization.organizationId, "Licens, måned", 149.5)
      }
    })
    yield* seed

    const isTokenRequest = (r: TestServer.LoggedRequest) => r.path === tokenPath || r.path === connectTokenPath

    return {
      ...server,
      tokens,
      /** Token requests received (both token endpoints), oldest first. */
      tokenRequests: Effect.map(server.requests, (all) => all.filter(isTokenRequest)),
      /** API requests received (everything but the token and authorize endpoints), oldest first. */
      apiRequests: Effect.map(server.requests, (all) =>
        all.filter((r) => !isTokenRequest(r) && r.path !== connectAuthorizePath)
      ),
      /** The organization a personal-integration token was issued for (undefined for unknown tokens). */
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
      /** Plays another user editing an invoice: its `TimeStamp` changes. Returns the new one. */
      touchInvoice: (organizationId: string, guid: string) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const invoice = storeOf(organizationId).invoices.get(guid)
          if (invoice === undefined) return undefined
          const touched = { ...invoice, TimeStamp: nextTimestamp(), UpdatedAt: zoneless(now) }
          storeOf(organizationId).invoices.set(guid, touched)
          return touched.TimeStamp as string
        }),
      /** The uploaded files of an organization (name, type, size), by `FileGuid`. */
      files: (organizationId: string) => Effect.sync(() => new Map(storeOf(organizationId).files)),
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
        }),
      /** Visma Connect: the organizations the next consents grant (default: all). */
      setConsent: (organizationIds: ReadonlyArray<string> | undefined) =>
        Effect.sync(() => {
          consentOrganizations = organizationIds
        }),
      /** Visma Connect: the next authorization is refused with this OAuth2 error (default `access_denied`). */
      denyNextAuthorization: (error = "access_denied") =>
        Effect.sync(() => {
          denyNext = error
        }),
      /** Forgets all data, tokens, grants, windows and the request log; seeds again. */
      reset: Effect.gen(function* () {
        yield* server.reset
        stores.clear()
        windows.clear()
        codes.clear()
        grants.clear()
        refreshIndex.clear()
        yield* tokens.revoke()
        yield* seed
      })
    }
  })

export type DineroTestServer = Effect.Success<ReturnType<typeof make>>

/** An in-memory HttpClient answering with `server` (shares the caller's Clock, so TestClock applies). */
export const makeClient = (server: DineroTestServer): Effect.Effect<HttpClient.HttpClient> =>
  TestServer.makeMemoryClient(server.app)

/** The server as the client's HttpClient, in memory. */
export const layerClient = (server: DineroTestServer): Layer.Layer<HttpClient.HttpClient> =>
  TestServer.layerMemoryClient(server.app)

/** Serves `server` on the current `HttpServer` (loopback) and returns its base URL. */
export const listen = (server: DineroTestServer) => TestServer.listen(server.app)

/** The test server of `layer`, to reach its controls. */
export class Server extends Context.Service<Server, DineroTestServer>()("@nordkit/dinero/testing/Server") {}

/** A test server in memory: provides `Server` (its controls) and the `HttpClient` that reaches it. */
export const layer = (options?: Options): Layer.Layer<Server | HttpClient.HttpClient> =>
  Layer.unwrap(
    Effect.map(make(options), (server) =>
      Layer.merge(Layer.succeed(Server, server), TestServer.layerMemoryClient(server.app))
    )
  )
