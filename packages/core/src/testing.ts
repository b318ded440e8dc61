/**
 * `@nordkit/core/testing`: what tests need and production code does not — the test-server harness every
 * provider's test server is built on, and the secret canaries. Kept out of the main entry so apps never ship it.
 */
export * as Canary from "./Canary.ts"
export * as MemoryStorage from "./MemoryStorage.ts"
export * as TestServer from "./TestServer.ts"
