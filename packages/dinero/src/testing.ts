/**
 * Testing entry of `@nordkit/dinero`: the protocol-faithful Dinero test server (`make`, `layer`, `layerClient`,
 * `listen`, `defaultCredentials`; controls `failNext`, `rateLimitNext`, `revokeTokens`, `requests`, `reset`), with
 * its Visma Connect counterpart.
 */
export * as DineroTestServer from "./DineroTestServer.ts"
