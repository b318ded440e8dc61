/**
 * The shared steps of the providers' `generate` scripts (packages/<provider>/scripts/generate.ts): an independent
 * reading of a provider's published OpenAPI document with the Effect team's `@effect/openapi-generator` (isolated,
 * pinned install in `tools/openapi-generator`, installed on first use).
 *
 * - {@link subset}: only the wrapped operations and the schemas they reach, prose stripped ({@link stripProse});
 * - {@link run}: the generator on a spec file (plus an optional JSON patch), its `effect/unstable/http/*` imports
 *   rewritten to effect 4.1's `effect/http/*`;
 * - {@link writeFormatted}: written and formatted as the repository's formatter would, so a re-run without spec
 *   changes leaves git clean.
 *
 * A package's script keeps only what is its own: which spec, which operations, and its own post-processing.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"

/** An OpenAPI document, walked structurally. */
export type Json = any

/** The repository root. */
export const root = resolve(import.meta.dirname, "..")

/** The generator's install folder (`require` its own dependencies, e.g. `yaml`, from here). */
export const tool = join(root, "tools/openapi-generator")

/** Installs the pinned generator when its `node_modules` is missing (it is git-ignored). */
export const ensureGenerator = (): void => {
  if (!existsSync(join(tool, "node_modules/.bin/openapigen"))) {
    execFileSync("npm", ["install", "--prefix", tool, "--no-audit", "--no-fund"], { stdio: "inherit" })
  }
}

/** Prose is not part of the contract: descriptions, summaries and examples are dropped. */
export const stripProse = (node: Json): Json => {
  if (Array.isArray(node)) return node.map(stripProse)
  if (typeof node !== "object" || node === null) return node
  const out: Json = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === "description" || key === "summary" || key === "example" || key === "examples") continue
    out[key] = stripProse(value)
  }
  return out
}

/**
 * An OpenAPI 3 document with only the `wrapped` operations (`"GET /path"`) and the `components.schemas` they reach
 * (sorted), prose stripped. `components` adds other component sections to keep as they are.
 */
export const subset = (
  spec: Json,
  wrapped: ReadonlyArray<string>,
  options: { readonly title: string; readonly components?: Readonly<Record<string, Json>> | undefined }
): { readonly spec: Json; readonly paths: number; readonly schemas: number } => {
  const paths: Record<string, Json> = {}
  for (const key of wrapped) {
    const [method, path] = key.split(" ") as [string, string]
    paths[path] ??= {}
    paths[path][method.toLowerCase()] = structuredClone(spec.paths[path][method.toLowerCase()])
  }
  const reached = new Set<string>()
  const walk = (node: Json): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item)
      return
    }
    if (typeof node !== "object" || node === null) return
    if (typeof node.$ref === "string") {
      const name = node.$ref.split("/").at(-1) as string
      if (!reached.has(name)) {
        reached.add(name)
        walk(spec.components.schemas[name])
      }
    }
    for (const value of Object.values(node)) walk(value)
  }
  walk(paths)
  const schemas: Record<string, Json> = {}
  for (const name of [...reached].sort()) schemas[name] = spec.components.schemas[name]
  return {
    spec: stripProse({
      openapi: spec.openapi,
      info: { title: options.title, version: spec.info.version },
      paths,
      components: { schemas, ...options.components }
    }),
    paths: Object.keys(paths).length,
    schemas: reached.size
  }
}

/**
 * Runs the generator on `spec` (a path, or a document written to a temporary file) as the module `name`, with an
 * optional JSON patch, and returns its output with effect 4.1 import paths.
 */
export const run = (options: {
  readonly spec: string | Json
  readonly name: string
  readonly patch?: ReadonlyArray<Json> | undefined
}): string => {
  ensureGenerator()
  const work = mkdtempSync(join(tmpdir(), `nordkit-openapi-${options.name}-`))
  let specPath = options.spec
  if (typeof specPath !== "string") {
    specPath = join(work, "spec.json")
    writeFileSync(specPath, JSON.stringify(options.spec))
  }
  const args = ["--spec", specPath, "--name", options.name]
  if (options.patch !== undefined) {
    const patchPath = join(work, "patch.json")
    writeFileSync(patchPath, JSON.stringify(options.patch))
    args.push("--patch", patchPath)
  }
  const generated = execFileSync(join(tool, "node_modules/.bin/openapigen"), args, {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024
  })
  if (!generated.includes("export const make")) throw new Error(`openapigen failed:\n${generated.slice(0, 2000)}`)
  return generated.replace(/from "effect\/unstable\/http\/(\w+)"/g, 'from "effect/http/$1"')
}

/** Writes each file (creating folders) and formats them all with the repository's Biome. */
export const writeFormatted = (files: Readonly<Record<string, string>>): void => {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, text)
  }
  execFileSync(join(root, "node_modules/.bin/biome"), ["check", "--write", ...Object.keys(files)], { stdio: "ignore" })
}
