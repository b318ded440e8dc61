/**
 * Testing entry of `@nordkit/dintero`: the protocol-faithful Dintero test server (`make`, `layer`, `layerClient`,
 * `listen`, `defaultCredentials`; controls `failNext`, `rateLimitNext`, `revokeTokens`, `requests`, `reset`).
 */
export * as DinteroTestServer from "./DinteroTestServer.ts"
