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

it("reports dry_run on /healthz without needing CF_API_TOKEN", async () => {
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
