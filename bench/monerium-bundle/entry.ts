/**
 * The browser code flow with @nordkit/monerium, as an app would ship it (bundled by esbuild for the size
 * measurement in measure.ts): "Connect" -> Monerium -> back with ?code&state -> profile and balances.
 * Runs on FetchHttpClient and WebCrypto; the pending record and tokens live in sessionStorage.
 */
import { TokenStore } from "@nordkit/core"
import { MoneriumAuth, MoneriumClient } from "@nordkit/monerium"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as KeyValueStore from "effect/persistence/KeyValueStore"

const pendingKey = "monerium-pending"

const program = Effect.gen(function* () {
  const monerium = yield* MoneriumClient.MoneriumClient
  const here = new URL(window.location.href)
  const saved = sessionStorage.getItem(pendingKey)
  if (here.searchParams.has("state") && saved !== null) {
    sessionStorage.removeItem(pendingKey)
    yield* monerium.handleCallback(here, yield* MoneriumAuth.decodePending(saved))
    history.replaceState(null, "", here.pathname)
  }
  if (!(yield* monerium.isConnected)) {
    const button = document.createElement("button")
    button.textContent = "Connect Monerium"
    button.onclick = () =>
      Effect.runPromise(monerium.authorize()).then(({ url, pending }) => {
        sessionStorage.setItem(pendingKey, MoneriumAuth.encodePending(pending))
        window.location.assign(url)
      })
    document.body.append(button)
    return
  }
  const context = yield* monerium.authContext
  const addresses = yield* monerium.listAddresses({ profile: context.defaultProfile })
  const lines = [`${context.name}`]
  for (const address of addresses) {
    const balances = yield* monerium.getBalances({ chain: address.chains[0], address: address.address })
    for (const b of balances.balances) lines.push(`${address.chains[0]} ${b.amount} ${b.currency}`)
  }
  document.body.append(lines.join("\n"))
})

const layer = MoneriumClient.layer({
  credentials: MoneriumClient.authorizationCode({
    clientId: "your-client-id",
    redirectUri: `${window.location.origin}/`
  })
}).pipe(
  Layer.provide(TokenStore.layerKeyValueStore()),
  Layer.provide(KeyValueStore.layerStorage(() => sessionStorage)),
  Layer.provide(FetchHttpClient.layer)
)

Effect.runPromise(program.pipe(Effect.provide(layer))).catch((error) => {
  document.body.append(String(error))
})
