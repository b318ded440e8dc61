/**
 * Packed-install smoke test: `pnpm pack` @nordkit/core and @nordkit/dintero, install the tarballs into an
 * empty temporary project that has only `effect` and `@effect/platform-node` besides them, and run a script
 * there that gets a token from the Dintero test server on loopback. Proves per-provider install works outside
 * the workspace (exports map, dist/, peer dependency on effect).
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

const root = resolve(import.meta.dirname, "..")
const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const work = mkdtempSync(join(tmpdir(), "nordkit-smoke-"))
const packs = join(work, "packs")
mkdirSync(packs)
const run = (cmd: string, args: Array<string>, cwd: string) =>
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" })

try {
  for (const name of ["core", "dintero"])
    run("pnpm", ["pack", "--pack-destination", packs], join(root, "packages", name))
  const tarballs = readdirSync(packs)
  const tarball = (name: string) => `file:${join(packs, tarballs.find((f) => f.startsWith(`nordkit-${name}-`))!)}`
  const app = join(work, "app")
  mkdirSync(app)
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({
      name: "smoke-app",
      private: true,
      type: "module",
      dependencies: {
        "@nordkit/core": tarball("core"),
        "@nordkit/dintero": tarball("dintero"),
        effect: rootPkg.devDependencies.effect,
        "@effect/platform-node": rootPkg.devDependencies["@effect/platform-node"]
      }
    })
  )
  writeFileSync(
    join(app, "main.mjs"),
    `import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { DinteroClient, DinteroTestServer } from "@nordkit/dintero"
import { Effect, Redacted } from "effect"
import { createServer } from "node:http"

const program = Effect.gen(function*() {
  const server = yield* DinteroTestServer.make()
  const url = yield* DinteroTestServer.listen(server)
  const account = DinteroTestServer.defaultAccount
  const client = yield* DinteroClient.make({
    accountId: account.accountId, clientId: account.clientId, clientSecret: Redacted.make(account.clientSecret),
    apiUrl: url, checkoutUrl: url
  })
  const token = yield* client.accessToken
  const requests = (yield* server.tokenRequests).length
  if (requests !== 1 || String(token.value) !== "<redacted>") throw new Error("unexpected token state")
  console.log("smoke: got a token from the Dintero test server (" + requests + " token request, value " + String(token.value) + ")")
}).pipe(
  Effect.scoped,
  Effect.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
  Effect.provide(NodeHttpClient.layerUndici)
)
Effect.runPromise(program).catch((e) => { console.error(e); process.exit(1) })
`
  )
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefer-offline"], app)
  const installed = readdirSync(join(app, "node_modules", "@nordkit"))
  process.stdout.write(`smoke: installed ${installed.map((n) => `@nordkit/${n}`).join(", ")} from tarballs\n`)
  process.stdout.write(run("node", ["main.mjs"], app))
} finally {
  rmSync(work, { recursive: true, force: true })
}
