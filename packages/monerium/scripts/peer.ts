/**
 * Feature coverage of `@nordkit/monerium` against `@monerium/sdk` (the version pinned in the root package.json),
 * read from the SDK itself at run time — its exports, its client's methods, its enums — and from running its
 * message helpers on the guides' examples. `./nk node --conditions=@nordkit/source packages/monerium/scripts/peer.ts`
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { MoneriumMessage, MoneriumSchema } from "../src/index.ts"

const require = createRequire(import.meta.url)
const sdk = require("@monerium/sdk")
const entry: string = require.resolve("@monerium/sdk")
const version: string = JSON.parse(
  readFileSync(join(entry.slice(0, entry.lastIndexOf("/dist/")), "package.json"), "utf8")
).version
const methods = new Set(Object.getOwnPropertyNames(sdk.MoneriumClient.prototype))
const exportsOf = new Set(Object.keys(sdk))

// nordkit operation -> the SDK's method for the same endpoint (undefined: none).
const operations: Array<[string, string | undefined]> = [
  ["authContext", "getAuthContext"],
  ["listProfiles / listProfilesBy", "getProfiles"],
  ["getProfile", "getProfile"],
  ["createProfile", undefined],
  ["listAddresses", "getAddresses"],
  ["getAddress", "getAddress"],
  ["linkAddress", "linkAddress"],
  ["getBalances", "getBalances"],
  ["listIbans", "getIbans"],
  ["getIban", "getIban"],
  ["requestIban", "requestIban"],
  ["moveIban", "moveIban"],
  ["listOrders", "getOrders"],
  ["getOrder", "getOrder"],
  ["placeOrder", "placeOrder"],
  ["uploadFile", "uploadSupportingDocument"],
  ["getTokens", "getTokens"],
  ["getSignatures", "getSignatures"],
  ["listWebhooks", undefined],
  ["createWebhook", undefined],
  ["updateWebhook", undefined],
  ["authorizeSiwe", "siwe"],
  ["exchangeCode (server)", "getAccess"]
]
const rows = operations.map(([ours, theirs]) => {
  const present = theirs !== undefined && methods.has(theirs)
  return `| ${ours} | ${present ? theirs : "—"} |`
})

const states = Object.values(sdk.ProfileState as Record<string, string>)
const at = Date.parse("2024-07-12T12:02:49Z")
const iban = "EE127310138155512606682602"
const guide = "Send EUR 100 to EE127310138155512606682602 at 2024-07-12T12:02:00Z"
const ours = MoneriumMessage.orderMessage({
  amount: "100",
  currency: "eur",
  counterpart: { identifier: { standard: "iban", iban } },
  at
})
const theirs: string = sdk.placeOrderMessage("100", "eur", iban)

console.log(`@monerium/sdk ${version}\n`)
console.log("| @nordkit/monerium | @monerium/sdk |\n|---|---|")
console.log(rows.join("\n"))
console.log()
console.log(`profile states, SDK enum: ${states.join(", ")}; spec: ${MoneriumSchema.knownProfileStates.join(", ")}`)
console.log(`webhook exports in the SDK: ${[...exportsOf].filter((k) => /webhook/i.test(k)).join(", ") || "none"}`)
console.log(`order message for the guide's example (${guide}):`)
console.log(`  nordkit: ${ours} ${ours === guide ? "(equal)" : "(differs)"}`)
console.log(
  `  SDK:     ${theirs} (the SDK signs the current time; format ${/^Send EUR 100 to EE12\S+ at \S+$/.test(theirs) ? "matches" : "differs"})`
)
