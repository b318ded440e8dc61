/**
 * Each provider client's `limits` option reaches its API calls (like `transformClient`): a 4 KiB JSON answer is
 * read under the defaults and refused with `ResponseTooLargeError` under `limits: { maxBodyBytes: 1024 }`.
 * Real loopback servers; the token endpoint answers a valid token.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import type { RequestLimits } from "@nordkit/core"
import { DineroClient } from "@nordkit/dinero"
import { DinteroClient } from "@nordkit/dintero"
import { MoneriumClient } from "@nordkit/monerium"
import { NetgiroClient } from "@nordkit/netgiro"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as HttpClient from "effect/http/HttpClient"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as HostileServer from "./HostileServer.ts"

const token = { access_token: "access-token-limits", token_type: "Bearer", expires_in: 3600 }
const filler = "x".repeat(4096)
const retry = { attempts: 1 }

interface Provider {
  readonly name: string
  readonly layer: (
    url: string,
    limits: RequestLimits.Limits | undefined
  ) => Layer.Layer<any, unknown, HttpClient.HttpClient>
  readonly tokenPath?: string | undefined
  readonly body: unknown
  readonly read: Effect.Effect<unknown, { readonly _tag: string }, any>
}

const providers: ReadonlyArray<Provider> = [
  {
    name: "dintero",
    layer: (url, limits) =>
      DinteroClient.layer({
        accountId: "T11223344",
        clientId: "dintero-client",
        clientSecret: Redacted.make("secret"),
        apiUrl: url,
        checkoutUrl: url,
        retry,
        limits
      }),
    tokenPath: "/v1/accounts/T11223344/auth/token",
    body: { id: "T11223344.abc", filler },
    read: Effect.flatMap(DinteroClient.DinteroClient, (c) => c.getTransaction("T11223344.abc"))
  },
  {
    name: "dinero",
    layer: (url, limits) =>
      DineroClient.layer({
        clientId: "dinero-client",
        clientSecret: Redacted.make("secret"),
        organizationId: "123456",
        apiKey: Redacted.make("key"),
        authUrl: `${url}/dineroapi/oauth/token`,
        apiUrl: url,
        retry,
        pacing: false,
        limits
      }),
    tokenPath: "/dineroapi/oauth/token",
    body: { Collection: [], Pagination: { Result: 0, ResultWithoutFilter: 0, Page: 0, PageSize: 100 }, filler },
    read: Effect.flatMap(DineroClient.DineroClient, (c) => c.listContacts())
  },
  {
    name: "monerium",
    layer: (url, limits) =>
      MoneriumClient.layer({
        credentials: MoneriumClient.clientCredentials({
          clientId: "monerium-client",
          clientSecret: Redacted.make("s")
        }),
        apiUrl: url,
        retry,
        limits
      }),
    tokenPath: "/auth/token",
    body: { profiles: [], filler },
    read: Effect.flatMap(MoneriumClient.MoneriumClient, (c) => c.listProfiles)
  },
  {
    name: "netgiro",
    layer: (url, limits) =>
      NetgiroClient.layer({ appKey: "netgiro-app", secret: Redacted.make("c2VjcmV0"), apiUrl: url, retry, limits }),
    body: { Success: true, ResultCode: 200, filler },
    read: Effect.flatMap(NetgiroClient.NetgiroClient, (c) => c.checkCart("c3a1d0f0-0000-4000-8000-000000000001"))
  }
]

const failureTag = (exit: Exit.Exit<unknown, unknown>): string | undefined =>
  Exit.isFailure(exit)
    ? (exit.cause.reasons
        .map((r) => (r._tag === "Fail" ? (r.error as { readonly _tag?: string })._tag : r._tag))
        .find((tag) => tag !== undefined) ?? "unknown")
    : undefined

describe("a client's limits option", () => {
  for (const provider of providers) {
    it.live(`${provider.name}: limits.maxBodyBytes applies to its API calls`, () =>
      Effect.gen(function* () {
        const server = yield* HostileServer.make((request) =>
          provider.tokenPath !== undefined && request.url.startsWith(provider.tokenPath)
            ? { _tag: "Json", status: 200, body: token }
            : { _tag: "Json", status: 200, body: provider.body }
        )
        const run = (limits: RequestLimits.Limits | undefined) =>
          Effect.exit(Effect.provide(provider.read, provider.layer(server.url, limits))) as Effect.Effect<
            Exit.Exit<unknown, unknown>
          >
        const capped = yield* run({ maxBodyBytes: 1024 })
        assert.strictEqual(failureTag(capped), "ResponseTooLargeError")
        const plain = yield* run(undefined)
        assert.notStrictEqual(failureTag(plain), "ResponseTooLargeError", "the defaults read the same answer")
      }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
    )
  }
})
