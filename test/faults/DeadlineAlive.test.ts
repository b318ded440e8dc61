/**
 * The deadlines of all attempts share one timer (see `internal/guard.ts`). Like a timer per attempt, it must keep
 * a Node process alive while an attempt waits for its deadline: a process whose only pending work is one call to a
 * server that never answers ends with that call's `TimeoutError`, not by exiting early with the call unsettled.
 */
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"

const script = fileURLToPath(new URL("./deadline-alive.ts", import.meta.url))

describe("the shared deadline timer", () => {
  it("keeps the process alive until the deadline of the one attempt in flight", () => {
    const out = execFileSync(process.execPath, ["--conditions=@nordkit/source", script], {
      encoding: "utf8",
      timeout: 30_000
    }).trim()
    assert.notStrictEqual(out, "", "the process exited with the call still pending")
    const result = JSON.parse(out) as { outcome: string; millis: number }
    assert.strictEqual(result.outcome, "TimeoutError")
    assert.isAtLeast(result.millis, 300)
  })
})
