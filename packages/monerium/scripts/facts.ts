/**
 * Extracts the facts the contract test needs from Monerium's published OpenAPI document into
 * `test/contract/facts.json`: for every operation this package wraps, the request body / form / query shapes and
 * every documented response status (errors included) with its body shape — structure only (types, properties, required, enums,
 * patterns, short examples), no prose. `$ref`s are resolved, `allOf` merged, a `oneOf` of string enums merged into
 * one enum, other `oneOf`s kept as variants.
 *
 *   pnpm --filter @nordkit/monerium run facts      (reads the published spec, path in `source` below)
 */
import { readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Yaml from "effect/encoding/Yaml"

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, "..", "..", "..")
const source = join(root, "..", "shared", "reference", "monerium", "openapi.yml")
const target = join(here, "..", "test", "contract", "facts.json")

/** The operations the client wraps (method and path template as the spec writes them). */
export const wrapped = [
  "GET /auth/context",
  "POST /auth/token",
  "GET /profiles",
  "POST /profiles",
  "GET /profiles/{profile}",
  "GET /addresses",
  "POST /addresses",
  "GET /addresses/{address}",
  "GET /balances/{chain}/{address}",
  "GET /ibans",
  "POST /ibans",
  "GET /ibans/{iban}",
  "PATCH /ibans/{iban}",
  "GET /orders",
  "POST /orders",
  "GET /orders/{orderId}",
  "POST /files",
  "GET /tokens",
  "GET /signatures",
  "GET /webhooks",
  "POST /webhooks",
  "PATCH /webhooks/{subscription}"
] as const

export interface Shape {
  type?: string
  properties?: Record<string, Shape>
  required?: Array<string>
  items?: Shape
  enum?: Array<string>
  pattern?: string
  minLength?: number
  maxLength?: number
  example?: string | number | boolean
  oneOf?: Array<Shape>
}

type Node = Record<string, any>
const spec = Yaml.parse(readFileSync(source, "utf8")) as Node

const resolve = (node: Node): Node => {
  let current = node
  const seen = new Set<string>()
  while (typeof current?.$ref === "string") {
    const ref: string = current.$ref
    if (seen.has(ref)) throw new Error(`cyclic ${ref}`)
    seen.add(ref)
    const { $ref: _, ...siblings } = current
    const target = ref
      .replace(/^#\//, "")
      .split("/")
      .reduce((acc: Node, key) => acc[key], spec)
    current = { ...target, ...siblings }
  }
  return current
}

const merge = (a: Shape, b: Shape): Shape => ({
  ...a,
  ...b,
  ...(a.properties || b.properties ? { properties: { ...a.properties, ...b.properties } } : {}),
  ...(a.required || b.required ? { required: [...new Set([...(a.required ?? []), ...(b.required ?? [])])] } : {}),
  ...(a.enum || b.enum ? { enum: b.enum ?? a.enum } : {})
})

const shapeOf = (raw: Node, depth = 0): Shape => {
  if (depth > 20) throw new Error("schema too deep")
  const node = resolve(raw)
  let shape: Shape = {}
  if (Array.isArray(node.allOf)) {
    for (const part of node.allOf) shape = merge(shape, shapeOf(part, depth + 1))
  }
  if (Array.isArray(node.oneOf)) {
    const variants = node.oneOf.map((v: Node) => shapeOf(v, depth + 1))
    if (variants.every((v: Shape) => v.type === "string" && (v.enum !== undefined || v.pattern !== undefined))) {
      // e.g. Chain (one enum value per variant) or the signature kinds: any variant's value is accepted.
      const enums = variants.flatMap((v: Shape) => v.enum ?? [])
      shape = merge(
        shape,
        variants.some((v: Shape) => v.enum === undefined) ? { type: "string" } : { type: "string", enum: enums }
      )
    } else if (variants.every((v: Shape) => v.type === "string")) {
      shape = merge(shape, { type: "string" })
    } else {
      shape = { ...shape, oneOf: variants }
    }
  }
  const type = typeof node.type === "string" ? node.type : node.properties ? "object" : undefined
  if (type !== undefined) shape.type = type
  if (node.properties) {
    shape.properties = { ...shape.properties }
    for (const [key, value] of Object.entries(node.properties)) {
      shape.properties[key] = shapeOf(value as Node, depth + 1)
    }
  }
  if (Array.isArray(node.required)) shape.required = [...new Set([...(shape.required ?? []), ...node.required])]
  if (node.items) shape.items = shapeOf(node.items, depth + 1)
  if (Array.isArray(node.enum)) shape.enum = node.enum.map(String)
  if (shape.type === undefined && shape.enum !== undefined) shape.type = "string"
  if (typeof node.pattern === "string") shape.pattern = node.pattern
  if (typeof node.minLength === "number") shape.minLength = node.minLength
  if (typeof node.maxLength === "number") shape.maxLength = node.maxLength
  const example = node.example
  if (["string", "number", "boolean"].includes(typeof example) && String(example).length <= 80) shape.example = example
  return shape
}

const contentShape = (content: Node | undefined, media: string) => {
  const schema = content?.[media]?.schema
  return schema === undefined ? undefined : shapeOf(schema)
}

const operations: Record<string, unknown> = {}
for (const key of wrapped) {
  const [method, path] = key.split(" ")
  const operation = resolve(spec.paths[path][method.toLowerCase()])
  const query: Record<string, Shape> = {}
  for (const raw of operation.parameters ?? []) {
    const parameter = resolve(raw)
    if (parameter.in === "query") query[parameter.name] = shapeOf(parameter.schema ?? {})
  }
  const responses: Record<string, Shape | null> = {}
  for (const [status, raw] of Object.entries(operation.responses ?? {})) {
    responses[status] = contentShape(resolve(raw as Node).content, "application/json") ?? null
  }
  const body = operation.requestBody === undefined ? undefined : resolve(operation.requestBody).content
  operations[key] = {
    operationId: operation.operationId,
    query,
    ...(body?.["application/json"] ? { json: contentShape(body, "application/json") } : {}),
    ...(body?.["application/x-www-form-urlencoded"]
      ? { form: contentShape(body, "application/x-www-form-urlencoded") }
      : {}),
    ...(body?.["multipart/form-data"] ? { multipart: contentShape(body, "multipart/form-data") } : {}),
    responses
  }
}

/** The webhook events Monerium sends (the spec's `webhooks` section): event type -> body shape. */
const webhooks: Record<string, Shape> = {}
for (const [type, item] of Object.entries(spec.webhooks ?? {})) {
  const schema = resolve((item as Node).post?.requestBody ?? {}).content?.["application/json"]?.schema
  if (schema !== undefined) webhooks[type] = shapeOf(schema)
}

const facts = { source: "Monerium API v2 OpenAPI (openapi.yml)", version: spec.info?.version, operations, webhooks }
// Written only when run as the script (generate.ts imports `wrapped` from here).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(target, `${JSON.stringify(facts, null, 2)}\n`)
  console.log(`wrote ${Object.keys(operations).length} operations to ${target}`)
}
