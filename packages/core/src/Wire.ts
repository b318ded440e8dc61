/**
 * Small schema helpers for providers' wire shapes, in one place:
 *
 * - {@link openEnum}: an enum read from a response — one of the published values, or any other string the provider
 *   adds later, kept as the raw string (never a decode failure for the whole read);
 * - {@link optionalNullable}: a field that may be absent or `null`.
 */
import * as Schema from "effect/Schema"

/**
 * An enum read from a response: one of `values`, or any other string (kept as is). Its type is `string`; export the
 * known values beside it for completion and `switch`es.
 */
export const openEnum = <const L extends ReadonlyArray<string>>(values: L) =>
  Schema.Union([Schema.Literals(values), Schema.String])

/** A field that may be absent or `null`. */
export const optionalNullable = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))
