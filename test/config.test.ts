import { describe, expect, it } from "vitest";
import { parseConfig, splitSecretList } from "../src/config";
import { workerFetch } from "./helpers/worker";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const minimal = { CF_ACCOUNT_ID: ACCOUNT, CF_API_TOKEN: "t", OPERATOR_TOKEN: "o" };

describe("parseConfig", () => {
  it("applies the documented defaults", () => {
    const result = parseConfig(minimal);
    expect(result).toEqual({
      ok: true,
      config: expect.objectContaining({
        cfApiBaseUrl: "https://api.cloudflare.com/client/v4",
        revokeDevices: true,
        warpSessionReauth: false,
        dryRun: false,
        revokeRatePerSecond: 3,
        signatureToleranceSeconds: 300,
        auditRetentionDays: 90,
        targets: [{ kind: "accounts", id: ACCOUNT }],
      }),
    });
  });

  it("splits rotation lists on spaces and commas", () => {
    expect(splitSecretList(" a, b  c,,d ")).toEqual(["a", "b", "c", "d"]);
  });

  it("sends to every listed account and zone", () => {
    const zone = "fedcba9876543210fedcba9876543210";
    const result = parseConfig({ ...minimal, CF_ACCOUNT_ID: `${ACCOUNT},${ACCOUNT.toUpperCase()}`, CF_ZONE_ID: zone });
    expect(result.ok && result.config.targets).toEqual([
      { kind: "accounts", id: ACCOUNT },
      { kind: "zones", id: zone },
    ]);
  });

  it("names every problem by variable and never echoes a value", () => {
    const result = parseConfig({
      CF_ACCOUNT_ID: "../../evil",
      CF_API_BASE_URL: "ftp://secret-host",
      REVOKE_RATE_PER_SECOND: "fast",
      DRY_RUN: "maybe",
      OPERATOR_TOKEN: "o",
    });
    expect(result.ok).toBe(false);
    const problems = !result.ok ? result.problems : [];
    expect(problems.map((problem) => problem.split(":")[0])).toEqual(
      expect.arrayContaining(["CF_ACCOUNT_ID", "CF_API_BASE_URL", "REVOKE_RATE_PER_SECOND", "DRY_RUN"]),
    );
    expect(problems.join(" ")).not.toMatch(/evil|secret-host|fast|maybe/);
  });

  it("requires a target, an operator token, and a Cloudflare token unless DRY_RUN", () => {
    expect(parseConfig({})).toEqual({
      ok: false,
      problems: [
        "CF_ACCOUNT_ID: set CF_ACCOUNT_ID and/or CF_ZONE_ID",
        "CF_API_TOKEN: required unless DRY_RUN=true",
        "OPERATOR_TOKEN: required",
      ],
    });
    expect(parseConfig({ CF_ACCOUNT_ID: ACCOUNT, OPERATOR_TOKEN: "o", DRY_RUN: "true" }).ok).toBe(true);
  });
});

describe("an unconfigured Worker", () => {
  it("answers /healthz 503 naming the problems, and other routes 503 in the error shape", async () => {
    const { app } = await import("../src/app");
    const unconfigured = { AUDIT_LOG: undefined, LEDGER: undefined, OPERATOR_TOKEN: "super-secret-value" } as unknown as Env;
    const health = await app.request("/healthz", {}, unconfigured);
    expect(health.status).toBe(503);
    const body = (await health.json()) as { ok: boolean; problems: string[] };
    expect(body.ok).toBe(false);
    expect(body.problems).toContain("CF_API_TOKEN: required unless DRY_RUN=true");
    expect(JSON.stringify(body)).not.toContain("super-secret-value");
    const webhook = await app.request("/webhooks/standard", { method: "POST", body: "{}" }, unconfigured);
    expect(webhook.status).toBe(503);
    expect(((await webhook.json()) as { error: { code: string } }).error.code).toBe("not_configured");
  });

  it("is configured in the test bindings", async () => {
    expect((await workerFetch("/healthz")).status).toBe(200);
  });
});
