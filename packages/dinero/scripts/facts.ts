/**
 * Extracts the facts the contract test needs from Dinero's published OpenAPI document (read from the shared
 * reference folder, outside this repository) into `test/contract/facts.json`: for each operation this package
 * wraps, its query parameters, request and response schema names and media types; for each schema reachable from
 * them, its required properties and each property's JSON type, nullability, reference and enum.
 *
 * Run from the repository root: `./nk node packages/dinero/scripts/facts.ts` (or `pnpm run facts` in the package).
 */
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const specPath = join(here, "../../../../shared/reference/dinero/openapi.json")
const outPath = join(here, "../test/contract/facts.json")

/** The operations the client wraps, as `METHOD path` exactly as the spec writes them. */
export const wrapped = [
  "GET /v1/organizations",
  "GET /v1/{organizationId}/contacts",
  "GET /v2/{organizationId}/contacts",
  "GET /v1/{organizationId}/contacts/{guid}",
  "POST /v1/{organizationId}/contacts",
  "PUT /v2/{organizationId}/contacts/{guid}",
  "DELETE /v1/{organizationId}/contacts/{guid}",
  "GET /v1/{organizationId}/products",
  "GET /v1/{organizationId}/products/{guid}",
  "POST /v1/{organizationId}/products",
  "PUT /v1/{organizationId}/products/{guid}",
  "DELETE /v1/{organizationId}/products/{guid}",
  "GET /v1/{organizationId}/invoices",
  "POST /v1/{organizationId}/invoices",
  "GET /v1/{organizationId}/invoices/{guid}",
  "PUT /v1.2/{organizationId}/invoices/{guid}",
  "DELETE /v1/{organizationId}/invoices/{guid}",
  "POST /v1/{organizationId}/invoices/{guid}/book",
  "POST /v1/{organizationId}/invoices/fetch",
  "POST /v1/{organizationId}/invoices/{guid}/payments",
  "GET /v2/{organizationId}/invoices/{guid}/payments",
  "DELETE /v1/{organizationId}/invoices/{guid}/payments/{paymentGuid}",
  "POST /v1/{organizationId}/invoices/{guid}/email",
  "POST /v1/{organizationId}/invoices/{guid}/generate-creditnote",
  "GET /v1/{organizationId}/sales/creditnotes/{guid}",
  "POST /v1/{organizationId}/sales/creditnotes/{guid}/book",
  "GET /v1/{organizationId}/sales/creditnotes/{guid}/pdf",
  "POST /v1/{organizationId}/files",
  "POST /v1.2/{organizationId}/vouchers/purchase",
  "GET /v1/{organizationId}/vouchers/purchase/{guid}",
  "PUT /v1.1/{organizationId}/vouchers/purchase/{guid}",
  "DELETE /v1/{organizationId}/vouchers/purchase/{guid}",
  "POST /v1/{organizationId}/vouchers/purchase/{guid}/book",
  "POST /v1/{organizationId}/vouchers/manuel",
  "GET /v1/{organizationId}/vouchers/manuel/{guid}",
  "PUT /v1/{organizationId}/vouchers/manuel/{guid}",
  "DELETE /v1/{organizationId}/vouchers/manuel/{guid}",
  "POST /v1/{organizationId}/vouchers/manuel/{guid}/book",
  "POST /v1.2/{organizationId}/ledgeritems",
  "POST /v1/{organizationId}/ledgeritems/book",
  "POST /v1/{organizationId}/ledgeritems/status",
  "GET /v1/{organizationId}/accountingyears",
  "GET /v1/{organizationId}/accounts/entry",
  "GET /v1/{organizationId}/accounts/purchase",
  "GET /v1/{organizationId}/accounts/deposit",
  "GET /v1/{organizationId}/vatTypes",
  "GET /v1/{organizationId}/entries",
  "GET /v1/{organizationId}/entries/changes",
  "POST /v1/{organizationId}/webhooks/subscribe",
  "DELETE /v1/{organizationId}/webhooks/unsubscribe",
  "GET /v1/{organizationId}/webhooks/subscriptions",
  "GET /v1/{organizationId}/webhooks/events"
] as const

type Json = any

interface Ref {
  readonly schema?: string
  readonly array?: string
}
interface PropertyFact {
  readonly type: string
  readonly nullable?: true
  readonly ref?: string
  readonly items?: string
  readonly enum?: ReadonlyArray<string>
}

const spec: Json = JSON.parse(readFileSync(specPath, "utf8"))
const schemas: Json = spec.components.schemas
const refName = (s: Json): string | undefined => (typeof s?.$ref === "string" ? s.$ref.split("/").at(-1) : undefined)

const wanted = new Set<string>()
const refOf = (s: Json): Ref | undefined => {
  if (s === undefined) return undefined
  const name = refName(s)
  if (name !== undefined) {
    wanted.add(name)
    return { schema: name }
  }
  const items = refName(s.items)
  if (items !== undefined) {
    wanted.add(items)
    return { array: items }
  }
  return undefined
}

const operations: Record<string, Json> = {}
for (const key of wrapped) {
  const [method, path] = key.split(" ") as [string, string]
  const op = spec.paths[path]?.[method.toLowerCase()]
  if (op === undefined) throw new Error(`${key} is not in the spec`)
  const body = op.requestBody?.content ?? {}
  const bodyType = Object.keys(body)[0]
  const ok = op.responses?.["200"]?.content ?? {}
  const fields = (op.parameters ?? []).find((p: Json) => p.in === "query" && p.name === "fields")
  operations[key] = {
    deprecated: op.deprecated === true,
    query: (op.parameters ?? []).filter((p: Json) => p.in === "query").map((p: Json) => p.name),
    // What Dinero answers without `fields` (the parameter's default, spelled as the spec spells it).
    ...(typeof fields?.schema?.default === "string" ? { defaultFields: fields.schema.default.split(",") } : {}),
    ...(bodyType === undefined ? {} : { requestType: bodyType, request: refOf(body[bodyType].schema) ?? null }),
    responseTypes: Object.keys(ok),
    response: refOf(ok["application/json"]?.schema) ?? null
  }
}

const typeOf = (s: Json): { type: string; nullable: boolean } => {
  const t = s.type
  if (Array.isArray(t)) {
    const rest = t.filter((x: string) => x !== "null")
    return { type: rest[0] ?? "unknown", nullable: t.includes("null") }
  }
  if (t !== undefined) return { type: t, nullable: s.nullable === true }
  if (refName(s) !== undefined) return { type: "ref", nullable: false }
  return { type: "unknown", nullable: false }
}

const facts: Record<string, Json> = {}
const visit = (name: string) => {
  if (facts[name] !== undefined) return
  const s = schemas[name]
  if (s.enum !== undefined) {
    facts[name] = { enum: s.enum }
    return
  }
  facts[name] = { required: [...(s.required ?? [])].sort(), properties: {} }
  for (const [property, p] of Object.entries<Json>(s.properties ?? {})) {
    const { type, nullable } = typeOf(p)
    const fact: Record<string, unknown> = { type }
    if (nullable) fact.nullable = true
    const ref = refName(p)
    if (ref !== undefined) {
      fact.ref = ref
      visit(ref)
    }
    const items = refName(p.items)
    if (items !== undefined) {
      fact.items = items
      visit(items)
    } else if (p.items?.type !== undefined) fact.items = typeOf(p.items).type
    if (Array.isArray(p.enum)) fact.enum = p.enum
    facts[name].properties[property] = fact as unknown as PropertyFact
  }
}
for (const name of [...wanted].sort()) visit(name)

writeFileSync(
  outPath,
  `${JSON.stringify({ source: "Dinero OpenAPI v1 (openapi.json)", operations, schemas: facts }, null, 1)}\n`
)
// In the repository's format, so that regenerating an unchanged spec changes nothing.
execFileSync(join(here, "../../../node_modules/.bin/biome"), ["format", "--write", outPath], { stdio: "ignore" })
console.log(`${Object.keys(operations).length} operations, ${Object.keys(facts).length} schemas -> ${outPath}`)
