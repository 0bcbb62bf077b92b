// A bulk job's audit outcomes (src/audit/outcome-batches.ts) on a scratch ledger's real SQLite and the real
// KV binding: a revocation and its follow-ups are separate outcomes of the job's batch, even when the
// follow-up arrives while the batch is still filling (the drain flushes partial batches only at its end).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { auditOutcome, flushPartialBatches } from "../../src/audit/outcome-batches";
import type { RevocationRecord } from "../../src/domain/revocation";

it("keeps a bulk revocation's revoked outcome beside its followed_up and still_active ones", async () => {
  const jobId = `job_batch-${crypto.randomUUID().slice(0, 8)}`;
  const scratch = env.LEDGER.get(env.LEDGER.idFromName(`outcome-batches-${jobId}`));
  const record = { id: "rev_0001", job_id: jobId, email: "leaver@example.com", status: "revoked" } as RevocationRecord;
  const options = { retentionDays: 30, now: 1_800_000_000_000 };
  await runInDurableObject(scratch, async (_instance, state) => {
    expect(auditOutcome(state.storage, env.AUDIT_LOG, record, options)).toBeNull();
    expect(auditOutcome(state.storage, env.AUDIT_LOG, record, { ...options, now: options.now + 1 }, "followed_up")).toBeNull();
    expect(auditOutcome(state.storage, env.AUDIT_LOG, record, { ...options, now: options.now + 2 }, "still_active")).toBeNull();
    await flushPartialBatches(state.storage, env.AUDIT_LOG, options);
    expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM audit_batch WHERE job_id = ?", jobId).one().n).toBe(0);
  });
  const { keys } = await env.AUDIT_LOG.list({ prefix: "outcome:" });
  const mine = keys.filter((key) => key.name.includes(`:${jobId}:batch-`));
  expect(mine).toHaveLength(1);
  const entry = JSON.parse((await env.AUDIT_LOG.get(mine[0]!.name))!) as { outcomes: { revocation_id: string; status: string }[] };
  expect(entry.outcomes.map((outcome) => outcome.status)).toEqual(["revoked", "followed_up", "still_active"]);
});
