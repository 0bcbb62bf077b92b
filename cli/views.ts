// What each API answer looks like to a person. Contract: pure; an API answer in, text out (`now` is
// passed in for "in 4m 59s"). The shapes are the operator API's (docs/cli.md links them).
import type { JobAnswer } from "../src/domain/bulk.ts";
import type { AnsweredRecord, RevocationRecord, Seat, Verification } from "../src/domain/revocation.ts";
import type { ClearedHold, Hold, ImportAnswer, JobSummary, JobView, Stats, TokenBudget, Waiting } from "../src/domain/views.ts";
import { counts, duration, fields, percentiles, rateText, status, table, time, until } from "./format.ts";
import { alertsSummary, sourcesSummary } from "./liveness.ts";
import { sweepLine } from "./reconcile-views.ts";

// ── revocations ──────────────────────────────────────────────────────────────────────────────────────

export function revocationView(record: RevocationRecord): string {
  return `${record.id}  ${status(record.status)}\n${revocationDetails(record)}`;
}

/** The record under its first line: fields, then one row per target. */
function revocationDetails(record: RevocationRecord): string {
  const lines = [
    fields([
      ["email", record.email ?? (record.subject_id ? `(unresolved subject ${record.subject_id})` : null)],
      ["user uid", record.user_uid ?? undefined],
      ["source", `${record.source} (${record.assurance})`],
      ["reason", record.reason],
      ["received", time(record.received_at)],
      ["completed", time(record.completed_at)],
      ["time to revoke", duration(record.time_to_revoke_ms)],
      ["lane", record.lane ?? undefined],
      ["job", record.job_id ?? undefined],
      ["devices", record.devices ? "revoked too" : "kept"],
      ["warp reauth", record.warp_session_reauth ? "required" : undefined],
      ["attempts", record.attempts],
      ["last error", record.last_error ?? undefined],
    ]),
  ];
  const results = record.results;
  if (results.length > 0) {
    lines.push(
      "",
      table(
        ["TARGET", "STATE", "HTTP", "ATTEMPTS", "COMPLETED", "SEAT", "VERIFICATION"],
        results.map((result) => [
          result.target,
          status(result.state),
          result.http_status,
          result.attempts,
          time(result.completed_at),
          seatText(result.seat),
          verificationText(result.verification),
        ]),
      ),
    );
    for (const result of results) {
      for (const error of result.errors) lines.push(`  ${result.target}: ${error.code ?? "error"} ${error.message}`);
    }
  }
  return lines.join("\n");
}

/** Follow-up states that need no explanation (not_applicable: a zone has no Access users or seats). */
const QUIET_STATES: ReadonlySet<string> = new Set(["removed", "verified", "not_applicable"]);

function seatText(seat: Seat | null): string | null {
  if (!seat) return null;
  return seat.detail && !QUIET_STATES.has(seat.state) ? `${status(seat.state)} (${seat.detail})` : status(seat.state);
}

function verificationText(verification: Verification | null): string | null {
  if (!verification) return null;
  const parts: string[] = [];
  if (verification.active_sessions !== null) parts.push(`${verification.active_sessions} sessions`);
  if (verification.re_revocation) parts.push(`re-revocation ${verification.re_revocation}`);
  if (verification.detail && !QUIET_STATES.has(verification.state)) parts.push(verification.detail);
  return parts.length > 0 ? `${status(verification.state)} (${parts.join(", ")})` : status(verification.state);
}

export function revocationsTable(records: RevocationRecord[]): string {
  if (records.length === 0) return "no revocations";
  return table(
    ["ID", "STATUS", "EMAIL", "SOURCE", "RECEIVED", "TIME TO REVOKE", "JOB"],
    records.map((record) => [
      record.id,
      status(record.status),
      record.email ?? record.subject_id,
      record.source,
      time(record.received_at),
      duration(record.time_to_revoke_ms),
      record.job_id,
    ]),
  );
}

/** The answer to POST /v1/revocations: 200 when it finished within the API's wait, 202 while it goes on. */
/** `self`: how to run this CLI again, for the hint. */
export function revokeAnswerView(record: AnsweredRecord, httpStatus: number, self: string): string {
  const head =
    httpStatus === 202
      ? `${record.id} is ${status(record.status)}: still in progress; follow it with \`${self} status ${record.id}\``
      : `${record.id} ${status(record.status)}${record.time_to_revoke_ms === null ? "" : ` in ${duration(record.time_to_revoke_ms)}`}`;
  const repeat = record.duplicate ? "\n(this Idempotency-Key was used before: this is the earlier request's record)" : "";
  return `${head}${repeat}\n${revocationDetails(record)}`;
}

// ── jobs ─────────────────────────────────────────────────────────────────────────────────────────────

/** Revocations of a job that reached an outcome, and all of them (queued and unresolved are still open). */
export function jobProgress(job: JobSummary): { done: number; total: number } {
  const byStatus = job.by_status;
  const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  const open = (byStatus.queued ?? 0) + (byStatus.unresolved ?? 0);
  return { done: total - open, total };
}

export function jobsTable(jobs: JobSummary[]): string {
  if (jobs.length === 0) return "no jobs";
  return table(
    ["ID", "CREATED", "LINES", "ACCEPTED", "REJECTED", "DONE", "PENDING CALLS", "COMPLETED"],
    jobs.map((job) => [
      job.id,
      time(job.created_at),
      job.lines,
      job.accepted,
      job.rejected,
      `${job.percent_done}%`,
      job.pending_calls,
      time(job.completed_at),
    ]),
  );
}

function waitingText(waiting: Waiting | null, now: number): string | null {
  if (!waiting) return null;
  const when = waiting.until ? ` until ${until(waiting.until, now)}` : "";
  return `${waiting.reason}${when}${waiting.message ? `: ${waiting.message}` : ""}`;
}

export function jobView(job: JobView, now: number): string {
  const { done, total } = jobProgress(job);
  const lines = [
    `${job.id}  ${job.percent_done}% done (${done}/${total})`,
    fields([
      ["created", time(job.created_at)],
      ["completed", time(job.completed_at)],
      ["lines", `${job.lines} (${job.accepted} accepted, ${job.duplicates} duplicates, ${job.rejected} rejected)`],
      ["by status", counts(job.by_status)],
      ["pending calls", job.pending_calls],
      ["calls ahead", job.pending_calls_ahead],
      ["jobs in lane", job.jobs_in_lane],
      ["rate", `${rateText(job.rate_per_second)} revocations/s (${job.completed_at ? "over its whole run" : "over the last minute"})`],
      ["estimated done", until(job.estimated_completion, now)],
      ["waiting", waitingText(job.waiting, now) ?? "no"],
      ["time to revoke", percentiles(job.time_to_revoke)],
      ["seats", counts(job.follow_ups.seats)],
      ["verification", counts(job.follow_ups.verification)],
    ]),
  ];
  lines.push(...rejectionLines(job.rejections, job.rejected));
  return lines.join("\n");
}

export function jobSummary(job: JobView): string {
  const { done, total } = jobProgress(job);
  const took = job.completed_at ? ` in ${duration(new Date(job.completed_at).getTime() - new Date(job.created_at).getTime())}` : "";
  return [
    `${job.id}: ${done} of ${total} done${took}`,
    fields([
      ["by status", counts(job.by_status)],
      ["time to revoke", percentiles(job.time_to_revoke)],
      ["seats", counts(job.follow_ups.seats)],
      ["verification", counts(job.follow_ups.verification)],
      ["rejected lines", job.rejected],
    ]),
  ].join("\n");
}

function rejectionLines(rejections: { line: number; reason: string }[], rejected: number): string[] {
  if (rejections.length === 0) return [];
  const more = rejected > rejections.length ? [`  … and ${rejected - rejections.length} more`] : [];
  return ["rejected lines:", ...rejections.map((rejection) => `  line ${rejection.line}: ${rejection.reason}`), ...more];
}

/**
 * The answer to POST /v1/revocations/bulk, each line within 80 columns for a file-named job (whose id is
 * 43 characters): a command a person copies gets a line of its own. `resubmit`: when the key was the
 * file's digest, the command that sends it again as a new job.
 */
export function bulkAnswerView(answer: JobAnswer, resubmit: string | null): string {
  if (answer.duplicate) {
    return resubmit
      ? [
          `${answer.job_id}: already submitted, nothing added`,
          "(the job is named after the file's SHA-256); to revoke everyone in it again:",
          `  ${resubmit}`,
        ].join("\n")
      : `${answer.job_id}: already submitted with that Idempotency-Key, nothing added`;
  }
  const summary = fields([
    ["job", answer.job_id],
    ["lines", `${answer.lines} (${answer.accepted} accepted, ${answer.duplicates} duplicates, ${answer.rejected} rejected)`],
  ]);
  return [summary, ...rejectionLines(answer.rejections, answer.rejected)].join("\n");
}

// ── the drain ────────────────────────────────────────────────────────────────────────────────────────

export function holdsView(holds: Hold[], now: number): string {
  if (holds.length === 0) return "no holds";
  return table(
    ["TARGET", "UNTIL", "REASON"],
    holds.map((hold) => [hold.target, until(hold.until, now), hold.reason]),
  );
}

/** The answer to lifting a hold. */
export function clearedView(answer: ClearedHold): string {
  const requeued =
    answer.requeued === 0
      ? "no revocation had failed because of it"
      : `${answer.requeued} revocation${answer.requeued === 1 ? "" : "s"} that failed because of it re-queued`;
  return `hold on ${answer.cleared.target} cleared (it was held for: ${answer.cleared.reason})\nits calls go out again; ${requeued}`;
}

const WHY = { auto: "auto", ceiling: "ceiling", fallback: "fallback (no budget known)" } as const;

/** "3.92/s auto", and the 429 pause when one is in force. */
function paceOf(budget: TokenBudget, now: number): string {
  const pace = `${budget.pace.per_second}/s ${WHY[budget.pace.why]}`;
  return budget.paused_until && Date.parse(budget.paused_until) > now ? `${pace}, paused ${until(budget.paused_until, now)}` : pace;
}

/** "588 of 1200 per 300 s, resets <time>", or "none yet". */
function budgetOf(budget: TokenBudget, now: number): string {
  const reported = budget.reported;
  if (!reported) return "none yet";
  const quota = reported.quota === null ? "" : ` of ${reported.quota}${reported.window_seconds === null ? "" : ` per ${reported.window_seconds} s`}`;
  return `${reported.remaining}${quota}${reported.reset_at ? `, resets ${until(reported.reset_at, now)}` : ""}`;
}

export function statsView(stats: Stats, now: number): string {
  const lanes = stats.waiting_by_lane;
  const drain = stats.drain;
  const lines = [
    fields([
      [
        "pace",
        `${stats.rate_per_second} calls/s in use (REVOKE_RATE_PER_SECOND=${stats.rate_setting}); ${stats.observed_calls_last_minute} calls in the last minute`,
      ],
      ["pending calls", `${stats.pending_calls} (urgent ${lanes.urgent}, bulk ${lanes.bulk}, follow-up ${lanes.follow_up})`],
      ["paused", drain.paused_until ? until(drain.paused_until, now) : "no"],
      ["last call", time(drain.last_call_at)],
      ["seat removal off", drain.seats_off_until ? until(drain.seats_off_until, now) : undefined],
      ["verification off", drain.verification_off_until ? until(drain.verification_off_until, now) : undefined],
      ["revocations", counts(stats.by_status)],
      ["seats", counts(stats.follow_ups.seats)],
      ["verification", counts(stats.follow_ups.verification)],
      ["reconcile", reconcileLine(stats.reconcile)],
      ["sources", sourcesSummary(stats.sources)],
      ["alerts", alertsSummary(stats.alerts)],
    ]),
    "",
    table(
      ["TOKEN", "TARGETS", "PACE", "BUDGET REPORTED", "429s, LAST HOUR"],
      stats.budgets.map((budget) => [
        budget.fingerprint,
        budget.targets.join(", "),
        paceOf(budget, now),
        budgetOf(budget, now),
        budget.rate_limited_last_hour,
      ]),
    ),
    "",
    table(
      ["LANE", "WAITING", "TIME TO REVOKE, LAST HOUR", "SINCE START"],
      Object.entries(stats.time_to_revoke).map(([lane, ttr]) => [
        lane,
        lanes[lane as keyof typeof lanes],
        percentiles(ttr.last_hour),
        percentiles(ttr.since_start),
      ]),
    ),
    "",
    stats.holds.length === 0 ? "holds: none" : "holds:",
  ];
  if (stats.holds.length > 0) lines.push(holdsView(stats.holds, now));
  const refused = stats.rejections.by_reason;
  if (refused.length > 0) {
    lines.push(
      "",
      `refused deliveries since ${time(stats.rejections.since)}:`,
      table(
        ["SOURCE", "REASON", "COUNT", "LAST"],
        refused.map((row) => [row.source, row.reason, row.count, time(row.last_at)]),
      ),
    );
  }
  return lines.join("\n");
}

/** The sweep in one line of stats (`reconcile status` has the rest). */
function reconcileLine(view: Stats["reconcile"]): string {
  const sweep = view.running ?? view.last;
  const back = view.returns.unacknowledged > 0 ? `; ${view.returns.unacknowledged} came back, not acknowledged` : "";
  return `${sweep ? sweepLine(sweep) : "no sweep yet"}${back}`;
}

// ── directory ────────────────────────────────────────────────────────────────────────────────────────

export function importView(source: string, answer: ImportAnswer): string {
  return [
    `${source}: ${answer.imported} imported, ${answer.rejected} rejected; ${answer.resolved_revocations} waiting revocations resolved`,
    ...rejectionLines(answer.rejections, answer.rejected),
  ].join("\n");
}
