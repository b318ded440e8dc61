/**
 * nordkit's demo: walks each provider's flow through the published packages (their built dist/), against the
 * providers' protocol-faithful test servers on loopback — or, for a provider whose variables are set, read-only
 * calls against the configured host. Run with `./nk demo`.
 */
import { NodeRuntime } from "@effect/platform-node"
import * as UndiciClient from "@nordkit/core/UndiciClient"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Dinero from "./flows/dinero.ts"
import * as Dintero from "./flows/dintero.ts"
import * as Monerium from "./flows/monerium.ts"
import * as Netgiro from "./flows/netgiro.ts"
import * as Replicas from "./flows/replicas.ts"

const flows = [
  ["dintero", Dintero.flow],
  ["dinero", Dinero.flow],
  ["monerium", Monerium.flow],
  ["netgiro", Netgiro.flow],
  ["replicas", Replicas.flow]
] as const

const program = Effect.gen(function* () {
  yield* Console.log("nordkit demo — every secret below is printed through Redacted\n")
  let failed = 0
  for (const [name, flow] of flows) {
    const exit = yield* Effect.exit(Effect.scoped(flow))
    if (Exit.isFailure(exit)) {
      failed++
      yield* Console.error(`  ${name} FAILED: ${Cause.pretty(exit.cause)}`)
    }
    yield* Console.log("")
  }
  yield* Console.log(failed === 0 ? `all ${flows.length} flow(s) completed` : `${failed} flow(s) failed`)
  if (failed > 0) return yield* Effect.fail(new Error(`${failed} flow(s) failed`))
})

// nordkit's undici transport (effect's `NodeHttpClient.layerUndici` works the same, with more work per request).
NodeRuntime.runMain(program.pipe(Effect.provide(UndiciClient.layer)), { disableErrorReporting: true })
