/**
 * A Monerium-shaped API on loopback for the peer benchmark (run as its own process by `bench/peer/run.ts`, so its
 * CPU is not counted in a client's numbers). Plain `node:http`, as cheap as a server gets:
 *
 * - `POST /auth/token` — client credentials (form body) → `{ access_token, token_type, expires_in }`, answered
 *   after `TOKEN_DELAY_MS` like a real token endpoint that takes a moment.
 * - `GET /balances/{chain}/{address}` — needs `Authorization: Bearer <issued token>` → a balances body in the
 *   API v2 shape (`{ id, address, chain, balances: [{ currency, amount }] }`); 401 otherwise.
 * - `GET /__stats` → `{ tokenRequests, apiRequests }`; `POST /__reset` zeroes them and forgets issued tokens.
 *
 * Prints its base URL on stdout and serves until stdin closes (so it dies with its parent).
 */
import { createServer } from "node:http"

const TOKEN_DELAY_MS = 5
const tokens = new Set<string>()
let tokenRequests = 0
let apiRequests = 0

const send = (response: import("node:http").ServerResponse, status: number, body: string) => {
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
  response.end(body)
}

const balancesBody = (chain: string, address: string) =>
  JSON.stringify({
    id: "4b208818-44e3-11ed-b878-0242ac120002",
    address,
    chain,
    balances: [
      { currency: "eur", amount: "1234.56" },
      { currency: "usd", amount: "0" },
      { currency: "gbp", amount: "12.5" }
    ]
  })

const server = createServer((request, response) => {
  const url = request.url ?? "/"
  if (request.method === "GET" && url.startsWith("/balances/")) {
    apiRequests++
    const auth = request.headers.authorization
    if (auth === undefined || !auth.startsWith("Bearer ") || !tokens.has(auth.slice(7))) {
      return send(response, 401, '{"code":401,"status":"Unauthorized","message":"Not authenticated"}')
    }
    const [, , chain = "", address = ""] = url.split("?")[0].split("/")
    return send(response, 200, balancesBody(chain, address))
  }
  if (request.method === "POST" && url === "/auth/token") {
    tokenRequests++
    let body = ""
    request.setEncoding("utf8")
    request.on("data", (chunk: string) => {
      body += chunk
    })
    request.on("end", () => {
      const form = new URLSearchParams(body)
      if (form.get("grant_type") !== "client_credentials" || !form.get("client_id") || !form.get("client_secret")) {
        return send(response, 400, '{"error":"invalid_request"}')
      }
      const token = `tok-${tokenRequests}-${Math.random().toString(36).slice(2)}`
      tokens.add(token)
      setTimeout(
        () => send(response, 200, JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 3600 })),
        TOKEN_DELAY_MS
      )
    })
    return
  }
  if (url === "/__stats") return send(response, 200, JSON.stringify({ tokenRequests, apiRequests }))
  if (request.method === "POST" && url === "/__reset") {
    tokenRequests = 0
    apiRequests = 0
    tokens.clear()
    return send(response, 200, "{}")
  }
  send(response, 404, '{"code":404,"status":"Not Found","message":"Not found"}')
})
server.keepAliveTimeout = 60_000

server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("no address")
  process.stdout.write(`http://127.0.0.1:${address.port}\n`)
})
process.stdin.resume()
process.stdin.on("end", () => process.exit(0))
