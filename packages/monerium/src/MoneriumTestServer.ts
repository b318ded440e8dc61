/**
 * A protocol-faithful Monerium test server, for nordkit's tests, the demo, the example web app and your own
 * integration tests. It answers in the shapes of Monerium's published OpenAPI document (held to them by
 * `test/contract/Contract.test.ts`) and is as strict as a careful OAuth2 server:
 *
 * - `GET /auth` checks the client id, the exact redirect URI, S256 (the only method) and the challenge, then
 *   renders a tiny consent page (Approve / Deny) whose form posts to `/auth/decision`, which redirects back to
 *   `redirect_uri?code=...&state=...` or `?error=access_denied&state=...`. `approve(url)` / `deny(url)` do the
 *   same without a browser.
 * - `POST /auth/token` (form body) is server-to-server only, as Monerium's: it sends no CORS headers and refuses
 *   any request that carries an `Origin` (a browser's cross-origin call) with 403. Grants: `authorization_code`
 *   (PKCE verified — a wrong verifier is a 400; exact redirect URI; same client id; codes single-use,
 *   and a reused code revokes what it issued), `refresh_token` (rotation: every use retires the token; reusing a
 *   retired refresh token revokes the whole grant; another client id is refused), `client_credentials`. Refusals
 *   are the spec's `{ code, status, message }` (400 / 401), not RFC 6749's `{ error, error_description }`.
 * - API v2 with seeded data (an `approved` personal profile, an `incomplete` corporate one), bearer tokens checked
 *   for expiry and revocation, the v2 `Accept` header required, Monerium's `{ code, status, message, errors }`
 *   error bodies, and CORS on the API routes (browser apps call them with an access token).
 * - Orders check the signed message against the order (amount, currency, IBAN or address and chain, a timestamp
 *   at most 5 minutes old); a `"0x"` signature (Safe, on chain) is answered 202; €15,000 and more need a
 *   supporting document uploaded with `POST /files`. Linking an address checks the fixed message; `"0x"` → 202.
 * - Webhook subscriptions (`/webhooks`), and `signedDelivery` to produce a delivery signed as Monerium signs.
 * - Fault injection and a request log from the core harness (`failNext`, `rateLimitNext`, `requests`, `reset`).
 */
import { TestServer } from "@nordkit/core/testing"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"

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
  /**
   * Validates new webhook subscriptions as Monerium does: `POST /webhooks` first delivers a signed
   * `subscription.created` to the URL with this client, and creates the subscription only if it answers 200.
   * Without it, subscriptions are created unchecked.
   */
  readonly webhookClient?: HttpClient.HttpClient | undefined
}

export const defaultCodeApp: CodeApp = {
  clientId: "a08bfa22-0000-4000-8000-00000000c0de",
  redirectUris: ["http://127.0.0.1/callback", "http://localhost/callback"]
}

export const defaultPartnerApp: PartnerApp = {
  clientId: "1b3a17ef-0000-4000-8000-0000000000cc",
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
  corporateAddress: "0x00000000000000000000000000000000000c0de1",
  iban: "IS14 0159 2600 7654 5510 7303 39",
  issueOrderId: "5b1c2f1e-0000-4000-8000-000000000001",
  redeemOrderId: "5b1c2f1e-0000-4000-8000-000000000002",
  rejectedOrderId: "5b1c2f1e-0000-4000-8000-000000000003"
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
  kind: string
  profile: string
  address: string
  chain: string
  currency: string
  amount: string
  counterpart: unknown
  memo: string
  referenceNumber?: string
  state: string
  meta: {
    placedAt: string
    processedAt?: string
    rejectedReason?: string
    supportingDocumentId?: string
    txHashes?: Array<string>
  }
}

interface StoredAddress {
  profile: string
  address: string
  chains: Array<string>
}

interface StoredIban {
  iban: string
  name: string
  bic: string
  profile: string
  address: string
  chain: string
}

interface StoredFile {
  id: string
  name: string
  type: string
  size: number
  hash: string
  meta: { uploadedBy: string; createdAt: string; updatedAt: string }
}

interface StoredSubscription {
  id: string
  url: string
  types: Array<string>
  state: string
  secret: string
}

interface StoredSignature {
  id?: string
  kind: string
  chain: string
  address: string
  amount?: string
  counterpart?: unknown
  currency?: string
  message?: string
  createdAt: string
  profile: string
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

/** CORS of the API routes (browser apps call them with an access token). The token endpoint has none. */
const corsHeaders = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PATCH, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, accept",
  "access-control-max-age": "600"
}

const linkMessage = "I hereby declare that I am the address owner."
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const addressPattern = /^0x[0-9a-fA-F]{40}$/
const ibanPattern = /^[A-Z]{2}[0-9]{2}(?:\s?[0-9A-Z]{4}){1,7}\s?[0-9A-Z]{1,4}$/
const chains = new Set([
  "ethereum",
  "gnosis",
  "polygon",
  "arbitrum",
  "linea",
  "base",
  "noble",
  "sepolia",
  "chiado",
  "amoy",
  "arbitrumsepolia",
  "lineasepolia",
  "basesepolia",
  "grand"
])
const currencies = new Set(["eur", "usd", "gbp", "isk"])
const webhookTypes = new Set(["iban.updated", "order.created", "order.updated", "profile.error", "profile.updated"])
const compactIban = (iban: string) => iban.replace(/\s+/g, "").toUpperCase()

const uuid = () => {
  const b = new Uint8Array(16)
  globalThis.crypto.getRandomValues(b)
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

const sha256Hex = (bytes: Uint8Array) =>
  Effect.promise(() => globalThis.crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)).pipe(
    Effect.map((buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join(""))
  )

const base64 = (bytes: Uint8Array) => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/** The `webhook-signature` of a delivery, as Monerium computes it (Standard Webhooks, HMAC-SHA256). */
const webhookSignature = (secret: string, id: string, timestamp: number, body: string) =>
  Effect.promise(async () => {
    const raw = Uint8Array.from(atob(secret.slice("whsec_".length)), (c) => c.charCodeAt(0))
    const key = await globalThis.crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
    const tag = await globalThis.crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`))
    return `v1,${base64(new Uint8Array(tag))}`
  })

const isWebhookSecret = (secret: unknown): secret is string => {
  if (typeof secret !== "string" || !/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) return false
  try {
    const length = atob(secret.slice("whsec_".length)).length
    return length >= 24 && length <= 64
  } catch {
    return false
  }
}

/** Parses the one `file` part of a multipart/form-data body. */
const multipartFile = (contentType: string, bytes: Uint8Array) => {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1]
  if (boundary === undefined) return undefined
  const text = new TextDecoder("latin1").decode(bytes)
  for (const part of text.split(`--${boundary}`)) {
    const split = part.indexOf("\r\n\r\n")
    if (split < 0) continue
    const head = part.slice(0, split)
    if (!/name="file"/.test(head)) continue
    const name = /filename="([^"]*)"/.exec(head)?.[1] ?? ""
    const type = /content-type:\s*([^\r\n;]+)/i.exec(head)?.[1]?.trim() ?? ""
    const body = part.slice(split + 4).replace(/\r\n$/, "")
    return { name, type, data: Uint8Array.from(body, (c) => c.charCodeAt(0)) }
  }
  return undefined
}

const moneriumError = (status: number, message: string, errors?: Record<string, string>) =>
  TestServer.json(
    { code: status, status: statusText[status] ?? "Error", message, ...(errors ? { errors } : {}) },
    status
  )

/**
 * A token-endpoint refusal in the spec's shape for `/auth/token` errors (its generic `Error` object:
 * `{ code, status, message }`), not RFC 6749's `{ error, error_description }`. The RFC code (`_kind`) is only
 * how this file names the case.
 */
const oauthError = (status: number, _kind: string, description: string) =>
  TestServer.json({ code: status, status: statusText[status] ?? "Error", message: description }, status, {
    "cache-control": "no-store"
  })

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
    const profiles: Array<{
      id: string
      name: string
      kind: string
      state: string
      details: { state: string }
      form: { state: string }
      verifications: Array<{ kind: string; state: string }>
    }> = [
      {
        id: seed.profileId,
        name: seed.name,
        kind: "personal",
        state: "approved",
        details: { state: "approved" },
        form: { state: "approved" },
        verifications: [
          { kind: "idDocument", state: "approved" },
          { kind: "proofOfResidency", state: "approved" }
        ]
      },
      {
        id: seed.corporateProfileId,
        name: "Fjord Tools ehf.",
        kind: "corporate",
        state: "incomplete",
        details: { state: "pending" },
        form: { state: "incomplete" },
        verifications: [{ kind: "sourceOfFunds", state: "incomplete" }]
      }
    ]
    const addresses: Array<StoredAddress> = [
      { profile: seed.profileId, address: seed.address, chains: ["ethereum", "gnosis"] },
      { profile: seed.profileId, address: seed.gnosisAddress, chains: ["gnosis"] },
      { profile: seed.corporateProfileId, address: seed.corporateAddress, chains: ["polygon"] }
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
    const ibans: Array<StoredIban> = [
      {
        iban: seed.iban,
        name: seed.name,
        bic: "EAPFESM2XXX",
        profile: seed.profileId,
        address: seed.address,
        chain: "ethereum"
      }
    ]
    const orders: Array<StoredOrder> = [
      {
        id: seed.issueOrderId,
        profile: seed.profileId,
        address: seed.address,
        kind: "issue",
        chain: "ethereum",
        amount: "1500.00",
        currency: "eur",
        counterpart: {
          identifier: { standard: "iban", iban: "IS14 0159 2600 7654 5510 7303 39" },
          details: { name: "Anna Jónsdóttir", address: "Laugavegur 1, 101 Reykjavík" }
        },
        memo: "Salary January",
        referenceNumber: "RF18539007547034",
        meta: {
          placedAt: "2025-01-10T09:00:00.000Z",
          processedAt: "2025-01-10T09:01:00.000Z",
          txHashes: ["0x692ff12125b71c167b3ea90bddb3b28edd60941851cb0cdd852cc3b6d79311cd"]
        },
        state: "processed"
      },
      {
        id: seed.redeemOrderId,
        profile: seed.profileId,
        address: seed.address,
        kind: "redeem",
        chain: "ethereum",
        amount: "265.44",
        currency: "eur",
        counterpart: {
          identifier: { standard: "iban", iban: "DK5000400440116243" },
          details: { companyName: "Nordic Rent ApS", country: "DK" }
        },
        memo: "Rent February",
        meta: { placedAt: "2025-01-12T12:00:00.000Z" },
        state: "pending"
      },
      {
        id: seed.rejectedOrderId,
        profile: seed.profileId,
        address: seed.address,
        kind: "redeem",
        chain: "ethereum",
        amount: "20000",
        currency: "eur",
        counterpart: {
          identifier: {
            standard: "account",
            accountNumber: "1234567890",
            address: "1725 Slough Avenue in Scranton, PA",
            bic: "DEUTDEDBFRA"
          },
          details: { firstName: "Michael", lastName: "Scott", country: "US" }
        },
        memo: "Paper order",
        meta: {
          placedAt: "2025-01-13T08:00:00.000Z",
          rejectedReason: "Declined due to insufficient funds.",
          supportingDocumentId: "3ebc51a8-044f-41ed-8b1f-4a76448b7b21"
        },
        state: "rejected"
      }
    ]
    const tokenContracts = [
      {
        currency: "eur",
        ticker: "EUR",
        symbol: "EURe",
        chain: "ethereum",
        address: "0x3231cb76718cdef2155fc47b5286d82e6eda273f",
        decimals: "18"
      },
      {
        currency: "gbp",
        ticker: "GBP",
        symbol: "GBPe",
        chain: "ethereum",
        address: "0x7ba92741bf2a568abc6f1d3413c58c6e0244f8fd",
        decimals: "18"
      },
      {
        currency: "eur",
        ticker: "EUR",
        symbol: "EURe",
        chain: "gnosis",
        address: "0x420ca0f9b9b604ce0fd9c18ef134c705e5fa3430",
        decimals: "18"
      }
    ]
    const files = new Map<string, StoredFile>()
    /** Every delivery the server attempted itself (subscription validation): url, event type, status (0: no answer). */
    const attempted: Array<{ readonly url: string; readonly type: string; readonly status: number }> = []

    /** A delivery of `event`, signed as Monerium signs it with the subscription's secret. */
    const sign = (subscription: StoredSubscription, event: { readonly type: string; readonly data?: unknown }) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const id = uuid()
        const timestamp = Math.floor(now / 1000)
        const body = JSON.stringify({ type: event.type, timestamp: isoAt(now), data: event.data })
        const signature = yield* webhookSignature(subscription.secret, id, timestamp, body)
        return {
          url: subscription.url,
          headers: {
            "content-type": "application/json",
            "webhook-id": id,
            "webhook-timestamp": String(timestamp),
            "webhook-signature": signature
          },
          body
        }
      })

    /** Sends `subscription.created` to a new subscription's URL; true when it answered 200. */
    const validateSubscription = (subscription: StoredSubscription) =>
      Effect.gen(function* () {
        const client = options.webhookClient
        if (client === undefined) return true
        const delivery = yield* sign(subscription, { type: "subscription.created" })
        const status = yield* client
          .execute(
            HttpClientRequest.post(delivery.url).pipe(
              HttpClientRequest.setHeaders(delivery.headers),
              HttpClientRequest.bodyText(delivery.body, "application/json")
            )
          )
          .pipe(
            Effect.map((response) => response.status),
            Effect.timeout("10 seconds"),
            Effect.orElseSucceed(() => 0)
          )
        attempted.push({ url: delivery.url, type: "subscription.created", status })
        return status === 200
      })
    const subscriptions: Array<StoredSubscription> = []
    const signatures: Array<StoredSignature> = []

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

    /**
     * `POST /auth` with `authentication_method=siwe`: a linked address signs an EIP-4361 message; no consent page,
     * a 302 straight back to the redirect URI with a code. The message's fields are checked (linked address,
     * expiration in the future, Monerium's resource); the signature's form is checked, not its curve maths.
     */
    const siweEndpoint = (request: TestServer.TestRequest) =>
      Effect.gen(function* () {
        const form = new URLSearchParams(request.body)
        const checked = validateAuthorize(form)
        if ("error" in checked)
          return HttpServerResponse.text(`Invalid authorization request: ${checked.error}`, { status: 400 })
        const refuse = (description: string) =>
          HttpServerResponse.redirect(
            backTo(checked.consent, { error: "invalid_request", error_description: description }),
            {
              status: 302
            }
          )
        if (form.get("authentication_method") !== "siwe") return refuse("authentication_method must be siwe")
        const message = form.get("message") ?? ""
        if (!/^0x[0-9a-fA-F]{130}$/.test(form.get("signature") ?? "")) return refuse("signature must be 0x and 130 hex")
        const lines = message.split("\n")
        const now = yield* Clock.currentTimeMillis
        const expiration = /^Expiration Time: (.+)$/m.exec(message)?.[1]
        if (!/ wants you to sign in with your Ethereum account:$/.test(lines[0] ?? ""))
          return refuse("not a SIWE message")
        const linked = addresses.find((a) => a.address.toLowerCase() === (lines[1] ?? "").toLowerCase())
        if (linked === undefined || linked.profile !== seed.profileId) return refuse("the address is not linked")
        if (expiration === undefined || !(Date.parse(expiration) > now))
          return refuse("expiration time missing or past")
        if (!/^Nonce: [A-Za-z0-9]{8,}$/m.test(message)) return refuse("nonce missing")
        if (!message.includes("\nResources:\n- https://monerium.com/siwe")) return refuse("Monerium's resource missing")
        return HttpServerResponse.redirect(yield* decide(checked.consent, true), { status: 302 })
      })

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
            refresh_token: refresh
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
        if (bearer === undefined) return moneriumError(401, "Not authenticated")
        const check = yield* tokens.check(bearer)
        if (check._tag !== "Valid") return moneriumError(401, "Not authenticated")
        return check.token.data.kind === "partner"
          ? ({ kind: "partner" } as Principal)
          : ({ kind: "user", userId: check.token.subject } as Principal)
      })

    const visibleProfiles = (principal: Principal) =>
      principal.kind === "partner" ? profiles : profiles.filter((p) => p.id === seed.profileId)

    const summary = (p: (typeof profiles)[number]) => ({ id: p.id, kind: p.kind, name: p.name, state: p.state })

    const owned = (visible: Set<string>, address: unknown) =>
      typeof address === "string"
        ? addresses.find((a) => a.address.toLowerCase() === address.toLowerCase() && visible.has(a.profile))
        : undefined

    const bodyOf = (request: TestServer.TestRequest): Record<string, any> | undefined => {
      if (!(request.headers["content-type"] ?? "").startsWith("application/json")) return undefined
      const body = TestServer.jsonBody(request)
      return typeof body === "object" && body !== null && !Array.isArray(body)
        ? (body as Record<string, any>)
        : undefined
    }

    const validation = (errors: Record<string, string>) =>
      Object.keys(errors).length > 0 ? moneriumError(400, "Validation errors", errors) : undefined

    const api = (request: TestServer.TestRequest, principal: Principal) =>
      Effect.gen(function* () {
        const parts = request.path
          .split("/")
          .filter((p) => p.length > 0)
          .map(decodeURIComponent)
        const [resource, id, extra] = parts
        const visible = new Set<string>(visibleProfiles(principal).map((p) => p.id))
        const method = request.method
        const q = request.query
        const get = method === "GET"
        const post = method === "POST"
        const patch = method === "PATCH"

        if (resource === "auth" && id === "context" && get) {
          const own = visibleProfiles(principal).map(summary)
          return TestServer.json(
            principal.kind === "partner"
              ? {
                  userId: "1c7d0f3e-0000-4000-8000-00000000aaaa",
                  email: "partner@example.com",
                  name: "Partner",
                  roles: ["admin"],
                  auth: { method: "bearer", subject: "partner@example.com", verified: true },
                  defaultProfile: seed.corporateProfileId,
                  profiles: own
                }
              : {
                  userId: principal.userId,
                  email: seed.email,
                  name: seed.name,
                  roles: [],
                  auth: { method: "password", subject: seed.email, verified: true },
                  defaultProfile: seed.profileId,
                  profiles: own
                }
          )
        }
        if (resource === "profiles" && id === undefined && get) {
          const list = visibleProfiles(principal).filter(
            (p) =>
              (q.get("state") === null || p.state === q.get("state")) &&
              (q.get("kind") === null || p.kind === q.get("kind"))
          )
          return TestServer.json({ profiles: list.map(summary) })
        }
        if (resource === "profiles" && id === undefined && post) {
          if (principal.kind !== "partner") return moneriumError(403, "Application is not allowed to create profiles")
          const body = bodyOf(request)
          const invalid = validation({
            ...(body?.kind !== "personal" && body?.kind !== "corporate" ? { kind: "personal or corporate" } : {}),
            ...(body?.id !== undefined && !uuidPattern.test(String(body.id)) ? { id: "must be a UUID" } : {})
          })
          if (invalid) return invalid
          const profileId = typeof body!.id === "string" ? body!.id : uuid()
          if (profiles.some((p) => p.id === profileId)) {
            return TestServer.json({ code: 409, status: "Conflict", message: "Profile already exists" }, 409)
          }
          const profile = {
            id: profileId,
            kind: String(body!.kind),
            name: "",
            state: "created",
            details: { state: "incomplete" },
            form: { state: "incomplete" },
            verifications: [{ kind: "sourceOfFunds", state: "incomplete" }]
          }
          profiles.push(profile)
          return TestServer.json(profile, 201)
        }
        if (resource === "profiles" && id !== undefined && extra === undefined && get) {
          const profile = profiles.find((p) => p.id === id && visible.has(p.id))
          return profile === undefined ? moneriumError(404, `Profile ${id} not found`) : TestServer.json(profile)
        }
        if (resource === "addresses" && id === undefined && get) {
          return TestServer.json({
            addresses: addresses.filter(
              (a) =>
                visible.has(a.profile) &&
                (q.get("profile") === null || a.profile === q.get("profile")) &&
                (q.get("chain") === null || a.chains.includes(q.get("chain")!))
            )
          })
        }
        if (resource === "addresses" && id !== undefined && get) {
          const address = owned(visible, id)
          return address === undefined ? moneriumError(404, `Address ${id} not found`) : TestServer.json(address)
        }
        if (resource === "addresses" && id === undefined && post) return yield* linkAddress(request, principal, visible)
        if (resource === "balances" && get && id !== undefined && extra !== undefined) {
          const owner = owned(visible, extra)
          if (owner === undefined || !owner.chains.includes(id)) {
            return moneriumError(404, `Address ${extra} is not linked on ${id}`)
          }
          const wanted = q.getAll("currency")
          const all = balances.get(`${id}/${extra.toLowerCase()}`) ?? []
          return TestServer.json({
            address: owner.address,
            chain: id,
            balances: wanted.length === 0 ? all : all.filter((b) => wanted.includes(b.currency))
          })
        }
        if (resource === "ibans" && id === undefined && get) {
          return TestServer.json({
            ibans: ibans.filter(
              (i) =>
                visible.has(i.profile) &&
                (q.get("profile") === null || i.profile === q.get("profile")) &&
                (q.get("chain") === null || i.chain === q.get("chain"))
            )
          })
        }
        if (resource === "ibans" && id !== undefined && (get || patch)) {
          const iban = ibans.find((i) => compactIban(i.iban) === compactIban(id) && visible.has(i.profile))
          if (iban === undefined) return moneriumError(404, `IBAN ${id} not found`)
          if (get) return TestServer.json(iban)
          const body = bodyOf(request)
          const invalid = validation({
            ...(typeof body?.address !== "string" ? { address: "Address missing" } : {}),
            ...(typeof body?.chain !== "string" || !chains.has(body.chain) ? { chain: "Chain missing or unknown" } : {})
          })
          if (invalid) return invalid
          const target = owned(visible, body!.address)
          if (target === undefined || target.profile !== iban.profile || !target.chains.includes(body!.chain)) {
            return moneriumError(400, "Validation errors", {
              address: "not linked to the IBAN's profile on this chain"
            })
          }
          iban.address = target.address
          iban.chain = String(body!.chain)
          return TestServer.json({})
        }
        if (resource === "ibans" && id === undefined && post) {
          const body = bodyOf(request)
          const invalid = validation({
            ...(typeof body?.address !== "string" ? { address: "Address missing" } : {}),
            ...(typeof body?.chain !== "string" || !chains.has(body.chain) ? { chain: "Chain missing or unknown" } : {})
          })
          if (invalid) return invalid
          const owner = owned(visible, body!.address)
          if (owner === undefined) return moneriumError(404, "Address not linked to any of your profiles")
          if (ibans.some((i) => i.profile === owner.profile)) return HttpServerResponse.empty({ status: 304 })
          ibans.push({
            iban: `IS${String(10 + ibans.length)} 0000 ${String(ibans.length + 1).padStart(4, "0")} 0000 0000 0000 00`,
            name: profiles.find((p) => p.id === owner.profile)?.name ?? "",
            bic: "EAPFESM2XXX",
            profile: owner.profile,
            address: owner.address,
            chain: String(body!.chain)
          })
          return TestServer.json({}, 202)
        }
        if (resource === "orders" && get && id === undefined) {
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
        if (resource === "orders" && get && id !== undefined) {
          const order = orders.find((o) => o.id === id && visible.has(o.profile))
          return order === undefined ? moneriumError(404, `Order ${id} not found`) : TestServer.json(order)
        }
        if (resource === "orders" && post && id === undefined) return yield* placeOrder(request, visible)
        if (resource === "files" && post && id === undefined) return yield* uploadFile(request, principal)
        if (resource === "tokens" && get && id === undefined) return TestServer.json(tokenContracts)
        if (resource === "signatures" && get && id === undefined) {
          const list = signatures
            .filter(
              (s) =>
                visible.has(s.profile) &&
                (q.get("address") === null || s.address.toLowerCase() === q.get("address")!.toLowerCase()) &&
                (q.get("chain") === null || s.chain === q.get("chain")) &&
                (q.get("kind") === null || s.kind === q.get("kind")) &&
                (q.get("profile") === null || s.profile === q.get("profile"))
            )
            .map(({ profile: _, ...rest }) => rest)
          return TestServer.json({ pending: list, total: list.length }, 200, { "x-total-count": String(list.length) })
        }
        if (resource === "webhooks") {
          const view = ({ secret: _, ...rest }: StoredSubscription) => rest
          if (get && id === undefined) return TestServer.json({ subscriptions: subscriptions.map(view) })
          if (post && id === undefined) {
            const body = bodyOf(request)
            const url = typeof body?.url === "string" && URL.canParse(body.url) ? new URL(body.url) : undefined
            const types: unknown = body?.types ?? ["iban.updated", "profile.updated"]
            const invalid = validation({
              ...(url === undefined || !/^https?:$/.test(url.protocol) ? { url: "must be an http(s) URL" } : {}),
              ...(!isWebhookSecret(body?.secret) ? { secret: "whsec_ and the base64 of 24 to 64 bytes" } : {}),
              ...(!Array.isArray(types) || types.some((t) => !webhookTypes.has(t))
                ? { types: "unknown event type" }
                : {})
            })
            if (invalid) return invalid
            const subscription: StoredSubscription = {
              id: uuid(),
              url: url!.toString(),
              types: (types as Array<string>).slice(),
              state: "active",
              secret: String(body!.secret)
            }
            if (!(yield* validateSubscription(subscription))) {
              return moneriumError(400, "Validation errors", {
                url: "the URL did not answer 200 to the subscription.created event"
              })
            }
            subscriptions.push(subscription)
            return TestServer.json(view(subscription), 201)
          }
          if (patch && id !== undefined) {
            const subscription = subscriptions.find((s) => s.id === id)
            if (subscription === undefined) return moneriumError(404, "Subscription not found")
            const body = bodyOf(request)
            const invalid = validation({
              ...(body === undefined ? { body: "JSON required" } : {}),
              ...(body?.state !== undefined && body.state !== "active" && body.state !== "inactive"
                ? { state: "active or inactive" }
                : {}),
              ...(body?.types !== undefined &&
              (!Array.isArray(body.types) || body.types.some((t: unknown) => !webhookTypes.has(String(t))))
                ? { types: "unknown event type" }
                : {})
            })
            if (invalid) return invalid
            if (body!.state !== undefined) subscription.state = body!.state
            if (body!.types !== undefined) subscription.types = body!.types
            return TestServer.json(view(subscription))
          }
        }
        return moneriumError(404, `No route for ${request.method} ${request.path}`)
      })

    const linkAddress = (request: TestServer.TestRequest, principal: Principal, visible: Set<string>) =>
      Effect.gen(function* () {
        const body = bodyOf(request)
        const invalid = validation({
          ...(typeof body?.address !== "string" || !addressPattern.test(body.address)
            ? { address: "Address missing" }
            : {}),
          ...(typeof body?.chain !== "string" || !chains.has(body.chain) ? { chain: "Chain missing or unknown" } : {}),
          ...(body?.message !== linkMessage ? { message: `must be exactly "${linkMessage}"` } : {}),
          ...(typeof body?.signature !== "string" || !/^0x[0-9a-fA-F]*$/.test(body.signature)
            ? { signature: "Signature missing" }
            : {}),
          ...(body?.profile !== undefined && !visible.has(String(body.profile)) ? { profile: "unknown profile" } : {})
        })
        if (invalid) return invalid
        const profile =
          typeof body!.profile === "string" ? body!.profile : principal.kind === "user" ? seed.profileId : ""
        if (profile === "") return moneriumError(400, "Validation errors", { profile: "Profile missing" })
        const now = yield* Clock.currentTimeMillis
        if (body!.signature === "0x") {
          signatures.push({
            kind: "linkAddress",
            chain: body!.chain,
            address: body!.address,
            createdAt: isoAt(now),
            profile
          })
          return TestServer.json({ code: 202, status: "Accepted" }, 202)
        }
        const existing = addresses.find((a) => a.address.toLowerCase() === String(body!.address).toLowerCase())
        if (existing !== undefined && existing.profile !== profile) {
          return moneriumError(400, "Validation errors", { address: "linked to another profile" })
        }
        if (existing === undefined) addresses.push({ profile, address: body!.address, chains: [body!.chain] })
        else if (!existing.chains.includes(body!.chain)) existing.chains.push(body!.chain)
        return TestServer.json({}, 201)
      })

    /** The order fields the signed message must state, and whether its minute is recent enough. */
    const checkMessage = (body: Record<string, any>, now: number): string | undefined => {
      const message = String(body.message)
      const identifier = body.counterpart?.identifier ?? {}
      const head = `Send ${String(body.currency).toUpperCase()} ${body.amount} to `
      if (!message.startsWith(head)) return "does not state the order's currency and amount"
      const rest = message.slice(head.length)
      const match =
        identifier.standard === "chain" ? /^(\S+) on (\S+) at (\S+)$/.exec(rest) : /^(\S+) at (\S+)$/.exec(rest)
      if (match === null) return "is not in the documented format"
      if (identifier.standard === "chain") {
        if (match[1] !== identifier.address || match[2] !== identifier.chain)
          return "does not state the address and chain"
      } else {
        const full = compactIban(String(identifier.iban ?? ""))
        const short = `${full.slice(0, 4)}...${full.slice(-4)}`
        if (match[1] !== full && match[1] !== short) return "does not state the IBAN"
      }
      const stamp = match[match.length - 1]
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/.test(stamp)) return "has no RFC 3339 UTC timestamp"
      if (Date.parse(stamp) < now - 5 * 60_000 - 60_000) return "is older than 5 minutes"
      return undefined
    }

    const placeOrder = (request: TestServer.TestRequest, visible: Set<string>) =>
      Effect.gen(function* () {
        if (!(request.headers["content-type"] ?? "").startsWith("application/json")) {
          return moneriumError(415, "Content-Type must be application/json")
        }
        const body = bodyOf(request)
        const now = yield* Clock.currentTimeMillis
        const identifier = body?.counterpart?.identifier
        const details = body?.counterpart?.details
        const errors: Record<string, string> = {}
        if (body?.kind !== "redeem") errors.kind = "must be redeem"
        if (!isDecimal(body?.amount)) errors.amount = "must be a decimal string with at most 2 decimals"
        if (typeof body?.currency !== "string" || !currencies.has(body.currency)) errors.currency = "unknown currency"
        if (typeof body?.address !== "string" || !addressPattern.test(body.address)) errors.address = "Address missing"
        if (typeof body?.chain !== "string" || !chains.has(body.chain)) errors.chain = "Chain missing or unknown"
        if (typeof body?.signature !== "string" || !/^0x([0-9a-fA-F]{130,})?$/.test(body.signature)) {
          errors.signature = "must be an EOA signature, 0x, or a Safe signature"
        }
        if (identifier?.standard === "iban") {
          if (typeof identifier.iban !== "string" || !ibanPattern.test(identifier.iban))
            errors.counterpart = "invalid IBAN"
          const individual = typeof details?.firstName === "string" && typeof details?.lastName === "string"
          const company = typeof details?.companyName === "string"
          // The OpenAPI schema: an individual or a company; the private and whitelabel guides send `name`.
          const named = typeof details?.name === "string"
          if (
            (!individual && !company && !named) ||
            typeof details?.country !== "string" ||
            details.country.length !== 2
          ) {
            errors.counterpart =
              "details: firstName, lastName and country, companyName and country, or name and country"
          }
        } else if (identifier?.standard === "chain") {
          if (!addressPattern.test(String(identifier.address)) || !chains.has(String(identifier.chain))) {
            errors.counterpart = "a chain identifier has an address and a known chain"
          }
        } else {
          errors.counterpart = "identifier standard must be iban or chain"
        }
        if (
          body?.memo !== undefined &&
          (typeof body.memo !== "string" || body.memo.length < 5 || body.memo.length > 140)
        ) {
          errors.memo = "5 to 140 characters"
        }
        if (
          body?.referenceNumber !== undefined &&
          (typeof body.referenceNumber !== "string" || body.referenceNumber.length > 35)
        ) {
          errors.referenceNumber = "at most 35 characters"
        }
        if (body?.id !== undefined && (typeof body.id !== "string" || !uuidPattern.test(body.id)))
          errors.id = "must be a UUID"
        if (typeof body?.message !== "string") errors.message = "Message missing"
        else {
          const problem = checkMessage(body, now)
          if (problem !== undefined) errors.message = `the signed message ${problem}`
        }
        if (isDecimal(body?.amount) && Number(body.amount) >= 15000) {
          if (typeof body?.supportingDocumentId !== "string" || !files.has(body.supportingDocumentId)) {
            errors.supportingDocumentId = "a supporting document is required for 15,000 and more"
          }
        }
        const invalid = validation(errors)
        if (invalid) return invalid
        const order = body!
        if (order.id !== undefined && orders.some((o) => o.id === order.id)) {
          return moneriumError(409, "Order already exists")
        }
        const owner = owned(visible, order.address)
        if (owner === undefined || !owner.chains.includes(order.chain)) {
          return moneriumError(404, "Address not linked to any of your profiles on this chain")
        }
        const key = `${order.chain}/${owner.address.toLowerCase()}`
        const balance = (balances.get(key) ?? []).find((b) => b.currency === order.currency)
        const cents = (text: string) => Math.round(Number(text) * 100)
        if (balance === undefined || cents(balance.amount) < cents(order.amount)) {
          return moneriumError(400, "Validation errors", { amount: "exceeds the balance of the address" })
        }
        const stored: StoredOrder = {
          id: typeof order.id === "string" ? order.id : uuid(),
          profile: owner.profile,
          address: owner.address,
          kind: "redeem",
          chain: String(order.chain),
          amount: order.amount,
          currency: String(order.currency),
          counterpart: order.counterpart,
          // The docs' example answer carries this memo for an order placed without one.
          memo: typeof order.memo === "string" ? order.memo : "Powered by Monerium",
          ...(typeof order.referenceNumber === "string" ? { referenceNumber: order.referenceNumber } : {}),
          meta: {
            placedAt: isoAt(now),
            ...(typeof order.supportingDocumentId === "string"
              ? { supportingDocumentId: order.supportingDocumentId }
              : {})
          },
          state: order.signature === "0x" ? "pending" : "placed"
        }
        orders.push(stored)
        if (order.signature === "0x") {
          signatures.push({
            id: stored.id,
            kind: "order",
            chain: stored.chain,
            address: stored.address,
            amount: stored.amount,
            counterpart: stored.counterpart,
            currency: stored.currency,
            message: String(order.message),
            createdAt: isoAt(now),
            profile: stored.profile
          })
          return TestServer.json({ code: 202, status: "Accepted" }, 202)
        }
        balance.amount = ((cents(balance.amount) - cents(order.amount)) / 100).toFixed(2)
        return TestServer.json(stored, 200)
      })

    const uploadFile = (request: TestServer.TestRequest, principal: Principal) =>
      Effect.gen(function* () {
        const contentType = request.headers["content-type"] ?? ""
        if (!contentType.startsWith("multipart/form-data")) return moneriumError(415, "multipart/form-data required")
        const file = multipartFile(contentType, request.bytes)
        if (file === undefined) return moneriumError(400, "Validation errors", { file: "File missing" })
        const invalid = validation({
          ...(file.name.length === 0 || file.name.length > 100 ? { file: "file name: 1 to 100 characters" } : {}),
          ...(file.type !== "application/pdf" && file.type !== "image/jpeg" ? { file: "PDF or JPEG only" } : {}),
          ...(file.data.length === 0 || file.data.length > 5 * 1024 * 1024 ? { file: "at most 5 MB" } : {})
        })
        if (invalid) return invalid
        const now = isoAt(yield* Clock.currentTimeMillis)
        const stored: StoredFile = {
          id: uuid(),
          name: file.name,
          type: file.type,
          size: file.data.length,
          hash: yield* sha256Hex(file.data),
          meta: { uploadedBy: principal.kind === "user" ? principal.userId : "partner", createdAt: now, updatedAt: now }
        }
        files.set(stored.id, stored)
        return TestServer.json(stored)
      })

    const route = (request: TestServer.TestRequest) =>
      Effect.gen(function* () {
        if (options.onRequest !== undefined) yield* options.onRequest(request)
        if (request.path === "/auth/token") {
          // Server-to-server only: no CORS, and a browser's cross-origin request (it carries Origin) is refused.
          if (request.method === "OPTIONS" || request.headers.origin !== undefined) {
            return TestServer.json(
              { code: 403, status: "Forbidden", message: "The token endpoint does not accept browser requests" },
              403
            )
          }
          return yield* tokenEndpoint(request)
        }
        if (request.path === "/auth" && request.method === "GET") return yield* authorizeEndpoint(request)
        if (request.path === "/auth" && request.method === "POST") return yield* siweEndpoint(request)
        if (request.path === "/auth/decision" && request.method === "POST") return yield* decisionEndpoint(request)
        const cors = (response: HttpServerResponse.HttpServerResponse) =>
          HttpServerResponse.setHeaders(response, corsHeaders)
        if (request.method === "OPTIONS") return cors(HttpServerResponse.empty({ status: 204 }))
        if (!(request.headers.accept ?? "").includes(acceptV2)) {
          return cors(moneriumError(406, `Send Accept: ${acceptV2}`))
        }
        const principal = yield* authenticate(request)
        if (HttpServerResponse.isHttpServerResponse(principal)) return cors(principal)
        return cors(yield* api(request, principal))
      })

    const server = yield* TestServer.make(route)

    const tokenRequests = Effect.map(server.requests, (all) => all.filter((r) => r.path === "/auth/token"))
    const grantsOf = (grantType: string) =>
      Effect.map(tokenRequests, (all) => all.filter((r) => new URLSearchParams(r.body).get("grant_type") === grantType))
    const revokeAllGrants = Effect.gen(function* () {
      for (const grant of grants.values()) yield* revokeGrant(grant)
      yield* tokens.revoke()
    })

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
      /** Revokes every grant and token, as if the user disconnected the app at Monerium. */
      revokeAllGrants,
      /** The shared harness name for {@link revokeAllGrants}. */
      revokeTokens: revokeAllGrants,
      /** Makes every access token expire now. */
      expireAccessTokens: tokens.expire(),
      /** Orders currently stored. */
      orders: Effect.sync(() => orders.slice()),
      /** Webhook subscriptions (with their secrets). */
      subscriptions: Effect.sync(() => subscriptions.map((s) => ({ ...s }))),
      /** Sets a profile's state (e.g. a state Monerium adds later), to test how clients read it. */
      setProfileState: (profileId: string, state: string) =>
        Effect.sync(() => {
          for (const p of profiles) if (p.id === profileId) p.state = state
        }),
      /** Marks a pending order processed or rejected (as Monerium does when it settles). */
      settleOrder: (orderId: string, state: "processed" | "rejected", detail?: string) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const order = orders.find((o) => o.id === orderId)
          if (order === undefined) return undefined
          order.state = state
          if (state === "processed") order.meta.processedAt = isoAt(now)
          else order.meta.rejectedReason = detail ?? "Rejected"
          return { ...order }
        }),
      /**
       * A delivery of `event` to a subscription, signed as Monerium signs it: the headers and the raw body to POST
       * to the subscription's URL (with your own client), e.g. to test a webhook route end to end.
       */
      signedDelivery: (subscriptionId: string, event: { readonly type: string; readonly data?: unknown }) =>
        Effect.gen(function* () {
          const subscription = subscriptions.find((s) => s.id === subscriptionId)
          if (subscription === undefined) return yield* Effect.die(new Error("unknown subscription"))
          return yield* sign(subscription, event)
        }),
      /** The deliveries the server made itself (subscription validation, with `webhookClient`). */
      deliveries: Effect.sync(() => attempted.slice())
    }
  })

export type MoneriumTestServer = Effect.Success<ReturnType<typeof make>>

/** Credentials of the seeded apps: a code-flow app (redirect URIs on loopback) and a client-credentials app. */
export const defaultCredentials = { codeApp: defaultCodeApp, partnerApp: defaultPartnerApp } as const

/** An in-memory HttpClient answering with `server` (shares the caller's Clock, so TestClock applies). */
export const makeClient = (server: MoneriumTestServer): Effect.Effect<HttpClient.HttpClient> =>
  TestServer.makeMemoryClient(server.app)

export const layerClient = (server: MoneriumTestServer): Layer.Layer<HttpClient.HttpClient> =>
  TestServer.layerMemoryClient(server.app)

/** A fresh test server in memory, as the `HttpClient` layer a client is built on. */
export const layer = (options?: Options): Layer.Layer<HttpClient.HttpClient> =>
  Layer.unwrap(Effect.map(make(options), layerClient))

/** Serves `server` on the current `HttpServer` (loopback) and returns its base URL. */
export const listen = (server: MoneriumTestServer) => TestServer.listen(server.app)
