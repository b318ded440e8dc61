/**
 * A protocol-faithful Netgíró v1 test server, for nordkit's tests, the demo, and your own integration tests.
 *
 * - Every request must carry `netgiro_appkey`, `netgiro_nonce` (an integer, never reused) and a
 *   `netgiro_signature` that verifies over `secret + nonce + url + body`, where `url` is the full URL as
 *   received (case-sensitive, query included). Otherwise: HTTP 401 with `{Success:false, ResultCode:401}`
 *   (the status and code of a rejection are not documented; this is an assumption).
 * - Every response of a known app is signed (`netgiro_nonce`, `netgiro_signature` over
 *   `secret + responseNonce + requestUrl + responseBody`) and carries a fresh `netgiro_referenceId`.
 * - Checkout: `InsertCart`, `CheckCart`, `ConfirmCart`, `CancelCart` with Netgíró's result codes; the test
 *   customers behave as documented: SSN 1111111119 approves (after `approveAfterMillis` on the Effect Clock),
 *   2222222229 has no credit (declined, 10422), GSM 8223281 never answers unless told to (`approve` /
 *   `decline`). Other customer ids do not exist (10306).
 * - Server-callback carts (`ConfirmationType: 1`) get a signed POST to their `CallbackUrl` once approved;
 *   a 2xx answer creates the loan, a failure is retried once, then the cart is canceled.
 * - `sales/GetList?AllForCompany=true` lists confirmed carts.
 * - From the core harness: fault injection and a request log. `tamperNext` alters signed responses (body,
 *   nonce, signature, or strips the signature) to test verification.
 *
 * Run it in memory (`makeClient`) or on a loopback port (`listen`, with an `HttpServer`).
 */
import { RequestSigner } from "@nordkit/core"
import { TestServer } from "@nordkit/core/testing"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as NetgiroAuth from "./NetgiroAuth.ts"

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

/** The documented test customers. */
export const customers = {
  /** SSN of a customer who approves every cart. */
  approves: "1111111119",
  /** SSN of a customer without credit: declined. */
  noCredit: "2222222229",
  /** GSM of a customer who does nothing until the test says so. */
  silent: "8223281"
} as const

export interface Options {
  readonly apps?: ReadonlyArray<App> | undefined
  /** Origin used to rebuild the signed URL when a request carries no Host header (in memory). */
  readonly origin?: string | undefined
  /** `ProcessCartCheckIntervalMiliseconds` answered by InsertCart. Default 1000. */
  readonly checkIntervalMillis?: number | undefined
  /** How long customer 1111111119 takes to approve. Default 3000 ms. */
  readonly approveAfterMillis?: number | undefined
  /** Smallest accepted amount (10305 below). Default 100. */
  readonly minimumAmount?: number | undefined
}

export type CartState = "pending" | "reserved" | "awaitingCallback" | "confirmed" | "canceled" | "declined"

export interface Cart {
  readonly transactionId: string
  readonly appKey: string
  readonly amount: number
  readonly reference: string
  readonly customerId: string
  readonly confirmationType: number
  readonly callbackUrl: string | undefined
  readonly createdAt: number
  state: CartState
  declineCode: number | undefined
  invoiceNumber: number | undefined
}

export interface CallbackDelivery {
  readonly transactionId: string
  readonly url: string
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
  /** The merchant's status, or undefined when the callback could not be delivered. */
  readonly status: number | undefined
  readonly at: number
}

export type Tamper = "body" | "nonce" | "signature" | "strip"

type Reply = { readonly status: number; readonly body: unknown }

const envelope = (success: boolean, code: number, message: string, extra: Record<string, unknown> = {}) => ({
  Success: success,
  Message: message,
  ResultCode: code,
  ...extra
})

const randomUuid = () => globalThis.crypto.randomUUID()

const isInt = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u)

export const make = (options: Options = {}) =>
  Effect.gen(function* () {
    const apps = new Map((options.apps ?? [publicTestApp]).map((app) => [app.appKey, app]))
    const secrets = new Map([...apps.values()].map((app) => [app.appKey, Redacted.make(app.secret)]))
    const digest = yield* NetgiroAuth.digestService
    const nonce = yield* NetgiroAuth.makeNonce
    const callbackClient = yield* Effect.serviceOption(HttpClient.HttpClient)
    const checkInterval = options.checkIntervalMillis ?? 1_000
    const approveAfter = options.approveAfterMillis ?? 3_000
    const minimumAmount = options.minimumAmount ?? 100
    const seenNonces = new Map<string, Set<string>>()
    const carts = new Map<string, Cart>()
    const callbacks: Array<CallbackDelivery> = []
    const tampers: Array<Tamper> = []
    let invoices = 1000
    let verified = 0

    const paymentInfo = (cart: Cart) => ({
      TransactionId: cart.transactionId,
      InvoiceNumber: cart.invoiceNumber ?? null,
      ReferenceNumber: cart.reference,
      StatusId: cart.state === "confirmed" ? 2 : cart.state === "canceled" ? 5 : 1,
      Created: new Date(cart.createdAt).toISOString(),
      TotalAmount: cart.amount
    })

    const sendCallback = (cart: Cart, app: App) =>
      Effect.gen(function* () {
        const url = cart.callbackUrl as string
        const body = JSON.stringify({
          TransactionId: cart.transactionId,
          Reference: cart.reference,
          PaymentSuccessful: true,
          StatusId: 2,
          InvoiceNumber: cart.invoiceNumber ?? null,
          ReferenceNumber: cart.reference,
          TotalAmount: cart.amount
        })
        const n = (yield* nonce).toString()
        const headers = {
          [NetgiroAuth.headerNames.appKey]: app.appKey,
          [NetgiroAuth.headerNames.nonce]: n,
          [NetgiroAuth.headerNames.signature]: yield* NetgiroAuth.signature(
            digest,
            Redacted.make(app.secret),
            n,
            url,
            new TextEncoder().encode(body)
          ),
          [NetgiroAuth.headerNames.referenceId]: randomUuid()
        }
        const at = yield* Clock.currentTimeMillis
        const status = Option.isNone(callbackClient)
          ? undefined
          : yield* callbackClient.value
              .execute(
                HttpClientRequest.post(url).pipe(
                  HttpClientRequest.setHeaders(headers),
                  HttpClientRequest.bodyText(body, "application/json")
                )
              )
              .pipe(
                Effect.map((response) => response.status),
                Effect.orElseSucceed(() => undefined)
              )
        callbacks.push({ transactionId: cart.transactionId, url, body, headers, status, at })
        return status !== undefined && status >= 200 && status < 300
      })

    /** The customer approved: the cart moves on according to its confirmation type. */
    const approved = (cart: Cart) =>
      Effect.gen(function* () {
        if (cart.state !== "pending") return
        cart.invoiceNumber = ++invoices
        if (cart.confirmationType === 0) cart.state = "confirmed"
        else if (cart.confirmationType === 2) cart.state = "reserved"
        else {
          cart.state = "awaitingCallback"
          const app = apps.get(cart.appKey) as App
          const delivered = (yield* sendCallback(cart, app)) || (yield* sendCallback(cart, app))
          cart.state = delivered ? "confirmed" : "canceled"
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
        const cart = carts.get(id)
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
        const cart: Cart = {
          transactionId: randomUuid(),
          appKey: app.appKey,
          amount: body.Amount,
          reference: body.Reference,
          customerId: body.CustomerId,
          confirmationType: body.ConfirmationType,
          callbackUrl: body.CallbackUrl,
          createdAt: yield* Clock.currentTimeMillis,
          state: body.CustomerId === customers.noCredit ? "declined" : "pending",
          declineCode: body.CustomerId === customers.noCredit ? 10422 : undefined,
          invoiceNumber: undefined
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
        const cart = found.cart as Cart
        const info = { PaymentInfo: paymentInfo(cart) }
        switch (cart.state) {
          case "pending":
            return {
              status: 200,
              body: envelope(true, 10425, "Pending customer confirmation", { PaymentSuccessful: false, ...info })
            }
          case "reserved":
            return {
              status: 200,
              body: envelope(true, 10426, "Reservation created", { PaymentSuccessful: false, ...info })
            }
          case "awaitingCallback":
            return {
              status: 200,
              body: envelope(true, 10429, "Waiting for provider callback", { PaymentSuccessful: false, ...info })
            }
          case "confirmed":
            return {
              status: 200,
              body: envelope(true, 10200, "Payment completed", { PaymentSuccessful: true, ...info })
            }
          case "canceled":
            return {
              status: 200,
              body: envelope(true, 10201, "Payment canceled", { PaymentSuccessful: false, ...info })
            }
          case "declined":
            return {
              status: 200,
              body: envelope(false, cart.declineCode ?? 10422, "Customer declined payment", {
                PaymentSuccessful: false
              })
            }
        }
      })

    const confirmCart = (app: App, body: unknown): Effect.Effect<Reply> =>
      Effect.gen(function* () {
        const found = yield* findCart(app.appKey, body)
        if (found.error) return found.error
        const cart = found.cart as Cart
        switch (cart.state) {
          case "reserved":
            cart.state = "confirmed"
            return {
              status: 200,
              body: envelope(true, 10200, "Payment completed", {
                PaymentSuccessful: true,
                PaymentInfo: paymentInfo(cart)
              })
            }
          case "confirmed":
            return { status: 200, body: envelope(false, 10203, "Payment already confirmed") }
          case "canceled":
            return { status: 200, body: envelope(false, 10202, "Payment already canceled") }
          case "declined":
            return { status: 200, body: envelope(false, cart.declineCode ?? 10422, "Customer declined payment") }
          default:
            return {
              status: 200,
              body: envelope(true, 10425, "Payment failed: customer has not confirmed", { PaymentSuccessful: false })
            }
        }
      })

    const cancelCart = (app: App, body: unknown): Effect.Effect<Reply> =>
      Effect.gen(function* () {
        const found = yield* findCart(app.appKey, body)
        if (found.error) return found.error
        const cart = found.cart as Cart
        switch (cart.state) {
          case "confirmed":
            return { status: 200, body: envelope(false, 10200, "Payment already completed: cannot cancel") }
          case "canceled":
          case "declined":
            return { status: 200, body: envelope(false, 10202, "Payment already canceled") }
          default:
            cart.state = "canceled"
            return { status: 200, body: envelope(true, 10201, "Payment canceled") }
        }
      })

    const salesList = (app: App) =>
      Effect.succeed<Reply>({
        status: 200,
        body: envelope(true, 200, "Success", {
          Sales: [...carts.values()]
            .filter((cart) => cart.appKey === app.appKey && cart.state === "confirmed")
            .map(paymentInfo)
        })
      })

    /** Signs a reply for `app` over the request URL, applying a queued tamper after signing. */
    const signed = (app: App | undefined, url: string, reply: Reply) =>
      Effect.gen(function* () {
        let body = JSON.stringify(reply.body)
        if (app === undefined)
          return HttpServerResponse.text(body, { status: reply.status, contentType: "application/json" })
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
        const tamper = tampers.shift()
        if (tamper === "body") body = body.replace(/"Success":(true|false)/, (_, v) => `"Success": ${v}`)
        if (tamper === "nonce") headers[NetgiroAuth.headerNames.nonce] = (BigInt(n) + 1n).toString()
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

    const handle: TestServer.Handler = (request) =>
      Effect.gen(function* () {
        const host = request.headers.host
        const url = `${host === undefined ? (options.origin ?? "http://127.0.0.1") : `http://${host}`}${request.url}`
        const appKey = request.headers[NetgiroAuth.headerNames.appKey]
        const requestNonce = request.headers[NetgiroAuth.headerNames.nonce]
        const requestSignature = request.headers[NetgiroAuth.headerNames.signature]
        if (appKey === undefined || requestNonce === undefined || requestSignature === undefined) {
          return yield* reject(appKey === undefined ? undefined : apps.get(appKey), url, "Missing netgiro headers")
        }
        const app = apps.get(appKey)
        if (app === undefined) return yield* reject(undefined, url, "Unknown application")
        if (!/^\d{1,30}$/.test(requestNonce)) return yield* reject(app, url, "netgiro_nonce must be an integer")
        const verdict = yield* NetgiroAuth.verify(
          digest,
          secrets.get(appKey) as Redacted.Redacted<string>,
          { nonce: requestNonce, signature: requestSignature },
          url,
          request.bytes
        )
        if (verdict !== "valid") return yield* reject(app, url, "Invalid signature")
        const seen = seenNonces.get(appKey) ?? new Set<string>()
        seenNonces.set(appKey, seen)
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

    const harness = yield* TestServer.make(handle)

    const cartControl = (transactionId: string, f: (cart: Cart) => Effect.Effect<void>) =>
      Effect.suspend(() => {
        const cart = carts.get(transactionId)
        return cart === undefined ? Effect.die(new Error(`no cart ${transactionId}`)) : f(cart)
      })

    const clientNonce = yield* NetgiroAuth.makeNonce

    return {
      ...harness,
      apps: [...apps.values()],
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
      /** Callbacks sent to merchants, oldest first. */
      callbacks: Effect.sync((): ReadonlyArray<CallbackDelivery> => callbacks.slice()),
      /** Requests whose signature verified. */
      verifiedCount: Effect.sync(() => verified),
      /** The customer approves the cart in the app (sends the callback for server-callback carts). */
      approve: (transactionId: string) => cartControl(transactionId, approved),
      /** The customer declines the cart in the app (10423). */
      decline: (transactionId: string) =>
        cartControl(transactionId, (cart) =>
          Effect.sync(() => {
            if (cart.state !== "pending") return
            cart.state = "declined"
            cart.declineCode = 10423
          })
        ),
      /** Alters the next `count` signed responses after signing them. */
      tamperNext: (tamper: Tamper, count = 1) =>
        Effect.sync(() => {
          for (let i = 0; i < count; i++) tampers.push(tamper)
        })
    }
  })

export type NetgiroTestServer = Effect.Success<ReturnType<typeof make>>

/** An in-memory HttpClient that talks to `server` (sharing the caller's Clock). */
export const makeClient = (server: NetgiroTestServer) => TestServer.makeMemoryClient(server.app)

/** Serves `server` on the current `HttpServer`; returns the API base URL (`http://127.0.0.1:PORT/v1`). */
export const listen = (server: NetgiroTestServer) => Effect.map(TestServer.listen(server.app), (url) => `${url}/v1`)
