/**
 * Measures the browser bundle of the Monerium code flow: @nordkit/monerium (effect included) against
 * @monerium/sdk@3.5.0 doing the same flow (authorize -> callback -> profile -> balances), both bundled by
 * esbuild with `--bundle --minify --format=esm --platform=browser`, then gzip -9.
 *
 * Run: ./nk node bench/monerium-bundle/measure.ts
 * The SDK is installed pinned into a temporary directory (npm registry) the first time; nothing in the repo changes.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { build, type Metafile } from "esbuild"

const here = dirname(fileURLToPath(import.meta.url))
const sdkVersion = "3.5.0"
const sdkDir = join(tmpdir(), `nordkit-monerium-sdk-${sdkVersion}`)

const sdkEntry = `
import { MoneriumClient } from "@monerium/sdk"

const monerium = new MoneriumClient({
  environment: "sandbox",
  clientId: "your-client-id",
  redirectUri: window.location.origin + "/"
})

async function main() {
  // Exchanges ?code (verifier from localStorage) or does nothing; the SDK keeps no refresh logic of its own.
  await monerium.getAccess()
  if (!monerium.isAuthorized) {
    const button = document.createElement("button")
    button.textContent = "Connect Monerium"
    button.onclick = () => monerium.authorize()
    document.body.append(button)
    return
  }
  const context = await monerium.getAuthContext()
  const { addresses } = await monerium.getAddresses({ profile: context.defaultProfile })
  const lines = [String(context.name)]
  for (const address of addresses) {
    const balances = await monerium.getBalances(address.address, address.chains[0])
    for (const b of balances.balances) lines.push(address.chains[0] + " " + b.amount + " " + b.currency)
  }
  document.body.append(lines.join("\\n"))
}
main().catch((error) => document.body.append(String(error)))
`

if (!existsSync(join(sdkDir, "node_modules", "@monerium", "sdk", "package.json"))) {
  mkdirSync(sdkDir, { recursive: true })
  execFileSync(
    "npm",
    [
      "install",
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      "--prefix",
      sdkDir,
      `@monerium/sdk@${sdkVersion}`
    ],
    { stdio: "inherit" }
  )
}
writeFileSync(join(sdkDir, "entry.js"), sdkEntry)

interface Measured {
  readonly name: string
  readonly minified: number
  readonly gzipped: number
  readonly shares: Array<[string, number]>
}

const measure = async (name: string, entry: string, options: { conditions?: Array<string> } = {}) => {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    legalComments: "none",
    logLevel: "error",
    ...(options.conditions ? { conditions: options.conditions } : {})
  })
  const code = result.outputFiles[0].contents
  const metafile: Metafile = result.metafile
  const output = Object.values(metafile.outputs)[0]
  const shares = new Map<string, number>()
  for (const [input, info] of Object.entries(output.inputs)) {
    const group =
      /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ??
      (input.includes("packages/core/")
        ? "@nordkit/core"
        : input.includes("packages/monerium/")
          ? "@nordkit/monerium"
          : "app")
    shares.set(group, (shares.get(group) ?? 0) + info.bytesInOutput)
  }
  return {
    name,
    minified: code.length,
    gzipped: gzipSync(code, { level: 9 }).length,
    shares: [...shares.entries()].sort((a, b) => b[1] - a[1])
  } satisfies Measured
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

const results = [
  await measure("@nordkit/monerium + effect", join(here, "entry.ts"), { conditions: ["@nordkit/source"] }),
  await measure(`@monerium/sdk@${sdkVersion}`, join(sdkDir, "entry.js"))
]
console.log("Monerium code flow, browser bundle (esbuild --bundle --minify --format=esm --platform=browser; gzip -9)\n")
console.log("| bundle | minified | min + gzip |")
console.log("|---|---:|---:|")
for (const r of results) console.log(`| ${r.name} | ${kb(r.minified)} | ${kb(r.gzipped)} |`)
for (const r of results) {
  console.log(`\n${r.name}, minified bytes by package:`)
  for (const [group, bytes] of r.shares.slice(0, 6)) console.log(`  ${group.padEnd(22)} ${kb(bytes)}`)
}
