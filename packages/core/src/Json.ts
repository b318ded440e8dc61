/**
 * JSON text from a server, read without throwing: the one parser every package uses for bodies whose shape is
 * checked afterwards (error bodies, signed answers, callbacks).
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

const decodeText = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.Unknown))

/** The parsed value, or `None` when `text` is empty or not JSON. */
export const parseOption = (text: string): Option.Option<unknown> =>
  text.length === 0 ? Option.none() : decodeText(text)

/** The parsed value, or `undefined` when `text` is empty or not JSON. */
export const parse = (text: string): unknown => Option.getOrUndefined(parseOption(text))
