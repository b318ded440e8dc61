/**
 * The messages a wallet owner signs for Monerium (pure functions, no I/O, browser-safe):
 *
 * - {@link orderMessage}: authorizes a redeem order —
 *   `Send <CURRENCY> <AMOUNT> to <IBAN> at <TIMESTAMP>` for a SEPA payment (full IBAN in upper case without
 *   spaces, or the short form: first four, `...`, last four), or
 *   `Send <CURRENCY> <AMOUNT> to <ADDRESS> on <CHAIN> at <TIMESTAMP>` for a cross-chain transfer.
 *   The timestamp is RFC 3339 in UTC accurate to the minute (seconds zero) and must be at most 5 minutes in the
 *   past when the order is placed (a later time is allowed).
 * - {@link linkAddressMessage}: the fixed declaration signed to link an address.
 * - {@link siweMessage}: the Sign-In with Ethereum message for `MoneriumClient.authorizeSiwe`.
 *
 * Sign the result with the wallet (EIP-191 `personal_sign`), then pass message and signature to
 * `placeOrder` / `linkAddress`.
 */
import type { Counterpart, Identifier } from "./MoneriumSchema.ts"

export { linkAddressMessage } from "./MoneriumSchema.ts"

/** The IBAN as the message wants it: upper case, no spaces. */
export const normalizeIban = (iban: string): string => iban.replace(/\s+/g, "").toUpperCase()

/** The short form of an IBAN: first four characters, `...`, last four (always 11 characters). */
export const shortIban = (iban: string): string => {
  const compact = normalizeIban(iban)
  return `${compact.slice(0, 4)}...${compact.slice(-4)}`
}

/** RFC 3339 UTC timestamp truncated to the minute, e.g. `2024-07-12T12:02:00Z`. */
export const messageTimestamp = (at: Date | number): string => {
  const millis = typeof at === "number" ? at : at.getTime()
  if (!Number.isFinite(millis)) throw new RangeError("the order message needs a valid time")
  return `${new Date(Math.floor(millis / 60_000) * 60_000).toISOString().slice(0, 16)}:00Z`
}

export interface OrderMessageInput {
  /** The order amount exactly as it is sent in the order, e.g. "100" or "1.23". */
  readonly amount: string
  /** The order currency, e.g. "eur" (written upper case). */
  readonly currency: string
  /** The order's counterpart, or just its identifier. */
  readonly counterpart: Counterpart | { readonly identifier: Identifier }
  /** When the message is signed (truncated to the minute). */
  readonly at: Date | number
  /** Use the short IBAN form (`EE12...2602`). Default false. */
  readonly shortIban?: boolean | undefined
}

/** The exact message the address owner signs to authorize a redeem order. */
export const orderMessage = (input: OrderMessageInput): string => {
  const head = `Send ${input.currency.toUpperCase()} ${input.amount} to`
  const identifier = input.counterpart.identifier
  const timestamp = messageTimestamp(input.at)
  if (identifier.standard === "chain") return `${head} ${identifier.address} on ${identifier.chain} at ${timestamp}`
  const iban = input.shortIban === true ? shortIban(identifier.iban) : normalizeIban(identifier.iban)
  return `${head} ${iban} at ${timestamp}`
}

export interface SiweMessageInput {
  /** The app's domain, e.g. "example.com" (the first line: "<domain> wants you to sign in ..."). */
  readonly domain: string
  /** The wallet address, already linked to a Monerium account. */
  readonly address: string
  /** The app's name in the statement: "Allow <appName> to access my data on Monerium". */
  readonly appName: string
  /** The app's URI, e.g. its redirect URI. */
  readonly uri: string
  /** EVM chain id (1 for Ethereum mainnet). */
  readonly chainId: number
  /** A fresh random nonce per request (at least 8 alphanumeric characters). */
  readonly nonce: string
  readonly issuedAt: Date | number
  /** Required by Monerium. */
  readonly expirationTime: Date | number
  readonly privacyPolicyUrl: string
  readonly termsOfServiceUrl: string
}

const secondTimestamp = (at: Date | number) =>
  `${new Date(typeof at === "number" ? at : at.getTime()).toISOString().slice(0, 19)}Z`

/**
 * The EIP-4361 (Sign-In with Ethereum) message Monerium accepts at `POST /auth` with
 * `authentication_method=siwe`: an expiration time, and as resources Monerium's SIWE resource plus the app's
 * privacy policy and terms of service. The wallet signs it (EIP-191); `MoneriumClient.authorizeSiwe` sends it.
 */
export const siweMessage = (input: SiweMessageInput): string =>
  [
    `${input.domain} wants you to sign in with your Ethereum account:`,
    input.address,
    "",
    `Allow ${input.appName} to access my data on Monerium`,
    "",
    `URI: ${input.uri}`,
    "Version: 1",
    `Chain ID: ${input.chainId}`,
    `Nonce: ${input.nonce}`,
    `Issued At: ${secondTimestamp(input.issuedAt)}`,
    `Expiration Time: ${secondTimestamp(input.expirationTime)}`,
    "Resources:",
    "- https://monerium.com/siwe",
    `- ${input.privacyPolicyUrl}`,
    `- ${input.termsOfServiceUrl}`
  ].join("\n")
