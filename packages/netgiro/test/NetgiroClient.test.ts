import { createServer } from "node:http"
import { NodeCrypto, NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { TestServer } from "@nordkit/core/testing"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import * as TestClock from "effect/testing/TestClock"
import { NetgiroClient, NetgiroError, NetgiroSchema } from "../src/index.ts"
import { NetgiroTestServer } from "../src/testing.ts"

const app = NetgiroTestServer.publicTestApp
const { customers } = NetgiroTestServer

const options = (overrides: Partial<NetgiroClient.Options> = {}): NetgiroClient.Options => ({
  appKey: app.appKey,
  secret: Redacted.make(app.secret),
  apiUrl: "http://127.0.0.1/v1",
  ...overrides
})

/**
 * A test server in memory and a client built against it. Both sign on `node:crypto` by default: its digest is
 * synchronous, so TestClock-driven tests see no platform callbacks in flight; `crypto: "web"` uses WebCrypto.
 */
const setup = (
  overrides: Partial<NetgiroClient.Options> = {},
  serverOptions?: NetgiroTestServer.Options,
  crypto: "node" | "web" = "node"
) =>
  Effect.gen(function* () {
    const server = yield* NetgiroTestServer.make(serverOptions)
    const client = yield* NetgiroClient.make(options(overrides)).pipe(
      Effect.provideServiceEffect(HttpClient.HttpClient, NetgiroTestServer.makeClient(server))
    )
    return { server, client }
  }).pipe(crypto === "node" ? Effect.provide(NodeCrypto.layerDigest) : (self) => self)

const cart = (
  customerId: string,
  confirmationType: NetgiroSchema.ConfirmationType = NetgiroSchema.ConfirmationTypes.Automatic
): NetgiroSchema.InsertCartRequest => ({
  Amount: 4_990,
  Reference: "order-17",
  CustomerId: customerId,
  ConfirmationType: confirmationType,
  Description: "Lopapeysa"
})

/**
 * Lets promise-based work in flight (WebCrypto digests, web body streams) complete, without moving any clock:
 * the TestClock only tracks fibers, not the platform's own callbacks.
 */
const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve))).pipe(
  Effect.repeat({ times: 3 })
)

/**
 * Runs `effect` in a fiber while moving the TestClock in `step` ms steps — for `millis`, then on until the fiber
 * ends (on a loaded machine a step's work, e.g. a WebCrypto digest off the main thread, may outlast `settle`:
 * the clock must not stop while a sleep is still to be scheduled); returns its exit.
 */
const drive = <A, E>(effect: Effect.Effect<A, E>, millis: number, step = 250) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.forkChild(Effect.exit(effect))
    yield* settle
    for (let t = 0; t < millis || (fiber.pollUnsafe() === undefined && t < millis + 120_000); t += step) {
      yield* TestClock.adjust(step)
      yield* settle
    }
    return yield* Fiber.join(fiber)
  })

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error("expected a typed failure")
  return reason.error
}

/** A logger layer that collects every line at every level. */
const collectLogs = () => {
  const lines: Array<string> = []
  const layer = Layer.mergeAll(
    Logger.layer([Logger.make((o) => lines.push(`${o.logLevel} ${String(o.message)}`))]),
    Layer.succeed(References.MinimumLogLevel, "All")
  )
  return { lines, layer }
}

describe("NetgiroClient", () => {
  it.effect(
    "1,000 concurrent requests carry 1,000 distinct, strictly increasing nonces, all verified by the server",
    () =>
      Effect.gen(function* () {
        const { server, client } = yield* setup({}, {}, "web")
        const inserted = yield* client.insertCart(cart(customers.silent))
        yield* server.clearLog
        const results = yield* Effect.all(
          Array.from({ length: 1000 }, () => client.checkCart(inserted.TransactionId)),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(results.length, 1000)
        const logged = yield* server.requests
        assert.strictEqual(logged.length, 1000)
        assert.isTrue(logged.every((r) => r.status === 200))
        const nonces = logged.map((r) => BigInt(r.headers.netgiro_nonce)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        // Drawn in one instant of the TestClock: the clock reading, then +1 each — no gaps, no repeats.
        for (let i = 1; i < nonces.length; i++) assert.strictEqual(nonces[i], nonces[i - 1] + 1n)
        assert.strictEqual(yield* server.verifiedCount, 1001)
        assert.isTrue(results.every((r) => r.requestId !== undefined))
      })
  )

  it.effect("nonces are Netgíró ticks since 1900 from the Effect Clock and keep increasing across requests", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      yield* TestClock.setTime(Date.UTC(2026, 0, 1))
      yield* client.salesList
      yield* client.salesList
      const [a, b] = (yield* server.requests).map((r) => BigInt(r.headers.netgiro_nonce))
      const ticks = (BigInt(Date.UTC(2026, 0, 1)) + 2_208_988_800_000n) * 10_000n
      assert.isTrue(a >= ticks && a < ticks + 10_000n, "the clock reading plus an offset below 1 ms")
      assert.isTrue(b > a)
    })
  )

  it.effect("a retried request is re-signed: fresh nonce and signature on every attempt", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      yield* server.rateLimitNext(1, "1", { pathIncludes: "InsertCart" })
      const exit = yield* drive(client.insertCart(cart(customers.silent)), 5_000)
      assert.isTrue(Exit.isSuccess(exit))
      const [first, second] = yield* server.requests
      assert.strictEqual(first.status, 429)
      assert.strictEqual(second.status, 200)
      assert.isTrue(BigInt(second.headers.netgiro_nonce) > BigInt(first.headers.netgiro_nonce))
      assert.notStrictEqual(second.headers.netgiro_signature, first.headers.netgiro_signature)
      assert.strictEqual(first.body, second.body)
    })
  )

  it.effect("CheckCart only reads, so it is retried after a 503; InsertCart is not", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      const inserted = yield* client.insertCart(cart(customers.silent))
      yield* server.failNext(1, { status: 503, pathIncludes: "CheckCart" })
      const exit = yield* drive(client.checkCart(inserted.TransactionId), 5_000)
      assert.isTrue(Exit.isSuccess(exit))
      yield* server.failNext(1, { status: 503, pathIncludes: "InsertCart" })
      const error = failureOf(yield* drive(client.insertCart(cart(customers.silent)), 5_000))
      assert.strictEqual(error._tag, "ApiError")
      const statuses = (yield* server.requests).map((r) => r.status)
      assert.deepStrictEqual(statuses, [200, 503, 200, 503])
    })
  )

  for (const tamper of ["body", "nonce", "signature"] as const) {
    it.effect(`a response whose ${tamper} was altered is rejected in enforce mode, its body discarded`, () =>
      Effect.gen(function* () {
        const { server, client } = yield* setup()
        const inserted = yield* client.insertCart(cart(customers.silent))
        yield* server.tamperNext(tamper)
        const error = yield* Effect.flip(client.checkCart(inserted.TransactionId))
        assert.strictEqual(error._tag, "NetgiroSignatureError")
        if (error._tag !== "NetgiroSignatureError") return
        assert.strictEqual(error.reason, "mismatch")
        assert.strictEqual(error.path, "/v1/Checkout/CheckCart")
        assert.isString(error.requestId)
        assert.strictEqual(NetgiroError.referenceIdOf(error), error.requestId)
      })
    )
  }

  it.effect("a response without signature headers is rejected in enforce mode", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      yield* server.tamperNext("strip")
      const error = yield* Effect.flip(client.salesList)
      assert.strictEqual(error._tag === "NetgiroSignatureError" && error.reason, "missing")
    })
  )

  it.effect("warn mode logs the mismatch and returns the data; off mode does neither check nor log", () =>
    Effect.gen(function* () {
      const logs = collectLogs()
      const warn = yield* setup({ verifyResponses: "warn" })
      yield* warn.server.tamperNext("body")
      const list = yield* warn.client.salesList.pipe(Effect.provide(logs.layer))
      assert.isTrue(list.Success)
      const warnings = logs.lines.filter((l) => l.includes("signature does not match"))
      assert.lengthOf(warnings, 1)
      assert.match(warnings[0], /^WARN/i)

      const off = yield* setup({ verifyResponses: "off" })
      yield* off.server.tamperNext("signature")
      const before = logs.lines.length
      const result = yield* off.client.salesList.pipe(Effect.provide(logs.layer))
      assert.isTrue(result.Success)
      assert.isFalse(logs.lines.slice(before).some((l) => l.includes("signature")))
    })
  )

  it.effect("Success:false becomes a NetgiroResultError naming the case, with the reference id", () =>
    Effect.gen(function* () {
      const { client } = yield* setup()
      const expectCase = <A>(effect: Effect.Effect<A, NetgiroClient.Error>, reason: string, code: number) =>
        Effect.gen(function* () {
          const error = yield* Effect.flip(effect)
          assert.strictEqual(error._tag, "NetgiroResultError", `expected ${reason}`)
          if (error._tag !== "NetgiroResultError") return
          assert.strictEqual(error.reason, reason)
          assert.strictEqual(error.resultCode, code)
          assert.isString(error.requestId)
          assert.include(error.message, `netgiro_referenceId ${error.requestId}`)
        })
      yield* expectCase(client.checkCart("00000000-0000-0000-0000-000000000000"), "CartNotFound", 10424)
      yield* expectCase(client.insertCart(cart("0101010109")), "CustomerNotFound", 10306)
      yield* expectCase(client.insertCart({ ...cart(customers.approves), Amount: 5 }), "BelowMinimumAmount", 10305)
      const noCredit = yield* client.insertCart(cart(customers.noCredit))
      yield* expectCase(client.checkCart(noCredit.TransactionId), "CustomerDeclined", 10422)
      const silent = yield* client.insertCart(cart(customers.silent, NetgiroSchema.ConfirmationTypes.Manual))
      yield* expectCase(
        client.confirmCart({ TransactionId: silent.TransactionId }),
        "PendingCustomerConfirmation",
        10425
      )
      const canceled = yield* client.cancelCart(silent.TransactionId)
      assert.strictEqual(canceled.ResultCode, 10201)
      yield* expectCase(client.cancelCart(silent.TransactionId), "AlreadyCanceled", 10202)
      yield* expectCase(client.confirmCart({ TransactionId: silent.TransactionId }), "AlreadyCanceled", 10202)
    })
  )

  it.effect("a confirmed cart cannot be canceled (10200) nor confirmed twice (10203)", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      const inserted = yield* client.insertCart(cart(customers.silent, NetgiroSchema.ConfirmationTypes.Manual))
      yield* server.approve(inserted.TransactionId)
      const confirmed = yield* client.confirmCart({ TransactionId: inserted.TransactionId })
      assert.isTrue(confirmed.PaymentSuccessful)
      assert.strictEqual(confirmed.PaymentInfo?.StatusId, NetgiroSchema.PaymentStatus.Confirmed)
      const again = yield* Effect.flip(client.confirmCart({ TransactionId: inserted.TransactionId }))
      assert.strictEqual(again._tag === "NetgiroResultError" && again.reason, "AlreadyConfirmed")
      const cancel = yield* Effect.flip(client.cancelCart(inserted.TransactionId))
      assert.strictEqual(cancel._tag === "NetgiroResultError" && cancel.reason, "PaymentCompleted")
    })
  )

  it.effect("an undocumented result code is kept, as reason Unknown", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup({ verifyResponses: "off" })
      yield* server.failNext(1, {
        status: 200,
        contentType: "application/json",
        body: JSON.stringify({ Success: false, Message: "Something new", ResultCode: 10999 })
      })
      const error = yield* Effect.flip(client.salesList)
      assert.strictEqual(error._tag, "NetgiroResultError")
      if (error._tag !== "NetgiroResultError") return
      assert.strictEqual(error.reason, "Unknown")
      assert.strictEqual(error.resultCode, 10999)
      assert.strictEqual(error.resultMessage, "Something new")
    })
  )

  it.effect("a wrong secret is an AuthenticationError (the server's 401), never a decoded body", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup({ secret: Redacted.make("not-the-secret") })
      const error = yield* Effect.flip(client.salesList)
      assert.strictEqual(error._tag, "AuthenticationError")
      assert.strictEqual(error._tag === "AuthenticationError" && error.status, 401)
      const requestId = error._tag === "AuthenticationError" ? error.requestId : undefined
      assert.isString(requestId, "netgiro_referenceId is a typed field on core errors too")
      assert.strictEqual(NetgiroError.referenceIdOf(error), requestId)
      const [logged] = yield* server.requests
      assert.strictEqual(logged.status, 401)
    })
  )

  it.effect("an unsigned 502 from a proxy maps by status; a 429 beyond attempts is RateLimitedError", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup({ retry: { attempts: 1 } })
      yield* server.failNext(1, { status: 502, body: "Bad gateway" })
      const bad = yield* Effect.flip(client.salesList)
      assert.strictEqual(bad._tag, "ApiError")
      yield* server.rateLimitNext(1, "30")
      const limited = yield* Effect.flip(client.salesList)
      assert.strictEqual(limited._tag, "RateLimitedError")
      assert.strictEqual(limited._tag === "RateLimitedError" && limited.retryAfterMillis, 30_000)
    })
  )

  it.effect("waitForPayment: the approving customer pays an automatic cart, polled at the server's interval", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup({}, { checkIntervalMillis: 1_000, approveAfterMillis: 3_000 })
      const inserted = yield* client.insertCart(cart(customers.approves))
      assert.strictEqual(inserted.ProcessCartCheckIntervalMiliseconds, 1_000)
      const exit = yield* drive(client.waitForPayment(inserted, { timeout: "1 minute" }), 10_000)
      assert.isTrue(Exit.isSuccess(exit))
      if (!Exit.isSuccess(exit)) return
      assert.strictEqual(exit.value._tag, "Paid")
      const checks = (yield* server.requests).filter((r) => r.path.endsWith("CheckCart"))
      assert.deepStrictEqual(
        checks.map((r) => r.at),
        [0, 1_000, 2_000, 3_000]
      )
    })
  )

  it.effect("waitForPayment: a manual cart ends Reserved, then confirmCart creates the loan", () =>
    Effect.gen(function* () {
      const { client } = yield* setup({}, { approveAfterMillis: 2_000 })
      const inserted = yield* client.insertCart(cart(customers.approves, NetgiroSchema.ConfirmationTypes.Manual))
      const exit = yield* drive(client.waitForPayment(inserted, { timeout: "1 minute" }), 5_000)
      assert.strictEqual(Exit.isSuccess(exit) && exit.value._tag, "Reserved")
      const confirmed = yield* client.confirmCart({ TransactionId: inserted.TransactionId })
      assert.strictEqual(confirmed.ResultCode, 10200)
      const check = yield* client.checkCart(inserted.TransactionId)
      assert.isTrue(check.PaymentSuccessful)
    })
  )

  it.effect("waitForPayment: a customer declining in the app ends Declined (10423)", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      const inserted = yield* client.insertCart(cart(customers.silent))
      const fiber = yield* Effect.forkChild(client.waitForPayment(inserted, { timeout: "1 minute" }))
      yield* TestClock.adjust(3_000)
      yield* server.decline(inserted.TransactionId)
      yield* TestClock.adjust(1_000)
      const outcome = yield* Fiber.join(fiber)
      assert.strictEqual(outcome._tag, "Declined")
      assert.strictEqual(outcome._tag === "Declined" && outcome.resultCode, 10423)
    })
  )

  it.effect("waitForPayment: a customer without credit ends Declined (10422) at the first check", () =>
    Effect.gen(function* () {
      const { client } = yield* setup()
      const inserted = yield* client.insertCart(cart(customers.noCredit))
      const outcome = yield* client.waitForPayment(inserted, { timeout: "1 minute" })
      assert.strictEqual(outcome._tag === "Declined" && outcome.resultCode, 10422)
    })
  )

  it.effect("waitForPayment: a cart canceled while waiting ends Canceled", () =>
    Effect.gen(function* () {
      const { client } = yield* setup()
      const inserted = yield* client.insertCart(cart(customers.silent))
      const fiber = yield* Effect.forkChild(client.waitForPayment(inserted, { timeout: "1 minute" }))
      yield* TestClock.adjust(2_500)
      yield* client.cancelCart(inserted.TransactionId)
      yield* TestClock.adjust(1_000)
      const outcome = yield* Fiber.join(fiber)
      assert.strictEqual(outcome._tag === "Canceled" && outcome.resultCode, 10201)
    })
  )

  it.effect("waitForPayment: a silent customer ends in PaymentTimeoutError after the timeout, and polling stops", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      const inserted = yield* client.insertCart(cart(customers.silent))
      const exit = yield* drive(client.waitForPayment(inserted, { timeout: "10 seconds" }), 15_000)
      const error = failureOf(exit)
      assert.strictEqual(error._tag, "PaymentTimeoutError")
      if (error._tag !== "PaymentTimeoutError") return
      assert.strictEqual(error.transactionId, inserted.TransactionId)
      assert.strictEqual(error.lastResultCode, 10425)
      const checks = (yield* server.requests).filter((r) => r.path.endsWith("CheckCart"))
      assert.isTrue(checks.every((r) => r.at < 10_000))
      assert.strictEqual(checks.length, 10)
    })
  )

  it.effect("waitForPayment is interruptible: no check after the interrupt", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      const inserted = yield* client.insertCart(cart(customers.silent))
      const fiber = yield* Effect.forkChild(client.waitForPayment(inserted, { timeout: "1 hour" }))
      yield* TestClock.adjust(2_500)
      yield* Fiber.interrupt(fiber)
      const count = (yield* server.requests).length
      yield* TestClock.adjust(60_000)
      assert.strictEqual((yield* server.requests).length, count)
    })
  )

  it.effect("a server-callback cart is confirmed once the merchant accepts the signed callback", () =>
    Effect.gen(function* () {
      const merchantRequests: Array<{ url: string; headers: Record<string, string>; body: string }> = []
      const callbackSink = yield* TestServer.make((request) =>
        Effect.sync(() => {
          merchantRequests.push({ url: request.url, headers: request.headers, body: request.body })
          return TestServer.json({ ok: true })
        })
      )
      const sinkClient = yield* TestServer.makeMemoryClient(callbackSink.app)
      const server = yield* NetgiroTestServer.make().pipe(Effect.provideService(HttpClient.HttpClient, sinkClient))
      const client = yield* NetgiroClient.make(options()).pipe(
        Effect.provideServiceEffect(HttpClient.HttpClient, NetgiroTestServer.makeClient(server))
      )
      const inserted = yield* client.insertCart({
        ...cart(customers.approves, NetgiroSchema.ConfirmationTypes.ServerCallback),
        CallbackUrl: "http://127.0.0.1/netgiro/callback?order=17"
      })
      const exit = yield* drive(client.waitForPayment(inserted, { timeout: "1 minute" }), 5_000)
      assert.strictEqual(Exit.isSuccess(exit) && exit.value._tag, "Paid")
      assert.lengthOf(merchantRequests, 1)
      assert.strictEqual(merchantRequests[0].url, "/netgiro/callback?order=17")
      const [delivery] = yield* server.callbacks
      assert.strictEqual(delivery.status, 200)
    })
  )

  it.effect("layerConfig reads NETGIRO_* (test environment by default) and refuses plain http to a remote host", () =>
    Effect.gen(function* () {
      const server = yield* NetgiroTestServer.make()
      const memory = Layer.effect(HttpClient.HttpClient, NetgiroTestServer.makeClient(server))
      const env = (vars: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnv({ env: vars }))
      const netgiro = yield* Effect.service(NetgiroClient.NetgiroClient).pipe(
        Effect.provide(NetgiroClient.layerConfig().pipe(Layer.provide(memory))),
        Effect.provide(env({ NETGIRO_APP_KEY: app.appKey, NETGIRO_SECRET: app.secret }))
      )
      assert.strictEqual(netgiro.environment, "test")
      assert.strictEqual(netgiro.apiUrl, "https://api.test.netgiro.is/v1")
      const production = yield* Effect.service(NetgiroClient.NetgiroClient).pipe(
        Effect.provide(NetgiroClient.layerConfig().pipe(Layer.provide(memory))),
        Effect.provide(env({ NETGIRO_APP_KEY: "k", NETGIRO_SECRET: "s", NETGIRO_ENVIRONMENT: "production" }))
      )
      assert.strictEqual(production.apiUrl, "https://api.netgiro.is/v1")
      // NETGIRO_VERIFY_RESPONSES=warn: a response whose signature does not match is logged, not refused.
      const local = { NETGIRO_APP_KEY: app.appKey, NETGIRO_SECRET: app.secret, NETGIRO_API_URL: "http://127.0.0.1/v1" }
      const withEnv = (vars: Record<string, string>) =>
        Effect.service(NetgiroClient.NetgiroClient).pipe(
          Effect.provide(NetgiroClient.layerConfig().pipe(Layer.provide(memory))),
          Effect.provide(env(vars))
        )
      const strict = yield* withEnv(local)
      const lenient = yield* withEnv({ ...local, NETGIRO_VERIFY_RESPONSES: "warn" })
      yield* server.tamperNext("signature")
      assert.strictEqual((yield* Effect.flip(strict.salesList))._tag, "NetgiroSignatureError")
      yield* server.tamperNext("signature")
      assert.strictEqual((yield* lenient.salesList).Success, true)
      const insecure = yield* Effect.flip(
        Layer.build(NetgiroClient.layerConfig()).pipe(
          Effect.provide(memory),
          Effect.provide(
            env({ NETGIRO_APP_KEY: "k", NETGIRO_SECRET: "s", NETGIRO_API_URL: "http://netgiro.example/v1" })
          ),
          Effect.scoped
        )
      )
      assert.strictEqual(insecure._tag, "ConfigurationError")
      assert.include(insecure.message, "NETGIRO_API_URL")
      const missing = yield* Effect.flip(
        Layer.build(NetgiroClient.layerConfig()).pipe(
          Effect.provide(memory),
          Effect.provide(env({ NETGIRO_APP_KEY: "k" })),
          Effect.scoped
        )
      )
      assert.strictEqual(missing._tag, "ConfigurationError")
      assert.include(missing.message, "NETGIRO_SECRET")
    })
  )

  it.live("works end to end over real HTTP on loopback: insert, wait, confirm, callback to a real port", () =>
    Effect.gen(function* () {
      const server = yield* NetgiroTestServer.make({ approveAfterMillis: 0 })
      const url = yield* NetgiroTestServer.listen(server)
      const client = yield* NetgiroClient.make(options({ apiUrl: url }))
      const inserted = yield* client.insertCart(cart(customers.approves, NetgiroSchema.ConfirmationTypes.Manual))
      const outcome = yield* client.waitForPayment(inserted, { timeout: "10 seconds" })
      assert.strictEqual(outcome._tag, "Reserved")
      const confirmed = yield* client.confirmCart({ TransactionId: inserted.TransactionId })
      assert.strictEqual(confirmed.ResultCode, 10200)
      const sales = yield* client.salesList
      assert.lengthOf((sales.body as { Sales: Array<unknown> }).Sales, 1)
      const logged = yield* server.requests
      assert.isTrue(logged.every((r) => r.status === 200))
      assert.match(logged[0].headers.host, /^127\.0\.0\.1:\d+$/)
    }).pipe(
      Effect.scoped,
      Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )
})
