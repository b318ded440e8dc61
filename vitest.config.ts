import { defineConfig } from "vitest/config"

// Tests run against the TypeScript sources of the workspace packages (the "@nordkit/source" export condition);
// the packed-install smoke test checks the built dist/ separately.
const conditions = ["@nordkit/source", "import", "module", "node", "default"]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
