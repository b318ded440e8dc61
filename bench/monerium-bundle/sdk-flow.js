// The same browser flow with @monerium/sdk 3.5.0, for the size comparison in measure.ts (the SDK exchanges the
// code in the page itself: getAccess() reads ?code and the verifier it kept in localStorage).
import { MoneriumClient } from "@monerium/sdk"

const monerium = new MoneriumClient({
  environment: "sandbox",
  clientId: "your-client-id",
  redirectUri: `${window.location.origin}/`
})

async function main() {
  await monerium.getAccess()
  if (!monerium.isAuthorized) {
    const button = document.createElement("button")
    button.textContent = "Connect Monerium"
    button.onclick = () => monerium.authorize()
    document.body.append(button)
    return
  }
  const context = await monerium.getAuthContext()
  const { addresses } = await monerium.getAddresses({ profile: context.defaultProfile })
  const lines = [String(context.name)]
  for (const address of addresses) {
    const balances = await monerium.getBalances(address.address, address.chains[0])
    for (const b of balances.balances) lines.push(`${address.chains[0]} ${b.amount} ${b.currency}`)
  }
  document.body.append(lines.join("\n"))
}
main().catch((error) => document.body.append(String(error)))
