import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import {
  TEST_ACCOUNT_ID,
  TEST_ACCOUNT_TOKEN,
  TEST_ALERT_SECRET,
  TEST_ALERT_URL,
  TEST_BINDINGS,
  TEST_ENTRA_BINDINGS,
  TEST_ZONE_ID,
  TEST_ZONE_TOKEN,
} from "./test/helpers/bindings";

// Everything that can run inside workerd (real KV and Durable Objects, network mocked) runs there; the
// end-to-end and CLI tests drive a real `wrangler dev` from Node, and the status page test drives it from Chromium.
export default defineConfig({
  test: {
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ...TEST_BINDINGS, FUZZ_RUNS: process.env.FUZZ_RUNS ?? "60" } },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: [
            "test/e2e/**",
            "test/cli/**",
            "test/ui/**",
            "test/dry-run/**",
            "test/bulk/**",
            "test/faults/**",
            "test/follow-ups/**",
            "test/budgets/**",
            "test/sweep/**",
            "test/entra/**",
            "test/alerts/**",
          ],
          testTimeout: 30_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ...TEST_BINDINGS, DRY_RUN: "true", ACCESS_API_TOKEN: "" } },
          }),
        ],
        test: { name: "dry-run", include: ["test/dry-run/**/*.test.ts"], testTimeout: 30_000 },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ...TEST_BINDINGS, ACCESS_ZONE_ID: "", REVOKE_RATE_PER_SECOND: "400" } },
          }),
        ],
        test: { name: "bulk", include: ["test/bulk/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ...TEST_BINDINGS, ACCESS_ZONE_ID: "", REVOKE_RATE_PER_SECOND: "25" } },
          }),
        ],
        test: { name: "faults", include: ["test/faults/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        // Each target with its own token (ACCESS_API_TOKENS), each paced from the budget Cloudflare reports for it.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ...TEST_BINDINGS,
                REVOKE_RATE_PER_SECOND: "auto",
                ACCESS_API_TOKEN: "",
                ACCESS_API_TOKENS: JSON.stringify({
                  [`accounts/${TEST_ACCOUNT_ID}`]: TEST_ACCOUNT_TOKEN,
                  [`zones/${TEST_ZONE_ID}`]: TEST_ZONE_TOKEN,
                }),
              },
            },
          }),
        ],
        test: { name: "budgets", include: ["test/budgets/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ...TEST_BINDINGS,
                REMOVE_SEATS: "true",
                VERIFY_AFTER_SECONDS: "60",
                REVOKE_ON_GROUP_REMOVAL: "Engineering, Contractors, contractors@example.com",
              },
            },
          }),
        ],
        test: { name: "follow-ups", include: ["test/follow-ups/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        // Microsoft Entra ID against the local Graph fake: on here alone, so no other test's Cron run reaches Graph.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ...TEST_BINDINGS, ...TEST_ENTRA_BINDINGS, FUZZ_RUNS: process.env.FUZZ_RUNS ?? "60" } },
          }),
        ],
        test: { name: "entra", include: ["test/entra/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 30_000 },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ...TEST_BINDINGS,
                ACCESS_ZONE_ID: "",
                REVOKE_RATE_PER_SECOND: "400",
                VERIFY_AFTER_SECONDS: "60",
                ALERT_WEBHOOK_URL: TEST_ALERT_URL,
                ALERT_WEBHOOK_SECRET: TEST_ALERT_SECRET,
                SOURCE_SILENCE_HOURS: JSON.stringify({ zitadel: 24 }),
              },
            },
          }),
        ],
        test: { name: "alerts", include: ["test/alerts/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        // The reconciliation sweep on its schedule, with seat removal, over one account (test/sweep/).
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: { ...TEST_BINDINGS, ACCESS_ZONE_ID: "", REVOKE_RATE_PER_SECOND: "400", REMOVE_SEATS: "true", RECONCILE_EVERY_HOURS: "24" },
            },
          }),
        ],
        test: { name: "reconcile", include: ["test/sweep/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], environment: "node", testTimeout: 180_000, hookTimeout: 180_000 },
      },
      {
        // The operator CLI run as child processes against one real `wrangler dev` (test/cli/cli.test.ts).
        test: { name: "cli", include: ["test/cli/**/*.test.ts"], environment: "node", testTimeout: 180_000, hookTimeout: 180_000 },
      },
      {
        test: { name: "ui", include: ["test/ui/**/*.test.ts"], environment: "node", testTimeout: 120_000, hookTimeout: 180_000 },
      },
    ],
  },
});
