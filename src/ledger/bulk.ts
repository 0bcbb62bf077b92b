// Bulk offboarding: the records of POST /v1/revocations/bulk, the jobs they form, and how their outcomes
// reach the KV audit log in batches.
// Contract: validateBulkRow is pure; the rest is synchronous SQLite run inside the ledger's transactions.
// A job is keyed by its Idempotency-Key and remembers its body's digest and how many chunks are committed,
// so resubmitting the same body completes a job that stopped part-way and never counts a line twice.
import * as z from "zod/mini";
import type { BatchedOutcome } from "../audit/audit-log";
import { describeIssues, EmailSchema } from "../validation";

/** Outcomes of bulk revocations are written to KV this many to an entry: a 10,000-person job costs ~100 writes. */
export const AUDIT_BATCH_SIZE = 100;
const MAX_REPORTED_REJECTIONS = 100;

const BulkLineSchema = z.object({
  email: EmailSchema,
  user_uid: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  reason: z.optional(z.string().check(z.maxLength(500))),
});
export type BulkLine = z.infer<typeof BulkLineSchema>;

/** One record of an upload (operator/upload.ts reads them): its fields as an object, or why it could not be read. */
export type UploadRow = { line: number; value: unknown } | { line: number; error: string };

/** One record of an upload, validated: an email, optionally a user uid and a reason. */
export function validateBulkRow(value: unknown): { ok: true; value: BulkLine } | { ok: false; reason: string } {
  const parsed = BulkLineSchema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: describeIssues(parsed.error) };
}

export type JobCounts = { lines: number; accepted: number; duplicates: number; rejected: number; rejections: { line: number; reason: string }[] };

type JobRow = {
  id: string;
  created_at: number;
  lines: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  rejections: string;
  body_digest: string | null;
  chunks_committed: number;
  complete: number;
};

/** Where a submission stands against the job its Idempotency-Key names. */
export type JobOpening =
  | { state: "open"; chunks_committed: number }
  | { state: "complete"; counts: JobCounts }
  | { state: "conflict"; created_at: string };

/**
 * Opens a job for a body with this digest: a new job, one whose earlier submission of the same body
 * stopped part-way (its committed chunks are skipped), one already complete (nothing is counted again),
 * or a conflict (the key was used for a different body).
 */
export function openJob(sql: SqlStorage, jobId: string, digest: string, now: number): JobOpening {
  sql.exec("INSERT OR IGNORE INTO jobs (id, created_at, body_digest) VALUES (?, ?, ?)", jobId, now, digest);
  const job = sql.exec<JobRow>("SELECT * FROM jobs WHERE id = ?", jobId).one();
  if (job.body_digest !== digest) return { state: "conflict", created_at: new Date(job.created_at).toISOString() };
  if (job.complete === 1) return { state: "complete", counts: countsOf(job) };
  return { state: "open", chunks_committed: job.chunks_committed };
}

/** Whether chunk `index` is the next one to commit (an earlier submission may have committed it). */
export function isNextChunk(sql: SqlStorage, jobId: string, index: number): boolean {
  return sql.exec<{ chunks_committed: number }>("SELECT chunks_committed FROM jobs WHERE id = ?", jobId).one().chunks_committed === index;
}

export function addChunkToJob(sql: SqlStorage, jobId: string, counts: JobCounts): void {
  const row = sql.exec<{ rejections: string }>("SELECT rejections FROM jobs WHERE id = ?", jobId).one();
  const rejections = [...(JSON.parse(row.rejections) as JobCounts["rejections"]), ...counts.rejections].slice(0, MAX_REPORTED_REJECTIONS);
  sql.exec(
    `UPDATE jobs SET lines = lines + ?, accepted = accepted + ?, duplicates = duplicates + ?, rejected = rejected + ?,
       rejections = ?, chunks_committed = chunks_committed + 1 WHERE id = ?`,
    counts.lines, counts.accepted, counts.duplicates, counts.rejected, JSON.stringify(rejections), jobId,
  );
}

export function completeJob(sql: SqlStorage, jobId: string): JobCounts {
  sql.exec("UPDATE jobs SET complete = 1 WHERE id = ?", jobId);
  return countsOf(sql.exec<JobRow>("SELECT * FROM jobs WHERE id = ?", jobId).one());
}

function countsOf(job: JobRow): JobCounts {
  return {
    lines: job.lines,
    accepted: job.accepted,
    duplicates: job.duplicates,
    rejected: job.rejected,
    rejections: JSON.parse(job.rejections) as JobCounts["rejections"],
  };
}

export type JobProgress = JobCounts & {
  id: string;
  created_at: string;
  by_status: Record<string, number>;
  /** Calls still to make before this job's last one, at the configured pace. */
  pending_calls_ahead: number;
  estimated_completion: string | null;
};

export function readJob(sql: SqlStorage, jobId: string, ratePerSecond: number, now: number): JobProgress | null {
  const job = sql.exec<JobRow>("SELECT * FROM jobs WHERE id = ?", jobId).toArray()[0];
  if (!job) return null;
  const byStatus: Record<string, number> = {};
  for (const row of sql.exec<{ status: string; n: number }>("SELECT status, COUNT(*) AS n FROM revocations WHERE job_id = ? GROUP BY status", jobId)) {
    byStatus[row.status] = row.n;
  }
  const last = sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM revocations WHERE job_id = ?", jobId).one().seq;
  const ahead =
    last === null ? 0 : sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM calls WHERE state = 'pending' AND revocation_seq <= ?", last).one().n;
  return {
    id: job.id,
    created_at: new Date(job.created_at).toISOString(),
    ...countsOf(job),
    by_status: byStatus,
    pending_calls_ahead: ahead,
    estimated_completion: ahead === 0 ? null : new Date(now + (ahead / ratePerSecond) * 1000).toISOString(),
  };
}

/** Queues an outcome for the job's next KV batch; answers the batch once it is full. */
export function queueBatchedOutcome(sql: SqlStorage, jobId: string, entry: BatchedOutcome): BatchedOutcome[] | null {
  sql.exec(
    "INSERT OR REPLACE INTO audit_batch (job_id, revocation_id, email, status, at) VALUES (?, ?, ?, ?, ?)",
    jobId, entry.revocation_id, entry.email, entry.status, entry.at,
  );
  const waiting = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM audit_batch WHERE job_id = ?", jobId).one().n;
  return waiting >= AUDIT_BATCH_SIZE ? takeBatch(sql, jobId) : null;
}

/** Every partial batch, for when the drain has nothing left to send (a job's last outcomes). */
export function takePartialBatches(sql: SqlStorage): { jobId: string; batch: BatchedOutcome[] }[] {
  const jobs = sql.exec<{ job_id: string }>("SELECT DISTINCT job_id FROM audit_batch").toArray();
  return jobs.map(({ job_id }) => ({ jobId: job_id, batch: takeBatch(sql, job_id) }));
}

function takeBatch(sql: SqlStorage, jobId: string): BatchedOutcome[] {
  const batch = sql
    .exec<BatchedOutcome>("SELECT revocation_id, email, status, at FROM audit_batch WHERE job_id = ? ORDER BY at LIMIT ?", jobId, AUDIT_BATCH_SIZE)
    .toArray();
  for (const row of batch) sql.exec("DELETE FROM audit_batch WHERE job_id = ? AND revocation_id = ?", jobId, row.revocation_id);
  return batch;
}
