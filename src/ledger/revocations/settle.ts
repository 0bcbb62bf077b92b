// A revocation as its calls answer: attempts counted, the reason it is not done yet, its status settled
// from its revoke calls' states, still_active after a verification, and re-queued for an operator's retry
// or when the hold that failed it is lifted. Contract: synchronous SQLite, inside the caller's transaction;
// `now` is passed in. The calls themselves are calls/'s: the drain records a call's answer there, then this.
import { type RevocationStatus, settledStatus, TERMINAL_STATUSES } from "../../domain/revocation";
import { requeueFailedCalls, requeueTargetCall, revokeCallStates } from "../calls/attempts";
import { rowById } from "./records";
import type { RevocationRow } from "./schema";

/** One more attempt was sent for a revocation (the drain's lease). */
export function countAttempt(sql: SqlStorage, seq: number): void {
  sql.exec("UPDATE revocations SET attempts = attempts + 1 WHERE seq = ?", seq);
}

/** A call will be retried: the revocation shows why it is not done yet. */
export function noteRetry(sql: SqlStorage, seq: number, error: string): void {
  sql.exec("UPDATE revocations SET last_error = ? WHERE seq = ?", error, seq);
}

/**
 * The revocation's status from its calls' states, once one of them changed; answers it. last_error says
 * why the revocation is not done: it goes once every target succeeded (earlier errors stay in each
 * target's history).
 */
export function settleRevocation(sql: SqlStorage, seq: number, now: number, error: string | null): RevocationStatus {
  const settled = settledStatus(revokeCallStates(sql, seq));
  const terminal = TERMINAL_STATUSES.has(settled);
  const done = settled === "revoked" || settled === "not_found";
  sql.exec(
    `UPDATE revocations SET status = ?, completed_at = ?, last_error = CASE WHEN ? THEN NULL ELSE COALESCE(?, last_error) END,
       ttr_ms = CASE WHEN ? THEN ? - received_at ELSE NULL END WHERE seq = ?`,
    settled,
    terminal ? now : null,
    terminal && settled !== "failed" ? 1 : 0,
    error,
    done ? 1 : 0,
    now,
    seq,
  );
  return settled;
}

/** A verification found a session (or a login) after the revocation: the operator must act in the IdP. */
export function markStillActive(sql: SqlStorage, seq: number, now: number): void {
  sql.exec(
    "UPDATE revocations SET status = 'still_active', last_error = ? WHERE seq = ?",
    `verified at ${new Date(now).toISOString()}: still active after the revocation; revoked once more, act in the identity provider`,
    seq,
  );
}

/** Re-queues a failed revocation's failed calls, due now; answers false when it is not failed. */
export function requeueFailed(sql: SqlStorage, row: RevocationRow, now: number): boolean {
  if (row.status !== "failed") return false;
  requeueFailedCalls(sql, row.seq, now);
  sql.exec("UPDATE revocations SET status = 'queued', queued_at = ?, completed_at = NULL WHERE seq = ?", now, row.seq);
  return true;
}

/**
 * An operator's retry of one revocation: its failed calls are due again with a fresh retry budget (the
 * caller lifts every token hold: the token may be fixed). Answers false for an unknown id or a revocation not failed.
 */
export function retryRevocation(sql: SqlStorage, id: string, now: number): boolean {
  const row = rowById(sql, id);
  return row !== undefined && requeueFailed(sql, row, now);
}

/**
 * A target's hold was lifted: its revoke calls that failed because the API refused the token there
 * (calls.hold_failed) are due again now, and their failed revocations are queued with a fresh retry
 * budget. A revocation's failures elsewhere stay failed (it settles failed again if one of them remains).
 * Answers how many revocations were re-queued.
 */
export function requeueHoldFailures(sql: SqlStorage, target: string, now: number): number {
  const seqs = sql
    .exec<{ seq: number }>(
      `SELECT r.seq FROM revocations r JOIN calls c ON c.revocation_seq = r.seq
       WHERE c.target = ? AND c.kind = 'revoke' AND c.state = 'failed' AND c.hold_failed = 1 AND r.status IN ('failed', 'queued')`,
      target,
    )
    .toArray()
    .map((row) => row.seq);
  for (const seq of seqs) {
    requeueTargetCall(sql, seq, target, now);
    sql.exec("UPDATE revocations SET status = 'queued', queued_at = ?, completed_at = NULL WHERE seq = ? AND status = 'failed'", now, seq);
  }
  return seqs.length;
}
