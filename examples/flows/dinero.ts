/**
 * Dinero in the demo: by default the Dinero test server on loopback — token, organizations; a receipt uploaded and
 * booked as a purchase voucher, a ledger item booked and its asynchronous booking awaited; a contact, an invoice
 * booked with its TimeStamp, its PDF, paid and credited; then pacing shown on a burst. With the DINERO_* variables
 * set, read-only calls (token, organizations, contacts, invoices, products) against the configured host.
 */

import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { TokenStore } from "@nordkit/core"
import { DineroClient, DineroVismaConnect } from "@nordkit/dinero"
import { DineroTestServer } from "@nordkit/dinero/testing"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/** Each test server on its own loopback port (two apps on one HttpServer would both see every request). */
const listen = (server: DineroTestServer.DineroTestServer) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
    return yield* DineroTestServer.listen(server).pipe(Effect.provide(context))
  })

const live = Effect.gen(function* () {
  const dinero = yield* DineroClient.DineroClient
  const token = yield* dinero.accessToken
  yield* Console.log(
    `  token      ${token.tokenType} ${String(token.value)} (organization ${dinero.organizationId}, valid ${Math.round(
      (token.expiresAt - token.issuedAt) / 60_000
    )} min)`
  )
  const organizations = yield* dinero.listOrganizations()
  for (const o of organizations) {
    yield* Console.log(`  org        ${o.Id} ${o.Name}${o.IsPro === false ? " (no Pro: the API will refuse)" : ""}`)
  }
  const contacts = yield* dinero.listContacts({ pageSize: 5, fields: ["Name"] })
  yield* Console.log(
    `  contacts   ${contacts.Pagination.ResultWithoutFilter ?? "?"} in total; first ${contacts.Collection.length}: ${contacts.Collection.map(
      (c) => c.Name
    ).join(", ")}`
  )
  // Dinero answers only Guid, ContactName, Date and Description unless asked for more.
  const invoices = yield* dinero.listInvoices({ pageSize: 5, fields: ["Number", "Status", "TotalInclVat", "Currency"] })
  yield* Console.log(`  invoices   ${invoices.Pagination.ResultWithoutFilter ?? "?"} in total`)
  for (const i of invoices.Collection) {
    yield* Console.log(`             #${i.Number ?? "-"} ${i.Status ?? ""} ${i.TotalInclVat ?? ""} ${i.Currency ?? ""}`)
  }
  const products = yield* dinero.listProducts({ pageSize: 5 })
  yield* Console.log(`  products   ${products.Pagination.ResultWithoutFilter ?? "?"} in total`)
  yield* Console.log(`  requests   4 API calls, ${yield* dinero.tokens.acquisitions} token request(s)`)
}).pipe(Effect.provide(DineroClient.layerConfig()))

const local = Effect.gen(function* () {
  const server = yield* DineroTestServer.make({ ledgerBookingDelayMillis: 600 })
  const url = yield* listen(server)
  const [organization, other] = DineroTestServer.defaultOrganizations
  const client = DineroTestServer.defaultClient
  const dinero = yield* DineroClient.make({
    clientId: client.clientId,
    clientSecret: Redacted.make(client.clientSecret),
    organizationId: organization.organizationId,
    apiKey: Redacted.make(organization.apiKey),
    organizations: [{ organizationId: other.organizationId, apiKey: Redacted.make(other.apiKey) }],
    authUrl: `${url}${DineroTestServer.tokenPath}`,
    apiUrl: url
  })
  yield* Console.log(`  server     Dinero test server on ${url}`)
  const token = yield* dinero.accessToken
  yield* Console.log(
    `  token      ${token.tokenType} ${String(token.value)} (password grant with the API key, valid ${Math.round(
      (token.expiresAt - token.issuedAt) / 60_000
    )} min, no refresh token)`
  )
  const [org] = yield* dinero.listOrganizations()
  yield* Console.log(`  org        ${org.Id} ${org.Name}, Pro: ${org.IsPro}`)

  // Receipts and expenses: a receipt uploaded, a purchase voucher on it, booked.
  const receipt = new Uint8Array([...new TextEncoder().encode("%PDF-1.4\n% kvittering, printerpapir 312,50 kr\n")])
  const file = yield* dinero.uploadFile({ data: receipt, fileName: "kvittering.pdf", contentType: "application/pdf" })
  yield* Console.log(`  receipt    uploaded ${receipt.length} bytes (multipart) -> FileGuid ${file.FileGuid}`)
  const office = (yield* dinero.listPurchaseAccounts()).find((a) => a.Name === "Kontorartikler")!
  const voucher = yield* dinero.createPurchaseVoucher({
    PurchaseType: "cash",
    FileGuid: file.FileGuid,
    DepositAccountNumber: 55000,
    Lines: [{ Amount: "312.50", AccountNumber: office.AccountNumber, Description: "Printerpapir" }]
  })
  const totals = voucher.VoucherTotals?.map((t) => `${t.Label} ${t.Total}`).join(", ")
  yield* Console.log(`  purchase   draft on account ${office.AccountNumber} ${office.Name}: ${totals}`)
  const bookedVoucher = yield* dinero.bookPurchaseVoucher(voucher.Guid, { Timestamp: voucher.Timestamp! })
  yield* Console.log(
    `  purchase   booked: voucher #${bookedVoucher.VoucherNumber}, status ${bookedVoucher.Status}, receipt attached`
  )
  const item = yield* dinero.addLedgerItem({
    FileGuid: file.FileGuid,
    Lines: [{ Description: "Bankgebyr", Amount: "25", AccountNumber: 3600, BalancingAccountNumber: 55000 }]
  })
  yield* dinero.bookLedgerItems([item])
  const [status] = yield* dinero.awaitLedgerItemsBooked([item.Id], {
    schedule: Schedule.spaced("250 millis").pipe(Schedule.upTo({ times: 20 }))
  })
  const polls = (yield* server.apiRequests).filter((r) => r.path.endsWith("/ledgeritems/status")).length
  yield* Console.log(
    `  ledger     item booked asynchronously: ${status!.Status} as voucher #${status!.VoucherNumber} after ${polls} status polls`
  )

  // Sales: contact -> draft -> book with the returned TimeStamp -> PDF -> paid -> credited.
  const contact = yield* dinero.createContact({
    Name: "Fjordhus ApS",
    CountryKey: "DK",
    IsPerson: false,
    Email: "bogholderi@fjordhus.dk",
    VatNumber: "DK12345678"
  })
  yield* Console.log(`  contact    created ${contact.ContactGuid}`)
  const draft = yield* dinero.createInvoice({
    ContactGuid: contact.ContactGuid,
    Description: "Rådgivning, marts",
    ProductLines: [
      { Description: "Konsulenttime", Quantity: 7.5, AccountNumber: 1000, Unit: "hours", BaseAmountValue: "950" },
      { Description: "Licens", Quantity: 1, AccountNumber: 1000, Unit: "parts", BaseAmountValue: "149.5" }
    ]
  })
  const read = yield* dinero.getInvoice(draft.Guid)
  yield* Console.log(
    `  invoice    draft ${draft.Guid}: ${read.TotalInclVat} ${read.Currency} incl. VAT, TimeStamp ${draft.TimeStamp}`
  )
  const fresh = yield* server.touchInvoice(organization.organizationId, draft.Guid)
  const stale = yield* Effect.flip(dinero.bookInvoice(draft.Guid, { Timestamp: draft.TimeStamp! }))
  yield* Console.log(
    `  book       with a stale Timestamp -> ${stale._tag} ${"status" in stale ? stale.status : ""}, Dinero code ${
      stale._tag === "ApiError" ? stale.code : ""
    }`
  )
  const booked = yield* dinero.bookInvoice(draft.Guid, { Timestamp: fresh! })
  yield* Console.log(
    `  book       with the latest Timestamp -> invoice #${booked.Number}, TimeStamp ${booked.TimeStamp}`
  )
  const pdf = yield* dinero.getInvoicePdf(draft.Guid)
  yield* Console.log(`  pdf        ${pdf.length} bytes, starts with ${new TextDecoder().decode(pdf.slice(0, 8))}`)
  const payment = yield* dinero.addInvoicePayment(draft.Guid, {
    Timestamp: booked.TimeStamp!,
    DepositAccountNumber: 55000,
    Description: "Indbetaling",
    Amount: booked.TotalInclVat!
  })
  const paid = yield* dinero.getInvoice(draft.Guid)
  yield* Console.log(`  payment    ${booked.TotalInclVat} registered -> ${paid.PaymentStatus}`)
  const note = yield* dinero.createCreditNoteFromInvoice(draft.Guid, payment.TimeStamp!)
  const credited = yield* dinero.bookCreditNote(note.Guid, { Timestamp: note.TimeStamp! })
  yield* Console.log(`  credit     credit note #${credited.Number} booked for ${credited.TotalInclVat}`)

  const second = yield* dinero.organization(other.organizationId)
  const theirs = yield* Stream.runCollect(second.streamContacts({ pageSize: 2, fields: ["Name"] }))
  yield* Console.log(
    `  org 2      ${other.organizationId}: ${Array.from(theirs).length} contacts streamed page by page, with its own token`
  )

  const tokenRequests = (yield* server.tokenRequests).length
  const apiRequests = (yield* server.apiRequests).length
  yield* Console.log(`  requests   ${apiRequests} API calls, ${tokenRequests} token requests (one per organization)`)

  // Visma Connect: a user grants access (authorization code + PKCE); the same client does the books with it.
  const connect = DineroTestServer.defaultVismaConnectClient
  const flow = yield* DineroVismaConnect.makeCodeFlow({
    authority: url,
    clientId: connect.clientId,
    clientSecret: Redacted.make(connect.clientSecret),
    redirectUri: connect.redirectUris[0]!,
    sessionKey: "demo-user"
  }).pipe(Effect.provide(TokenStore.layerMemory))
  const { url: authorizeUrl, pending } = yield* flow.authorize()
  // The user's browser: Visma Connect (the test server) redirects back with a code and the state.
  const redirect = yield* Effect.promise(() => fetch(authorizeUrl, { redirect: "manual" }))
  yield* flow.handleCallback(redirect.headers.get("location") ?? "", pending)
  const integration = yield* DineroClient.makeWithTokens({
    organizationIds: [organization.organizationId],
    tokens: flow.tokens,
    apiUrl: url
  })
  const granted = yield* integration.listOrganizations()
  const vat = yield* integration.listVatTypes()
  yield* Console.log(
    `  visma      code flow (S256, state once) -> ${granted.length} organizations granted; ${vat.length} VAT types read with it`
  )

  // Pacing, shown at a small scale: a server allowing 10 requests per second, a client paced at 10 per 1.1 s.
  const strict = yield* DineroTestServer.make({ rateLimit: { limit: 10, windowMillis: 1_000 } })
  const strictUrl = yield* listen(strict)
  const paced = yield* DineroClient.make({
    clientId: client.clientId,
    clientSecret: Redacted.make(client.clientSecret),
    organizationId: organization.organizationId,
    apiKey: Redacted.make(organization.apiKey),
    authUrl: `${strictUrl}${DineroTestServer.tokenPath}`,
    apiUrl: strictUrl,
    pacing: { limit: 10, window: "1100 millis" }
  })
  yield* paced.accessToken
  const start = yield* Clock.currentTimeMillis
  yield* Effect.forEach(Array.from({ length: 25 }), () => paced.listProducts(), { concurrency: "unbounded" })
  const elapsed = (yield* Clock.currentTimeMillis) - start
  const limited = (yield* strict.apiRequests).filter((r) => r.status === 429).length
  yield* Console.log(
    `  pacing     25 calls in a burst vs a 10/s quota: ${(elapsed / 1000).toFixed(1)} s, ${limited} answered 429`
  )
})

const configured = Config.all([
  Config.String("DINERO_CLIENT_ID"),
  Config.Redacted("DINERO_CLIENT_SECRET"),
  Config.Redacted("DINERO_API_KEY"),
  Config.String("DINERO_ORGANIZATION_ID")
]).pipe(Config.option)

export const flow: Effect.Effect<void, unknown, HttpClient.HttpClient | Scope.Scope> = Effect.gen(function* () {
  const env = yield* configured
  if (Option.isSome(env)) {
    yield* Console.log("Dinero (live, read-only: DINERO_* variables are set)")
    return yield* live
  }
  yield* Console.log(
    "Dinero (test server; set DINERO_CLIENT_ID, DINERO_CLIENT_SECRET, DINERO_API_KEY, DINERO_ORGANIZATION_ID for the real API)"
  )
  yield* local
})
