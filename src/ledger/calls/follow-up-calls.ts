// The follow-up calls in the calls table: the revoke calls that are owed follow-ups not planned yet
// (calls.follow_ups_due), whether a revocation's follow-ups are done, and what they came to, for the
// counts of /v1/stats and a job. What each follow-up is and means is follow-ups/'s.
// Contract: synchronous SQLite, inside the caller's transaction.

export type OwedFollowUps = { revocation_seq: number; target: string; grp: string; completed_at: number; follow_ups_due: string };

/** Up to `limit` revoke calls owed follow-ups not planned yet, the longest owed first. */
export function owedFollowUps(sql: SqlStorage, limit: number): OwedFollowUps[] {
  return sql
    .exec<OwedFollowUps>(
      `SELECT revocation_seq, target, grp, completed_at, follow_ups_due FROM calls
       WHERE follow_ups_due IS NOT NULL ORDER BY completed_at LIMIT ?`,
      limit,
    )
    .toArray();
}

/** A revoke call's follow-ups are planned (their calls are queued). */
export function markFollowUpsPlanned(sql: SqlStorage, seq: number, target: string): void {
  sql.exec("UPDATE calls SET follow_ups_due = NULL WHERE revocation_seq = ? AND target = ? AND kind = 'revoke'", seq, target);
}

/** When the revocation succeeded at `target` (its revoke call's answer), or null. */
export function revokeCompletedAt(sql: SqlStorage, seq: number, target: string): number | null {
  return (
    sql
      .exec<{ completed_at: number | null }>(
        "SELECT completed_at FROM calls WHERE revocation_seq = ? AND target = ? AND kind = 'revoke'",
        seq,
        target,
      )
      .toArray()[0]?.completed_at ?? null
  );
}

/** True when a revocation has follow-ups, all planned, and none of them is pending any more. */
export function followUpsDone(sql: SqlStorage, seq: number): boolean {
  const counts = sql
    .exec<{ total: number; open: number; unplanned: number }>(
      `SELECT SUM(kind != 'revoke') AS total, SUM(kind != 'revoke' AND state = 'pending') AS open, SUM(follow_ups_due IS NOT NULL) AS unplanned
       FROM calls WHERE revocation_seq = ?`,
      seq,
    )
    .one();
  return (counts.total ?? 0) > 0 && counts.open === 0 && counts.unplanned === 0;
}

/** Follow-up calls by kind, state and the outcome they found, over the whole ledger or one job's revocations. */
export function followUpOutcomes(sql: SqlStorage, jobId?: string): { kind: string; state: string; outcome: string | null; n: number }[] {
  return sql
    .exec<{ kind: string; state: string; outcome: string | null; n: number }>(
      `SELECT c.kind, c.state, json_extract(c.result, '$.outcome') AS outcome, COUNT(*) AS n
       FROM calls c ${jobId ? "JOIN revocations r ON r.seq = c.revocation_seq AND r.job_id = ?" : ""}
       WHERE c.kind IN ('seat_lookup', 'seat_update', 'verify_lookup', 'verify_sessions')
       GROUP BY c.kind, c.state, outcome`,
      ...(jobId ? [jobId] : []),
    )
    .toArray();
}

/** Revoke calls owed follow-ups not planned yet, counted by what they are owed ("seats,verify"). */
export function owedFollowUpCounts(sql: SqlStorage, jobId?: string): { due: string; n: number }[] {
  return sql
    .exec<{ due: string; n: number }>(
      `SELECT c.follow_ups_due AS due, COUNT(*) AS n
       FROM calls c ${jobId ? "JOIN revocations r ON r.seq = c.revocation_seq AND r.job_id = ?" : ""}
       WHERE c.follow_ups_due IS NOT NULL GROUP BY c.follow_ups_due`,
      ...(jobId ? [jobId] : []),
    )
    .toArray();
}

/**
 * Follow-up calls of `kinds` the API refused the token for (401/403), or skipped while their follow-up was
 * switched off, recorded at or after `from`: pending again (follow-ups/switch.ts says when). One refused
 * is due now; one skipped keeps its own due time if that is later (a verification keeps its delay).
 * Answers how many.
 */
export function requeueRefusedFollowUps(sql: SqlStorage, kinds: string[], from: number, now: number): number {
  return sql
    .exec(
      `UPDATE calls SET state = 'pending', next_attempt_at = CASE WHEN state = 'skipped' THEN MAX(next_attempt_at, ?) ELSE ? END,
       completed_at = NULL, result = NULL, leased = 0
     WHERE kind IN (${kinds.map(() => "?").join(", ")}) AND completed_at >= ?
       AND (state = 'skipped' OR (state = 'failed' AND http_status IN (401, 403)))
     RETURNING kind`,
      now,
      now,
      ...kinds,
      from,
    )
    .toArray().length; // not rowsWritten, which counts the index entries written too
}
