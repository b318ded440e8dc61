/**
 * Monerium API v2 wire shapes (`Accept: application/vnd.monerium.api-v2+json`). Amounts are decimal strings
 * exactly as Monerium sends them (`"1234.56"`), never floats: convert with a decimal library if you must compute.
 * Fields this package does not know are ignored on decode, so additions on Monerium's side do not break you.
 */
import * as Schema from "effect/Schema"

/** A decimal amount as a string, e.g. "100", "1234.56" (no exponent, no float). */
export const DecimalAmount = Schema.String.check(
  Schema.isPattern(/^-?\d+(\.\d+)?$/, { message: "an amount must be a decimal string such as 1234.56" })
)
export type DecimalAmount = typeof DecimalAmount.Type

/** Blockchain name, e.g. "ethereum", "gnosis", "polygon", "arbitrum" (open set: Monerium adds chains). */
export const Chain = Schema.String
/** Lower-case currency code, e.g. "eur", "usd", "gbp", "isk". */
export const Currency = Schema.String

export const ProfilePermissions = Schema.Struct({
  id: Schema.String,
  kind: Schema.String,
  name: Schema.String,
  perms: Schema.Array(Schema.String)
})
export type ProfilePermissions = typeof ProfilePermissions.Type

/** `GET /auth/context`: who the token speaks for. */
export const AuthContext = Schema.Struct({
  userId: Schema.String,
  email: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  roles: Schema.optional(Schema.Array(Schema.String)),
  defaultProfile: Schema.optional(Schema.String),
  profiles: Schema.Array(ProfilePermissions)
})
export type AuthContext = typeof AuthContext.Type

export const ProfileKind = Schema.Literals(["personal", "corporate"])
export const ProfileState = Schema.Literals(["created", "pending", "approved", "rejected", "blocked"])

export const Profile = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  kind: ProfileKind,
  state: Schema.optional(ProfileState)
})
export type Profile = typeof Profile.Type

export const ProfileList = Schema.Struct({ profiles: Schema.Array(Profile) })

/** A blockchain address linked to a profile. */
export const Address = Schema.Struct({
  profile: Schema.String,
  address: Schema.String,
  chains: Schema.Array(Chain)
})
export type Address = typeof Address.Type

export const AddressList = Schema.Struct({ addresses: Schema.Array(Address) })

export const Balance = Schema.Struct({ currency: Currency, amount: DecimalAmount })
export type Balance = typeof Balance.Type

/** `GET /balances/{chain}/{address}`. */
export const Balances = Schema.Struct({
  id: Schema.optional(Schema.String),
  address: Schema.String,
  chain: Chain,
  balances: Schema.Array(Balance)
})
export type Balances = typeof Balances.Type

export const Iban = Schema.Struct({
  iban: Schema.String,
  bic: Schema.optional(Schema.String),
  profile: Schema.String,
  address: Schema.String,
  chain: Chain,
  state: Schema.optional(Schema.String),
  emailNotifications: Schema.optional(Schema.Boolean)
})
export type Iban = typeof Iban.Type

export const IbanList = Schema.Struct({ ibans: Schema.Array(Iban) })

/** `POST /ibans`: request an IBAN for an address (or move one to it). */
export const RequestIban = Schema.Struct({
  address: Schema.String,
  chain: Chain,
  emailNotifications: Schema.optional(Schema.Boolean)
})
export type RequestIban = typeof RequestIban.Type

export const Identifier = Schema.Struct({
  standard: Schema.String,
  iban: Schema.optional(Schema.String),
  address: Schema.optional(Schema.String),
  chain: Schema.optional(Chain)
})

export const CounterpartDetails = Schema.Struct({
  name: Schema.optional(Schema.String),
  firstName: Schema.optional(Schema.String),
  lastName: Schema.optional(Schema.String),
  companyName: Schema.optional(Schema.String),
  country: Schema.optional(Schema.String)
})

export const Counterpart = Schema.Struct({ identifier: Identifier, details: CounterpartDetails })
export type Counterpart = typeof Counterpart.Type

export const OrderKind = Schema.Literals(["issue", "redeem"])
export const OrderState = Schema.Literals(["placed", "pending", "processed", "rejected"])
export type OrderState = typeof OrderState.Type

export const OrderMeta = Schema.Struct({
  placedAt: Schema.String,
  processedAt: Schema.optional(Schema.NullOr(Schema.String)),
  rejectedReason: Schema.optional(Schema.NullOr(Schema.String)),
  txHashes: Schema.optional(Schema.NullOr(Schema.Array(Schema.String)))
})

export const Order = Schema.Struct({
  id: Schema.String,
  profile: Schema.String,
  address: Schema.String,
  kind: OrderKind,
  chain: Chain,
  amount: DecimalAmount,
  currency: Currency,
  counterpart: Counterpart,
  memo: Schema.optional(Schema.NullOr(Schema.String)),
  meta: OrderMeta,
  state: OrderState
})
export type Order = typeof Order.Type

export const OrderList = Schema.Struct({ orders: Schema.Array(Order) })

/** `POST /orders`: a redeem order (EURe burned on chain, euros sent to the counterpart's IBAN). */
export const NewOrder = Schema.Struct({
  kind: Schema.Literal("redeem"),
  amount: DecimalAmount,
  currency: Currency,
  address: Schema.String,
  chain: Chain,
  counterpart: Counterpart,
  memo: Schema.optional(Schema.String),
  /** The message the address owner signed, e.g. "Send EUR 10 to GR16... at 2024-07-12T12:02:49Z". */
  message: Schema.String,
  /** The signature of `message` by `address` (0x-hex), or "0x" for a Safe that signs on chain. */
  signature: Schema.String,
  supportingDocumentId: Schema.optional(Schema.String)
})
export type NewOrder = typeof NewOrder.Type

/** Filters of `GET /orders`. */
export interface ListOrdersParams {
  readonly address?: string | undefined
  readonly txHash?: string | undefined
  readonly profile?: string | undefined
  readonly memo?: string | undefined
  readonly state?: OrderState | undefined
}

/** Monerium's error body. */
export const ErrorBody = Schema.Struct({
  code: Schema.Number,
  status: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  errors: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Schema.String)))
})
export type ErrorBody = typeof ErrorBody.Type

/** What Monerium's token endpoint adds to the OAuth2 token response. */
export const TokenExtra = Schema.Struct({
  profile: Schema.optional(Schema.String),
  userId: Schema.optional(Schema.String)
})
