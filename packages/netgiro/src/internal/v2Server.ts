/**
 * The V2 API and hosted checkout of the Netgíró test server (`NetgiroTestServer.ts` routes `/v2/*` and
 * `/securepay/*` here).
 *
 * - Every request needs `X-Netgiro-Api-Key` = a known app key, else 401 `{Success:false, Message}`.
 * - Customers: a barcode `500004-NNNN` or a 10-digit access code pays at once (`Confirmed`, or `Authorized`
 *   with `ManualCapture`); GSM 8223281 is `Pending` until `approveV2`/`declineV2`; GSM 8111111 approves and
 *   8222222 declines `approveAfterMillis` after the payment (Effect Clock); 9999999 is blacklisted; anything
 *   else is "Customer not verified." (HTTP 400, the validation-error shape).
 * - Capture (full or partial, once), cancel (any stage), refund (once per `IdempotencyKey`, never above what is
 *   left), details, settlements (`settleV2` groups confirmed sales into a settlement) and their items.
 * - Callbacks in the flat V2 shape with `X-Netgiro-Signature = SHA-256(secret + TransactionId + TotalAmount)`;
 *   a failed one is retried once, then the sale is cancelled.
 * - Hosted checkout: `POST /securepay/v1/Checkout/Payment` answers a `CheckoutUrl`; `completeCheckout` plays
 *   the customer and returns the redirect to `SuccessUrl` with the signed return parameters
 *   (`NetgiroSignature = SHA-256(secret + ReferenceNumber + TransactionId + InvoiceNumber + TotalAmount + Status)`),
 *   or to `CancelUrl`.
 */
import * as Json from "@nordkit/core/Json"
import type { TestServer } from "@nordkit/core/testing"
import * as Clock from "effect/Clock"
import * as Digest from "effect/crypto/Digest"
import * as Effect from "effect/Effect"
import type { CallbackDelivery as V2Callback } from "../NetgiroTestServer.ts"

interface App {
  readonly appKey: string
  readonly secret: string
}

export interface V2Options {
  /** `PollIntervalMs` answered while a V2 payment is pending. Default 1000. */
  readonly pollIntervalMillis?: number | undefined
  /** How long GSM 8111111 / 8222222 take to approve / decline. Default 3000 ms. */
  readonly approveAfterMillis?: number | undefined
}

export const v2Customers = {
  /** A barcode scanned at the register: pays at once. */
  barcode: "500004-1234",
  /** A 10-digit access code: pays at once. */
  accessCode: "1234567890",
  /** GSM: confirms in the app only when the test says so (`approveV2` / `declineV2`). */
  silent: "8223281",
  /** GSM: approves after `approveAfterMillis`. */
  approves: "8111111",
  /** GSM: declines after `approveAfterMillis`. */
  declines: "8222222",
  /** Blacklisted. */
  blacklisted: "9999999"
} as const

type Reply = { readonly status: number; readonly body: unknown }

interface Deps {
  readonly apps: () => ReadonlyArray<App>
  readonly revoked: () => boolean
  readonly digest: Digest.Digest["Service"]
  readonly post: (url: string, headers: Record<string, string>, body: string) => Effect.Effect<number | undefined>
  readonly refundOnce: (
    request: { transactionId: string; amount: number; idempotencyKey: string; reason: string | undefined },
    total: { readonly get: () => number; readonly refunded: () => number; readonly add: (amount: number) => void }
  ) => Reply
  readonly nextInvoice: () => number
}

export interface V2Transaction {
  readonly transactionId: string
  readonly appKey: string
  readonly reference: string
  readonly customer: string
  readonly amount: number
  readonly manualCapture: boolean
  readonly callbackUrl: string | undefined
  readonly callbackCancelUrl: string | undefined
  readonly createdAt: number
  status: "Pending" | "Authorized" | "Confirmed" | "Cancelled"
  captured: number
  refunded: number
  invoiceNumber: number | undefined
  settlement: string | undefined
}

interface Checkout {
  readonly id: string
  readonly appKey: string
  readonly amount: number
  readonly reference: string
  readonly successUrl: string
  readonly cancelUrl: string
  readonly callbackUrl: string | undefined
  readonly callbackCancelUrl: string | undefined
  readonly manualCapture: boolean
}

const encoder = new TextEncoder()
const isInt = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u)
const failure = (message: string, transactionId: string | null = null, status = 400): Reply => ({
  status,
  body: { Success: false, Message: message, Status: null, TransactionId: transactionId, PollIntervalMs: null }
})

export const makeV2 = (options: V2Options, deps: Deps) =>
  Effect.gen(function* () {
    const pollInterval = options.pollIntervalMillis ?? 1_000
    const approveAfter = options.approveAfterMillis ?? 3_000
    const transactions = new Map<string, V2Transaction>()
    const checkouts = new Map<string, Checkout>()
    const callbacks: Array<V2Callback> = []
    const settlements: Array<{
      readonly number: string
      readonly appKey: string
      readonly created: number
      readonly items: ReadonlyArray<V2Transaction>
    }> = []

    const sha = (...parts: ReadonlyArray<string>) =>
      deps.digest.digestHex(Digest.sha256, encoder.encode(parts.join("")))
    const appOf = (key: string | undefined) =>
      key === undefined || deps.revoked()
        ? undefined
        : deps.apps().find((app) => app.appKey.toLowerCase() === key.toLowerCase())
    const total = (t: V2Transaction) => (t.status === "Confirmed" ? t.captured : t.amount)

    const sendCallback = (t: V2Transaction, kind: "confirm" | "cancel") =>
      Effect.gen(function* () {
        const url = kind === "confirm" ? t.callbackUrl : t.callbackCancelUrl
        if (url === undefined) return true
        const app = deps.apps().find((a) => a.appKey === t.appKey) as App
        const amount = total(t)
        const body = JSON.stringify({
          Success: kind === "confirm",
          Message: kind === "confirm" ? "Success" : "Canceled",
          TransactionId: t.transactionId,
          ReferenceNumber: t.reference,
          TotalAmount: amount
        })
        const headers = { "x-netgiro-signature": yield* sha(app.secret, t.transactionId, String(amount)) }
        const status = yield* deps.post(url, headers, body)
        callbacks.push({
          transactionId: t.transactionId,
          kind,
          url,
          body,
          headers,
          status,
          at: yield* Clock.currentTimeMillis
        })
        return status !== undefined && status >= 200 && status < 300
      })

    const cancel = (t: V2Transaction) =>
      Effect.gen(function* () {
        t.status = "Cancelled"
        yield* sendCallback(t, "cancel")
      })

    const approve = (t: V2Transaction) =>
      Effect.gen(function* () {
        if (t.status !== "Pending") return
        t.invoiceNumber = deps.nextInvoice()
        t.status = t.manualCapture ? "Authorized" : "Confirmed"
        if (t.status === "Confirmed") t.captured = t.amount
        if (t.callbackUrl !== undefined) {
          const delivered = (yield* sendCallback(t, "confirm")) || (yield* sendCallback(t, "confirm"))
          if (!delivered) yield* cancel(t)
        }
      })

    const advance = (t: V2Transaction) =>
      Effect.gen(function* () {
        if (t.status !== "Pending") return
        const now = yield* Clock.currentTimeMillis
        if (now - t.createdAt < approveAfter) return
        if (t.customer === v2Customers.approves) yield* approve(t)
        else if (t.customer === v2Customers.declines) yield* cancel(t)
      })

    const paymentReply = (t: V2Transaction): Reply => ({
      status: 200,
      body: {
        Success: true,
        Message: null,
        Status: t.status,
        TransactionId: t.transactionId,
        PollIntervalMs: t.status === "Pending" ? pollInterval : null
      }
    })

    const find = (app: App, id: unknown) =>
      Effect.gen(function* () {
        const t = typeof id === "string" ? transactions.get(id.toLowerCase()) : undefined
        if (t === undefined || t.appKey !== app.appKey) return undefined
        yield* advance(t)
        return t
      })

    const instant = (identifier: string) =>
      /^500004-?\d{4}$/.test(identifier) || (/^\d{10}$/.test(identifier) && identifier !== "0000000000")
    const phone = (identifier: string) => /^[678]\d{6}$/.test(identifier)

    const createTransaction = (
      app: App,
      body: {
        amount: number
        reference: string
        customer: string
        manualCapture: boolean
        callbackUrl?: string | undefined
        callbackCancelUrl?: string | undefined
      }
    ) =>
      Effect.gen(function* () {
        const t: V2Transaction = {
          transactionId: globalThis.crypto.randomUUID(),
          appKey: app.appKey,
          reference: body.reference,
          customer: body.customer,
          amount: body.amount,
          manualCapture: body.manualCapture,
          callbackUrl: body.callbackUrl,
          callbackCancelUrl: body.callbackCancelUrl,
          createdAt: yield* Clock.currentTimeMillis,
          status: "Pending",
          captured: 0,
          refunded: 0,
          invoiceNumber: undefined,
          settlement: undefined
        }
        transactions.set(t.transactionId, t)
        return t
      })

    const payment = (app: App, body: Record<string, unknown>) =>
      Effect.gen(function* () {
        if (typeof body.Amount !== "number" || !(body.Amount > 0)) return failure("'Amount' must be greater than '0'.")
        if (typeof body.Reference !== "string" || body.Reference === "")
          return failure("'Reference' must not be empty.")
        const customer = body.CustomerIdentifier
        if (typeof customer !== "string" || customer === "") return failure("'CustomerIdentifier' must not be empty.")
        if (customer === v2Customers.blacklisted) return failure("Customer is blacklisted")
        if (!instant(customer) && !phone(customer)) return failure("Customer not verified.")
        const t = yield* createTransaction(app, {
          amount: body.Amount,
          reference: body.Reference,
          customer,
          manualCapture: body.ManualCapture === true,
          callbackUrl: typeof body.CallbackUrl === "string" ? body.CallbackUrl : undefined,
          callbackCancelUrl: typeof body.CallbackCancelUrl === "string" ? body.CallbackCancelUrl : undefined
        })
        if (instant(customer)) yield* approve(t)
        return paymentReply(t)
      })

    const details = (t: V2Transaction): Reply => ({
      status: 200,
      body: {
        IsRefundable: t.status === "Confirmed" && t.refunded < t.captured,
        Status:
          t.status === "Confirmed"
            ? "paid"
            : t.status === "Authorized"
              ? "reservation"
              : t.status === "Cancelled"
                ? "canceled"
                : "unpaid",
        Created: new Date(t.createdAt).toISOString().slice(0, 19),
        InvoiceNumber: t.invoiceNumber ?? null,
        TotalAmount: total(t),
        TransactionId: t.transactionId,
        SettlementDate: null
      }
    })

    const day = (millis: number) => new Date(millis).toISOString().slice(0, 10)

    const settlementOf = (s: (typeof settlements)[number]) => {
      const sum = s.items.reduce((acc, t) => acc + t.captured - t.refunded, 0)
      const cost = Math.round(sum * 0.02)
      return {
        ProviderName: "Test merchant",
        Number: s.number,
        Created: new Date(s.created).toISOString().slice(0, 19),
        Amount: sum - cost,
        CostAmount: cost,
        BankTransferTransactionDate: new Date(s.created + 86_400_000).toISOString().slice(0, 19),
        NumberOfSales: s.items.length,
        TotalAmount: sum,
        Status: "Paid"
      }
    }

    const handle = (request: TestServer.TestRequest, origin: string): Effect.Effect<Reply> =>
      Effect.gen(function* () {
        const app = appOf(request.headers["x-netgiro-api-key"])
        if (app === undefined) return { status: 401, body: { Success: false, Message: "API key is required" } }
        const path = request.path
        const body = (Json.parse(request.body) ?? {}) as Record<string, unknown>
        const post = request.method === "POST"
        if (post && path === "/securepay/v1/Checkout/Payment") {
          if (!isInt(body.Amount) || body.Amount <= 0)
            return { status: 400, body: { Success: false, Message: "'Amount' must be greater than 0" } }
          if (typeof body.Reference !== "string" || body.Reference === "")
            return { status: 400, body: { Success: false, Message: "'Reference' must not be empty." } }
          if (typeof body.SuccessUrl !== "string" || typeof body.CancelUrl !== "string") {
            return { status: 400, body: { Success: false, Message: "'SuccessUrl' and 'CancelUrl' are required" } }
          }
          const checkout: Checkout = {
            id: globalThis.crypto.randomUUID(),
            appKey: app.appKey,
            amount: body.Amount,
            reference: body.Reference,
            successUrl: body.SuccessUrl,
            cancelUrl: body.CancelUrl,
            callbackUrl: typeof body.CallbackUrl === "string" ? body.CallbackUrl : undefined,
            callbackCancelUrl: typeof body.CallbackCancelUrl === "string" ? body.CallbackCancelUrl : undefined,
            manualCapture: body.ManualCapture === true
          }
          checkouts.set(checkout.id, checkout)
          return {
            status: 200,
            body: { Success: true, CheckoutUrl: `${origin}/securepay/v1/Home/Checkout/${checkout.id}` }
          }
        }
        if (post && path === "/v2/checkout/payment") return yield* payment(app, body)
        const status = /^\/v2\/checkout\/status\/([^/]+)$/.exec(path)?.[1]
        if (request.method === "GET" && status !== undefined) {
          const t = yield* find(app, decodeURIComponent(status))
          return t === undefined ? failure("Transaction not found", decodeURIComponent(status)) : paymentReply(t)
        }
        const detail = /^\/v2\/transaction\/details\/([^/]+)$/.exec(path)?.[1]
        if (request.method === "GET" && detail !== undefined) {
          const t = yield* find(app, decodeURIComponent(detail))
          return t === undefined ? failure("Transaction not found", decodeURIComponent(detail)) : details(t)
        }
        if (post && path === "/v2/transaction/capture") {
          const t = yield* find(app, body.TransactionId)
          if (t === undefined) return failure("Transaction not found")
          if (t.status !== "Authorized") return failure("Transaction is not authorized", t.transactionId)
          const amount = body.Amount === undefined || body.Amount === null ? t.amount : body.Amount
          if (typeof amount !== "number" || !(amount > 0))
            return failure("'Amount' must be greater than '0'.", t.transactionId)
          if (amount > t.amount) return failure("'Amount' must not exceed the authorized amount", t.transactionId)
          t.captured = amount
          t.status = "Confirmed"
          return paymentReply(t)
        }
        if (post && path === "/v2/transaction/cancel") {
          const t = yield* find(app, body.TransactionId)
          if (t === undefined) return failure("Transaction not found")
          if (t.status === "Cancelled") return failure("Transaction already cancelled", t.transactionId)
          yield* cancel(t)
          return paymentReply(t)
        }
        if (post && path === "/v2/transaction/refund") {
          if (typeof body.IdempotencyKey !== "string" || body.IdempotencyKey === "") {
            return { status: 400, body: { Success: false, Message: "'IdempotencyKey' must not be empty." } }
          }
          if (!isInt(body.RefundAmount) || body.RefundAmount <= 0) {
            return { status: 400, body: { Success: false, Message: "'RefundAmount' must be greater than '0'." } }
          }
          const t = yield* find(app, body.TransactionId)
          if (t === undefined) return { status: 400, body: { Success: false, Message: "Transaction not found" } }
          if (t.status !== "Confirmed")
            return { status: 400, body: { Success: false, Message: "Transaction is not refundable" } }
          return deps.refundOnce(
            {
              transactionId: t.transactionId,
              amount: body.RefundAmount,
              idempotencyKey: body.IdempotencyKey,
              reason: typeof body.Description === "string" ? body.Description : undefined
            },
            { get: () => t.captured, refunded: () => t.refunded, add: (n) => (t.refunded += n) }
          )
        }
        if (request.method === "GET" && path === "/v2/settlement/list") {
          const from = request.query.get("dateFrom")
          const to = request.query.get("dateTo")
          const number = request.query.get("settlementNumber")
          const list = settlements.filter(
            (s) =>
              s.appKey === app.appKey &&
              (from === null || day(s.created) >= from) &&
              (to === null || day(s.created) <= to) &&
              (number === null || s.number === number)
          )
          return { status: 200, body: list.map(settlementOf) }
        }
        const items = /^\/v2\/settlement\/items\/([^/]+)$/.exec(path)?.[1]
        if (request.method === "GET" && items !== undefined) {
          const s = settlements.find((x) => x.appKey === app.appKey && x.number === decodeURIComponent(items))
          if (s === undefined) return { status: 400, body: { Success: false, Message: "Settlement not found" } }
          return {
            status: 200,
            body: s.items.map((t) => ({
              TotalAmount: t.captured - t.refunded,
              CostAmount: Math.round((t.captured - t.refunded) * 0.02),
              Created: new Date(t.createdAt).toISOString().slice(0, 19),
              LoanNumber: `L-${t.invoiceNumber ?? 0}`
            }))
          }
        }
        return { status: 404, body: { Success: false, Message: "Not found" } }
      })

    const control = (id: string, f: (t: V2Transaction) => Effect.Effect<void>) =>
      Effect.suspend(() => {
        const t = transactions.get(id.toLowerCase())
        return t === undefined ? Effect.die(new Error(`no V2 transaction ${id}`)) : f(t)
      })

    return {
      handle,
      callbacks: (): ReadonlyArray<V2Callback> => callbacks.slice(),
      controls: {
        /** V2 transactions, by id. */
        transactionsV2: Effect.sync(() => [...transactions.values()].map((t) => ({ ...t }))),
        /** The customer confirms a pending V2 payment in the app. */
        approveV2: (transactionId: string) => control(transactionId, approve),
        /** The customer rejects a pending V2 payment: it is cancelled. */
        declineV2: (transactionId: string) =>
          control(transactionId, (t) => (t.status === "Pending" ? cancel(t) : Effect.void)),
        /** Groups the app's confirmed, unsettled V2 sales into a new settlement; returns its number. */
        settleV2: (appKey: string) =>
          Effect.gen(function* () {
            const items = [...transactions.values()].filter(
              (t) => t.appKey === appKey && t.status === "Confirmed" && t.settlement === undefined
            )
            const number = `100000-${String(settlements.length + 69).padStart(6, "0")}`
            for (const t of items) t.settlement = number
            settlements.push({ number, appKey, created: yield* Clock.currentTimeMillis, items })
            return number
          }),
        /**
         * The customer on the hosted checkout page: `approve` creates the payment (callback included) and returns
         * the redirect to `SuccessUrl` with the signed return parameters; `cancel` returns the `CancelUrl`.
         */
        completeCheckout: (checkoutUrl: string, action: "approve" | "cancel") =>
          Effect.gen(function* () {
            const id = checkoutUrl.slice(checkoutUrl.lastIndexOf("/") + 1)
            const checkout = checkouts.get(id)
            if (checkout === undefined) return yield* Effect.die(new Error(`no checkout ${id}`))
            if (action === "cancel") return checkout.cancelUrl
            const app = deps.apps().find((a) => a.appKey === checkout.appKey) as App
            const t = yield* createTransaction(app, {
              amount: checkout.amount,
              reference: checkout.reference,
              customer: "hosted",
              manualCapture: checkout.manualCapture,
              callbackUrl: checkout.callbackUrl,
              callbackCancelUrl: checkout.callbackCancelUrl
            })
            yield* approve(t)
            const params = {
              TransactionId: t.transactionId,
              ReferenceNumber: t.reference,
              InvoiceNumber: String(t.invoiceNumber ?? ""),
              TotalAmount: String(t.amount),
              Status: t.status === "Cancelled" ? "5" : "2"
            }
            const signature = yield* sha(
              app.secret,
              params.ReferenceNumber,
              params.TransactionId,
              params.InvoiceNumber,
              params.TotalAmount,
              params.Status
            )
            const url = new URL(checkout.successUrl)
            for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
            url.searchParams.set("NetgiroSignature", signature)
            return url.toString()
          })
      }
    }
  })
