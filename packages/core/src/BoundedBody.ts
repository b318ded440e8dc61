/**
 * Reading a body into memory under a byte cap, incrementally: the one reader behind the client guard (responses,
 * see internal/guard.ts) and the providers' server-side handlers (webhooks, callbacks, server routes). Reading stops
 * as soon as the cap is passed, so memory stays near the cap whatever the sender claims or sends.
 */
import * as Effect from "effect/Effect"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

/** The failure of {@link collect} when more than the cap arrived. */
export class Oversized {
  readonly _tag = "Oversized"
}

const empty = new Uint8Array(0)

/** `chunks` as one buffer: the only chunk itself, or a copy of them all in order (empty for none). */
export const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  if (chunks.length === 0) return empty
  if (chunks.length === 1) return chunks[0] as Uint8Array
  let total = 0
  for (const chunk of chunks) total += chunk.byteLength
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/** Reads `stream` into one buffer, failing with {@link Oversized} as soon as more than `max` bytes arrived. */
export const collect = <E, R>(
  stream: Stream.Stream<Uint8Array, E, R>,
  max: number
): Effect.Effect<Uint8Array, E | Oversized, R> =>
  Effect.suspend(() => {
    const chunks: Array<Uint8Array> = []
    let total = 0
    return Stream.runForEach(stream, (chunk) => {
      total += chunk.byteLength
      if (total > max) {
        chunks.length = 0
        return Effect.fail(new Oversized())
      }
      chunks.push(chunk)
      return Effect.void
    }).pipe(
      Effect.map(() => {
        const out = concat(chunks)
        chunks.length = 0
        return out
      })
    )
  })

/**
 * A server request's body, read incrementally, or None when it is larger than `max` bytes (a declared
 * `content-length` above the cap is refused before reading) or could not be read.
 */
export const readRequest = (
  request: HttpServerRequest.HttpServerRequest,
  max: number
): Effect.Effect<Option.Option<Uint8Array>> => {
  if (Number(request.headers["content-length"] ?? "0") > max) return Effect.succeed(Option.none())
  return Effect.orElseSucceed(Effect.map(collect(request.stream, max), Option.some), () => Option.none<Uint8Array>())
}

const decoder = /* @__PURE__ */ new TextDecoder()

/** {@link readRequest}, decoded as UTF-8 text. */
export const readRequestText = (
  request: HttpServerRequest.HttpServerRequest,
  max: number
): Effect.Effect<Option.Option<string>> =>
  Effect.map(
    readRequest(request, max),
    Option.map((bytes) => decoder.decode(bytes))
  )
