/**
 * One browser tab of an app (bundled by esbuild for the Chromium test): the Monerium code flow on FetchHttpClient,
 * tokens in `localStorage`, acquisitions coordinated between tabs by `WebLocks.layer`. The test drives it through
 * `window.nk`. Its Effect Clock can be moved forward (`advance`), as the node replicas' can.
 */
import * as TokenStore from "@nordkit/core/TokenStore"
import * as WebLocks from "@nordkit/core/WebLocks"
import * as MoneriumAuth from "@nordkit/monerium/MoneriumAuth"
import * as MoneriumClient from "@nordkit/monerium/MoneriumClient"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as KeyValueStore from "effect/persistence/KeyValueStore"

const { clientId = "", apiUrl = "", redirectUri = "", coordinated = "yes" } = document.body.dataset

let offset = 0
const base = Clock.Clock.defaultValue()
const clock: Clock.Clock = {
  currentTimeMillisUnsafe: () => base.currentTimeMillisUnsafe() + offset,
  currentTimeMillis: Effect.sync(() => base.currentTimeMillisUnsafe() + offset),
  currentTimeNanosUnsafe: () => base.currentTimeNanosUnsafe() + BigInt(offset) * 1_000_000n,
  currentTimeNanos: Effect.sync(() => base.currentTimeNanosUnsafe() + BigInt(offset) * 1_000_000n),
  monotonicTimeNanosUnsafe: () => base.monotonicTimeNanosUnsafe(),
  monotonicTimeNanos: base.monotonicTimeNanos,
  sleep: (duration) => base.sleep(duration)
}

const client = MoneriumClient.layer({
  apiUrl,
  credentials: MoneriumClient.authorizationCode({ clientId, redirectUri })
}).pipe(
  Layer.provide(TokenStore.layerKeyValueStore()),
  Layer.provide(KeyValueStore.layerStorage(() => localStorage)),
  Layer.provide(FetchHttpClient.layer)
)
const layer = (coordinated === "yes" ? client.pipe(Layer.provide(WebLocks.layer())) : client).pipe(
  Layer.provide(Layer.succeed(Clock.Clock, clock))
)
const runtime = ManagedRuntime.make(layer)
const run = <A, E>(effect: Effect.Effect<A, E, MoneriumClient.MoneriumClient>) =>
  runtime.runPromise(Effect.provideService(effect, Clock.Clock, clock))

;(window as unknown as { nk: unknown }).nk = {
  advance: (millis: number) => {
    offset += millis
  },
  authorize: () =>
    run(
      Effect.gen(function* () {
        const request = yield* (yield* MoneriumClient.MoneriumClient).authorize()
        return { url: request.url, pending: MoneriumAuth.encodePending(request.pending) }
      })
    ),
  callback: (url: string, pending: string) =>
    run(
      Effect.gen(function* () {
        const c = yield* MoneriumClient.MoneriumClient
        yield* c.handleCallback(url, yield* MoneriumAuth.decodePending(pending))
        return true
      })
    ),
  tokens: (n: number) =>
    run(
      Effect.gen(function* () {
        const c = yield* MoneriumClient.MoneriumClient
        const results = yield* Effect.forEach(Array.from({ length: n }), () => Effect.result(c.accessToken), {
          concurrency: "unbounded"
        })
        const errors: Array<string> = []
        for (const r of results) {
          if (r._tag === "Failure") {
            const failure = r.failure as { _tag: string; reason?: string; detail?: string }
            errors.push([failure._tag, failure.reason, failure.detail].filter((x) => x !== undefined).join(": "))
          }
        }
        return { ok: results.length - errors.length, errors }
      })
    )
}
document.body.dataset.ready = "yes"
