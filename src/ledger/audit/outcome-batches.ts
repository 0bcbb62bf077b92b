// A revocation's outcome as an audit entry: its own, or for a bulk revocation a place in its job's next
// batch (table audit_batch), appended to the chain as one entry per AUDIT_BATCH_SIZE outcomes
// (src/audit/audit-log.ts: outcomeBatchEntry). The entries go to KV from the chain (chain-writer.ts).
// Contract: synchronous SQLite, run inside the ledger's transactions, so a batch is taken exactly once. A
// revocation may have several outcomes in a batch (revoked, then followed_up or still_active): one per status.
// Why batches: the Workers Free plan allows 1,000 KV writes a day; one entry per person would spend it
// twenty times over on a 10,000-person job. A 10,000-person job costs ~100 writes.
import { type BatchedOutcome, outcomeBatchEntry, outcomeEntry, verificationByTarget } from "../../audit/audit-log";
import type { RevocationRecord } from "../../domain/revocation";
import { appendAuditEntry } from "./chain";

export const AUDIT_BATCH_SIZE = 100;

/** Queues an outcome for the job's next KV batch; answers the batch once it is full. */
function queueBatchedOutcome(sql: SqlStorage, jobId: string, entry: BatchedOutcome): BatchedOutcome[] | null {
  sql.exec(
    `INSERT OR REPLACE INTO audit_batch (job_id, revocation_id, email, status, at, received_at, targets, ttr_ms, verification)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    jobId,
    entry.revocation_id,
    entry.email,
    entry.status,
    entry.at,
    entry.received_at,
    JSON.stringify(entry.targets),
    entry.time_to_revoke_ms,
    entry.verification === null ? null : JSON.stringify(entry.verification),
  );
  const waiting = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM audit_batch WHERE job_id = ?", jobId).one().n;
  return waiting >= AUDIT_BATCH_SIZE ? takeBatch(sql, jobId) : null;
}

/** Every partial batch, for when the drain has nothing left to send (a job's last outcomes). */
function takePartialBatches(sql: SqlStorage): { jobId: string; batch: BatchedOutcome[] }[] {
  const jobs = sql.exec<{ job_id: string }>("SELECT DISTINCT job_id FROM audit_batch").toArray();
  return jobs.map(({ job_id }) => ({ jobId: job_id, batch: takeBatch(sql, job_id) }));
}

type BatchRow = Omit<BatchedOutcome, "received_at" | "targets" | "time_to_revoke_ms" | "verification"> & {
  /** Null in rows queued before migration v10. */
  received_at: number | null;
  targets: string | null;
  ttr_ms: number | null;
  verification: string | null;
};

function takeBatch(sql: SqlStorage, jobId: string): BatchedOutcome[] {
  const rows = sql
    .exec<BatchRow>(
      "SELECT revocation_id, email, status, at, received_at, targets, ttr_ms, verification FROM audit_batch WHERE job_id = ? ORDER BY at LIMIT ?",
      jobId,
      AUDIT_BATCH_SIZE,
    )
    .toArray();
  for (const row of rows) {
    sql.exec("DELETE FROM audit_batch WHERE job_id = ? AND revocation_id = ? AND status = ?", jobId, row.revocation_id, row.status);
  }
  return rows.map(({ ttr_ms, ...row }) => ({
    ...row,
    received_at: row.received_at ?? row.at,
    targets: row.targets ? (JSON.parse(row.targets) as string[]) : [],
    time_to_revoke_ms: ttr_ms,
    verification: row.verification ? (JSON.parse(row.verification) as Record<string, string>) : null,
  }));
}

/**
 * Appends a revocation's outcome to the audit chain: its own entry, or for a bulk revocation its place in
 * the job's next batch (appended when the batch is full). Runs in its own transaction.
 */
export function auditOutcome(storage: DurableObjectStorage, record: RevocationRecord, now: number, label: string = record.status): void {
  storage.transactionSync(() => {
    if (!record.job_id) {
      appendAuditEntry(storage.sql, outcomeEntry(record, now, label), now);
      return;
    }
    const entry: BatchedOutcome = {
      revocation_id: record.id,
      email: record.email ?? "",
      status: label,
      at: now,
      received_at: Date.parse(record.received_at),
      targets: record.targets,
      time_to_revoke_ms: record.time_to_revoke_ms,
      verification: verificationByTarget(record),
    };
    const batch = queueBatchedOutcome(storage.sql, record.job_id, entry);
    if (batch) appendAuditEntry(storage.sql, outcomeBatchEntry(record.job_id, batch, now), now);
  });
}

/** Appends the outcomes still waiting for a full batch (a drain slice ended: a job's last outcomes); answers how many entries. */
export function flushPartialBatches(storage: DurableObjectStorage, now: number): number {
  return storage.transactionSync(() => {
    const pending = takePartialBatches(storage.sql);
    for (const { jobId, batch } of pending) appendAuditEntry(storage.sql, outcomeBatchEntry(jobId, batch, now), now);
    return pending.length;
  });
}
