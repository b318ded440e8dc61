/**
 * A protocol-faithful Dintero test server, for nordkit's tests, the demo, and your own integration tests.
 *
 * - Token endpoint `POST /v1/accounts/{aid}/auth/token`: checks the Basic client credentials, the JSON content
 *   type, `grant_type=client_credentials` and the exact audience `https://api.dintero.com/v1/accounts/{aid}`;
 *   answers Dintero's error bodies (`{ error: { code, message } }`) otherwise.
 * - Checkout API (`/v1/sessions-profile`, `/v1/sessions/{id}`, `/v1/transactions...`): checks the bearer token
 *   and its expiry, validates bodies, and moves transactions through Dintero's states (capture, refund, void).
 * - Fault injection and a request log from the core harness; `payments.authorize(sessionId)` plays the customer
 *   paying a session.
 *
 * Run it in memory (`layerClient` / `makeClient`) or on a loopback port (`listen`, with an `HttpServer`).
 */
import { TestServer } from "@nordkit/core/testing"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import type * as HttpServerResponse from "effect/http/HttpServerResponse"
import type * as Layer from "effect/Layer"

export interface Account {
  readonly accountId: string
  readonly clientId: string
  readonly clientSecret: string
}

export interface Options {
  readonly accounts?: ReadonlyArray<Account> | undefined
  /** `expires_in` of issued tokens, seconds. Default 14400. */
  readonly tokenLifetimeSeconds?: number | undefined
  /** Answer captures with 202 (still processing) instead of 200. */
  readonly asyncCaptures?: boolean | undefined
}

export const defaultAccount: Account = {
  accountId: "T11223344",
  clientId: "nordkit-test-client",
  clientSecret: "nordkit-test-secret"
}

interface StoredEvent {
  event: string
  id: string
  amount?: number
  success: boolean
  created_at: string
  request_id?: string
  capture_reference?: string
  refund_reference?: string
}

interface StoredTransaction {
  id: string
  accountId: string
  session_id?: string
  status: string
  amount: number
  currency: string
  merchant_reference: string
  payment_product: string
  payment_product_type: string
  created_at: string
  updated_at: string
  items: ReadonlyArray<unknown>
  events: Array<StoredEvent>
}

interface StoredSession {
  id: string
  accountId: string
  created_at: string
  updated_at: string
  order: Record<string, unknown> & { amount: number; currency: string; merchant_reference: string }
  url: { return_url: string; callback_url?: string }
  profile_id: string
  transaction_id: string | null
  cancelled_at: string | null
  expires_at: string
}

const dinteroError = (status: number, code: string, message: string, headers?: Record<string, string>) =>
  TestServer.json({ error: { code, message } }, status, headers)

const isInt = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u) && u >= 0

const randomHex = (bytes: number) => {
  const buffer = new Uint8Array(bytes)
  globalThis.crypto.getRandomValues(buffer)
  return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("")
}

/** Validates a `sessions-profile` body the way Dintero does; returns an error message or undefined. */
const validateSession = (body: any): string | undefined => {
  if (typeof body !== "object" || body === null) return "body must be a JSON object"
  if (typeof body.url?.return_url !== "string") return "url.return_url is required"
  if (typeof body.profile_id !== "string" || body.profile_id.length === 0) return "profile_id is required"
  const order = body.order
  if (typeof order !== "object" || order === null) return "order is required"
  if (!isInt(order.amount)) return "order.amount must be a non-negative integer (minor units)"
  if (typeof order.currency !== "string" || !/^[A-Z]{3}$/.test(order.currency)) return "order.currency must be ISO 4217"
  if (typeof order.merchant_reference !== "string") return "order.merchant_reference is required"
  if (order.items !== undefined) {
    if (!Array.isArray(order.items)) return "order.items must be an array"
    let sum = 0
    for (const item of order.items) {
      if (typeof item?.line_id !== "string") return "order.items[].line_id is required"
      if (!isInt(item.amount)) return "order.items[].amount must be a non-negative integer"
      sum += item.amount
    }
    const shipping = isInt(order.shipping_option?.amount) ? order.shipping_option.amount : 0
    if (sum + shipping !== order.amount) return "order.amount must equal the sum of items and shipping"
  }
  return undefined
}

export const make = (options: Options = {}) =>
  Effect.gen(function* () {
    const accounts = new Map((options.accounts ?? [defaultAccount]).map((a) => [a.accountId, a]))
    const tokens = yield* TestServer.makeTokenRegistry
    const lifetime = options.tokenLifetimeSeconds ?? 14_400
    let asyncCaptures = options.asyncCaptures ?? false
    const sessions = new Map<string, StoredSession>()
    const transactions = new Map<string, StoredTransaction>()
    let sequence = 0

    const isoNow = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

    const tokenEndpoint = (request: TestServer.TestRequest, accountId: string) =>
      Effect.gen(function* () {
        if (request.method !== "POST") return dinteroError(405, "METHOD_NOT_ALLOWED", "Use POST")
        const account = accounts.get(accountId)
        const basic = TestServer.parseBasic(request.headers.authorization)
        if (basic === undefined) return dinteroError(401, "unauthorized", "Missing Basic authorization header")
        if (account === undefined || basic.user !== account.clientId || basic.pass !== account.clientSecret) {
          return dinteroError(401, "invalid_client", "Client authentication failed")
        }
        if (!(request.headers["content-type"] ?? "").startsWith("application/json")) {
          return dinteroError(415, "unsupported_media_type", "Content-Type must be application/json")
        }
        const body = TestServer.jsonBody(request) as { grant_type?: unknown; audience?: unknown } | undefined
        if (body === undefined) return dinteroError(400, "invalid_request", "Body must be JSON")
        if (body.grant_type !== "client_credentials") {
          return dinteroError(400, "unsupported_grant_type", "grant_type must be client_credentials")
        }
        if (body.audience !== `https://api.dintero.com/v1/accounts/${accountId}`) {
          return dinteroError(400, "invalid_audience", "audience does not match the account")
        }
        const issued = yield* tokens.issue(accountId, lifetime, { prefix: "eyJhbGciOiJSUzI1NiJ9.test" })
        return TestServer.json({ access_token: issued.token, token_type: "Bearer", expires_in: lifetime })
      })

    const authorize = (request: TestServer.TestRequest) =>
      Effect.gen(function* () {
        const bearer = TestServer.bearerOf(request)
        if (bearer === undefined) return { error: dinteroError(401, "unauthorized", "Missing bearer token") } as const
        const check = yield* tokens.check(bearer)
        switch (check._tag) {
          case "Valid":
            return { accountId: check.token.subject } as const
          case "Expired":
            return { error: dinteroError(401, "unauthorized", "Token expired") } as const
          default:
            return { error: dinteroError(401, "unauthorized", "Invalid token") } as const
        }
      })

    const view = (tx: StoredTransaction) => {
      const { accountId: _, ...rest } = tx
      return rest
    }
    const viewSession = (s: StoredSession) => {
      const { accountId: _, ...rest } = s
      return rest
    }

    const sumEvents = (tx: StoredTransaction, event: string) =>
      tx.events.filter((e) => e.event === event && e.success).reduce((sum, e) => sum + (e.amount ?? 0), 0)

    const transactionAction = (tx: StoredTransaction, action: string, body: any) =>
      Effect.gen(function* () {
        const now = yield* isoNow
        const captured = sumEvents(tx, "CAPTURE")
        const refunded = sumEvents(tx, "REFUND")
        const eventId = `evt_${randomHex(6)}`
        if (action === "void") {
          if (tx.status !== "AUTHORIZED") {
            return dinteroError(400, "INVALID_STATE", `Cannot void a transaction in state ${tx.status}`)
          }
          tx.events.push({ event: "VOID", id: eventId, success: true, created_at: now })
          tx.status = "AUTHORIZATION_VOIDED"
          tx.updated_at = now
          return TestServer.json(view(tx))
        }
        if (!isInt(body?.amount) || body.amount === 0) {
          return dinteroError(400, "VALIDATION_ERROR", "amount must be a positive integer in minor units")
        }
        if (action === "capture") {
          if (tx.status !== "AUTHORIZED" && tx.status !== "PARTIALLY_CAPTURED") {
            return dinteroError(400, "INVALID_STATE", `Cannot capture a transaction in state ${tx.status}`)
          }
          if (captured + body.amount > tx.amount) {
            return dinteroError(
              400,
              "AMOUNT_EXCEEDS_AUTHORIZED",
              "Capture amount exceeds the remaining authorized amount"
            )
          }
          const requestId = `req_${randomHex(6)}`
          tx.events.push({
            event: "CAPTURE",
            id: eventId,
            amount: body.amount,
            success: true,
            created_at: now,
            request_id: requestId,
            ...(typeof body.capture_reference === "string" ? { capture_reference: body.capture_reference } : {})
          })
          tx.status = captured + body.amount === tx.amount ? "CAPTURED" : "PARTIALLY_CAPTURED"
          tx.updated_at = now
          if (asyncCaptures) {
            return TestServer.json({ status: "accepted" }, 202, { "event-request-id": requestId })
          }
          return TestServer.json(view(tx))
        }
        // refund
        if (captured === 0 || refunded + body.amount > captured) {
          return dinteroError(400, "AMOUNT_EXCEEDS_CAPTURED", "Refund amount exceeds the captured amount")
        }
        tx.events.push({
          event: "REFUND",
          id: eventId,
          amount: body.amount,
          success: true,
          created_at: now,
          ...(typeof body.refund_reference === "string" ? { refund_reference: body.refund_reference } : {})
        })
        const fullyCaptured = captured === tx.amount
        const fullyRefunded = refunded + body.amount === captured
        tx.status =
          fullyRefunded && fullyCaptured
            ? "REFUNDED"
            : fullyCaptured
              ? "PARTIALLY_REFUNDED"
              : "PARTIALLY_CAPTURED_REFUNDED"
        tx.updated_at = now
        return TestServer.json(view(tx))
      })

    const api = (request: TestServer.TestRequest, accountId: string) =>
      Effect.gen(function* () {
        const parts = request.path.split("/").filter((p) => p.length > 0) // ["v1", ...]
        const [, resource, id, action] = parts
        if (resource === "sessions-profile" && parts.length === 2) {
          if (request.method !== "POST") return dinteroError(405, "METHOD_NOT_ALLOWED", "Use POST")
          const body = TestServer.jsonBody(request) as any
          const invalid = validateSession(body)
          if (invalid !== undefined) return dinteroError(400, "VALIDATION_ERROR", invalid)
          const now = yield* isoNow
          const sessionId = `${accountId}.${(++sequence).toString().padStart(4, "0")}${randomHex(8)}`
          sessions.set(sessionId, {
            id: sessionId,
            accountId,
            created_at: now,
            updated_at: now,
            order: body.order,
            url: body.url,
            profile_id: body.profile_id,
            transaction_id: null,
            cancelled_at: null,
            expires_at: new Date(Date.parse(now) + 24 * 3600_000).toISOString()
          })
          return TestServer.json({ id: sessionId, url: `http://checkout.test.invalid/v1/view/${sessionId}` })
        }
        if (resource === "sessions" && id !== undefined) {
          const session = sessions.get(decodeURIComponent(id))
          if (session === undefined || session.accountId !== accountId) {
            return dinteroError(404, "NOT FOUND", `Session ${decodeURIComponent(id)} not found`)
          }
          if (action === undefined && request.method === "GET") return TestServer.json(viewSession(session))
          if (action === "cancel" && request.method === "POST") {
            if (session.transaction_id !== null) {
              return dinteroError(400, "INVALID_STATE", "Session is already paid")
            }
            const now = yield* isoNow
            session.cancelled_at = session.cancelled_at ?? now
            session.updated_at = now
            return TestServer.json(viewSession(session))
          }
        }
        if (resource === "transactions" && id === undefined && request.method === "GET") {
          const limit = Math.min(100, Number(request.query.get("limit") ?? 25))
          const status = request.query.get("status")
          const reference = request.query.get("merchant_reference")
          const sessionId = request.query.get("session_id")
          const after = request.query.get("starting_after")
          let list = [...transactions.values()].filter(
            (t) =>
              t.accountId === accountId &&
              (status === null || t.status === status) &&
              (reference === null || t.merchant_reference === reference) &&
              (sessionId === null || t.session_id === sessionId)
          )
          if (after !== null) {
            const index = list.findIndex((t) => t.id === after)
            list = index < 0 ? [] : list.slice(index + 1)
          }
          return TestServer.json(list.slice(0, limit).map(view))
        }
        if (resource === "transactions" && id !== undefined) {
          const tx = transactions.get(decodeURIComponent(id))
          if (tx === undefined || tx.accountId !== accountId) {
            return dinteroError(404, "NOT FOUND", `Transaction ${decodeURIComponent(id)} not found`)
          }
          if (action === undefined && request.method === "GET") return TestServer.json(view(tx))
          if ((action === "capture" || action === "refund" || action === "void") && request.method === "POST") {
            if (action !== "void" && !(request.headers["content-type"] ?? "").startsWith("application/json")) {
              return dinteroError(415, "unsupported_media_type", "Content-Type must be application/json")
            }
            return yield* transactionAction(tx, action, TestServer.jsonBody(request))
          }
        }
        return dinteroError(404, "NOT FOUND", `No route for ${request.method} ${request.path}`)
      })

    const handler: TestServer.Handler = (request) =>
      Effect.gen(function* () {
        const token = /^\/v1\/accounts\/([^/]+)\/auth\/token$/.exec(request.path)
        if (token !== null) return yield* tokenEndpoint(request, decodeURIComponent(token[1]))
        if (!request.path.startsWith("/v1/")) return dinteroError(404, "NOT FOUND", "Not found")
        const auth = yield* authorize(request)
        if ("error" in auth) return auth.error as HttpServerResponse.HttpServerResponse
        return yield* api(request, auth.accountId)
      })

    const server = yield* TestServer.make(handler)

    /** Creates an AUTHORIZED transaction directly (seed data), returning its id. */
    const seedTransaction = (seed: {
      readonly accountId?: string
      readonly amount: number
      readonly currency?: string
      readonly merchantReference?: string
      readonly sessionId?: string
      readonly status?: string
    }) =>
      Effect.gen(function* () {
        const now = yield* isoNow
        const id = `T${randomHex(4).toUpperCase()}.${(++sequence).toString().padStart(4, "0")}${randomHex(10)}`
        transactions.set(id, {
          id,
          accountId: seed.accountId ?? defaultAccount.accountId,
          ...(seed.sessionId === undefined ? {} : { session_id: seed.sessionId }),
          status: seed.status ?? "AUTHORIZED",
          amount: seed.amount,
          currency: seed.currency ?? "NOK",
          merchant_reference: seed.merchantReference ?? `seed-${sequence}`,
          payment_product: "vipps",
          payment_product_type: "vipps",
          created_at: now,
          updated_at: now,
          items: [],
          events: [
            { event: "AUTHORIZE", id: `evt_${randomHex(6)}`, amount: seed.amount, success: true, created_at: now }
          ]
        })
        return id
      })

    /** Plays the customer paying a session: creates its AUTHORIZED transaction and links it. */
    const authorizeSession = (sessionId: string) =>
      Effect.gen(function* () {
        const session = sessions.get(sessionId)
        if (session === undefined) return yield* Effect.die(new Error(`no session ${sessionId}`))
        const id = yield* seedTransaction({
          accountId: session.accountId,
          amount: session.order.amount,
          currency: session.order.currency,
          merchantReference: session.order.merchant_reference,
          sessionId
        })
        const tx = transactions.get(id)!
        tx.items = (session.order.items as ReadonlyArray<unknown> | undefined) ?? []
        session.transaction_id = id
        session.updated_at = yield* isoNow
        return id
      })

    yield* seedTransaction({ amount: 25_000, merchantReference: "seed-order-1" })
    yield* seedTransaction({ amount: 9_900, merchantReference: "seed-order-2", status: "CAPTURED" }).pipe(
      Effect.tap((id) =>
        Effect.sync(() => {
          const tx = transactions.get(id)!
          tx.events.push({ event: "CAPTURE", id: "evt_seed", amount: 9_900, success: true, created_at: tx.created_at })
        })
      )
    )

    const tokenRequests = Effect.map(server.requests, (all) => all.filter((r) => r.path.endsWith("/auth/token")))

    return {
      ...server,
      tokens,
      tokenRequests,
      seedTransaction,
      authorizeSession,
      setAsyncCaptures: (value: boolean) =>
        Effect.sync(() => {
          asyncCaptures = value
        }),
      /** Revokes every token issued so far (the next API call gets 401). */
      revokeTokens: tokens.revoke(),
      /** Ids of stored transactions. */
      transactionIds: Effect.sync(() => [...transactions.keys()])
    }
  })

export type DinteroTestServer = Effect.Success<ReturnType<typeof make>>

/** An in-memory HttpClient answering with `server` (shares the caller's Clock, so TestClock applies). */
export const makeClient = (server: DinteroTestServer): Effect.Effect<HttpClient.HttpClient> =>
  TestServer.makeMemoryClient(server.app)

export const layerClient = (server: DinteroTestServer): Layer.Layer<HttpClient.HttpClient> =>
  TestServer.layerMemoryClient(server.app)

/** Serves `server` on the current `HttpServer` (loopback) and returns its base URL. */
export const listen = (server: DinteroTestServer) => TestServer.listen(server.app)
