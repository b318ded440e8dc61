/**
 * The provider test servers, from the packages' `testing` entries (or their main entries before those existed).
 * Typed loosely on purpose: these tests use only the shared test-server vocabulary (`make`, `listen`, `requests`,
 * controls) and the public client API.
 */
const load = async (name: string): Promise<any> => {
  try {
    return await import(`@nordkit/${name}/testing`)
  } catch {
    return await import(`@nordkit/${name}`)
  }
}

export const dintero = async () => (await load("dintero")).DinteroTestServer
export const dinero = async () => (await load("dinero")).DineroTestServer
export const monerium = async () => (await load("monerium")).MoneriumTestServer
