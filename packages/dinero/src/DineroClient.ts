/**
 * The Dinero client: typed operations over Dinero's organization-scoped API — contacts, products, the invoice
 * lifecycle (draft, update, totals, book, PDF, payments, email, credit note), receipts and expenses (file upload,
 * purchase vouchers, manual vouchers, ledger items), reference data (accounts, accounting years, VAT types) and
 * entries — paginated lists also as lazy `Stream`s, and an authenticated HttpClient for endpoints nordkit does not
 * wrap.
 *
 * Two ways to authenticate (see the README, "Personal integration or Visma Connect"):
 * - a **personal integration** (`make` / `layer` / `layerConfig`): one API key per organization, each with its own
 *   token provider and request pipeline, so one organization's token is never sent on another's requests (see
 *   `DineroAuth`);
 * - **Visma Connect** (`makeWithTokens`): one token provider (authorization code + PKCE, or client credentials
 *   per tenant, see `DineroVismaConnect`) for the organizations the user granted.
 *
 * Pacing: every request on the wire (retries and replays included) passes a per-organization limiter (default 100
 * requests per 61 s: Dinero's 100 per minute plus a second of margin), so a burst is spread out instead of running
 * into 429s. A 429 that still happens is waited out (a minute window, or `Retry-After`) and retried by core's
 * bounded retry policy, then surfaces as `RateLimitedError`.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const dinero = yield* DineroClient.DineroClient
 *   const contacts = yield* dinero.streamContacts({ fields: ["Name", "Email"] }).pipe(Stream.runCollect)
 * })
 * program.pipe(Effect.provide(DineroClient.layerConfig()), Effect.provide(NodeHttpClient.layerUndici))
 * ```
 */
import type * as AccessToken from "@nordkit/core/AccessToken"
import * as ApiClient from "@nordkit/core/ApiClient"
import * as BaseUrl from "@nordkit/core/BaseUrl"
import * as ClientConfig from "@nordkit/core/ClientConfig"
import * as NordkitError from "@nordkit/core/NordkitError"
import * as Pacing from "@nordkit/core/Pacing"
import * as PathSegment from "@nordkit/core/PathSegment"
import type * as RequestLimits from "@nordkit/core/RequestLimits"
import type * as RetryPolicy from "@nordkit/core/RetryPolicy"
import type * as TokenProvider from "@nordkit/core/TokenProvider"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as RateLimiter from "effect/persistence/RateLimiter"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as DineroAuth from "./DineroAuth.ts"
import {
  type BrownoutError,
  classify,
  type DineroError,
  errorFields,
  FileTooLargeError,
  LedgerItemsNotBookedError,
  rateLimitWindowMillis,
  retryAfterFallback
} from "./DineroError.ts"
import {
  AccountingYear,
  BookRequest,
  Contact,
  ContactCreated,
  ContactInput,
  ContactListItem,
  Created,
  CreditNote,
  DepositAccount,
  EmailSent,
  Entry,
  EntryAccount,
  FileSaved,
  Invoice,
  InvoiceInput,
  InvoiceListItem,
  type InvoiceListParams,
  InvoicePayments,
  InvoiceTotals,
  InvoiceUpdate,
  LedgerItemAdded,
  LedgerItemInput,
  LedgerItemRef,
  LedgerItemStatus,
  type ListParams,
  MailoutInput,
  ManualVoucher,
  ManualVoucherInput,
  ManualVoucherUpdate,
  maxFileBytes,
  nextPage,
  OrganizationId,
  OrganizationList,
  Page,
  PaymentCreated,
  PaymentDeleted,
  PaymentInput,
  Product,
  ProductCreated,
  ProductInput,
  ProductListItem,
  PurchaseVoucher,
  PurchaseVoucherInput,
  PurchaseVoucherUpdate,
  queryDateTime,
  TimestampBody,
  Updated,
  VatType,
  WebhookSubscription,
  WebhookUnsubscription
} from "./DineroSchema.ts"

export const defaultApiUrl = "https://api.dinero.dk"
export const defaultAuthUrl = DineroAuth.defaultAuthUrl

/** One organization the client works for, with its API key (generated in that organization in Dinero). */
export interface OrganizationCredentials {
  readonly organizationId: string
  readonly apiKey: Redacted.Redacted<string>
}

export interface PacingOptions {
  /** Requests per window per organization. Default 100. */
  readonly limit?: number | undefined
  /** Window. Default 61 seconds (Dinero's minute plus a second of margin for transit and clock skew). */
  readonly window?: Duration.Input | undefined
  /**
   * The limiter. Default: effect's `RateLimiter` in context, else one on the `RateLimiterStore` in context (e.g.
   * `RateLimiter.layerStoreRedis`, to share an organization's quota between processes), else one in memory.
   */
  readonly limiter?: RateLimiter.RateLimiter | undefined
}

/** What both credential modes share. */
export interface CommonOptions {
  /** API host. Default `https://api.dinero.dk`. */
  readonly apiUrl?: string | undefined
  readonly retry?: RetryPolicy.Options | undefined
  /** Client-side pacing, or `false` to switch it off. */
  readonly pacing?: PacingOptions | false | undefined
  /** Your own HttpClient middleware (logging, a circuit breaker, ...), applied to each attempt. */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
  /**
   * Deadline and body caps for this client's API calls (see `RequestLimits`; a per-call `RequestLimits.provide`
   * wins). Default: 30 s per attempt, 8 MiB JSON and error bodies, 64 MiB downloads.
   */
  readonly limits?: RequestLimits.Limits | undefined
}

/** A personal integration: client id and secret, and one API key per organization. */
export interface Options extends CommonOptions {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /** The default organization (with `apiKey`). */
  readonly organizationId?: string | undefined
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** More organizations, each with its own API key. The first is the default when `organizationId` is not set. */
  readonly organizations?: ReadonlyArray<OrganizationCredentials> | undefined
  /** Token endpoint. Default `https://authz.dinero.dk/dineroapi/oauth/token`. */
  readonly authUrl?: string | undefined
}

/** Visma Connect (or any bearer-token source): one token provider for the granted organizations. */
export interface TokenOptions<ET> extends CommonOptions {
  /** The organizations this client works for (the first is the default). */
  readonly organizationIds: ReadonlyArray<string>
  /** Where the access tokens come from, e.g. `DineroVismaConnect.makeCodeFlow(...).tokens`. */
  readonly tokens: TokenProvider.TokenProvider<ET>
  /** A name for the pacing key (e.g. your Visma Connect client id). Default `visma-connect`. */
  readonly pacingKey?: string | undefined
}

export const defaultPacing = { limit: 100, window: "61 seconds" } as const

type E = DineroError

/** Fields of the list endpoints without the page, for streams. */
export type StreamParams = Omit<ListParams, "page">
export type InvoiceStreamParams = Omit<InvoiceListParams, "page">

/** A file to upload (a receipt, an invoice specification): PDF or image, at most 6 MB. */
export interface FileUpload {
  readonly data: Uint8Array
  readonly fileName: string
  /** e.g. `application/pdf`, `image/jpeg`. Default `application/octet-stream`. */
  readonly contentType?: string | undefined
}

/** Options of `awaitLedgerItemsBooked`. */
export interface AwaitBookingOptions {
  /** How to poll the status. Default: every 2 seconds, 30 times (about a minute). */
  readonly schedule?: Schedule.Schedule<unknown, unknown> | undefined
}

/** A range of entry changes and the cursor to resume after it. */
export interface EntryChanges {
  readonly entries: ReadonlyArray<Entry>
  /** The end of the range read (UTC): pass it as `since` to continue where this left off. */
  readonly cursor: Date
}

/** The entries of one accounting year within a requested period. */
export interface EntriesOfYear {
  readonly accountingYear: string
  readonly entries: ReadonlyArray<Entry>
  /** The end of the range read: a later sync can start here. */
  readonly cursor: Date
}

/** The operations of one organization. Every request carries that organization's token only. */
export interface OrganizationApi {
  readonly organizationId: string
  /** Authenticated, paced, retried HttpClient on the API host, for endpoints not wrapped here. */
  readonly http: ApiClient.RawClient<E>
  /** This organization's current access token (from cache when fresh). */
  readonly accessToken: Effect.Effect<AccessToken.AccessToken, E>
  /** This organization's token provider (e.g. to count token requests). */
  readonly tokens: TokenProvider.TokenProvider<E>

  /** `GET /v1/organizations`: the organizations this token sees. `Id` and `Name` are always requested. */
  readonly listOrganizations: (options?: {
    readonly fields?: ReadonlyArray<string> | undefined
  }) => Effect.Effect<ReadonlyArray<(typeof OrganizationList.Type)[number]>, E>

  /** `GET /v1/{org}/contacts`. Without `fields`, Dinero answers `name` and `contactGuid`. */
  readonly listContacts: (params?: ListParams) => Effect.Effect<Page<ContactListItem>, E>
  /** Every contact, page after page, fetched lazily as the stream is pulled. */
  readonly streamContacts: (params?: StreamParams) => Stream.Stream<ContactListItem, E>
  /** `GET /v2/{org}/contacts`: like v1, but deleted contacts are included unless `deletedOnly` says otherwise. */
  readonly listContactsV2: (params?: ListParams) => Effect.Effect<Page<ContactListItem>, E>
  readonly streamContactsV2: (params?: StreamParams) => Stream.Stream<ContactListItem, E>
  readonly getContact: (contactGuid: string) => Effect.Effect<Contact, E>
  /** Creates a contact; `IsMember` and `UseCvr` are sent as false unless given. */
  readonly createContact: (contact: ContactInput) => Effect.Effect<ContactCreated, E>
  /** `PUT /v2/{org}/contacts/{guid}` (the v1 path is deprecated): replaces the whole contact. */
  readonly updateContact: (contactGuid: string, contact: ContactInput) => Effect.Effect<void, E>
  readonly deleteContact: (contactGuid: string) => Effect.Effect<void, E>

  readonly listProducts: (params?: ListParams) => Effect.Effect<Page<ProductListItem>, E>
  readonly streamProducts: (params?: StreamParams) => Stream.Stream<ProductListItem, E>
  readonly getProduct: (productGuid: string) => Effect.Effect<Product, E>
  readonly createProduct: (product: ProductInput) => Effect.Effect<ProductCreated, E>
  /** Replaces the whole product. */
  readonly updateProduct: (productGuid: string, product: ProductInput) => Effect.Effect<void, E>
  readonly deleteProduct: (productGuid: string) => Effect.Effect<void, E>

  readonly listInvoices: (params?: InvoiceListParams) => Effect.Effect<Page<InvoiceListItem>, E>
  readonly streamInvoices: (params?: InvoiceStreamParams) => Stream.Stream<InvoiceListItem, E>
  /** The invoice as JSON; its `TimeStamp` is what to book, update, pay or credit with. */
  readonly getInvoice: (invoiceGuid: string) => Effect.Effect<Invoice, E>
  /** The (booked) invoice as a PDF document (`Accept: application/octet-stream`). */
  readonly getInvoicePdf: (invoiceGuid: string) => Effect.Effect<Uint8Array, E>
  /** Creates a draft invoice; returns its `Guid` and `TimeStamp`. Line `Discount` is sent as 0 unless given. */
  readonly createInvoice: (invoice: InvoiceInput) => Effect.Effect<Created, E>
  /** Replaces a draft (`PUT /v1.2/...`); returns the new `TimeStamp`. */
  readonly updateInvoice: (invoiceGuid: string, invoice: InvoiceUpdate) => Effect.Effect<Updated, E>
  /** Deletes a draft (a booked invoice is credited instead). */
  readonly deleteInvoice: (invoiceGuid: string, timestamp: string) => Effect.Effect<void, E>
  /** Totals, line sums and payment date of a would-be invoice, nothing saved (`POST /v1/{org}/invoices/fetch`). */
  readonly invoiceTotals: (invoice: InvoiceInput) => Effect.Effect<InvoiceTotals, E>
  /**
   * Books a draft with its latest timestamp (`{ Timestamp: invoice.TimeStamp }`): a stale one is an `ApiError`
   * with Dinero's code 58. Returns the booked invoice (its `Number` and new `TimeStamp`).
   */
  readonly bookInvoice: (invoiceGuid: string, request: BookRequest) => Effect.Effect<Invoice, E>
  /** Registers a payment on a booked invoice; returns the payment's `Guid` and the invoice's new `TimeStamp`. */
  readonly addInvoicePayment: (invoiceGuid: string, payment: PaymentInput) => Effect.Effect<PaymentCreated, E>
  readonly listInvoicePayments: (invoiceGuid: string) => Effect.Effect<InvoicePayments, E>
  readonly deleteInvoicePayment: (
    invoiceGuid: string,
    paymentGuid: string,
    timestamp: string
  ) => Effect.Effect<PaymentDeleted, E>
  /** Emails a booked invoice (a link to it, or the PDF attached). */
  readonly sendInvoiceEmail: (invoiceGuid: string, mail?: MailoutInput) => Effect.Effect<EmailSent, E>
  /** A credit-note draft for the whole of a booked invoice; book it with `bookCreditNote`. */
  readonly createCreditNoteFromInvoice: (invoiceGuid: string, timestamp: string) => Effect.Effect<Created, E>

  readonly getCreditNote: (creditNoteGuid: string) => Effect.Effect<CreditNote, E>
  readonly bookCreditNote: (creditNoteGuid: string, request: BookRequest) => Effect.Effect<CreditNote, E>
  readonly getCreditNotePdf: (creditNoteGuid: string) => Effect.Effect<Uint8Array, E>

  /**
   * Uploads a file to the organization's file archive (multipart); its `FileGuid` attaches it to vouchers and
   * ledger items. Above 6 MB: `FileTooLargeError`, nothing sent.
   */
  readonly uploadFile: (file: FileUpload) => Effect.Effect<FileSaved, E>

  readonly createPurchaseVoucher: (voucher: PurchaseVoucherInput) => Effect.Effect<PurchaseVoucher, E>
  readonly getPurchaseVoucher: (voucherGuid: string) => Effect.Effect<PurchaseVoucher, E>
  readonly updatePurchaseVoucher: (
    voucherGuid: string,
    voucher: PurchaseVoucherUpdate
  ) => Effect.Effect<PurchaseVoucher, E>
  readonly deletePurchaseVoucher: (voucherGuid: string, timestamp: string) => Effect.Effect<void, E>
  /** Books a purchase voucher with its latest `Timestamp`. */
  readonly bookPurchaseVoucher: (voucherGuid: string, request: BookRequest) => Effect.Effect<PurchaseVoucher, E>

  readonly createManualVoucher: (voucher: ManualVoucherInput) => Effect.Effect<ManualVoucher, E>
  readonly getManualVoucher: (voucherGuid: string) => Effect.Effect<ManualVoucher, E>
  readonly updateManualVoucher: (voucherGuid: string, voucher: ManualVoucherUpdate) => Effect.Effect<ManualVoucher, E>
  readonly deleteManualVoucher: (voucherGuid: string, timestamp: string) => Effect.Effect<void, E>
  readonly bookManualVoucher: (voucherGuid: string, request: BookRequest) => Effect.Effect<ManualVoucher, E>

  /** Adds one ledger item (balanced lines under one voucher number) to the daybook; returns its `Id`, `Version`. */
  readonly addLedgerItem: (item: LedgerItemInput) => Effect.Effect<LedgerItemRef, E>
  /** Starts booking (asynchronous at Dinero): follow up with `ledgerItemStatus` or `awaitLedgerItemsBooked`. */
  readonly bookLedgerItems: (items: ReadonlyArray<LedgerItemRef>) => Effect.Effect<void, E>
  readonly ledgerItemStatus: (ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<LedgerItemStatus>, E>
  /**
   * Polls the status on a `Schedule` until every item is `Booked`; `LedgerItemsNotBookedError` (with the
   * statuses) when the schedule ends first.
   */
  readonly awaitLedgerItemsBooked: (
    ids: ReadonlyArray<string>,
    options?: AwaitBookingOptions
  ) => Effect.Effect<ReadonlyArray<LedgerItemStatus>, E>

  readonly listAccountingYears: () => Effect.Effect<ReadonlyArray<AccountingYear>, E>
  /** All accounts (entry accounts), optionally of one category. */
  readonly listEntryAccounts: (options?: {
    readonly fields?: ReadonlyArray<string> | undefined
    readonly categoryFilter?: string | undefined
  }) => Effect.Effect<ReadonlyArray<EntryAccount>, E>
  /** The expense accounts (2000–9399) purchase vouchers book on. */
  readonly listPurchaseAccounts: (options?: {
    readonly fields?: ReadonlyArray<string> | undefined
  }) => Effect.Effect<ReadonlyArray<EntryAccount>, E>
  /** Bank and cash accounts payments are registered on. */
  readonly listDepositAccounts: (options?: {
    readonly fields?: ReadonlyArray<string> | undefined
  }) => Effect.Effect<ReadonlyArray<DepositAccount>, E>
  readonly listVatTypes: () => Effect.Effect<ReadonlyArray<VatType>, E>

  /** Every entry in a period (within one accounting year): for the initial sync; then use the changes. */
  readonly listEntries: (range: {
    readonly from: Date
    readonly to: Date
    readonly includePrimo?: boolean | undefined
  }) => Effect.Effect<ReadonlyArray<Entry>, E>
  /**
   * Every entry of a period that may span accounting years: one request per accounting year (Dinero refuses a range
   * that crosses years), lazily. Each element carries the accounting year and the end of the range it covers.
   */
  readonly streamEntries: (range: {
    readonly from: Date
    readonly to: Date
    readonly includePrimo?: boolean | undefined
  }) => Stream.Stream<EntriesOfYear, E>
  /** Entries added or changed in a range of at most 31 days. */
  readonly listEntryChanges: (range: {
    readonly from: Date
    readonly to: Date
    readonly includePrimo?: boolean | undefined
  }) => Effect.Effect<ReadonlyArray<Entry>, E>
  /**
   * Entry changes since `since` up to `until` (default: now), in ranges of at most 31 days, lazily. Each element
   * carries its `cursor`: store it and pass it as `since` to resume exactly after the last range read. Each range
   * starts where the previous one ended (nothing skipped); key stored entries by `EntryGuid`, since an entry changed
   * in that very second may come twice if Dinero counts both ends of a range.
   */
  readonly streamEntryChanges: (options: {
    readonly since: Date
    readonly until?: Date | undefined
    readonly includePrimo?: boolean | undefined
  }) => Stream.Stream<EntryChanges, E>

  /**
   * Subscribes an https endpoint of yours to a webhook event (Visma Connect integrations only; a personal
   * integration's token is refused).
   */
  readonly subscribeWebhook: (subscription: WebhookSubscription) => Effect.Effect<void, E>
  readonly unsubscribeWebhook: (eventId: string) => Effect.Effect<void, E>
  /** The active subscriptions, as Dinero answers them (the spec gives this answer no schema). */
  readonly listWebhookSubscriptions: () => Effect.Effect<unknown, E>
  /** The events that can be subscribed to, as Dinero answers them (the spec gives this answer no schema). */
  readonly listWebhookEvents: () => Effect.Effect<unknown, E>
}

export interface Service extends OrganizationApi {
  /** The configured organizations; the first is the default one the top-level operations use. */
  readonly organizationIds: ReadonlyArray<string>
  /** The operations of another configured organization. */
  readonly organization: (organizationId: string) => Effect.Effect<OrganizationApi, NordkitError.ConfigurationError>
}

export class DineroClient extends Context.Service<DineroClient, Service>()("@nordkit/dinero/DineroClient") {}

const isOrganizationId = Schema.is(OrganizationId)

const configurationError = (detail: string) => new NordkitError.ConfigurationError({ provider: "dinero", detail })

/** The organizations of `options`, validated: ids are Dinero's integers, API keys non-empty, no duplicates. */
const organizationsOf = (
  options: Options
): Effect.Effect<ReadonlyArray<OrganizationCredentials>, NordkitError.ConfigurationError> =>
  Effect.suspend(() => {
    const list: Array<OrganizationCredentials> = []
    if (options.organizationId !== undefined || options.apiKey !== undefined) {
      if (options.organizationId === undefined || options.apiKey === undefined) {
        return Effect.fail(configurationError("DINERO_ORGANIZATION_ID and DINERO_API_KEY go together"))
      }
      list.push({ organizationId: options.organizationId, apiKey: options.apiKey })
    }
    list.push(...(options.organizations ?? []))
    if (list.length === 0) {
      return Effect.fail(configurationError("no organization: set DINERO_ORGANIZATION_ID and DINERO_API_KEY"))
    }
    const invalid = checkIds(list.map((o) => o.organizationId))
    if (invalid !== undefined) return Effect.fail(invalid)
    for (const organization of list) {
      if (Redacted.value(organization.apiKey).trim().length === 0) {
        return Effect.fail(configurationError(`DINERO_API_KEY of organization ${organization.organizationId} is empty`))
      }
    }
    return Effect.succeed(list)
  })

const checkIds = (ids: ReadonlyArray<string>): NordkitError.ConfigurationError | undefined => {
  if (ids.length === 0) return configurationError("no organization id")
  const seen = new Set<string>()
  for (const id of ids) {
    if (!isOrganizationId(id))
      return configurationError("DINERO_ORGANIZATION_ID must be a Dinero organization id (digits)")
    if (seen.has(id)) return configurationError(`organization ${id} is configured twice`)
    seen.add(id)
  }
  return undefined
}

/**
 * `fields` with `field` first unless it is already asked for — in any casing: Dinero matches field names
 * case-insensitively and answers each in the casing asked for, so `contactGuid` and `ContactGuid` are one field.
 */
const withField = (field: string, fields: ReadonlyArray<string>): ReadonlyArray<string> => {
  const seen = new Set<string>()
  return [field, ...fields].filter((f, i) => {
    const key = f.toLowerCase()
    if (seen.has(key) || (i === 0 && fields.some((g) => g.toLowerCase() === key))) return false
    seen.add(key)
    return true
  })
}

/** Query parameters of the list endpoints; `idField` is added when `fields` are given. */
const listParams = (params: InvoiceListParams | undefined, idField: string): Record<string, string> => {
  const urlParams: Record<string, string> = {}
  if (params?.fields !== undefined) urlParams.fields = withField(idField, params.fields).join(",")
  if (params?.queryFilter !== undefined) urlParams.queryFilter = params.queryFilter
  if (params?.changesSince !== undefined) urlParams.changesSince = queryDateTime(params.changesSince)
  if (params?.deletedOnly !== undefined) urlParams.deletedOnly = String(params.deletedOnly)
  if (params?.page !== undefined) urlParams.page = String(params.page)
  if (params?.pageSize !== undefined) urlParams.pageSize = String(params.pageSize)
  if (params?.startDate !== undefined) urlParams.startDate = params.startDate
  if (params?.endDate !== undefined) urlParams.endDate = params.endDate
  if (params?.statusFilter !== undefined) urlParams.statusFilter = params.statusFilter
  if (params?.freeTextSearch !== undefined) urlParams.freeTextSearch = params.freeTextSearch
  if (params?.sort !== undefined) urlParams.sort = params.sort
  if (params?.sortOrder !== undefined) urlParams.sortOrder = params.sortOrder
  return urlParams
}

/** A paginated list as a lazy stream: page `n + 1` is requested only when page `n` has been consumed. */
const streamPages = <A, P extends ListParams>(
  list: (params: P) => Effect.Effect<Page<A>, E>,
  params: P
): Stream.Stream<A, E> =>
  Stream.paginate({ page: params.page ?? 0, before: 0 }, (state) =>
    Effect.map(list({ ...params, page: state.page }), (page) => {
      const next = nextPage(page, state.before)
      return [
        page.Collection,
        next === undefined ? Option.none() : Option.some({ page: next, before: state.before + page.Collection.length })
      ] as const
    })
  )

const isPdf = (bytes: Uint8Array) =>
  bytes.length >= 5 && bytes[0] === 0x25 && bytes[1] === 0x50 && bytes[2] === 0x44 && bytes[3] === 0x46

const dayMillis = 86_400_000
/** Dinero's longest range for entry changes. */
export const maxChangesRangeDays = 31

/** The default ledger status poll: every 2 seconds, 30 times. */
export const defaultBookingSchedule: Schedule.Schedule<unknown, unknown> = Schedule.spaced("2 seconds").pipe(
  Schedule.upTo({ times: 30 })
)

interface Pipeline {
  readonly organizationId: string
  readonly tokens: TokenProvider.TokenProvider<E>
  readonly pace: Pacing.Pacer | undefined
}

/** The operations of one organization over its own pipeline (token provider and pacer). */
const makeOrganizationApi = (
  httpClient: HttpClient.HttpClient,
  apiUrl: string,
  options: CommonOptions,
  pipeline: Pipeline
): OrganizationApi => {
  const { organizationId, tokens, pace } = pipeline
  const api = ApiClient.make<BrownoutError, E>(httpClient, {
    provider: "dinero",
    baseUrl: apiUrl,
    tokens,
    headers: { accept: "application/json" },
    errorFields,
    classify,
    // Waiting out Dinero's window (61 s without Retry-After) must stay within the cap.
    retry: { retryAfterFallback, retryAfterCap: rateLimitWindowMillis, ...options.retry },
    transformClient: options.transformClient,
    limits: options.limits,
    perAttempt: pace
  })

  // `org` paths: `at("GET")\`/contacts/${guid}\`` → `/v1/{org}/contacts/{guid}`.
  const at =
    (method: string, version = "v1") =>
    (strings: TemplateStringsArray, ...ids: ReadonlyArray<string>) =>
      PathSegment.path("dinero", method)(
        Object.assign([`/${version}/`, ...strings], { raw: [`/${version}/`, ...strings.raw] }) as TemplateStringsArray,
        organizationId,
        ...ids
      )

  /** Encodes a body with its schema; input the schema refuses is an `InvalidRequestError`, nothing is sent. */
  const withBody = <S extends Schema.Constraint & { readonly EncodingServices: never }>(
    request: HttpClientRequest.HttpClientRequest,
    schema: S,
    body: S["Type"]
  ) => ApiClient.jsonBody("dinero")(schema, body)(request)

  const getJson = <S extends Schema.Constraint & { readonly DecodingServices: never }>(
    schema: S,
    url: Effect.Effect<string, E>,
    urlParams?: Record<string, string>
  ) => Effect.flatMap(url, (u) => api.json(schema)(HttpClientRequest.get(u, urlParams ? { urlParams } : undefined)))

  const send = <
    B extends Schema.Constraint & { readonly EncodingServices: never },
    S extends Schema.Constraint & { readonly DecodingServices: never }
  >(
    method: "POST" | "PUT" | "DELETE",
    url: Effect.Effect<string, E>,
    bodySchema: B,
    body: B["Type"],
    schema?: S
  ): Effect.Effect<S["Type"], E> =>
    Effect.gen(function* () {
      const u = yield* url
      const base =
        method === "POST"
          ? HttpClientRequest.post(u)
          : method === "PUT"
            ? HttpClientRequest.put(u)
            : HttpClientRequest.delete(u)
      const request = yield* withBody(base, bodySchema, body)
      if (schema === undefined) {
        yield* api.ok(request)
        return undefined as S["Type"]
      }
      return yield* api.json(schema)(request)
    })

  const pdf = (url: Effect.Effect<string, E>) =>
    Effect.gen(function* () {
      const u = yield* url
      const request = HttpClientRequest.get(u).pipe(HttpClientRequest.setHeader("accept", "application/octet-stream"))
      const response = yield* ApiClient.asDownload(api.ok(request))
      const failDecode = (detail: string) =>
        new NordkitError.DecodeError({
          provider: "dinero",
          method: "GET",
          path: ApiClient.pathOf(request),
          status: response.status,
          detail
        })
      const buffer = yield* Effect.mapError(response.arrayBuffer, (e) => failDecode(e.reason._tag))
      const bytes = new Uint8Array(buffer)
      if (!isPdf(bytes)) {
        return yield* failDecode(`expected a PDF, got ${response.headers["content-type"] || "no content type"}`)
      }
      return bytes
    })

  const fieldsParam = (fields: ReadonlyArray<string> | undefined, extra: Record<string, string | undefined> = {}) => {
    const params: Record<string, string> = {}
    if (fields !== undefined) params.fields = fields.join(",")
    for (const [key, value] of Object.entries(extra)) if (value !== undefined) params[key] = value
    return params
  }

  const listOrganizations = Effect.fn("DineroClient.listOrganizations")(function* (listOptions?: {
    readonly fields?: ReadonlyArray<string> | undefined
  }) {
    const fields = withField("Id", withField("Name", listOptions?.fields ?? ["IsPro"])).join(",")
    return yield* api.json(OrganizationList)(HttpClientRequest.get("/v1/organizations", { urlParams: { fields } }))
  })

  const listContacts = Effect.fn("DineroClient.listContacts")(function* (params?: ListParams) {
    return yield* getJson(Page(ContactListItem), at("GET")`/contacts`, listParams(params, "ContactGuid"))
  })
  const listContactsV2 = Effect.fn("DineroClient.listContactsV2")(function* (params?: ListParams) {
    return yield* getJson(Page(ContactListItem), at("GET", "v2")`/contacts`, listParams(params, "ContactGuid"))
  })
  const getContact = Effect.fn("DineroClient.getContact")(function* (contactGuid: string) {
    return yield* getJson(Contact, at("GET")`/contacts/${contactGuid}`)
  })
  const contactDefaults = (contact: ContactInput): ContactInput => ({ IsMember: false, UseCvr: false, ...contact })
  const createContact = Effect.fn("DineroClient.createContact")(function* (contact: ContactInput) {
    return yield* send("POST", at("POST")`/contacts`, ContactInput, contactDefaults(contact), ContactCreated)
  })
  const updateContact = Effect.fn("DineroClient.updateContact")(function* (contactGuid: string, contact: ContactInput) {
    yield* send("PUT", at("PUT", "v2")`/contacts/${contactGuid}`, ContactInput, contactDefaults(contact))
  })
  const deleteContact = Effect.fn("DineroClient.deleteContact")(function* (contactGuid: string) {
    const url = yield* at("DELETE")`/contacts/${contactGuid}`
    yield* api.ok(HttpClientRequest.delete(url))
  })

  const listProducts = Effect.fn("DineroClient.listProducts")(function* (params?: ListParams) {
    return yield* getJson(Page(ProductListItem), at("GET")`/products`, listParams(params, "ProductGuid"))
  })
  const getProduct = Effect.fn("DineroClient.getProduct")(function* (productGuid: string) {
    return yield* getJson(Product, at("GET")`/products/${productGuid}`)
  })

  const createProduct = Effect.fn("DineroClient.createProduct")(function* (product: ProductInput) {
    return yield* send("POST", at("POST")`/products`, ProductInput, product, ProductCreated)
  })
  const updateProduct = Effect.fn("DineroClient.updateProduct")(function* (productGuid: string, product: ProductInput) {
    yield* send("PUT", at("PUT")`/products/${productGuid}`, ProductInput, product)
  })
  const deleteProduct = Effect.fn("DineroClient.deleteProduct")(function* (productGuid: string) {
    const url = yield* at("DELETE")`/products/${productGuid}`
    yield* api.ok(HttpClientRequest.delete(url))
  })

  const invoiceDefaults = <I extends InvoiceInput>(invoice: I): I => ({
    ...invoice,
    ProductLines: invoice.ProductLines.map((line) => ({ Discount: 0, ...line }))
  })
  const listInvoices = Effect.fn("DineroClient.listInvoices")(function* (params?: InvoiceListParams) {
    return yield* getJson(Page(InvoiceListItem), at("GET")`/invoices`, listParams(params, "Guid"))
  })
  const getInvoice = Effect.fn("DineroClient.getInvoice")(function* (invoiceGuid: string) {
    return yield* getJson(Invoice, at("GET")`/invoices/${invoiceGuid}`)
  })
  const getInvoicePdf = Effect.fn("DineroClient.getInvoicePdf")(function* (invoiceGuid: string) {
    return yield* pdf(at("GET")`/invoices/${invoiceGuid}`)
  })
  const createInvoice = Effect.fn("DineroClient.createInvoice")(function* (invoice: InvoiceInput) {
    return yield* send("POST", at("POST")`/invoices`, InvoiceInput, invoiceDefaults(invoice), Created)
  })
  const updateInvoice = Effect.fn("DineroClient.updateInvoice")(function* (
    invoiceGuid: string,
    invoice: InvoiceUpdate
  ) {
    return yield* send(
      "PUT",
      at("PUT", "v1.2")`/invoices/${invoiceGuid}`,
      InvoiceUpdate,
      invoiceDefaults(invoice),
      Updated
    )
  })
  const deleteInvoice = Effect.fn("DineroClient.deleteInvoice")(function* (invoiceGuid: string, timestamp: string) {
    yield* send("DELETE", at("DELETE")`/invoices/${invoiceGuid}`, TimestampBody, { Timestamp: timestamp })
  })
  const invoiceTotals = Effect.fn("DineroClient.invoiceTotals")(function* (invoice: InvoiceInput) {
    return yield* send("POST", at("POST")`/invoices/fetch`, InvoiceInput, invoiceDefaults(invoice), InvoiceTotals)
  })
  const bookInvoice = Effect.fn("DineroClient.bookInvoice")(function* (invoiceGuid: string, book: BookRequest) {
    return yield* send("POST", at("POST")`/invoices/${invoiceGuid}/book`, BookRequest, book, Invoice)
  })
  const addInvoicePayment = Effect.fn("DineroClient.addInvoicePayment")(function* (
    invoiceGuid: string,
    payment: PaymentInput
  ) {
    return yield* send(
      "POST",
      at("POST")`/invoices/${invoiceGuid}/payments`,
      PaymentInput,
      { RemainderIsFee: false, ...payment },
      PaymentCreated
    )
  })
  const listInvoicePayments = Effect.fn("DineroClient.listInvoicePayments")(function* (invoiceGuid: string) {
    return yield* getJson(InvoicePayments, at("GET", "v2")`/invoices/${invoiceGuid}/payments`)
  })
  const deleteInvoicePayment = Effect.fn("DineroClient.deleteInvoicePayment")(function* (
    invoiceGuid: string,
    paymentGuid: string,
    timestamp: string
  ) {
    return yield* send(
      "DELETE",
      at("DELETE")`/invoices/${invoiceGuid}/payments/${paymentGuid}`,
      TimestampBody,
      { Timestamp: timestamp },
      PaymentDeleted
    )
  })
  const sendInvoiceEmail = Effect.fn("DineroClient.sendInvoiceEmail")(function* (
    invoiceGuid: string,
    mail?: MailoutInput
  ) {
    return yield* send(
      "POST",
      at("POST")`/invoices/${invoiceGuid}/email`,
      MailoutInput,
      { ShouldAddTrustPilotEmailAsBcc: false, ...mail },
      EmailSent
    )
  })
  const createCreditNoteFromInvoice = Effect.fn("DineroClient.createCreditNoteFromInvoice")(function* (
    invoiceGuid: string,
    timestamp: string
  ) {
    return yield* send(
      "POST",
      at("POST")`/invoices/${invoiceGuid}/generate-creditnote`,
      TimestampBody,
      { Timestamp: timestamp },
      Created
    )
  })

  const getCreditNote = Effect.fn("DineroClient.getCreditNote")(function* (creditNoteGuid: string) {
    return yield* getJson(CreditNote, at("GET")`/sales/creditnotes/${creditNoteGuid}`)
  })
  const bookCreditNote = Effect.fn("DineroClient.bookCreditNote")(function* (
    creditNoteGuid: string,
    book: BookRequest
  ) {
    return yield* send("POST", at("POST")`/sales/creditnotes/${creditNoteGuid}/book`, BookRequest, book, CreditNote)
  })
  const getCreditNotePdf = Effect.fn("DineroClient.getCreditNotePdf")(function* (creditNoteGuid: string) {
    return yield* pdf(at("GET")`/sales/creditnotes/${creditNoteGuid}/pdf`)
  })

  const uploadFile = Effect.fn("DineroClient.uploadFile")(function* (file: FileUpload) {
    const url = yield* at("POST")`/files`
    if (file.data.byteLength > maxFileBytes) {
      return yield* new FileTooLargeError({ provider: "dinero", size: file.data.byteLength, limit: maxFileBytes })
    }
    const form = new FormData()
    const bytes = new Uint8Array(file.data.byteLength)
    bytes.set(file.data)
    form.append("file", new Blob([bytes], { type: file.contentType ?? "application/octet-stream" }), file.fileName)
    return yield* api.json(FileSaved)(HttpClientRequest.post(url).pipe(HttpClientRequest.bodyFormData(form)))
  })

  const createPurchaseVoucher = Effect.fn("DineroClient.createPurchaseVoucher")(function* (
    voucher: PurchaseVoucherInput
  ) {
    return yield* send("POST", at("POST", "v1.2")`/vouchers/purchase`, PurchaseVoucherInput, voucher, PurchaseVoucher)
  })
  const getPurchaseVoucher = Effect.fn("DineroClient.getPurchaseVoucher")(function* (voucherGuid: string) {
    return yield* getJson(PurchaseVoucher, at("GET")`/vouchers/purchase/${voucherGuid}`)
  })
  const updatePurchaseVoucher = Effect.fn("DineroClient.updatePurchaseVoucher")(function* (
    voucherGuid: string,
    voucher: PurchaseVoucherUpdate
  ) {
    return yield* send(
      "PUT",
      at("PUT", "v1.1")`/vouchers/purchase/${voucherGuid}`,
      PurchaseVoucherUpdate,
      voucher,
      PurchaseVoucher
    )
  })
  const deletePurchaseVoucher = Effect.fn("DineroClient.deletePurchaseVoucher")(function* (
    voucherGuid: string,
    timestamp: string
  ) {
    yield* send("DELETE", at("DELETE")`/vouchers/purchase/${voucherGuid}`, TimestampBody, { Timestamp: timestamp })
  })
  const bookPurchaseVoucher = Effect.fn("DineroClient.bookPurchaseVoucher")(function* (
    voucherGuid: string,
    book: BookRequest
  ) {
    return yield* send("POST", at("POST")`/vouchers/purchase/${voucherGuid}/book`, BookRequest, book, PurchaseVoucher)
  })

  const createManualVoucher = Effect.fn("DineroClient.createManualVoucher")(function* (voucher: ManualVoucherInput) {
    return yield* send("POST", at("POST")`/vouchers/manuel`, ManualVoucherInput, voucher, ManualVoucher)
  })
  const getManualVoucher = Effect.fn("DineroClient.getManualVoucher")(function* (voucherGuid: string) {
    return yield* getJson(ManualVoucher, at("GET")`/vouchers/manuel/${voucherGuid}`)
  })
  const updateManualVoucher = Effect.fn("DineroClient.updateManualVoucher")(function* (
    voucherGuid: string,
    voucher: ManualVoucherUpdate
  ) {
    return yield* send("PUT", at("PUT")`/vouchers/manuel/${voucherGuid}`, ManualVoucherUpdate, voucher, ManualVoucher)
  })
  const deleteManualVoucher = Effect.fn("DineroClient.deleteManualVoucher")(function* (
    voucherGuid: string,
    timestamp: string
  ) {
    yield* send("DELETE", at("DELETE")`/vouchers/manuel/${voucherGuid}`, TimestampBody, { Timestamp: timestamp })
  })
  const bookManualVoucher = Effect.fn("DineroClient.bookManualVoucher")(function* (
    voucherGuid: string,
    book: BookRequest
  ) {
    return yield* send("POST", at("POST")`/vouchers/manuel/${voucherGuid}/book`, BookRequest, book, ManualVoucher)
  })

  const addLedgerItem = Effect.fn("DineroClient.addLedgerItem")(function* (item: LedgerItemInput) {
    return yield* send("POST", at("POST", "v1.2")`/ledgeritems`, Schema.Array(LedgerItemInput), [item], LedgerItemAdded)
  })
  const bookLedgerItems = Effect.fn("DineroClient.bookLedgerItems")(function* (items: ReadonlyArray<LedgerItemRef>) {
    yield* send(
      "POST",
      at("POST")`/ledgeritems/book`,
      Schema.Array(LedgerItemRef),
      items.map((i) => ({ Id: i.Id, Version: i.Version }))
    )
  })
  const ledgerItemStatus = Effect.fn("DineroClient.ledgerItemStatus")(function* (ids: ReadonlyArray<string>) {
    return yield* send(
      "POST",
      at("POST")`/ledgeritems/status`,
      Schema.Array(Schema.Struct({ Id: Schema.String })),
      ids.map((Id) => ({ Id })),
      Schema.Array(LedgerItemStatus)
    )
  })
  const allBooked = (statuses: ReadonlyArray<LedgerItemStatus>, ids: ReadonlyArray<string>) =>
    ids.every((id) => statuses.some((s) => s.Id.toLowerCase() === id.toLowerCase() && s.Status === "Booked"))
  const awaitLedgerItemsBooked = Effect.fn("DineroClient.awaitLedgerItemsBooked")(function* (
    ids: ReadonlyArray<string>,
    awaitOptions?: AwaitBookingOptions
  ) {
    const statuses = yield* ledgerItemStatus(ids).pipe(
      Effect.repeat({
        schedule: awaitOptions?.schedule ?? defaultBookingSchedule,
        until: (s: ReadonlyArray<LedgerItemStatus>) => allBooked(s, ids)
      })
    )
    if (!allBooked(statuses, ids)) {
      return yield* new LedgerItemsNotBookedError({
        provider: "dinero",
        statuses: statuses.map((s) => ({ id: s.Id, status: s.Status ?? undefined }))
      })
    }
    return statuses
  })

  const listAccountingYears = Effect.fn("DineroClient.listAccountingYears")(function* () {
    return yield* getJson(Schema.Array(AccountingYear), at("GET")`/accountingyears`)
  })
  const listEntryAccounts = Effect.fn("DineroClient.listEntryAccounts")(function* (o?: {
    readonly fields?: ReadonlyArray<string> | undefined
    readonly categoryFilter?: string | undefined
  }) {
    const fields = o?.fields === undefined ? undefined : withField("AccountNumber", o.fields)
    return yield* getJson(
      Schema.Array(EntryAccount),
      at("GET")`/accounts/entry`,
      fieldsParam(fields, { categoryFilter: o?.categoryFilter })
    )
  })
  const listPurchaseAccounts = Effect.fn("DineroClient.listPurchaseAccounts")(function* (o?: {
    readonly fields?: ReadonlyArray<string> | undefined
  }) {
    const fields = o?.fields === undefined ? undefined : withField("AccountNumber", o.fields)
    return yield* getJson(Schema.Array(EntryAccount), at("GET")`/accounts/purchase`, fieldsParam(fields))
  })
  const listDepositAccounts = Effect.fn("DineroClient.listDepositAccounts")(function* (o?: {
    readonly fields?: ReadonlyArray<string> | undefined
  }) {
    const fields = o?.fields === undefined ? undefined : withField("AccountNumber", o.fields)
    return yield* getJson(Schema.Array(DepositAccount), at("GET")`/accounts/deposit`, fieldsParam(fields))
  })
  const listVatTypes = Effect.fn("DineroClient.listVatTypes")(function* () {
    return yield* getJson(Schema.Array(VatType), at("GET")`/vatTypes`)
  })

  const listEntries = Effect.fn("DineroClient.listEntries")(function* (range: {
    readonly from: Date
    readonly to: Date
    readonly includePrimo?: boolean | undefined
  }) {
    return yield* getJson(Schema.Array(Entry), at("GET")`/entries`, {
      fromDate: queryDateTime(range.from),
      toDate: queryDateTime(range.to),
      ...(range.includePrimo === undefined ? {} : { includePrimo: String(range.includePrimo) })
    })
  })
  const listEntryChanges = Effect.fn("DineroClient.listEntryChanges")(function* (range: {
    readonly from: Date
    readonly to: Date
    readonly includePrimo?: boolean | undefined
  }) {
    return yield* getJson(Schema.Array(Entry), at("GET")`/entries/changes`, {
      changesFrom: queryDateTime(range.from),
      changesTo: queryDateTime(range.to),
      ...(range.includePrimo === undefined ? {} : { includePrimo: String(range.includePrimo) })
    })
  })
  const streamEntries = (range: {
    readonly from: Date
    readonly to: Date
    readonly includePrimo?: boolean | undefined
  }): Stream.Stream<EntriesOfYear, E> =>
    Stream.unwrap(
      Effect.map(listAccountingYears(), (years) => {
        const parts = years.flatMap((year) => {
          if (year.FromDate == null || year.ToDate == null) return []
          const start = Date.parse(`${year.FromDate.slice(0, 10)}T00:00:00Z`)
          const end = Date.parse(`${year.ToDate.slice(0, 10)}T23:59:59Z`)
          const from = Math.max(start, range.from.getTime())
          const to = Math.min(end, range.to.getTime())
          return Number.isNaN(from) || Number.isNaN(to) || from > to
            ? []
            : [{ name: year.Name ?? year.FromDate.slice(0, 4), from, to }]
        })
        parts.sort((a, b) => a.from - b.from)
        return Stream.fromIterable(parts).pipe(
          Stream.mapEffect((part) =>
            Effect.map(
              listEntries({ from: new Date(part.from), to: new Date(part.to), includePrimo: range.includePrimo }),
              (entries): EntriesOfYear => ({ accountingYear: part.name, entries, cursor: new Date(part.to) })
            )
          )
        )
      })
    )

  const streamEntryChanges = (o: {
    readonly since: Date
    readonly until?: Date | undefined
    readonly includePrimo?: boolean | undefined
  }): Stream.Stream<EntryChanges, E> =>
    Stream.unwrap(
      Effect.map(
        o.until === undefined
          ? Effect.clockWith((clock) => clock.currentTimeMillis)
          : Effect.succeed(o.until.getTime()),
        (until) =>
          Stream.paginate(
            // Whole seconds: the query format has no milliseconds, so the cursor must not either.
            Math.floor(o.since.getTime() / 1000) * 1000,
            (from): Effect.Effect<readonly [ReadonlyArray<EntryChanges>, Option.Option<number>], E> => {
              const to = Math.min(until, from + maxChangesRangeDays * dayMillis)
              if (to <= from) return Effect.succeed([[], Option.none()] as const)
              const end = Math.floor(to / 1000) * 1000
              return Effect.map(
                listEntryChanges({ from: new Date(from), to: new Date(end), includePrimo: o.includePrimo }),
                (entries) =>
                  [[{ entries, cursor: new Date(end) }], end < until - 999 ? Option.some(end) : Option.none()] as const
              )
            }
          )
      )
    )

  const subscribeWebhook = Effect.fn("DineroClient.subscribeWebhook")(function* (subscription: WebhookSubscription) {
    yield* send("POST", at("POST")`/webhooks/subscribe`, WebhookSubscription, subscription)
  })
  const unsubscribeWebhook = Effect.fn("DineroClient.unsubscribeWebhook")(function* (eventId: string) {
    yield* send("DELETE", at("DELETE")`/webhooks/unsubscribe`, WebhookUnsubscription, { EventId: eventId })
  })
  const listWebhookSubscriptions = Effect.fn("DineroClient.listWebhookSubscriptions")(function* () {
    return yield* getJson(Schema.Unknown, at("GET")`/webhooks/subscriptions`)
  })
  const listWebhookEvents = Effect.fn("DineroClient.listWebhookEvents")(function* () {
    return yield* getJson(Schema.Unknown, at("GET")`/webhooks/events`)
  })

  return {
    subscribeWebhook,
    unsubscribeWebhook,
    listWebhookSubscriptions,
    listWebhookEvents,
    organizationId,
    http: api.http,
    accessToken: tokens.get,
    tokens,
    listOrganizations,
    listContacts,
    streamContacts: (params) => streamPages(listContacts, params ?? {}),
    listContactsV2,
    streamContactsV2: (params) => streamPages(listContactsV2, params ?? {}),
    getContact,
    createContact,
    updateContact,
    deleteContact,
    listProducts,
    streamProducts: (params) => streamPages(listProducts, params ?? {}),
    getProduct,
    createProduct,
    updateProduct,
    deleteProduct,
    listInvoices,
    streamInvoices: (params) => streamPages(listInvoices, params ?? {}),
    getInvoice,
    getInvoicePdf,
    createInvoice,
    updateInvoice,
    deleteInvoice,
    invoiceTotals,
    bookInvoice,
    addInvoicePayment,
    listInvoicePayments,
    deleteInvoicePayment,
    sendInvoiceEmail,
    createCreditNoteFromInvoice,
    getCreditNote,
    bookCreditNote,
    getCreditNotePdf,
    uploadFile,
    createPurchaseVoucher,
    getPurchaseVoucher,
    updatePurchaseVoucher,
    deletePurchaseVoucher,
    bookPurchaseVoucher,
    createManualVoucher,
    getManualVoucher,
    updateManualVoucher,
    deleteManualVoucher,
    bookManualVoucher,
    addLedgerItem,
    bookLedgerItems,
    ledgerItemStatus,
    awaitLedgerItemsBooked,
    listAccountingYears,
    listEntryAccounts,
    listPurchaseAccounts,
    listDepositAccounts,
    listVatTypes,
    listEntries,
    streamEntries,
    listEntryChanges,
    streamEntryChanges
  }
}

const pacingOf = (options: CommonOptions) =>
  options.pacing === false
    ? undefined
    : {
        limit: options.pacing?.limit ?? defaultPacing.limit,
        window: options.pacing?.window ?? defaultPacing.window,
        limiter: options.pacing?.limiter
      }

/** The service over one pipeline per organization. */
const serviceOf = (apis: ReadonlyArray<OrganizationApi>): Service => {
  const byId = new Map(apis.map((api) => [api.organizationId, api]))
  return DineroClient.of({
    ...apis[0]!,
    organizationIds: apis.map((api) => api.organizationId),
    organization: (organizationId) => {
      const api = byId.get(organizationId)
      return api === undefined
        ? Effect.fail(configurationError(`organization ${organizationId} is not configured`))
        : Effect.succeed(api)
    }
  })
}

/**
 * Builds the client for a personal integration. Fails with `NordkitError.ConfigurationError` for bad ids, empty
 * keys or insecure URLs.
 */
export const make = Effect.fnUntraced(function* (
  options: Options
): Effect.fn.Return<Service, NordkitError.ConfigurationError, HttpClient.HttpClient | Scope.Scope> {
  if (options.clientId.trim().length === 0) return yield* configurationError("DINERO_CLIENT_ID is empty")
  const organizations = yield* organizationsOf(options)
  const authUrl = yield* BaseUrl.validate("dinero", "DINERO_AUTH_URL", options.authUrl ?? defaultAuthUrl)
  const apiUrl = yield* BaseUrl.validate("dinero", "DINERO_API_URL", options.apiUrl ?? defaultApiUrl)
  const httpClient = yield* HttpClient.HttpClient
  const pacing = pacingOf(options)
  const limiter = pacing === undefined ? undefined : (pacing.limiter ?? (yield* Pacing.limiter))
  const apis: Array<OrganizationApi> = []
  for (const credentials of organizations) {
    const organizationId = credentials.organizationId
    const tokens = yield* DineroAuth.makeTokenProvider({
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      apiKey: credentials.apiKey,
      authUrl
    })
    const pace =
      pacing === undefined
        ? undefined
        : yield* Pacing.make({ key: `dinero:${options.clientId}:${organizationId}`, ...pacing, limiter })
    apis.push(makeOrganizationApi(httpClient, apiUrl, options, { organizationId, tokens, pace }))
  }
  return serviceOf(apis)
})

/**
 * Builds the client over a token provider of your own — Visma Connect's (`DineroVismaConnect`): every organization
 * shares it, and each organization still has its own pacing.
 */
export const makeWithTokens = Effect.fnUntraced(function* <ET extends E>(
  options: TokenOptions<ET>
): Effect.fn.Return<Service, NordkitError.ConfigurationError, HttpClient.HttpClient | Scope.Scope> {
  const invalid = checkIds(options.organizationIds)
  if (invalid !== undefined) return yield* invalid
  const apiUrl = yield* BaseUrl.validate("dinero", "DINERO_API_URL", options.apiUrl ?? defaultApiUrl)
  const httpClient = yield* HttpClient.HttpClient
  const pacing = pacingOf(options)
  const limiter = pacing === undefined ? undefined : (pacing.limiter ?? (yield* Pacing.limiter))
  const apis: Array<OrganizationApi> = []
  for (const organizationId of options.organizationIds) {
    const pace =
      pacing === undefined
        ? undefined
        : yield* Pacing.make({
            key: `dinero:${options.pacingKey ?? "visma-connect"}:${organizationId}`,
            ...pacing,
            limiter
          })
    apis.push(makeOrganizationApi(httpClient, apiUrl, options, { organizationId, tokens: options.tokens, pace }))
  }
  return serviceOf(apis)
})

/** The client as a layer, from explicit options. Needs an `HttpClient` (e.g. `NodeHttpClient.layerUndici`). */
export const layer = (
  options: Options
): Layer.Layer<DineroClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(DineroClient, make(options))

/** The client over a token provider of your own (Visma Connect), as a layer. */
export const layerWithTokens = <ET extends E>(
  options: TokenOptions<ET>
): Layer.Layer<DineroClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(DineroClient, makeWithTokens(options))

/** The variables `layerConfig` reads by default: one `Config` per option (the fixed `DINERO_*` names). */
export const configs: ClientConfig.Configs<
  Pick<Options, "clientId" | "clientSecret" | "apiKey" | "organizationId" | "authUrl" | "apiUrl">
> = /* @__PURE__ */ (() => ({
  // A pure thunk (and `config` below a pure call): a bundle that never reads the environment drops `Config`.
  clientId: Config.String("DINERO_CLIENT_ID"),
  clientSecret: Config.Redacted("DINERO_CLIENT_SECRET"),
  apiKey: Config.Redacted("DINERO_API_KEY"),
  organizationId: Config.String("DINERO_ORGANIZATION_ID"),
  authUrl: ClientConfig.optionalString("DINERO_AUTH_URL"),
  apiUrl: ClientConfig.optionalString("DINERO_API_URL")
}))()

/** The same as one `Config` of the options. */
export const config: Config.Config<Options> = /* @__PURE__ */ Config.all(configs)

/**
 * The client as a layer, configured from `DINERO_CLIENT_ID`, `DINERO_CLIENT_SECRET`, `DINERO_API_KEY`,
 * `DINERO_ORGANIZATION_ID` and the optional `DINERO_AUTH_URL`, `DINERO_API_URL`. `overrides` set what the
 * configuration does not (more organizations, pacing, retry, transformClient); `replace` swaps any variable for your
 * own `Config` (another name, `Config.succeed(value)`, ...). A missing or malformed variable is a
 * `ConfigurationError` naming it, never echoing a value.
 */
export const layerConfig = (
  overrides?: Partial<Omit<Options, "clientId" | "clientSecret" | "organizationId" | "apiKey">>,
  replace?: { readonly [K in keyof typeof configs]?: (typeof configs)[K] }
): Layer.Layer<DineroClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  ClientConfig.layerConfig({
    service: DineroClient,
    provider: "dinero",
    config: configs,
    make: (loaded: Options) => make({ ...loaded, ...overrides })
  })(replace)
