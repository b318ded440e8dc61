/**
 * What every app using nordkit already ships: Effect, HttpClient on fetch, and Schema decoding a response: the
 * floor that measure.ts subtracts to show what nordkit itself adds.
 */
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Schema from "effect/Schema"

const Balances = Schema.Struct({
  address: Schema.String,
  balances: Schema.Array(Schema.Struct({ currency: Schema.String, amount: Schema.String }))
})

const program = Effect.gen(function* () {
  const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
  const response = yield* client.get("/balances")
  const balances = yield* HttpClientResponse.schemaBodyJson(Balances)(response)
  document.body.append(balances.balances.map((b) => `${b.amount} ${b.currency}`).join("\n"))
})

Effect.runPromise(program.pipe(Effect.provide(FetchHttpClient.layer))).catch((error) => {
  document.body.append(String(error))
})
