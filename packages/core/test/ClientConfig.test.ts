import { assert, describe, it } from "@effect/vitest"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as ClientConfig from "../src/ClientConfig.ts"
import { ConfigurationError } from "../src/NordkitError.ts"

interface Options {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  readonly apiUrl: string | undefined
}

class Client extends Context.Service<Client, Options>()("test/Client") {}

const config: ClientConfig.Configs<Options> = {
  clientId: Config.String("ACME_CLIENT_ID"),
  clientSecret: Config.Redacted("ACME_CLIENT_SECRET"),
  apiUrl: ClientConfig.optionalString("ACME_API_URL")
}

const layerConfig = ClientConfig.layerConfig({
  service: Client,
  provider: "acme",
  config,
  make: (options: Options) =>
    options.clientId.includes(" ")
      ? Effect.fail(new ConfigurationError({ provider: "acme", detail: "ACME_CLIENT_ID has a space" }))
      : Effect.succeed(options)
})

const env = (vars: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnv({ env: vars }))

const build = (layer: Layer.Layer<Client, ConfigurationError>, vars: Record<string, string>) =>
  Effect.service(Client).pipe(Effect.provide(layer), Effect.provide(env(vars)))

describe("ClientConfig", () => {
  it.effect("reads today's variable names; an optional one may be absent", () =>
    Effect.gen(function* () {
      const client = yield* build(layerConfig(), { ACME_CLIENT_ID: "id-1", ACME_CLIENT_SECRET: "CANARY-s3cret" })
      assert.strictEqual(client.clientId, "id-1")
      assert.strictEqual(Redacted.value(client.clientSecret), "CANARY-s3cret")
      assert.isUndefined(client.apiUrl)
    })
  )

  it.effect("an app replaces any field's Config: another variable name, or a plain value", () =>
    Effect.gen(function* () {
      const client = yield* build(
        layerConfig({
          clientSecret: Config.Redacted("PAYMENTS_ACME_SECRET"),
          apiUrl: Config.succeed("http://127.0.0.1:9999")
        }),
        { ACME_CLIENT_ID: "id-2", PAYMENTS_ACME_SECRET: "CANARY-other" }
      )
      assert.strictEqual(Redacted.value(client.clientSecret), "CANARY-other")
      assert.strictEqual(client.apiUrl, "http://127.0.0.1:9999")
    })
  )

  it.effect("a missing or malformed variable is a ConfigurationError naming it, never quoting a value", () =>
    Effect.gen(function* () {
      const missing = yield* Effect.flip(build(layerConfig(), { ACME_CLIENT_SECRET: "CANARY-s3cret" }))
      assert.strictEqual(missing._tag, "ConfigurationError")
      assert.include(missing.detail, "ACME_CLIENT_ID")
      const malformed = yield* Effect.flip(
        build(layerConfig({ apiUrl: Config.Int("ACME_PORT").pipe(Config.map(String)) }), {
          ACME_CLIENT_ID: "id",
          ACME_CLIENT_SECRET: "CANARY-s3cret",
          ACME_PORT: "CANARY-not-a-number"
        })
      )
      assert.include(malformed.detail, "ACME_PORT")
      for (const error of [missing, malformed]) {
        assert.notInclude(`${error.message} ${String(error)} ${JSON.stringify(error)}`, "CANARY")
      }
    })
  )

  it.effect("optionalRedacted reads a secret that may be absent", () =>
    Effect.gen(function* () {
      const read = ClientConfig.load("acme", ClientConfig.optionalRedacted("ACME_TOKEN"))
      const absent = yield* read.pipe(Effect.provide(env({})))
      assert.isUndefined(absent)
      const present = yield* read.pipe(Effect.provide(env({ ACME_TOKEN: "CANARY-tok" })))
      assert.strictEqual(present === undefined ? undefined : Redacted.value(present), "CANARY-tok")
      assert.notInclude(String(present), "CANARY-tok")
    })
  )

  it.effect("make's own validation fails the layer with its ConfigurationError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(build(layerConfig(), { ACME_CLIENT_ID: "a b", ACME_CLIENT_SECRET: "x" }))
      assert.strictEqual(error.detail, "ACME_CLIENT_ID has a space")
    })
  )
})
