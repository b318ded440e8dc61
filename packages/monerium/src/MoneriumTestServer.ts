/**
 * A protocol-faithful Monerium test server, for nordkit's tests, the demo, the example web app and your own
 * integration tests. As strict as a careful OAuth2 server:
 *
 * - `GET /auth` checks the client id, the exact redirect URI, S256 (the only method) and the challenge, then
 *   renders a tiny consent page (Approve / Deny) whose form posts to `/auth/decision`, which redirects back to
 *   `redirect_uri?code=...&state=...` or `?error=access_denied&state=...`. `approve(url)` / `deny(url)` do the
 *   same without a browser.
 * - `POST /auth/token` (form body): `authorization_code` (PKCE verified — a wrong verifier is `invalid_grant`;
 *   exact redirect URI; same client id; codes single-use, and a reused code revokes what it issued),
 *   `refresh_token` (rotation: every use retires the token; **reusing a retired refresh token revokes the whole
 *   grant**; another client id is refused with 400), `client_credentials` (secret in the body).
 * - API v2 (`/auth/context`, `/profiles`, `/addresses`, `/balances/{chain}/{address}`, `/ibans`, `/orders`)
 *   with seeded data, bearer tokens checked for expiry and revocation, the v2 `Accept` header required,
 *   Monerium's `{ code, status, message, errors }` error bodies.
 * - CORS for browser apps, fault injection and a request log from the core harness.
 */
import { TestServer } from "@nordkit/core/testing"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type * as Layer from "effect/Layer"

export interface CodeApp {
  readonly clientId: string
  readonly redirectUris: ReadonlyArray<string>
}

export interface PartnerApp {
  readonly clientId: string
  readonly clientSecret: string
}

export interface Options {
  readonly codeApps?: ReadonlyArray<CodeApp> | undefined
  readonly partnerApps?: ReadonlyArray<PartnerApp> | undefined
  /** `expires_in` of access tokens, seconds. Default 3600 (Monerium's). */
  readonly accessTokenLifetimeSeconds?: number | undefined
  /** Lifetime of authorization codes, seconds. Default 60. */
  readonly codeLifetimeSeconds?: number | undefined
  /**
   * Called with every request as it arrives, before it is handled (for tests that must observe ordering, e.g.
   * what a client's token store held when a request left).
   */
  readonly onRequest?: ((request: TestServer.TestRequest) => Effect.Effect<void>) | undefined
}

export const defaultCodeApp: CodeApp = {
  clientId: "nordkit-code-app",
  redirectUris: ["http://127.0.0.1/callback", "http://localhost/callback"]
}

export const defaultPartnerApp: PartnerApp = {
  clientId: "nordkit-partner-app",
  clientSecret: "nordkit-partner-secret"
}

export const acceptV2 = "application/vnd.monerium.api-v2+json"

/** The seeded user who approves on the consent page. */
export const seed = {
  userId: "6b1d9fe5-0000-4000-8000-000000000001",
  email: "anna@example.com",
  name: "Anna Jónsdóttir",
  profileId: "9a0c5f8e-0000-4000-8000-0000000000a1",
  corporateProfileId: "9a0c5f8e-0000-4000-8000-0000000000c2",
  address: "0x59cFC2d5B9B7f0B7a6c6e4E2b0A1f6B9d6d8f001",
  chain: "ethereum",
  gnosisAddress: "0x59cFC2d5B9B7f0B7a6c6e4E2b0A1f6B9d6d8f002",
  iban: "IS14 0159 2600 7654 5510 7303 39"
} as const

interface PendingConsent {
  readonly clientId: string
  readonly redirectUri: string
  readonly challenge: string
  readonly state: string | null
  readonly email: string | null
}

interface IssuedCode {
  readonly clientId: string
  readonly redirectUri: string
  readonly challenge: string
  readonly userId: string
  readonly expiresAt: number
  used: boolean
  grantId?: string
}

interface Grant {
  readonly id: string
  readonly clientId: string
  readonly userId: string
  revoked: boolean
  /** Every refresh token of the grant, in order; only the last one is live. */
  readonly refreshTokens: Array<string>
}

interface StoredOrder {
  id: string
  profile: string
  address: string
  kind: "issue" | "redeem"
  chain: string
  amount: string
  currency: string
  counterpart: unknown
  memo: string | null
  meta: { placedAt: string; processedAt?: string; txHashes?: Array<string> }
  state: "placed" | "pending" | "processed" | "rejected"
}

const statusText: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity"
}

const corsHeaders = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, accept",
  "access-control-max-age": "600"
}

const moneriumError = (status: number, message: string, errors?: Record<string, string>) =>
  TestServer.json(
    { code: status, status: statusText[status] ?? "Error", message, ...(errors ? { errors } : {}) },
    status
  )

const oauthError = (status: number, error: string, description: string) =>
  TestServer.json({ error, error_description: description }, status, { "cache-control": "no-store" })

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!)

const isDecimal = (value: unknown): value is string => typeof value === "string" && /^\d+(\.\d{1,2})?$/.test(value)

const sha256Base64Url = (text: string) =>
  Effect.promise(() => globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))).pipe(
    Effect.map((buffer) => {
      let binary = ""
      for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte)
      return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
    })
  )

const randomId = (bytes = 16) => {
  const buffer = new Uint8Array(bytes)
  globalThis.crypto.getRandomValues(buffer)
  return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("")
}

export const make = (options: Options = {}) =>
  Effect.gen(function* () {
    const codeApps = new Map((options.codeApps ?? [defaultCodeApp]).map((app) => [app.clientId, app]))
    const partnerApps = new Map((options.partnerApps ?? [defaultPartnerApp]).map((app) => [app.clientId, app]))
    const accessLifetime = options.accessTokenLifetimeSeconds ?? 3600
    const codeLifetime = options.codeLifetimeSeconds ?? 60
    const tokens = yield* TestServer.makeTokenRegistry
    const consents = new Map<string, PendingConsent>()
    const codes = new Map<string, IssuedCode>()
    const grants = new Map<string, Grant>()
    const refreshIndex = new Map<string, string>() // refresh token -> grant id
    /** How many times each refresh token was presented (a healthy client: never more than once). */
    const refreshUses = new Map<string, number>()
    let reuseDetections = 0
    // access token -> its grant, for revoking a whole grant
    const tokenGrant = new Map<string, string>()

    const isoAt = (ms: number) => new Date(ms).toISOString()

    // ------------------------------------------------------------------ seeded data
    const profiles = [
      { id: seed.profileId, name: seed.name, kind: "personal", state: "approved" },
      { id: seed.corporateProfileId, name: "Fjord Tools ehf.", kind: "corporate", state: "approved" }
    ]
    const addresses = [
      { profile: seed.profileId, address: seed.address, chains: ["ethereum", "gnosis"] },
      { profile: seed.profileId, address: seed.gnosisAddress, chains: ["gnosis"] },
      { profile: seed.corporateProfileId, address: "0x00000000000000000000000000000000000c0rp1", chains: ["polygon"] }
    ]
    const balances = new Map<string, Array<{ currency: string; amount: string }>>([
      [
        `ethereum/${seed.address.toLowerCase()}`,
        [
          { currency: "eur", amount: "1234.56" },
          { currency: "isk", amount: "150000" }
        ]
      ],
      [`gnosis/${seed.address.toLowerCase()}`, [{ currency: "eur", amount: "0.10" }]],
      [`gnosis/${seed.gnosisAddress.toLowerCase()}`, [{ currency: "eur", amount: "42.00" }]]
    ])
    const ibans: Array<Record<string, unknown>> = [
      {
        iban: seed.iban,
        bic: "EAPFESM2XXX",
        profile: seed.profileId,
        address: seed.address,
        chain: "ethereum",
        state: "approved",
        emailNotifications: true
      }
    ]
    const orders: Array<StoredOrder> = [
      {
        id: "ord-0001",
        profile: seed.profileId,
        address: seed.address,
        kind: "issue",
        chain: "ethereum",
        amount: "1500.00",
        currency: "eur",
        counterpart: {
          identifier: { standard: "iban", iban: "IS14 0159 2600 7654 5510 7303 39" },
          details: { firstName: "Anna", lastName: "Jónsdóttir", country: "IS" }
        },
        memo: "Salary",
        meta: { placedAt: "2025-01-10T09:00:00.000Z", processedAt: "2025-01-10T09:01:00.000Z", txHashes: ["0xabc1"] },
        state: "processed"
      },
      {
        id: "ord-0002",
        profile: seed.profileId,
        address: seed.address,
        kind: "redeem",
        chain: "ethereum",
        amount: "265.44",
        currency: "eur",
        counterpart: {
          identifier: { standard: "iban", iban: "DK50 0040 0440 1162 43" },
          details: { companyName: "Nordic Rent ApS", country: "DK" }
        },
        memo: "Rent",
        meta: { placedAt: "2025-01-12T12:00:00.000Z" },
        state: "pending"
      }
    ]
    let orderSequence = orders.length

    // ------------------------------------------------------------------ authorization
    const validateAuthorize = (query: URLSearchParams) => {
      const clientId = query.get("client_id")
      const app = clientId === null ? undefined : codeApps.get(clientId)
      if (app === undefined) return { error: "unknown client_id" } as const
      const redirectUri = query.get("redirect_uri")
      if (redirectUri === null || !app.redirectUris.includes(redirectUri)) {
        return { error: "redirect_uri does not match a registered redirect URI exactly" } as const
      }
      if (query.get("code_challenge_method") !== "S256") {
        return { error: "code_challenge_method must be S256", redirectUri } as const
      }
      const challenge = query.get("code_challenge")
      if (challenge === null || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
        return { error: "code_challenge must be a base64url SHA-256", redirectUri } as const
      }
      return {
        consent: {
          clientId: app.clientId,
          redirectUri,
          challenge,
          state: query.get("state"),
          email: query.get("email")
        }
      } as const
    }

    const backTo = (consent: PendingConsent, params: Record<string, string>) => {
      const url = new URL(consent.redirectUri)
      for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
      if (consent.state !== null) url.searchParams.set("state", consent.state)
      return url.toString()
    }

    const decide = (consent: PendingConsent, approve: boolean) =>
      Effect.gen(function* () {
        if (!approve) {
          return backTo(consent, { error: "access_denied", error_description: "The user denied the request" })
        }
        const now = yield* Clock.currentTimeMillis
        const code = `code_${randomId()}`
        codes.set(code, {
          clientId: consent.clientId,
          redirectUri: consent.redirectUri,
          challenge: consent.challenge,
          userId: seed.userId,
          expiresAt: now + codeLifetime * 1000,
          used: false
        })
        return backTo(consent, { code })
      })

    const consentPage = (id: string, consent: PendingConsent) =>
      HttpServerResponse.html(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Monerium (test) — authorize</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto}button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}</style>
</head><body>
<h1>Monerium test server</h1>
<p><strong>${escapeHtml(consent.clientId)}</strong> wants to read the profile, addresses, balances and orders of
<strong>${escapeHtml(consent.email ?? seed.email)}</strong>.</p>
<form method="post" action="/auth/decision">
<input type="hidden" name="request" value="${escapeHtml(id)}">
<button id="approve" type="submit" name="decision" value="approve">Approve</button>
<button id="deny" type="submit" name="decision" value="deny">Deny</button>
</form></body></html>`)

    const authorizeEndpoint = (request: TestServer.TestRequest) =>
      Effect.sync(() => {
        const checked = validateAuthorize(request.query)
        if ("error" in checked) {
          // Never redirect to an unverified redirect URI: show the error instead.
          return HttpServerResponse.text(`Invalid authorization request: ${checked.error}`, { status: 400 })
        }
        const id = randomId()
        consents.set(id, checked.consent)
        return consentPage(id, checked.consent)
      })

    const decisionEndpoint = (request: TestServer.TestRequest) =>
      Effect.gen(function* () {
        const form = new URLSearchParams(request.body)
        const id = form.get("request") ?? ""
        const consent = consents.get(id)
        if (consent === undefined) return HttpServerResponse.text("Unknown or used consent request", { status: 400 })
        consents.delete(id)
        const location = yield* decide(consent, form.get("decision") === "approve")
        return HttpServerResponse.redirect(location, { status: 303 })
      })

    /** Plays the user approving the authorize URL; returns the callback URL (with code and state). */
    const approve = (authorizeUrl: string) => simulate(authorizeUrl, true)
    /** Plays the user denying; returns the callback URL (with `error=access_denied`). */
    const deny = (authorizeUrl: string) => simulate(authorizeUrl, false)
    const simulate = (authorizeUrl: string, decision: boolean) =>
      Effect.gen(function* () {
        const checked = validateAuthorize(new URL(authorizeUrl).searchParams)
        if ("error" in checked) return yield* Effect.die(new Error(`invalid authorize URL: ${checked.error}`))
        return yield* decide(checked.consent, decision)
      })

    // ------------------------------------------------------------------ token endpoint
    const issueUserTokens = (grant: Grant) =>
      Effect.gen(function* () {
        const access = yield* tokens.issue(grant.userId, accessLifetime, {
          prefix: "mon_at",
          data: { kind: "user", grantId: grant.id }
        })
        tokenGrant.set(access.token, grant.id)
        const refresh = `mon_rt_${grant.refreshTokens.length + 1}_${randomId()}`
        grant.refreshTokens.push(refresh)
        refreshIndex.set(refresh, grant.id)
        return TestServer.json(
          {
            access_token: access.token,
            token_type: "Bearer",
            expires_in: accessLifetime,
            refresh_token: refresh,
            profile: seed.profileId,
            userId: grant.userId
          },
          200,
          { "cache-control": "no-store" }
        )
      })

    const revokeGrant = (grant: Grant) =>
      Effect.gen(function* () {
        grant.revoked = true
        for (const [token, grantId] of tokenGrant) if (grantId === grant.id) yield* tokens.revoke({ token })
      })

    const tokenEndpoint = (request: TestServer.TestRequest) =>
      Effect.gen(function* () {
        if (request.method !== "POST") return oauthError(405, "invalid_request", "Use POST")
        if (!(request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
          return oauthError(400, "invalid_request", "The body must be application/x-www-form-urlencoded")
        }
        const form = new URLSearchParams(request.body)
        const grantType = form.get("grant_type")
        const clientId = form.get("client_id") ?? ""
        const now = yield* Clock.currentTimeMillis

        if (grantType === "client_credentials") {
          const app = partnerApps.get(clientId)
          if (request.headers.authorization !== undefined && form.get("client_secret") === null) {
            return oauthError(401, "invalid_client", "client_secret must be sent in the request body")
          }
          if (app === undefined || form.get("client_secret") !== app.clientSecret) {
            return oauthError(401, "invalid_client", "Client authentication failed")
          }
          const access = yield* tokens.issue(`partner:${app.clientId}`, accessLifetime, {
            prefix: "mon_cc",
            data: { kind: "partner" }
          })
          return TestServer.json(
            { access_token: access.token, token_type: "Bearer", expires_in: accessLifetime },
            200,
            { "cache-control": "no-store" }
          )
        }

        if (grantType === "authorization_code") {
          if (!codeApps.has(clientId)) return oauthError(401, "invalid_client", "Unknown client_id")
          const codeValue = form.get("code") ?? ""
          const code = codes.get(codeValue)
          if (code === undefined) return oauthError(400, "invalid_grant", "Unknown authorization code")
          if (code.used) {
            // RFC 6749 §4.1.2: a code used twice revokes what it issued.
            const grant = code.grantId === undefined ? undefined : grants.get(code.grantId)
            if (grant !== undefined) yield* revokeGrant(grant)
            return oauthError(400, "invalid_grant", "Authorization code already used")
          }
          if (now >= code.expiresAt) return oauthError(400, "invalid_grant", "Authorization code expired")
          if (code.clientId !== clientId) {
            return oauthError(400, "invalid_grant", "Authorization code was issued to another client")
          }
          if (form.get("redirect_uri") !== code.redirectUri) {
            return oauthError(400, "invalid_grant", "redirect_uri does not match the authorization request")
          }
          const verifier = form.get("code_verifier") ?? ""
          if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier) || (yield* sha256Base64Url(verifier)) !== code.challenge) {
            code.used = true
            return oauthError(400, "invalid_grant", "PKCE verification failed")
          }
          code.used = true
          const grant: Grant = {
            id: `grant_${randomId(6)}`,
            clientId,
            userId: code.userId,
            revoked: false,
            refreshTokens: []
          }
          grants.set(grant.id, grant)
          code.grantId = grant.id
          return yield* issueUserTokens(grant)
        }

        if (grantType === "refresh_token") {
          const presented = form.get("refresh_token") ?? ""
          refreshUses.set(presented, (refreshUses.get(presented) ?? 0) + 1)
          const grantId = refreshIndex.get(presented)
          const grant = grantId === undefined ? undefined : grants.get(grantId)
          if (grant === undefined) return oauthError(400, "invalid_grant", "Unknown refresh token")
          if (grant.clientId !== clientId) {
            return oauthError(400, "invalid_grant", "Refresh token was issued to another client")
          }
          if (grant.revoked) return oauthError(400, "invalid_grant", "The grant has been revoked")
          if (grant.refreshTokens[grant.refreshTokens.length - 1] !== presented) {
            reuseDetections++
            yield* revokeGrant(grant)
            return oauthError(400, "invalid_grant", "Refresh token reuse detected; the grant has been revoked")
          }
          return yield* issueUserTokens(grant)
        }

        return oauthError(400, "unsupported_grant_type", "grant_type is not supported")
      })

    // ------------------------------------------------------------------ API
    type Principal = { readonly kind: "user"; readonly userId: string } | { readonly kind: "partner" }

    const authenticate = (request: TestServer.TestRequest) =>
      Effect.gen(function* () {
        const bearer = TestServer.bearerOf(request)
        if (bearer === undefined) return moneriumError(401, "Missing bearer token")
        const check = yield* tokens.check(bearer)
        if (check._tag === "Expired") return moneriumError(401, "Access token expired")
        if (check._tag !== "Valid") return moneriumError(401, "Invalid access token")
        return check.token.data.kind === "partner"
          ? ({ kind: "partner" } as Principal)
          : ({ kind: "user", userId: check.token.subject } as Principal)
      })

    const visibleProfiles = (principal: Principal) =>
      principal.kind === "partner" ? profiles : profiles.filter((p) => p.id === seed.profileId)

    const api = (request: TestServer.TestRequest, principal: Principal) =>
      Effect.gen(function* () {
        const parts = request.path
          .split("/")
          .filter((p) => p.length > 0)
          .map(decodeURIComponent)
        const [resource, id, extra] = parts
        const visible = new Set<string>(visibleProfiles(principal).map((p) => p.id))
        const get = request.method === "GET"
        const post = request.method === "POST"

        if (resource === "auth" && id === "context" && get) {
          return TestServer.json(
            principal.kind === "partner"
              ? {
                  userId: "partner-user",
                  email: "partner@example.com",
                  name: "Partner",
                  roles: ["admin"],
                  defaultProfile: seed.corporateProfileId,
                  profiles: profiles.map((p) => ({ id: p.id, kind: p.kind, name: p.name, perms: ["read", "write"] }))
                }
              : {
                  userId: principal.userId,
                  email: seed.email,
                  name: seed.name,
                  roles: [],
                  defaultProfile: seed.profileId,
                  profiles: [{ id: seed.profileId, kind: "personal", name: seed.name, perms: ["read", "write"] }]
                }
          )
        }
        if (resource === "profiles" && get) {
          if (id === undefined) return TestServer.json({ profiles: visibleProfiles(principal) })
          const profile = profiles.find((p) => p.id === id && visible.has(p.id))
          return profile === undefined ? moneriumError(404, `Profile ${id} not found`) : TestServer.json(profile)
        }
        if (resource === "addresses" && get && id === undefined) {
          const profile = request.query.get("profile")
          return TestServer.json({
            addresses: addresses.filter((a) => visible.has(a.profile) && (profile === null || a.profile === profile))
          })
        }
        if (resource === "balances" && get && id !== undefined && extra !== undefined) {
          const owner = addresses.find((a) => a.address.toLowerCase() === extra.toLowerCase() && visible.has(a.profile))
          if (owner === undefined || !owner.chains.includes(id)) {
            return moneriumError(404, `Address ${extra} is not linked on ${id}`)
          }
          const currencies = request.query.getAll("currency")
          const all = balances.get(`${id}/${extra.toLowerCase()}`) ?? []
          return TestServer.json({
            id: `${id}:${owner.address}`,
            address: owner.address,
            chain: id,
            balances: currencies.length === 0 ? all : all.filter((b) => currencies.includes(b.currency))
          })
        }
        if (resource === "ibans" && id === undefined) {
          if (get) return TestServer.json({ ibans: ibans.filter((i) => visible.has(String(i.profile))) })
          if (post) {
            const body = TestServer.jsonBody(request) as { address?: unknown; chain?: unknown } | undefined
            const errors: Record<string, string> = {}
            if (typeof body?.address !== "string") errors.address = "required"
            if (typeof body?.chain !== "string") errors.chain = "required"
            if (Object.keys(errors).length > 0) return moneriumError(400, "Validation failed", errors)
            const owner = addresses.find(
              (a) => a.address.toLowerCase() === String(body!.address).toLowerCase() && visible.has(a.profile)
            )
            if (owner === undefined) return moneriumError(404, "Address not linked to any of your profiles")
            if (ibans.some((i) => String(i.address).toLowerCase() === owner.address.toLowerCase())) {
              return moneriumError(422, "The address already has an IBAN")
            }
            ibans.push({
              iban: `IS00 0000 ${String(ibans.length + 1).padStart(4, "0")} 0000 0000 0000 00`,
              bic: "EAPFESM2XXX",
              profile: owner.profile,
              address: owner.address,
              chain: String(body!.chain),
              state: "pending"
            })
            return TestServer.json({}, 202)
          }
        }
        if (resource === "orders") {
          if (get && id === undefined) {
            const q = request.query
            const list = orders.filter(
              (o) =>
                visible.has(o.profile) &&
                (q.get("address") === null || o.address.toLowerCase() === q.get("address")!.toLowerCase()) &&
                (q.get("profile") === null || o.profile === q.get("profile")) &&
                (q.get("memo") === null || o.memo === q.get("memo")) &&
                (q.get("state") === null || o.state === q.get("state")) &&
                (q.get("txHash") === null || (o.meta.txHashes ?? []).includes(q.get("txHash")!))
            )
            return TestServer.json({ orders: list })
          }
          if (get && id !== undefined) {
            const order = orders.find((o) => o.id === id && visible.has(o.profile))
            return order === undefined ? moneriumError(404, `Order ${id} not found`) : TestServer.json(order)
          }
          if (post && id === undefined) return yield* placeOrder(request, visible)
        }
        return moneriumError(404, `No route for ${request.method} ${request.path}`)
      })

    const placeOrder = (request: TestServer.TestRequest, visible: Set<string>) =>
      Effect.gen(function* () {
        if (!(request.headers["content-type"] ?? "").startsWith("application/json")) {
          return moneriumError(415, "Content-Type must be application/json")
        }
        const body = TestServer.jsonBody(request) as Record<string, any> | undefined
        const errors: Record<string, string> = {}
        if (body?.kind !== "redeem") errors.kind = "must be redeem"
        if (!isDecimal(body?.amount)) errors.amount = "must be a decimal string with at most 2 decimals"
        if (typeof body?.currency !== "string") errors.currency = "required"
        if (typeof body?.address !== "string") errors.address = "required"
        if (typeof body?.chain !== "string") errors.chain = "required"
        if (typeof body?.message !== "string") errors.message = "required"
        if (typeof body?.signature !== "string" || !body.signature.startsWith("0x")) errors.signature = "must be 0x-hex"
        if (typeof body?.counterpart?.identifier?.standard !== "string") errors.counterpart = "identifier required"
        if (Object.keys(errors).length > 0) return moneriumError(400, "Validation failed", errors)
        const owner = addresses.find(
          (a) => a.address.toLowerCase() === String(body!.address).toLowerCase() && visible.has(a.profile)
        )
        if (owner === undefined) return moneriumError(404, "Address not linked to any of your profiles")
        const key = `${body!.chain}/${owner.address.toLowerCase()}`
        const balance = (balances.get(key) ?? []).find((b) => b.currency === body!.currency)
        const cents = (s: string) => Math.round(Number(s) * 100)
        if (balance === undefined || cents(balance.amount) < cents(body!.amount)) {
          return moneriumError(422, "Insufficient balance", { amount: "exceeds the balance of the address" })
        }
        balance.amount = ((cents(balance.amount) - cents(body!.amount)) / 100).toFixed(2)
        const now = yield* Clock.currentTimeMillis
        const order: StoredOrder = {
          id: `ord-${String(++orderSequence).padStart(4, "0")}`,
          profile: owner.profile,
          address: owner.address,
          kind: "redeem",
          chain: String(body!.chain),
          amount: body!.amount,
          currency: String(body!.currency),
          counterpart: body!.counterpart,
          memo: typeof body!.memo === "string" ? body!.memo : null,
          meta: { placedAt: isoAt(now) },
          state: "placed"
        }
        orders.push(order)
        return TestServer.json(order, 201)
      })

    const route = (request: TestServer.TestRequest) =>
      Effect.gen(function* () {
        if (options.onRequest !== undefined) yield* options.onRequest(request)
        if (request.method === "OPTIONS") return HttpServerResponse.empty({ status: 204 })
        if (request.path === "/auth" && request.method === "GET") return yield* authorizeEndpoint(request)
        if (request.path === "/auth/decision" && request.method === "POST") return yield* decisionEndpoint(request)
        if (request.path === "/auth/token") return yield* tokenEndpoint(request)
        if (!(request.headers.accept ?? "").includes(acceptV2)) {
          return moneriumError(406, `Send Accept: ${acceptV2}`)
        }
        const principal = yield* authenticate(request)
        if (HttpServerResponse.isHttpServerResponse(principal)) return principal
        return yield* api(request, principal)
      })

    const handler: TestServer.Handler = (request) =>
      Effect.map(route(request), (response) => HttpServerResponse.setHeaders(response, corsHeaders))

    const server = yield* TestServer.make(handler)

    const tokenRequests = Effect.map(server.requests, (all) => all.filter((r) => r.path === "/auth/token"))
    const grantsOf = (grantType: string) =>
      Effect.map(tokenRequests, (all) => all.filter((r) => new URLSearchParams(r.body).get("grant_type") === grantType))

    return {
      ...server,
      tokens,
      approve,
      deny,
      tokenRequests,
      /** Token requests of one grant type, e.g. "refresh_token". */
      grantsOf,
      /** How often each refresh token was presented (any value above 1 means a client reused one). */
      refreshUses: Effect.sync(() => new Map(refreshUses)),
      /** How many times refresh-token reuse was detected (each revoked a grant). */
      reuseDetections: Effect.sync(() => reuseDetections),
      /** Revokes every grant (and its tokens), as if the user disconnected the app at Monerium. */
      revokeAllGrants: Effect.gen(function* () {
        for (const grant of grants.values()) yield* revokeGrant(grant)
      }),
      /** Makes every access token expire now. */
      expireAccessTokens: tokens.expire(),
      /** Orders currently stored. */
      orders: Effect.sync(() => orders.slice())
    }
  })

export type MoneriumTestServer = Effect.Success<ReturnType<typeof make>>

/** An in-memory HttpClient answering with `server` (shares the caller's Clock, so TestClock applies). */
export const makeClient = (server: MoneriumTestServer): Effect.Effect<HttpClient.HttpClient> =>
  TestServer.makeMemoryClient(server.app)

export const layerClient = (server: MoneriumTestServer): Layer.Layer<HttpClient.HttpClient> =>
  TestServer.layerMemoryClient(server.app)

/** Serves `server` on the current `HttpServer` (loopback) and returns its base URL. */
export const listen = (server: MoneriumTestServer) => TestServer.listen(server.app)
