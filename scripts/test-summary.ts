/**
 * Runs vitest and ends with one plain summary line ("tests: N passed, N failed, N skipped") so any CI can read
 * the outcome; exits with vitest's status.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, readFileSync } from "node:fs"

mkdirSync(".tmp", { recursive: true })
const result = spawnSync(
  "vitest",
  ["run", "--reporter=default", "--reporter=json", "--outputFile.json=.tmp/vitest.json", ...process.argv.slice(2)],
  { stdio: "inherit" }
)
let summary = "tests: could not read the vitest report"
try {
  const report = JSON.parse(readFileSync(".tmp/vitest.json", "utf8"))
  const skipped = report.numPendingTests + report.numTodoTests
  summary = `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`
} catch {
  // the summary line says so
}
console.log(`\n${summary}`)
process.exit(result.status ?? 1)
