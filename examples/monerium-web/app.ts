/**
 * A small web app that connects a user's Monerium account with the authorization-code flow + PKCE, then shows
 * their profile and balances. Server side, as Monerium recommends: the PKCE verifier lives in a sealed (AES-256-GCM)
 * HttpOnly cookie, tokens live in the server's `TokenStore`, the browser only ever sees its own pages. /spa is the
 * browser split (spa.ts): PKCE and the authorization URL in the page, the code exchanged by this server
 * (/monerium/exchange), the API called from the page with access tokens from /monerium/token.
 *
 *   GET /          "Connect Monerium", or the profile and balances once connected
 *   GET /connect   MoneriumClient.authorize -> pending record in a cookie -> redirect to Monerium's consent page
 *   GET /callback  MoneriumClient.handleCallback(url, pending) -> back to /, or a page explaining the error
 *
 * `start` runs it on loopback: against the Monerium test server it starts itself, or against the real sandbox
 * when MONERIUM_CLIENT_ID and MONERIUM_REDIRECT_URI are set (the redirect URI must point at this app's
 * /callback).
 */
import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { Pkce, TokenStore } from "@nordkit/core"
import { TestServer } from "@nordkit/core/testing"
import { MoneriumAuth, MoneriumClient, MoneriumServer } from "@nordkit/monerium"
import { MoneriumTestServer } from "@nordkit/monerium/testing"
import * as Config from "effect/Config"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Base64Url from "effect/encoding/Base64Url"
import type * as HttpClient from "effect/http/HttpClient"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"

const cookieName = "monerium_pending"

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!)

const page = (body: string, status = 200) =>
  HttpServerResponse.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>nordkit × Monerium</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto}td,th{padding:.25rem 1rem;text-align:left}
.error{color:#a00}</style></head><body><h1>nordkit × Monerium</h1>${body}</body></html>`
  ).pipe((response) => (status === 200 ? response : HttpServerResponse.setStatus(response, status)))

const connectButton = `<p><a id="connect" href="/connect">Connect Monerium</a></p>`

/** Explains a failed callback in words a user understands (never echoing a secret). */
const explain = (error: { readonly _tag: string; readonly message: string }): string => {
  switch (error._tag) {
    case "AuthorizationDeniedError":
      return "You declined access at Monerium, so nothing was connected."
    case "StateMismatchError":
      return "This sign-in link was already used, expired or did not come from this app. Please connect again."
    case "ReauthorizationRequiredError":
      return "Your Monerium connection has expired. Please connect again."
    default:
      return `Monerium could not be connected: ${error.message}`
  }
}

const errorPage = (error: { readonly _tag: string; readonly message: string }) =>
  page(
    `<p id="error" class="error" role="alert" data-error="${escape(error._tag)}">${escape(explain(error))}</p>${connectButton}`
  )

const readCookie = (header: string | undefined, name: string): string | undefined => {
  for (const part of (header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=")
    if (key === name) return rest.join("=")
  }
  return undefined
}

const home = (client: MoneriumClient.Service) =>
  Effect.gen(function* () {
    if (!(yield* client.isConnected)) return page(`<p>Not connected.</p>${connectButton}`)
    const context = yield* client.authContext
    const profileId = context.defaultProfile ?? context.profiles[0]?.id ?? ""
    const profile = yield* client.getProfile(profileId)
    const addresses = yield* client.listAddresses({ profile: profileId })
    const rows: Array<string> = []
    for (const address of addresses) {
      for (const chain of address.chains) {
        const balances = yield* client.getBalances({ chain, address: address.address ?? "" })
        for (const balance of balances.balances) {
          rows.push(
            `<tr><td>${escape(chain)}</td><td><code>${escape(address.address ?? "")}</code></td><td>${escape(
              (balance.currency ?? "").toUpperCase()
            )}</td><td class="amount">${escape(balance.amount ?? "")}</td></tr>`
          )
        }
      }
    }
    return page(`<p id="profile">Connected as <strong>${escape(context.name ?? context.email ?? context.userId ?? "")}</strong>
— profile <strong>${escape(profile.name ?? "")}</strong> (${escape(profile.kind ?? "")}, ${escape(profile.state ?? "unknown")})</p>
<table id="balances"><thead><tr><th>chain</th><th>address</th><th>currency</th><th>amount</th></tr></thead>
<tbody>${rows.join("")}</tbody></table>
<p><a id="disconnect" href="/disconnect">Disconnect</a></p>`)
  }).pipe(Effect.catch((error) => Effect.succeed(errorPage(error))))

/** The in-browser variant (spa.ts) bundled with esbuild, built once on first request. */
let spaBundle: Promise<string> | undefined
const bundleSpa = () => {
  spaBundle ??= import("esbuild").then(async ({ build }) => {
    const result = await build({
      entryPoints: [new URL("./spa.ts", import.meta.url).pathname],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      conditions: ["@nordkit/source"],
      write: false,
      logLevel: "error"
    })
    return result.outputFiles[0].text
  })
  return Effect.promise(() => spaBundle!)
}

const spaPage = (client: MoneriumClient.Service) =>
  HttpServerResponse.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>nordkit × Monerium (browser)</title></head>
<body data-client-id="${escape(MoneriumTestServer.defaultCodeApp.clientId)}" data-api-url="${escape(client.apiUrl)}">
<h1>nordkit × Monerium, in the browser</h1><script type="module" src="/spa.js"></script></body></html>`)

/**
 * The web app's HTTP handler. `client` runs the server-rendered flow (/connect, /callback); `spaClient` is the
 * server half of the browser flow at /spa (its redirect URI is /spa): it exchanges the code the page read and
 * hands the page access tokens, keeping the refresh token here.
 */
export const handler = (
  client: MoneriumClient.Service,
  redirectUri: string,
  spaClient?: MoneriumClient.Service,
  /** Seals the pending record in its cookie (AES-256-GCM): the browser can neither read the verifier nor alter it. */
  sealingKey?: Pkce.SealingKey
) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = new URL(request.url, redirectUri)
    switch (url.pathname) {
      case "/":
        return yield* home(client)
      case "/connect": {
        const { url: authorizeUrl, pending } = yield* Effect.orDie(client.authorize())
        const value =
          sealingKey === undefined
            ? Base64Url.encode(MoneriumAuth.encodePending(pending))
            : yield* MoneriumAuth.sealPending(pending, sealingKey)
        return HttpServerResponse.redirect(authorizeUrl, {
          status: 302,
          headers: {
            "set-cookie": `${cookieName}=${value}; HttpOnly; SameSite=Lax; Path=/; Max-Age=600`,
            "cache-control": "no-store"
          }
        })
      }
      case "/callback": {
        const clear = { "set-cookie": `${cookieName}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0` }
        const cookie = readCookie(request.headers.cookie, cookieName)
        const result = yield* Effect.gen(function* () {
          if (cookie === undefined) {
            return yield* Effect.fail({
              _tag: "StateMismatchError",
              message: "no pending authorization in this browser"
            })
          }
          const text = Base64Url.decodeString(cookie)
          const pending =
            sealingKey !== undefined
              ? yield* MoneriumAuth.openPending(cookie, sealingKey)
              : text._tag === "Success"
                ? yield* MoneriumAuth.decodePending(text.success)
                : yield* Effect.fail({ _tag: "StateMismatchError", message: "the pending authorization is unreadable" })
          return yield* client.handleCallback(url, pending)
        }).pipe(Effect.result)
        if (result._tag === "Failure") return HttpServerResponse.setHeaders(errorPage(result.failure), clear)
        return HttpServerResponse.redirect("/", { status: 303, headers: clear })
      }
      case "/spa":
        return spaPage(client)
      case "/monerium/exchange":
        return spaClient === undefined
          ? HttpServerResponse.text("Not found", { status: 404 })
          : yield* MoneriumServer.exchangeRoute(spaClient, { allowedOrigins: [url.origin] })
      case "/monerium/token":
        return spaClient === undefined
          ? HttpServerResponse.text("Not found", { status: 404 })
          : yield* MoneriumServer.accessTokenRoute(spaClient, { allowedOrigins: [url.origin] })
      case "/spa.js":
        return HttpServerResponse.text(yield* bundleSpa(), { contentType: "text/javascript" })
      case "/disconnect":
        yield* Effect.orDie(client.disconnect)
        return HttpServerResponse.redirect("/", { status: 303 })
      default:
        return HttpServerResponse.text("Not found", { status: 404 })
    }
  })

export interface Started {
  /** The web app, e.g. http://127.0.0.1:41234 */
  readonly appUrl: string
  /** The Monerium API the app talks to (the test server's URL unless configured). */
  readonly apiUrl: string
  readonly server: MoneriumTestServer.MoneriumTestServer | undefined
}

const serveOnLoopback = (
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>,
  port = 0
) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))
    return yield* TestServer.listen(app).pipe(Effect.provide(context))
  })

const configured = Config.all({
  clientId: Config.String("MONERIUM_CLIENT_ID"),
  redirectUri: Config.String("MONERIUM_REDIRECT_URI")
}).pipe(Config.option)

/**
 * Starts the web app (and, unless MONERIUM_CLIENT_ID + MONERIUM_REDIRECT_URI are set, the Monerium test server)
 * on loopback for the lifetime of the scope.
 */
export const start = (options?: {
  readonly port?: number
}): Effect.Effect<Started, unknown, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function* () {
    const env = yield* configured
    const store = TokenStore.makeMemory()
    // The app's key for the pending-authorization cookie (a deployed app reads it from its secrets).
    const sealingKey = yield* Effect.orDie(Pkce.sealingKey(globalThis.crypto.getRandomValues(new Uint8Array(32))))
    const ready = yield* Deferred.make<{
      client: MoneriumClient.Service
      redirectUri: string
      spaClient?: MoneriumClient.Service
    }>()
    const app = Effect.flatMap(Deferred.await(ready), ({ client, redirectUri, spaClient }) =>
      handler(client, redirectUri, spaClient, sealingKey)
    )
    if (Option.isSome(env)) {
      const redirect = new URL(env.value.redirectUri)
      const appUrl = yield* serveOnLoopback(app, Number(redirect.port || options?.port || 0))
      const client = yield* MoneriumClient.make({
        credentials: MoneriumClient.authorizationCode(env.value),
        environment: (yield* Config.Literals(["sandbox", "production"], "MONERIUM_ENVIRONMENT").pipe(
          Config.withDefault("sandbox")
        )) as MoneriumClient.Environment,
        apiUrl: Option.getOrUndefined(yield* Config.option(Config.String("MONERIUM_API_URL")))
      }).pipe(Effect.provideService(TokenStore.TokenStore, store))
      yield* Deferred.succeed(ready, { client, redirectUri: env.value.redirectUri })
      return { appUrl, apiUrl: client.apiUrl, server: undefined }
    }
    const appUrl = yield* serveOnLoopback(app, options?.port)
    const redirectUri = `${appUrl}/callback`
    const server = yield* MoneriumTestServer.make({
      codeApps: [{ clientId: MoneriumTestServer.defaultCodeApp.clientId, redirectUris: [redirectUri, `${appUrl}/spa`] }]
    })
    const apiUrl = yield* serveOnLoopback(server.app)
    const client = yield* MoneriumClient.make({
      apiUrl,
      credentials: MoneriumClient.authorizationCode({
        clientId: MoneriumTestServer.defaultCodeApp.clientId,
        redirectUri
      })
    }).pipe(Effect.provideService(TokenStore.TokenStore, store))
    // The browser flow's server half: same app, its own redirect URI and session key in the same store.
    const spaClient = yield* MoneriumClient.make({
      apiUrl,
      credentials: MoneriumClient.authorizationCode({
        clientId: MoneriumTestServer.defaultCodeApp.clientId,
        redirectUri: `${appUrl}/spa`,
        sessionKey: "spa"
      })
    }).pipe(Effect.provideService(TokenStore.TokenStore, store))
    yield* Deferred.succeed(ready, { client, redirectUri, spaClient })
    return { appUrl, apiUrl, server }
  })
