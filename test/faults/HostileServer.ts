/**
 * A real HTTP server on 127.0.0.1 that misbehaves on purpose, for the fault suite: it records every request it
 * receives (method, URL, headers, body) and answers each one with the behaviour its route picks.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

export interface Received {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  readonly body: string
}

export type Behaviour =
  /** Accept the request and never answer. */
  | { readonly _tag: "Hang" }
  /** Send the status line, headers and `prefix`, then stall forever. */
  | { readonly _tag: "StallBody"; readonly prefix?: string; readonly contentLength?: number }
  /** Send `body` one byte every `everyMillis`. */
  | { readonly _tag: "Trickle"; readonly body: string; readonly everyMillis: number }
  /** Answer `status` with the whole request (method, URL, headers, body) in the body. */
  | { readonly _tag: "Echo"; readonly status: number; readonly json?: boolean }
  /** Answer `status` (3xx) with `Location: location`. */
  | { readonly _tag: "Redirect"; readonly status: number; readonly location: string }
  /** Stream `bytes` bytes of JSON-ish filler (announced in content-length unless `chunked`). */
  | { readonly _tag: "Huge"; readonly status: number; readonly bytes: number; readonly chunked?: boolean }
  /** A normal JSON answer. */
  | {
      readonly _tag: "Json"
      readonly status: number
      readonly body: unknown
      readonly headers?: Record<string, string>
    }
  /** Close the socket without answering. */
  | { readonly _tag: "Reset" }

export interface HostileServer {
  readonly url: string
  readonly received: ReadonlyArray<Received>
  /** Requests whose path starts with `prefix`. */
  readonly count: (prefix?: string) => number
  /** Connections the client still holds open. */
  readonly openConnections: () => number
}

const send = (behaviour: Behaviour, request: Received, res: ServerResponse) => {
  switch (behaviour._tag) {
    case "Hang":
      return
    case "StallBody": {
      const headers: Record<string, string | number> = { "content-type": "application/json" }
      if (behaviour.contentLength !== undefined) headers["content-length"] = behaviour.contentLength
      res.writeHead(200, headers)
      res.write(behaviour.prefix ?? '{"id":')
      return
    }
    case "Trickle": {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(behaviour.body) })
      let i = 0
      const timer = setInterval(() => {
        if (res.destroyed || i >= behaviour.body.length) {
          clearInterval(timer)
          if (!res.destroyed) res.end()
          return
        }
        res.write(behaviour.body[i++] as string)
      }, behaviour.everyMillis)
      res.on("close", () => clearInterval(timer))
      return
    }
    case "Echo": {
      const dump = `${request.method} ${request.url}\n${Object.entries(request.headers)
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join("\n")}\n\n${request.body}`
      if (behaviour.json === true) {
        const body = JSON.stringify({
          error: "invalid_request",
          error_description: `you sent: ${dump}`,
          message: dump,
          error_uri: request.body,
          errors: { field: dump },
          nested: { error: { code: "E", message: dump } }
        })
        res.writeHead(behaviour.status, { "content-type": "application/json" })
        res.end(body)
      } else {
        res.writeHead(behaviour.status, { "content-type": "text/plain" })
        res.end(dump)
      }
      return
    }
    case "Redirect":
      res.writeHead(behaviour.status, { location: behaviour.location, "content-type": "text/plain" })
      res.end("moved")
      return
    case "Huge": {
      const headers: Record<string, string | number> = { "content-type": "application/json" }
      if (behaviour.chunked !== true) headers["content-length"] = behaviour.bytes
      res.writeHead(behaviour.status, headers)
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      let sent = 0
      const pump = () => {
        while (sent < behaviour.bytes) {
          const size = Math.min(chunk.length, behaviour.bytes - sent)
          sent += size
          if (!res.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
            res.once("drain", pump)
            return
          }
        }
        res.end()
      }
      res.on("error", () => {})
      pump()
      return
    }
    case "Json":
      res.writeHead(behaviour.status, { "content-type": "application/json", ...behaviour.headers })
      res.end(JSON.stringify(behaviour.body))
      return
    case "Reset":
      res.socket?.destroy()
      return
  }
}

/** Starts a hostile server in the scope; `route` picks each request's behaviour. */
export const make = (route: (request: Received) => Behaviour): Effect.Effect<HostileServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ server: ReturnType<typeof createServer>; state: HostileServer }>((resume) => {
      const received: Array<Received> = []
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const request: Received = {
            method: req.method ?? "",
            url: req.url ?? "",
            headers: req.headers,
            body: Buffer.concat(chunks).toString("utf8")
          }
          received.push(request)
          send(route(request), request, res)
        })
      })
      const sockets = new Set<import("node:net").Socket>()
      server.on("connection", (socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(
          Effect.succeed({
            server,
            state: {
              url: `http://127.0.0.1:${port}`,
              received,
              count: (prefix = "") => received.filter((request) => request.url.startsWith(prefix)).length,
              openConnections: () => sockets.size
            }
          })
        )
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ state }) => state))
