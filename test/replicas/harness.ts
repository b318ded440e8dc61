/** Spawns replicas (`worker.ts`) as real node processes and talks to them over JSON lines. */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { NodeHttpServer } from "@effect/platform-node"
import { TestServer } from "@nordkit/core/testing"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import type { WorkerConfig } from "./worker.ts"

const workerPath = fileURLToPath(new URL("./worker.ts", import.meta.url))

export interface Worker {
  readonly name: string
  readonly process: ChildProcess
  readonly send: (op: string, args?: Record<string, unknown>) => Promise<Record<string, any>>
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>
  readonly stop: () => Promise<void>
  readonly stderr: () => string
}

export const spawnWorker = (config: WorkerConfig): Promise<Worker> => {
  const child = spawn(process.execPath, ["--conditions=@nordkit/source", "--no-warnings", workerPath], {
    env: {
      ...process.env,
      NK_WORKER: JSON.stringify(config),
      NODE_COMPILE_CACHE: join(tmpdir(), "nordkit-replicas-compile-cache")
    },
    stdio: ["pipe", "pipe", "pipe"]
  })
  let stderr = ""
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const pending = new Map<number, (reply: Record<string, any>) => void>()
  let buffer = ""
  child.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString()
    let index = buffer.indexOf("\n")
    while (index >= 0) {
      const line = buffer.slice(0, index)
      buffer = buffer.slice(index + 1)
      index = buffer.indexOf("\n")
      if (!line.startsWith("{")) continue
      const reply = JSON.parse(line) as { id: number }
      pending.get(reply.id)?.(reply)
      pending.delete(reply.id)
    }
  })
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  let next = 0
  const send = (op: string, args: Record<string, unknown> = {}) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const id = next++
      pending.set(id, resolve)
      child.stdin?.write(`${JSON.stringify({ id, op, ...args })}\n`)
      void exited.then(() => {
        if (pending.delete(id))
          reject(new Error(`${config.name} exited before answering ${op}: ${stderr.slice(-2000)}`))
      })
    })
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end(`${JSON.stringify({ id: -1, op: "exit" })}\n`)
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000)
      await exited
      clearTimeout(timer)
    }
  }
  const worker: Worker = { name: config.name, process: child, send, exited, stop, stderr: () => stderr }
  return send("ready").then(
    () => worker,
    (error) => {
      throw error
    }
  )
}

/** Starts `count` workers at once (their startups overlap). */
export const spawnWorkers = (count: number, config: (index: number) => WorkerConfig): Promise<Array<Worker>> =>
  Promise.all(Array.from({ length: count }, (_, index) => spawnWorker(config(index))))

/** A test server served on a loopback port for the duration of a test file. */
export interface Served<S> {
  readonly server: S
  readonly url: string
  readonly run: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>
  readonly close: () => Promise<void>
}

export const serve = async <S extends { readonly app: TestServer.TestServer["app"] }>(
  make: Effect.Effect<S, never, any>
): Promise<Served<S>> => {
  const scope = Effect.runSync(Scope.make())
  const { server, url } = await Effect.runPromise(
    Effect.gen(function* () {
      const server = yield* make
      const context = yield* Layer.build(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
      const url = yield* TestServer.listen(server.app).pipe(Effect.provide(context))
      return { server, url }
    }).pipe(Scope.provide(scope)) as Effect.Effect<{ server: S; url: string }>
  )
  return {
    server,
    url,
    run: (effect) => Effect.runPromise(effect),
    // A request a test left hanging keeps the server's scope open: give up on it after a moment.
    close: () =>
      Promise.race([
        Effect.runPromise(Scope.close(scope, Exit.void)),
        new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref())
      ])
  }
}
