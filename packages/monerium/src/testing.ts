/**
 * `@nordkit/monerium/testing`: the Monerium test server (see `MoneriumTestServer`), for your integration tests.
 * Not part of the main entry, so apps never bundle it.
 */
export * as MoneriumTestServer from "./MoneriumTestServer.ts"
