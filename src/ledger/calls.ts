// The drain's tables in the ledger's SQLite: calls (one per revocation, Cloudflare target and kind: the
// revocation itself, then its follow-ups), target holds and the persisted pace, pause and switched-off
// follow-ups. Contract: synchronous SQLite; `now` is passed in. A call's revocation is settled through
// revocations.ts, never written here.
import { type CallAttempt, type CallKind, type CallState, MAX_HISTORY, type RevocationStatus } from "../domain/revocation";
import type { Lane } from "./lanes";
import { countAttempt, noteRetry, requeueHoldFailures, settleRevocation } from "./revocations";
import type { CallRow } from "./schema";

/** A call that is due, with what sending it needs from its revocation. */
export type DueCall = CallRow & { email: string; user_uid: string | null; devices: number; warp_session_reauth: number; queued_at: number };

export const callKey = (call: Pick<CallRow, "revocation_seq" | "target" | "kind">) => `${call.revocation_seq}/${call.target}/${call.kind}`;

/** Whether a kind is a revoke_user call (the revocation itself, or the one a verification asks for). */
export const isRevokeKind = (kind: CallKind) => kind === "revoke" || kind === "re_revoke";

/** The lanes and groups that have pending calls, and how many (lanes.ts takes turns among them; jobs.ts counts a job's). */
export function pendingGroups(sql: SqlStorage): { lane: Lane; group: string; pending: number }[] {
  return sql
    .exec<{ lane: Lane; grp: string; n: number }>("SELECT lane, grp, COUNT(*) AS n FROM calls WHERE state = 'pending' GROUP BY lane, grp")
    .toArray()
    .map((row) => ({ lane: row.lane, group: row.grp, pending: row.n }));
}

/**
 * A group's oldest due call (earliest due, then oldest revocation), skipping held targets and the calls
 * this instance has in flight (their lease is for an evicted instance, not for this one).
 */
export function dueHead(sql: SqlStorage, lane: Lane, group: string, now: number, inFlight: ReadonlySet<string>): DueCall | null {
  const rows = sql
    .exec<DueCall>(
      `SELECT c.*, r.email, r.user_uid, r.devices, r.warp_session_reauth, r.queued_at
       FROM calls c JOIN revocations r ON r.seq = c.revocation_seq
       WHERE c.state = 'pending' AND c.lane = ? AND c.grp = ? AND c.next_attempt_at <= ?
         AND c.target NOT IN (SELECT target FROM target_holds WHERE until > ?)
       ORDER BY c.next_attempt_at, c.revocation_seq LIMIT ?`,
      lane,
      group,
      now,
      now,
      1 + inFlight.size,
    )
    .toArray();
  return rows.find((row) => !inFlight.has(callKey(row))) ?? null;
}

/** Pending calls per lane (what waits in each). */
export function pendingByLane(sql: SqlStorage): Record<Lane, number> {
  const counts: Record<Lane, number> = { urgent: 0, bulk: 0, follow_up: 0 };
  for (const row of sql.exec<{ lane: Lane; n: number }>("SELECT lane, COUNT(*) AS n FROM calls WHERE state = 'pending' GROUP BY lane")) {
    counts[row.lane] = row.n;
  }
  return counts;
}

/** When the next pending call becomes due, after its target's hold; null when nothing is pending. */
export function earliestDue(sql: SqlStorage): number | null {
  const call = sql
    .exec<{ at: number | null }>(
      `SELECT MIN(MAX(c.next_attempt_at, COALESCE(h.until, 0))) AS at
       FROM calls c LEFT JOIN target_holds h ON h.target = c.target WHERE c.state = 'pending'`,
    )
    .one().at;
  // Follow-ups still to plan are due as soon as their revocation succeeded (planned when nothing else waits).
  const unplanned = sql.exec<{ at: number | null }>("SELECT MIN(completed_at) AS at FROM calls WHERE follow_ups_due IS NOT NULL").one().at;
  return call === null ? unplanned : unplanned === null ? call : Math.min(call, unplanned);
}

export function pendingCount(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM calls WHERE state = 'pending'").one().n;
}

/** Leases a call for one attempt: if no answer is recorded by `leaseUntil` (eviction), it is due again. */
export function leaseCall(sql: SqlStorage, call: DueCall, leaseUntil: number): void {
  sql.exec(
    "UPDATE calls SET attempts = attempts + 1, next_attempt_at = ?, leased = 1 WHERE revocation_seq = ? AND target = ? AND kind = ?",
    leaseUntil,
    call.revocation_seq,
    call.target,
    call.kind,
  );
  if (isRevokeKind(call.kind)) countAttempt(sql, call.revocation_seq);
}

/** The call's history (JSON) with one more attempt, the oldest dropped past MAX_HISTORY. */
function withAttempt(history: string, attempt: CallAttempt): string {
  return JSON.stringify([...(JSON.parse(history) as CallAttempt[]), attempt].slice(-MAX_HISTORY));
}

export type CallResult = {
  state: Exclude<CallState, "pending">;
  httpStatus: number | null;
  errors: unknown[];
  /** DRY_RUN: the request that would have been sent (JSON). */
  request: string | null;
  error: string | null;
  /** A follow-up's finding (JSON-able). */
  result?: unknown;
  /** A revoke call that succeeded: the follow-ups it is owed, planned later (follow-ups.ts). */
  followUpsDue?: string | null;
  /** A revoke call failed because the API refused the token at its target, which now holds: lifting the hold re-queues it. */
  holdFailed?: boolean;
};

/**
 * Records a call's final answer; a revoke call also settles its revocation (answers its status), a
 * follow-up does not (answers null).
 */
export function settleCall(sql: SqlStorage, call: DueCall, result: CallResult, now: number): RevocationStatus | null {
  const attempt = { at: new Date(now).toISOString(), http_status: result.httpStatus, outcome: result.state, error: result.error };
  sql.exec(
    `UPDATE calls SET state = ?, http_status = ?, errors = ?, request = ?, completed_at = ?, history = ?, leased = 0, result = ?, follow_ups_due = ?,
       hold_failed = ? WHERE revocation_seq = ? AND target = ? AND kind = ?`,
    result.state,
    result.httpStatus,
    JSON.stringify(result.errors),
    result.request,
    now,
    withAttempt(call.history, attempt),
    result.result === undefined ? null : JSON.stringify(result.result),
    result.followUpsDue ?? null,
    result.holdFailed ? 1 : 0,
    call.revocation_seq,
    call.target,
    call.kind,
  );
  return call.kind === "revoke" ? settleRevocation(sql, call.revocation_seq, now, result.error) : null;
}

/** Schedules a call's next attempt after a retryable answer. */
export function scheduleRetry(
  sql: SqlStorage,
  call: DueCall,
  answer: { at: number; retryAt: number; httpStatus: number | null; errors: unknown[]; error: string },
): void {
  const attempt = { at: new Date(answer.at).toISOString(), http_status: answer.httpStatus, outcome: "retry", error: answer.error };
  sql.exec(
    "UPDATE calls SET next_attempt_at = ?, http_status = ?, errors = ?, history = ?, leased = 0 WHERE revocation_seq = ? AND target = ? AND kind = ?",
    answer.retryAt,
    answer.httpStatus,
    JSON.stringify(answer.errors),
    withAttempt(call.history, attempt),
    call.revocation_seq,
    call.target,
    call.kind,
  );
  if (call.kind === "revoke") noteRetry(sql, call.revocation_seq, answer.error);
}

/**
 * A new instance starts: calls an earlier instance had handed to a fetch are not in flight any more (a
 * Durable Object runs in one place at a time), so they are due now rather than when their lease ends.
 * Answers how many. Their fetch may still have reached the API: revoke_user is idempotent.
 */
export function releaseLeases(sql: SqlStorage, now: number): number {
  return sql.exec("UPDATE calls SET next_attempt_at = MIN(next_attempt_at, ?), leased = 0 WHERE state = 'pending' AND leased = 1", now).rowsWritten;
}

export type TargetHold = { target: string; until: number; reason: string };

export function holdTarget(sql: SqlStorage, hold: TargetHold): void {
  sql.exec("INSERT OR REPLACE INTO target_holds (target, until, reason) VALUES (?, ?, ?)", hold.target, hold.until, hold.reason);
}

export function activeHolds(sql: SqlStorage, now: number): TargetHold[] {
  return sql.exec<TargetHold>("SELECT target, until, reason FROM target_holds WHERE until > ?", now).toArray();
}

// When a hold ends because an operator lifted it, or because it ran out and the API then accepted the
// token at its target again, the revocations that failed because of it are re-queued: the refusal was
// about the token, never the person. (A retry lifts every hold too, but re-drives only what it names.)

/** Lifts every hold (an operator re-drove failures, so the token may be fixed). */
export function clearHolds(sql: SqlStorage): void {
  sql.exec("DELETE FROM target_holds");
}

/**
 * Lifts one target's hold; answers it with how many revocations that failed because of it were re-queued,
 * or null when the target had none in force.
 */
export function clearHold(sql: SqlStorage, target: string, now: number): { hold: TargetHold; requeued: number } | null {
  const hold = sql.exec<TargetHold>("SELECT target, until, reason FROM target_holds WHERE target = ? AND until > ?", target, now).toArray()[0];
  sql.exec("DELETE FROM target_holds WHERE target = ?", target);
  return hold ? { hold, requeued: requeueHoldFailures(sql, target, now) } : null;
}

/**
 * A revoke call at `target` succeeded: a hold there that has run out is over (the API takes the token
 * again), so it is deleted and what failed because of it re-queued. A hold still in force stays: a call
 * sent before it began proves nothing about the token now. Answers how many revocations were re-queued.
 */
export function endOutlivedHold(sql: SqlStorage, target: string, now: number): number {
  const ended = sql.exec("DELETE FROM target_holds WHERE target = ? AND until <= ?", target, now).rowsWritten;
  return ended > 0 ? requeueHoldFailures(sql, target, now) : 0;
}

/**
 * The drain's persisted state: the last call (pace across evictions), a 429 pause, and follow-ups the API
 * refused the token for (seats_refused_until, verify_refused_until: switched off until then).
 */
export type DrainState = { last_call_at: number; paused_until: number; seats_refused_until: number; verify_refused_until: number };

const DRAIN_STATE_KEYS = ["last_call_at", "paused_until", "seats_refused_until", "verify_refused_until"] as const;

export function loadDrainState(sql: SqlStorage): DrainState {
  const state: DrainState = { last_call_at: 0, paused_until: 0, seats_refused_until: 0, verify_refused_until: 0 };
  for (const row of sql.exec<{ name: string; number_value: number }>("SELECT name, number_value FROM drain_state")) {
    const key = DRAIN_STATE_KEYS.find((name) => name === row.name);
    if (key) state[key] = row.number_value;
  }
  return state;
}

export function saveDrainState(sql: SqlStorage, change: Partial<DrainState>): void {
  for (const [name, value] of Object.entries(change)) {
    sql.exec("INSERT OR REPLACE INTO drain_state (name, number_value) VALUES (?, ?)", name, value);
  }
}
