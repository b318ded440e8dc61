/**
 * Base URL validation, done once when a client layer is built: `https://` is required unless the host is
 * loopback (so test servers on 127.0.0.1 work while a typo such as `http://api.example.com` is refused before any
 * secret is sent over plain HTTP).
 */
import * as Effect from "effect/Effect"
import { ConfigurationError } from "./NordkitError.ts"

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]", "::1"])

/** Whether `hostname` is a loopback address (localhost, 127.0.0.0/8, ::1). */
export const isLoopback = (hostname: string): boolean =>
  loopbackHosts.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) || hostname.endsWith(".localhost")

/**
 * Checks `url` and returns it without a trailing slash, or fails with a `ConfigurationError` naming `name`
 * (e.g. the environment variable) — never echoing credentials embedded in the URL.
 */
export const validate = (provider: string, name: string, url: string): Effect.Effect<string, ConfigurationError> =>
  Effect.suspend(() => {
    if (!URL.canParse(url)) {
      return Effect.fail(new ConfigurationError({ provider, detail: `${name} is not a valid URL` }))
    }
    const parsed = new URL(url)
    if (parsed.username !== "" || parsed.password !== "") {
      return Effect.fail(new ConfigurationError({ provider, detail: `${name} must not contain credentials` }))
    }
    if (parsed.search !== "" || parsed.hash !== "") {
      return Effect.fail(new ConfigurationError({ provider, detail: `${name} must not have a query or fragment` }))
    }
    const secure = parsed.protocol === "https:" || (parsed.protocol === "http:" && isLoopback(parsed.hostname))
    if (!secure) {
      return Effect.fail(
        new ConfigurationError({
          provider,
          detail: `${name} must use https:// (plain http is only allowed for loopback hosts), got ${parsed.protocol}//${parsed.host}`
        })
      )
    }
    return Effect.succeed(`${parsed.origin}${parsed.pathname}`.replace(/\/+$/, ""))
  })
