// Bulk jobs in the ledger's SQLite: the job an Idempotency-Key names, its counts, its chunks, its progress.
// Contract: synchronous SQLite run inside the ledger's transactions. A job remembers its body's digest
// and how many chunks are committed, so resubmitting the same body completes a job that stopped part-way
// and never counts a record twice, and a different body under the same key is refused.

import { emptyCounts, type JobCounts, type UploadRow, validateBulkRow } from "../domain/bulk";
import { type FollowUpCounts, followUpCounts } from "./follow-up-counts";
import { type CommitContext, commitRequest } from "./revocations";
import { type TimeToRevoke, timeToRevokeOfJob } from "./time-to-revoke";

const MAX_REPORTED_REJECTIONS = 100;

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
function isNextChunk(sql: SqlStorage, jobId: string, index: number): boolean {
  return sql.exec<{ chunks_committed: number }>("SELECT chunks_committed FROM jobs WHERE id = ?", jobId).one().chunks_committed === index;
}

/**
 * Validates and commits chunk `index` of a submission; a chunk an earlier submission of the same body
 * already committed is skipped (answers null).
 */
export function commitChunk(context: CommitContext, jobId: string, index: number, rows: UploadRow[]): JobCounts | null {
  if (!isNextChunk(context.sql, jobId, index)) return null;
  const chunk = emptyCounts();
  for (const row of rows) {
    chunk.lines++;
    const parsed = validateBulkRow(row);
    if (!parsed.ok) {
      chunk.rejected++;
      chunk.rejections.push({ line: row.line, reason: parsed.reason });
      continue;
    }
    const receipt = commitRequest(context, {
      source: "bulk",
      assurance: "operator",
      event_id: `${jobId}:${parsed.value.email}`,
      event_type: "bulk.revoke",
      email: parsed.value.email,
      user_uid: parsed.value.user_uid ?? null,
      reason: parsed.value.reason ?? null,
      job_id: jobId,
    });
    if (receipt.duplicate) chunk.duplicates++;
    else chunk.accepted++;
  }
  addChunkToJob(context.sql, jobId, chunk);
  return chunk;
}

function addChunkToJob(sql: SqlStorage, jobId: string, counts: JobCounts): void {
  const row = sql.exec<{ rejections: string }>("SELECT rejections FROM jobs WHERE id = ?", jobId).one();
  const rejections = [...(JSON.parse(row.rejections) as JobCounts["rejections"]), ...counts.rejections].slice(0, MAX_REPORTED_REJECTIONS);
  sql.exec(
    `UPDATE jobs SET lines = lines + ?, accepted = accepted + ?, duplicates = duplicates + ?, rejected = rejected + ?,
       rejections = ?, chunks_committed = chunks_committed + 1 WHERE id = ?`,
    counts.lines,
    counts.accepted,
    counts.duplicates,
    counts.rejected,
    JSON.stringify(rejections),
    jobId,
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
  /** Share of the accepted revocations that reached a terminal status, 0–100. */
  percent_done: number;
  /** When the last of them did (null while any is open). */
  completed_at: string | null;
  /** This job's calls still to send. */
  pending_calls: number;
  /**
   * Calls to send before this job's last one: every urgent call waiting (they always go first) and, as bulk
   * jobs take turns, from each other job as many as this job has left (or all it has, if fewer).
   */
  pending_calls_ahead: number;
  /** Bulk jobs with calls waiting, this one included: they share the bulk lane in turns. */
  jobs_in_lane: number;
  /** At the configured pace, assuming no 429 pause or token hold. */
  estimated_completion: string | null;
  /** Accepted → revoked on every target, over this job's revocations so far. */
  time_to_revoke: TimeToRevoke;
  /** This job's seat removals and verifications so far. */
  follow_ups: FollowUpCounts;
};

export function readJob(sql: SqlStorage, jobId: string, ratePerSecond: number, now: number): JobProgress | null {
  const job = sql.exec<JobRow>("SELECT * FROM jobs WHERE id = ?", jobId).toArray()[0];
  if (!job) return null;
  const byStatus: Record<string, number> = {};
  for (const row of sql.exec<{ status: string; n: number }>(
    "SELECT status, COUNT(*) AS n FROM revocations WHERE job_id = ? GROUP BY status",
    jobId,
  )) {
    byStatus[row.status] = row.n;
  }
  const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  const open = (byStatus.queued ?? 0) + (byStatus.unresolved ?? 0);
  const waiting = sql
    .exec<{ grp: string; lane: string; n: number }>("SELECT lane, grp, COUNT(*) AS n FROM calls WHERE state = 'pending' GROUP BY lane, grp")
    .toArray();
  const mine = waiting.find((row) => row.lane === "bulk" && row.grp === jobId)?.n ?? 0;
  const ahead =
    mine === 0
      ? 0
      : waiting.reduce(
          (sum, row) => sum + (row.lane === "urgent" ? row.n : row.lane === "bulk" && row.grp !== jobId ? Math.min(row.n, mine) : 0),
          0,
        ) + mine;
  const lastDone =
    open === 0 ? sql.exec<{ at: number | null }>("SELECT MAX(completed_at) AS at FROM revocations WHERE job_id = ?", jobId).one().at : null;
  return {
    id: job.id,
    created_at: new Date(job.created_at).toISOString(),
    ...countsOf(job),
    by_status: byStatus,
    percent_done: total === 0 ? 100 : Math.floor(((total - open) / total) * 1000) / 10,
    completed_at: lastDone === null ? null : new Date(lastDone).toISOString(),
    pending_calls: mine,
    pending_calls_ahead: ahead,
    jobs_in_lane: waiting.filter((row) => row.lane === "bulk").length,
    estimated_completion: ahead === 0 ? null : new Date(now + (ahead / ratePerSecond) * 1000).toISOString(),
    time_to_revoke: timeToRevokeOfJob(sql, jobId),
    follow_ups: followUpCounts(sql, jobId),
  };
}
