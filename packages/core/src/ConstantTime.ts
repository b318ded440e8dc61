/**
 * Comparing secrets (signatures, PKCE states, webhook tags) without leaking where they differ, on effect's
 * `Mac.timingSafeEqual`.
 */
import * as Mac from "effect/crypto/Mac"

const encoder = new TextEncoder()

/** Whether `a` and `b` are equal, in time independent of where they differ (only the length may show). */
export const equals = (a: string, b: string): boolean => {
  const left = encoder.encode(a)
  const right = encoder.encode(b)
  // Mac.timingSafeEqual answers at once on different lengths; comparing equal-length buffers keeps the loop's
  // time independent of the content.
  if (left.length !== right.length) {
    Mac.timingSafeEqual(left, left)
    return false
  }
  return Mac.timingSafeEqual(left, right)
}

/** {@link equals} on bytes. */
export const equalsBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) {
    Mac.timingSafeEqual(a, a)
    return false
  }
  return Mac.timingSafeEqual(a, b)
}
