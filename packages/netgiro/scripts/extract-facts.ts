/**
 * Extracts the contract facts for Netgíró from its published documentation pages (Netgíró publishes no OpenAPI
 * spec, so the schemas in `src/` are hand-written; this file is what the contract test holds them to).
 *
 * Run from the repository root: `./nk pnpm --filter @nordkit/netgiro run generate`.
 *
 * Reads the V1 pages (`netgiro/`) and the newest pages (`netgiro-latest/`, V2 API and hosted checkout) of the
 * providers' reference folder (path in `reference` below) and writes `test/contract/facts.json`: per operation,
 * the request and response field names, the required request fields and the enums, in a compact form of our own:
 *
 * - V1: the markdown tables under "Request body", "Response body" and "PaymentInfo body", the envelope of the
 *   response page, the result codes.
 * - V2 and hosted checkout: the JSON examples (request after "Request", response after "Response") and the
 *   "Required" column of the field tables, the status tables, the return parameters table.
 * - The V1 callback body, which no page documents: the field names of the official .NET demo client's
 *   `PaymentResponse` / `PaymentInfoData` models, listed below by hand (marked `source: "demo-client"`).
 */
import { readFileSync, writeFileSync } from "node:fs"
import { resolve } from "node:path"

const root = resolve(import.meta.dirname, "../../..")
const pkg = resolve(import.meta.dirname, "..")
const reference = resolve(root, "../shared/reference")
const read = (path: string) => readFileSync(resolve(reference, path), "utf8")

/** Rows of the first markdown table after `heading` (a line containing it). */
const table = (text: string, heading: string): Array<Array<string>> => {
  const lines = text.split("\n")
  const start = lines.findIndex((line) => line.includes(heading))
  if (start < 0) throw new Error(`no "${heading}"`)
  const rows: Array<Array<string>> = []
  let inTable = false
  for (const line of lines.slice(start + 1)) {
    if (line.trim().startsWith("|")) {
      inTable = true
      const cells = line
        .trim()
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim())
      if (cells.every((cell) => /^[-: ]+$/.test(cell))) continue
      rows.push(cells)
    } else if (inTable) break
  }
  // A heading that is itself the header row was not collected; otherwise the first row is the header.
  return lines[start].trim().startsWith("|") ? rows : rows.slice(1)
}

const names = (rows: Array<Array<string>>) => rows.map((row) => row[0].replace(/[*`]/g, "").trim())

const required = (rows: Array<Array<string>>, column: number) =>
  rows.filter((row) => /^yes$/i.test(row[column] ?? "")).map((row) => row[0].replace(/[*`]/g, "").trim())

/** The first ```json block after `heading`, parsed. */
const example = (text: string, heading: string): any => {
  const at = text.indexOf(heading)
  if (at < 0) throw new Error(`no "${heading}"`)
  const block = /```json\n([\s\S]*?)```/.exec(text.slice(at))
  if (block === null) throw new Error(`no json after "${heading}"`)
  return JSON.parse(block[1])
}

const keys = (value: unknown): Array<string> =>
  Array.isArray(value) ? keys(value[0]) : typeof value === "object" && value !== null ? Object.keys(value) : []

// V1 ------------------------------------------------------------------------------------------------------
const v1Op = (page: string) => {
  const text = read(`netgiro/api/checkout/${page}`)
  const request = table(text, "#### Request body")
  const response = names(table(text, "#### Response body"))
  const paymentInfo = response.includes("PaymentInfo") ? names(table(text, "#### PaymentInfo body")) : undefined
  return {
    request: names(request),
    requestRequired: required(request, 1),
    response,
    ...(paymentInfo === undefined ? {} : { paymentInfo })
  }
}

const envelope = names(table(read("netgiro/api/response.md"), "#### Api Response"))
const resultCodes = table(read("netgiro/api/checkout/result-codes.md"), "| Code |")
  .map((row) => Number(row[0]))
  .filter((code) => Number.isInteger(code))
const statusIds = [
  ...read("netgiro/api/checkout/check-cart.md").matchAll(/(\d) - (unconfirmed|confirmed|canceled)/g)
].map((m) => Number(m[1]))
const confirmationTypes = [
  ...read("netgiro/api/checkout/insert-cart.md").matchAll(/`(\d) - (automatic|server callback|manual)`/g)
].map((m) => Number(m[1]))

// V2 ------------------------------------------------------------------------------------------------------
const v2Page = (path: string, options: { request?: boolean; responseHeading?: string } = {}) => {
  const text = read(`netgiro-latest/${path}`)
  const fields = text.includes("| Field | Type | Required |") ? table(text, "| Field | Type | Required |") : []
  const request = options.request ? keys(example(text, "## Request")) : undefined
  return {
    ...(request === undefined ? {} : { request, requestRequired: required(fields, 2) }),
    response: keys(example(text, options.responseHeading ?? "## Response"))
  }
}

const statusValues = table(read("netgiro-latest/api/checkout/status.md"), "| Status | Meaning |").map((row) =>
  row[0].replace(/`/g, "")
)
const detailStatuses = [
  ...(
    table(read("netgiro-latest/transaction/details.md"), "| Field | Description |").find(
      (row) => row[0] === "Status"
    )?.[1] ?? ""
  ).matchAll(/`([a-z]+)`/g)
].map((m) => m[1])

const callbacks = read("netgiro-latest/api/reference/callbacks.md")
const confirmation = read("netgiro-latest/hosted-checkout/payment-confirmation.md")
const createCheckout = read("netgiro-latest/hosted-checkout/create-checkout.md")
const createFields = table(createCheckout, "| Field | Type | Required |")

const hosts = {
  v1: {
    test: /Testing url[^\n]*?\*\*(https:\/\/[^*]+)\/Checkout\*\*/.exec(read("netgiro/api/checkout/checkout.md"))?.[1],
    production: /Production url: \*\*(https:\/\/[^*]+)\/Checkout\*\*/.exec(
      read("netgiro/api/checkout/checkout.md")
    )?.[1]
  },
  partner: [...read("netgiro/api/Refund/refund.md").matchAll(/\[(https:\/\/[^\]]+)\]\(https/g)].map((m) => m[1]),
  v2: /\*\*Base URL:\*\* `([^`]+)`/.exec(read("netgiro-latest/api/index.md"))?.[1],
  hosted: table(createCheckout, "| Environment | URL |").map((row) => row[1].replace(/`/g, ""))
}

const facts = {
  generatedFrom: "netgiro/ (V1 pages) and netgiro-latest/ (V2, hosted checkout) of the reference folder",
  v1: {
    envelope,
    resultCodes,
    statusIds,
    confirmationTypes,
    operations: {
      InsertCart: v1Op("insert-cart.md"),
      CheckCart: v1Op("check-cart.md"),
      ConfirmCart: v1Op("confirm-cart.md"),
      CancelCart: v1Op("cancel-cart.md")
    },
    callback: {
      source: "demo-client",
      body: ["PaymentSuccessful", "PaymentInfo", "Success", "Message", "ResultCode"],
      paymentInfo: [
        "TransactionId",
        "InvoiceNumber",
        "ReferenceNumber",
        "StatusId",
        "Created",
        "TotalAmount",
        "DiscountAmount",
        "ShippingAmount",
        "HandlingAmount",
        "AccountNumber",
        "NumberOfInstallments",
        "ClientIdentityConfirmed",
        "LocationId",
        "RegisterId"
      ],
      headers: ["netgiro_appkey", "netgiro_nonce", "netgiro_signature"]
    }
  },
  v2: {
    apiKeyHeader: /`(X-Netgiro-Api-Key)`/.exec(read("netgiro-latest/authentication.md"))?.[1],
    statusValues,
    detailStatuses,
    operations: {
      payment: v2Page("checkout/payment.md", { request: true, responseHeading: "## Responses" }),
      status: v2Page("api/checkout/status.md"),
      capture: v2Page("transaction/capture.md", { request: true }),
      cancel: v2Page("api/transaction/cancel.md", { request: true }),
      refund: v2Page("api/transaction/refund.md", { request: true }),
      details: v2Page("transaction/details.md"),
      settlementList: v2Page("settlement/list.md"),
      settlementItems: v2Page("api/settlement/items.md"),
      validationError: {
        response: keys(example(read("netgiro-latest/api/reference/validation-errors.md"), "## Response format"))
      }
    },
    settlementListQuery: names(table(read("netgiro-latest/settlement/list.md"), "| Parameter | Type |")),
    callback: {
      header: "X-Netgiro-Signature",
      confirm: keys(example(callbacks, "## Confirm callback\n\nSent")),
      cancel: keys(example(callbacks, "## Cancel callback"))
    }
  },
  hosted: {
    create: {
      request: keys(example(createCheckout, "## Request")),
      requestRequired: required(createFields, 2),
      response: keys(example(createCheckout, "### Success (HTTP 200)")),
      // The newest payment-confirmation page names callback fields of the checkout request that the create page's
      // table leaves out (`CallbackCancelUrl`).
      callbackFields: [
        ...(
          /When ((?:`\w+`(?: or )?)+) is provided in the checkout payment request/.exec(confirmation)?.[1] ?? ""
        ).matchAll(/`(\w+)`/g)
      ].map((m) => m[1])
    },
    returnParameters: names(table(confirmation, "| Parameter | Description |"))
  },
  hosts
}

writeFileSync(resolve(pkg, "test/contract/facts.json"), `${JSON.stringify(facts, null, 2)}\n`)
console.log("wrote test/contract/facts.json")
