/**
 * The same flow entirely in the browser: @nordkit/monerium bundled by esbuild, running on FetchHttpClient and
 * WebCrypto, the pending record and tokens in sessionStorage (served by app.ts at /spa; the browser test runs it).
 */
import { TokenStore } from "@nordkit/core"
import { MoneriumAuth, MoneriumClient } from "@nordkit/monerium"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as KeyValueStore from "effect/persistence/KeyValueStore"

const pendingKey = "monerium-pending"
const { clientId = "", apiUrl = "" } = document.body.dataset
const redirectUri = `${window.location.origin}${window.location.pathname}`

const show = (id: string, text: string) => {
  const element = document.createElement("pre")
  element.id = id
  element.textContent = text
  document.body.append(element)
}

const program = Effect.gen(function* () {
  const monerium = yield* MoneriumClient.MoneriumClient
  const here = new URL(window.location.href)
  const saved = sessionStorage.getItem(pendingKey)
  if (here.searchParams.has("state") && saved !== null) {
    sessionStorage.removeItem(pendingKey)
    history.replaceState(null, "", here.pathname)
    yield* monerium.handleCallback(here, yield* MoneriumAuth.decodePending(saved))
  }
  if (!(yield* monerium.isConnected)) {
    const button = document.createElement("button")
    button.id = "connect"
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
  const lines: Array<string> = []
  for (const address of yield* monerium.listAddresses({ profile: context.defaultProfile })) {
    const balances = yield* monerium.getBalances({ chain: address.chains[0], address: address.address })
    for (const b of balances.balances) lines.push(`${address.chains[0]} ${b.currency} ${b.amount}`)
  }
  show("profile", context.name ?? context.userId)
  show("balances", lines.join("\n"))
})

const layer = MoneriumClient.layer({
  apiUrl,
  credentials: MoneriumClient.authorizationCode({ clientId, redirectUri })
}).pipe(
  Layer.provide(TokenStore.layerKeyValueStore()),
  Layer.provide(KeyValueStore.layerStorage(() => sessionStorage)),
  Layer.provide(FetchHttpClient.layer)
)

Effect.runPromise(program.pipe(Effect.provide(layer))).catch((error: unknown) => {
  show("error", error instanceof Error ? `${error.name}: ${error.message}` : String(error))
})
