/**
 * Packed-install smoke test: `pnpm pack` every package, then for each provider create an empty project that
 * depends only on that provider's tarball, @nordkit/core's tarball, `effect` and `@effect/platform-node`, and run
 * the provider's demo flow there (its test server on loopback: token, calls, typed results) from the built dist/.
 * Proves that per-provider install works outside the workspace: exports map, dist/, `effect` as a peer.
 *
 * Each installed package must also resolve both of its entries from the tarball: the main entry (which exports no
 * test server, `TestServer` or `Canary`) and `<package>/testing` (which does). `@nordkit/core` is checked in a
 * project of its own, installed alone.
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

/** Imports a package's main and `testing` entries from an installed project and checks what each exports. */
const entries = `const name = process.argv[2]
const main = await import(name)
const testing = await import(name + "/testing")
const isTestTool = (key) => /TestServer$/.test(key) || key === "Canary"
const leaked = Object.keys(main).filter(isTestTool)
if (leaked.length > 0) throw new Error(name + ": the main entry exports test tools: " + leaked.join(", "))
const tools = Object.keys(testing).filter(isTestTool)
if (tools.length === 0) throw new Error(name + "/testing exports no test server")
console.log(name + ": main entry (" + Object.keys(main).length + " modules, no test tools); " + name + "/testing: " + tools.join(", "))
`

// The flow runs on core's undici transport, resolved from core's tarball like everything else.
const runner = `import * as UndiciClient from "@nordkit/core/UndiciClient"
import * as Effect from "effect/Effect"
const { flow } = await import("./flow.ts")
await Effect.runPromise(flow.pipe(Effect.scoped, Effect.provide(UndiciClient.layer)))
`

try {
  for (const name of ["core", ...providers])
    run("pnpm", ["pack", "--pack-destination", packs], join(root, "packages", name))
  const tarballs = readdirSync(packs)
  const tarball = (name: string) => `file:${join(packs, tarballs.find((f) => f.startsWith(`nordkit-${name}-`))!)}`

  const coreApp = join(work, "core")
  mkdirSync(coreApp)
  writeFileSync(
    join(coreApp, "package.json"),
    JSON.stringify({
      name: "smoke-core",
      private: true,
      type: "module",
      dependencies: { "@nordkit/core": tarball("core"), effect: rootPkg.devDependencies.effect }
    })
  )
  writeFileSync(join(coreApp, "entries.mjs"), entries)
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefer-offline"], coreApp)
  process.stdout.write(`smoke: ${run("node", ["entries.mjs", "@nordkit/core"], coreApp, env).trim()}\n`)
  const coreTesting = run(
    "node",
    [
      "--input-type=module",
      "-e",
      'const t = await import("@nordkit/core/testing"); console.log(Object.keys(t).sort().join(","))'
    ],
    coreApp,
    env
  ).trim()
  if (coreTesting !== "Canary,MemoryStorage,TestServer") throw new Error(`@nordkit/core/testing exports ${coreTesting}`)
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
    writeFileSync(join(app, "entries.mjs"), entries)
    run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefer-offline"], app)
    const installed = readdirSync(join(app, "node_modules", "@nordkit")).sort()
    if (installed.join(",") !== ["core", provider].sort().join(",")) {
      throw new Error(`${provider}: expected only core and ${provider}, got ${installed.join(", ")}`)
    }
    process.stdout.write(`smoke: ${run("node", ["entries.mjs", `@nordkit/${provider}`], app, env).trim()}\n`)
    const output = run("node", ["main.mjs"], app, env)
    const lines = output.trim().split("\n")
    if (lines.some((line) => /FAILED/.test(line))) throw new Error(`${provider} flow failed:\n${output}`)
    process.stdout.write(
      `smoke: @nordkit/${provider} installed alone from its tarball (+ core, effect, platform-node); its demo flow ran on core's UndiciClient: ${lines
        .at(-1)
        ?.trim()}\n`
    )
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
