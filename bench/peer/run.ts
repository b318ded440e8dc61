/**
 * Peer benchmark, one command: `./nk pnpm run bench:peer` (optionally `-- <requests>`, default 20,000).
 *
 * Starts the Monerium-shaped loopback server (`server.ts`) in its own process, then runs every client in
 * processes of its own (`client.ts`), one at a time, against that server:
 *
 * 1. throughput: `requests` balance calls at concurrency 1 and `requests` at concurrency 64 per client, in 2
 *    interleaved rounds (each a fresh process with a warm-up): req/s, p50/p99 latency, the peak RSS of a process,
 *    and the lowest and highest ratio to the naive client among the rounds;
 * 2. cold start: a fresh client, 1,000 concurrent first calls; how many token requests the server saw;
 * 3. nordkit's own cost: in one process, pairs of samples (order alternating) of bare effect `HttpClient` + Schema
 *    decode and nordkit's `MoneriumClient.getBalances`, on core's `UndiciClient`, on effect's `layerUndici` and in
 *    memory, at concurrency 1; CPU µs per request (user + system), the median of the pairs' differences.
 *
 * Clients: nordkit on `UndiciClient.layer`, on `NodeHttpClient.layerUndici` and on `FetchHttpClient`,
 * `@monerium/sdk` 3.5.0, and a naive fetch client (see `client.ts`). Environment: `NORDKIT_PEER_KINDS` (a
 * comma-separated subset; the naive client always runs), `NORDKIT_PEER_ROUNDS` (default 2),
 * `NORDKIT_PEER_OVERHEAD=0` (skip part 3).
 *
 * Prints the machine and markdown tables.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { cpus } from "node:os"
import { dirname, join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const requests = Number(process.argv[2] ?? 20_000)
const allKinds = ["nordkit-lean", "nordkit-undici", "nordkit-fetch", "sdk", "naive"]
// NORDKIT_PEER_KINDS=nordkit-lean,naive runs some clients only (naive always, as the reference);
// NORDKIT_PEER_ROUNDS=4 interleaves more rounds (default 2); NORDKIT_PEER_OVERHEAD=0 skips part 3.
const kinds = allKinds.filter(
  (kind) => kind === "naive" || (process.env.NORDKIT_PEER_KINDS ?? allKinds.join(",")).split(",").includes(kind)
)
const labels: Record<string, string> = {
  "nordkit-lean": "nordkit, `UndiciClient.layer` (nordkit's undici transport)",
  "nordkit-undici": "nordkit, `NodeHttpClient.layerUndici`",
  "nordkit-fetch": "nordkit, `FetchHttpClient`",
  sdk: "`@monerium/sdk` 3.5.0",
  naive: "naive `fetch` client (cached token)"
}

const firstLine = (child: ChildProcess) =>
  new Promise<string>((resolve, reject) => {
    if (child.stdout === null) return reject(new Error("no stdout"))
    const lines = createInterface({ input: child.stdout })
    lines.once("line", resolve)
    child.once("exit", (code) => reject(new Error(`exited with ${code} before printing`)))
  })

const server = spawn(process.execPath, [join(here, "server.ts")], { stdio: ["pipe", "pipe", "inherit"] })
const baseUrl = await firstLine(server)

const runClient = (kind: string, mode: string, count = requests) => {
  const out = execFileSync(
    process.execPath,
    ["--conditions=@nordkit/source", join(here, "client.ts"), kind, mode, baseUrl, String(count)],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 180_000, maxBuffer: 64 * 1024 * 1024 }
  )
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}")
}

interface Stage {
  readonly requests: number
  readonly wallMs: number
  readonly cpuUs: number
  readonly latencies: ReadonlyArray<number>
}
interface Merged {
  requests: number
  wallMs: number
  cpuUs: number
  latencies: Array<number>
}
const empty = (): Merged => ({ requests: 0, wallMs: 0, cpuUs: 0, latencies: [] })
const merge = (into: Merged, stage: Stage) => {
  into.requests += stage.requests
  into.wallMs += stage.wallMs
  into.cpuUs += stage.cpuUs
  for (const ms of stage.latencies) into.latencies.push(ms)
}
const summary = (m: Merged) => {
  const sorted = m.latencies.sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
  return {
    requests: m.requests,
    rps: m.requests / (m.wallMs / 1000),
    cpuUs: m.cpuUs / m.requests,
    p50: at(0.5),
    p99: at(0.99)
  }
}

const started = performance.now()
// Throughput runs in ROUNDS rounds; each round runs every client once (a fresh process: warm-up, then
// requests/ROUNDS calls at c=1 and at c=64), in a rotated order, so load from elsewhere on a shared machine
// falls on all clients alike. req/s = all requests / all time; percentiles over all latencies.
const ROUNDS = Number(process.env.NORDKIT_PEER_ROUNDS ?? 2)
const perRound = Math.ceil(requests / ROUNDS)
const merged: Record<string, { c1: Merged; c64: Merged; maxRssMiB: number }> = {}
for (const kind of kinds) merged[kind] = { c1: empty(), c64: empty(), maxRssMiB: 0 }
const cold: Record<string, { tokenRequests: number; wallMs: number }> = {}
/** req/s of each client in each round, for the spread of the ratios between rounds. */
const rounds: Array<Record<string, { c1: number; c64: number }>> = []
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = kinds.map((_, i) => kinds[(i + round) % kinds.length])
    for (const kind of order) {
      process.stderr.write(`throughput round ${round + 1}/${ROUNDS}: ${kind}\n`)
      const result = runClient(kind, "throughput", perRound)
      merge(merged[kind].c1, result.c1)
      merge(merged[kind].c64, result.c64)
      rounds[round] ??= {}
      ;(rounds[round] as Record<string, { c1: number; c64: number }>)[kind] = {
        c1: result.c1.requests / (result.c1.wallMs / 1000),
        c64: result.c64.requests / (result.c64.wallMs / 1000)
      }
      merged[kind].maxRssMiB = Math.max(merged[kind].maxRssMiB, result.maxRssMiB)
    }
  }
  const throughput = Object.fromEntries(
    kinds.map((kind) => [
      kind,
      { c1: summary(merged[kind].c1), c64: summary(merged[kind].c64), maxRssMiB: merged[kind].maxRssMiB }
    ])
  )
  for (const kind of kinds) {
    process.stderr.write(`cold start: ${kind}\n`)
    cold[kind] = runClient(kind, "cold")
  }
  const withOverhead = process.env.NORDKIT_PEER_OVERHEAD !== "0"
  if (withOverhead) process.stderr.write("nordkit's own cost\n")
  const overhead = withOverhead ? runClient("nordkit-undici", "overhead") : undefined

  const model = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model
  console.log(`machine: ${cpus().length} cores (nproc), ${model}, Node ${process.version}`)
  console.log(
    `${perRound * ROUNDS} requests per client and concurrency level (${ROUNDS} interleaved rounds); server in its own process\n`
  )
  const naive = throughput.naive
  const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits })
  console.log(
    "| client | req/s c=1 | p50 / p99 c=1 (ms) | req/s c=64 | p50 / p99 c=64 (ms) | vs naive c=1 / c=64 | client CPU per request c=1 / c=64 | peak RSS | token requests, 1,000 cold callers |"
  )
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
  for (const kind of kinds) {
    const t = throughput[kind]
    console.log(
      `| ${labels[kind]} | ${fmt(t.c1.rps)} | ${t.c1.p50.toFixed(2)} / ${t.c1.p99.toFixed(2)} | ${fmt(t.c64.rps)} | ${t.c64.p50.toFixed(1)} / ${t.c64.p99.toFixed(1)} | ${(t.c1.rps / naive.c1.rps).toFixed(2)}× / ${(t.c64.rps / naive.c64.rps).toFixed(2)}× | ${fmt(t.c1.cpuUs)} / ${fmt(t.c64.cpuUs)} µs | ${fmt(t.maxRssMiB)} MiB | ${cold[kind].tokenRequests} |`
    )
  }
  if (ROUNDS > 1) {
    const spread = (kind: string, level: "c1" | "c64") => {
      const ratios = rounds.map((r) => (r[kind]?.[level] ?? Number.NaN) / (r.naive?.[level] ?? Number.NaN))
      return `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`
    }
    console.log("\nvs naive, round by round (lowest–highest of the rounds), c=1 / c=64:")
    for (const kind of kinds)
      if (kind !== "naive") console.log(`  ${labels[kind]}: ${spread(kind, "c1")} / ${spread(kind, "c64")}`)
  }
  const line = (
    where: string,
    o: {
      sample: number
      samples: number
      bareCpuUs: number
      nordkitCpuUs: number
      addsUs: number
      addsQuartilesUs: [number, number]
    }
  ) =>
    `| ${where} | ${o.bareCpuUs.toFixed(1)} µs | ${o.nordkitCpuUs.toFixed(1)} µs | **${o.addsUs.toFixed(1)} µs** (${o.addsQuartilesUs[0].toFixed(1)} to ${o.addsQuartilesUs[1].toFixed(1)}) | ${o.samples} × ${o.sample} |`
  if (overhead !== undefined) {
    console.log(
      "\nnordkit's own CPU per request (c=1, CPU time of the client process; medians; nordkit adds = median of the paired differences, quartiles in brackets):\n"
    )
    console.log(
      "| transport | bare HttpClient + Schema decode | nordkit `getBalances` | nordkit adds (quartiles) | samples |"
    )
    console.log("|---|---:|---:|---:|---:|")
    console.log(line("`UndiciClient.layer`, loopback server", overhead.loopbackLean))
    console.log(line("`NodeHttpClient.layerUndici`, loopback server", overhead.loopback))
    console.log(line("in memory (no sockets)", overhead.inMemory))
  }
  console.log(`\n(whole run ${((performance.now() - started) / 1000).toFixed(0)} s)`)
} finally {
  server.stdin?.end()
  server.kill()
}
