/**
 * The Dinero client: typed operations over Dinero's organization-scoped API (organizations, contacts, invoices,
 * products), paginated lists also as lazy `Stream`s, and an authenticated HttpClient for endpoints nordkit does not
 * wrap.
 *
 * - One token per organization: each configured organization has its own API key, token provider and request
 *   pipeline, so one organization's token is never sent on another's requests. Tokens come from the password
 *   grant (see `DineroAuth`), are cached and re-granted ahead of expiry, and replaced after a 401 — by
 *   `@nordkit/core`.
 * - Pacing: every request on the wire (retries and replays included) passes a per-organization limiter (default
 *   100 requests per 61 s: Dinero's 100 per minute plus a second of margin), so a burst is spread out instead of
 *   running into 429s. A 429 that still happens is waited out (a minute window, or `Retry-After`) and retried by
 *   core's bounded retry policy, then surfaces as `RateLimitedError`.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const dinero = yield* DineroClient.DineroClient
 *   const contacts = yield* dinero.streamContacts({ fields: ["Name", "Email"] }).pipe(Stream.runCollect)
 * })
 * program.pipe(Effect.provide(DineroClient.layerConfig()), Effect.provide(NodeHttpClient.layerUndici))
 * ```
 */
import {
  type AccessToken,
  ApiClient,
  BaseUrl,
  ClientConfig,
  NordkitError,
  Pacing,
  type RetryPolicy,
  type TokenProvider
} from "@nordkit/core"
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
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as DineroAuth from "./DineroAuth.ts"
import {
  type BrownoutError,
  classify,
  type DineroError,
  errorFields,
  rateLimitWindowMillis,
  retryAfterFallback
} from "./DineroError.ts"
import {
  BookInvoiceRequest,
  Contact,
  ContactInput,
  ContactListItem,
  Created,
  Invoice,
  InvoiceInput,
  InvoiceListItem,
  type InvoiceListParams,
  type ListParams,
  nextPage,
  OrganizationId,
  OrganizationList,
  Page,
  Product,
  ProductListItem
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
  /** A shared limiter (e.g. Redis-backed) when several clients or processes use the same organizations. */
  readonly limiter?: RateLimiter.RateLimiter | undefined
}

export interface Options {
  readonly clientId: string
  readonly clientSecret: Redacted.Redacted<string>
  /** The default organization (with `apiKey`). */
  readonly organizationId?: string | undefined
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** More organizations, each with its own API key. The first is the default when `organizationId` is not set. */
  readonly organizations?: ReadonlyArray<OrganizationCredentials> | undefined
  /** Token endpoint. Default `https://authz.dinero.dk/dineroapi/oauth/token`. */
  readonly authUrl?: string | undefined
  /** API host. Default `https://api.dinero.dk`. */
  readonly apiUrl?: string | undefined
  readonly retry?: RetryPolicy.Options | undefined
  /** Client-side pacing, or `false` to switch it off. */
  readonly pacing?: PacingOptions | false | undefined
}

export const defaultPacing = { limit: 100, window: "61 seconds" } as const

type E = DineroError

/** Fields of the list endpoints without the page, for streams. */
export type StreamParams = Omit<ListParams, "page">
export type InvoiceStreamParams = Omit<InvoiceListParams, "page">

/** The operations of one organization. Every request carries that organization's token only. */
export interface OrganizationApi {
  readonly organizationId: string
  /** Authenticated, paced, retried HttpClient on the API host, for endpoints not wrapped here. */
  readonly http: ApiClient.RawClient
  /** This organization's current access token (from cache when fresh). */
  readonly accessToken: Effect.Effect<AccessToken.AccessToken, NordkitError.RequestError>
  /** This organization's token provider (e.g. to count token requests). */
  readonly tokens: TokenProvider.TokenProvider<NordkitError.RequestError>

  /** `GET /v1/organizations`: the organizations this token sees. `Id` and `Name` are always requested. */
  readonly listOrganizations: (options?: {
    readonly fields?: ReadonlyArray<string> | undefined
  }) => Effect.Effect<ReadonlyArray<(typeof OrganizationList.Type)[number]>, E>

  readonly listContacts: (params?: ListParams) => Effect.Effect<Page<ContactListItem>, E>
  /** Every contact, page after page, fetched lazily as the stream is pulled. */
  readonly streamContacts: (params?: StreamParams) => Stream.Stream<ContactListItem, E>
  readonly getContact: (contactGuid: string) => Effect.Effect<Contact, E>
  readonly createContact: (contact: ContactInput) => Effect.Effect<Created, E>
  readonly updateContact: (contactGuid: string, contact: ContactInput) => Effect.Effect<void, E>
  readonly deleteContact: (contactGuid: string) => Effect.Effect<void, E>

  readonly listInvoices: (params?: InvoiceListParams) => Effect.Effect<Page<InvoiceListItem>, E>
  readonly streamInvoices: (params?: InvoiceStreamParams) => Stream.Stream<InvoiceListItem, E>
  readonly getInvoice: (invoiceGuid: string) => Effect.Effect<Invoice, E>
  /** The invoice as a PDF document (`Accept: application/pdf`). */
  readonly getInvoicePdf: (invoiceGuid: string) => Effect.Effect<Uint8Array, E>
  /** Creates a draft invoice; returns its `Guid` and `Timestamp`. */
  readonly createInvoice: (invoice: InvoiceInput) => Effect.Effect<Created, E>
  /**
   * Books a draft. `Timestamp` must be the invoice's latest (from create or get): a stale one is refused by Dinero
   * with 400 (`ApiError` carrying Dinero's message). Returns the new `Timestamp` and the invoice `Number`.
   */
  readonly bookInvoice: (invoiceGuid: string, request: BookInvoiceRequest) => Effect.Effect<Created, E>

  readonly listProducts: (params?: ListParams) => Effect.Effect<Page<ProductListItem>, E>
  readonly streamProducts: (params?: StreamParams) => Stream.Stream<ProductListItem, E>
  readonly getProduct: (productGuid: string) => Effect.Effect<Product, E>
}

export interface Service extends OrganizationApi {
  /** The configured organizations; the first is the default one the top-level operations use. */
  readonly organizationIds: ReadonlyArray<string>
  /** The operations of another configured organization. */
  readonly organization: (organizationId: string) => Effect.Effect<OrganizationApi, NordkitError.ConfigurationError>
}

export class DineroClient extends Context.Service<DineroClient, Service>()("@nordkit/dinero/DineroClient") {}

const isOrganizationId = Schema.is(OrganizationId)

const segment = (id: string) => encodeURIComponent(id)

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
    const seen = new Set<string>()
    for (const organization of list) {
      if (!isOrganizationId(organization.organizationId)) {
        return Effect.fail(configurationError("DINERO_ORGANIZATION_ID must be a Dinero organization id (digits)"))
      }
      if (seen.has(organization.organizationId)) {
        return Effect.fail(configurationError(`organization ${organization.organizationId} is configured twice`))
      }
      seen.add(organization.organizationId)
      if (Redacted.value(organization.apiKey).trim().length === 0) {
        return Effect.fail(configurationError(`DINERO_API_KEY of organization ${organization.organizationId} is empty`))
      }
    }
    return Effect.succeed(list)
  })

/** Query parameters of the list endpoints; `idField` is always part of `fields`. */
const listParams = (params: InvoiceListParams | undefined, idField: string): Record<string, string> => {
  const urlParams: Record<string, string> = {}
  if (params?.fields !== undefined) urlParams.fields = [...new Set([idField, ...params.fields])].join(",")
  if (params?.queryFilter !== undefined) urlParams.queryFilter = params.queryFilter
  if (params?.changesSince !== undefined) urlParams.changesSince = params.changesSince.toISOString()
  if (params?.deletedOnly !== undefined) urlParams.deletedOnly = String(params.deletedOnly)
  if (params?.page !== undefined) urlParams.page = String(params.page)
  if (params?.pageSize !== undefined) urlParams.pageSize = String(params.pageSize)
  if (params?.startDate !== undefined) urlParams.startDate = params.startDate
  if (params?.endDate !== undefined) urlParams.endDate = params.endDate
  if (params?.statusFilter !== undefined) urlParams.statusFilter = params.statusFilter
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

/** Builds the client. Fails with `NordkitError.ConfigurationError` for bad ids, empty keys or insecure URLs. */
export const make = Effect.fnUntraced(function* (
  options: Options
): Effect.fn.Return<Service, NordkitError.ConfigurationError, HttpClient.HttpClient | Scope.Scope> {
  if (options.clientId.trim().length === 0) return yield* configurationError("DINERO_CLIENT_ID is empty")
  const organizations = yield* organizationsOf(options)
  const authUrl = yield* BaseUrl.validate("dinero", "DINERO_AUTH_URL", options.authUrl ?? defaultAuthUrl)
  const apiUrl = yield* BaseUrl.validate("dinero", "DINERO_API_URL", options.apiUrl ?? defaultApiUrl)
  const httpClient = yield* HttpClient.HttpClient
  const pacing =
    options.pacing === false
      ? undefined
      : {
          limit: options.pacing?.limit ?? defaultPacing.limit,
          window: options.pacing?.window ?? defaultPacing.window,
          limiter: options.pacing?.limiter
        }
  const limiter = pacing === undefined ? undefined : (pacing.limiter ?? (yield* Pacing.limiter))

  const organizationApi = Effect.fnUntraced(function* (credentials: OrganizationCredentials) {
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
        : yield* Pacing.make({
            key: `dinero:${options.clientId}:${organizationId}`,
            limit: pacing.limit,
            window: pacing.window,
            limiter
          })
    const api = ApiClient.make<BrownoutError, NordkitError.RequestError>(httpClient, {
      provider: "dinero",
      baseUrl: apiUrl,
      tokens,
      headers: { accept: "application/json" },
      errorFields,
      classify,
      // Waiting out Dinero's window (61 s without Retry-After) must stay within the cap.
      retry: { retryAfterFallback, retryAfterCap: rateLimitWindowMillis, ...options.retry },
      perAttempt: pace
    })
    const base = `/v1/${segment(organizationId)}`

    /** Encodes a body with its schema; input the schema refuses is an `InvalidRequestError`, nothing is sent. */
    const withBody = <S extends Schema.Constraint & { readonly EncodingServices: never }>(
      request: HttpClientRequest.HttpClientRequest,
      schema: S,
      body: S["Type"]
    ) => ApiClient.jsonBody("dinero")(schema, body)(request)

    const listOrganizations = Effect.fn("DineroClient.listOrganizations")(function* (listOptions?: {
      readonly fields?: ReadonlyArray<string> | undefined
    }) {
      const fields = [...new Set(["Id", "Name", ...(listOptions?.fields ?? ["IsPro"])])].join(",")
      return yield* api.json(OrganizationList)(HttpClientRequest.get("/v1/organizations", { urlParams: { fields } }))
    })

    const listContacts = Effect.fn("DineroClient.listContacts")(function* (params?: ListParams) {
      return yield* api.json(Page(ContactListItem))(
        HttpClientRequest.get(`${base}/contacts`, { urlParams: listParams(params, "ContactGuid") })
      )
    })

    const getContact = Effect.fn("DineroClient.getContact")(function* (contactGuid: string) {
      return yield* api.json(Contact)(HttpClientRequest.get(`${base}/contacts/${segment(contactGuid)}`))
    })

    const createContact = Effect.fn("DineroClient.createContact")(function* (contact: ContactInput) {
      const request = yield* withBody(HttpClientRequest.post(`${base}/contacts`), ContactInput, contact)
      return yield* api.json(Created)(request)
    })

    const updateContact = Effect.fn("DineroClient.updateContact")(function* (
      contactGuid: string,
      contact: ContactInput
    ) {
      const request = yield* withBody(
        HttpClientRequest.put(`${base}/contacts/${segment(contactGuid)}`),
        ContactInput,
        contact
      )
      yield* api.ok(request)
    })

    const deleteContact = Effect.fn("DineroClient.deleteContact")(function* (contactGuid: string) {
      yield* api.ok(HttpClientRequest.delete(`${base}/contacts/${segment(contactGuid)}`))
    })

    const listInvoices = Effect.fn("DineroClient.listInvoices")(function* (params?: InvoiceListParams) {
      return yield* api.json(Page(InvoiceListItem))(
        HttpClientRequest.get(`${base}/invoices`, { urlParams: listParams(params, "Guid") })
      )
    })

    const getInvoice = Effect.fn("DineroClient.getInvoice")(function* (invoiceGuid: string) {
      return yield* api.json(Invoice)(HttpClientRequest.get(`${base}/invoices/${segment(invoiceGuid)}`))
    })

    const getInvoicePdf = Effect.fn("DineroClient.getInvoicePdf")(function* (invoiceGuid: string) {
      const request = HttpClientRequest.get(`${base}/invoices/${segment(invoiceGuid)}`).pipe(
        HttpClientRequest.setHeader("accept", "application/pdf")
      )
      const response = yield* api.ok(request)
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
      const contentType = response.headers["content-type"] ?? ""
      if (!contentType.startsWith("application/pdf") && !isPdf(bytes)) {
        return yield* failDecode(`expected a PDF, got ${contentType || "no content type"}`)
      }
      return bytes
    })

    const createInvoice = Effect.fn("DineroClient.createInvoice")(function* (invoice: InvoiceInput) {
      const request = yield* withBody(HttpClientRequest.post(`${base}/invoices`), InvoiceInput, invoice)
      return yield* api.json(Created)(request)
    })

    const bookInvoice = Effect.fn("DineroClient.bookInvoice")(function* (
      invoiceGuid: string,
      book: BookInvoiceRequest
    ) {
      const request = yield* withBody(
        HttpClientRequest.post(`${base}/invoices/${segment(invoiceGuid)}/book`),
        BookInvoiceRequest,
        book
      )
      return yield* api.json(Created)(request)
    })

    const listProducts = Effect.fn("DineroClient.listProducts")(function* (params?: ListParams) {
      return yield* api.json(Page(ProductListItem))(
        HttpClientRequest.get(`${base}/products`, { urlParams: listParams(params, "ProductGuid") })
      )
    })

    const getProduct = Effect.fn("DineroClient.getProduct")(function* (productGuid: string) {
      return yield* api.json(Product)(HttpClientRequest.get(`${base}/products/${segment(productGuid)}`))
    })

    const organization: OrganizationApi = {
      organizationId,
      http: api.http,
      accessToken: tokens.get,
      tokens,
      listOrganizations,
      listContacts,
      streamContacts: (params) => streamPages(listContacts, params ?? {}),
      getContact,
      createContact,
      updateContact,
      deleteContact,
      listInvoices,
      streamInvoices: (params) => streamPages(listInvoices, params ?? {}),
      getInvoice,
      getInvoicePdf,
      createInvoice,
      bookInvoice,
      listProducts,
      streamProducts: (params) => streamPages(listProducts, params ?? {}),
      getProduct
    }
    return organization
  })

  const apis = new Map<string, OrganizationApi>()
  for (const credentials of organizations) {
    apis.set(credentials.organizationId, yield* organizationApi(credentials))
  }
  const defaultApi = apis.get(organizations[0].organizationId)!

  return DineroClient.of({
    ...defaultApi,
    organizationIds: organizations.map((o) => o.organizationId),
    organization: (organizationId) => {
      const api = apis.get(organizationId)
      return api === undefined
        ? Effect.fail(configurationError(`organization ${organizationId} is not configured (no API key for it)`))
        : Effect.succeed(api)
    }
  })
})

/** The client as a layer, from explicit options. Needs an `HttpClient` (e.g. `NodeHttpClient.layerUndici`). */
export const layer = (
  options: Options
): Layer.Layer<DineroClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(DineroClient, make(options))

const optionalString = (name: string) => Config.String(name).pipe(Config.option, Config.map(Option.getOrUndefined))

/** The configuration `layerConfig` reads: the fixed `DINERO_*` variables of DESIGN.md. */
export const config: Config.Config<Options> = Config.all({
  clientId: Config.String("DINERO_CLIENT_ID"),
  clientSecret: Config.Redacted("DINERO_CLIENT_SECRET"),
  apiKey: Config.Redacted("DINERO_API_KEY"),
  organizationId: Config.String("DINERO_ORGANIZATION_ID"),
  authUrl: optionalString("DINERO_AUTH_URL"),
  apiUrl: optionalString("DINERO_API_URL")
})

/**
 * The client as a layer, configured from `DINERO_CLIENT_ID`, `DINERO_CLIENT_SECRET`, `DINERO_API_KEY`,
 * `DINERO_ORGANIZATION_ID` and the optional `DINERO_AUTH_URL`, `DINERO_API_URL`. `overrides` set what the
 * environment does not (more organizations, pacing, retry).
 */
export const layerConfig = (
  overrides?: Partial<Omit<Options, "clientId" | "clientSecret" | "organizationId" | "apiKey">>
): Layer.Layer<DineroClient, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(
    DineroClient,
    Effect.flatMap(ClientConfig.load("dinero", config), (loaded) => make({ ...loaded, ...overrides }))
  )
