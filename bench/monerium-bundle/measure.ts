/**
 * Bundle bench, one command: `./nk pnpm run bench:bundle`.
 *
 * The browser half of the Monerium code flow (flow.ts) bundled for the browser, minified, then gzip -9:
 * - with the app importing nordkit's main entry (`@nordkit/monerium`) and one module per import;
 * - the floor: an app with Effect + HttpClient (fetch) + Schema and no nordkit (floor.ts), so the difference is
 *   what nordkit adds to an app that already ships Effect;
 * - @monerium/sdk 3.5.0 doing the same flow (sdk-flow.js);
 * each with esbuild and with rolldown (both pinned in the root package.json). The esbuild metafile shows which
 * packages the bytes come from (`--metafile` below writes it for a closer look).
 *
 * Run: ./nk pnpm run bench:bundle        (add `-- --metafile` to write the esbuild metafiles to the temp dir and
 * list the input files that the main-entry bundle holds beyond the floor, largest first)
 */
import { readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"
import { build, type Metafile, type Plugin } from "esbuild"
import { rolldown } from "rolldown"

const here = dirname(fileURLToPath(import.meta.url))
const writeMetafile = process.argv.includes("--metafile")
const conditions = ["@nordkit/source"]

interface Entry {
  readonly name: string
  readonly file: string
  /** Rewrite flow.ts's `import { A, B } from "@nordkit/monerium"` to `import * as A from "@nordkit/monerium/A"`. */
  readonly perModule?: boolean
}
const entries: ReadonlyArray<Entry> = [
  { name: "nordkit, main entry (`@nordkit/monerium`)", file: "flow.ts" },
  { name: "nordkit, one module per import", file: "flow.ts", perModule: true },
  { name: "floor: Effect + HttpClient + Schema, no nordkit", file: "floor.ts" },
  { name: "`@monerium/sdk` 3.5.0", file: "sdk-flow.js" }
]

const flowTs = join(here, "flow.ts")
const barrelImport = /import \{([^}]*)\} from "(@nordkit\/[a-z]+)"/g
const perModuleSource = () =>
  readFileSync(flowTs, "utf8").replace(barrelImport, (_, names: string, pkg: string) =>
    names
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== "")
      .map((name) => `import * as ${name} from "${pkg}/${name}"`)
      .join("\n")
  )

const esbuildPerModule: Plugin = {
  name: "per-module-imports",
  setup(b) {
    b.onLoad({ filter: /flow\.ts$/ }, () => ({ contents: perModuleSource(), loader: "ts", resolveDir: here }))
  }
}

const esbuildBundle = async (entry: Entry) => {
  const result = await build({
    entryPoints: [join(here, entry.file)],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    legalComments: "none",
    logLevel: "error",
    conditions,
    plugins: entry.perModule ? [esbuildPerModule] : []
  })
  return { code: result.outputFiles[0].contents, metafile: result.metafile }
}

const rolldownBundle = async (entry: Entry) => {
  const bundle = await rolldown({
    input: join(here, entry.file),
    platform: "browser",
    logLevel: "silent",
    resolve: { conditionNames: [...conditions, "browser", "module", "import", "default"] },
    plugins: entry.perModule
      ? [{ name: "per-module-imports", load: (id) => (id === flowTs ? perModuleSource() : null) }]
      : []
  })
  const { output } = await bundle.generate({ format: "esm", minify: true, codeSplitting: false })
  await bundle.close()
  return { code: new TextEncoder().encode(output[0].code) }
}

const shares = (metafile: Metafile) => {
  const output = Object.values(metafile.outputs)[0]
  const groups = new Map<string, number>()
  for (const [input, info] of Object.entries(output.inputs)) {
    const group =
      /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ??
      /packages\/([^/]+)\//.exec(input)?.[1]?.replace(/^/, "@nordkit/") ??
      "app"
    groups.set(group, (groups.get(group) ?? 0) + info.bytesInOutput)
  }
  return [...groups.entries()].sort((a, b) => b[1] - a[1])
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
const sizes = (code: Uint8Array) => ({ min: code.length, gzip: gzipSync(code, { level: 9 }).length })

/** Minified bytes of each input file in the bundle, keyed by its path under node_modules or the repository. */
const inputs = (metafile: Metafile) =>
  new Map(
    Object.entries(Object.values(metafile.outputs)[0].inputs).map(([input, info]) => [
      input.replace(/.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, ""),
      info.bytesInOutput
    ])
  )

const results: Array<{ entry: Entry; esbuild: ReturnType<typeof sizes>; rolldown: ReturnType<typeof sizes> }> = []
const breakdown: Array<[string, Array<[string, number]>]> = []
const metafiles: Array<Metafile> = []
for (const entry of entries) {
  const e = await esbuildBundle(entry)
  const r = await rolldownBundle(entry)
  results.push({ entry, esbuild: sizes(e.code), rolldown: sizes(r.code) })
  breakdown.push([entry.name, shares(e.metafile)])
  metafiles.push(e.metafile)
  if (writeMetafile) {
    const file = join(
      tmpdir(),
      `nordkit-bundle-${entry.file.replace(/\.[jt]s$/, "")}${entry.perModule ? "-modules" : ""}.meta.json`
    )
    writeFileSync(file, JSON.stringify(e.metafile))
    console.log(`metafile: ${file}`)
  }
}

const esbuildVersion = (await import("esbuild")).version
const rolldownVersion = (await import("rolldown")).VERSION
console.log(
  `Monerium code flow (browser half), minified ESM for the browser, gzip -9; esbuild ${esbuildVersion}, rolldown ${rolldownVersion}\n`
)
console.log("| bundle | esbuild min | esbuild min+gzip | rolldown min | rolldown min+gzip |")
console.log("|---|---:|---:|---:|---:|")
for (const { entry, esbuild, rolldown } of results) {
  console.log(
    `| ${entry.name} | ${kib(esbuild.min)} | ${kib(esbuild.gzip)} | ${kib(rolldown.min)} | ${kib(rolldown.gzip)} |`
  )
}
const [barrel, modules, floor] = results
console.log(
  `\nesbuild, main entry: ${barrel.esbuild.gzip} bytes min+gzip (issue 8's goal: ≤ 60 KiB = 61,440 bytes); one module per import: ${modules.esbuild.gzip} bytes`
)
const added = (r: (typeof results)[number], bundler: "esbuild" | "rolldown") =>
  `${kib(r[bundler].gzip - floor[bundler].gzip)} (${kib(r[bundler].min - floor[bundler].min)} min)`
console.log(
  `\nnordkit added to an app that already ships Effect + HttpClient + Schema (bundle minus floor, min+gzip):` +
    `\n  esbuild:  main entry ${added(barrel, "esbuild")}, per module ${added(modules, "esbuild")}` +
    `\n  rolldown: main entry ${added(barrel, "rolldown")}, per module ${added(modules, "rolldown")}`
)
for (const [name, groups] of breakdown) {
  console.log(`\n${name}, esbuild minified bytes by package:`)
  for (const [group, bytes] of groups.slice(0, 6)) console.log(`  ${group.padEnd(22)} ${kib(bytes)}`)
}
if (writeMetafile) {
  const floorInputs = inputs(metafiles[2])
  const beyond = [...inputs(metafiles[0])]
    .map(([input, bytes]): [string, number] => [input, bytes - (floorInputs.get(input) ?? 0)])
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1])
  console.log(`\n${entries[0].name} beyond the floor, esbuild minified bytes by input file:`)
  for (const [input, bytes] of beyond.slice(0, 30)) console.log(`  ${String(bytes).padStart(6)}  ${input}`)
}
