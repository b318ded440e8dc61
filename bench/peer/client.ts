/**
 * One client of the peer benchmark, in its own process (spawned by `bench/peer/run.ts`; prints one JSON line):
 *
 *   node --conditions=@nordkit/source bench/peer/client.ts <kind> <mode> <baseUrl> [requests]
 *
 * kinds: `nordkit-undici` (MoneriumClient on NodeHttpClient.layerUndici), `nordkit-lean` (on nordkit's own undici
 * transport, UndiciClient.layer), `nordkit-fetch` (on FetchHttpClient),
 * `sdk` (@monerium/sdk 3.5.0; its `fetch` is intercepted to send the API host's requests to loopback), `naive`
 * (fetch, caches its token in a variable, JSON.parse, no validation), `bare` (effect HttpClient on undici +
 * Schema decode of the same body, a token fetched once by hand: the floor nordkit is built on).
 * modes: `throughput` (one round: c=1 then c=64, latencies, peak RSS), `cold` (1,000 concurrent first calls on a fresh client),
 * `overhead` (bare vs nordkit in this process, on each undici transport and in memory, alternating samples at c=1,
 * CPU µs per request).
 */
import type * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import type * as Layer from "effect/Layer"

// Each client loads only its own modules (dynamic imports), so peak RSS is that client's.

const [kind = "", mode = "", baseUrl = "", requestsArg] = process.argv.slice(2)
const REQUESTS = Number(requestsArg ?? 20_000)
const COLD_CALLERS = 1_000
const CHAIN = "sepolia"
const ADDRESS = "0x59cFC8E4f4C8Bd4B7Bd0e4B7E1D3a9d7C5f4e2a1"
const clientId = "bench-client"
const clientSecret = "bench-secret"
const acceptV2 = "application/vnd.monerium.api-v2+json"

/** A client as the loops below drive it: one balances call, as a promise or as an effect. */
type Client =
  | { readonly _tag: "promise"; readonly call: () => Promise<unknown>; readonly close: () => Promise<void> }
  | {
      readonly _tag: "effect"
      readonly call: Effect.Effect<unknown, unknown>
      readonly run: <A>(effect: Effect.Effect<A, unknown>) => Promise<A>
      readonly close: () => Promise<void>
    }

const nordkit = async (transport: Layer.Layer<HttpClient.HttpClient>): Promise<Client> => {
  const MoneriumClient = await import("@nordkit/monerium/MoneriumClient")
  const Redacted = await import("effect/Redacted")
  const Layer = await import("effect/Layer")
  const ManagedRuntime = await import("effect/ManagedRuntime")
  const Effect = await import("effect/Effect")
  const layer = MoneriumClient.layer({
    apiUrl: baseUrl,
    credentials: MoneriumClient.clientCredentials({ clientId, clientSecret: Redacted.make(clientSecret) })
  }).pipe(Layer.provide(transport))
  const runtime = ManagedRuntime.make(layer)
  const monerium = await runtime.runPromise(Effect.service(MoneriumClient.MoneriumClient))
  return {
    _tag: "effect",
    call: monerium.getBalances({ chain: CHAIN, address: ADDRESS }),
    run: (effect) => runtime.runPromise(effect),
    close: () => runtime.dispose()
  }
}

const fetchToken = async (): Promise<string> => {
  const response = await fetch(`${baseUrl}/auth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: acceptV2 },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret })
  })
  if (!response.ok) throw new Error(`token: ${response.status}`)
  return ((await response.json()) as { access_token: string }).access_token
}

const bare = async (transport?: Layer.Layer<HttpClient.HttpClient>, fixedToken?: string): Promise<Client> => {
  const { Balances } = await import("@nordkit/monerium/MoneriumSchema")
  const NodeHttpClient = await import("@effect/platform-node/NodeHttpClient")
  const Effect = await import("effect/Effect")
  const HttpClient = await import("effect/http/HttpClient")
  const HttpClientRequest = await import("effect/http/HttpClientRequest")
  const HttpClientResponse = await import("effect/http/HttpClientResponse")
  const ManagedRuntime = await import("effect/ManagedRuntime")
  const token = fixedToken ?? (await fetchToken())
  const runtime = ManagedRuntime.make(transport ?? NodeHttpClient.layerUndici)
  const client = await runtime.runPromise(Effect.service(HttpClient.HttpClient))
  const http = client.pipe(
    HttpClient.mapRequest((request) =>
      request.pipe(
        HttpClientRequest.prependUrl(baseUrl),
        HttpClientRequest.bearerToken(token),
        HttpClientRequest.setHeader("accept", acceptV2)
      )
    ),
    HttpClient.filterStatusOk
  )
  return {
    _tag: "effect",
    call: Effect.flatMap(http.get(`/balances/${CHAIN}/${ADDRESS}`), HttpClientResponse.schemaBodyJson(Balances)),
    run: (effect) => runtime.runPromise(effect),
    close: () => runtime.dispose()
  }
}

const naive = (): Client => {
  let token: string | undefined
  return {
    _tag: "promise",
    call: async () => {
      token ??= await fetchToken()
      const response = await fetch(`${baseUrl}/balances/${CHAIN}/${ADDRESS}`, {
        headers: { authorization: `Bearer ${token}`, accept: acceptV2 }
      })
      if (!response.ok) throw new Error(`balances: ${response.status}`)
      return response.json()
    },
    close: async () => {}
  }
}

const sdk = async (): Promise<Client> => {
  const { MoneriumClient: SdkClient } = await import("@monerium/sdk")
  const realFetch = globalThis.fetch
  const sandbox = "https://api.monerium.dev"
  globalThis.fetch = (input, init) => {
    const url = String(input)
    return realFetch(url.startsWith(sandbox) ? baseUrl + url.slice(sandbox.length) : url, init)
  }
  const client = new SdkClient({ environment: "sandbox", clientId, clientSecret })
  // The SDK does not fetch a token by itself: the app calls getAccess() when it is not authorized yet.
  return {
    _tag: "promise",
    call: async () => {
      if (!client.isAuthorized) await client.getAccess()
      return client.getBalances(ADDRESS, CHAIN)
    },
    close: async () => {}
  }
}

/** An HttpClient answering in memory like server.ts (no sockets), for the in-process overhead comparison. */
const memoryTransport = async (): Promise<Layer.Layer<HttpClient.HttpClient>> => {
  const Effect = await import("effect/Effect")
  const HttpClient = await import("effect/http/HttpClient")
  const HttpClientResponse = await import("effect/http/HttpClientResponse")
  const Layer = await import("effect/Layer")
  const token = JSON.stringify({ access_token: "memory-token", token_type: "Bearer", expires_in: 3600 })
  const balances = JSON.stringify({
    id: "4b208818-44e3-11ed-b878-0242ac120002",
    address: ADDRESS,
    chain: CHAIN,
    balances: [
      { currency: "eur", amount: "1234.56" },
      { currency: "usd", amount: "0" },
      { currency: "gbp", amount: "12.5" }
    ]
  })
  const answer = (body: string) => ({
    body,
    headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) }
  })
  const tokenAnswer = answer(token)
  const balancesAnswer = answer(balances)
  return Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request) =>
      Effect.sync(() => {
        const { body, headers } = request.url.endsWith("/auth/token") ? tokenAnswer : balancesAnswer
        return HttpClientResponse.fromWeb(request, new Response(body, { status: 200, headers }))
      })
    )
  )
}

const makeClient = async (name: string): Promise<Client> => {
  switch (name) {
    case "nordkit-undici":
      return nordkit((await import("@effect/platform-node/NodeHttpClient")).layerUndici)
    case "nordkit-lean":
      return nordkit((await import("@nordkit/core/UndiciClient")).layer)
    case "nordkit-fetch":
      return nordkit((await import("effect/http/FetchHttpClient")).layer)
    case "bare":
      return bare()
    case "naive":
      return naive()
    case "sdk":
      return sdk()
    default:
      throw new Error(`unknown client kind ${name}`)
  }
}

/** `requests` calls by `concurrency` workers; per-request latencies in ms and the wall time. */
const drive = async (client: Client, requests: number, concurrency: number) => {
  const latencies = new Float64Array(requests)
  let next = 0
  const start = performance.now()
  if (client._tag === "promise") {
    const worker = async () => {
      while (next < requests) {
        const i = next++
        const t0 = performance.now()
        await client.call()
        latencies[i] = performance.now() - t0
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
  } else {
    const Effect = await import("effect/Effect")
    const call = client.call
    const worker = Effect.gen(function* () {
      while (next < requests) {
        const i = next++
        const t0 = performance.now()
        yield* call
        latencies[i] = performance.now() - t0
      }
    })
    await client.run(
      Effect.all(
        Array.from({ length: concurrency }, () => worker),
        { concurrency: "unbounded" }
      )
    )
  }
  const wallMs = performance.now() - start
  return { requests, concurrency, wallMs, latencies }
}

const stats = async () => (await (await fetch(`${baseUrl}/__stats`)).json()) as { tokenRequests: number }
const reset = () => fetch(`${baseUrl}/__reset`, { method: "POST" }).then((r) => r.arrayBuffer())

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 0 ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[mid]
}

/** CPU µs per request of `client` over `requests` sequential calls (user + system of this process). */
const cpuPerRequest = async (client: Client, requests: number) => {
  const before = process.cpuUsage()
  await drive(client, requests, 1)
  const used = process.cpuUsage(before)
  return (used.user + used.system) / requests
}

const output = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`)

if (mode === "throughput") {
  // One round of the interleaved throughput run (run.ts alternates clients round by round).
  const client = await makeClient(kind)
  await drive(client, 10_000, 8) // warm-up: JIT (nordkit's longer path needs ~10,000 calls), connections, token
  const stage = async (concurrency: number) => {
    const before = process.cpuUsage()
    const { wallMs, latencies } = await drive(client, REQUESTS, concurrency)
    const cpu = process.cpuUsage(before)
    return {
      requests: REQUESTS,
      wallMs,
      cpuUs: cpu.user + cpu.system,
      latencies: Array.from(latencies, (ms) => Math.round(ms * 1000) / 1000)
    }
  }
  const c1 = await stage(1)
  const c64 = await stage(64)
  await client.close()
  output({ kind, c1, c64, maxRssMiB: process.resourceUsage().maxRSS / 1024 })
} else if (mode === "cold") {
  await reset()
  const client = await makeClient(kind)
  const start = performance.now()
  await drive(client, COLD_CALLERS, COLD_CALLERS)
  const wall = performance.now() - start
  const { tokenRequests } = await stats()
  await client.close()
  output({ kind, callers: COLD_CALLERS, tokenRequests, wallMs: wall })
} else if (mode === "overhead") {
  // Alternating samples of the floor and nordkit, CPU µs per request (user + system), medians.
  // Each sample is a pair (floor, nordkit) taken back to back, the order alternating from pair to pair; nordkit's
  // cost is the median of the pairs' differences, which drift on a shared machine moves less than two medians.
  const compare = async (floor: Client, full: Client, sample: number, samples: number) => {
    for (let i = 0; i < 3; i++) {
      await drive(floor, sample, 1)
      await drive(full, sample, 1)
    }
    const floorTimes: Array<number> = []
    const fullTimes: Array<number> = []
    const differences: Array<number> = []
    for (let i = 0; i < samples; i++) {
      let floorTime: number
      let fullTime: number
      if (i % 2 === 0) {
        floorTime = await cpuPerRequest(floor, sample)
        fullTime = await cpuPerRequest(full, sample)
      } else {
        fullTime = await cpuPerRequest(full, sample)
        floorTime = await cpuPerRequest(floor, sample)
      }
      floorTimes.push(floorTime)
      fullTimes.push(fullTime)
      differences.push(fullTime - floorTime)
    }
    await floor.close()
    await full.close()
    const sorted = [...differences].sort((a, b) => a - b)
    return {
      sample,
      samples,
      bareCpuUs: median(floorTimes),
      nordkitCpuUs: median(fullTimes),
      addsUs: median(differences),
      addsQuartilesUs: [sorted[Math.floor(samples / 4)], sorted[Math.floor((3 * samples) / 4)]]
    }
  }
  await reset()
  const loopback = await compare(
    await makeClient("bare"),
    await makeClient("nordkit-undici"),
    Math.max(500, Math.floor(REQUESTS / 20)),
    21
  )
  const lean = (await import("@nordkit/core/UndiciClient")).layer
  const loopbackLean = await compare(
    await bare(lean),
    await nordkit(lean),
    Math.max(500, Math.floor(REQUESTS / 20)),
    21
  )
  const memory = await memoryTransport()
  const inMemory = await compare(await bare(memory, "memory-token"), await nordkit(memory), 5_000, 15)
  output({ kind: "overhead", loopback, loopbackLean, inMemory })
} else {
  throw new Error(`unknown mode ${mode}`)
}
