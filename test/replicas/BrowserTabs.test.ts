/**
 * Two Chromium tabs of one origin, tokens in localStorage, refreshing a rotating Monerium grant at the same
 * moment: with `WebLocks.layer` no refresh token is presented twice and no tab is logged out. Needs
 * /usr/bin/chromium (`./nk test` installs it as root); skipped without it, except in CI.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type BrowserContext, chromium, type Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Served, serve } from "./harness.ts"
import * as Servers from "./servers.ts"

const executablePath = "/usr/bin/chromium"
// More rounds for a stress run: NK_TAB_ROUNDS=100.
const rounds = Number(process.env.NK_TAB_ROUNDS ?? 10)
const available = existsSync(executablePath) || process.env.CI !== undefined

describe.skipIf(!available)("browser tabs: one Monerium grant in localStorage, Web Locks", () => {
  let served: Served<any>
  let app: Server
  let appUrl: string
  let context: BrowserContext
  let userDataDir: string

  const bundle = async () => {
    const { build } = await import("esbuild")
    const result = await build({
      entryPoints: [new URL("./tab.ts", import.meta.url).pathname],
      bundle: true,
      format: "esm",
      platform: "browser",
      conditions: ["@nordkit/source"],
      write: false,
      logLevel: "error"
    })
    return result.outputFiles[0].text
  }

  /**
   * The app's same-origin relay to the token server (Monerium's token endpoint refuses browsers; an app that
   * keeps a rotating grant in the browser reaches its token endpoint through its own origin like this).
   */
  const relay = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Array<Buffer> = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string" && !["origin", "host", "referer", "connection"].includes(name)) {
        headers[name] = value
      }
    }
    // The page's `?tab=` (from its same-origin Referer) travels to the test server's log as `x-tab`.
    const tab = /[?&]tab=(\w+)/.exec(request.headers.referer ?? "")?.[1] ?? ""
    const answer = await fetch(`${served.url}${request.url!.slice("/monerium".length)}`, {
      method: request.method ?? "GET",
      headers: { ...headers, "x-tab": tab },
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {})
    })
    response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "text/plain" })
    response.end(Buffer.from(await answer.arrayBuffer()))
  }

  beforeAll(async () => {
    const script = await bundle()
    app = createServer((request, response) => {
      if (request.url?.startsWith("/monerium/")) {
        void relay(request, response)
        return
      }
      if (request.url === "/tab.js") {
        response.writeHead(200, { "content-type": "text/javascript" })
        response.end(script)
        return
      }
      const coordinated = request.url?.includes("uncoordinated") ? "no" : "yes"
      response.writeHead(200, { "content-type": "text/html" })
      response.end(`<!doctype html><html><head><meta charset="utf-8"></head>
<body data-client-id="${clientId}" data-api-url="${appUrl}/monerium" data-redirect-uri="${appUrl}/callback" data-coordinated="${coordinated}">
<script type="module" src="/tab.js"></script></body></html>`)
    })
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve))
    const address = app.address()
    appUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`
    const MoneriumTestServer = await Servers.monerium()
    clientId = MoneriumTestServer.defaultCodeApp.clientId
    served = await serve(MoneriumTestServer.make({ codeApps: [{ clientId, redirectUris: [`${appUrl}/callback`] }] }))
    userDataDir = mkdtempSync(join(tmpdir(), "nordkit-tabs-"))
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync"
      ]
    })
  }, 120_000)
  let clientId = ""

  afterAll(async () => {
    await context?.close()
    if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true })
    await served?.close()
    await new Promise((resolve) => app?.close(resolve))
  })

  const open = async (path = "/") => {
    const page = await context.newPage()
    await page.goto(`${appUrl}${path}`)
    await page.waitForSelector("body[data-ready=yes]", { state: "attached", timeout: 15_000 })
    return page
  }
  const nk = (page: Page, expression: string, ...args: Array<unknown>) =>
    page.evaluate(([expression, args]) => (window as any).nk[expression as string](...(args as Array<unknown>)), [
      expression,
      args
    ] as const)

  const login = async (page: Page) => {
    const { url, pending } = (await nk(page, "authorize")) as { url: string; pending: string }
    const callback = await served.run(served.server.approve(url))
    expect(await nk(page, "callback", callback, pending)).toBe(true)
  }

  it("two tabs × 10 rounds of simultaneous refreshes after expiry: 0 refresh tokens presented twice, 0 logouts", async () => {
    const [a, b] = [await open("/?tab=a"), await open("/?tab=b")]
    await login(a)
    const errors: Array<string> = []
    for (let round = 0; round < rounds; round++) {
      await Promise.all([nk(a, "advance", 3_700_000), nk(b, "advance", 3_700_000)])
      const replies = (await Promise.all([nk(a, "tokens", 5), nk(b, "tokens", 5)])) as Array<{
        ok: number
        errors: Array<string>
      }>
      for (const reply of replies) errors.push(...reply.errors.map((error) => `round ${round}: ${error}`))
    }
    const uses = (await served.run(served.server.refreshUses)) as Map<string, number>
    if (errors.length > 0) {
      const log = (await served.run(served.server.tokenRequests)) as Array<{
        body: string
        status: number
        at: number
        headers: Record<string, string>
      }>
      for (const r of log) {
        const form = new URLSearchParams(r.body)
        console.log(
          r.at,
          r.headers["x-tab"],
          form.get("grant_type"),
          (form.get("refresh_token") ?? "").slice(0, 8),
          r.status
        )
      }
    }
    const refreshes = (await served.run(served.server.grantsOf("refresh_token"))) as Array<unknown>
    expect(errors).toEqual([])
    expect([...uses.values()].filter((count) => count > 1)).toEqual([])
    expect(await served.run(served.server.reuseDetections)).toBe(0)
    // One refresh per round: the second tab took the first one's token.
    expect(refreshes.length).toBe(rounds)
    await a.close()
    await b.close()
  })

  it("control: the same two tabs without WebLocks.layer present one refresh token twice and are logged out", async () => {
    const [c, d] = [await open("/?tab=c&uncoordinated"), await open("/?tab=d&uncoordinated")]
    await login(c)
    const detectionsBefore = (await served.run(served.server.reuseDetections)) as number
    await Promise.all([nk(c, "advance", 3_700_000 * (rounds + 1)), nk(d, "advance", 3_700_000 * (rounds + 1))])
    // A slow token endpoint, so both tabs' refreshes are in flight at once (the race the lock closes).
    await served.run(served.server.setLatency(300))
    const replies = (await Promise.all([nk(c, "tokens", 5), nk(d, "tokens", 5)])) as Array<{ errors: Array<string> }>
    await served.run(served.server.setLatency(0))
    expect((await served.run(served.server.reuseDetections)) as number).toBeGreaterThan(detectionsBefore)
    expect(
      replies.flatMap((reply) => reply.errors).some((error) => error.startsWith("ReauthorizationRequiredError"))
    ).toBe(true)
    await c.close()
    await d.close()
  })
})
