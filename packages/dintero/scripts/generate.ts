/**
 * Generates Dintero's wire layer and the contract facts from Dintero's published OpenAPI.
 *
 * Run from the repository root: `./nk pnpm --filter @nordkit/dintero run generate`.
 *
 * 1. Reads the 2024 Swagger spec and the 2026 OpenAPI typings of the providers' reference folder (path in `reference`
 *    below). Where they differ the 2026 typings win, patched into the spec: properties they add to a definition (at
 *    any depth of its inline objects) or to an operation's inline body (including the properties of a schema the
 *    body is written as `Schema & { ... }`); properties whose type changed kind or enum values; an operation's new
 *    query parameters and enum values. Swagger 2 polymorphic subtypes are folded into their base (their fields
 *    optional), since the generator keeps only the base.
 * 2. Keeps only the operations nordkit wraps (and the definitions they reach), strips prose and regex `pattern`s
 *    (the generator cannot revive them), and hands the spec plus that JSON patch to `@effect/openapi-generator`
 *    (isolated install in `tools/openapi-generator`).
 * 3. Rewrites the output's `effect/unstable/http/*` imports to effect 4.1's `effect/http/*`, opens enums (a new
 *    value decodes as its string), marks schema constants pure, and writes `src/generated/DinteroApi.ts`.
 * 4. Writes `test/contract/facts.json`: for each wrapped operation, the query parameter names and the request
 *    body's and response's field names, required fields and enums (two levels deep, array items included), shared
 *    shapes stored once — a compact form of our own.
 */
import { execFileSync } from "node:child_process"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join, resolve } from "node:path"
import * as OpenApi from "../../../scripts/openapi.ts"

const root = OpenApi.root
const pkg = resolve(import.meta.dirname, "..")
const reference = resolve(root, "../shared/reference/dintero")

OpenApi.ensureGenerator()
const YAML = createRequire(join(OpenApi.tool, "package.json"))("yaml") as { parse: (text: string) => any }

const specPath = join(reference, "spec-payments-2024-09.yaml")
const spec = YAML.parse(readFileSync(specPath, "utf8"))
const typings = readFileSync(join(reference, "payments.d.ts"), "utf8").split("\n")

/** Operations nordkit wraps: spec path, method, and the client operation name. */
const wrapped: ReadonlyArray<readonly [string, string, string]> = [
  ["/sessions-profile", "post", "createSession"],
  ["/sessions/{session_id}", "get", "getSession"],
  ["/sessions/{session_id}", "put", "updateSession"],
  ["/sessions/{session_id}/cancel", "post", "cancelSession"],
  ["/sessions/payment-token", "post", "createPaymentTokenSession"],
  ["/sessions/pay", "post", "payWithToken"],
  ["/transactions", "get", "listTransactions"],
  ["/transactions/{id}", "get", "getTransaction"],
  ["/transactions/{id}", "put", "updateTransaction"],
  ["/transactions/{id}/capture", "post", "captureTransaction"],
  ["/transactions/{id}/refund", "post", "refundTransaction"],
  ["/transactions/{id}/void", "post", "voidTransaction"],
  ["/transactions/{id}/authorization", "post", "extendAuthorization"],
  ["/accounts/{aid}/settlements", "get", "listSettlements"],
  ["/accounts/{aid}/reports/metadata", "get", "listReports"],
  ["/examples/session_url_callback", "get", "callback"],
  ["/examples/session_url_callback", "post", "callback"]
]

type Op = { op: "remove"; path: string } | { op: "add"; path: string; value: unknown }
const patch: Array<Op> = []
const pointer = (...keys: ReadonlyArray<string | number>) =>
  keys.map((k) => `/${String(k).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("")

// --- 1. the 2026 typings win: properties they add to a definition -----------------------------------------------

/** `components.schemas` of the typings: schema name -> property name -> TypeScript type text (first line). */
const typedSchemas = (() => {
  const out = new Map<string, Map<string, string>>()
  const start = typings.indexOf("    schemas: {")
  const end = typings.indexOf("    responses: {")
  let current: Map<string, string> | undefined
  for (const line of typings.slice(start + 1, end)) {
    const schema = /^ {8}"?([\w.-]+)"?: (.*)$/.exec(line)
    if (schema !== null) {
      current = new Map()
      out.set(schema[1], current)
      continue
    }
    const property = /^ {12}"?([\w.@-]+)"?\??: (.*)$/.exec(line)
    if (property !== null && current !== undefined) current.set(property[1], property[2])
    // a string map written over lines (`metadata?: {` / `[key: string]: string;`)
    if (/^ {16}\[key: string\]: string;$/.test(line) && current !== undefined) {
      const last = [...current].at(-1)
      if (last !== undefined && last[1] === "{") current.set(last[0], "Record<string, string>")
    }
  }
  return out
})()

/** A JSON schema for a TypeScript type of one line; anything richer is left open (`{}`), never dropped. */
const schemaOfType = (type: string): unknown => {
  const t = type.replace(/;$/, "").trim()
  if (t === "string") return { type: "string" }
  if (t === "number") return { type: "number" }
  if (t === "boolean") return { type: "boolean" }
  if (t === "string[]") return { type: "array", items: { type: "string" } }
  if (t === "Record<string, string>") return { type: "object", additionalProperties: { type: "string" } }
  const literalArray = /^\(?((?:"[^"]*"(?: \| )?)+)\)?\[\]$/.exec(t)
  if (literalArray !== null) {
    return {
      type: "array",
      items: { type: "string", enum: [...literalArray[1]!.matchAll(/"([^"]*)"/g)].map((m) => m[1]) }
    }
  }
  if (/^("[^"]*"( \| )?)+$/.test(t)) return { type: "string", enum: [...t.matchAll(/"([^"]*)"/g)].map((m) => m[1]) }
  const ref = /^components\["schemas"\]\["([\w.-]+)"\]$/.exec(t)
  if (ref !== null && spec.definitions[ref[1]] !== undefined) return { $ref: `#/definitions/${ref[1]}` }
  return {}
}

const ownProperties = (schema: any): Set<string> => {
  const out = new Set<string>(Object.keys(schema?.properties ?? {}))
  for (const part of schema?.allOf ?? []) {
    if (part.$ref !== undefined) {
      for (const p of ownProperties(spec.definitions[part.$ref.split("/").pop()])) out.add(p)
    } else {
      for (const p of ownProperties(part)) out.add(p)
    }
  }
  return out
}

/** The spec's inline object schema holding the properties of `schema` (itself, or a local allOf part). */
const localObject = (schema: any): any => {
  if (schema === undefined || schema.$ref !== undefined) return undefined
  if (schema.type === "array") return localObject(schema.items)
  if (schema.properties !== undefined) return schema
  return (schema.allOf ?? []).find((part: any) => part.$ref === undefined && part.properties !== undefined)
}
const propertyOf = (schema: any, name: string): any => {
  if (schema === undefined || schema.$ref !== undefined) return undefined
  if (schema.type === "array") return propertyOf(schema.items, name)
  if (schema.properties?.[name] !== undefined) return schema.properties[name]
  for (const part of schema.allOf ?? []) {
    const found = part.$ref === undefined ? propertyOf(part, name) : undefined
    if (found !== undefined) return found
  }
  return undefined
}

/**
 * A property both describe, whose typings' type is of another kind (e.g. 2024's single `error.type` string, 2026's
 * array of values) or lists other enum values: the typings' schema replaces the spec's. Integer vs number and
 * formats are not differences; a type the typings spell as a reference or an object is left as the spec has it.
 */
const reconcile = (existing: any, type: string): string | undefined => {
  const newer: any = schemaOfType(type)
  if (existing === undefined || existing.$ref !== undefined || newer.type === undefined) return undefined
  if (existing.type === undefined || existing.type === "object" || newer.type === "object") return undefined
  const kind = (t: string) => (t === "integer" ? "number" : t)
  const enumOf = (schema: any): ReadonlyArray<string> | undefined => schema.enum ?? schema.items?.enum
  const sameKind =
    kind(existing.type) === kind(newer.type) &&
    (existing.type !== "array" || kind(existing.items?.type ?? "") === kind(newer.items?.type ?? ""))
  const before = enumOf(existing)
  const after = enumOf(newer)
  const sameEnum =
    after === undefined ||
    (before !== undefined && before.length === after.length && after.every((v) => before.includes(v)))
  if (sameKind && sameEnum) return undefined
  for (const key of Object.keys(existing)) delete existing[key]
  Object.assign(existing, newer)
  return sameKind ? "values" : "type"
}
const newer: Record<string, Array<string>> = {}
for (const [name, definition] of Object.entries<any>(spec.definitions)) {
  const typed = typedSchemas.get(name)
  if (typed === undefined || typed.size === 0) continue
  const known = ownProperties(definition)
  for (const [property, type] of typed) {
    if (known.has(property)) {
      const changed = reconcile(propertyOf(definition, property), type)
      if (changed !== undefined) newer[name] = [...(newer[name] ?? []), `${property} (${changed})`]
      continue
    }
    // Only plain objects can take the property directly; for an allOf, add it to a local part (or a new one).
    if (definition.properties !== undefined) {
      definition.properties[property] = schemaOfType(type)
    } else if (Array.isArray(definition.allOf)) {
      const local = definition.allOf.find((part: any) => part.$ref === undefined && part.properties !== undefined)
      if (local !== undefined) local.properties[property] = schemaOfType(type)
      else definition.allOf.push({ type: "object", properties: { [property]: schemaOfType(type) } })
    } else {
      continue
    }
    newer[name] = [...(newer[name] ?? []), property]
  }
}
// Properties the typings add inside a definition's inline objects (e.g. `express.discount_codes`,
// `dintero_psp.generate_payment_token_config`): each nested property line is found by its path, then added to the
// spec's inline object at that path (a `$ref` on the way is merged under its own name above).
const nestedTyped = (() => {
  const out = new Map<string, Array<{ path: Array<string>; type: string }>>()
  const start = typings.indexOf("    schemas: {")
  const end = typings.indexOf("    responses: {")
  let current: Array<{ path: Array<string>; type: string }> | undefined
  let stack: Array<{ indent: number; name: string }> = []
  for (const line of typings.slice(start + 1, end)) {
    const schema = /^ {8}"?([\w.-]+)"?: (.*)$/.exec(line)
    if (schema !== null) {
      current = []
      stack = []
      out.set(schema[1]!, current)
      continue
    }
    const property = /^( {12,})"?([\w.@-]+)"?\??: (.*)$/.exec(line)
    if (property === null || current === undefined) continue
    const indent = property[1]!.length
    while (stack.length > 0 && stack.at(-1)!.indent >= indent) stack.pop()
    const type = property[3]!
    if (stack.length > 0) current.push({ path: [...stack.map((s) => s.name), property[2]!], type })
    if (type.endsWith("{")) stack.push({ indent, name: property[2]! })
  }
  return out
})()
for (const [name, definition] of Object.entries<any>(spec.definitions)) {
  for (const { path, type } of nestedTyped.get(name) ?? []) {
    let parent: any = definition
    for (const segment of path.slice(0, -1)) parent = parent === undefined ? undefined : propertyOf(parent, segment)
    const target = localObject(parent)
    const property = path.at(-1)!
    if (target === undefined) continue
    if (propertyOf(parent, property) !== undefined) {
      const changed = reconcile(propertyOf(parent, property), type)
      if (changed !== undefined) newer[name] = [...(newer[name] ?? []), `${path.join(".")} (${changed})`]
      continue
    }
    target.properties[property] = schemaOfType(type)
    newer[name] = [...(newer[name] ?? []), path.join(".")]
  }
}
// Request bodies written inline in an operation: the typings' top-level body properties win too.
const operationBodyTypes = (operationId: string): Map<string, string> => {
  const out = new Map<string, string>()
  const start = typings.indexOf(`    ${operationId}: {`)
  if (start < 0) return out
  let inBody = false
  for (const line of typings.slice(start + 1)) {
    if (/^ {4}\S/.test(line)) break
    if (/^ {8}requestBody\??: \{/.test(line)) inBody = true
    else if (/^ {8}\S/.test(line)) inBody = false
    const property = inBody ? /^ {20}"?([\w.@-]+)"?\??: (.*)$/.exec(line) : null
    if (property !== null) out.set(property[1], property[2])
    // `"application/json": components["schemas"]["StringMetadata"] & {`: the named schema's properties are the body's
    const base = inBody ? /^ {16}"application\/json": components\["schemas"\]\["([\w.-]+)"\] & \{$/.exec(line) : null
    if (base !== null) for (const [name, type] of typedSchemas.get(base[1]!) ?? []) out.set(name, type)
  }
  return out
}
/** The typings' query parameters of an operation: name -> TypeScript type text. */
const operationQueryTypes = (operationId: string): Map<string, string> => {
  const out = new Map<string, string>()
  const start = typings.indexOf(`    ${operationId}: {`)
  if (start < 0) return out
  let inQuery = false
  for (const line of typings.slice(start + 1)) {
    if (/^ {4}\S/.test(line)) break
    if (/^ {12}query\??: \{/.test(line)) inQuery = true
    else if (/^ {12}\S/.test(line)) inQuery = false
    const parameter = inQuery ? /^ {16}"?([\w.@-]+)"?\??: (.*)$/.exec(line) : null
    if (parameter !== null) out.set(parameter[1]!, parameter[2]!)
  }
  return out
}
const newerBodies: Record<string, Array<string>> = {}
for (const [path, method] of wrapped) {
  const operation = spec.paths[path]?.[method]
  const body = (operation?.parameters ?? []).find((p: any) => p.in === "body")
  if (body?.schema === undefined || body.schema.$ref !== undefined) continue
  const known = ownProperties(body.schema)
  for (const [property, type] of operationBodyTypes(operation.operationId)) {
    if (known.has(property)) continue
    const target =
      body.schema.properties !== undefined
        ? body.schema
        : (body.schema.allOf ?? []).find((part: any) => part.$ref === undefined && part.properties !== undefined)
    if (target === undefined) continue
    target.properties[property] = schemaOfType(type)
    newerBodies[operation.operationId] = [...(newerBodies[operation.operationId] ?? []), property]
    patch.push({ op: "add", path: pointer("paths", path, method), value: operation })
  }
}

// Query parameters: the typings' new parameters are added, and their enums (e.g. `includes`) win.
const newerQuery: Record<string, Array<string>> = {}
for (const [path, method] of wrapped) {
  const operation = spec.paths[path]?.[method]
  if (operation === undefined) continue
  operation.parameters ??= []
  const parameters: Array<any> = operation.parameters
  const byName = new Map<string, any>()
  // parameters declared on the path apply to the operation too
  for (const p of [...(spec.paths[path].parameters ?? []), ...parameters]) {
    const resolved = p.$ref !== undefined ? spec.parameters[p.$ref.split("/").pop()] : p
    if (resolved?.in === "query") byName.set(resolved.name, resolved)
  }
  let changed = false
  for (const [name, type] of operationQueryTypes(operation.operationId)) {
    const schema: any = schemaOfType(type)
    if (schema.type === undefined) continue
    const existing = byName.get(name)
    if (existing === undefined) {
      const parameter =
        schema.type === "array"
          ? { name, in: "query", required: false, type: "array", collectionFormat: "multi", items: schema.items }
          : { name, in: "query", required: false, ...schema }
      parameters.push(parameter)
      newerQuery[operation.operationId] = [...(newerQuery[operation.operationId] ?? []), name]
      changed = true
    } else {
      const values: ReadonlyArray<string> | undefined = schema.items?.enum ?? schema.enum
      const target = existing.type === "array" ? existing.items : existing
      if (values === undefined || target?.enum === undefined) continue
      const added = values.filter((v) => !target.enum.includes(v))
      if (added.length === 0) continue
      target.enum = [...target.enum, ...added]
      newerQuery[operation.operationId] = [
        ...(newerQuery[operation.operationId] ?? []),
        `${name} (${added.join(", ")})`
      ]
      changed = true
    }
  }
  if (changed) patch.push({ op: "add", path: pointer("paths", path, method), value: operation })
}

// Swagger 2 polymorphism (`discriminator` + subtypes with `x-discriminator-value`) is lost in generation: only the
// base survives, so a subtype's fields (e.g. `token_types`, `operation`) would be dropped on encode. Each base gets
// its subtypes' fields as optional properties instead — loose, but nothing a caller passes is lost.
const polymorphic: Record<string, Array<string>> = {}
for (const [name, base] of Object.entries<any>(spec.definitions)) {
  if (typeof base.discriminator !== "string" || base.properties === undefined) continue
  for (const [subName, sub] of Object.entries<any>(spec.definitions)) {
    const parts: Array<any> = sub.allOf ?? []
    if (!parts.some((part) => part.$ref === `#/definitions/${name}`)) continue
    for (const part of parts) {
      for (const [property, schema] of Object.entries<any>(part.properties ?? {})) {
        if (base.properties[property] !== undefined) continue
        base.properties[property] = schema
        polymorphic[name] = [...(polymorphic[name] ?? []), `${property} (${sub["x-discriminator-value"] ?? subName})`]
      }
    }
  }
}
const replaced = new Set([...Object.keys(newer), ...Object.keys(polymorphic)])
// The patched definitions are carried into the generator as `add` operations replacing the whole definition.
for (const name of replaced) {
  patch.push({ op: "add", path: pointer("definitions", name), value: spec.definitions[name] })
}

// --- 2. keep the wrapped operations and what they reach; strip prose and patterns --------------------------------

const keep = new Map<string, Set<string>>()
for (const [path, method] of wrapped) keep.set(path, (keep.get(path) ?? new Set()).add(method))
for (const [path, item] of Object.entries<any>(spec.paths)) {
  if (!keep.has(path)) {
    patch.push({ op: "remove", path: pointer("paths", path) })
    delete spec.paths[path]
    continue
  }
  for (const method of Object.keys(item)) {
    if (["get", "put", "post", "delete", "patch"].includes(method) && !keep.get(path)!.has(method)) {
      patch.push({ op: "remove", path: pointer("paths", path, method) })
      delete item[method]
    }
  }
}

const reached = { definitions: new Set<string>(), parameters: new Set<string>(), responses: new Set<string>() }
const visit = (value: unknown): void => {
  if (Array.isArray(value)) {
    for (const v of value) visit(v)
    return
  }
  if (value === null || typeof value !== "object") return
  const ref = (value as { $ref?: unknown }).$ref
  if (typeof ref === "string") {
    const [, section, name] = ref.split("/").slice(0, 3) as [string, keyof typeof reached, string]
    if (section in reached && !reached[section].has(name)) {
      reached[section].add(name)
      visit(spec[section][name])
    }
  }
  for (const child of Object.values(value)) visit(child)
}
visit(spec.paths)
for (const section of ["definitions", "parameters", "responses"] as const) {
  for (const name of Object.keys(spec[section] ?? {})) {
    if (!reached[section].has(name)) {
      patch.push({ op: "remove", path: pointer(section, name) })
      delete spec[section][name]
    }
  }
}

const strip = (value: unknown, path: ReadonlyArray<string | number>): void => {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      strip(v, [...path, i])
    })
    return
  }
  if (value === null || typeof value !== "object") return
  const inReplaced = path[0] === "definitions" && replaced.has(String(path[1]))
  for (const [key, child] of Object.entries(value)) {
    const prose = (key === "description" || key === "pattern" || key === "example") && typeof child === "string"
    if (prose || key === "example" || key === "x-examples") {
      // inside a definition replaced by an `add` above, delete in place (the add carries the stripped value)
      if (inReplaced) delete (value as Record<string, unknown>)[key]
      else patch.push({ op: "remove", path: pointer(...path, key) })
    } else {
      strip(child, [...path, key])
    }
  }
}
for (const name of replaced) {
  if (spec.definitions[name] !== undefined) strip(spec.definitions[name], ["definitions", name])
}
strip(Object.fromEntries(Object.entries(spec).filter(([k]) => k !== "definitions")), [])
for (const [name, definition] of Object.entries(spec.definitions)) {
  if (!replaced.has(name)) strip(definition, ["definitions", name])
}
// drop the top-level prose too (the tags' descriptions are tag docs, not types)
patch.push({ op: "remove", path: "/tags" })

// --- 3. run the generator -------------------------------------------------------------------------------------------

// (shared with the other providers' scripts: scripts/openapi.ts; effect 4.1 import paths)
const generated = OpenApi.run({ spec: specPath, name: "DinteroApi", patch })

const header = `/**
 * Dintero Checkout API wire layer, GENERATED by \`scripts/generate.ts\` (\`pnpm run generate\`) with
 * @effect/openapi-generator from Dintero's published OpenAPI: do not edit by hand. Only the operations nordkit wraps
 * and the definitions they reach are kept; newer fields of Dintero's 2026 typings are patched in
 * (${Object.values(newer).flat().length} fields on ${Object.keys(newer).length} definitions).
 */
/* biome-ignore-all lint: generated code */
`
// Enums stay open on decode: a status Dintero adds later is kept as its raw string instead of failing the whole read.
// The types keep the published literals for completion, plus `(string & {})`.
const openEnums = `
const openLiterals = <const L extends ReadonlyArray<string>>(literals: L) =>
  Schema.Union([Schema.Literals(literals), Schema.String])
`
const body = generated
  .replace(/\.annotate\(\{ "description": "(?:[^"\\]|\\.)*" \}\)/g, "")
  .replace(/Schema\.Literals\(\[(?=")/g, "openLiterals([")
  // read-only enums come out as a union of single literals
  .replace(
    /Schema\.Union\(\[((?:Schema\.Literal\("[^"]*"\)(?:\.annotate\(\{[^{}]*\}\))?, )*Schema\.Literal\("[^"]*"\)(?:\.annotate\(\{[^{}]*\}\))?)\]\)/g,
    "Schema.Union([$1, Schema.String])"
  )
  // Each schema is built by a call at module level: marked pure, a bundler drops the ones an app never reaches.
  .replace(/^export const (\w+) = (Schema\.|openLiterals\()/gm, "export const $1 = /* @__PURE__ */ $2")
  .split("\n")
  .map((line) =>
    line.startsWith("export type ") ? line.replace(/((?:"[^"]*" \| )+"[^"]*")/g, "($1 | (string & {}))") : line
  )
  .join("\n")
const firstDefinition = body.indexOf("// non-recursive definitions")
const output = header + body.slice(0, firstDefinition) + openEnums + body.slice(firstDefinition)
mkdirp(join(pkg, "src/generated"))
writeFileSync(join(pkg, "src/generated/DinteroApi.ts"), output)

// --- 4. contract facts ------------------------------------------------------------------------------------------------

interface Shape {
  readonly fields: Record<string, string>
  readonly required: ReadonlyArray<string>
  /** The schema allows fields it does not name (`additionalProperties`), e.g. `metadata`. */
  readonly open?: boolean
  readonly enums?: Record<string, ReadonlyArray<string>>
  readonly nested?: Record<string, Shape>
}

const resolveSchema = (schema: any): any =>
  schema?.$ref !== undefined ? resolveSchema(spec.definitions[schema.$ref.split("/").pop()]) : schema

/** Flattens allOf / $ref into one object shape; `depth` levels of nested objects are kept. */
const shapeOf = (input: any, depth: number): Shape | undefined => {
  const fields: Record<string, string> = {}
  const required = new Set<string>()
  const enums: Record<string, ReadonlyArray<string>> = {}
  const nested: Record<string, Shape> = {}
  let object = false
  let open = false
  const add = (raw: any): void => {
    const schema = resolveSchema(raw)
    if (schema === undefined) return
    for (const part of schema.allOf ?? []) add(part)
    if (schema.properties === undefined && schema.type !== "object") return
    object = true
    if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) open = true
    for (const r of schema.required ?? []) required.add(r)
    for (const [name, propertyRaw] of Object.entries<any>(schema.properties ?? {})) {
      const property = resolveSchema(propertyRaw)
      const merged = property?.allOf !== undefined ? shapeOf(property, 0) : undefined
      fields[name] = property?.type ?? (merged !== undefined || property?.properties !== undefined ? "object" : "any")
      const values = property?.enum ?? (property?.type === "array" ? resolveSchema(property.items)?.enum : undefined)
      if (Array.isArray(values)) enums[name] = values.map(String)
      if (depth > 0 && fields[name] === "object") {
        const inner = shapeOf(property, depth - 1)
        if (inner !== undefined && Object.keys(inner.fields).length > 0) nested[name] = mergeShapes(nested[name], inner)
      }
      if (depth > 0 && fields[name] === "array") {
        const inner = shapeOf(property.items, depth - 1)
        if (inner !== undefined && Object.keys(inner.fields).length > 0) {
          nested[`${name}[]`] = mergeShapes(nested[`${name}[]`], inner)
        }
      }
    }
  }
  add(input)
  if (!object) return undefined
  return {
    fields,
    required: [...required].sort(),
    ...(open ? { open } : {}),
    ...(Object.keys(enums).length > 0 ? { enums } : {}),
    ...(Object.keys(nested).length > 0 ? { nested } : {})
  }
}

/** Two parts of an allOf describing the same property: their union. */
function mergeShapes(a: Shape | undefined, b: Shape): Shape {
  if (a === undefined) return b
  const nested = { ...a.nested }
  for (const [k, v] of Object.entries(b.nested ?? {})) nested[k] = mergeShapes(nested[k], v)
  const enums = { ...a.enums, ...b.enums }
  return {
    fields: { ...a.fields, ...b.fields },
    required: [...new Set([...a.required, ...b.required])].sort(),
    ...(a.open === true || b.open === true ? { open: true } : {}),
    ...(Object.keys(enums).length > 0 ? { enums } : {}),
    ...(Object.keys(nested).length > 0 ? { nested } : {})
  }
}

const facts: Record<string, unknown> = {}
/** Shapes used by several operations (a Transaction answers nine of them) are stored once, by reference. */
const shapes: Record<string, Shape> = {}
const shapeIds = new Map<string, string>()
function shared(shape: Shape | undefined): Shape | { readonly shape: string } | undefined {
  if (shape === undefined) return undefined
  const text = JSON.stringify(shape)
  let id = shapeIds.get(text)
  if (id === undefined) {
    id = `s${shapeIds.size}`
    shapeIds.set(text, id)
    shapes[id] = shape
  }
  return { shape: id }
}
const full = YAML.parse(readFileSync(specPath, "utf8")) // parameters as published (patterns included)
for (const [path, method, name] of wrapped) {
  const operation = spec.paths[path][method]
  const published = full.paths[path][method]
  const body = (operation.parameters ?? []).find((p: any) => resolveSchema(p)?.in === "body")
  const response = operation.responses?.["200"] ?? operation.responses?.["201"]
  const responseSchema = response?.$ref !== undefined ? spec.responses[response.$ref.split("/").pop()] : response
  // as published, plus the parameters the 2026 typings add
  const query = [
    ...(published.parameters ?? []),
    ...(operation.parameters ?? []).filter((p: any) => p.$ref === undefined)
  ]
    .map((p: any) => (p.$ref !== undefined ? full.parameters[p.$ref.split("/").pop()] : p))
    .filter((p: any) => p.in === "query")
    .map((p: any) => p.name)
    .filter((name: string, i: number, all: Array<string>) => all.indexOf(name) === i)
  const key = `${method.toUpperCase()} ${path}`
  const entry: Record<string, unknown> = { operation: name, operationId: operation.operationId }
  if (query.length > 0) entry.query = query
  if (body !== undefined) entry.request = shared(shapeOf(resolveSchema(body).schema, 2))
  const responseShape = responseSchema?.schema
  if (responseShape !== undefined) {
    const items = resolveSchema(responseShape)?.type === "array" ? resolveSchema(responseShape).items : undefined
    entry.response = items !== undefined ? { array: shared(shapeOf(items, 2)) } : shared(shapeOf(responseShape, 2))
  }
  facts[`${key}${method === "post" && name === "callback" ? " (POST)" : ""}`] = entry
}
mkdirp(join(pkg, "test/contract"))
writeFileSync(
  join(pkg, "test/contract/facts.json"),
  `${JSON.stringify(
    {
      source: "Dintero Checkout OpenAPI 2024-09 + 2026-07 typings (newer wins)",
      newer,
      newerBodies,
      newerQuery,
      polymorphic,
      operations: facts,
      shapes
    },
    null,
    1
  )}\n`
)
// Formatted as the repository's formatter would, so a re-run without spec changes leaves git clean.
execFileSync(
  join(root, "node_modules/.bin/biome"),
  ["check", "--write", join(pkg, "src/generated/DinteroApi.ts"), join(pkg, "test/contract/facts.json")],
  { stdio: "ignore" }
)
console.log(
  `generated src/generated/DinteroApi.ts (${output.length} chars), test/contract/facts.json (${Object.keys(facts).length} operations)`
)

function mkdirp(dir: string) {
  if (!existsSync(dir)) execFileSync("mkdir", ["-p", dir])
}
