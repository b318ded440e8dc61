/**
 * Packed-install smoke test: `pnpm pack` every package, then for each provider create an empty project that
 * depends only on that provider's tarball, @nordkit/core's tarball, `effect` and `@effect/platform-node`, and run
 * the provider's demo flow there (its test server on loopback: token, calls, typed results) from the built dist/.
 * Proves that per-provider install works outside the workspace: exports map, dist/, `effect` as a peer.
 */
import { execFileSync } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

const root = resolve(import.meta.dirname, "..")
const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
const providers = ["dintero", "dinero", "monerium", "netgiro"]
const work = mkdtempSync(join(tmpdir(), "nordkit-smoke-"))
const packs = join(work, "packs")
mkdirSync(packs)
const run = (cmd: string, args: Array<string>, cwd: string, env?: NodeJS.ProcessEnv) =>
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", env: env ?? process.env })

// The flows fall back to their test servers only when the provider's variables are absent.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(DINERO|DINTERO|MONERIUM|NETGIRO)_/.test(key))
)

const runner = `import { NodeHttpClient } from "@effect/platform-node"
import * as Effect from "effect/Effect"
const { flow } = await import("./flow.ts")
await Effect.runPromise(flow.pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici)))
`

try {
  for (const name of ["core", ...providers])
    run("pnpm", ["pack", "--pack-destination", packs], join(root, "packages", name))
  const tarballs = readdirSync(packs)
  const tarball = (name: string) => `file:${join(packs, tarballs.find((f) => f.startsWith(`nordkit-${name}-`))!)}`
  for (const provider of providers) {
    const app = join(work, provider)
    mkdirSync(app)
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({
        name: `smoke-${provider}`,
        private: true,
        type: "module",
        dependencies: {
          "@nordkit/core": tarball("core"),
          [`@nordkit/${provider}`]: tarball(provider),
          effect: rootPkg.devDependencies.effect,
          "@effect/platform-node": rootPkg.devDependencies["@effect/platform-node"]
        }
      })
    )
    copyFileSync(join(root, "examples", "flows", `${provider}.ts`), join(app, "flow.ts"))
    writeFileSync(join(app, "main.mjs"), runner)
    run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefer-offline"], app)
    const installed = readdirSync(join(app, "node_modules", "@nordkit")).sort()
    if (installed.join(",") !== ["core", provider].sort().join(",")) {
      throw new Error(`${provider}: expected only core and ${provider}, got ${installed.join(", ")}`)
    }
    const output = run("node", ["main.mjs"], app, env)
    const lines = output.trim().split("\n")
    if (lines.some((line) => /FAILED/.test(line))) throw new Error(`${provider} flow failed:\n${output}`)
    process.stdout.write(
      `smoke: @nordkit/${provider} installed alone from its tarball (+ core, effect, platform-node); its demo flow ran: ${lines
        .at(-1)
        ?.trim()}\n`
    )
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
