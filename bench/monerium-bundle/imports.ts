/** nordkit as an app imports it from the packages' main entries (the default for flow.ts). */
export { TokenStore } from "@nordkit/core"
export { MoneriumAuth, MoneriumClient } from "@nordkit/monerium"
