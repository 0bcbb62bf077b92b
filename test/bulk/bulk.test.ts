// Bulk offboarding through the real Worker (the "bulk" project: one target, REVOKE_RATE_PER_SECOND=400): chunked commit, per-line rejections, job progress, and the
// audit log written in batches so a large job stays inside the Free plan's KV write budget.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AUDIT_BATCH_SIZE } from "../../src/ledger/bulk";
import { installFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import { fastForwardLedger, operatorFetch, waitForIdleLedger } from "../helpers/worker";

let cloudflare: ReturnType<typeof installFakeCloudflare>;
beforeEach(() => {
  cloudflare = installFakeCloudflare();
});
afterEach(async () => {
  await fastForwardLedger();
  await waitForIdleLedger(30_000);
  cloudflare.restore();
});

type Job = { job_id: string; lines: number; accepted: number; duplicates: number; rejected: number; rejections: { line: number; reason: string }[] };
type Progress = { by_status: Record<string, number>; pending_calls_ahead: number; estimated_completion: string | null };

function submit(body: string, headers: Record<string, string> = {}) {
  return operatorFetch("/v1/revocations/bulk", { method: "POST", body, headers: { "Content-Type": "text/csv", ...headers } });
}

describe("POST /v1/revocations/bulk", () => {
  it("accepts CSV and NDJSON lines past one chunk, reports each bad line, and revokes every accepted person once", async () => {
    const tag = crypto.randomUUID().slice(0, 6);
    const csv = Array.from({ length: 1150 }, (_, i) => `bulk-${tag}-${i}@example.com,uid-${i},layoff`);
    const lines = [
      "email,user_uid,reason",
      ...csv,
      JSON.stringify({ email: `bulk-${tag}-json@example.com`, reason: "ndjson line" }),
      "not-an-email",
      `bulk-${tag}-0@example.com`, // a duplicate of the first line
      "{broken json",
    ];
    const response = await submit(lines.join("\n"));
    expect(response.status).toBe(202);
    const job = (await response.json()) as Job;
    expect(job).toMatchObject({ lines: 1154, accepted: 1151, duplicates: 1, rejected: 2 });
    expect(job.rejections.map((rejection) => rejection.line)).toEqual([1153, 1155]);

    const progress = (await (await operatorFetch(`/v1/jobs/${job.job_id}`)).json()) as Progress;
    expect(progress.by_status.queued).toBeGreaterThan(0);
    expect(progress.pending_calls_ahead).toBeGreaterThan(0);
    expect(progress.estimated_completion).not.toBeNull();

    await fastForwardLedger();
    const done = await waitFor(async () => {
      const current = (await (await operatorFetch(`/v1/jobs/${job.job_id}`)).json()) as Progress;
      return current.by_status.revoked === 1151 && current;
    }, 40_000, "the bulk job to drain");
    expect(done.pending_calls_ahead).toBe(0);
    const emails = cloudflare.calls.map((call) => call.body.email as string).filter((email) => email.includes(tag));
    expect(emails).toHaveLength(1151); // this project configures one account and no zone
    expect(new Set(emails).size).toBe(1151);

    // One KV entry per AUDIT_BATCH_SIZE outcomes, not one per person.
    const batches = await waitFor(async () => {
      const listed = await env.AUDIT_LOG.list<{ kind: string; id: string }>({ prefix: "outcome:" });
      const mine = listed.keys.filter((key) => key.metadata?.kind === "outcome_batch" && key.metadata.id === job.job_id);
      return mine.length === Math.ceil(1151 / AUDIT_BATCH_SIZE) && mine;
    }, 20_000, "the audit batches");
    const first = (await env.AUDIT_LOG.get(batches[0]!.name, "json")) as { outcomes: unknown[] };
    expect(first.outcomes.length).toBeGreaterThan(0);
  }, 60_000);

  it("treats a resubmission with the same Idempotency-Key as the same job", async () => {
    const email = `idem-${crypto.randomUUID().slice(0, 6)}@example.com`;
    const key = `retry-${crypto.randomUUID().slice(0, 8)}`;
    const first = (await (await submit(email, { "Idempotency-Key": key })).json()) as Job;
    const again = (await (await submit(email, { "Idempotency-Key": key })).json()) as Job;
    expect(again.job_id).toBe(first.job_id);
    expect(again).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it.each([
    ["an empty body", "", 400],
    ["only a header", "email,user_uid,reason\n", 400],
  ])("answers %s with %i", async (_case, body, status) => {
    expect((await submit(body)).status).toBe(status);
  });

  it("answers 404 for an unknown job and 401 without the operator token", async () => {
    expect((await operatorFetch("/v1/jobs/job_nope")).status).toBe(404);
    expect((await operatorFetch("/v1/revocations/bulk", { method: "POST", body: "a@example.com" }, "wrong")).status).toBe(401);
  });
});
