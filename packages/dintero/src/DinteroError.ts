/**
 * Dintero's error body (`{ error: { code?, message, errors? } }`) read into the fields of nordkit's error
 * family; the status decides the error class (see `ApiClient.classifyStatus`). Token endpoint errors use the
 * same reader, so a wrong secret surfaces as `AuthenticationError` carrying Dintero's code and message.
 */
import type * as ApiClient from "@nordkit/core/ApiClient"
import * as Schema from "effect/Schema"
import { ErrorBody } from "./DinteroSchema.ts"

const decode = Schema.decodeUnknownOption(ErrorBody)

export const errorFields = (json: unknown, text: string): ApiClient.ErrorFields => {
  const body = decode(json)
  if (body._tag === "None") return json === undefined && text.length > 0 ? { detail: text.slice(0, 200) } : {}
  const { code, message, errors } = body.value.error
  const fieldErrors: Record<string, string> = {}
  for (const entry of errors ?? []) {
    if (typeof entry === "object" && entry !== null) {
      const { field, message: m } = entry as { field?: unknown; message?: unknown }
      if (typeof field === "string" && typeof m === "string") fieldErrors[field] = m
    }
  }
  return {
    code: code === undefined || code === null ? undefined : String(code),
    detail: message ?? undefined,
    fieldErrors: Object.keys(fieldErrors).length > 0 ? fieldErrors : undefined
  }
}
