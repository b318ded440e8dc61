/** nordkit as an app imports it one module at a time (see flow.ts). */
export * as TokenStore from "@nordkit/core/TokenStore"
export * as MoneriumAuth from "@nordkit/monerium/MoneriumAuth"
export * as MoneriumClient from "@nordkit/monerium/MoneriumClient"
