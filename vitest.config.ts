import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_BINDINGS } from "./test/helpers/bindings";

// Two projects: everything that can run inside workerd (real KV and Durable Objects, network mocked)
// runs there; the end-to-end test drives a real `wrangler dev` from Node.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings: TEST_BINDINGS } })],
        test: { name: "workers", include: ["test/**/*.test.ts"], exclude: ["test/e2e/**", "test/dry-run/**"], testTimeout: 30_000 },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ...TEST_BINDINGS, DRY_RUN: "true", CF_API_TOKEN: "" } },
          }),
        ],
        test: { name: "dry-run", include: ["test/dry-run/**/*.test.ts"], testTimeout: 30_000 },
      },
      {
        test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], environment: "node", testTimeout: 180_000, hookTimeout: 180_000 },
      },
    ],
  },
});
