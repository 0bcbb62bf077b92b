// Bulk jobs in the ledger's SQLite: the job an Idempotency-Key names, its counts, its chunks, its progress.
// Contract: synchronous SQLite run inside the ledger's transactions. A job remembers its body's digest
// and how many chunks are committed, so resubmitting the same body completes a job that stopped part-way
// and never counts a record twice, and a different body under the same key is refused.

import { emptyCounts, type JobCounts, type JobCursor, jobCursorText, type UploadRow, validateBulkRow } from "../../domain/bulk";
import { isoOrNull, type JobSummary, type JobView, type Waiting } from "../../domain/views";
import { pendingGroups, pendingTargetsOfJob } from "../calls/queue";
import { loadDrainState } from "../drain/state";

type PendingGroup = ReturnType<typeof pendingGroups>[number];

import { followUpCounts } from "../follow-ups/counts";
import { commitRequest } from "../revocations/commit";
import { requeueFailed } from "../revocations/settle";
import { timeToRevokeOfJob } from "../revocations/time-to-revoke";
import type { RevocationRow } from "../schema";
import type { CommitContext } from "../store/context";

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

/** A job as the jobs list shows it. */
function summaryOf(sql: SqlStorage, job: JobRow, pendingCalls: number): JobSummary {
  const byStatus: Record<string, number> = {};
  for (const row of sql.exec<{ status: string; n: number }>(
    "SELECT status, COUNT(*) AS n FROM revocations WHERE job_id = ? GROUP BY status",
    job.id,
  )) {
    byStatus[row.status] = row.n;
  }
  const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  const open = (byStatus.queued ?? 0) + (byStatus.unresolved ?? 0);
  const lastDone =
    open === 0 ? sql.exec<{ at: number | null }>("SELECT MAX(completed_at) AS at FROM revocations WHERE job_id = ?", job.id).one().at : null;
  return {
    id: job.id,
    created_at: new Date(job.created_at).toISOString(),
    lines: job.lines,
    accepted: job.accepted,
    duplicates: job.duplicates,
    rejected: job.rejected,
    by_status: byStatus,
    percent_done: total === 0 ? 100 : Math.floor(((total - open) / total) * 1000) / 10,
    completed_at: isoOrNull(lastDone),
    pending_calls: pendingCalls,
  };
}

/** A job's calls still to send, follow-ups included (they are grouped by job too). */
function pendingOfJob(waiting: PendingGroup[], jobId: string): number {
  return waiting.filter((row) => row.group === jobId).reduce((sum, row) => sum + row.pending, 0);
}

/** Jobs newest first; `cursor` is the creation time and id of the last job of the previous page. */
export function listJobs(sql: SqlStorage, limit: number, cursor?: JobCursor): { jobs: JobSummary[]; cursor: string | null } {
  const rows = cursor
    ? sql
        .exec<JobRow>(
          "SELECT * FROM jobs WHERE created_at < ? OR (created_at = ? AND id < ?) ORDER BY created_at DESC, id DESC LIMIT ?",
          cursor.created_at,
          cursor.created_at,
          cursor.id,
          limit + 1,
        )
        .toArray()
    : sql.exec<JobRow>("SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?", limit + 1).toArray();
  const page = rows.slice(0, limit);
  const waiting = pendingGroups(sql);
  const last = page.at(-1);
  return {
    jobs: page.map((job) => summaryOf(sql, job, pendingOfJob(waiting, job.id))),
    cursor: rows.length > limit && last ? jobCursorText(last) : null,
  };
}

/** Why the job's calls are not going out now: a 429 pause, holds on every target it waits for, or urgent calls first. */
function waitingOf(sql: SqlStorage, jobId: string, urgentWaiting: number, now: number): Waiting | null {
  const { paused_until } = loadDrainState(sql);
  if (paused_until > now) {
    const until = new Date(paused_until).toISOString();
    return { reason: "paused", message: `Cloudflare answered 429 (or its Ratelimit budget ran out): every call waits until ${until}`, until };
  }
  const targets = pendingTargetsOfJob(sql, jobId, now);
  if (targets.length > 0 && targets.every((target) => target.until !== null)) {
    const first = targets.reduce((soonest, target) => (target.until! < soonest.until! ? target : soonest));
    const until = new Date(first.until!).toISOString();
    const held = targets.map((target) => target.target).join(", ");
    return {
      reason: "held",
      message: `the API refused the token for ${held} (${first.reason}); calls there wait until ${until} or until the hold is cleared`,
      until,
    };
  }
  if (urgentWaiting > 0) return { reason: "urgent_first", message: `${urgentWaiting} urgent call(s) go first`, until: null };
  return null;
}

export function readJob(sql: SqlStorage, jobId: string, ratePerSecond: number, now: number): JobView | null {
  const job = sql.exec<JobRow>("SELECT * FROM jobs WHERE id = ?", jobId).toArray()[0];
  if (!job) return null;
  const waiting = pendingGroups(sql);
  const pending = pendingOfJob(waiting, jobId);
  const summary = summaryOf(sql, job, pending);
  const mine = waiting.find((row) => row.lane === "bulk" && row.group === jobId)?.pending ?? 0;
  const urgent = waiting.filter((row) => row.lane === "urgent").reduce((sum, row) => sum + row.pending, 0);
  const ahead =
    mine === 0
      ? 0
      : urgent +
        waiting.filter((row) => row.lane === "bulk" && row.group !== jobId).reduce((sum, row) => sum + Math.min(row.pending, mine), 0) +
        mine;
  const doneLastMinute = sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM revocations WHERE job_id = ? AND completed_at >= ?", jobId, now - 60_000)
    .one().n;
  return {
    ...summary,
    rejections: countsOf(job).rejections,
    pending_calls_ahead: ahead,
    jobs_in_lane: waiting.filter((row) => row.lane === "bulk").length,
    estimated_completion: ahead === 0 ? null : new Date(now + (ahead / ratePerSecond) * 1000).toISOString(),
    // Over the last minute, or over the job's life when it is younger (a 10-second-old job is not at 1/6 of its pace).
    rate_per_second: Math.round((doneLastMinute / Math.max(1, Math.min(60, (now - job.created_at) / 1000))) * 10) / 10,
    waiting: pending === 0 ? null : waitingOf(sql, jobId, urgent, now),
    time_to_revoke: timeToRevokeOfJob(sql, jobId),
    follow_ups: followUpCounts(sql, jobId),
  };
}

/** Re-queues every failed revocation of the job (a fresh retry budget each); null for an unknown job. */
export function retryJob(sql: SqlStorage, jobId: string, now: number): number | null {
  if (sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE id = ?", jobId).one().n === 0) return null;
  const failed = sql.exec<RevocationRow>("SELECT * FROM revocations WHERE job_id = ? AND status = 'failed'", jobId).toArray();
  return failed.filter((row) => requeueFailed(sql, row, now)).length;
}
