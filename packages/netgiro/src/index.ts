export * as NetgiroAuth from "./NetgiroAuth.ts"
export * as NetgiroClient from "./NetgiroClient.ts"
export * as NetgiroError from "./NetgiroError.ts"
export * as NetgiroSchema from "./NetgiroSchema.ts"
