/**
 * The browser half of the Monerium code flow, as an app ships it (bundled for the size measurement in
 * measure.ts): "Connect" builds the authorization URL with PKCE and keeps the pending record in sessionStorage;
 * the code exchange runs on the app's server (Monerium's token endpoint allows no cross-origin calls); once
 * connected, the page reads the auth context, the addresses and their balances.
 * Runs on FetchHttpClient and WebCrypto; tokens live in sessionStorage through the TokenStore.
 *
 * `./imports.ts` imports nordkit from the packages' main entries; measure.ts also bundles the flow with it
 * swapped for `imports-modules.ts` (one module per import).
 */
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as KeyValueStore from "effect/persistence/KeyValueStore"
import { MoneriumAuth, MoneriumClient, TokenStore } from "./imports.ts"

const pendingKey = "monerium-pending"

const program = Effect.gen(function* () {
  const monerium = yield* MoneriumClient.MoneriumClient
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
    const chain = address.chains?.[0]
    if (chain === undefined || address.address === undefined) continue
    const balances = yield* monerium.getBalances({ chain, address: address.address })
    for (const b of balances.balances ?? []) lines.push(`${chain} ${b.amount} ${b.currency}`)
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
