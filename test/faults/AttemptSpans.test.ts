/**
 * The client span of each attempt, which the guard records itself (the platform client's own span is switched off):
 * the same name, kind and attributes as effect's platform clients give theirs, plus `nordkit.attempt`; a child of the
 * caller's span; a 4xx/5xx ends it as failed; the app's `TracerDisabledWhen` still turns it off; trace headers reach
 * the server only when asked for, and then carry this span's ids. With each platform client an app may provide.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ApiClient } from "@nordkit/core"
import * as UndiciClient from "@nordkit/core/UndiciClient"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as Layer from "effect/Layer"
import * as HostileServer from "./HostileServer.ts"
import * as Spans from "./Spans.ts"

const platforms: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["layerUndici", NodeHttpClient.layerUndici],
  ["UndiciClient", UndiciClient.layer],
  ["FetchHttpClient", FetchHttpClient.layer],
  ["layerNodeHttp", NodeHttpClient.layerNodeHttp]
]

for (const [name, platform] of platforms) {
  describe(`attempt spans on ${name}`, () => {
    it.live("one client span per attempt, with effect's attributes; 503 then 200; a 404 ends its span as failed", () =>
      Effect.gen(function* () {
        let calls = 0
        const server = yield* HostileServer.make((request) =>
          request.url.startsWith("/missing")
            ? { _tag: "Json", status: 404, body: { error: "not_found" } }
            : ++calls === 1
              ? { _tag: "Json", status: 503, body: { error: "busy" } }
              : { _tag: "Json", status: 200, body: { id: "x" } }
        )
        const api = ApiClient.make(yield* HttpClient.HttpClient, {
          provider: "spans",
          baseUrl: server.url,
          retry: { attempts: 2, baseDelay: 5, maxDelay: 10 }
        })
        const spans = Spans.make()
        yield* spans.provide(
          Effect.withSpan(api.ok(HttpClientRequest.get("/things/x", { urlParams: { sig: "s3cret", page: "2" } })), "op")
        )
        yield* Effect.exit(spans.provide(Effect.withSpan(api.ok(HttpClientRequest.get("/missing")), "op2")))

        const client = spans.spans.filter((span) => span.kind === "client")
        assert.deepStrictEqual(
          client.map((span) => [
            span.name,
            span.attributes.get("nordkit.attempt"),
            span.attributes.get("http.response.status_code")
          ]),
          [
            ["GET", 1, 503],
            ["GET", 2, 200],
            ["GET", 1, 404]
          ],
          "exactly one client span per attempt: the platform client records none of its own"
        )
        const [first, second, missing] = client
        const op = spans.spans.find((span) => span.name === "op")
        assert.strictEqual(
          first?.parent._tag === "Some" && first.parent.value.spanId,
          op?.spanId,
          "a child of the caller's span"
        )
        assert.strictEqual(second?.attributes.get("http.request.method"), "GET")
        assert.strictEqual(second?.attributes.get("url.path"), "/things/x")
        assert.strictEqual(second?.attributes.get("url.scheme"), "http")
        assert.strictEqual(second?.attributes.get("server.address"), "127.0.0.1")
        assert.strictEqual(second?.attributes.get("server.port"), Number(new URL(server.url).port))
        // effect's default redacted names cover `sig`: its value never reaches the span.
        assert.notInclude(String(second?.attributes.get("url.full")), "s3cret")
        assert.include(String(second?.attributes.get("url.full")), `${server.url}/things/x?`)
        assert.include(String(second?.attributes.get("url.query")), "page=2")
        const statusOf = (span: typeof first) => (span?.status._tag === "Ended" ? span.status.exit._tag : "not ended")
        assert.deepStrictEqual(
          [statusOf(first), statusOf(second), statusOf(missing)],
          ["Failure", "Success", "Failure"]
        )
        assert.strictEqual(first?.attributes.get("error.type"), "503")
        assert.strictEqual(missing?.attributes.get("error.type"), "404")
        assert.isUndefined(second?.attributes.get("error.type"))
        // A URL without query or anything to re-encode: the same attributes, written as the URL parser writes them.
        const parsed = new URL(`${server.url}/missing`)
        assert.deepStrictEqual(
          ["url.full", "url.path", "url.scheme", "server.address", "server.port", "url.query"].map((key) =>
            missing?.attributes.get(key)
          ),
          [parsed.href, parsed.pathname, "http", parsed.hostname, Number(parsed.port), undefined]
        )
      }).pipe(Effect.scoped, Effect.provide(platform))
    )

    it.live("the app's TracerDisabledWhen turns the span off; trace headers only with propagateTraceHeaders", () =>
      Effect.gen(function* () {
        const server = yield* HostileServer.make(() => ({ _tag: "Json", status: 200, body: { id: "x" } }))
        const http = yield* HttpClient.HttpClient
        const quiet = ApiClient.make(http, { provider: "spans", baseUrl: server.url })
        const loud = ApiClient.make(http, { provider: "spans", baseUrl: server.url, propagateTraceHeaders: true })

        const off = Spans.make()
        yield* off.provide(
          quiet
            .ok(HttpClientRequest.get("/off"))
            .pipe(Effect.provideService(HttpClient.TracerDisabledWhen, (request) => request.url.endsWith("/off")))
        )
        assert.strictEqual(off.spans.filter((span) => span.kind === "client").length, 0)

        const on = Spans.make()
        yield* on.provide(quiet.ok(HttpClientRequest.get("/quiet")))
        yield* on.provide(loud.ok(HttpClientRequest.get("/loud")))
        const [quietSpan, loudSpan] = on.spans.filter((span) => span.kind === "client")
        const received = (path: string) => server.received.find((r) => r.url === path)

        // Headers become attributes only through the app's TracerHeaderFilter; secrets stay redacted.
        const headers = Spans.make()
        yield* headers.provide(
          quiet
            .ok(HttpClientRequest.get("/headers").pipe(HttpClientRequest.bearerToken("t0ken-value")))
            .pipe(Effect.provideService(HttpClient.TracerHeaderFilter, () => true))
        )
        const withHeaders = headers.spans.find((span) => span.kind === "client")
        assert.strictEqual(withHeaders?.attributes.get("http.request.header.authorization"), "<redacted>")
        assert.strictEqual(withHeaders?.attributes.get("http.response.header.content-type"), "application/json")
        assert.isUndefined(quietSpan?.attributes.get("http.request.header.authorization"), "none by default")
        assert.isDefined(quietSpan)
        assert.isUndefined(received("/quiet")?.headers.traceparent, "no trace headers to a third party by default")
        assert.isUndefined(received("/quiet")?.headers.b3)
        assert.strictEqual(
          received("/loud")?.headers.traceparent,
          `00-${loudSpan?.traceId}-${loudSpan?.spanId}-01`,
          "the trace headers carry the attempt span's ids"
        )
      }).pipe(Effect.scoped, Effect.provide(platform))
    )
  })
}
