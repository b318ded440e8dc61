/**
 * A protocol between core's own transport (`UndiciClient`) and the guard: a response that already holds its body
 * as bytes hands them over as they are, without the `ArrayBuffer` copy that `response.arrayBuffer` makes (an
 * off-heap allocation per response). Any other response is read through the `HttpClientResponse` interface.
 */
import type * as Effect from "effect/Effect"
import type * as HttpClientError from "effect/http/HttpClientError"

export const TypeId: unique symbol = Symbol.for("@nordkit/core/internal/bodyBytes") as never

export interface BodyBytes {
  /** The whole (rest of the) body. */
  readonly [TypeId]: Effect.Effect<Uint8Array, HttpClientError.HttpClientError>
}

/** The body as bytes, when `response` implements the protocol. */
export const of = (response: object): Effect.Effect<Uint8Array, HttpClientError.HttpClientError> | undefined =>
  TypeId in response ? (response as BodyBytes)[TypeId] : undefined
