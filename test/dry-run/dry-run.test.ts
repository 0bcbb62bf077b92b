// DRY_RUN=true (this project's bindings): everything but the Cloudflare call, recorded as dry_run.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, expect, it } from "vitest";
import { TEST_ACCOUNT_ID, TEST_CF_API_BASE_URL, TEST_ZONE_ID } from "../helpers/bindings";
import { installFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import { deprovisioned, operatorFetch, sendStandardDelivery, signedStandardDelivery, uniqueEmail, workerFetch } from "../helpers/worker";

let cloudflare: ReturnType<typeof installFakeCloudflare>;
beforeEach(() => {
  cloudflare = installFakeCloudflare();
});
afterEach(() => cloudflare.restore());

it("reports dry_run on /healthz without needing ACCESS_API_TOKEN", async () => {
  expect(await (await workerFetch("/healthz")).json()).toEqual({ ok: true, dry_run: true });
});

it("records the request that would have been sent, and sends nothing", async () => {
  const email = uniqueEmail("dry");
  const accepted = (await (await sendStandardDelivery(await signedStandardDelivery(deprovisioned(email, { user_uid: "u-9" })))).json()) as {
    id: string;
  };
  const record = await waitFor(async () => {
    const current = (await (await operatorFetch(`/v1/revocations/${accepted.id}`)).json()) as {
      status: string;
      results: { request: unknown; state: string }[];
    };
    return current.status === "dry_run" && current;
  });
  expect(record.results.map((result) => result.request)).toEqual([
    {
      method: "POST",
      url: `${TEST_CF_API_BASE_URL}/accounts/${TEST_ACCOUNT_ID}/access/organizations/revoke_user?devices=true`,
      body: { email, user_uid: "u-9" },
    },
    {
      method: "POST",
      url: `${TEST_CF_API_BASE_URL}/zones/${TEST_ZONE_ID}/access/organizations/revoke_user?devices=true`,
      body: { email, user_uid: "u-9" },
    },
  ]);
  expect(cloudflare.calls).toHaveLength(0);
  const audit = await waitFor(async () => (await env.AUDIT_LOG.list({ prefix: `email:${email}:` })).keys[0]);
  expect(audit.metadata).toMatchObject({ status: "dry_run" });
});

// Issue #23: a sweep sends calls to Cloudflare, so under DRY_RUN none starts, asked or on schedule.
it("starts no reconciliation sweep: POST /v1/reconcile answers 409 dry_run, and /v1/stats has no next one", async () => {
  const refused = await operatorFetch("/v1/reconcile", { method: "POST" });
  expect(refused.status).toBe(409);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("dry_run");
  const stats = (await (await operatorFetch("/v1/stats")).json()) as {
    reconcile: { running: unknown; last: unknown; next_at: unknown; dry_run: unknown };
  };
  expect(stats.reconcile).toMatchObject({ running: null, last: null, next_at: null, dry_run: true });
  expect(cloudflare.calls).toHaveLength(0);
});
