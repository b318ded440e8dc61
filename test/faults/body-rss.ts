/**
 * Peak memory for a 200 MB response body, measured in a child process (so the server's memory never counts):
 *
 *   ./nk node --conditions=@nordkit/source test/faults/body-rss.ts [nordkit|raw] [chunked|announced]
 *
 * `NORDKIT_RSS_CAP_MIB=32` sets the body cap (default: `RequestLimits.defaults.maxBodyBytes`, 8 MiB);
 * `NORDKIT_RSS_TRANSPORT=UndiciClient` reads through nordkit's undici transport (default: `NodeHttpClient.layerUndici`).
 *
 * The parent serves 200 MB (chunked, or with content-length) on 127.0.0.1 and starts a child that warms up
 * with a small request, records its RSS, then reads the 200 MB answer — through `ApiClient.json` with the
 * default caps (`nordkit`), or with effect's plain `response.text` (`raw`, for contrast) — and prints one JSON
 * line: the baseline RSS, the peak RSS (`process.resourceUsage().maxRSS`), their difference, the outcome.
 */
import { spawn } from "node:child_process"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"

const BYTES = 200 * 1024 * 1024
const MiB = 1024 * 1024

const child = async (url: string, mode: string) => {
  const { NodeHttpClient } = await import("@effect/platform-node")
  const { ApiClient, RequestLimits } = await import("@nordkit/core")
  const Effect = await import("effect/Effect")
  const HttpClient = await import("effect/http/HttpClient")
  const HttpClientRequest = await import("effect/http/HttpClientRequest")
  const Schema = await import("effect/Schema")
  const program = Effect.gen(function* () {
    const http = yield* HttpClient.HttpClient
    const cap = Number(process.env.NORDKIT_RSS_CAP_MIB ?? "0") * MiB
    const api = ApiClient.make(http, {
      provider: "rss",
      baseUrl: url,
      retry: { attempts: 1 },
      limits: cap > 0 ? { maxBodyBytes: cap } : undefined
    })
    const Body = Schema.Struct({ ok: Schema.Boolean })
    yield* api.json(Body)(HttpClientRequest.get("/small"))
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    const baseline = process.memoryUsage().rss
    const outcome =
      mode === "raw"
        ? yield* Effect.map(
            Effect.flatMap(http.execute(HttpClientRequest.get(`${url}/big`)), (response) => response.text),
            (text) => `read ${text.length} chars`
          ).pipe(Effect.catch((error) => Effect.succeed(String(error))))
        : yield* Effect.map(api.json(Body)(HttpClientRequest.get("/big")), () => "decoded").pipe(
            Effect.catch((error) => Effect.succeed(error._tag))
          )
    const peak = process.resourceUsage().maxRSS * 1024
    return {
      mode,
      capBytes: cap > 0 ? cap : RequestLimits.defaults.maxBodyBytes,
      baselineMiB: +(baseline / MiB).toFixed(1),
      peakMiB: +(peak / MiB).toFixed(1),
      increaseMiB: +((peak - baseline) / MiB).toFixed(1),
      outcome
    }
  })
  const transport =
    process.env.NORDKIT_RSS_TRANSPORT === "UndiciClient"
      ? (await import("@nordkit/core/UndiciClient")).layer
      : NodeHttpClient.layerUndici
  const result = await Effect.runPromise(Effect.provide(program, transport))
  process.stdout.write(
    `${JSON.stringify({ transport: process.env.NORDKIT_RSS_TRANSPORT ?? "layerUndici", ...result })}\n`
  )
}

const parent = async (mode: string, framing: string) => {
  const server = createServer((req, res) => {
    if (req.url === "/small") {
      res.writeHead(200, { "content-type": "application/json" })
      res.end('{"ok":true}')
      return
    }
    const headers: Record<string, string | number> = { "content-type": "application/json" }
    if (framing === "announced") headers["content-length"] = BYTES
    res.writeHead(200, headers)
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    let sent = 0
    const pump = () => {
      while (sent < BYTES) {
        sent += chunk.length
        if (!res.write(chunk)) return void res.once("drain", pump)
      }
      res.end()
    }
    res.on("error", () => {})
    pump()
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const output = await new Promise<string>((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ["--expose-gc", "--conditions=@nordkit/source", fileURLToPath(import.meta.url), "--child", url, mode],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    let out = ""
    proc.stdout.on("data", (data) => {
      out += data
    })
    proc.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited with ${code}`))))
  })
  server.closeAllConnections()
  server.close()
  process.stdout.write(`${JSON.stringify({ framing, bodyMiB: BYTES / MiB, ...JSON.parse(output) })}\n`)
}

const args = process.argv.slice(2)
if (args[0] === "--child") await child(args[1] as string, args[2] as string)
else await parent(args[0] ?? "nordkit", args[1] ?? "chunked")
