// A bulk job's audit outcomes (src/ledger/audit/outcome-batches.ts) on a scratch ledger's real SQLite and the real
// KV binding: a revocation and its follow-ups are separate outcomes of the job's batch, even when the
// follow-up arrives while the batch is still filling (the drain flushes partial batches only at its end).
// The entries reach KV through the audit chain's writer, as in the ledger.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { exportCsv } from "../../../src/audit/export";
import type { RevocationRecord } from "../../../src/domain/revocation";
import { AuditChainWriter } from "../../../src/ledger/audit/chain-writer";
import { auditOutcome, flushPartialBatches } from "../../../src/ledger/audit/outcome-batches";

/** Writes the scratch ledger's chained entries to KV, as its writer does after an append. */
const writeChain = (storage: DurableObjectStorage, now: number) =>
  new AuditChainWriter({ storage, kv: env.AUDIT_LOG, retentionDays: () => 30, now: () => now }).flush();

it("keeps a bulk revocation's revoked outcome beside its followed_up and still_active ones", async () => {
  const jobId = `job_batch-${crypto.randomUUID().slice(0, 8)}`;
  const scratch = env.LEDGER.get(env.LEDGER.idFromName(`outcome-batches-${jobId}`));
  const record = {
    id: "rev_0001",
    job_id: jobId,
    email: "leaver@example.com",
    status: "revoked",
    received_at: "2027-01-15T08:00:00.000Z",
    targets: ["accounts/aaa"],
    time_to_revoke_ms: 1000,
    results: [],
  } as unknown as RevocationRecord;
  const now = 1_800_000_000_000;
  await runInDurableObject(scratch, async (_instance, state) => {
    auditOutcome(state.storage, record, now);
    auditOutcome(state.storage, record, now + 1, "followed_up");
    auditOutcome(state.storage, record, now + 2, "still_active");
    expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM audit_chain").one().n).toBe(0);
    expect(flushPartialBatches(state.storage, now)).toBe(1);
    expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM audit_batch WHERE job_id = ?", jobId).one().n).toBe(0);
    await writeChain(state.storage, now);
  });
  const { keys } = await env.AUDIT_LOG.list({ prefix: "outcome:" });
  const mine = keys.filter((key) => key.name.includes(`:${jobId}:batch-`));
  expect(mine).toHaveLength(1);
  const entry = JSON.parse((await env.AUDIT_LOG.get(mine[0]!.name))!) as { outcomes: { revocation_id: string; status: string }[] };
  expect(entry.outcomes.map((outcome) => outcome.status)).toEqual(["revoked", "followed_up", "still_active"]);
});

// Regression: a bulk revocation's CSV row had empty received_at, targets and time_to_revoke_ms, and the
// export had no verification column, so an auditor could not tell a job's people from a single revocation.
it("writes a bulk revocation's received time, targets, time to revoke and verification, which the CSV export shows", async () => {
  const jobId = `job_csv-${crypto.randomUUID().slice(0, 8)}`;
  const scratch = env.LEDGER.get(env.LEDGER.idFromName(`outcome-batches-${jobId}`));
  const now = 1_800_000_100_000;
  const verification = (state: "verified" | "not_applicable") => ({
    state,
    verified_at: null,
    active_sessions: state === "verified" ? 0 : null,
    last_successful_login: null,
    re_revocation: null,
    detail: null,
  });
  const target = (path: string, state: "verified" | "not_applicable") => ({
    target: path,
    state: "revoked" as const,
    attempts: 1,
    http_status: 200,
    errors: [],
    completed_at: new Date(now - 1000).toISOString(),
    history: [],
    seat: null,
    verification: verification(state),
  });
  const record: RevocationRecord = {
    id: "rev_00000000000000000000000000000042",
    source: "operator",
    assurance: "operator",
    event_id: "bulk-1",
    event_type: "operator.bulk",
    email: "leaver@example.com",
    email_as_received: null,
    subject_id: null,
    user_uid: null,
    reason: null,
    targets: ["accounts/aaa", "zones/bbb"],
    devices: true,
    warp_session_reauth: false,
    status: "revoked",
    attempts: 2,
    last_error: null,
    received_at: new Date(now - 2500).toISOString(),
    completed_at: new Date(now - 1000).toISOString(),
    time_to_revoke_ms: 1500,
    lane: "bulk",
    job_id: jobId,
    event_at: null,
    returned_at: null,
    return: null,
    revokes_return_of: null,
    results: [target("accounts/aaa", "verified"), target("zones/bbb", "not_applicable")],
  };
  await runInDurableObject(scratch, async (_instance, state) => {
    auditOutcome(state.storage, record, now, "followed_up");
    flushPartialBatches(state.storage, now);
    await writeChain(state.storage, now);
  });
  const { keys } = await env.AUDIT_LOG.list({ prefix: "outcome:" });
  const key = keys.find((listed) => listed.name.includes(`:${jobId}:batch-`))!.name;
  const entry = { key, ...((await env.AUDIT_LOG.get(key, "json")) as Record<string, unknown>) };
  expect(entry).toMatchObject({
    outcomes: [
      {
        received_at: record.received_at,
        targets: record.targets,
        time_to_revoke_ms: 1500,
        verification: { "accounts/aaa": "verified", "zones/bbb": "not_applicable" },
      },
    ],
  });
  const [header, row] = exportCsv([entry], true).trim().split("\n");
  const cells = Object.fromEntries(header!.split(",").map((column, i) => [column, row!.split(",")[i]]));
  expect(cells).toMatchObject({
    kind: "outcome",
    status: "followed_up",
    source: "bulk",
    job_id: jobId,
    targets: "accounts/aaa zones/bbb",
    received_at: record.received_at,
    completed_at: new Date(now).toISOString(),
    time_to_revoke_ms: "1500",
    verification: "accounts/aaa=verified zones/bbb=not_applicable",
  });
});
