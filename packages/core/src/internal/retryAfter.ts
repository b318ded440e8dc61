/**
 * `Retry-After` (RFC 9110 §10.2.3): a number of whole seconds, or an HTTP date in any of the three formats a
 * recipient must accept. The same forms as effect's `Headers.parseRetryAfter` (only the day name is not checked),
 * without its `DateTime` dependency (about 4 KiB of a browser bundle, for one date).
 */

const months = "janfebmaraprmayjunjulaugsepoctnovdec"

/**
 * IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT` and RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` (groups 1–4: day,
 * month, year, time), or asctime `Sun Nov  6 08:49:37 1994` (groups 5–8: month, day, time, year).
 */
const httpDate =
  /^[a-z]{3,9}, (\d\d)[ -]([a-z]{3})[ -](\d{4}|\d\d) (\d\d:\d\d:\d\d) gmt$|^[a-z]{3} ([a-z]{3}) ([ \d]\d) (\d\d:\d\d:\d\d) (\d{4})$/i

/** Epoch millis of an HTTP date, or undefined when `text` is not one (or names a day that does not exist). */
export const httpDateMillis = (text: string): number | undefined => {
  const m = httpDate.exec(text)
  if (m === null) return undefined
  const [dayText, monthText, yearText, time] = m[1] === undefined ? [m[6], m[5], m[8], m[7]] : [m[1], m[2], m[3], m[4]]
  const month = months.indexOf(monthText.toLowerCase()) / 3
  const [hour, minute, second] = time.split(":").map(Number)
  if (!Number.isInteger(month) || hour > 23 || minute > 59 || second > 60) return undefined
  const day = Number(dayText)
  const year = yearText.length === 2 ? Number(yearText) + (Number(yearText) < 70 ? 2000 : 1900) : Number(yearText)
  const date = new Date(0)
  date.setUTCFullYear(year, month, day)
  if (date.getUTCMonth() !== month || date.getUTCDate() !== day) return undefined
  return date.getTime() + ((hour * 60 + minute) * 60 + second) * 1000
}

/** The delay a `Retry-After` value asks for, in milliseconds from `now` (never negative), or undefined. */
export const delayMillis = (value: string, now: number): number | undefined => {
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = httpDateMillis(trimmed)
  return at === undefined ? undefined : Math.max(0, at - now)
}
