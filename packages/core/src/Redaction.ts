/**
 * Secret scrubbing: before any text a server sent enters an error (its message, `String()`, JSON,
 * `Cause.pretty`, logs, span events), every secret the client holds for that request is replaced with
 * `[redacted]`. A server that echoes the request back (an `error_description` quoting the form body, a plain
 * text 400 dumping the headers) therefore leaks nothing.
 *
 * The secrets of a request are found in two places:
 *
 * - the request as sent: the credentials of `Authorization` (a bearer token; Basic credentials, their base64 and
 *   the decoded id and secret), every header whose name says it carries a secret (`*key*`, `*secret*`,
 *   `*token*`, `*signature*`, cookies, the names in `Headers.CurrentRedactedNames`) and the secret fields of a
 *   form body (`client_secret`, `password`, `code`, `code_verifier`, `refresh_token`, ...);
 * - the secrets registered for the running effect with `withSecrets` (a client secret behind a signature, the
 *   Redacted parameters of a token request, ...).
 *
 * Each secret is matched in the forms it may come back in: as is, URL-encoded, JSON-escaped and base64.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Headers from "effect/http/Headers"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Redacted from "effect/Redacted"

/** What replaces a secret. */
export const marker = "[redacted]"

/** Secrets shorter than this are not scrubbed (they would mangle ordinary text and protect nothing). */
export const minimumLength = 4

export type Secret = string | Redacted.Redacted<string>

/** Secrets registered for the running effect (see `withSecrets`). */
export const CurrentSecrets = Context.Reference<ReadonlyArray<Secret>>("@nordkit/core/Redaction/CurrentSecrets", {
  defaultValue: () => []
})

/** Registers `secrets` for `effect`: any error built from server text while it runs has them scrubbed. */
export const withSecrets =
  (secrets: ReadonlyArray<Secret | undefined>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
    const present = secrets.filter((secret): secret is Secret => secret !== undefined)
    return present.length === 0
      ? effect
      : Effect.withFiber((fiber) =>
          Effect.provideService(effect, CurrentSecrets, [...fiber.getRef(CurrentSecrets), ...present])
        )
  }

const secretHeader = /auth|key|secret|token|signature|password|session|cookie|credential/i
const secretField = /secret|password|passwd|token|code|verifier|key|assertion|signature|credential/i
const decoder = new TextDecoder()

const base64Decode = (text: string): string | undefined => {
  try {
    return atob(text)
  } catch {
    return undefined
  }
}

const base64Encode = (text: string): string | undefined => {
  try {
    return btoa(text)
  } catch {
    return btoa(String.fromCharCode(...new TextEncoder().encode(text)))
  }
}

const fromAuthorization = (value: string, out: Array<string>) => {
  out.push(value)
  const space = value.indexOf(" ")
  if (space < 0) return
  const scheme = value.slice(0, space).toLowerCase()
  const credentials = value.slice(space + 1).trim()
  out.push(credentials)
  if (scheme !== "basic") return
  const decoded = base64Decode(credentials)
  if (decoded === undefined) return
  out.push(decoded)
  const colon = decoded.indexOf(":")
  if (colon < 0) return
  // The client id is not a secret; the secret after the colon is (RFC 6749 §2.3.1 form-urlencodes it).
  const secret = decoded.slice(colon + 1)
  out.push(secret)
  try {
    out.push(decodeURIComponent(secret.replace(/\+/g, " ")))
  } catch {
    // not URL-encoded
  }
}

const bodyText = (request: HttpClientRequest.HttpClientRequest): string | undefined => {
  const body = request.body
  if (body._tag === "Uint8Array") return decoder.decode(body.body)
  if (body._tag === "Raw" && typeof body.body === "string") return body.body
  if (body._tag === "Raw" && body.body instanceof Uint8Array) return decoder.decode(body.body)
  return undefined
}

/** The secret strings a request carries, as sent (see the module comment). */
export const secretsOf = (
  request: HttpClientRequest.HttpClientRequest,
  redactedNames: ReadonlyArray<string | RegExp> = []
): Array<string> => {
  const out: Array<string> = []
  for (const [name, value] of Object.entries(request.headers)) {
    if (name === "authorization" || name === "proxy-authorization") fromAuthorization(value, out)
    else if (
      secretHeader.test(name) ||
      redactedNames.some((redacted) =>
        typeof redacted === "string" ? redacted.toLowerCase() === name : redacted.test(name)
      )
    )
      out.push(value)
  }
  const contentType = request.body._tag === "Empty" ? undefined : request.body.contentType
  if (contentType?.startsWith("application/x-www-form-urlencoded")) {
    const text = bodyText(request)
    if (text !== undefined) {
      for (const [key, value] of new URLSearchParams(text)) if (secretField.test(key)) out.push(value)
    }
  }
  return out
}

/** The forms a secret may be echoed in. */
const variants = (secret: string): Array<string> => {
  const forms = new Set([secret])
  forms.add(encodeURIComponent(secret))
  forms.add(encodeURIComponent(secret).replace(/%20/g, "+"))
  forms.add(JSON.stringify(secret).slice(1, -1))
  const base64 = base64Encode(secret)
  if (base64 !== undefined) {
    forms.add(base64)
    forms.add(base64.replace(/=+$/, ""))
    forms.add(base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""))
  }
  return [...forms].filter((form) => form.length >= minimumLength)
}

/** Every secret of the current effect and of `request`, ready for `scrub`. */
export const collect = (
  request: HttpClientRequest.HttpClientRequest | undefined,
  extra: ReadonlyArray<Secret> = []
): Effect.Effect<ReadonlyArray<string>> =>
  Effect.withFiber((fiber) => {
    const registered = [...fiber.getRef(CurrentSecrets), ...extra].map((secret) =>
      Redacted.isRedacted(secret) ? Redacted.value(secret) : secret
    )
    const carried = request === undefined ? [] : secretsOf(request, fiber.getRef(Headers.CurrentRedactedNames))
    return Effect.succeed(prepare([...registered, ...carried]))
  })

/** Expands secrets into every matched form, longest first (so a secret inside a longer one goes with it). */
export const prepare = (secrets: ReadonlyArray<string>): ReadonlyArray<string> => {
  const forms = new Set<string>()
  for (const secret of secrets) if (secret.length >= minimumLength) for (const form of variants(secret)) forms.add(form)
  return [...forms].sort((a, b) => b.length - a.length)
}

/** Replaces every occurrence of every prepared secret in `text` with the marker. */
export const scrub = (text: string, prepared: ReadonlyArray<string>): string => {
  let out = text
  for (const secret of prepared) if (out.includes(secret)) out = out.split(secret).join(marker)
  return out
}

/** `scrub` for any JSON-like value: strings anywhere inside are scrubbed, the shape is kept. */
export const scrubValue = (value: unknown, prepared: ReadonlyArray<string>): unknown => {
  if (prepared.length === 0) return value
  if (typeof value === "string") return scrub(value, prepared)
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, prepared))
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[scrub(key, prepared)] = scrubValue(item, prepared)
    return out
  }
  return value
}
