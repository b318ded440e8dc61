/**
 * Monerium API v2 wire shapes (`Accept: application/vnd.monerium.api-v2+json`), written from Monerium's published
 * OpenAPI document (the facts this package relies on are extracted into `test/contract/facts.json` by
 * `scripts/facts.ts`, and `test/contract/Contract.test.ts` holds these schemas, the test server and the client's
 * requests to them).
 *
 * Reading answers is lenient where the spec is: a field the spec does not mark required is optional here, and
 * every enum is open — a value Monerium adds later (a new profile state, order state, chain, currency) is kept as
 * the raw string instead of failing the whole read. Fields this package does not know are ignored. Writing
 * requests is strict: refused input is an `InvalidRequestError` and nothing is sent.
 *
 * Amounts are decimal strings exactly as Monerium sends them (`"1234.56"`), never floats.
 */
import * as Wire from "@nordkit/core/Wire"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * An enum read from a response: one of the published values, or any other string Monerium may add later
 * (kept as is, never a decode failure). The type is `string`; the known values are exported beside each enum.
 */
const openEnum = Wire.openEnum

/** A list the spec does not mark required: absent reads as empty. */
const list = <S extends Schema.Constraint>(item: S) =>
  Schema.Array(item).pipe(Schema.withDecodingDefault(Effect.succeed([] as ReadonlyArray<S["Encoded"]>)))

/** A decimal amount as a string, e.g. "100", "1234.56" (no exponent, no float). */
export const DecimalAmount = /* @__PURE__ */ Schema.String.check(
  /* @__PURE__ */ Schema.isPattern(/^-?\d+(\.\d+)?$/, { message: "an amount must be a decimal string such as 1234.56" })
)
export type DecimalAmount = typeof DecimalAmount.Type

/** An order amount: digits, optionally a point and one or two decimals (the spec's `NewOrder.amount`). */
export const OrderAmount = Schema.String.check(
  Schema.isPattern(/^\d+(\.\d{1,2})?$/, { message: "an order amount is a decimal string with at most 2 decimals" })
)

export const knownChains = [
  "ethereum",
  "gnosis",
  "polygon",
  "arbitrum",
  "linea",
  "base",
  "noble",
  "sepolia",
  "chiado",
  "amoy",
  "arbitrumsepolia",
  "lineasepolia",
  "basesepolia",
  "grand"
] as const
/** Blockchain name, e.g. "ethereum", "gnosis" ({@link knownChains}; open: Monerium adds chains). */
export const Chain = openEnum(knownChains)
export type Chain = typeof Chain.Type

export const knownCurrencies = ["eur", "usd", "gbp", "isk"] as const
/** Lower-case currency code ({@link knownCurrencies}; open). */
export const Currency = openEnum(knownCurrencies)
export type Currency = typeof Currency.Type

// ---------------------------------------------------------------------------------------------- profiles

export const knownProfileKinds = ["corporate", "personal"] as const
export const ProfileKind = openEnum(knownProfileKinds)

/** `created` → `incomplete` → `pending` → `approved` | `rejected` (open). */
export const knownProfileStates = ["created", "incomplete", "pending", "approved", "rejected"] as const
export const ProfileState = openEnum(knownProfileStates)
export type ProfileState = typeof ProfileState.Type

export const knownSectionStates = ["incomplete", "pending", "approved", "rejected"] as const
export const SectionState = openEnum(knownSectionStates)

export const ProfileSection = Schema.Struct({ state: Schema.optional(SectionState) })

export const ProfileVerification = Schema.Struct({
  kind: Schema.optional(Schema.String),
  state: Schema.optional(SectionState)
})

/** A profile in a list or an auth context (`ProfileSummary`). */
export const ProfileSummary = Schema.Struct({
  id: Schema.optional(Schema.String),
  kind: Schema.optional(ProfileKind),
  name: Schema.optional(Schema.String),
  state: Schema.optional(ProfileState)
})
export type ProfileSummary = typeof ProfileSummary.Type

/** `GET /profiles/{profile}`: a personal or corporate profile with its onboarding sections. */
export const Profile = Schema.Struct({
  id: Schema.optional(Schema.String),
  kind: Schema.optional(ProfileKind),
  name: Schema.optional(Schema.String),
  state: Schema.optional(ProfileState),
  details: Schema.optional(ProfileSection),
  form: Schema.optional(ProfileSection),
  verifications: list(ProfileVerification)
})
export type Profile = typeof Profile.Type

export const ProfileList = Schema.Struct({ profiles: list(ProfileSummary) })

/** Filters of `GET /profiles`. */
export interface ListProfilesParams {
  readonly state?: ProfileState | undefined
  readonly kind?: "personal" | "corporate" | undefined
}

/** `POST /profiles` (partners): a new profile of a kind, optionally with the partner's own UUID. */
export const NewProfile = Schema.Struct({
  id: Schema.optional(Schema.String),
  kind: Schema.Literals(["personal", "corporate"])
})
export type NewProfile = typeof NewProfile.Type

// ---------------------------------------------------------------------------------------------- auth context

export const knownAuthMethods = ["password", "resource", "jwt", "apikey", "bearer"] as const

/** `GET /auth/context` (`UserContext`): who the token speaks for and the profiles it may use. */
export const AuthContext = Schema.Struct({
  userId: Schema.optional(Schema.String),
  email: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  roles: list(Schema.String),
  auth: Schema.optional(
    Schema.Struct({
      method: Schema.optional(openEnum(knownAuthMethods)),
      subject: Schema.optional(Schema.String),
      verified: Schema.optional(Schema.Boolean)
    })
  ),
  defaultProfile: Schema.optional(Schema.String),
  profiles: list(ProfileSummary)
})
export type AuthContext = typeof AuthContext.Type

// ---------------------------------------------------------------------------------------------- addresses

/** A blockchain address linked to a profile (`AddressObject`). */
export const Address = Schema.Struct({
  profile: Schema.optional(Schema.String),
  address: Schema.optional(Schema.String),
  chains: list(Chain)
})
export type Address = typeof Address.Type

export const AddressList = Schema.Struct({ addresses: list(Address) })

/** Filters of `GET /addresses`. */
export interface ListAddressesParams {
  readonly profile?: string | undefined
  readonly chain?: string | undefined
}

/** The message an address owner signs to link the address (`POST /addresses`). */
export const linkAddressMessage = "I hereby declare that I am the address owner."

/** `POST /addresses`. */
export const LinkAddress = Schema.Struct({
  /** The profile that will own the address; default: the token's own profile. */
  profile: Schema.optional(Schema.String),
  address: Schema.String,
  chain: Schema.String,
  /** Exactly {@link linkAddressMessage}. */
  message: Schema.String,
  /** EIP-191 signature of `message` by `address` (0x + 130 hex), "0x" for an on-chain Safe signature, or a Safe off-chain signature. */
  signature: Schema.String.check(Schema.isPattern(/^0x[0-9a-fA-F]*$/, { message: "a signature is 0x-hex" })),
  /** The Safe / ERC-1271 wallet, as Monerium's whitelabel guide sends it for such wallets (not in the OpenAPI schema). */
  safeAddress: Schema.optional(Schema.String)
})
export type LinkAddress = typeof LinkAddress.Type

/** `POST /addresses` answers 201 (linked) or 202 (a Safe / contract wallet: Monerium verifies on chain). */
export type LinkAddressResult = { readonly _tag: "Linked" } | { readonly _tag: "Accepted" }

/** `GET /balances/{chain}/{address}`. */
export const Balance = Schema.Struct({ currency: Schema.optional(Currency), amount: Schema.optional(Schema.String) })
export type Balance = typeof Balance.Type

export const Balances = Schema.Struct({
  address: Schema.optional(Schema.String),
  chain: Schema.optional(Chain),
  balances: list(Balance)
})
export type Balances = typeof Balances.Type

// ---------------------------------------------------------------------------------------------- IBANs

/** `IBANObject`. */
export const Iban = Schema.Struct({
  iban: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  bic: Schema.optional(Schema.String),
  profile: Schema.optional(Schema.String),
  address: Schema.optional(Schema.String),
  chain: Schema.optional(Chain),
  /** Not in the schema, but in the docs' `iban.updated` webhook example (`pending` → `active` / `approved`). */
  state: Schema.optional(Schema.String)
})
export type Iban = typeof Iban.Type

export const IbanList = Schema.Struct({ ibans: list(Iban) })

/** Filters of `GET /ibans`. */
export interface ListIbansParams {
  readonly profile?: string | undefined
  readonly chain?: string | undefined
}

/**
 * `POST /ibans`: an IBAN for an address on a chain. `profileId`: the customer's profile, as Monerium's whitelabel
 * guide sends it when a partner acts for a customer (not in the OpenAPI schema; omit it otherwise).
 */
export const RequestIban = Schema.Struct({
  address: Schema.String,
  chain: Schema.String,
  profileId: Schema.optional(Schema.String)
})
export type RequestIban = typeof RequestIban.Type

/** `POST /ibans` answers 202 (being provisioned: poll `getIban`/`listIbans` or use the webhook) or 304 (the profile already has one: move it). */
export type RequestIbanResult = { readonly _tag: "Requested" } | { readonly _tag: "AlreadyExists" }

/** `PATCH /ibans/{iban}`: route the IBAN's incoming payments to another address / chain. */
export const MoveIban = Schema.Struct({ address: Schema.String, chain: Schema.String })
export type MoveIban = typeof MoveIban.Type

// ---------------------------------------------------------------------------------------------- orders

export const IbanIdentifier = Schema.Struct({ standard: Schema.Literal("iban"), iban: Schema.String })
export const ChainIdentifier = Schema.Struct({
  standard: Schema.Literal("chain"),
  address: Schema.String,
  chain: Schema.String
})
/** Generic bank account details, when no IBAN is available (answers only). */
export const AccountIdentifier = Schema.Struct({
  standard: Schema.Literal("account"),
  accountNumber: Schema.String,
  address: Schema.String,
  bic: Schema.optional(Schema.String)
})
/** An identifier standard Monerium adds later: its `standard` is kept. */
export const OtherIdentifier = Schema.Struct({ standard: Schema.String })

/** Where an order's money goes (requests): an IBAN, or an address on another chain. */
export const Identifier = Schema.Union([IbanIdentifier, ChainIdentifier])
export type Identifier = typeof Identifier.Type

/** The counterpart's account in an answer: IBAN, chain, bank account, or a later standard. */
export const IdentifierResponse = Schema.Union([IbanIdentifier, ChainIdentifier, AccountIdentifier, OtherIdentifier])
export type IdentifierResponse = typeof IdentifierResponse.Type

/**
 * Who receives an order's money: an individual (`firstName`, `lastName`, `country`), a company (`companyName`,
 * `country`), or nothing for a cross-chain transfer (`{}`). `name` + `country` is what the private and whitelabel
 * guides send for a SEPA payment (the OpenAPI schema lists only the first two forms).
 */
export const CounterpartDetails = Schema.Struct({
  firstName: Schema.optional(Schema.String),
  lastName: Schema.optional(Schema.String),
  companyName: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  country: Schema.optional(Schema.String)
}).check(
  Schema.makeFilter((d) => {
    const keys = Object.keys(d).filter((k) => (d as Record<string, unknown>)[k] !== undefined)
    if (keys.length === 0) return undefined
    const individual = d.firstName !== undefined && d.lastName !== undefined
    const forms = [individual, d.companyName !== undefined, d.name !== undefined].filter(Boolean).length
    if (forms !== 1 || (!individual && (d.firstName !== undefined || d.lastName !== undefined))) {
      return "details are an individual (firstName, lastName), a company (companyName), or a name"
    }
    if (d.country === undefined || !/^[A-Z]{2}$/.test(d.country)) {
      return { path: ["country"], issue: "country is an ISO 3166-1 alpha-2 code" }
    }
    return undefined
  })
)
export type CounterpartDetails = typeof CounterpartDetails.Type

export const Counterpart = Schema.Struct({ identifier: Identifier, details: CounterpartDetails })
export type Counterpart = typeof Counterpart.Type

/** The counterpart in an answer: also the sender of an issue order (`name`, postal `address`). */
export const CounterpartResponse = Schema.Struct({
  identifier: IdentifierResponse,
  details: Schema.Struct({
    firstName: Schema.optional(Schema.String),
    lastName: Schema.optional(Schema.String),
    companyName: Schema.optional(Schema.String),
    country: Schema.optional(Schema.String),
    name: Schema.optional(Schema.String),
    address: Schema.optional(Schema.String)
  })
})
export type CounterpartResponse = typeof CounterpartResponse.Type

export const knownOrderKinds = ["issue", "redeem"] as const
export const OrderKind = openEnum(knownOrderKinds)

/** `placed` → `pending` → `processed` | `rejected` (open). */
export const knownOrderStates = ["placed", "pending", "processed", "rejected"] as const
export const OrderState = openEnum(knownOrderStates)
export type OrderState = typeof OrderState.Type

export const OrderMeta = Schema.Struct({
  placedAt: Schema.String,
  processedAt: Schema.optional(Schema.NullOr(Schema.String)),
  rejectedReason: Schema.optional(Schema.NullOr(Schema.String)),
  supportingDocumentId: Schema.optional(Schema.NullOr(Schema.String)),
  txHashes: Schema.optional(Schema.NullOr(Schema.Array(Schema.String)))
})

export const Order = Schema.Struct({
  id: Schema.String,
  kind: OrderKind,
  profile: Schema.String,
  address: Schema.String,
  chain: Chain,
  currency: Currency,
  amount: Schema.String,
  counterpart: CounterpartResponse,
  /** Required by the spec; read leniently (absent or null on older orders). */
  memo: Schema.optional(Schema.NullOr(Schema.String)),
  referenceNumber: Schema.optional(Schema.NullOr(Schema.String)),
  state: OrderState,
  meta: OrderMeta
})
export type Order = typeof Order.Type

export const OrderList = Schema.Struct({ orders: list(Order) })

/**
 * `POST /orders`: a redeem order — tokens burned on `chain` from `address`, sent to an IBAN (SEPA) or to an
 * address on another chain. Build `message` with `MoneriumMessage.orderMessage` and have the address owner sign it.
 */
export const NewOrder = Schema.Struct({
  /** Your own UUID for the order (optional). */
  id: Schema.optional(Schema.String),
  kind: Schema.Literal("redeem"),
  amount: OrderAmount,
  currency: Schema.String,
  address: Schema.String,
  chain: Schema.String,
  counterpart: Counterpart,
  /** e.g. "Send EUR 10 to GR16...6789 at 2024-07-12T12:02:00Z" (see `MoneriumMessage.orderMessage`). */
  message: Schema.String,
  /** EIP-191 signature of `message` by `address`, "0x" for a Safe signing on chain (answered 202), or a Safe off-chain signature. */
  signature: Schema.String.check(Schema.isPattern(/^0x[0-9a-fA-F]*$/, { message: "a signature is 0x-hex" })),
  /** Unstructured payment reference, 5–140 characters. */
  memo: Schema.optional(
    Schema.String.check(Schema.isMinLength(5, { message: "memo: 5 to 140 characters" }), Schema.isMaxLength(140))
  ),
  /** Structured payment reference (e.g. an RF reference), up to 35 characters. */
  referenceNumber: Schema.optional(Schema.String.check(Schema.isMaxLength(35))),
  /** A file id from `uploadFile`; required for amounts of €15,000 and more. */
  supportingDocumentId: Schema.optional(Schema.String),
  /** The customer's profile, as Monerium's whitelabel guide sends it (not in the OpenAPI schema; omit otherwise). */
  profileId: Schema.optional(Schema.String)
})
export type NewOrder = typeof NewOrder.Type

/** `POST /orders` answers the order (200/201) or 202: accepted, waiting for a multi-signature (Safe) confirmation on chain. */
export type PlaceOrderResult = { readonly _tag: "Placed"; readonly order: Order } | { readonly _tag: "Accepted" }

/** Filters of `GET /orders`. */
export interface ListOrdersParams {
  readonly address?: string | undefined
  readonly txHash?: string | undefined
  readonly profile?: string | undefined
  readonly memo?: string | undefined
  readonly state?: OrderState | undefined
}

/** `POST /files`: the stored file (the docs of the onboarding guide call the id `fileId`; both are read). */
export const FileInfo = Schema.Struct({
  id: Schema.optional(Schema.String),
  fileId: Schema.optional(Schema.String),
  name: Schema.optional(Schema.String),
  type: Schema.optional(Schema.String),
  size: Schema.optional(Schema.Number),
  hash: Schema.optional(Schema.String),
  meta: Schema.optional(
    Schema.Struct({
      uploadedBy: Schema.optional(Schema.String),
      createdAt: Schema.optional(Schema.String),
      updatedAt: Schema.optional(Schema.String)
    })
  )
})
export type FileInfo = typeof FileInfo.Type

// ---------------------------------------------------------------------------------------------- tokens, signatures

/** `GET /tokens`: the e-money token contracts. */
export const Token = Schema.Struct({
  currency: Schema.optional(Currency),
  ticker: Schema.optional(Schema.String),
  symbol: Schema.optional(Schema.String),
  chain: Schema.optional(Chain),
  address: Schema.optional(Schema.String),
  /** A string in the schema, a number in its example: both are read. */
  decimals: Schema.optional(Schema.Union([Schema.String, Schema.Number]))
})
export type Token = typeof Token.Type
export const TokenList = Schema.Array(Token)

export const knownSignatureKinds = ["linkAddress", "order"] as const

/** `GET /signatures`: a signature Monerium waits for (Safe / contract wallets signing on chain). */
export const PendingSignature = Schema.Struct({
  id: Schema.optional(Schema.String),
  kind: openEnum(knownSignatureKinds),
  chain: Chain,
  address: Schema.String,
  amount: Schema.optional(Schema.String),
  counterpart: Schema.optional(CounterpartResponse),
  currency: Schema.optional(Currency),
  message: Schema.optional(Schema.String),
  createdAt: Schema.String
})
export type PendingSignature = typeof PendingSignature.Type

export const PendingSignatures = Schema.Struct({
  pending: list(PendingSignature),
  total: Schema.optional(Schema.Number)
})
export type PendingSignatures = typeof PendingSignatures.Type

/** Filters of `GET /signatures`. */
export interface ListSignaturesParams {
  readonly address?: string | undefined
  readonly chain?: string | undefined
  readonly kind?: "linkAddress" | "order" | undefined
  readonly profile?: string | undefined
}

// ---------------------------------------------------------------------------------------------- webhooks

export const knownWebhookEventTypes = [
  "iban.updated",
  "order.created",
  "order.updated",
  "profile.error",
  "profile.updated"
] as const
export type WebhookEventType = (typeof knownWebhookEventTypes)[number]

export const knownSubscriptionStates = ["active", "inactive"] as const

export const WebhookSubscription = Schema.Struct({
  id: Schema.String,
  url: Schema.String,
  types: Schema.Array(Schema.String),
  state: openEnum(knownSubscriptionStates)
})
export type WebhookSubscription = typeof WebhookSubscription.Type

export const WebhookSubscriptionList = Schema.Struct({
  subscriptions: list(WebhookSubscription)
})

/** `POST /webhooks` (the secret is `whsec_` + base64 of 24–64 random bytes: see `MoneriumWebhook.generateSecret`). */
export const NewWebhookSubscription = Schema.Struct({
  url: Schema.String,
  secret: Schema.String,
  types: Schema.optional(Schema.Array(Schema.Literals(knownWebhookEventTypes)))
})

/** `PATCH /webhooks/{subscription}`. */
export const UpdateWebhookSubscription = Schema.Struct({
  state: Schema.optional(Schema.Literals(knownSubscriptionStates)),
  types: Schema.optional(Schema.Array(Schema.Literals(knownWebhookEventTypes)))
})
export type UpdateWebhookSubscription = typeof UpdateWebhookSubscription.Type

// ---------------------------------------------------------------------------------------------- errors, tokens

/** Monerium's error body. */
export const ErrorBody = Schema.Struct({
  code: Schema.Number,
  status: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  errors: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Schema.String)))
})
export type ErrorBody = typeof ErrorBody.Type

/** What Monerium's token endpoint adds to the OAuth2 token response. */
export const TokenExtra = /* @__PURE__ */ Schema.Struct({
  profile: /* @__PURE__ */ Schema.optional(Schema.String),
  userId: /* @__PURE__ */ Schema.optional(Schema.String)
})
