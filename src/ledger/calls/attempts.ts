// A call's attempts in the calls table: leased to a fetch, answered (finally, or with a retry scheduled),
// released after an eviction, re-queued for an operator's retry or a lifted hold; and a revocation's calls
// read back. Contract: synchronous SQLite, inside the caller's transaction; `now` is passed in. What an
// answer means for the revocation is its own folder's (revocations/settle.ts): the drain does both.
import { type CallAttempt, type CallState, MAX_HISTORY } from "../../domain/revocation";
import type { DueCall } from "./queue";
import type { CallRow } from "./schema";

/** Leases a call for one attempt: if no answer is recorded by `leaseUntil` (eviction), it is due again. */
export function leaseCall(sql: SqlStorage, call: DueCall, leaseUntil: number): void {
  sql.exec(
    "UPDATE calls SET attempts = attempts + 1, next_attempt_at = ?, leased = 1 WHERE revocation_seq = ? AND target = ? AND kind = ?",
    leaseUntil,
    call.revocation_seq,
    call.target,
    call.kind,
  );
}

/**
 * A new instance starts: calls an earlier instance had handed to a fetch are not in flight any more (a
 * Durable Object runs in one place at a time), so they are due now rather than when their lease ends.
 * Answers how many. Their fetch may still have reached the API: revoke_user is idempotent.
 */
export function releaseLeases(sql: SqlStorage, now: number): number {
  return sql.exec("UPDATE calls SET next_attempt_at = MIN(next_attempt_at, ?), leased = 0 WHERE state = 'pending' AND leased = 1", now).rowsWritten;
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
  /** A revoke call that succeeded: the follow-ups it is owed, planned later (follow-ups/). */
  followUpsDue?: string | null;
  /** A revoke call failed because the API refused the token at its target, which now holds: lifting the hold re-queues it. */
  holdFailed?: boolean;
};

/** Records a call's final answer. */
export function finishCall(sql: SqlStorage, call: DueCall, result: CallResult, now: number): void {
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
}

/** A revocation's failed revoke calls, due again now (an operator's retry). */
export function requeueFailedCalls(sql: SqlStorage, seq: number, now: number): void {
  sql.exec(
    "UPDATE calls SET state = 'pending', next_attempt_at = ?, completed_at = NULL, hold_failed = 0 WHERE revocation_seq = ? AND kind = 'revoke' AND state = 'failed'",
    now,
    seq,
  );
}

/** A revocation's revoke call at `target`, due again now (the hold that failed it was lifted). */
export function requeueTargetCall(sql: SqlStorage, seq: number, target: string, now: number): void {
  sql.exec(
    "UPDATE calls SET state = 'pending', next_attempt_at = ?, completed_at = NULL, hold_failed = 0 WHERE revocation_seq = ? AND target = ? AND kind = 'revoke'",
    now,
    seq,
    target,
  );
}

/** The states of a revocation's revoke calls (one per target), which its status is settled from. */
export function revokeCallStates(sql: SqlStorage, seq: number): CallState[] {
  return sql
    .exec<{ state: CallState }>("SELECT state FROM calls WHERE revocation_seq = ? AND kind = 'revoke'", seq)
    .toArray()
    .map((row) => row.state);
}

/** Every call of a revocation (its revoke calls and follow-ups), by target: what its record shows. */
export function callsOfRevocation(sql: SqlStorage, seq: number): CallRow[] {
  return sql.exec<CallRow>("SELECT * FROM calls WHERE revocation_seq = ? ORDER BY target", seq).toArray();
}
