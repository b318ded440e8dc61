/**
 * JSON text from a server, read without throwing: the one parser every package uses for bodies whose shape is
 * checked afterwards (error bodies, signed answers, callbacks, every decoded response).
 *
 * Plain `JSON.parse`: it is on every response's path, and going through a `Schema.fromJsonString` decoder cost
 * several µs per response more (`bench/peer`).
 */
import * as Option from "effect/Option"

/** The parsed value, or `undefined` when `text` is empty or not JSON. */
export const parse = (text: string): unknown => {
  if (text.length === 0) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The parsed value, or `None` when `text` is empty or not JSON. */
export const parseOption = (text: string): Option.Option<unknown> => {
  if (text.length === 0) return Option.none()
  try {
    return Option.some(JSON.parse(text))
  } catch {
    return Option.none()
  }
}
