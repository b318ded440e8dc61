/**
 * Peer benchmark, one command: `./nk pnpm run bench:peer` (optionally `-- <requests>`, default 20,000).
 *
 * Starts the Monerium-shaped loopback server (`server.ts`) in its own process, then runs every client in a
 * process of its own (`client.ts`), one after the other against that server:
 *
 * 1. throughput: after a warm-up, `requests` balance calls at concurrency 1, then `requests` at concurrency 64:
 *    req/s, p50/p99 latency, the client process's peak RSS;
 * 2. cold start: a fresh client, 1,000 concurrent first calls; how many token requests the server saw;
 * 3. nordkit's own cost: in one process, alternating samples of bare effect `HttpClient` (undici) + Schema decode
 *    and nordkit's `MoneriumClient.getBalances` (undici) at concurrency 1; CPU µs per request (user + system).
 *
 * Prints the machine and a markdown table.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { cpus } from "node:os"
import { dirname, join } from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const requests = Number(process.argv[2] ?? 20_000)
const kinds = ["nordkit-undici", "nordkit-fetch", "sdk", "naive"] as const
const labels: Record<string, string> = {
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

const runClient = (kind: string, mode: string) => {
  const out = execFileSync(
    process.execPath,
    ["--conditions=@nordkit/source", join(here, "client.ts"), kind, mode, baseUrl, String(requests)],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 180_000 }
  )
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}")
}

interface Stage {
  readonly rps: number
  readonly p50: number
  readonly p99: number
}
const started = performance.now()
const throughput: Record<string, { c1: Stage; c64: Stage; maxRssMiB: number }> = {}
const cold: Record<string, { tokenRequests: number; wallMs: number }> = {}
try {
  for (const kind of kinds) {
    process.stderr.write(`throughput: ${kind}\n`)
    throughput[kind] = runClient(kind, "throughput")
  }
  for (const kind of kinds) {
    process.stderr.write(`cold start: ${kind}\n`)
    cold[kind] = runClient(kind, "cold")
  }
  process.stderr.write("nordkit's own cost\n")
  const overhead = runClient("nordkit-undici", "overhead")

  const model = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model
  console.log(`machine: ${cpus().length} cores (nproc), ${model}, Node ${process.version}`)
  console.log(`${requests} requests per concurrency level, one process per client, server in its own process\n`)
  const naive = throughput.naive
  const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits })
  console.log(
    "| client | req/s c=1 | p50 / p99 c=1 (ms) | req/s c=64 | p50 / p99 c=64 (ms) | vs naive c=1 / c=64 | peak RSS | token requests, 1,000 cold callers |"
  )
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|")
  for (const kind of kinds) {
    const t = throughput[kind]
    console.log(
      `| ${labels[kind]} | ${fmt(t.c1.rps)} | ${t.c1.p50.toFixed(2)} / ${t.c1.p99.toFixed(2)} | ${fmt(t.c64.rps)} | ${t.c64.p50.toFixed(1)} / ${t.c64.p99.toFixed(1)} | ${(t.c1.rps / naive.c1.rps).toFixed(2)}× / ${(t.c64.rps / naive.c64.rps).toFixed(2)}× | ${fmt(t.maxRssMiB)} MiB | ${cold[kind].tokenRequests} |`
    )
  }
  const line = (where: string, o: { sample: number; samples: number; bareCpuUs: number; nordkitCpuUs: number }) =>
    `| ${where} | ${o.bareCpuUs.toFixed(1)} µs | ${o.nordkitCpuUs.toFixed(1)} µs | **${(o.nordkitCpuUs - o.bareCpuUs).toFixed(1)} µs** | ${o.samples} × ${o.sample} |`
  console.log(
    "\nnordkit's own CPU per request (c=1, CPU time of the client process, medians of alternating samples):\n"
  )
  console.log("| transport | bare HttpClient + Schema decode | nordkit `getBalances` | nordkit adds | samples |")
  console.log("|---|---:|---:|---:|---:|")
  console.log(line("undici, loopback server", overhead.loopback))
  console.log(line("in memory (no sockets)", overhead.inMemory))
  console.log(`\n(whole run ${((performance.now() - started) / 1000).toFixed(0)} s)`)
} finally {
  server.stdin?.end()
  server.kill()
}
