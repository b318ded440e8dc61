/**
 * `@nordkit/netgiro/testing`: the Netgíró test server (V1 signed API, Partner API, V2 API, hosted checkout) for
 * your integration tests. Kept out of the main entry so apps never ship it.
 */
export * as NetgiroTestServer from "./NetgiroTestServer.ts"
