/**
 * Measures the browser half of the split code flow — spa.ts, exactly as app.ts serves it — bundled by esbuild
 * (minified ESM for browsers, gzip -9), and checks that it carries no token-endpoint code:
 * `./nk node --conditions=@nordkit/source examples/monerium-web/measure-bundle.ts`
 */
import { gzipSync } from "node:zlib"
import { build } from "esbuild"

const result = await build({
  entryPoints: [new URL("./spa.ts", import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  conditions: ["@nordkit/source"],
  write: false,
  logLevel: "error",
  metafile: true
})
const text = result.outputFiles[0].text
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`
console.log(`spa.ts bundle: ${kib(text.length)} minified, ${kib(gzipSync(text, { level: 9 }).length)} min+gzip`)
console.log(`token endpoint code in the bundle: ${text.includes("/auth/token") || text.includes("grant_type")}`)
const output = Object.values(result.metafile.outputs)[0]
const nordkit = Object.entries(output.inputs).filter(([path]) => path.includes("packages/"))
const own = nordkit.reduce((sum, [, input]) => sum + input.bytesInOutput, 0)
console.log(`nordkit's own code: ${kib(own)} minified (${nordkit.length} modules); the rest is effect`)
