/**
 * Runs the Monerium example web app: `./nk node --conditions=@nordkit/source examples/monerium-web/main.ts`,
 * then open the printed URL, click "Connect Monerium", approve (or deny) on the consent page.
 * Optional: PORT; MONERIUM_CLIENT_ID + MONERIUM_REDIRECT_URI (+ MONERIUM_ENVIRONMENT) for the real sandbox.
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { start } from "./app.ts"

const program = Effect.gen(function* () {
  const started = yield* start({ port: Number(process.env.PORT ?? 0) })
  yield* Console.log(`Monerium example web app: ${started.appUrl}`)
  yield* Console.log(
    started.server === undefined
      ? `  talking to ${started.apiUrl} (MONERIUM_* variables)`
      : `  talking to the Monerium test server on ${started.apiUrl}`
  )
  return yield* Effect.never
})

NodeRuntime.runMain(program.pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))
