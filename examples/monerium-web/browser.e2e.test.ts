/**
 * Real-browser end-to-end test of the Monerium code flow: Debian's Chromium (headless, driven by playwright-core)
 * against the example web app and the Monerium test server, both on loopback. Needs /usr/bin/chromium
 * (`apt-get install -y chromium`, which `./nk test` does when it can). Without it the test reports itself
 * skipped and says why — except in CI (`CI` set), where a missing browser is a failure, not a silent skip.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { type BrowserContext, chromium } from "playwright-core"
import { start } from "./app.ts"

const executablePath = "/usr/bin/chromium"
const available = existsSync(executablePath)

/** A fresh headless Chromium with an empty profile, closed (and its profile deleted) with the scope. */
const browser = Effect.acquireRelease(
  Effect.promise(async () => {
    const userDataDir = mkdtempSync(join(tmpdir(), "nordkit-chromium-"))
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync"
      ]
    })
    return { context, userDataDir }
  }),
  ({ context, userDataDir }) =>
    Effect.promise(async () => {
      await context.close()
      rmSync(userDataDir, { recursive: true, force: true })
    })
)

const withBrowser = <A>(f: (context: BrowserContext) => Promise<A>) =>
  Effect.flatMap(browser, ({ context }) => Effect.promise(() => f(context)))

describe.skipIf(!available)("Monerium code flow in a real browser (Chromium)", () => {
  it.live("Connect -> Approve on the consent page -> the app shows the profile and balances", () =>
    Effect.gen(function* () {
      const app = yield* start()
      const server = app.server!
      const seen = yield* withBrowser(async (context) => {
        const page = await context.newPage()
        const visited: Array<string> = []
        page.on("request", (request) => {
          if (request.isNavigationRequest()) visited.push(request.url())
        })
        await page.goto(app.appUrl)
        await page.click("#connect")
        await page.waitForSelector("#approve")
        const consentUrl = page.url()
        const pendingCookie = (await context.cookies()).find((c) => c.name === "monerium_pending")?.value ?? ""
        await page.click("#approve")
        await page.waitForSelector("#balances")
        const profile = await page.textContent("#profile")
        const amounts = await page.$$eval("#balances .amount", (cells) => cells.map((c) => c.textContent))
        const table = await page.textContent("#balances")
        // Replaying the callback URL (back button, a leaked link): refused, nothing exchanged again.
        const callback = visited.find((url) => url.includes("/callback?"))!
        await page.goto(callback)
        await page.waitForSelector("#error")
        const replay = await page.getAttribute("#error", "data-error")
        // The session is kept server side: reloading the home page still shows the balances.
        await page.goto(app.appUrl)
        await page.waitForSelector("#balances")
        return { profile, amounts, table, consentUrl, callback, replay, pendingCookie }
      })
      assert.isTrue(seen.consentUrl.startsWith(`${app.apiUrl}/auth?`), seen.consentUrl)
      assert.include(seen.profile ?? "", "Anna Jónsdóttir")
      assert.deepStrictEqual(seen.amounts, ["1234.56", "150000", "0.10", "42.00"])
      assert.include(seen.table ?? "", "EUR")
      assert.include(seen.callback, "code=")
      assert.strictEqual(seen.replay, "StateMismatchError")
      // The pending record (it holds the PKCE verifier) travelled sealed: AES-256-GCM, unreadable by the browser.
      assert.match(seen.pendingCookie, /^nk1\./)
      const verifier = new URLSearchParams((yield* server.grantsOf("authorization_code"))[0].body).get("code_verifier")!
      assert.notInclude(seen.pendingCookie, verifier)
      const exchanges = yield* server.grantsOf("authorization_code")
      assert.strictEqual(exchanges.length, 1, "the code was exchanged exactly once")
      const form = new URLSearchParams(exchanges[0].body)
      assert.strictEqual(form.get("redirect_uri"), `${app.appUrl}/callback`)
      assert.match(form.get("code_verifier") ?? "", /^[A-Za-z0-9_-]{43}$/)
      // The browser never saw a token: only the server called the API.
      const api = (yield* server.requests).filter((r) => r.path.startsWith("/balances"))
      assert.isAbove(api.length, 0)
      for (const r of api) assert.isUndefined(r.headers.cookie)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )

  it.live("browser split: PKCE and URL in the page, code exchanged on the app's server, API called from the page", () =>
    Effect.gen(function* () {
      const app = yield* start()
      const server = app.server!
      const seen = yield* withBrowser(async (context) => {
        const page = await context.newPage()
        const errors: Array<string> = []
        page.on("pageerror", (error) => errors.push(error.message))
        await page.goto(`${app.appUrl}/spa`)
        await page.click("#connect")
        await page.click("#approve")
        await page.waitForSelector("#balances, #error")
        const error = await page.$("#error")
        const balances = await page.$("#balances")
        // What Monerium's token endpoint does with a cross-origin request from the page: no CORS, refused.
        const direct = await page.evaluate(async (tokenUrl) => {
          try {
            const response = await fetch(tokenUrl, {
              method: "POST",
              headers: { "content-type": "application/x-www-form-urlencoded" },
              body: "grant_type=refresh_token&client_id=nordkit-code-app&refresh_token=stolen"
            })
            return `read ${response.status}`
          } catch (e) {
            return `blocked ${(e as Error).name}`
          }
        }, `${app.apiUrl}/auth/token`)
        return {
          balances: balances === null ? null : await balances.textContent(),
          error: error === null ? null : await error.textContent(),
          url: page.url(),
          direct,
          errors
        }
      })
      assert.deepStrictEqual(seen.errors, [])
      assert.isNull(seen.error)
      assert.strictEqual(seen.url, `${app.appUrl}/spa`, "the code and state were removed from the address bar")
      assert.include(seen.balances ?? "", "ethereum eur 1234.56")
      // The page could not read an answer from the token endpoint.
      assert.strictEqual(seen.direct, "blocked TypeError")
      const tokenRequests = yield* server.tokenRequests
      const fromPage = tokenRequests.filter((r) => r.headers.origin !== undefined)
      assert.strictEqual(fromPage.length, 1, "only the probe came from the page, and it was refused")
      // The code was exchanged by the app's server (no Origin: not a browser), with the page's PKCE verifier.
      const exchanges = yield* server.grantsOf("authorization_code")
      assert.strictEqual(exchanges.length, 1)
      assert.isUndefined(exchanges[0].headers.origin)
      const form = new URLSearchParams(exchanges[0].body)
      assert.strictEqual(form.get("redirect_uri"), `${app.appUrl}/spa`)
      assert.match(form.get("code_verifier") ?? "", /^[A-Za-z0-9_-]{43,128}$/)
      // The API calls came from the page (cross-origin, through CORS), with the access token the server handed out.
      const api = (yield* server.requests).filter((r) => r.path.startsWith("/balances"))
      assert.isAbove(api.length, 0)
      for (const r of api) assert.strictEqual(r.headers.origin, app.appUrl)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )

  it.live("Connect -> Deny shows a clear error and connects nothing", () =>
    Effect.gen(function* () {
      const app = yield* start()
      const server = app.server!
      const seen = yield* withBrowser(async (context) => {
        const page = await context.newPage()
        await page.goto(app.appUrl)
        await page.click("#connect")
        await page.click("#deny")
        await page.waitForSelector("#error")
        return {
          tag: await page.getAttribute("#error", "data-error"),
          text: await page.textContent("#error"),
          connectAgain: await page.isVisible("#connect")
        }
      })
      assert.strictEqual(seen.tag, "AuthorizationDeniedError")
      assert.strictEqual(seen.text, "You declined access at Monerium, so nothing was connected.")
      assert.isTrue(seen.connectAgain)
      assert.strictEqual((yield* server.tokenRequests).length, 0)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici))
  )
})

if (!available) {
  describe("Monerium code flow in a real browser (Chromium)", () => {
    if (process.env.CI) {
      it("Chromium is installed in CI (.ci/run -> ./nk test installs Debian's chromium)", () => {
        assert.fail(`${executablePath} is missing: the browser end-to-end test cannot run`)
      })
    } else {
      it.skip("skipped: /usr/bin/chromium is missing — install Debian's chromium (apt-get install -y chromium)", () => {})
    }
  })
}
