// A bulk job's progress, as GET /v1/jobs and /v1/jobs/{id} show it: its revocations by
// status, its calls still to send and how many go before its last one, why they wait, its pace and time to
// revoke; and its failed revocations re-queued. Contract: synchronous SQLite reads (the job's own table; the
// revocations and calls through their folders' queries), `now` passed in.
import { type JobCursor, jobCursorText } from "../../domain/bulk";
import { isoOrNull, type JobSummary, type JobView, type Waiting } from "../../domain/views";
import { pendingGroups, pendingTargetsOfJob } from "../calls/queue";
import { pausedTargets } from "../drain/token-budgets";
import { followUpCounts } from "../follow-ups/counts";
import { completedOfJobSince, countByStatus, failedOfJob, lastCompletedOfJob } from "../revocations/records";
import { requeueFailed } from "../revocations/settle";
import { timeToRevokeOfJob } from "../revocations/time-to-revoke";
import type { JobRow } from "./schema";
import { countsOf } from "./submission";

type PendingGroup = ReturnType<typeof pendingGroups>[number];

/** A job as the jobs list shows it. */
function summaryOf(sql: SqlStorage, job: JobRow, pendingCalls: number): JobSummary {
  const byStatus = countByStatus(sql, job.id);
  const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  const open = (byStatus.queued ?? 0) + (byStatus.unresolved ?? 0);
  const lastDone = open === 0 ? lastCompletedOfJob(sql, job.id) : null;
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

/**
 * Why the job's calls are not going out now: a 429 pause of the token of every target it waits for, holds on
 * every target it waits for, or urgent calls first.
 */
function waitingOf(sql: SqlStorage, jobId: string, urgentWaiting: number, now: number): Waiting | null {
  const targets = pendingTargetsOfJob(sql, jobId, now);
  const paused = pausedTargets(sql, now);
  const pauses = targets.map((target) => paused.get(target.target));
  if (pauses.length > 0 && pauses.every((pause) => pause !== undefined)) {
    const until = new Date(Math.min(...pauses.map((pause) => pause!.until))).toISOString();
    return {
      reason: "paused",
      message: `Cloudflare answered 429 for the API token of every target this job waits for: its calls wait until ${until}`,
      until,
    };
  }
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

/**
 * Revocations finished per second: over the last minute, or over the job's life when it is younger (a
 * 10-second-old job is not at 1/6 of its pace); a finished job's over its own duration, so it stays what
 * it was when it finished.
 */
function rateOf(summary: JobSummary, createdAt: number, doneLastMinute: number, now: number): number {
  const perSecond = (count: number, ms: number) => Math.round((count / Math.max(1, ms / 1000)) * 10) / 10;
  if (summary.completed_at !== null) {
    const finished = Object.values(summary.by_status).reduce((sum, n) => sum + n, 0);
    return perSecond(finished, Date.parse(summary.completed_at) - createdAt);
  }
  return perSecond(doneLastMinute, Math.min(60_000, now - createdAt));
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
  const doneLastMinute = completedOfJobSince(sql, jobId, now - 60_000);
  const waitingFor = pending === 0 ? null : waitingOf(sql, jobId, urgent, now);
  // The calls ahead at pace, from when the wait ends if it has an end (a hold, a 429 pause), so every
  // client shows the same estimate.
  const resumeAt = Math.max(now, waitingFor?.until ? Date.parse(waitingFor.until) : now);
  return {
    ...summary,
    rejections: countsOf(job).rejections,
    pending_calls_ahead: ahead,
    jobs_in_lane: waiting.filter((row) => row.lane === "bulk").length,
    estimated_completion: ahead === 0 || !(ratePerSecond > 0) ? null : new Date(resumeAt + (ahead / ratePerSecond) * 1000).toISOString(),
    rate_per_second: rateOf(summary, job.created_at, doneLastMinute, now),
    waiting: waitingFor,
    time_to_revoke: timeToRevokeOfJob(sql, jobId),
    follow_ups: followUpCounts(sql, jobId),
  };
}

/** Re-queues every failed revocation of the job (a fresh retry budget each); null for an unknown job. */
export function retryJob(sql: SqlStorage, jobId: string, now: number): number | null {
  if (sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE id = ?", jobId).one().n === 0) return null;
  return failedOfJob(sql, jobId).filter((row) => requeueFailed(sql, row, now)).length;
}
