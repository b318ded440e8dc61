/**
 * The contract test: every operation the client wraps is run against the test server, and both sides of each
 * exchange are held to the facts extracted from Dinero's published OpenAPI document (`facts.json`, written by
 * `scripts/facts.ts`): the client's request (path, query parameters, body fields, required fields, JSON types)
 * and the test server's answer (the response schema's fields, exactly spelled, required ones present).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpEffect from "effect/http/HttpEffect"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { DineroClient, DineroVismaConnect } from "../../src/index.ts"
import { DineroTestServer } from "../../src/testing.ts"
import { options, org1 } from "../fixtures.ts"
import { facts, type Ref } from "./Facts.ts"
import * as Generated from "./generated/DineroApi.ts"

/** How strictly a value is checked: list items carry only requested fields, named as requested. */
type Mode = "strict" | "projected"

const typeOk = (type: string, value: unknown): boolean => {
  switch (type) {
    case "string":
      return typeof value === "string"
    case "number":
      return typeof value === "number" && Number.isFinite(value)
    case "integer":
      return Number.isInteger(value)
    case "boolean":
      return typeof value === "boolean"
    case "array":
      return Array.isArray(value)
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value)
    default:
      return true
  }
}

/** Problems of `value` against schema `name` (empty when it conforms). */
export const conform = (value: unknown, name: string, mode: Mode = "strict", at = name): Array<string> => {
  const schema = facts.schemas[name]
  if (schema === undefined) return [`${at}: no facts for ${name}`]
  if (schema.enum !== undefined) {
    return typeof value === "string" && schema.enum.includes(value)
      ? []
      : [`${at}: ${JSON.stringify(value)} is not one of ${schema.enum.join(", ")}`]
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${at}: expected an object`]
  const problems: Array<string> = []
  const properties = schema.properties ?? {}
  const names = Object.keys(properties)
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    const spec =
      mode === "strict"
        ? key in properties
          ? key
          : undefined
        : names.find((n) => n.toLowerCase() === key.toLowerCase())
    if (spec === undefined) {
      problems.push(`${at}.${key}: not a field of ${name}`)
      continue
    }
    const fact = properties[spec]!
    if (field === null) {
      if (fact.nullable !== true) problems.push(`${at}.${key}: null, but not nullable`)
      continue
    }
    if (fact.ref !== undefined) problems.push(...conform(field, fact.ref, "strict", `${at}.${key}`))
    else if (!typeOk(fact.type, field))
      problems.push(`${at}.${key}: expected ${fact.type}, got ${JSON.stringify(field)}`)
    else if (fact.type === "array" && fact.items !== undefined) {
      ;(field as Array<unknown>).forEach((item, i) => {
        if (facts.schemas[fact.items!] !== undefined)
          problems.push(...conform(item, fact.items!, "strict", `${at}.${key}[${i}]`))
        else if (!typeOk(fact.items!, item)) problems.push(`${at}.${key}[${i}]: expected ${fact.items}`)
      })
    }
  }
  if (mode === "strict") {
    for (const required of schema.required ?? []) {
      const present = (value as Record<string, unknown>)[required]
      if (present === undefined) problems.push(`${at}.${required}: required by ${name}, missing`)
    }
  }
  return problems
}

/** Problems of a body against a request/response reference. */
export const conformRef = (value: unknown, ref: Ref, mode: Mode = "strict"): Array<string> => {
  if (ref.schema !== undefined) return conform(value, ref.schema, mode)
  if (!Array.isArray(value)) return [`expected an array of ${ref.array}`]
  return value.flatMap((item, i) => conform(item, ref.array!, mode, `${ref.array}[${i}]`))
}

interface Exchange {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly requestType: string
  readonly accept: string
  readonly requestBody: string
  readonly status: number
  readonly responseType: string
  readonly responseBody: string
}

const operationOf = (method: string, path: string): string | undefined => {
  const candidates = Object.keys(facts.operations)
    .filter((key) => {
      const [m, template] = key.split(" ") as [string, string]
      if (m !== method) return false
      const pattern = new RegExp(`^${template.replace(/\./g, "\\.").replace(/\{[^}]+\}/g, "[^/]+")}$`)
      return pattern.test(path)
    })
    // Literal segments win over parameters (`/invoices/fetch` over `/invoices/{guid}`).
    .sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))
  return candidates[0]
}

/** Problems of one exchange: the client's request and the server's answer against the operation's facts. */
export const check = (
  exchange: Exchange
): { readonly operation: string | undefined; readonly problems: Array<string> } => {
  const operation = operationOf(exchange.method, exchange.path)
  if (operation === undefined)
    return { operation, problems: [`${exchange.method} ${exchange.path}: not a wrapped operation`] }
  const fact = facts.operations[operation]!
  const problems: Array<string> = []
  const where = (p: string) => `${operation}: ${p}`
  if (fact.deprecated) problems.push(where("deprecated in the spec"))
  for (const name of exchange.query.keys()) {
    if (!fact.query.includes(name)) problems.push(where(`query parameter ${name} is not in the spec`))
  }
  // The request.
  if (fact.requestType === "application/json") {
    if (!exchange.requestType.startsWith("application/json"))
      problems.push(where(`request sent as ${exchange.requestType}`))
    if (fact.request) {
      try {
        problems.push(...conformRef(JSON.parse(exchange.requestBody), fact.request).map(where))
      } catch {
        problems.push(where("request body is not JSON"))
      }
    }
  } else if (fact.requestType === "multipart/formdata") {
    if (!exchange.requestType.startsWith("multipart/form-data"))
      problems.push(where(`request sent as ${exchange.requestType}`))
  } else if (exchange.requestBody.length > 0) problems.push(where("a body where the spec has none"))
  // The answer.
  if (exchange.status === 200 && fact.response && exchange.responseType.startsWith("application/json")) {
    const body = JSON.parse(exchange.responseBody) as unknown
    const ref = fact.response
    const listSchema = ref.schema?.endsWith("DineroCollection") ? ref.schema : undefined
    // An operation with a `fields` parameter answers only the fields asked for, named as asked, or its defaults.
    const asked = exchange.query.get("fields")?.split(",") ?? fact.defaultFields
    const projection = (items: ReadonlyArray<unknown>, name: string): Array<string> =>
      asked === undefined
        ? []
        : items.flatMap((item, i) =>
            Object.keys(item as object)
              .filter((key) => !asked.includes(key))
              .map((key) => `${name}[${i}].${key}: not asked for (${asked.join(",")})`)
          )
    if (listSchema !== undefined) {
      const { Collection, ...page } = body as { Collection: Array<unknown> }
      problems.push(...conform(page, listSchema, "strict").map(where))
      const item = facts.schemas[listSchema]!.properties!.Collection!.items!
      problems.push(...Collection.flatMap((c, i) => conform(c, item, "projected", `${item}[${i}]`)).map(where))
      problems.push(...projection(Collection, item).map(where))
    } else {
      problems.push(...conformRef(body, ref, fact.query.includes("fields") ? "projected" : "strict").map(where))
      if (fact.query.includes("fields") && Array.isArray(body)) {
        problems.push(...projection(body, ref.array ?? ref.schema ?? "").map(where))
      }
    }
  }
  if (exchange.status === 200 && exchange.accept.includes("octet-stream")) {
    if (!fact.responseTypes.includes("application/octet-stream") && fact.responseTypes.length > 0) {
      problems.push(where("octet-stream asked where the spec has none"))
    }
  }
  return { operation, problems }
}

/**
 * The same exchange read with the schemas `@effect/openapi-generator` made from the spec (an independent reading):
 * request bodies and strict answers must decode, unknown fields refused.
 */
export const checkGenerated = (exchange: Exchange): Array<string> => {
  const operation = operationOf(exchange.method, exchange.path)
  if (operation === undefined) return []
  const fact = facts.operations[operation]!
  const schemaOf = (ref: Ref): Schema.Top | undefined => {
    const name = (ref.schema ?? ref.array)!
    const schema = (Generated as unknown as Record<string, Schema.Top>)[name]
    if (schema === undefined) return undefined
    return ref.array !== undefined ? Schema.Array(schema) : schema
  }
  const decode = (ref: Ref, body: string, side: string): Array<string> => {
    const schema = schemaOf(ref)
    if (schema === undefined) return [`${operation}: no generated schema for ${ref.schema ?? ref.array}`]
    const exit = Schema.decodeUnknownExit(schema as Schema.Codec<unknown, unknown>)(JSON.parse(body), {
      onExcessProperty: "error"
    })
    return exit._tag === "Success"
      ? []
      : [`${operation} (${side}, generated schema): ${String(exit.cause).slice(0, 300)}`]
  }
  const problems: Array<string> = []
  if (fact.requestType === "application/json" && fact.request)
    problems.push(...decode(fact.request, exchange.requestBody, "request"))
  const projected = fact.query.includes("fields") || fact.response?.schema?.endsWith("DineroCollection") === true
  if (exchange.status === 200 && fact.response && exchange.responseType.startsWith("application/json") && !projected) {
    problems.push(...decode(fact.response, exchange.responseBody, "answer"))
  }
  return problems
}

/** The server in memory, every exchange recorded as it crossed the wire. */
const recorded = (server: DineroTestServer.DineroTestServer) =>
  Effect.gen(function* () {
    const exchanges: Array<Exchange> = []
    const context = yield* Effect.context<never>()
    const handler = HttpEffect.toWebHandlerWith<never, HttpServerRequest.HttpServerRequest>(context)(server.app)
    const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init)
      const requestBody = await request.clone().text()
      const response = await handler(request)
      const url = new URL(request.url)
      exchanges.push({
        method: request.method,
        path: url.pathname,
        query: url.searchParams,
        requestType: request.headers.get("content-type") ?? "",
        accept: request.headers.get("accept") ?? "",
        requestBody,
        status: response.status,
        responseType: response.headers.get("content-type") ?? "",
        responseBody: response.headers.get("content-type")?.includes("json") ? await response.clone().text() : ""
      })
      return response
    }) as typeof globalThis.fetch
    const http = yield* Effect.provide(
      Effect.service(HttpClient.HttpClient),
      FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetchImpl)))
    )
    return { exchanges, http }
  })

/** Runs every wrapped operation once (at least) through the client. */
const scenario = (dinero: DineroClient.Service) =>
  Effect.gen(function* () {
    yield* dinero.listOrganizations()
    const contacts = yield* dinero.listContacts()
    yield* dinero.listContacts({
      fields: ["Name", "Email", "SENumber"],
      queryFilter: "Name contains 'kunde';Email contains 'dk'"
    })
    yield* dinero.listContactsV2({ changesSince: new Date(Date.UTC(2020, 0, 1)) })
    const contactGuid = contacts.Collection[0]!.ContactGuid
    yield* dinero.getContact(contactGuid)
    const created = yield* dinero.createContact({
      Name: "Kontrakt ApS",
      CountryKey: "DK",
      IsPerson: false,
      SENumber: "12345678"
    })
    yield* dinero.updateContact(created.ContactGuid, { Name: "Kontrakt A/S", CountryKey: "DK", IsPerson: false })
    yield* dinero.deleteContact(created.ContactGuid)

    const products = yield* dinero.listProducts({ fields: ["ProductNumber", "BaseAmountValue"] })
    yield* dinero.getProduct(products.Collection[0]!.ProductGuid)
    const product = yield* dinero.createProduct({
      Name: "Kørsel",
      BaseAmountValue: "3.79",
      Quantity: 1,
      AccountNumber: 1000,
      Unit: "km"
    })
    yield* dinero.updateProduct(product.ProductGuid, {
      Name: "Kørsel (statens takst)",
      BaseAmountValue: "3.81",
      Quantity: 1,
      AccountNumber: 1000,
      Unit: "km"
    })
    yield* dinero.deleteProduct(product.ProductGuid)

    const lines = [
      { Description: "Konsulenttime", Quantity: 2, AccountNumber: 1000, Unit: "hours", BaseAmountValue: "950" }
    ]
    yield* dinero.invoiceTotals({ ContactGuid: contactGuid, ProductLines: lines })
    const throwaway = yield* dinero.createInvoice({ ContactGuid: contactGuid, ProductLines: lines })
    yield* dinero.deleteInvoice(throwaway.Guid, throwaway.TimeStamp!)
    const draft = yield* dinero.createInvoice({ ContactGuid: contactGuid, ProductLines: lines })
    const updated = yield* dinero.updateInvoice(draft.Guid, {
      Timestamp: draft.TimeStamp!,
      ContactGuid: contactGuid,
      ProductLines: [
        ...lines,
        { Description: "Kørsel", Quantity: 40, AccountNumber: 1000, Unit: "km", BaseAmountValue: "3.79" }
      ]
    })
    const booked = yield* dinero.bookInvoice(draft.Guid, { Timestamp: updated.TimeStamp! })
    yield* dinero.getInvoice(draft.Guid)
    yield* dinero.getInvoicePdf(draft.Guid)
    yield* dinero.listInvoices()
    yield* dinero.listInvoices({ fields: ["Number", "TotalInclVat", "Status"], statusFilter: "Booked" })
    yield* dinero.sendInvoiceEmail(draft.Guid)
    const paid = yield* dinero.addInvoicePayment(draft.Guid, {
      Timestamp: booked.TimeStamp!,
      DepositAccountNumber: 55000,
      Description: "Indbetaling",
      Amount: "100"
    })
    yield* dinero.listInvoicePayments(draft.Guid)
    const afterDelete = yield* dinero.deleteInvoicePayment(draft.Guid, paid.Guid, paid.TimeStamp!)
    const note = yield* dinero.createCreditNoteFromInvoice(draft.Guid, afterDelete.TimeStamp!)
    yield* dinero.getCreditNote(note.Guid)
    yield* dinero.bookCreditNote(note.Guid, { Timestamp: note.TimeStamp! })
    yield* dinero.getCreditNotePdf(note.Guid)

    const file = yield* dinero.uploadFile({
      data: new TextEncoder().encode("%PDF-1.4 kvittering"),
      fileName: "kvittering.pdf",
      contentType: "application/pdf"
    })
    const purchase = yield* dinero.createPurchaseVoucher({
      PurchaseType: "cash",
      FileGuid: file.FileGuid,
      DepositAccountNumber: 55000,
      Lines: [{ Amount: "125", AccountNumber: 3600, Description: "Printerpapir" }]
    })
    yield* dinero.getPurchaseVoucher(purchase.Guid)
    const changed = yield* dinero.updatePurchaseVoucher(purchase.Guid, {
      Timestamp: purchase.Timestamp!,
      PurchaseType: "cash",
      ContactGuid: contactGuid,
      VoucherDate: purchase.VoucherDate!,
      FileGuid: file.FileGuid,
      Lines: [{ Amount: "250", AccountNumber: 3600, Description: "Printerpapir, 2 kasser" }]
    })
    yield* dinero.bookPurchaseVoucher(purchase.Guid, { Timestamp: changed.Timestamp! })
    const spare = yield* dinero.createPurchaseVoucher({ PurchaseType: "cash", Lines: [{ Amount: "10" }] })
    yield* dinero.deletePurchaseVoucher(spare.Guid, spare.Timestamp!)

    const manual = yield* dinero.createManualVoucher({
      Lines: [{ Amount: "500", AccountNumber: 55000, BalancingAccountNumber: 55010, Description: "Overførsel" }]
    })
    yield* dinero.getManualVoucher(manual.Guid)
    const manualUpdated = yield* dinero.updateManualVoucher(manual.Guid, {
      Timestamp: manual.Timestamp!,
      Lines: [{ Amount: "600", AccountNumber: 55000, BalancingAccountNumber: 55010, Description: "Overførsel" }]
    })
    yield* dinero.bookManualVoucher(manual.Guid, { Timestamp: manualUpdated.Timestamp! })
    const manualSpare = yield* dinero.createManualVoucher({})
    yield* dinero.deleteManualVoucher(manualSpare.Guid, manualSpare.Timestamp!)

    const item = yield* dinero.addLedgerItem({
      VoucherDate: "2026-01-15",
      FileGuid: file.FileGuid,
      Lines: [{ Description: "Gebyr", Amount: "25", AccountNumber: 3600, BalancingAccountNumber: 55000 }]
    })
    yield* dinero.bookLedgerItems([item])
    yield* dinero.awaitLedgerItemsBooked([item.Id])

    yield* dinero.listAccountingYears()
    yield* dinero.listEntryAccounts()
    yield* dinero.listEntryAccounts({ fields: ["Name", "VatCode"], categoryFilter: "Turnover" })
    yield* dinero.listPurchaseAccounts()
    yield* dinero.listDepositAccounts()
    yield* dinero.listVatTypes()
    yield* dinero
      .streamEntries({ from: new Date(Date.UTC(2020, 0, 1)), to: new Date(Date.UTC(2030, 0, 1)) })
      .pipe(Stream.runDrain)
    yield* dinero.streamEntryChanges({ since: new Date(Date.now() - 40 * 86_400_000) }).pipe(Stream.runDrain)
  })

const run = Effect.gen(function* () {
  const server = yield* DineroTestServer.make({ ledgerBookingDelayMillis: 0 })
  const { exchanges, http } = yield* recorded(server)
  const dinero = yield* DineroClient.make(options()).pipe(Effect.provideService(HttpClient.HttpClient, http))
  yield* scenario(dinero)
  // Webhooks are for Visma Connect integrations: a client-credentials client for the tenant of org1.
  const connect = DineroTestServer.defaultVismaConnectClient
  const tokens = yield* DineroVismaConnect.makeClientCredentials({
    authority: "http://127.0.0.1",
    clientId: connect.clientId,
    clientSecret: Redacted.make(connect.clientSecret),
    tenantId: "tenant-nordkit"
  }).pipe(Effect.provideService(HttpClient.HttpClient, http))
  const integration = yield* DineroClient.makeWithTokens({
    organizationIds: [org1.organizationId],
    tokens,
    apiUrl: "http://127.0.0.1"
  }).pipe(Effect.provideService(HttpClient.HttpClient, http))
  yield* integration.listWebhookEvents()
  yield* integration.subscribeWebhook({ Uri: "https://app.example/dinero/webhooks", EventId: "invoice.booked" })
  yield* integration.listWebhookSubscriptions()
  yield* integration.unsubscribeWebhook("invoice.booked")
  return exchanges.filter((e) => e.path.startsWith("/v"))
})

describe("contract (Dinero's OpenAPI facts)", () => {
  it.live("every wrapped operation: the client's requests and the test server's answers follow the spec", () =>
    Effect.gen(function* () {
      const exchanges = yield* run
      const failed = exchanges.filter((e) => e.status !== 200)
      assert.deepStrictEqual(
        failed.map((e) => `${e.method} ${e.path} ${e.status} ${e.responseBody}`),
        [],
        "every call of the scenario succeeded"
      )
      const results = exchanges.map(check)
      assert.deepStrictEqual(
        results.flatMap((r) => r.problems),
        []
      )
      assert.deepStrictEqual(exchanges.flatMap(checkGenerated), [], "the generated schemas agree")
      const covered = new Set(results.map((r) => r.operation))
      assert.deepStrictEqual(
        Object.keys(facts.operations).filter((op) => !covered.has(op)),
        [],
        "every wrapped operation was exercised"
      )
      // The casing the issue is about, seen on the wire.
      const book = exchanges.find((e) => e.path.endsWith("/book") && e.path.includes("/invoices/"))!
      assert.deepStrictEqual(Object.keys(JSON.parse(book.requestBody)), ["Timestamp"])
      assert.property(JSON.parse(book.responseBody), "TimeStamp")
      const pdf = exchanges.find((e) => e.accept === "application/octet-stream")
      assert.isDefined(pdf, "the invoice PDF is asked for with Accept: application/octet-stream")
      const contacts = exchanges.find(
        (e) => e.path === `/v1/${org1.organizationId}/contacts` && !e.query.has("fields")
      )!
      assert.deepStrictEqual(Object.keys(JSON.parse(contacts.responseBody).Collection[0]).sort(), [
        "contactGuid",
        "name"
      ])
    })
  )

  it.live("the check fails when a field is renamed, on either side", () =>
    Effect.gen(function* () {
      const exchanges = yield* run
      const rename = (text: string, from: string, to: string) => text.replace(`"${from}"`, `"${to}"`)
      const book = exchanges.find((e) => e.path.endsWith("/book") && e.path.includes("/invoices/"))!
      assert.deepStrictEqual(check(book).problems, [])
      // The answer spelled the request's way: `TimeStamp` -> `Timestamp`.
      const answer = check({ ...book, responseBody: rename(book.responseBody, "TimeStamp", "Timestamp") }).problems
      assert.include(answer.join("\n"), "Timestamp: not a field of InvoiceReadModel")
      // The request spelled the answer's way: `Timestamp` -> `TimeStamp`.
      const request = check({ ...book, requestBody: rename(book.requestBody, "Timestamp", "TimeStamp") }).problems
      assert.include(request.join("\n"), "TimeStamp: not a field of BookModel")
      assert.include(request.join("\n"), "Timestamp: required by BookModel, missing")
      // A contact read with the old `SeNumber`.
      const contact = exchanges.find((e) => e.method === "GET" && /\/contacts\/[^/]+$/.test(e.path))!
      const renamed = check({ ...contact, responseBody: rename(contact.responseBody, "SENumber", "SeNumber") }).problems
      assert.include(renamed.join("\n"), "SeNumber: not a field of ContactReadModel")
      assert.isNotEmpty(
        checkGenerated({ ...book, responseBody: rename(book.responseBody, "TimeStamp", "Timestamp") }),
        "the generated schemas refuse the renamed field too"
      )
      // A list answering a field in another casing than asked for (or Dinero's default `contactGuid`).
      const list = exchanges.find((e) => e.path === `/v1/${org1.organizationId}/contacts` && !e.query.has("fields"))!
      assert.deepStrictEqual(check(list).problems, [])
      const recased = check({ ...list, responseBody: list.responseBody.replaceAll('"contactGuid"', '"ContactGuid"') })
      assert.include(recased.problems.join("\n"), "ContactGuid: not asked for (name,contactGuid)")
      // A deprecated path is a problem too.
      assert.isNotEmpty(check({ ...contact, method: "PUT", path: contact.path.replace("/v1/", "/v9/") }).problems)
    })
  )
})
