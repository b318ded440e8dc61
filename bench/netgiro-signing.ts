/**
 * Benchmark: what Netgíró request signing costs per request, for a 1 KB and a 1 MB body.
 *
 * - "WebCrypto":   `NetgiroAuth.signHeaders` — the function the client's signing middleware calls for every
 *                  attempt (nonce, input bytes, SHA-256, hex) — on `Digest.layerWebCrypto` (crypto.subtle).
 * - "NodeCrypto":  the same function on `NodeCrypto.layerDigest` (node:crypto createHash, synchronous).
 * - "node:crypto": the floor — a bare `createHash("sha256").update(secret + nonce + url).update(body)`, no
 *                  Effect, no nonce source, no input copy.
 *
 * Each variant runs in samples of N signatures; the median per-signature time over the samples is printed.
 * Samples of the three variants are interleaved so that machine noise hits them alike.
 *
 * Run: ./nk node --conditions=@nordkit/source bench/netgiro-signing.ts
 */

import { createHash } from "node:crypto"
import { cpus } from "node:os"
import { NodeCrypto } from "@effect/platform-node"
import { NetgiroAuth } from "@nordkit/netgiro"
import { NetgiroTestServer } from "@nordkit/netgiro/testing"
import * as Digest from "effect/crypto/Digest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

const SAMPLES = 15
const url = "https://api.test.netgiro.is/v1/Checkout/InsertCart"
const secret = NetgiroTestServer.publicTestApp.secret

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 0 ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[mid]
}

const bodyOf = (bytes: number) => {
  const body = new Uint8Array(bytes)
  for (let i = 0; i < bytes; i++) body[i] = 32 + (i % 90)
  return body
}

const program = Effect.gen(function* () {
  const web = yield* Effect.provide(Effect.service(Digest.Digest), Digest.layerWebCrypto)
  const node = yield* Effect.provide(Effect.service(Digest.Digest), NodeCrypto.layerDigest)
  const nonce = yield* NetgiroAuth.makeNonce
  const signer = (digest: NetgiroAuth.DigestService): NetgiroAuth.SignerOptions => ({
    appKey: NetgiroTestServer.publicTestApp.appKey,
    secret: Redacted.make(secret),
    digest,
    nonce
  })
  const webSigner = signer(web)
  const nodeSigner = signer(node)

  yield* Effect.sync(() =>
    console.log(`Netgíró request signing — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`)
  )
  yield* Effect.sync(() => console.log("median µs per signed request (SHA-256 over secret + nonce + url + body)\n"))
  yield* Effect.sync(() => console.log("body      WebCrypto   NodeCrypto   node:crypto floor"))

  for (const [label, bytes, perSample] of [
    ["1 KB", 1_024, 2_000],
    ["1 MB", 1_048_576, 20]
  ] as const) {
    const body = bodyOf(bytes)
    const samples = { web: [] as Array<number>, node: [] as Array<number>, floor: [] as Array<number> }
    const timeEffect = (options: NetgiroAuth.SignerOptions) =>
      Effect.gen(function* () {
        const start = performance.now()
        for (let i = 0; i < perSample; i++) yield* NetgiroAuth.signHeaders(options, { url, body })
        return ((performance.now() - start) * 1000) / perSample
      })
    const timeFloor = () => {
      const start = performance.now()
      let n = 0n
      for (let i = 0; i < perSample; i++) {
        createHash("sha256").update(`${secret}${++n}${url}`).update(body).digest("hex")
      }
      return ((performance.now() - start) * 1000) / perSample
    }
    // Warm-up: JIT and the WebCrypto thread pool.
    yield* timeEffect(webSigner)
    yield* timeEffect(nodeSigner)
    timeFloor()
    for (let s = 0; s < SAMPLES; s++) {
      samples.web.push(yield* timeEffect(webSigner))
      samples.node.push(yield* timeEffect(nodeSigner))
      samples.floor.push(timeFloor())
    }
    const fmt = (v: number) => v.toFixed(1).padStart(9)
    yield* Effect.sync(() =>
      console.log(
        `${label.padEnd(6)} ${fmt(median(samples.web))}    ${fmt(median(samples.node))}    ${fmt(median(samples.floor))}`
      )
    )
  }
})

await Effect.runPromise(program)
