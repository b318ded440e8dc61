import { assert, describe, it } from "@effect/vitest"
import { NordkitError } from "@nordkit/core"
import { NetgiroError } from "../src/index.ts"

describe("NetgiroError", () => {
  it("every documented result code maps to its named case", () => {
    const expected: Record<number, NetgiroError.ResultCase> = {
      200: "Success",
      400: "GenericError",
      10200: "PaymentCompleted",
      10201: "PaymentCanceled",
      10202: "AlreadyCanceled",
      10203: "AlreadyConfirmed",
      10302: "CustomerDeclined",
      10304: "CartInvalid",
      10305: "BelowMinimumAmount",
      10306: "CustomerNotFound",
      10307: "CustomerDeclined",
      10422: "CustomerDeclined",
      10423: "CustomerDeclined",
      10424: "CartNotFound",
      10425: "PendingCustomerConfirmation",
      10426: "PendingProviderConfirmation",
      10427: "InvalidConfirmationType",
      10428: "AdditionalConfirmationNeeded",
      10429: "PendingProviderCallback"
    }
    for (const [code, reason] of Object.entries(expected)) {
      assert.strictEqual(NetgiroError.resultCaseOf(Number(code)), reason, code)
    }
    assert.strictEqual(Object.keys(NetgiroError.resultCodes).length, Object.keys(expected).length)
  })

  it("undocumented codes are Unknown (the number is kept by the error)", () => {
    for (const code of [0, 201, 10204, 10999, -1, 10200.5])
      assert.strictEqual(NetgiroError.resultCaseOf(code), "Unknown")
    const error = new NetgiroError.NetgiroResultError({
      provider: "netgiro",
      method: "POST",
      path: "/v1/Checkout/CheckCart",
      status: 200,
      resultCode: 10999,
      reason: "Unknown",
      requestId: "3ff79557-bce0-4ecf-889e-6a9e909dcd1b"
    })
    assert.strictEqual(error.resultCode, 10999)
    assert.include(error.message, "10999")
    assert.include(error.message, "netgiro_referenceId 3ff79557-bce0-4ecf-889e-6a9e909dcd1b")
  })

  it("referenceIdOf reads Netgíró's referenceId, or a core error's requestId", () => {
    const core = new NordkitError.AuthenticationError({
      provider: "netgiro",
      method: "GET",
      path: "/v1/sales/GetList",
      status: 401,
      requestId: "3ff79557-bce0-4ecf-889e-6a9e909dcd1b",
      errorDescription: "Invalid signature"
    })
    assert.strictEqual(NetgiroError.referenceIdOf(core), "3ff79557-bce0-4ecf-889e-6a9e909dcd1b")
    assert.include(core.message, "request id 3ff79557-bce0-4ecf-889e-6a9e909dcd1b")
    assert.isUndefined(NetgiroError.referenceIdOf(new Error("x")))
    assert.isUndefined(NetgiroError.referenceIdOf(undefined))
  })

  it("errorFields reads the envelope into code and detail", () => {
    assert.deepStrictEqual(NetgiroError.errorFields({ Success: false, Message: "Nope", ResultCode: 400 }, ""), {
      code: "400",
      detail: "Nope"
    })
    assert.deepStrictEqual(NetgiroError.errorFields(undefined, "Bad gateway"), { detail: "Bad gateway" })
  })
})
