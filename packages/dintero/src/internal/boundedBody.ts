/** Reading a callback's body on an Effect HTTP server without letting it exceed a cap. */
import * as Effect from "effect/Effect"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

class TooLarge {
  readonly _tag = "TooLarge"
}

/**
 * The body as text, read incrementally, or None when it is larger than `max` bytes (a declared `content-length`
 * above the cap is refused before reading) or could not be read.
 */
export const readBoundedText = (
  request: HttpServerRequest.HttpServerRequest,
  max: number
): Effect.Effect<Option.Option<string>> => {
  if (Number(request.headers["content-length"] ?? "0") > max) return Effect.succeed(Option.none())
  return Stream.runFoldEffect(
    request.stream,
    (): { size: number; parts: Array<Uint8Array> } => ({ size: 0, parts: [] }),
    (acc, chunk) =>
      acc.size + chunk.length > max
        ? Effect.fail(new TooLarge())
        : Effect.sync(() => {
            acc.parts.push(chunk)
            acc.size += chunk.length
            return acc
          })
  ).pipe(
    Effect.map((acc) => {
      const bytes = new Uint8Array(acc.size)
      let offset = 0
      for (const part of acc.parts) {
        bytes.set(part, offset)
        offset += part.length
      }
      return Option.some(new TextDecoder().decode(bytes))
    }),
    Effect.orElseSucceed(() => Option.none<string>())
  )
}
