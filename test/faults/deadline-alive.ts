/**
 * Run by `DeadlineAlive.test.ts` in a process of its own: one call whose only pending work is its deadline (a
 * platform client that never answers but honours its abort signal, nothing else on the event loop). Prints how
 * the call ended as one JSON line; prints nothing if the process exits with the call still pending.
 */
import * as ApiClient from "@nordkit/core/ApiClient"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Schema from "effect/Schema"

const never = HttpClient.make((request, _url, signal) =>
  Effect.callback((resume) => {
    signal.addEventListener("abort", () =>
      resume(
        Effect.fail(
          new HttpClientError.HttpClientError({
            reason: new HttpClientError.TransportError({ request, cause: signal.reason })
          })
        )
      )
    )
  })
)
const api = ApiClient.make(never, {
  provider: "alive",
  baseUrl: "http://127.0.0.1:9",
  retry: { attempts: 1 },
  limits: { timeout: 300 }
})
const start = Date.now()
const result = await Effect.runPromise(Effect.result(api.json(Schema.Unknown)(HttpClientRequest.get("/things/1"))))
process.stdout.write(
  `${JSON.stringify({ outcome: result._tag === "Failure" ? result.failure._tag : "Success", millis: Date.now() - start })}\n`
)
