/**
 * Ids placed in a URL path. An id is a single path segment, percent-encoded; an id that could move the request
 * to another endpoint is refused before anything is sent, with an `InvalidRequestError`:
 *
 * - `""`, `.`, `..`, and anything that normalizes to them (surrounding whitespace, Unicode compatibility forms
 *   such as fullwidth dots, percent-encoded dots `%2e`);
 * - `/`, `\`, `?`, `#` and their percent-encoded forms (a server that decodes twice would split the path);
 * - control characters and lone surrogates (not encodable).
 *
 * ```ts
 * const url = yield* PathSegment.path("dintero", "POST")`/v1/transactions/${transactionId}/capture`
 * ```
 */
import * as Effect from "effect/Effect"
import { InvalidRequestError } from "./NordkitError.ts"

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/
const encodedSeparator = /%(2e|2f|5c|3f|23|25)/i
const separators = /[/\\?#]/
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Printable ASCII without space, `%`, `/`, `\\`, `?`, `#`: NFKC leaves it as it is, so only dot segments remain. */
const plainAscii = /^[!-"$&-.0->@-[\]-~]+$/

/** Why `id` cannot be a path segment, or undefined when it can. */
export const problem = (id: string): string | undefined => {
  if (typeof id !== "string") return "is not a string"
  if (plainAscii.test(id)) return id === "." || id === ".." ? "is a dot segment or blank" : undefined
  if (id.length === 0) return "is empty"
  if (loneSurrogate.test(id)) return "is not well-formed Unicode"
  if (controlCharacters.test(id)) return "contains a control character"
  if (separators.test(id)) return "contains a path separator, `?` or `#`"
  if (encodedSeparator.test(id)) return "contains a percent-encoded dot, separator or `%`"
  const normalized = id.normalize("NFKC").trim()
  if (normalized === "" || normalized === "." || normalized === "..") return "is a dot segment or blank"
  if (separators.test(normalized)) return "normalizes to a path separator"
  return undefined
}

/** Whether `id` is safe as one path segment. */
export const isValid = (id: string): boolean => problem(id) === undefined

/** Shows an id in an error without echoing arbitrary input at length. */
const show = (id: unknown): string => {
  const text = typeof id === "string" ? JSON.stringify(id) : typeof id
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}

/**
 * Encodes one id as a path segment, or fails with `InvalidRequestError` naming `provider`, `method` and the
 * path template (`/v1/transactions/{}`).
 */
export const encode = (
  provider: string,
  method: string,
  id: string,
  template = "{}"
): Effect.Effect<string, InvalidRequestError> => {
  const reason = problem(id)
  return reason === undefined
    ? Effect.succeed(encodeURIComponent(id))
    : Effect.fail(
        new InvalidRequestError({
          provider,
          method,
          path: template,
          detail: `path segment ${show(id)} ${reason}; it would not address the intended resource`
        })
      )
}

/**
 * A tagged template for a request path: every interpolated value is checked and percent-encoded as one
 * segment; the literal parts are kept as written.
 */
export const path =
  (provider: string, method: string) =>
  (strings: TemplateStringsArray, ...ids: ReadonlyArray<string>): Effect.Effect<string, InvalidRequestError> => {
    let out = strings[0] ?? ""
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string
      const reason = problem(id)
      if (reason !== undefined) return encode(provider, method, id, strings.join("{}"))
      out += encodeURIComponent(id) + (strings[i + 1] ?? "")
    }
    return Effect.succeed(out)
  }
