/**
 * Monerium's API v2 operations on an authenticated `ApiClient` — independent of how the token was obtained, so
 * the same operations serve the server-side client (`MoneriumClient`: code flow with refresh, or client
 * credentials) and a browser that holds only an access token (`MoneriumBrowser`). No token endpoint code here.
 *
 * Every id placed in a path goes through core's `PathSegment` (an id such as `..` or `a/b` is an
 * `InvalidRequestError`, nothing sent); every JSON body is encoded with its schema (refused input is an
 * `InvalidRequestError`, nothing sent); answers with several documented success statuses (201/202/304) come back
 * as distinct tagged results.
 */
import * as ApiClient from "@nordkit/core/ApiClient"
import * as NordkitError from "@nordkit/core/NordkitError"
import * as PathSegment from "@nordkit/core/PathSegment"
import * as Effect from "effect/Effect"
import * as Base64 from "effect/encoding/Base64"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import {
  type Address,
  AddressList,
  Address as AddressSchema,
  AuthContext,
  Balances,
  FileInfo,
  type Iban,
  IbanList,
  Iban as IbanSchema,
  LinkAddress,
  type LinkAddressResult,
  type ListAddressesParams,
  type ListIbansParams,
  type ListOrdersParams,
  type ListProfilesParams,
  type ListSignaturesParams,
  MoveIban,
  NewOrder,
  NewProfile,
  NewWebhookSubscription,
  Order,
  OrderList,
  PendingSignatures,
  type PlaceOrderResult,
  Profile,
  ProfileList,
  type ProfileSummary,
  RequestIban,
  type RequestIbanResult,
  type Token,
  TokenList,
  UpdateWebhookSubscription,
  type WebhookEventType,
  WebhookSubscription,
  WebhookSubscriptionList
} from "./MoneriumSchema.ts"

export const provider = "monerium"

/** Monerium API v2 media type, sent as `Accept` on every request. */
export const acceptV2 = "application/vnd.monerium.api-v2+json"

/** Statuses the API client treats as success: 2xx, and the 304 of `POST /ibans` ("the profile has an IBAN"). */
export const isSuccess = (status: number): boolean => (status >= 200 && status < 300) || status === 304

/** A file for `POST /files` (PDF or JPEG, at most 5 MB, name at most 100 characters). */
export interface UploadFile {
  readonly name: string
  /** `application/pdf` or `image/jpeg`. */
  readonly type: "application/pdf" | "image/jpeg"
  readonly data: Uint8Array | Blob
}

export const maxFileBytes = 5 * 1024 * 1024

export interface Operations<E> {
  /** `GET /auth/context`: the user (or app) behind the token and its profiles. */
  readonly authContext: Effect.Effect<AuthContext, E>
  /** `GET /profiles`. */
  readonly listProfiles: Effect.Effect<ReadonlyArray<ProfileSummary>, E>
  /** `GET /profiles?state=&kind=`. */
  readonly listProfilesBy: (params: ListProfilesParams) => Effect.Effect<ReadonlyArray<ProfileSummary>, E>
  /** `GET /profiles/{profile}`: the profile with its onboarding sections. */
  readonly getProfile: (profileId: string) => Effect.Effect<Profile, E>
  /** `POST /profiles` (whitelabel partners): a new profile to onboard. */
  readonly createProfile: (profile: NewProfile) => Effect.Effect<Profile, E>
  /** `GET /addresses?profile=&chain=`. */
  readonly listAddresses: (params?: ListAddressesParams) => Effect.Effect<ReadonlyArray<Address>, E>
  /** `GET /addresses/{address}`. */
  readonly getAddress: (address: string) => Effect.Effect<Address, E>
  /** `POST /addresses`: `Linked` (201), or `Accepted` (202: a Safe signing on chain; Monerium links it later). */
  readonly linkAddress: (request: LinkAddress) => Effect.Effect<LinkAddressResult, E>
  /** `GET /balances/{chain}/{address}?currency=`. */
  readonly getBalances: (options: {
    readonly chain: string
    readonly address: string
    readonly currency?: string | ReadonlyArray<string> | undefined
  }) => Effect.Effect<Balances, E>
  /** `GET /ibans?profile=&chain=`. */
  readonly listIbans: (params?: ListIbansParams) => Effect.Effect<ReadonlyArray<Iban>, E>
  /** `GET /ibans/{iban}`. */
  readonly getIban: (iban: string) => Effect.Effect<Iban, E>
  /** `POST /ibans`: `Requested` (202, provisioned shortly) or `AlreadyExists` (304: move it with `moveIban`). */
  readonly requestIban: (request: RequestIban) => Effect.Effect<RequestIbanResult, E>
  /** `PATCH /ibans/{iban}`: routes the IBAN's incoming payments to another address / chain. */
  readonly moveIban: (iban: string, to: MoveIban) => Effect.Effect<void, E>
  /** `GET /orders?address=&txHash=&profile=&memo=&state=`. */
  readonly listOrders: (params?: ListOrdersParams) => Effect.Effect<ReadonlyArray<Order>, E>
  /** `GET /orders/{orderId}`. */
  readonly getOrder: (orderId: string) => Effect.Effect<Order, E>
  /**
   * `POST /orders`: `Placed` with the order, or `Accepted` (202: a multi-signature wallet must still confirm on
   * chain — the order exists; do not place it again).
   */
  readonly placeOrder: (order: NewOrder) => Effect.Effect<PlaceOrderResult, E>
  /** `POST /files` (multipart): a supporting document for an order of €15,000 or more, or an onboarding file. */
  readonly uploadFile: (file: UploadFile) => Effect.Effect<FileInfo, E>
  /** `GET /tokens`: the e-money token contracts (currency, chain, address, decimals). */
  readonly getTokens: Effect.Effect<ReadonlyArray<Token>, E>
  /** `GET /signatures?address=&chain=&kind=&profile=`: signatures Monerium waits for (Safe wallets). */
  readonly getSignatures: (params?: ListSignaturesParams) => Effect.Effect<PendingSignatures, E>
  /** `GET /webhooks`: this app's webhook subscriptions. */
  readonly listWebhooks: Effect.Effect<ReadonlyArray<WebhookSubscription>, E>
  /**
   * `POST /webhooks`: subscribes `url` (Monerium first sends it `subscription.created`, which must be answered
   * 200). `secret` is `whsec_` + base64 of 24–64 random bytes (`MoneriumWebhook.generateSecret`).
   */
  readonly createWebhook: (subscription: {
    readonly url: string
    readonly secret: Redacted.Redacted<string>
    readonly types?: ReadonlyArray<WebhookEventType> | undefined
  }) => Effect.Effect<WebhookSubscription, E>
  /** `PATCH /webhooks/{subscription}`: activate / deactivate, or change the event types. */
  readonly updateWebhook: (
    subscriptionId: string,
    update: UpdateWebhookSubscription
  ) => Effect.Effect<WebhookSubscription, E>
}

const defined = (params: object | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(params ?? {})) if (typeof value === "string") out[key] = value
  return out
}

/** The operations on `api` (an `ApiClient` built with Monerium's base URL, `Accept` header and bearer tokens). */
export const makeOperations = <ET>(api: ApiClient.ApiClient<never, ET>): Operations<NordkitError.RequestError | ET> => {
  type E = NordkitError.RequestError | ET
  const json =
    <S extends Schema.Constraint & { readonly DecodingServices: never }>(schema: S) =>
    (request: HttpClientRequest.HttpClientRequest): Effect.Effect<S["Type"], E> =>
      api.json(schema)(request)
  const withBody = ApiClient.jsonBody(provider)
  const get = PathSegment.path(provider, "GET")
  const post = (request: HttpClientRequest.HttpClientRequest) => api.ok(request)

  const authContext = Effect.withSpan(json(AuthContext)(HttpClientRequest.get("/auth/context")), "Monerium.authContext")

  const listProfilesBy = Effect.fnUntraced(function* (params: ListProfilesParams) {
    const list = yield* json(ProfileList)(HttpClientRequest.get("/profiles", { urlParams: defined(params) }))
    return list.profiles
  }, Effect.withSpan("Monerium.listProfiles"))

  const getProfile = Effect.fnUntraced(function* (profileId: string) {
    return yield* json(Profile)(HttpClientRequest.get(yield* get`/profiles/${profileId}`))
  }, Effect.withSpan("Monerium.getProfile"))

  const createProfile = Effect.fnUntraced(function* (profile: NewProfile) {
    return yield* json(Profile)(yield* withBody(NewProfile, profile)(HttpClientRequest.post("/profiles")))
  }, Effect.withSpan("Monerium.createProfile"))

  const listAddresses = Effect.fnUntraced(function* (params?: ListAddressesParams) {
    const list = yield* json(AddressList)(HttpClientRequest.get("/addresses", { urlParams: defined(params) }))
    return list.addresses
  }, Effect.withSpan("Monerium.listAddresses"))

  const getAddress = Effect.fnUntraced(function* (address: string) {
    return yield* json(AddressSchema)(HttpClientRequest.get(yield* get`/addresses/${address}`))
  }, Effect.withSpan("Monerium.getAddress"))

  const linkAddress = Effect.fnUntraced(function* (request: LinkAddress) {
    const response = yield* post(yield* withBody(LinkAddress, request)(HttpClientRequest.post("/addresses")))
    return (response.status === 202 ? { _tag: "Accepted" } : { _tag: "Linked" }) satisfies LinkAddressResult
  }, Effect.withSpan("Monerium.linkAddress"))

  const getBalances = Effect.fnUntraced(function* (options: {
    readonly chain: string
    readonly address: string
    readonly currency?: string | ReadonlyArray<string> | undefined
  }) {
    const currencies = options.currency === undefined ? [] : [options.currency].flat()
    const urlParams = currencies.map((currency) => ["currency", currency] as const)
    const path = yield* get`/balances/${options.chain}/${options.address}`
    return yield* json(Balances)(HttpClientRequest.get(path, { urlParams }))
  }, Effect.withSpan("Monerium.getBalances"))

  const listIbans = Effect.fnUntraced(function* (params?: ListIbansParams) {
    return (yield* json(IbanList)(HttpClientRequest.get("/ibans", { urlParams: defined(params) }))).ibans
  }, Effect.withSpan("Monerium.listIbans"))

  const getIban = Effect.fnUntraced(function* (iban: string) {
    return yield* json(IbanSchema)(HttpClientRequest.get(yield* get`/ibans/${iban}`))
  }, Effect.withSpan("Monerium.getIban"))

  const requestIban = Effect.fnUntraced(function* (request: RequestIban) {
    const response = yield* post(yield* withBody(RequestIban, request)(HttpClientRequest.post("/ibans")))
    return (response.status === 304 ? { _tag: "AlreadyExists" } : { _tag: "Requested" }) satisfies RequestIbanResult
  }, Effect.withSpan("Monerium.requestIban"))

  const moveIban = Effect.fnUntraced(function* (iban: string, to: MoveIban) {
    const path = yield* PathSegment.path(provider, "PATCH")`/ibans/${iban}`
    yield* post(yield* withBody(MoveIban, to)(HttpClientRequest.patch(path)))
  }, Effect.withSpan("Monerium.moveIban"))

  const listOrders = Effect.fnUntraced(function* (params?: ListOrdersParams) {
    return (yield* json(OrderList)(HttpClientRequest.get("/orders", { urlParams: defined(params) }))).orders
  }, Effect.withSpan("Monerium.listOrders"))

  const getOrder = Effect.fnUntraced(function* (orderId: string) {
    return yield* json(Order)(HttpClientRequest.get(yield* get`/orders/${orderId}`))
  }, Effect.withSpan("Monerium.getOrder"))

  const placeOrder = Effect.fnUntraced(function* (order: NewOrder) {
    const response = yield* post(yield* withBody(NewOrder, order)(HttpClientRequest.post("/orders")))
    if (response.status === 202) return { _tag: "Accepted" } satisfies PlaceOrderResult
    return { _tag: "Placed", order: yield* api.decode(Order)(response) } satisfies PlaceOrderResult
  }, Effect.withSpan("Monerium.placeOrder"))

  const uploadFile = Effect.fnUntraced(function* (file: UploadFile) {
    const refuse = (detail: string) =>
      new NordkitError.InvalidRequestError({ provider, method: "POST", path: "/files", detail })
    const size = file.data instanceof Uint8Array ? file.data.byteLength : file.data.size
    if (file.name.length === 0 || file.name.length > 100) return yield* refuse("file name: 1 to 100 characters")
    if (file.type !== "application/pdf" && file.type !== "image/jpeg") return yield* refuse("file type: PDF or JPEG")
    if (size === 0 || size > maxFileBytes) return yield* refuse("file size: 1 byte to 5 MB")
    const form = new FormData()
    const blob =
      file.data instanceof Uint8Array
        ? new Blob([file.data as Uint8Array<ArrayBuffer>], { type: file.type })
        : file.data
    form.append("file", blob, file.name)
    return yield* json(FileInfo)(HttpClientRequest.bodyFormData(HttpClientRequest.post("/files"), form))
  }, Effect.withSpan("Monerium.uploadFile"))

  const getTokens = Effect.withSpan(json(TokenList)(HttpClientRequest.get("/tokens")), "Monerium.getTokens")

  const getSignatures = Effect.fnUntraced(function* (params?: ListSignaturesParams) {
    return yield* json(PendingSignatures)(HttpClientRequest.get("/signatures", { urlParams: defined(params) }))
  }, Effect.withSpan("Monerium.getSignatures"))

  const listWebhooks = Effect.withSpan(
    Effect.map(json(WebhookSubscriptionList)(HttpClientRequest.get("/webhooks")), (list) => list.subscriptions),
    "Monerium.listWebhooks"
  )

  const createWebhook = Effect.fnUntraced(function* (subscription: {
    readonly url: string
    readonly secret: Redacted.Redacted<string>
    readonly types?: ReadonlyArray<WebhookEventType> | undefined
  }) {
    const secret = Redacted.value(subscription.secret)
    const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret)
    const key = match === null ? undefined : Base64.decode(match[1])
    // The same rule as `MoneriumWebhook.makeVerifier`: never register a secret the verifier would refuse.
    if (key === undefined || key._tag === "Failure" || key.success.length < 24 || key.success.length > 64) {
      return yield* new NordkitError.InvalidRequestError({
        provider,
        method: "POST",
        path: "/webhooks",
        detail: "secret: whsec_ followed by the base64 of 24 to 64 random bytes"
      })
    }
    const body = { url: subscription.url, secret, types: subscription.types }
    return yield* json(WebhookSubscription)(
      yield* withBody(NewWebhookSubscription, body)(HttpClientRequest.post("/webhooks"))
    )
  }, Effect.withSpan("Monerium.createWebhook"))

  const updateWebhook = Effect.fnUntraced(function* (subscriptionId: string, update: UpdateWebhookSubscription) {
    const path = yield* PathSegment.path(provider, "PATCH")`/webhooks/${subscriptionId}`
    return yield* json(WebhookSubscription)(
      yield* withBody(UpdateWebhookSubscription, update)(HttpClientRequest.patch(path))
    )
  }, Effect.withSpan("Monerium.updateWebhook"))

  return {
    authContext,
    listProfiles: listProfilesBy({}),
    listProfilesBy,
    getProfile,
    createProfile,
    listAddresses,
    getAddress,
    linkAddress,
    getBalances,
    listIbans,
    getIban,
    requestIban,
    moveIban,
    listOrders,
    getOrder,
    placeOrder,
    uploadFile,
    getTokens,
    getSignatures,
    listWebhooks,
    createWebhook,
    updateWebhook
  }
}
