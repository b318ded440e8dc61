/**
 * The browser split of Monerium's code flow (served by app.ts at /spa; the browser test runs it), bundled by
 * esbuild with @nordkit/monerium's browser module only:
 *
 * - the authorization URL and the PKCE verifier/challenge are made here, the pending record kept in
 *   sessionStorage (`MoneriumBrowser.authorize`);
 * - back on /spa, the state is checked here (`MoneriumBrowser.readCallback`) and the code handed to the app's
 *   server route /monerium/exchange, which exchanges it — Monerium's token endpoint refuses browsers — and keeps
 *   the refresh token; the page gets a short-lived access token;
 * - the page calls the API itself with access tokens from /monerium/token (refreshed on the server).
 */
import { MoneriumAuthorization, MoneriumBrowser } from "@nordkit/monerium"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"

const pendingKey = "monerium-pending"
const { clientId = "", apiUrl = "" } = document.body.dataset
const origin = window.location.origin
const redirectUri = `${origin}${window.location.pathname}`

const show = (id: string, text: string) => {
  const element = document.createElement("pre")
  element.id = id
  element.textContent = text
  document.body.append(element)
}

const connect = Effect.gen(function* () {
  const { url, pending } = yield* MoneriumBrowser.authorize({ apiUrl, clientId, redirectUri })
  sessionStorage.setItem(pendingKey, MoneriumAuthorization.encodePending(pending))
  window.location.assign(url)
})

const program = Effect.gen(function* () {
  const here = new URL(window.location.href)
  const saved = sessionStorage.getItem(pendingKey)
  if (!here.searchParams.has("state") || saved === null) {
    const button = document.createElement("button")
    button.id = "connect"
    button.textContent = "Connect Monerium"
    button.onclick = () => Effect.runPromise(connect)
    document.body.append(button)
    return
  }
  sessionStorage.removeItem(pendingKey)
  history.replaceState(null, "", here.pathname)
  const pending = yield* MoneriumAuthorization.decodePending(saved)
  const code = yield* MoneriumBrowser.readCallback(here, pending)
  yield* MoneriumBrowser.exchangeOnServer(`${origin}/monerium/exchange`, code)

  const monerium = yield* MoneriumBrowser.MoneriumBrowser
  const context = yield* monerium.authContext
  const lines: Array<string> = []
  for (const address of yield* monerium.listAddresses({ profile: context.defaultProfile })) {
    const chain = address.chains[0] ?? "ethereum"
    const balances = yield* monerium.getBalances({ chain, address: address.address ?? "" })
    for (const b of balances.balances) lines.push(`${chain} ${b.currency} ${b.amount}`)
  }
  show("profile", context.name ?? context.userId ?? "")
  show("balances", lines.join("\n"))
})

const layer = MoneriumBrowser.layer({
  apiUrl,
  accessToken: MoneriumBrowser.tokenFromServer(`${origin}/monerium/token`)
}).pipe(Layer.provide(FetchHttpClient.layer))

Effect.runPromise(program.pipe(Effect.provide(layer), Effect.provide(FetchHttpClient.layer))).catch(
  (error: unknown) => {
    show("error", error instanceof Error ? `${error.name}: ${error.message}` : String(error))
  }
)
