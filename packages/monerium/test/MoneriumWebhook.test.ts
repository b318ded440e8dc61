import { createHmac } from "node:crypto"
import { createServer } from "node:http"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Pkce } from "@nordkit/core"
import { TestServer } from "@nordkit/core/testing"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/testing/TestClock"
import { MoneriumClient, MoneriumWebhook } from "../src/index.ts"
import { MoneriumTestServer } from "../src/testing.ts"

// The delivery of the guides' `profile.updated` example (its id, timestamp and body). The guides publish no secret
// for it — and show the same `v1,K5oZ…` signature on four different bodies — so their signature cannot be a
// vector: a secret is chosen here, and the expected signature computed independently with node:crypto, exactly as
// the guides' Node.js example does.
const docs = {
  id: "3f3d820e-d01c-4c56-8be4-b20053225679",
  timestamp: 1723207444,
  body: JSON.stringify({
    type: "profile.updated",
    timestamp: "2024-08-09T12:44:04.777884Z",
    data: { id: "4f079ef8-6d26-11eb-9bc8-acde48001122", kind: "personal", name: "Jane Doe", state: "pending" }
  })
}
const secretText = `whsec_${Buffer.alloc(32, 42).toString("base64")}`
const secret = Redacted.make(secretText)
const nodeSignature = (id: string, timestamp: number, body: string, key = secretText) =>
  `v1,${createHmac("sha256", Buffer.from(key.replace(/^whsec_/, ""), "base64"))
    .update(`${id}.${timestamp}.${body}`)
    .digest("base64")}`

const headers = (signature: string, id = docs.id, timestamp = docs.timestamp) => ({
  "webhook-id": id,
  "webhook-timestamp": String(timestamp),
  "webhook-signature": signature
})

const atDocsTime = TestClock.setTime(docs.timestamp * 1000 + 30_000)

describe("MoneriumWebhook: Standard Webhooks signatures", () => {
  it.effect("the guides' delivery with a known secret: node:crypto's signature verifies; the event decodes", () =>
    Effect.gen(function* () {
      yield* atDocsTime
      const expected = nodeSignature(docs.id, docs.timestamp, docs.body)
      assert.strictEqual(yield* MoneriumWebhook.sign({ secret, ...docs }), expected)
      const verifier = yield* MoneriumWebhook.makeVerifier({ secret })
      const verified = yield* verifier.verify({ headers: headers(expected), body: docs.body })
      assert.strictEqual(verified.id, docs.id)
      assert.strictEqual(verified.timestamp, docs.timestamp)
      assert.strictEqual(verified.event.type, "profile.updated")
      if (verified.event.type === "profile.updated") assert.strictEqual(verified.event.data.state, "pending")
    }).pipe(Effect.provide(Pkce.layerUsedStatesMemory))
  )

  it.effect("an event type Monerium adds later is delivered as `other`, with its original type and data", () =>
    Effect.gen(function* () {
      yield* atDocsTime
      const verifier = yield* MoneriumWebhook.makeVerifier({ secret })
      const body = JSON.stringify({ type: "swap.settled", timestamp: "2026-01-01T00:00:00Z", data: { id: "s1" } })
      const verified = yield* verifier.verify({
        headers: headers(nodeSignature("evt-new", docs.timestamp, body), "evt-new"),
        body
      })
      assert.deepStrictEqual(verified.event, {
        type: "other",
        originalType: "swap.settled",
        timestamp: "2026-01-01T00:00:00Z",
        data: { id: "s1" }
      })
    }).pipe(Effect.provide(Pkce.layerUsedStatesMemory))
  )

  it.effect("several signatures (key rotation; space- or comma-separated): any valid v1 entry is accepted", () =>
    Effect.gen(function* () {
      yield* atDocsTime
      const verifier = yield* MoneriumWebhook.makeVerifier({ secret })
      const other = nodeSignature(docs.id, docs.timestamp, docs.body, `whsec_${Buffer.alloc(32, 1).toString("base64")}`)
      const good = nodeSignature(docs.id, docs.timestamp, docs.body)
      const verified = yield* verifier.verify({ headers: headers(`v2,abc ${other} ${good}`), body: docs.body })
      assert.strictEqual(verified.id, docs.id)
      // The private-integration guide's header table calls the list comma-separated: read that form too.
      const otherKey = `whsec_${Buffer.alloc(32, 1).toString("base64")}`
      const commaList = `${nodeSignature("evt-commas", docs.timestamp, docs.body, otherKey)},${nodeSignature("evt-commas", docs.timestamp, docs.body)}`
      const commas = yield* verifier.verify({ headers: headers(commaList, "evt-commas"), body: docs.body })
      assert.strictEqual(commas.id, "evt-commas")
    }).pipe(Effect.provide(Pkce.layerUsedStatesMemory))
  )

  it.effect("tampered, stale, future, replayed, unsigned deliveries are refused with typed reasons", () =>
    Effect.gen(function* () {
      yield* atDocsTime
      const verifier = yield* MoneriumWebhook.makeVerifier({ secret })
      const good = nodeSignature(docs.id, docs.timestamp, docs.body)
      const reason = (delivery: Parameters<typeof verifier.verify>[0]) =>
        Effect.map(Effect.flip(verifier.verify(delivery)), (e) => e.reason)
      // The body changed by one character.
      assert.strictEqual(
        yield* reason({ headers: headers(good), body: docs.body.replace("pending", "approved") }),
        "invalid_signature"
      )
      // Another event id or timestamp with the same signature.
      assert.strictEqual(yield* reason({ headers: headers(good, "other-id"), body: docs.body }), "invalid_signature")
      // The docs' own signature (no secret published for it).
      assert.strictEqual(
        yield* reason({ headers: headers("v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="), body: docs.body }),
        "invalid_signature"
      )
      assert.strictEqual(
        yield* reason({ headers: headers(good.replace("v1,", "v2,")), body: docs.body }),
        "invalid_signature"
      )
      assert.strictEqual(yield* reason({ headers: { "webhook-id": docs.id }, body: docs.body }), "missing_headers")
      assert.strictEqual(
        yield* reason({ headers: headers(good, docs.id, Number.NaN), body: docs.body }),
        "invalid_timestamp"
      )
      // Accepted once; the same delivery again (a replay, or Monerium's retry after you handled it) is refused.
      yield* verifier.verify({ headers: headers(good), body: docs.body })
      assert.strictEqual(yield* reason({ headers: headers(good), body: docs.body }), "replayed")
      // Older than the 5-minute tolerance, or too far ahead.
      yield* TestClock.adjust("6 minutes")
      const stale = nodeSignature("evt-2", docs.timestamp, docs.body)
      assert.strictEqual(yield* reason({ headers: headers(stale, "evt-2"), body: docs.body }), "stale")
      const ahead = docs.timestamp + 3600
      const future = nodeSignature("evt-3", ahead, docs.body)
      assert.strictEqual(yield* reason({ headers: headers(future, "evt-3", ahead), body: docs.body }), "future")
      // A body that is not an event.
      const now = docs.timestamp + 360
      const junk = nodeSignature("evt-4", now, "not json")
      assert.strictEqual(yield* reason({ headers: headers(junk, "evt-4", now), body: "not json" }), "invalid_payload")
    }).pipe(Effect.provide(Pkce.layerUsedStatesMemory))
  )

  it.effect("replay refusal goes through core's Pkce.UsedStates (shared by replicas when the app provides Redis)", () =>
    Effect.gen(function* () {
      yield* atDocsTime
      // Two verifiers (two replicas) on one UsedStates service: an id one accepted, the other refuses.
      const a = yield* MoneriumWebhook.makeVerifier({ secret })
      const b = yield* MoneriumWebhook.makeVerifier({ secret })
      const delivery = { headers: headers(nodeSignature(docs.id, docs.timestamp, docs.body)), body: docs.body }
      yield* a.verify(delivery)
      assert.strictEqual((yield* Effect.flip(b.verify(delivery))).reason, "replayed")
      const down = yield* MoneriumWebhook.makeVerifier({
        secret,
        seenIds: { markUsed: () => Effect.fail(new Error("redis down")) }
      })
      assert.strictEqual((yield* Effect.flip(down.verify(delivery))).reason, "replay_store_unavailable")
    }).pipe(Effect.provide(Pkce.layerUsedStatesMemory))
  )

  it.effect("secrets: whsec_ + base64 of 24–64 bytes; the error never shows the secret", () =>
    Effect.gen(function* () {
      const generated = yield* MoneriumWebhook.generateSecret()
      assert.isTrue(MoneriumWebhook.isValidSecret(Redacted.value(generated)))
      assert.strictEqual(Buffer.from(Redacted.value(generated).slice(6), "base64").length, 32)
      for (const bad of [
        "abc",
        "whsec_",
        "whsec_c2hvcnQ=",
        `whsec_${Buffer.alloc(65).toString("base64")}`,
        "whsec_!!!"
      ]) {
        const error = yield* Effect.flip(MoneriumWebhook.makeVerifier({ secret: Redacted.make(bad) }))
        assert.strictEqual(error._tag, "ConfigurationError", bad)
        if (bad.length > 8) assert.notInclude(error.message, bad.slice(6))
      }
    }).pipe(Effect.provide(Pkce.layerUsedStatesMemory))
  )
})

describe("MoneriumWebhook end to end: subscribe, Monerium-signed delivery, an Effect HTTP route", () => {
  it.live(
    "subscribing is validated by a signed subscription.created; deliveries pass the README recipe's route; replays and forgeries do not",
    () =>
      Effect.gen(function* () {
        // The test server delivers subscription.created over real HTTP, as Monerium does before creating a subscription.
        const server = yield* MoneriumTestServer.make({ webhookClient: yield* HttpClient.HttpClient })
        const partnerApp = MoneriumTestServer.defaultCredentials.partnerApp
        const memory = yield* MoneriumTestServer.makeClient(server)
        const monerium = yield* MoneriumClient.make({
          apiUrl: "http://127.0.0.1",
          credentials: MoneriumClient.clientCredentials({
            clientId: partnerApp.clientId,
            clientSecret: Redacted.make(partnerApp.clientSecret)
          })
        }).pipe(Effect.provideService(HttpClient.HttpClient, memory))

        // The app's webhook route (the README recipe).
        const webhookSecret = yield* MoneriumWebhook.generateSecret()
        const verifier = yield* MoneriumWebhook.makeVerifier({ secret: webhookSecret })
        const received: Array<string> = []
        const route = verifier.verifyRequest.pipe(
          Effect.flatMap((delivery) =>
            Effect.sync(() => {
              received.push(`${delivery.event.type} ${delivery.id}`)
              return HttpServerResponse.text("OK")
            })
          ),
          Effect.catchTag("WebhookVerificationError", (error) =>
            Effect.succeed(
              HttpServerResponse.text(error.reason, { status: error.reason === "invalid_signature" ? 401 : 400 })
            )
          )
        )
        const appUrl = yield* TestServer.listen(route)

        const subscription = yield* monerium.createWebhook({
          url: `${appUrl}/webhooks/monerium`,
          secret: webhookSecret,
          types: ["order.created", "order.updated"]
        })
        assert.strictEqual(subscription.state, "active")
        const [validation] = yield* server.deliveries
        assert.deepStrictEqual(validation, {
          url: `${appUrl}/webhooks/monerium`,
          type: "subscription.created",
          status: 200
        })
        // A URL that does not accept Monerium's signature (another secret) is not subscribed.
        const refusedUrl = yield* Effect.flip(
          monerium.createWebhook({ url: `${appUrl}/other`, secret: yield* MoneriumWebhook.generateSecret() })
        )
        assert.strictEqual(refusedUrl._tag, "ApiError")
        assert.strictEqual((yield* server.deliveries)[1].status, 401)
        assert.deepStrictEqual(
          (yield* monerium.listWebhooks).map((s) => s.id),
          [subscription.id]
        )
        // The secret went to Monerium, but the API never shows it back.
        assert.notInclude(JSON.stringify(yield* monerium.listWebhooks), Redacted.value(webhookSecret))

        const order = (yield* server.orders)[0]
        const delivery = yield* server.signedDelivery(subscription.id, { type: "order.updated", data: order })
        const http = yield* HttpClient.HttpClient
        const post = (headers: Record<string, string>, body: string) =>
          Effect.flatMap(
            http.execute(
              HttpClientRequest.post(delivery.url).pipe(
                HttpClientRequest.setHeaders(headers),
                HttpClientRequest.bodyText(body, "application/json")
              )
            ),
            (response) => Effect.map(response.text, (text) => `${response.status} ${text}`)
          )
        assert.strictEqual(yield* post(delivery.headers, delivery.body), "200 OK")
        assert.strictEqual(yield* post(delivery.headers, delivery.body), "400 replayed")
        assert.strictEqual(
          yield* post(delivery.headers, delivery.body.replace(order.amount, "999999")),
          "401 invalid_signature"
        )
        assert.strictEqual(yield* post(delivery.headers, "x".repeat(1024 * 1024 + 1)), "400 body_too_large")
        assert.deepStrictEqual(received, [
          `subscription.created ${received[0]?.split(" ")[1]}`,
          `order.updated ${delivery.headers["webhook-id"]}`
        ])

        const updated = yield* monerium.updateWebhook(subscription.id, { state: "inactive" })
        assert.strictEqual(updated.state, "inactive")
        const refused = yield* Effect.flip(
          monerium.createWebhook({ url: `${appUrl}/x`, secret: Redacted.make("whsec_short") })
        )
        assert.strictEqual(refused._tag, "InvalidRequestError")
        // A secret the verifier would refuse (65 bytes; 24–64 per the spec) is not registered either.
        const tooLong = yield* Effect.flip(
          monerium.createWebhook({
            url: `${appUrl}/x`,
            secret: Redacted.make(`whsec_${Buffer.alloc(65, 3).toString("base64")}`)
          })
        )
        assert.strictEqual(tooLong._tag, "InvalidRequestError")
      }).pipe(
        Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
        Effect.provide(NodeHttpClient.layerUndici),
        Effect.scoped
      )
  )
})
