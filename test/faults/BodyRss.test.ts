/**
 * A 200 MB body read through the pipeline raises peak RSS by the body cap plus a constant (stream garbage the GC
 * has not collected yet: about 14 MiB on a quiet machine, more under load), not by the
 * body size (measured in a child process by `body-rss.ts`, which also prints the numbers for the README).
 */
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"

const script = fileURLToPath(new URL("./body-rss.ts", import.meta.url))
const MiB = 1024 * 1024

const measure = (framing: string, transport: string) =>
  JSON.parse(
    execFileSync(process.execPath, ["--conditions=@nordkit/source", script, "nordkit", framing], {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, NORDKIT_RSS_TRANSPORT: transport }
    })
  ) as { capBytes: number; increaseMiB: number; outcome: string; bodyMiB: number }

describe("peak memory for a 200 MB body", () => {
  for (const [framing, transport] of [
    ["chunked", "layerUndici"],
    ["announced", "layerUndici"],
    ["chunked", "UndiciClient"],
    ["announced", "UndiciClient"]
  ] as const) {
    it(`${framing}, ${transport}: refused at the 8 MiB default cap; peak RSS grows by at most cap + 40 MiB (not by 200 MB)`, () => {
      const result = measure(framing, transport)
      assert.strictEqual(result.bodyMiB, 200)
      assert.strictEqual(result.outcome, "ResponseTooLargeError")
      assert.isAtMost(result.increaseMiB, result.capBytes / MiB + 40, JSON.stringify(result))
    })
  }
})
