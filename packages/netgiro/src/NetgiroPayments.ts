/**
 * One vocabulary over both Netgíró APIs for what they share after a payment: refund (full or partial, one
 * idempotency key per refund), transaction status, cancel. `layerConfig` picks the API with
 * `NETGIRO_API_VERSION` (`v1`, the default: the signed API plus the Partner API; `v2`: the API-key API), so an
 * app's refund and back-office code does not change when it moves from V1 to V2.
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const netgiro = yield* NetgiroPayments.NetgiroPayments
 *   yield* netgiro.refund(transactionId, 2000, { reason: "Returned item" })
 *   const status = yield* netgiro.transactionStatus(transactionId)
 * })
 * program.pipe(Effect.provide(NetgiroPayments.layerConfig()), Effect.provide(NodeHttpClient.layerUndici))
 * ```
 */
import * as ClientConfig from "@nordkit/core/ClientConfig"
import type * as NordkitError from "@nordkit/core/NordkitError"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as NetgiroClient from "./NetgiroClient.ts"
import type { NetgiroRefundError } from "./NetgiroError.ts"
import * as NetgiroV2Client from "./NetgiroV2Client.ts"

export type Version = "v1" | "v2"

export interface RefundOptions {
  /** Shown to the merchant (V1: `reason`, at most 100 characters; V2: `Description`). */
  readonly reason?: string | undefined
  /** Reuse an earlier attempt's key; default a fresh key per call, reused by the client's retries. */
  readonly idempotencyKey?: string | undefined
}

export interface Refunded {
  readonly transactionId: string
  readonly amount: number
  readonly idempotencyKey: string
  readonly requestId: string | undefined
}

export interface TransactionStatus {
  readonly transactionId: string
  /** `paid`, `unpaid`, `canceled`, `reservation`, ... as the API says it. */
  readonly status: string | undefined
  readonly isRefundable: boolean | undefined
  readonly totalAmount: number | undefined
  readonly requestId: string | undefined
}

export interface Service {
  readonly version: Version
  readonly refund: (
    transactionId: string,
    amount: number,
    options?: RefundOptions
  ) => Effect.Effect<Refunded, NordkitError.RequestError | NetgiroRefundError>
  readonly transactionStatus: (transactionId: string) => Effect.Effect<TransactionStatus, NordkitError.RequestError>
  /** Cancels a cart (V1 `CancelCart`) or a payment at any stage (V2). */
  readonly cancel: (transactionId: string) => Effect.Effect<void, NetgiroClient.Error>
}

export class NetgiroPayments extends Context.Service<NetgiroPayments, Service>()("@nordkit/netgiro/NetgiroPayments") {}

/** The shared vocabulary on a V1 client (refunds and status through the Partner API). */
export const fromV1 = (client: NetgiroClient.Service): Service => ({
  version: "v1",
  refund: (transactionId, amount, options = {}) =>
    client.refund(transactionId, amount, { reason: options.reason, idempotencyKey: options.idempotencyKey }),
  transactionStatus: (transactionId) =>
    Effect.map(client.transactionStatus(transactionId), (t) => ({
      transactionId: t.TransactionId ?? transactionId,
      status: t.Status ?? undefined,
      isRefundable: t.IsRefundable ?? undefined,
      totalAmount: t.TotalAmount ?? undefined,
      requestId: t.requestId
    })),
  cancel: (transactionId) => Effect.asVoid(client.cancelCart(transactionId))
})

/** The shared vocabulary on a V2 client. */
export const fromV2 = (client: NetgiroV2Client.Service): Service => ({
  version: "v2",
  refund: (transactionId, amount, options = {}) =>
    client.refund(transactionId, amount, { description: options.reason, idempotencyKey: options.idempotencyKey }),
  transactionStatus: (transactionId) =>
    Effect.map(client.transaction(transactionId), (t) => ({
      transactionId: t.TransactionId,
      status: t.Status,
      isRefundable: t.IsRefundable,
      totalAmount: t.TotalAmount,
      requestId: t.requestId
    })),
  cancel: (transactionId) => Effect.asVoid(client.cancel(transactionId))
})

/** `NETGIRO_API_VERSION`: `v1` (default) or `v2`. */
export const versionConfig: Config.Config<Version> = Config.Literals(["v1", "v2"] as const, "NETGIRO_API_VERSION").pipe(
  Config.withDefault("v1" as const)
)

/**
 * The shared vocabulary, on the API `NETGIRO_API_VERSION` names, configured from the `NETGIRO_*` variables of
 * `NetgiroClient.config` (v1) or `NetgiroV2Client.config` (v2).
 */
export const layerConfig = (): Layer.Layer<NetgiroPayments, NordkitError.ConfigurationError, HttpClient.HttpClient> =>
  Layer.effect(
    NetgiroPayments,
    Effect.gen(function* () {
      const version = yield* ClientConfig.load(NetgiroClient.provider, versionConfig)
      if (version === "v2") {
        return fromV2(
          yield* NetgiroV2Client.make(yield* ClientConfig.load(NetgiroV2Client.provider, NetgiroV2Client.config))
        )
      }
      return fromV1(yield* NetgiroClient.make(yield* ClientConfig.load(NetgiroClient.provider, NetgiroClient.config)))
    })
  )
