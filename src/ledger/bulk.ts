// Bulk offboarding: the lines of POST /v1/revocations/bulk, the jobs they form, and how their outcomes
// reach the KV audit log in batches.
// Contract: parseBulkLine is pure; the rest is synchronous SQLite run inside the ledger's transactions.
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

/** One NDJSON object, or one CSV row "email[,user_uid[,reason]]" (fields may be double-quoted). */
export function parseBulkLine(line: string): { ok: true; value: BulkLine } | { ok: false; reason: string } {
  let candidate: unknown;
  if (line.startsWith("{")) {
    try {
      candidate = JSON.parse(line);
    } catch {
      return { ok: false, reason: "not valid JSON" };
    }
  } else {
    const fields = line.split(",").map((field) => field.trim().replace(/^"(.*)"$/, "$1"));
    if (fields.length > 3) return { ok: false, reason: "a CSV line has at most email,user_uid,reason" };
    candidate = { email: fields[0], user_uid: fields[1] || undefined, reason: fields[2] || undefined };
  }
  const parsed = BulkLineSchema.safeParse(candidate);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: describeIssues(parsed.error) };
}

export function isHeaderLine(line: string): boolean {
  return /^"?email"?\s*(,|$)/i.test(line);
}

export type JobCounts = { lines: number; accepted: number; duplicates: number; rejected: number; rejections: { line: number; reason: string }[] };

export function addToJob(sql: SqlStorage, jobId: string, now: number, counts: JobCounts): void {
  sql.exec("INSERT OR IGNORE INTO jobs (id, created_at) VALUES (?, ?)", jobId, now);
  const row = sql.exec<{ rejections: string }>("SELECT rejections FROM jobs WHERE id = ?", jobId).one();
  const rejections = [...(JSON.parse(row.rejections) as JobCounts["rejections"]), ...counts.rejections].slice(0, MAX_REPORTED_REJECTIONS);
  sql.exec(
    "UPDATE jobs SET lines = lines + ?, accepted = accepted + ?, duplicates = duplicates + ?, rejected = rejected + ?, rejections = ? WHERE id = ?",
    counts.lines, counts.accepted, counts.duplicates, counts.rejected, JSON.stringify(rejections), jobId,
  );
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
  const job = sql
    .exec<{ id: string; created_at: number; lines: number; accepted: number; duplicates: number; rejected: number; rejections: string }>(
      "SELECT * FROM jobs WHERE id = ?",
      jobId,
    )
    .toArray()[0];
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
    lines: job.lines,
    accepted: job.accepted,
    duplicates: job.duplicates,
    rejected: job.rejected,
    rejections: JSON.parse(job.rejections) as JobCounts["rejections"],
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
