/**
 * A protocol-faithful Dintero test server, for nordkit's tests, the demo, and your own integration tests.
 *
 * - Token endpoint `POST /v1/accounts/{aid}/auth/token`: checks the Basic client credentials, the JSON content
 *   type, `grant_type=client_credentials` and the exact audience `https://api.dintero.com/v1/accounts/{aid}`;
 *   answers Dintero's error bodies (`{ error: { code, message } }`) otherwise.
 * - Checkout API (`/v1/sessions-profile`, `/v1/sessions/{id}` GET/PUT, `/cancel`, `/v1/sessions/payment-token`,
 *   `/v1/sessions/pay`, `/v1/transactions` with its filters and cursor, `/v1/transactions/{id}` GET/PUT with
 *   `includes`, capture / refund / void / authorization, `/v1/admin/signature`) and the API host's settlements and
 *   reports: checks the bearer token and its expiry, validates bodies, keeps every field a session is created with,
 *   answers in the published shapes (events with `event_reference` and `correlation_request_id`), and moves
 *   transactions through Dintero's states.
 * - `asyncOperations`: capture, refund and void answer `202` with `event-request-id` and complete later
 *   (`completePending`), as Dintero does when the payment provider is slow.
 * - Callbacks: `authorizeSession(sessionId)` plays the customer paying; `callbackFor` builds the signed callback
 *   Dintero would send (with the secret of `POST /v1/admin/signature`), `deliverCallback` sends it.
 * - Fault injection and a request log from the core harness.
 *
 * Run it in memory (`layerClient` / `makeClient`) or on a loopback port (`listen`, with an `HttpServer`).
 */
import { TestServer } from "@nordkit/core/testing"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import * as DinteroCallback from "./DinteroCallback.ts"

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
  /** Answer capture, refund and void with 202 and complete them on `completePending`. */
  readonly asyncOperations?: boolean | undefined
}

export const defaultAccount: Account = {
  accountId: "T11223344",
  clientId: "nordkit-test-client",
  clientSecret: "nordkit-test-secret"
}

/** The credentials of `defaultAccount`, as `DinteroClient.Options` takes them (plus the base URL). */
export const defaultCredentials = defaultAccount

type Json = Record<string, any>

interface StoredTransaction extends Json {
  id: string
  accountId: string
  session_id?: string
  status: string
  amount: number
  currency: string
  merchant_reference: string
  merchant_reference_2?: string
  payment_product: string
  payment_product_type: string
  created_at: string
  updated_at: string
  items: ReadonlyArray<unknown>
  events: Array<Json>
}

interface StoredSession extends Json {
  id: string
  accountId: string
  created_at: string
  updated_at: string
  order: Json
  url: { return_url: string; callback_url?: string }
  transaction_id?: string
  cancelled_at?: string
  expires_at: string
}

interface Pending {
  readonly transactionId: string
  readonly action: "capture" | "refund" | "void"
  readonly body: Json
  readonly requestId: string
}

const dinteroError = (status: number, code: string, message: string, headers?: Record<string, string>) =>
  TestServer.json({ error: { code, message } }, status, headers)

const isInt = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u) && u >= 0

const randomHex = (bytes: number) => {
  const buffer = new Uint8Array(bytes)
  globalThis.crypto.getRandomValues(buffer)
  return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("")
}

const validateItems = (items: unknown, label: string): string | undefined => {
  if (items === undefined) return undefined
  if (!Array.isArray(items)) return `${label} must be an array`
  for (const item of items) {
    if (typeof item?.line_id !== "string") return `${label}[].line_id is required`
    if (!isInt(item.amount)) return `${label}[].amount must be a non-negative integer`
  }
  return undefined
}

/** Validates an order the way Dintero does; returns an error message or undefined. */
const validateOrder = (order: any, requireAmount = true): string | undefined => {
  if (typeof order !== "object" || order === null) return "order is required"
  if (requireAmount && !isInt(order.amount)) return "order.amount must be a non-negative integer (minor units)"
  if (typeof order.currency !== "string" || !/^[A-Z]{3}$/.test(order.currency)) return "order.currency must be ISO 4217"
  if (typeof order.merchant_reference !== "string") return "order.merchant_reference is required"
  const invalid = validateItems(order.items, "order.items")
  if (invalid !== undefined) return invalid
  if (requireAmount && Array.isArray(order.items) && order.items.length > 0) {
    const sum = order.items.reduce((total: number, item: any) => total + item.amount, 0)
    const shipping = isInt(order.shipping_option?.amount) ? order.shipping_option.amount : 0
    if (sum + shipping !== order.amount) return "order.amount must equal the sum of items and shipping"
  }
  return undefined
}

/** Validates a `sessions-profile` body the way Dintero does; returns an error message or undefined. */
const validateSession = (body: any): string | undefined => {
  if (typeof body !== "object" || body === null) return "body must be a JSON object"
  if (typeof body.url?.return_url !== "string") return "url.return_url is required"
  if (typeof body.profile_id !== "string" || body.profile_id.length === 0) return "profile_id is required"
  return validateOrder(body.order)
}

const multi = (query: URLSearchParams, name: string): ReadonlyArray<string> | undefined => {
  const values = query.getAll(name)
  return values.length === 0 ? undefined : values
}

export const make = (options: Options = {}) =>
  Effect.gen(function* () {
    const accounts = new Map((options.accounts ?? [defaultAccount]).map((a) => [a.accountId, a]))
    const tokens = yield* TestServer.makeTokenRegistry
    const lifetime = options.tokenLifetimeSeconds ?? 14_400
    let asyncCaptures = options.asyncCaptures ?? false
    let asyncOperations = options.asyncOperations ?? false
    const sessions = new Map<string, StoredSession>()
    const transactions = new Map<string, StoredTransaction>()
    const signatureSecrets = new Map<string, { secret: string; id: string; created_at: string }>()
    const signatureView = (s: { secret: string; id: string; created_at: string }) => ({
      id: s.id,
      created_at: s.created_at,
      signature: { secret: s.secret }
    })
    const pending: Array<Pending> = []
    const settlements: Array<Json> = []
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

    const view = (tx: StoredTransaction, includes: ReadonlyArray<string> = []) => {
      const { accountId: _, ...rest } = tx
      if (includes.includes("session") && tx.session_id !== undefined) {
        const session = sessions.get(tx.session_id)
        if (session !== undefined) {
          // The session as a transaction embeds it: no metadata, no merchant data (those are the session's own).
          const { metadata: _m, merchant: _mm, locked: _l, cancelled_at: _c, ...embedded } = viewSession(session)
          return { ...rest, session: embedded }
        }
      }
      return rest
    }
    const viewSession = (s: StoredSession): Json => {
      const { accountId: _, locked: _locked, ...rest } = s
      return rest
    }

    const sumEvents = (tx: StoredTransaction, event: string) =>
      tx.events.filter((e) => e.event === event && e.success).reduce((sum, e) => sum + (e.amount ?? 0), 0)

    /** Checks an operation; returns an error response or undefined. */
    const checkAction = (tx: StoredTransaction, action: string, body: any) => {
      const captured = sumEvents(tx, "CAPTURE")
      const refunded = sumEvents(tx, "REFUND")
      if (action === "void") {
        return tx.status === "AUTHORIZED"
          ? undefined
          : dinteroError(400, "INVALID_STATE", `Cannot void a transaction in state ${tx.status}`)
      }
      if (!isInt(body?.amount) || body.amount === 0) {
        return dinteroError(400, "VALIDATION_ERROR", "amount must be a positive integer in minor units")
      }
      const invalidItems = validateItems(body.items, "items")
      if (invalidItems !== undefined) return dinteroError(400, "VALIDATION_ERROR", invalidItems)
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
        return undefined
      }
      if (captured === 0 || refunded + body.amount > captured) {
        return dinteroError(400, "AMOUNT_EXCEEDS_CAPTURED", "Refund amount exceeds the captured amount")
      }
      return undefined
    }

    /** Applies an operation to a transaction (synchronously, or when a pending one completes). */
    const applyAction = (tx: StoredTransaction, action: string, body: any, requestId: string, correlated: boolean) =>
      Effect.gen(function* () {
        const now = yield* isoNow
        const captured = sumEvents(tx, "CAPTURE")
        const refunded = sumEvents(tx, "REFUND")
        const event: Json = {
          id: `evt_${randomHex(6)}`,
          event: action.toUpperCase(),
          success: true,
          created_at: now,
          created_by: "nordkit-test-client",
          // A completion carries its own request id and points at the accepted (INITIATE_*) event's.
          request_id: correlated ? globalThis.crypto.randomUUID() : requestId,
          ...(correlated ? { correlation_request_id: requestId } : {})
        }
        if (action === "void") {
          tx.status = "AUTHORIZATION_VOIDED"
        } else if (action === "capture") {
          tx.status = captured + body.amount === tx.amount ? "CAPTURED" : "PARTIALLY_CAPTURED"
          // `final_capture` releases what remains of the authorization.
          if (body.final_capture === true && tx.status === "PARTIALLY_CAPTURED") tx.status = "CAPTURED"
          Object.assign(event, { amount: body.amount })
          if (typeof body.capture_reference === "string") event.event_reference = body.capture_reference
          if (Array.isArray(body.items)) event.items = body.items
        } else {
          const fullyCaptured = captured === tx.amount || tx.status === "CAPTURED"
          const fullyRefunded = refunded + body.amount === captured
          tx.status =
            fullyRefunded && fullyCaptured
              ? "REFUNDED"
              : fullyCaptured
                ? "PARTIALLY_REFUNDED"
                : "PARTIALLY_CAPTURED_REFUNDED"
          Object.assign(event, { amount: body.amount })
          if (typeof body.refund_reference === "string") event.event_reference = body.refund_reference
          if (Array.isArray(body.items)) event.items = body.items
        }
        event.transaction_status = tx.status
        tx.events.push(event)
        tx.updated_at = now
      })

    const transactionAction = (tx: StoredTransaction, action: "capture" | "refund" | "void", body: any) =>
      Effect.gen(function* () {
        const refused = checkAction(tx, action, body)
        if (refused !== undefined) return refused
        const requestId = globalThis.crypto.randomUUID()
        if (asyncOperations || (action === "capture" && asyncCaptures)) {
          // Accepted: an INITIATE_* event with the request id the `event-request-id` header names.
          const reference = action === "capture" ? body?.capture_reference : body?.refund_reference
          tx.events.push({
            id: `evt_${randomHex(6)}`,
            event: `INITIATE_${action.toUpperCase()}`,
            success: true,
            created_at: yield* isoNow,
            created_by: "nordkit-test-client",
            request_id: requestId,
            ...(typeof body?.amount === "number" ? { amount: body.amount } : {}),
            ...(typeof reference === "string" ? { event_reference: reference } : {}),
            transaction_status: tx.status
          })
          pending.push({ transactionId: tx.id, action, body: body ?? {}, requestId })
          return TestServer.json(view(tx), 202, { "event-request-id": requestId })
        }
        yield* applyAction(tx, action, body ?? {}, requestId, false)
        return TestServer.json(view(tx))
      })

    const listTransactions = (request: TestServer.TestRequest, accountId: string) => {
      const q = request.query
      const limit = Math.min(100, Math.max(1, Number(q.get("limit") ?? 10)))
      const ids = multi(q, "id")
      const status = multi(q, "status")
      const sessionIds = multi(q, "session_id")
      const products = multi(q, "payment_product")
      const productTypes = multi(q, "payment_product_type")
      const currencies = multi(q, "currency")
      const reference = q.get("merchant_reference")
      const reference2 = q.get("merchant_reference_2")
      const amount = q.get("amount")
      const gte = q.get("amount.gte")
      const lte = q.get("amount.lte")
      const createdGte = q.get("created_at.gte")
      const createdLte = q.get("created_at.lte")
      const search = q.get("search")
      const after = q.get("starting_after")
      let list = [...transactions.values()].filter(
        (t) =>
          t.accountId === accountId &&
          (ids === undefined || ids.includes(t.id)) &&
          (status === undefined || status.includes(t.status)) &&
          (sessionIds === undefined || (t.session_id !== undefined && sessionIds.includes(t.session_id))) &&
          (products === undefined || products.includes(t.payment_product)) &&
          (productTypes === undefined || productTypes.includes(t.payment_product_type)) &&
          (currencies === undefined || currencies.includes(t.currency)) &&
          (reference === null || t.merchant_reference === reference) &&
          (reference2 === null || t.merchant_reference_2 === reference2) &&
          (amount === null || t.amount === Number(amount)) &&
          (gte === null || t.amount >= Number(gte)) &&
          (lte === null || t.amount <= Number(lte)) &&
          (createdGte === null || t.created_at >= createdGte) &&
          (createdLte === null || t.created_at <= createdLte) &&
          (search === null || t.id.includes(search) || t.merchant_reference.includes(search))
      )
      if (after !== null) {
        const index = list.findIndex((t) => t.id === after)
        list = index < 0 ? [] : list.slice(index + 1)
      }
      return TestServer.json(list.slice(0, limit).map((t) => view(t)))
    }

    const createSessionFrom = (accountId: string, body: Json, includeSession = false) =>
      Effect.gen(function* () {
        const now = yield* isoNow
        const sessionId = `${accountId}.${(++sequence).toString().padStart(4, "0")}${randomHex(8)}`
        const { profile_id: _profile, ...rest } = body
        sessions.set(sessionId, {
          expires_at: new Date(Date.parse(now) + 24 * 3600_000).toISOString(),
          ...rest,
          id: sessionId,
          accountId,
          created_at: now,
          updated_at: now,
          order: body.order,
          url: body.url,
          // The profile's payment configuration, as Dintero copies it onto the session.
          configuration: body.configuration ?? { auto_capture: false, dintero_psp: { creditcard: { enabled: true } } }
        } as StoredSession)
        const url = `http://checkout.test.invalid/v1/view/${sessionId}`
        const stored = sessions.get(sessionId)!
        // `include_session=true`: the whole session as `GET /v1/sessions/{id}` shows it.
        return TestServer.json(
          includeSession ? { id: sessionId, url, session: viewSession(stored) } : { id: sessionId, url }
        )
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
          return yield* createSessionFrom(accountId, body, request.query.get("include_session") === "true")
        }
        if (resource === "sessions" && id === "payment-token" && request.method === "POST") {
          const body = TestServer.jsonBody(request) as any
          if (typeof body?.session !== "object" || typeof body?.token_provider !== "object") {
            return dinteroError(400, "VALIDATION_ERROR", "session and token_provider are required")
          }
          if (typeof body.session.url?.return_url !== "string") {
            return dinteroError(400, "VALIDATION_ERROR", "session.url.return_url is required")
          }
          const invalid = validateOrder(body.session.order, false)
          if (invalid !== undefined) return dinteroError(400, "VALIDATION_ERROR", invalid)
          return yield* createSessionFrom(
            accountId,
            { ...body.session, order: { amount: 0, ...body.session.order }, token_provider: body.token_provider },
            request.query.get("include_session") === "true"
          )
        }
        if (resource === "sessions" && id === "pay" && request.method === "POST") {
          const body = TestServer.jsonBody(request) as any
          const session = body?.session
          const invalid = validateOrder(session?.order)
          if (invalid !== undefined) return dinteroError(400, "VALIDATION_ERROR", invalid)
          const payment = body.payment
          if (typeof payment?.payment_product_type !== "string" || typeof payment?.operation !== "string") {
            return dinteroError(
              400,
              "VALIDATION_ERROR",
              "payment.payment_product_type and payment.operation are required"
            )
          }
          const created = yield* createSessionFrom(accountId, { url: { return_url: "" }, ...session })
          void created
          const sessionId = [...sessions.keys()].at(-1)!
          const txId = yield* authorizeSession(sessionId)
          const tx = transactions.get(txId)!
          tx.payment_product_type = payment.payment_product_type
          tx.payment_product = String(payment.payment_product_type).split(".")[0]
          // A token starting with `declined` is declined as Dintero reports it: 200, the transaction FAILED, the
          // reason (and whether the card may be tried again) in the failed event's `error`.
          const token = JSON.stringify(session?.customer?.tokens ?? {})
          if (/"payment_token":"declined/.test(token)) {
            tx.status = "FAILED"
            for (const event of tx.events) {
              if (event.event === "AUTHORIZE") {
                event.success = false
                event.transaction_status = "FAILED"
                event.error = {
                  code: "DECLINED",
                  message: "Card declined by issuer",
                  type: ["DECLINED"],
                  retry_policy: { retry_codes: ["DO_NOT_RETRY"] }
                }
              }
            }
            return TestServer.json({ ...view(tx), success: false })
          }
          return TestServer.json({ ...view(tx), success: true })
        }
        if (resource === "sessions" && id !== undefined) {
          const session = sessions.get(decodeURIComponent(id))
          if (session === undefined || session.accountId !== accountId) {
            return dinteroError(404, "NOT FOUND", `Session ${decodeURIComponent(id)} not found`)
          }
          if (action === undefined && request.method === "GET") return TestServer.json(viewSession(session))
          if (action === undefined && request.method === "PUT") {
            if (request.query.get("update_without_lock") !== "true" && session.locked !== true) {
              return dinteroError(400, "SESSION_NOT_LOCKED", "Session must be locked for paying before updating")
            }
            if (session.transaction_id !== undefined || session.cancelled_at !== undefined) {
              return dinteroError(400, "INVALID_STATE", "Session is completed")
            }
            const body = TestServer.jsonBody(request) as any
            if (body?.order !== undefined) {
              const merged = { ...session.order, ...body.order }
              const invalid = validateOrder(merged)
              if (invalid !== undefined) return dinteroError(400, "VALIDATION_ERROR", invalid)
              session.order = merged
            }
            for (const key of ["url", "customer", "express", "remove_lock"] as const) {
              if (body?.[key] !== undefined && key !== "remove_lock") session[key] = { ...session[key], ...body[key] }
            }
            session.updated_at = yield* isoNow
            return TestServer.json(viewSession(session))
          }
          if (action === "cancel" && request.method === "POST") {
            if (session.transaction_id !== undefined)
              return dinteroError(400, "INVALID_STATE", "Session is already paid")
            const now = yield* isoNow
            session.cancelled_at = session.cancelled_at ?? now
            session.updated_at = now
            return TestServer.json(viewSession(session))
          }
        }
        if (resource === "transactions" && id === undefined && request.method === "GET") {
          return listTransactions(request, accountId)
        }
        if (resource === "transactions" && id !== undefined) {
          const tx = transactions.get(decodeURIComponent(id))
          if (tx === undefined || tx.accountId !== accountId) {
            return dinteroError(404, "NOT FOUND", `Transaction ${decodeURIComponent(id)} not found`)
          }
          if (action === undefined && request.method === "GET") {
            return TestServer.json(view(tx, request.query.getAll("includes")))
          }
          if (action === undefined && request.method === "PUT") {
            const body = TestServer.jsonBody(request) as any
            if (body?.merchant_reference_2 !== undefined && typeof body.merchant_reference_2 !== "string") {
              return dinteroError(400, "VALIDATION_ERROR", "merchant_reference_2 must be a string")
            }
            if (typeof body?.merchant_reference_2 === "string") tx.merchant_reference_2 = body.merchant_reference_2
            tx.updated_at = yield* isoNow
            return TestServer.json(view(tx))
          }
          if (action === "authorization" && request.method === "POST") {
            if (tx.status !== "AUTHORIZED" && tx.status !== "PARTIALLY_CAPTURED") {
              return dinteroError(409, "INVALID_STATE", `Cannot extend an authorization in state ${tx.status}`)
            }
            // Dintero records no published event kind for an extension; the authorization simply lasts longer.
            const now = yield* isoNow
            tx.updated_at = now
            return TestServer.json(view(tx))
          }
          if ((action === "capture" || action === "refund" || action === "void") && request.method === "POST") {
            if (action !== "void" && !(request.headers["content-type"] ?? "").startsWith("application/json")) {
              return dinteroError(415, "unsupported_media_type", "Content-Type must be application/json")
            }
            return yield* transactionAction(tx, action, TestServer.jsonBody(request))
          }
        }
        // Answered as Dintero's Checkout API models it (`SignatureV0`): the secret nested in `signature`.
        if (resource === "admin" && id === "signature" && request.method === "POST") {
          const secret = randomHex(32)
          signatureSecrets.set(accountId, { secret, id: randomHex(8), created_at: yield* isoNow })
          return TestServer.json(signatureView(signatureSecrets.get(accountId)!))
        }
        if (resource === "admin" && id === "signature" && request.method === "GET") {
          const current = signatureSecrets.get(accountId)
          if (current === undefined) return dinteroError(404, "NOT FOUND", "No signature secret")
          return TestServer.json(signatureView(current))
        }
        if (resource === "accounts" && decodeURIComponent(id ?? "") === accountId) {
          if (action === "settlements" && parts.length === 4 && request.method === "GET") {
            const limit = Math.min(1000, Number(request.query.get("limit") ?? 10))
            return TestServer.json({ items: settlements.slice(0, limit) })
          }
          if (action === "reports" && parts[4] === "metadata" && request.method === "GET") {
            return TestServer.json({ reports: [] })
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
      /** Fields merged into the stored transaction (e.g. a field Dintero adds after the published spec). */
      readonly extra?: Record<string, unknown>
    }) =>
      Effect.gen(function* () {
        const now = yield* isoNow
        // Dintero's ids are the account id, a dot and a unique part (e.g. `P00000000.465U8CUzaPVpneu1wt8Wei`).
        const accountId = seed.accountId ?? defaultAccount.accountId
        const id = `${accountId}.${(++sequence).toString().padStart(4, "0")}${randomHex(10)}`
        transactions.set(id, {
          id,
          accountId,
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
            {
              id: `evt_${randomHex(6)}`,
              event: "AUTHORIZE",
              amount: seed.amount,
              success: true,
              created_at: now,
              request_id: randomHex(16),
              transaction_status: "AUTHORIZED"
            }
          ],
          ...seed.extra
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
        if (typeof session.order.merchant_reference_2 === "string") {
          tx.merchant_reference_2 = session.order.merchant_reference_2
        }
        session.transaction_id = id
        session.updated_at = yield* isoNow
        return id
      })

    /** Completes every 202-accepted operation: its event appears with `correlation_request_id`. */
    const completePending = Effect.gen(function* () {
      const all = pending.splice(0)
      for (const op of all) {
        const tx = transactions.get(op.transactionId)
        if (tx !== undefined) yield* applyAction(tx, op.action, op.body, op.requestId, true)
      }
      return all.length
    })

    /**
     * The callback Dintero sends for a paid session: its URL (the session's `callback_url` with `transaction_id`,
     * `merchant_reference`, `session_id`, `time`), method, and `Dintero-Signature` when the account has a secret.
     */
    const callbackFor = (sessionId: string, extra: Record<string, string> = {}) =>
      Effect.gen(function* () {
        const session = sessions.get(sessionId)
        if (session?.url.callback_url === undefined) {
          return yield* Effect.die(new Error(`session ${sessionId} has no callback_url`))
        }
        const url = new URL(session.url.callback_url)
        const method = url.searchParams.get("method") === "POST" ? "POST" : "GET"
        const nowMillis = yield* Clock.currentTimeMillis
        if (session.transaction_id !== undefined) url.searchParams.set("transaction_id", session.transaction_id)
        url.searchParams.set("merchant_reference", session.order.merchant_reference)
        url.searchParams.set("session_id", sessionId)
        url.searchParams.set("time", new Date(nowMillis).toISOString())
        for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v)
        const secret = signatureSecrets.get(session.accountId)?.secret
        const headers: Record<string, string> = {}
        if (secret !== undefined) {
          headers["dintero-signature"] = yield* DinteroCallback.sign({
            secret,
            accountId: session.accountId,
            method,
            url,
            timestamp: Math.floor(nowMillis / 1000)
          })
        }
        const tx = session.transaction_id === undefined ? undefined : transactions.get(session.transaction_id)
        const body = method === "POST" && tx !== undefined ? JSON.stringify(view(tx)) : undefined
        return { url: url.toString(), method, headers, body }
      })

    /** Sends `callbackFor(sessionId)` to the session's callback URL; returns the status your route answered. */
    const deliverCallback = (sessionId: string) =>
      Effect.gen(function* () {
        const callback = yield* callbackFor(sessionId)
        const client = yield* HttpClient.HttpClient
        let request = HttpClientRequest.make(callback.method as "GET")(callback.url).pipe(
          HttpClientRequest.setHeaders(callback.headers)
        )
        if (callback.body !== undefined)
          request = HttpClientRequest.bodyText(request, callback.body, "application/json")
        const response = yield* client.execute(request)
        return response.status
      })

    /** Adds a settlement to the account's settlements (API host). */
    const seedSettlement = (settlement: Json) =>
      Effect.sync(() => {
        settlements.push({ id: `stl_${randomHex(6)}`, ...settlement })
      })

    yield* seedTransaction({ amount: 25_000, merchantReference: "seed-order-1" })
    yield* seedTransaction({ amount: 9_900, merchantReference: "seed-order-2", status: "CAPTURED" }).pipe(
      Effect.tap((id) =>
        Effect.sync(() => {
          const tx = transactions.get(id)!
          tx.events.push({
            id: "evt_seed",
            event: "CAPTURE",
            amount: 9_900,
            success: true,
            created_at: tx.created_at,
            request_id: randomHex(16),
            transaction_status: "CAPTURED"
          })
        })
      )
    )

    const tokenRequests = Effect.map(server.requests, (all) => all.filter((r) => r.path.endsWith("/auth/token")))

    return {
      ...server,
      tokens,
      tokenRequests,
      seedTransaction,
      seedSettlement,
      authorizeSession,
      completePending,
      callbackFor,
      deliverCallback,
      /** Marks a session locked for paying (as the checkout page does), so `PUT` without `update_without_lock` works. */
      lockSession: (sessionId: string) =>
        Effect.sync(() => {
          const session = sessions.get(sessionId)
          if (session !== undefined) session.locked = true
        }),
      /** The signature secret of an account, once `POST /v1/admin/signature` created one. */
      signatureSecret: (accountId: string = defaultAccount.accountId) =>
        Effect.sync(() => signatureSecrets.get(accountId)?.secret),
      setAsyncCaptures: (value: boolean) =>
        Effect.sync(() => {
          asyncCaptures = value
        }),
      setAsyncOperations: (value: boolean) =>
        Effect.sync(() => {
          asyncOperations = value
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

/** The test server of `layer`, to reach its controls. */
export class Server extends Context.Service<Server, DinteroTestServer>()("@nordkit/dintero/testing/Server") {}

/** A test server in memory: provides `Server` (its controls) and the `HttpClient` that reaches it. */
export const layer = (options?: Options): Layer.Layer<Server | HttpClient.HttpClient> =>
  Layer.unwrap(
    Effect.map(make(options), (server) =>
      Layer.merge(Layer.succeed(Server, server), TestServer.layerMemoryClient(server.app))
    )
  )
