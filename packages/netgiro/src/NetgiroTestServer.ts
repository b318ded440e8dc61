/**
 * A protocol-faithful Netgíró test server (V1 signed API, Partner API, V2 API, hosted checkout), for nordkit's
 * tests, the demo, and your own integration tests. Import it from `@nordkit/netgiro/testing`.
 *
 * V1 (`/v1`):
 * - Every request must carry `netgiro_appkey`, `netgiro_nonce` (any 1–64 letters or digits, never reused per
 *   app: the official demo sends 16 random letters, others send ticks) and a `netgiro_signature` that verifies
 *   over `secret + nonce + url + body`. Otherwise: HTTP 401 `{Success:false, ResultCode:401}` (the status and
 *   code of a rejection are not documented; an assumption).
 * - Every response of a known app is signed (`secret + responseNonce + requestUrl + responseBody`) and carries
 *   a fresh `netgiro_referenceId`.
 * - `InsertCart`, `CheckCart`, `ConfirmCart`, `CancelCart` answer the documented fields and result codes; the
 *   test customers behave as documented: SSN 1111111119 approves (after `approveAfterMillis` on the Effect
 *   Clock; with `smsConfirmation`, it instead needs the SMS code, result 10428, read with `smsCodeOf`),
 *   2222222229 has no credit (10422), GSM 8223281 does nothing until told (`approve` / `decline`).
 * - Callbacks: a server-callback cart (`ConfirmationType: 1`) gets a POST to its `CallbackUrl` once approved,
 *   in the official demo's nested shape (`PaymentSuccessful`, `PaymentInfo`, `Success`, `Message`,
 *   `ResultCode`), signed by `callbackSignature` (default the official demo's rule). A 2xx answer creates the
 *   loan; a failure is retried once, then the cart is canceled. Canceled carts get the same shape on their
 *   `CallbackCancelUrl`.
 * - `Sales/GetList?AllForCompany=true` (any case) lists confirmed carts.
 *
 * Partner API (`/partner`): `POST /refund` and `GET /transaction/{id}`, authenticated by the `token` header
 * (the app's secret). V2 (`/v2`) and hosted checkout (`/securepay/v1`): see `internal/v2Server.ts`.
 *
 * Controls: the core harness (`failNext`, `rateLimitNext`, `requests`, `reset`), `revokeTokens` (the Partner
 * and V2 keys stop working until `reset`), `tamperNext`, `replayNext` (answer the next request with the previous
 * signed response verbatim), `loseNextResponse` (process the next matching request, then answer 504 as a
 * gateway that lost the answer), and the customers' actions.
 */
import * as RequestSigner from "@nordkit/core/RequestSigner"
import { TestServer } from "@nordkit/core/testing"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { makeV2, type V2Options, v2Customers as v2 } from "./internal/v2Server.ts"
import * as NetgiroAuth from "./NetgiroAuth.ts"
import { sha256Hex } from "./NetgiroCallback.ts"

export interface App {
  readonly appKey: string
  readonly secret: string
}

/** Netgíró's public test application (published in its documentation). */
export const publicTestApp: App = {
  appKey: "881E674F-7891-4C20-AFD8-56FE2624C4B5",
  secret:
    "YCFd6hiA8lUjZejVcIf/LhRXO4wTDxY0JhOXvQZwnMSiNynSxmNIMjMf1HHwdV6cMN48NX3ZipA9q9hLPb9C1ZIzMH5dvELPAHceiu7LbZzmIAGeOf/OUaDrk2Zq2dbGacIAzU6yyk4KmOXRaSLi8KW8t3krdQSX7Ecm8Qunc/A="
}

/** The credentials the server accepts by default (the public test app). */
export const defaultCredentials = publicTestApp

/** The documented test customers. */
export const customers = {
  /** SSN of a customer who approves every cart. */
  approves: "1111111119",
  /** SSN of a customer without credit: declined. */
  noCredit: "2222222229",
  /** GSM of a customer who does nothing until the test says so. */
  silent: "8223281"
} as const

/** The V2 test customers: barcode and access code pay at once; GSM numbers confirm in the app. */
export const v2Customers = v2

/** How the server signs V1 merchant callbacks (the real rule is not published). */
export type CallbackSignature = "demo" | "request" | "transaction"

export interface Options extends V2Options {
  readonly apps?: ReadonlyArray<App> | undefined
  /** Origin used to rebuild the signed URL when a request carries no Host header (in memory). */
  readonly origin?: string | undefined
  /** `ProcessCartCheckIntervalMiliseconds` answered by InsertCart. Default 1000. */
  readonly checkIntervalMillis?: number | undefined
  /** How long customer 1111111119 takes to approve. Default 3000 ms. */
  readonly approveAfterMillis?: number | undefined
  /** Smallest accepted amount (10305 below). Default 100. */
  readonly minimumAmount?: number | undefined
  /** SSN carts need the SMS code the customer got (10428) instead of approving by themselves. */
  readonly smsConfirmation?: boolean | undefined
  /**
   * V1 callback signature: `demo` (default: `SHA-256(appKey + TransactionId + nonce)`, what the official demo
   * checks), `request` (`secret + nonce + callbackUrl + body`) or `transaction` (`X-Netgiro-Signature`).
   */
  readonly callbackSignature?: CallbackSignature | undefined
}

export type CartState =
  | "pending"
  | "awaitingCode"
  | "reserved"
  | "awaitingCallback"
  | "confirmed"
  | "canceled"
  | "declined"

export interface Cart {
  readonly transactionId: string
  readonly appKey: string
  readonly amount: number
  readonly reference: string
  readonly customerId: string
  readonly confirmationType: number
  readonly callbackUrl: string | undefined
  readonly callbackCancelUrl: string | undefined
  readonly createdAt: number
  state: CartState
  declineCode: number | undefined
  invoiceNumber: number | undefined
  smsCode: string | undefined
  refunded: number
}

export interface CallbackDelivery {
  readonly transactionId: string
  readonly kind: "confirm" | "cancel"
  readonly url: string
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
  /** The merchant's status, or undefined when the callback could not be delivered. */
  readonly status: number | undefined
  readonly at: number
}

export type Tamper = "body" | "nonce" | "signature" | "strip"

export interface Refund {
  readonly api: "partner" | "v2"
  readonly transactionId: string
  readonly amount: number
  readonly idempotencyKey: string
  readonly reason: string | undefined
}

type Reply = { readonly status: number; readonly body: unknown }

const envelope = (success: boolean, code: number, message: string, extra: Record<string, unknown> = {}) => ({
  Success: success,
  Message: message,
  ResultCode: code,
  ...extra
})

const randomUuid = () => globalThis.crypto.randomUUID()

const isInt = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u)

const nonceShape = /^[A-Za-z0-9]{1,64}$/

const json = (reply: Reply, headers: Record<string, string> = {}) =>
  HttpServerResponse.text(JSON.stringify(reply.body), {
    status: reply.status,
    contentType: "application/json",
    headers
  })

export const make = (options: Options = {}) =>
  Effect.gen(function* () {
    const apps = new Map((options.apps ?? [publicTestApp]).map((app) => [app.appKey.toLowerCase(), app]))
    const secrets = new Map([...apps.values()].map((app) => [app.appKey, Redacted.make(app.secret)]))
    const digest = yield* NetgiroAuth.digestService
    const nonce = yield* NetgiroAuth.makeNonce
    const callbackClient = yield* Effect.serviceOption(HttpClient.HttpClient)
    const checkInterval = options.checkIntervalMillis ?? 1_000
    const approveAfter = options.approveAfterMillis ?? 3_000
    const minimumAmount = options.minimumAmount ?? 100
    const callbackSignature = options.callbackSignature ?? "demo"
    const seenNonces = new Map<string, Set<string>>()
    const carts = new Map<string, Cart>()
    const callbacks: Array<CallbackDelivery> = []
    const tampers: Array<Tamper> = []
    const lost: Array<string> = []
    const refunds: Array<Refund> = []
    const idempotency = new Map<string, { readonly fingerprint: string; readonly reply: Reply }>()
    let replay = 0
    let lastSigned:
      | { readonly status: number; readonly body: string; readonly headers: Record<string, string> }
      | undefined
    let revoked = false
    let invoices = 1000
    let verified = 0

    const appOf = (appKey: string | undefined) => (appKey === undefined ? undefined : apps.get(appKey.toLowerCase()))

    const paymentInfo = (cart: Cart) => ({
      TransactionId: cart.transactionId,
      InvoiceNumber: cart.invoiceNumber ?? null,
      ReferenceNumber: cart.reference,
      StatusId: cart.state === "confirmed" ? 2 : cart.state === "canceled" || cart.state === "declined" ? 5 : 1,
      Created: new Date(cart.createdAt).toISOString(),
      TotalAmount: cart.amount
    })

    const post = (url: string, headers: Record<string, string>, body: string) =>
      Option.isNone(callbackClient)
        ? Effect.succeed(undefined)
        : callbackClient.value
            .execute(
              HttpClientRequest.post(url).pipe(
                HttpClientRequest.setHeaders(headers),
                HttpClientRequest.bodyText(body, "application/json")
              )
            )
            .pipe(
              Effect.map((response): number | undefined => response.status),
              Effect.orElseSucceed(() => undefined)
            )

    /** One V1 callback in the official demo's nested shape, signed by `callbackSignature`. */
    const sendCallback = (cart: Cart, app: App, kind: "confirm" | "cancel") =>
      Effect.gen(function* () {
        const url = (kind === "confirm" ? cart.callbackUrl : cart.callbackCancelUrl) as string
        const confirmed = kind === "confirm"
        // A Manual cart's confirm callback reports the reservation: not paid yet, unconfirmed, 10426.
        const reserved = confirmed && cart.state === "reserved"
        const body = JSON.stringify({
          PaymentSuccessful: confirmed && !reserved,
          PaymentInfo: { ...paymentInfo(cart), StatusId: reserved ? 1 : confirmed ? 2 : 5 },
          Success: true,
          Message: reserved ? "Reservation created" : confirmed ? "Success" : "Canceled",
          ResultCode: reserved ? 10426 : confirmed ? 10200 : 10201
        })
        const n = (yield* nonce).toString()
        const secret = Redacted.make(app.secret)
        const signature =
          callbackSignature === "demo"
            ? yield* sha256Hex(digest, app.appKey, cart.transactionId, n)
            : callbackSignature === "request"
              ? yield* NetgiroAuth.signature(digest, secret, n, url, new TextEncoder().encode(body))
              : yield* sha256Hex(digest, app.secret, cart.transactionId, String(cart.amount))
        const headers: Record<string, string> = {
          [NetgiroAuth.headerNames.appKey]: app.appKey,
          [NetgiroAuth.headerNames.nonce]: n,
          [NetgiroAuth.headerNames.referenceId]: randomUuid(),
          ...(callbackSignature === "transaction"
            ? { "x-netgiro-signature": signature }
            : { [NetgiroAuth.headerNames.signature]: signature })
        }
        const at = yield* Clock.currentTimeMillis
        const status = yield* post(url, headers, body)
        callbacks.push({ transactionId: cart.transactionId, kind, url, body, headers, status, at })
        return status !== undefined && status >= 200 && status < 300
      })

    const canceledBy = (cart: Cart, state: "canceled" | "declined", code?: number) =>
      Effect.gen(function* () {
        cart.state = state
        if (code !== undefined) cart.declineCode = code
        const app = appOf(cart.appKey) as App
        if (cart.callbackCancelUrl !== undefined) yield* sendCallback(cart, app, "cancel")
      })

    /** The customer approved: the cart moves on according to its confirmation type. */
    const approved = (cart: Cart) =>
      Effect.gen(function* () {
        if (cart.state !== "pending" && cart.state !== "awaitingCode") return
        cart.invoiceNumber = ++invoices
        if (cart.confirmationType === 0 || cart.confirmationType === 2) {
          // Automatic: paid; Manual: reserved until the merchant's ConfirmCart. The InsertCart page sends the
          // confirm callback "when customer confirms" whatever the type; only ServerCallback hangs on its answer.
          cart.state = cart.confirmationType === 0 ? "confirmed" : "reserved"
          if (cart.callbackUrl !== undefined) {
            const app = appOf(cart.appKey) as App
            if (!(yield* sendCallback(cart, app, "confirm"))) yield* sendCallback(cart, app, "confirm")
          }
        } else {
          cart.state = "awaitingCallback"
          const app = appOf(cart.appKey) as App
          const delivered = (yield* sendCallback(cart, app, "confirm")) || (yield* sendCallback(cart, app, "confirm"))
          if (delivered) cart.state = "confirmed"
          else yield* canceledBy(cart, "canceled")
        }
      })

    /** Lets time act: customer 1111111119 approves `approveAfter` ms after the cart was inserted. */
    const advance = (cart: Cart) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        if (
          cart.state === "pending" &&
          cart.customerId === customers.approves &&
          now - cart.createdAt >= approveAfter
        ) {
          yield* approved(cart)
        }
      })

    const findCart = (
      appKey: string,
      body: unknown
    ): Effect.Effect<
      { readonly error: Reply; readonly cart?: undefined } | { readonly error?: undefined; readonly cart: Cart }
    > =>
      Effect.gen(function* () {
        const id = (body as { TransactionId?: unknown } | undefined)?.TransactionId
        if (typeof id !== "string")
          return { error: { status: 400, body: envelope(false, 400, "TransactionId is required") } }
        const cart = carts.get(id.toLowerCase())
        if (cart === undefined || cart.appKey !== appKey) {
          return { error: { status: 200, body: envelope(false, 10424, "Cart not found") } }
        }
        yield* advance(cart)
        return { cart }
      })

    const insertCart = (app: App, body: any): Effect.Effect<Reply> =>
      Effect.gen(function* () {
        if (typeof body !== "object" || body === null)
          return { status: 400, body: envelope(false, 400, "Body required") }
        if (!isInt(body.Amount) || body.Amount < 0)
          return { status: 400, body: envelope(false, 400, "Amount must be an integer") }
        if (typeof body.Reference !== "string" || body.Reference === "") {
          return { status: 400, body: envelope(false, 400, "Reference is required") }
        }
        if (typeof body.CustomerId !== "string" || body.CustomerId === "") {
          return { status: 400, body: envelope(false, 400, "CustomerId is required") }
        }
        if (![0, 1, 2].includes(body.ConfirmationType)) {
          return { status: 200, body: envelope(false, 10427, "Confirmation type not valid") }
        }
        if (body.ConfirmationType === 1 && typeof body.CallbackUrl !== "string") {
          return { status: 200, body: envelope(false, 10427, "CallbackUrl is required for ServerCallback") }
        }
        if (body.Amount < minimumAmount) return { status: 200, body: envelope(false, 10305, "Minimum amount error") }
        if (!Object.values(customers).includes(body.CustomerId)) {
          return { status: 200, body: envelope(false, 10306, "Customer does not exist") }
        }
        const sms = options.smsConfirmation === true && body.CustomerId === customers.approves
        const cart: Cart = {
          transactionId: randomUuid(),
          appKey: app.appKey,
          amount: body.Amount,
          reference: body.Reference,
          customerId: body.CustomerId,
          confirmationType: body.ConfirmationType,
          callbackUrl: typeof body.CallbackUrl === "string" ? body.CallbackUrl : undefined,
          callbackCancelUrl: typeof body.CallbackCancelUrl === "string" ? body.CallbackCancelUrl : undefined,
          createdAt: yield* Clock.currentTimeMillis,
          state: body.CustomerId === customers.noCredit ? "declined" : sms ? "awaitingCode" : "pending",
          declineCode: body.CustomerId === customers.noCredit ? 10422 : undefined,
          invoiceNumber: undefined,
          smsCode: sms
            ? randomUuid()
                .replace(/[^a-z]/g, "")
                .slice(0, 4)
                .toUpperCase()
                .padEnd(4, "X")
            : undefined,
          refunded: 0
        }
        carts.set(cart.transactionId, cart)
        return {
          status: 200,
          body: envelope(true, 200, "Success", {
            TransactionId: cart.transactionId,
            ProcessCartCheckIntervalMiliseconds: checkInterval
          })
        }
      })

    const checkCart = (app: App, body: unknown): Effect.Effect<Reply> =>
      Effect.gen(function* () {
        const found = yield* findCart(app.appKey, body)
        if (found.error) return found.error
        const cart = found.cart
        const info = { PaymentInfo: paymentInfo(cart) }
        const answer = (success: boolean, code: number, message: string, paid = false) => ({
          status: 200,
          body: envelope(success, code, message, { PaymentSuccessful: paid, ...info })
        })
        switch (cart.state) {
          case "pending":
            return answer(true, 10425, "Pending customer confirmation")
          case "awaitingCode":
            return answer(true, 10428, "Additional confirmation needed")
          case "reserved":
            return answer(true, 10426, "Reservation created")
          case "awaitingCallback":
            return answer(true, 10429, "Waiting for provider callback")
          case "confirmed":
            return answer(true, 10200, "Payment completed", true)
          case "canceled":
            return answer(true, 10201, "Payment canceled")
          case "declined":
            return answer(false, cart.declineCode ?? 10422, "Customer declined payment")
        }
      })

    const confirmCart = (app: App, body: unknown): Effect.Effect<Reply> =>
      Effect.gen(function* () {
        const found = yield* findCart(app.appKey, body)
        if (found.error) return found.error
        const cart = found.cart
        const identifier = (body as { Identifier?: unknown }).Identifier
        const completed = () => ({
          status: 200,
          body: envelope(true, 10200, "Payment completed", { PaymentSuccessful: true, PaymentInfo: paymentInfo(cart) })
        })
        switch (cart.state) {
          case "awaitingCode":
            if (identifier !== cart.smsCode) {
              return {
                status: 200,
                body: envelope(true, 10428, "Invalid SMS code", {
                  PaymentSuccessful: false,
                  PaymentInfo: paymentInfo(cart)
                })
              }
            }
            cart.invoiceNumber = ++invoices
            cart.state = "confirmed"
            return completed()
          case "reserved":
            cart.state = "confirmed"
            return completed()
          case "confirmed":
            return { status: 200, body: envelope(false, 10203, "Payment already confirmed") }
          case "canceled":
            return { status: 200, body: envelope(false, 10202, "Payment already canceled") }
          case "declined":
            return { status: 200, body: envelope(false, cart.declineCode ?? 10422, "Customer declined payment") }
          default:
            return {
              status: 200,
              body: envelope(true, 10425, "Payment failed: customer has not confirmed", {
                PaymentSuccessful: false,
                PaymentInfo: paymentInfo(cart)
              })
            }
        }
      })

    const cancelCart = (app: App, body: unknown): Effect.Effect<Reply> =>
      Effect.gen(function* () {
        const found = yield* findCart(app.appKey, body)
        if (found.error) return found.error
        const cart = found.cart
        switch (cart.state) {
          case "confirmed":
            return {
              status: 200,
              body: envelope(false, 10200, "Payment already completed: cannot cancel", {
                PaymentInfo: paymentInfo(cart)
              })
            }
          case "canceled":
          case "declined":
            return {
              status: 200,
              body: envelope(false, 10202, "Payment already canceled", { PaymentInfo: paymentInfo(cart) })
            }
          default:
            cart.state = "canceled"
            return { status: 200, body: envelope(true, 10201, "Payment canceled", { PaymentInfo: paymentInfo(cart) }) }
        }
      })

    const sale = (cart: Cart) => ({
      TransactionId: cart.transactionId,
      InvoiceNumber: cart.invoiceNumber ?? null,
      ReferenceNumber: cart.reference,
      Status: cart.state === "confirmed" ? "paid" : cart.state === "canceled" ? "canceled" : "unpaid",
      StatusId: paymentInfo(cart).StatusId,
      Created: new Date(cart.createdAt).toISOString(),
      TotalAmount: cart.amount,
      IsRefundable: cart.state === "confirmed" && cart.refunded < cart.amount,
      SettlementDate: null
    })

    const salesList = (app: App) =>
      Effect.succeed<Reply>({
        status: 200,
        body: envelope(true, 200, "Success", {
          Sales: [...carts.values()]
            .filter((cart) => cart.appKey === app.appKey && cart.state === "confirmed")
            .map(sale)
        })
      })

    /**
     * One refund per idempotency key (the same key again answers the first answer and refunds nothing), and
     * never more than what is left.
     */
    const refundOnce = (
      api: "partner" | "v2",
      request: Omit<Refund, "api">,
      total: { readonly get: () => number; readonly refunded: () => number; readonly add: (amount: number) => void },
      messages: { readonly ok: Record<string, unknown> }
    ): Reply => {
      const fingerprint = `${request.transactionId}:${request.amount}`
      const key = `${api}:${request.idempotencyKey}`
      const earlier = idempotency.get(key)
      if (earlier !== undefined) {
        return earlier.fingerprint === fingerprint
          ? earlier.reply
          : { status: 422, body: { Success: false, Message: "IdempotencyKey already used for another refund" } }
      }
      const remaining = total.get() - total.refunded()
      const reply: Reply =
        request.amount > remaining
          ? {
              status: 400,
              body: { Success: false, Message: `Refund amount exceeds remaining amount (${remaining})` }
            }
          : { status: 200, body: messages.ok }
      if (reply.status === 200) {
        total.add(request.amount)
        refunds.push({ api, ...request })
      }
      idempotency.set(key, { fingerprint, reply })
      return reply
    }

    const partnerHandle = (request: TestServer.TestRequest, path: string): Effect.Effect<Reply> =>
      Effect.sync(() => {
        const token = request.headers.token
        const app = [...apps.values()].find((a) => a.secret === token)
        if (app === undefined || revoked) return { status: 401, body: { Success: false, Message: "Invalid token" } }
        const transaction = /^\/partner\/transaction\/([^/]+)$/.exec(path)?.[1]
        if (request.method === "GET" && transaction !== undefined) {
          const cart = carts.get(decodeURIComponent(transaction).toLowerCase())
          if (cart === undefined || cart.appKey !== app.appKey) {
            return { status: 404, body: { Success: false, Message: "Transaction not found" } }
          }
          return { status: 200, body: { Success: true, Message: null, ...sale(cart) } }
        }
        if (request.method === "POST" && path === "/partner/refund") {
          const body = TestServer.jsonBody(request) as Record<string, unknown> | undefined
          if (
            body === undefined ||
            typeof body.transactionId !== "string" ||
            !isInt(body.refundAmount) ||
            body.refundAmount <= 0 ||
            typeof body.idempotencyKey !== "string" ||
            body.idempotencyKey === "" ||
            (body.reason !== undefined && (typeof body.reason !== "string" || body.reason.length > 100))
          ) {
            return { status: 400, body: { Success: false, Message: "Invalid refund request" } }
          }
          const cart = carts.get(body.transactionId.toLowerCase())
          if (cart === undefined || cart.appKey !== app.appKey) {
            return { status: 404, body: { Success: false, Message: "Transaction not found" } }
          }
          if (cart.state !== "confirmed")
            return { status: 400, body: { Success: false, Message: "Transaction is not refundable" } }
          return refundOnce(
            "partner",
            {
              transactionId: cart.transactionId,
              amount: body.refundAmount,
              idempotencyKey: body.idempotencyKey,
              reason: body.reason as string | undefined
            },
            { get: () => cart.amount, refunded: () => cart.refunded, add: (n) => (cart.refunded += n) },
            { ok: { Success: true, Message: "Refund successful" } }
          )
        }
        return { status: 404, body: { Success: false, Message: "Not found" } }
      })

    /** Signs a reply for `app` over the request URL, applying a queued tamper after signing. */
    const signed = (app: App | undefined, url: string, reply: Reply) =>
      Effect.gen(function* () {
        let body = JSON.stringify(reply.body)
        if (app === undefined)
          return HttpServerResponse.text(body, { status: reply.status, contentType: "application/json" })
        if (replay > 0 && lastSigned !== undefined) {
          replay--
          return HttpServerResponse.text(lastSigned.body, {
            status: lastSigned.status,
            contentType: "application/json",
            headers: lastSigned.headers
          })
        }
        const n = (yield* nonce).toString()
        let headers: Record<string, string> = {
          [NetgiroAuth.headerNames.appKey]: app.appKey,
          [NetgiroAuth.headerNames.nonce]: n,
          [NetgiroAuth.headerNames.signature]: yield* NetgiroAuth.signature(
            digest,
            secrets.get(app.appKey) as Redacted.Redacted<string>,
            n,
            url,
            new TextEncoder().encode(body)
          ),
          [NetgiroAuth.headerNames.referenceId]: randomUuid()
        }
        lastSigned = { status: reply.status, body, headers }
        const tamper = tampers.shift()
        if (tamper === "body") body = body.replace(/"Success":(true|false)/, (_, v) => `"Success": ${v}`)
        if (tamper === "nonce") headers[NetgiroAuth.headerNames.nonce] = `${n}1`
        if (tamper === "signature") {
          const sig = headers[NetgiroAuth.headerNames.signature]
          headers[NetgiroAuth.headerNames.signature] = (sig[0] === "0" ? "1" : "0") + sig.slice(1)
        }
        if (tamper === "strip") {
          const { [NetgiroAuth.headerNames.nonce]: _n, [NetgiroAuth.headerNames.signature]: _s, ...rest } = headers
          headers = rest
        }
        return HttpServerResponse.text(body, { status: reply.status, contentType: "application/json", headers })
      })

    const reject = (app: App | undefined, url: string, message: string) =>
      signed(app, url, { status: 401, body: envelope(false, 401, message) })

    const v1 = (request: TestServer.TestRequest, url: string) =>
      Effect.gen(function* () {
        const appKey = request.headers[NetgiroAuth.headerNames.appKey]
        const requestNonce = request.headers[NetgiroAuth.headerNames.nonce]
        const requestSignature = request.headers[NetgiroAuth.headerNames.signature]
        if (appKey === undefined || requestNonce === undefined || requestSignature === undefined) {
          return yield* reject(appOf(appKey), url, "Missing netgiro headers")
        }
        const app = appOf(appKey)
        if (app === undefined) return yield* reject(undefined, url, "Unknown application")
        if (!nonceShape.test(requestNonce))
          return yield* reject(app, url, "netgiro_nonce must be 1-64 letters or digits")
        const verdict = yield* NetgiroAuth.verify(
          digest,
          secrets.get(app.appKey) as Redacted.Redacted<string>,
          { nonce: requestNonce, signature: requestSignature },
          url,
          request.bytes
        )
        if (verdict !== "valid") return yield* reject(app, url, "Invalid signature")
        const seen = seenNonces.get(app.appKey) ?? new Set<string>()
        seenNonces.set(app.appKey, seen)
        if (seen.has(requestNonce)) return yield* reject(app, url, "netgiro_nonce already used")
        seen.add(requestNonce)
        verified++

        const path = request.path.toLowerCase()
        const reply = (r: Reply) => signed(app, url, r)
        if (path.endsWith("/sales/getlist")) {
          if (request.method !== "GET") return yield* reply({ status: 405, body: envelope(false, 405, "Use GET") })
          return yield* reply(yield* salesList(app))
        }
        const route = /\/checkout\/(insertcart|checkcart|confirmcart|cancelcart)$/.exec(path)?.[1]
        if (route === undefined) return yield* reply({ status: 404, body: envelope(false, 404, "Not found") })
        if (request.method !== "POST") return yield* reply({ status: 405, body: envelope(false, 405, "Use POST") })
        if (!(request.headers["content-type"] ?? "").startsWith("application/json")) {
          return yield* reply({ status: 415, body: envelope(false, 415, "Content-Type must be application/json") })
        }
        const body = TestServer.jsonBody(request)
        switch (route) {
          case "insertcart":
            return yield* reply(yield* insertCart(app, body))
          case "checkcart":
            return yield* reply(yield* checkCart(app, body))
          case "confirmcart":
            return yield* reply(yield* confirmCart(app, body))
          default:
            return yield* reply(yield* cancelCart(app, body))
        }
      })

    const v2 = yield* makeV2(options, {
      apps: () => [...apps.values()],
      revoked: () => revoked,
      digest,
      post,
      refundOnce: (request, total) =>
        refundOnce("v2", request, total, { ok: { Success: true, Message: "Refund successful" } }),
      nextInvoice: () => ++invoices
    })

    const handle: TestServer.Handler = (request) =>
      Effect.gen(function* () {
        const host = request.headers.host
        const origin = host === undefined ? (options.origin ?? "http://127.0.0.1") : `http://${host}`
        const url = `${origin}${request.url}`
        const path = request.path
        const response = path.startsWith("/partner/")
          ? json(yield* partnerHandle(request, path))
          : path.startsWith("/v2/") || path.startsWith("/securepay/")
            ? json(yield* v2.handle(request, origin))
            : yield* v1(request, url)
        const lose = lost.findIndex((fragment) => path.includes(fragment))
        if (lose >= 0) {
          lost.splice(lose, 1)
          return HttpServerResponse.text("", { status: 504 })
        }
        return response
      })

    const harness = yield* TestServer.make(handle)

    const cartControl = (transactionId: string, f: (cart: Cart) => Effect.Effect<void>) =>
      Effect.suspend(() => {
        const cart = carts.get(transactionId.toLowerCase())
        return cart === undefined ? Effect.die(new Error(`no cart ${transactionId}`)) : f(cart)
      })

    const clientNonce = yield* NetgiroAuth.makeNonce

    return {
      ...harness,
      apps: [...apps.values()],
      reset: Effect.andThen(
        harness.reset,
        Effect.sync(() => {
          revoked = false
          replay = 0
          tampers.length = 0
          lost.length = 0
        })
      ),
      /**
       * Signs an arbitrary request the way a Netgíró client does, with nonces from one strictly increasing
       * source per server (for raw tests of the server).
       */
      signRequest: (request: HttpClientRequest.HttpClientRequest, app: App = publicTestApp) =>
        Effect.gen(function* () {
          const url = RequestSigner.urlAsSent(request) ?? request.url
          const body = RequestSigner.bodyBytes(request.body) ?? new Uint8Array(0)
          const headers = yield* NetgiroAuth.signHeaders(
            { appKey: app.appKey, secret: Redacted.make(app.secret), digest, nonce: clientNonce },
            { url, body }
          )
          return HttpClientRequest.setHeaders(request, headers)
        }),
      /** Carts by transaction id. */
      carts: Effect.sync(() => [...carts.values()].map((cart) => ({ ...cart }))),
      /** Callbacks sent to merchants (V1 and V2), oldest first. */
      callbacks: Effect.sync((): ReadonlyArray<CallbackDelivery> => [...callbacks, ...v2.callbacks()]),
      /** Refunds processed (once per idempotency key), oldest first. */
      refunds: Effect.sync((): ReadonlyArray<Refund> => refunds.slice()),
      /** Requests whose V1 signature verified. */
      verifiedCount: Effect.sync(() => verified),
      /** The SMS code customer 1111111119 received for a cart (`smsConfirmation`). */
      smsCodeOf: (transactionId: string) => Effect.sync(() => carts.get(transactionId.toLowerCase())?.smsCode),
      /** The customer approves the cart in the app (sends the callback for server-callback carts). */
      approve: (transactionId: string) => cartControl(transactionId, approved),
      /** The customer declines the cart in the app (10423); a `CallbackCancelUrl` is called. */
      decline: (transactionId: string) =>
        cartControl(transactionId, (cart) =>
          cart.state === "pending" || cart.state === "awaitingCode" ? canceledBy(cart, "declined", 10423) : Effect.void
        ),
      /** Partner and V2 keys stop working until `reset` (Netgíró's V1 API has no tokens). */
      revokeTokens: Effect.sync(() => {
        revoked = true
      }),
      /** Alters the next `count` signed responses after signing them. */
      tamperNext: (tamper: Tamper, count = 1) =>
        Effect.sync(() => {
          for (let i = 0; i < count; i++) tampers.push(tamper)
        }),
      /** Answers the next signed request with the previous signed response, byte for byte. */
      replayNext: Effect.sync(() => {
        replay++
      }),
      /** Processes the next request whose path contains `pathIncludes`, then answers 504 (the answer is lost). */
      loseNextResponse: (pathIncludes: string) =>
        Effect.sync(() => {
          lost.push(pathIncludes)
        }),
      ...v2.controls
    }
  })

export type NetgiroTestServer = Effect.Success<ReturnType<typeof make>>

/** The test server as a service, for `layer`. */
export class Server extends Context.Service<Server, NetgiroTestServer>()("@nordkit/netgiro/NetgiroTestServer") {}

/** An in-memory HttpClient that talks to `server` (sharing the caller's Clock). */
export const makeClient = (server: NetgiroTestServer) => TestServer.makeMemoryClient(server.app)

/** `makeClient` as a layer. */
export const layerClient = (server: NetgiroTestServer): Layer.Layer<HttpClient.HttpClient> =>
  Layer.effect(HttpClient.HttpClient, makeClient(server))

/** A server in memory (`Server`) and the HttpClient that reaches it. */
export const layer = (options?: Options): Layer.Layer<Server | HttpClient.HttpClient> =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.gen(function* () {
      return yield* makeClient(yield* Server)
    })
  ).pipe(Layer.provideMerge(Layer.effect(Server, make(options))))

/** Serves `server` on the current `HttpServer`; returns the V1 API base URL (`http://127.0.0.1:PORT/v1`). */
export const listen = (server: NetgiroTestServer) => Effect.map(TestServer.listen(server.app), (url) => `${url}/v1`)

/** The other bases of a server reached at V1 base `apiUrl`: Partner API, V2 API, hosted checkout. */
export const urlsOf = (apiUrl: string) => {
  const origin = apiUrl.replace(/\/v1$/, "")
  return { apiUrl, partnerUrl: `${origin}/partner`, v2Url: `${origin}/v2`, checkoutUrl: `${origin}/securepay/v1` }
}
