import { defineConfig } from "vitest/config"

export default defineConfig({
  resolve: { conditions: ["@nordkit/source"] },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
