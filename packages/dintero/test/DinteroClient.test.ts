import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import { DinteroClient, DinteroSchema } from "../src/index.ts"
import { DinteroTestServer } from "../src/testing.ts"

const account = DinteroTestServer.defaultAccount
const options = (overrides: Partial<DinteroClient.Options> = {}): DinteroClient.Options => ({
  accountId: account.accountId,
  clientId: account.clientId,
  clientSecret: Redacted.make(account.clientSecret),
  apiUrl: "http://127.0.0.1",
  checkoutUrl: "http://127.0.0.1",
  ...overrides
})

/** A test server in memory and a client built against it. */
const setup = (overrides: Partial<DinteroClient.Options> = {}, serverOptions?: DinteroTestServer.Options) =>
  Effect.gen(function* () {
    const server = yield* DinteroTestServer.make(serverOptions)
    const client = yield* DinteroClient.make(options(overrides)).pipe(
      Effect.provideServiceEffect(HttpClient.HttpClient, DinteroTestServer.makeClient(server))
    )
    return { server, client }
  })

const sessionRequest: DinteroSchema.SessionProfileRequest = {
  url: { return_url: "https://shop.example/return", callback_url: "https://shop.example/callback" },
  profile_id: "default",
  order: {
    amount: 29_900,
    currency: "NOK",
    merchant_reference: "order-1001",
    items: [
      { id: "sku-1", line_id: "1", description: "Wool socks", quantity: 2, amount: 19_900, vat_amount: 3_980, vat: 25 },
      { id: "sku-2", line_id: "2", description: "Hat", quantity: 1, amount: 10_000, vat_amount: 2_000, vat: 25 }
    ]
  }
}

/** The transaction of an operation that completed at once (200); fails the test on a 202. */
const done = (result: DinteroClient.OperationResult): DinteroSchema.Transaction => {
  assert.strictEqual(result._tag, "Done")
  return (result as Extract<DinteroClient.OperationResult, { _tag: "Done" }>).transaction
}

describe("DinteroClient", () => {
  it.effect("sends exactly the token request Dintero documents", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      yield* client.listTransactions()
      const [tokenRequest] = yield* server.tokenRequests
      assert.strictEqual(tokenRequest.method, "POST")
      assert.strictEqual(tokenRequest.path, `/v1/accounts/${account.accountId}/auth/token`)
      assert.strictEqual(
        tokenRequest.headers.authorization,
        `Basic ${btoa(`${account.clientId}:${account.clientSecret}`)}`
      )
      assert.match(tokenRequest.headers["content-type"], /^application\/json/)
      assert.deepStrictEqual(JSON.parse(tokenRequest.body), {
        grant_type: "client_credentials",
        audience: `https://api.dintero.com/v1/accounts/${account.accountId}`
      })
    })
  )

  it.effect("the audience stays canonical when DINTERO_API_URL points elsewhere", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup({ apiUrl: "http://localhost:9" })
      yield* client.accessToken
      const [tokenRequest] = yield* server.tokenRequests
      assert.strictEqual(
        JSON.parse(tokenRequest.body).audience,
        `https://api.dintero.com/v1/accounts/${account.accountId}`
      )
    })
  )

  it.effect("a wrong secret is a typed AuthenticationError carrying Dintero's error", () =>
    Effect.gen(function* () {
      const { client } = yield* setup({ clientSecret: Redacted.make("wrong-secret") })
      const error = yield* Effect.flip(client.getTransaction("T1.x"))
      assert.strictEqual(error._tag, "AuthenticationError")
      if (error._tag !== "AuthenticationError") return
      assert.strictEqual(error.status, 401)
      assert.strictEqual(error.error, "invalid_client")
      assert.strictEqual(error.errorDescription, "Client authentication failed")
      assert.strictEqual(error.provider, "dintero")
      assert.strictEqual(error.path, `/v1/accounts/${account.accountId}/auth/token`)
    })
  )

  it.effect("a bad account id is a ConfigurationError when the layer is built", () =>
    Effect.gen(function* () {
      for (const accountId of ["X12345678", "T1234", "t12345678", "T12345678 ", ""]) {
        const exit = yield* Layer.build(DinteroClient.layer(options({ accountId }))).pipe(
          Effect.provide(
            Layer.succeed(HttpClient.HttpClient, yield* DinteroTestServer.makeClient(yield* DinteroTestServer.make()))
          ),
          Effect.scoped,
          Effect.exit
        )
        assert.isTrue(Exit.isFailure(exit), accountId)
        const error = yield* Effect.flip(
          Effect.scoped(
            Layer.build(DinteroClient.layer(options({ accountId }))).pipe(
              Effect.provide(
                Layer.succeed(
                  HttpClient.HttpClient,
                  yield* DinteroTestServer.makeClient(yield* DinteroTestServer.make())
                )
              )
            )
          )
        )
        assert.strictEqual(error._tag, "ConfigurationError")
      }
    })
  )

  it.effect("test and production are told apart by the account id prefix", () =>
    Effect.gen(function* () {
      const { client } = yield* setup()
      assert.strictEqual(client.environment, "test")
      const production = yield* DinteroClient.make(options({ accountId: "P87654321" })).pipe(
        Effect.provideServiceEffect(
          HttpClient.HttpClient,
          Effect.flatMap(DinteroTestServer.make(), DinteroTestServer.makeClient)
        )
      )
      assert.strictEqual(production.environment, "production")
    })
  )

  it.effect("a plain-http base URL that is not loopback is refused before any request", () =>
    Effect.gen(function* () {
      const server = yield* DinteroTestServer.make()
      const error = yield* Effect.flip(
        DinteroClient.make(options({ checkoutUrl: "http://checkout.dintero.com" })).pipe(
          Effect.provideServiceEffect(HttpClient.HttpClient, DinteroTestServer.makeClient(server))
        )
      )
      assert.strictEqual(error._tag, "ConfigurationError")
      assert.lengthOf(yield* server.requests, 0)
    })
  )

  it.effect("walks a checkout: create, read, authorize, capture, refund — every operation decodes", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      const created = yield* client.createSession(sessionRequest)
      assert.match(created.id, /^T11223344\./)
      const session = yield* client.getSession(created.id)
      assert.strictEqual(session.order.amount, 29_900)
      assert.strictEqual(session.transaction_id, undefined)

      const transactionId = yield* server.authorizeSession(created.id)
      const paid = yield* client.getSession(created.id)
      assert.strictEqual(paid.transaction_id, transactionId)
      const authorized = yield* client.getTransaction(transactionId)
      assert.strictEqual(authorized.status, "AUTHORIZED")
      assert.strictEqual(authorized.amount, 29_900)

      const partial = yield* client.captureTransaction(transactionId, { amount: 10_000, capture_reference: "c-1" })
      assert.strictEqual(partial._tag, "Captured")
      if (partial._tag === "Captured") {
        assert.strictEqual(partial.transaction.status, "PARTIALLY_CAPTURED")
        assert.strictEqual(DinteroSchema.capturedAmount(partial.transaction), 10_000)
      }
      const rest = yield* client.captureTransaction(transactionId, { amount: 19_900 })
      assert.strictEqual(rest._tag === "Captured" && rest.transaction.status, "CAPTURED")

      const refunded = done(yield* client.refundTransaction(transactionId, { amount: 5_000, reason: "Returned hat" }))
      assert.strictEqual(refunded.status, "PARTIALLY_REFUNDED")
      assert.strictEqual(DinteroSchema.refundedAmount(refunded), 5_000)
      const all = done(yield* client.refundTransaction(transactionId, { amount: 24_900 }))
      assert.strictEqual(all.status, "REFUNDED")

      const listed = yield* client.listTransactions({ merchantReference: "order-1001" })
      assert.deepStrictEqual(
        listed.map((t) => t.id),
        [transactionId]
      )
      // One token for the whole flow.
      assert.lengthOf(yield* server.tokenRequests, 1)
    })
  )

  it.effect("void and cancel move their objects to the right states", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      const id = yield* server.seedTransaction({ amount: 1_000 })
      const voided = done(yield* client.voidTransaction(id))
      assert.strictEqual(voided.status, "AUTHORIZATION_VOIDED")
      const again = yield* Effect.flip(client.voidTransaction(id))
      assert.strictEqual(again._tag, "ApiError")
      const created = yield* client.createSession(sessionRequest)
      const cancelled = yield* client.cancelSession(created.id)
      assert.isString(cancelled.cancelled_at)
    })
  )

  it.effect("a 202 capture is reported as still processing, with its event request id", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup({}, { asyncCaptures: true })
      const id = yield* server.seedTransaction({ amount: 5_000 })
      const result = yield* client.captureTransaction(id, { amount: 5_000 })
      assert.strictEqual(result._tag, "Processing")
      const eventRequestId = result._tag === "Processing" ? (result.eventRequestId ?? "") : ""
      assert.match(eventRequestId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      assert.strictEqual((yield* client.getTransaction(id)).status, "AUTHORIZED")
      assert.strictEqual(yield* server.completePending, 1)
      const completed = yield* client.getTransaction(id)
      assert.strictEqual(completed.status, "CAPTURED")
      // the accepted INITIATE_CAPTURE (request_id), then the CAPTURE completing it (correlation_request_id)
      const events = DinteroSchema.eventsOfRequest(completed, eventRequestId)
      assert.deepStrictEqual(
        events.map((e) => e.event),
        ["INITIATE_CAPTURE", "CAPTURE"]
      )
      const event = DinteroSchema.completionOf(completed, eventRequestId)
      assert.strictEqual(event?.correlation_request_id, eventRequestId)
      assert.strictEqual(event?.event, "CAPTURE")
      assert.notStrictEqual(event?.request_id, eventRequestId)
    })
  )

  it.effect("Dintero's {error:{code,message}} becomes an ApiError with its code and message", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      const missing = yield* Effect.flip(client.getTransaction("T0.nope"))
      assert.strictEqual(missing._tag, "ApiError")
      if (missing._tag === "ApiError") {
        assert.strictEqual(missing.status, 404)
        assert.strictEqual(missing.code, "NOT FOUND")
        assert.strictEqual(missing.detail, "Transaction T0.nope not found")
      }
      const id = yield* server.seedTransaction({ amount: 1_000 })
      const tooMuch = yield* Effect.flip(client.captureTransaction(id, { amount: 2_000 }))
      assert.strictEqual(tooMuch._tag === "ApiError" && tooMuch.code, "AMOUNT_EXCEEDS_AUTHORIZED")
    })
  )

  it.effect("amounts that are not integers in minor units are rejected by the schema", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      const id = yield* server.seedTransaction({ amount: 1_000 })
      const error = yield* Effect.flip(client.captureTransaction(id, { amount: 10.5 }))
      assert.strictEqual(error._tag, "InvalidRequestError")
      assert.include(error.message, "amount")
      const captures = (yield* server.requests).filter((r) => r.path.endsWith("/capture"))
      assert.lengthOf(captures, 0, "nothing was sent")
    })
  )

  it.effect("a 401 on an API call causes one refresh and a successful replay", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      const id = yield* server.seedTransaction({ amount: 1_000 })
      yield* client.getTransaction(id)
      yield* server.revokeTokens
      yield* server.clearLog
      const tx = yield* client.getTransaction(id)
      assert.strictEqual(tx.id, id)
      const log = yield* server.requests
      assert.deepStrictEqual(
        log.map((r) => [r.path.endsWith("/auth/token") ? "token" : "api", r.status]),
        [
          ["api", 401],
          ["token", 200],
          ["api", 200]
        ]
      )
    })
  )

  it.effect("tokens are refreshed ahead of expiry without making callers wait", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup({}, { tokenLifetimeSeconds: 3600 })
      const id = yield* server.seedTransaction({ amount: 1_000 })
      yield* client.getTransaction(id)
      yield* TestClock.adjust("56 minutes")
      yield* client.getTransaction(id)
      yield* TestClock.adjust("1 second")
      assert.lengthOf(yield* server.tokenRequests, 2)
      yield* TestClock.adjust("10 minutes")
      yield* client.getTransaction(id)
      const apiStatuses = (yield* server.requests).filter((r) => !r.path.endsWith("/auth/token")).map((r) => r.status)
      assert.isTrue(
        apiStatuses.every((s) => s === 200),
        "no call ever met an expired token"
      )
    })
  )

  it.effect("a 429 with Retry-After from the token endpoint is waited out, then succeeds", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      yield* server.rateLimitNext(1, "7", { pathIncludes: "/auth/token" })
      const fiber = yield* Effect.forkChild(client.accessToken)
      yield* TestClock.adjust("6 seconds")
      assert.lengthOf(yield* server.tokenRequests, 1, "not retried before Retry-After")
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(fiber)
      const [first, second] = yield* server.tokenRequests
      assert.isAtLeast(second.at - first.at, 7_000)
    })
  )

  it.effect("a capture (POST) is not retried after a 503", () =>
    Effect.gen(function* () {
      const { server, client } = yield* setup()
      const id = yield* server.seedTransaction({ amount: 1_000 })
      yield* client.accessToken
      yield* server.failNext(1, { status: 503, pathIncludes: "/capture" })
      const error = yield* Effect.flip(client.captureTransaction(id, { amount: 1_000 }))
      assert.strictEqual(error._tag, "ApiError")
      assert.lengthOf(
        (yield* server.requests).filter((r) => r.path.endsWith("/capture")),
        1
      )
    })
  )

  it.effect("layerConfig reads the DINTERO_* variables", () =>
    Effect.gen(function* () {
      const server = yield* DinteroTestServer.make()
      const env = ConfigProvider.fromEnv({
        env: {
          DINTERO_ACCOUNT_ID: account.accountId,
          DINTERO_CLIENT_ID: account.clientId,
          DINTERO_CLIENT_SECRET: account.clientSecret,
          DINTERO_API_URL: "http://127.0.0.1:1",
          DINTERO_CHECKOUT_URL: "http://127.0.0.1:1"
        }
      })
      const transactions = yield* Effect.gen(function* () {
        const client = yield* DinteroClient.DinteroClient
        return yield* client.listTransactions()
      }).pipe(
        Effect.provide(DinteroClient.layerConfig()),
        Effect.provide(DinteroTestServer.layerClient(server)),
        Effect.provide(ConfigProvider.layer(env))
      )
      assert.isAbove(transactions.length, 0)
      const missing = yield* Effect.flip(
        Layer.build(DinteroClient.layerConfig()).pipe(
          Effect.provide(DinteroTestServer.layerClient(server)),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { DINTERO_ACCOUNT_ID: "T11223344" } }))),
          Effect.scoped
        )
      )
      assert.strictEqual(missing._tag, "ConfigurationError")
      assert.include(missing.message, "DINTERO_CLIENT_ID")

      // An app's own Config for one option; the others keep their DINTERO_* names.
      const shopEnv = ConfigProvider.fromEnv({
        env: {
          DINTERO_ACCOUNT_ID: account.accountId,
          DINTERO_CLIENT_ID: account.clientId,
          SHOP_SECRET: account.clientSecret
        }
      })
      const custom = yield* Effect.gen(function* () {
        const client = yield* DinteroClient.DinteroClient
        return yield* client.listTransactions()
      }).pipe(
        Effect.provide(
          DinteroClient.layerConfig({
            clientSecret: Config.Redacted("SHOP_SECRET"),
            checkoutUrl: Config.succeed("http://127.0.0.1:1"),
            apiUrl: Config.succeed("http://127.0.0.1:1")
          })
        ),
        Effect.provide(DinteroTestServer.layerClient(server)),
        Effect.provide(ConfigProvider.layer(shopEnv))
      )
      assert.isAbove(custom.length, 0)
    })
  )

  it.live("works end to end over real HTTP on loopback", () =>
    Effect.gen(function* () {
      const server = yield* DinteroTestServer.make()
      const url = yield* DinteroTestServer.listen(server)
      const client = yield* DinteroClient.make(options({ apiUrl: url, checkoutUrl: url }))
      const created = yield* client.createSession(sessionRequest)
      const transactionId = yield* server.authorizeSession(created.id)
      const captured = yield* client.captureTransaction(transactionId, { amount: 29_900 })
      assert.strictEqual(captured._tag === "Captured" && captured.transaction.status, "CAPTURED")
      yield* server.revokeTokens
      const tx = yield* client.getTransaction(transactionId)
      assert.strictEqual(tx.status, "CAPTURED")
      assert.lengthOf(yield* server.tokenRequests, 2)
    }).pipe(
      Effect.scoped,
      Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
      Effect.provide(NodeHttpClient.layerUndici)
    )
  )
})
