/**
 * `Retry-After` (RFC 9110 §10.2.3): a number of whole seconds, or an HTTP date in any of the three formats a
 * recipient must accept (IMF-fixdate, the obsolete RFC 850 form, asctime). The same reading as effect's
 * `Headers.parseRetryAfter`, without its `DateTime` dependency (about 4 KiB of a browser bundle for one date).
 */

const months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
const weekday = "(?:mon|tue|wed|thu|fri|sat|sun)"
const time = "(\\d{2}):(\\d{2}):(\\d{2})"
/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const imfFixdate = new RegExp(`^${weekday}, (\\d{2}) ([a-z]{3}) (\\d{4}) ${time} gmt$`, "i")
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const rfc850 = new RegExp(
  `^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday), (\\d{2})-([a-z]{3})-(\\d{2}) ${time} gmt$`,
  "i"
)
/** `Sun Nov  6 08:49:37 1994` */
const asctime = new RegExp(`^${weekday} ([a-z]{3}) ( \\d|\\d{2}) ${time} (\\d{4})$`, "i")

const toMillis = (day: string, month: string, yearText: string, hh: string, mm: string, ss: string) => {
  const monthIndex = months.indexOf(month.toLowerCase())
  const hour = Number(hh)
  const minute = Number(mm)
  const second = Number(ss)
  if (monthIndex === -1 || hour > 23 || minute > 59 || second > 60) return undefined
  let year = Number(yearText)
  if (yearText.length === 2) year += year < 70 ? 2000 : 1900
  const date = new Date(0)
  date.setUTCFullYear(year, monthIndex, Number(day))
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== monthIndex || date.getUTCDate() !== Number(day)) {
    return undefined
  }
  return date.getTime() + ((hour * 60 + minute) * 60 + second) * 1000
}

/** Epoch millis of an HTTP date, or undefined when `text` is not one. */
export const httpDateMillis = (text: string): number | undefined => {
  const fixed = imfFixdate.exec(text) ?? rfc850.exec(text)
  if (fixed !== null) return toMillis(fixed[1], fixed[2], fixed[3], fixed[4], fixed[5], fixed[6])
  const old = asctime.exec(text)
  return old === null ? undefined : toMillis(old[2].trim(), old[1], old[6], old[3], old[4], old[5])
}

/** The delay a `Retry-After` value asks for, in milliseconds from `now` (never negative), or undefined. */
export const delayMillis = (value: string, now: number): number | undefined => {
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const at = httpDateMillis(trimmed)
  return at === undefined ? undefined : Math.max(0, at - now)
}
