/**
 * A Web Storage (`localStorage`-shaped) kept in memory: what several "tabs" share in a test of `WebLocks`, where
 * no browser is at hand. Exported from `@nordkit/core/testing`.
 */
export const make = (): Storage => {
  const data = new Map<string, string>()
  return {
    get length() {
      return data.size
    },
    clear: () => data.clear(),
    getItem: (key) => data.get(key) ?? null,
    key: (index) => [...data.keys()][index] ?? null,
    removeItem: (key) => {
      data.delete(key)
    },
    setItem: (key, value) => {
      data.set(key, value)
    }
  }
}
