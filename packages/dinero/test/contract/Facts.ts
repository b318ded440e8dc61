/** The facts extracted from Dinero's OpenAPI document by `scripts/facts.ts` (`facts.json`), typed. */
import { readFileSync } from "node:fs"

export interface PropertyFact {
  readonly type: string
  readonly nullable?: true
  readonly ref?: string
  readonly items?: string
}
export interface SchemaFact {
  readonly required?: ReadonlyArray<string>
  readonly properties?: Readonly<Record<string, PropertyFact>>
  readonly enum?: ReadonlyArray<string>
}
export interface Ref {
  readonly schema?: string
  readonly array?: string
}
export interface OperationFact {
  readonly deprecated: boolean
  readonly query: ReadonlyArray<string>
  /** The fields an operation with a `fields` parameter answers when none are asked for. */
  readonly defaultFields?: ReadonlyArray<string>
  readonly requestType?: string
  readonly request?: Ref | null
  readonly responseTypes: ReadonlyArray<string>
  readonly response: Ref | null
}
export interface Facts {
  readonly operations: Readonly<Record<string, OperationFact>>
  readonly schemas: Readonly<Record<string, SchemaFact>>
}

export const facts: Facts = JSON.parse(readFileSync(new URL("./facts.json", import.meta.url), "utf8"))
