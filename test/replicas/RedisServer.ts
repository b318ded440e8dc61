/**
 * A real `redis-server` for tests and the demo: started on a free loopback port with a fresh temporary
 * directory, no persistence, a random password; stopped (and its directory removed) by `stop`.
 * `./nk test` installs Debian's `redis-server` when it is missing.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface RedisServer {
  readonly host: "127.0.0.1"
  readonly port: number
  readonly password: string
  /** `redis://:<password>@127.0.0.1:<port>` — holds the password: never print it. */
  readonly url: string
  /** node-redis client options for `NodeRedis.layer`. */
  readonly options: { readonly url: string }
  readonly process: ChildProcess
  readonly stop: () => Promise<void>
}

/** The redis-server binary, or undefined when none is installed. */
export const binary = (): string | undefined => {
  for (const candidate of [process.env.REDIS_SERVER, "/usr/bin/redis-server", "/usr/local/bin/redis-server"]) {
    if (candidate !== undefined && spawnSync(candidate, ["--version"]).status === 0) return candidate
  }
  const found = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" })
  return found.status === 0 && found.stdout.trim().length > 0 ? found.stdout.trim() : undefined
}

export const isAvailable = (): boolean => binary() !== undefined

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const startOnce = (bin: string, port: number, password: string, dir: string): Promise<ChildProcess | undefined> =>
  new Promise((resolve) => {
    const child = spawn(
      bin,
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
        "--requirepass",
        password,
        "--protected-mode",
        "yes",
        "--loglevel",
        "notice",
        "--logfile",
        ""
      ],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    let output = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      resolve(undefined)
    }, 10_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer)
        child.stdout?.off("data", onData)
        child.stdout?.resume()
        child.stderr?.resume()
        resolve(child)
      }
    }
    child.stdout?.on("data", onData)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve(undefined)
    })
  })

/** Starts a redis-server; throws when none is installed or it does not come up. */
export const start = async (): Promise<RedisServer> => {
  const bin = binary()
  if (bin === undefined) {
    throw new Error("redis-server is not installed (Debian: apt-get install redis-server; ./nk test does it as root)")
  }
  const password = randomBytes(18).toString("base64url")
  const dir = mkdtempSync(join(tmpdir(), "nordkit-redis-"))
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const child = await startOnce(bin, port, password, dir)
    if (child === undefined) continue
    const url = `redis://:${password}@127.0.0.1:${port}`
    const stop = () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true })
          resolve()
        }
        if (child.exitCode !== null || child.signalCode !== null) return done()
        child.once("exit", done)
        child.kill("SIGTERM")
        setTimeout(() => child.kill("SIGKILL"), 3_000).unref()
      })
    return { host: "127.0.0.1", port, password, url, options: { url }, process: child, stop }
  }
  rmSync(dir, { recursive: true, force: true })
  throw new Error("redis-server did not start")
}
