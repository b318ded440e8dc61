import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Redacted from "effect/Redacted"
import { DineroClient } from "../src/index.ts"
import { DineroTestServer } from "../src/testing.ts"

export const client = DineroTestServer.defaultClient
export const [org1, org2, freeOrg] = DineroTestServer.defaultOrganizations

/** Client options pointing at a server on `url` (in memory the host does not matter, only the paths). */
export const options = (
  overrides: Partial<DineroClient.Options> = {},
  url = "http://127.0.0.1"
): DineroClient.Options => ({
  clientId: client.clientId,
  clientSecret: Redacted.make(client.clientSecret),
  organizationId: org1.organizationId,
  apiKey: Redacted.make(org1.apiKey),
  authUrl: `${url}${DineroTestServer.tokenPath}`,
  apiUrl: url,
  ...overrides
})

/** A test server in memory and a client built against it. */
export const setup = (overrides: Partial<DineroClient.Options> = {}, serverOptions?: DineroTestServer.Options) =>
  Effect.gen(function* () {
    const server = yield* DineroTestServer.make(serverOptions)
    const dinero = yield* DineroClient.make(options(overrides)).pipe(
      Effect.provideServiceEffect(HttpClient.HttpClient, DineroTestServer.makeClient(server))
    )
    return { server, dinero }
  })

export const invoiceFor = (contactGuid: string) => ({
  ContactGuid: contactGuid,
  Description: "Rådgivning, marts",
  ProductLines: [
    {
      Description: "Konsulenttime",
      Quantity: 7.5,
      AccountNumber: 1000,
      Unit: "hours",
      BaseAmountValue: "950"
    },
    { Description: "Licens", Quantity: 1, AccountNumber: 1000, Unit: "parts", BaseAmountValue: "149.5" }
  ]
})

/** The Visma Connect code-flow options for the test server's default client, at `url`, for session "user-1". */
export const codeFlowOptions = (url: string) => {
  const connect = DineroTestServer.defaultVismaConnectClient
  return {
    authority: url,
    clientId: connect.clientId,
    clientSecret: Redacted.make(connect.clientSecret),
    redirectUri: connect.redirectUris[0]!,
    sessionKey: "user-1"
  }
}
