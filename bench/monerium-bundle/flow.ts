/**
 * The browser half of the Monerium code flow, as an app ships it (bundled for the size measurement in
 * measure.ts). Monerium's token endpoint allows no cross-origin calls, so the page does what a browser can:
 * "Connect" builds the authorization URL with PKCE and keeps the pending record in sessionStorage; back on the
 * redirect URI it checks the callback and hands the code to the app's own server route, which exchanges it;
 * then it calls the API (auth context, addresses, balances) with access tokens from that server.
 * Runs on FetchHttpClient and WebCrypto.
 *
 * measure.ts bundles this file as it is (nordkit's main entry, `@nordkit/monerium`) and with the import below
 * rewritten to one module per import (`@nordkit/monerium/MoneriumBrowser`, ...).
 */
import { MoneriumAuthorization, MoneriumBrowser } from "@nordkit/monerium"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"

const pendingKey = "monerium-pending"
const clientId = "your-client-id"
const redirectUri = `${window.location.origin}/`

const connect = Effect.gen(function* () {
  const { url, pending } = yield* MoneriumBrowser.authorize({ clientId, redirectUri })
  sessionStorage.setItem(pendingKey, MoneriumAuthorization.encodePending(pending))
  window.location.assign(url)
})

const program = Effect.gen(function* () {
  const here = new URL(window.location.href)
  const saved = sessionStorage.getItem(pendingKey)
  if (here.searchParams.has("state") && saved !== null) {
    sessionStorage.removeItem(pendingKey)
    const code = yield* MoneriumBrowser.readCallback(here, yield* MoneriumAuthorization.decodePending(saved))
    yield* MoneriumBrowser.exchangeOnServer("/monerium/exchange", code)
    history.replaceState(null, "", here.pathname)
  }
  const monerium = yield* MoneriumBrowser.MoneriumBrowser
  const context = yield* Effect.result(monerium.authContext)
  if (context._tag === "Failure") {
    const button = document.createElement("button")
    button.textContent = "Connect Monerium"
    button.onclick = () => Effect.runFork(connect)
    document.body.append(button)
    return
  }
  const addresses = yield* monerium.listAddresses({ profile: context.success.defaultProfile })
  const lines = [`${context.success.name ?? context.success.email ?? ""}`]
  for (const address of addresses) {
    const chain = address.chains?.[0]
    if (chain === undefined || address.address === undefined) continue
    const balances = yield* monerium.getBalances({ chain, address: address.address })
    for (const b of balances.balances ?? []) lines.push(`${chain} ${b.amount} ${b.currency}`)
  }
  document.body.append(lines.join("\n"))
})

const layer = MoneriumBrowser.layer({ accessToken: MoneriumBrowser.tokenFromServer("/monerium/token") })

Effect.runPromise(program.pipe(Effect.provide(Layer.provideMerge(layer, FetchHttpClient.layer)))).catch((error) => {
  document.body.append(String(error))
})
