// Target holds (table target_holds): a target whose calls wait because Cloudflare refused the token there
// (401/403), until the hold runs out or an operator lifts it. queue.ts skips a held target's calls.
// When a hold ends because an operator lifted it, or because it ran out and the API then accepted the token
// at its target again, the revocations that failed because of it are re-queued (revocations/settle.ts:
// requeueHoldFailures; the drain does both): the refusal was about the token, never the person.
// Contract: synchronous SQLite, inside the caller's transaction; `now` is passed in.

export type TargetHold = { target: string; until: number; reason: string };

export function holdTarget(sql: SqlStorage, hold: TargetHold): void {
  sql.exec("INSERT OR REPLACE INTO target_holds (target, until, reason) VALUES (?, ?, ?)", hold.target, hold.until, hold.reason);
}

export function activeHolds(sql: SqlStorage, now: number): TargetHold[] {
  return sql.exec<TargetHold>("SELECT target, until, reason FROM target_holds WHERE until > ?", now).toArray();
}

/**
 * Whether revoke calls at `target` were refused and none has succeeded there since: a hold in force, or one
 * that ran out and was not ended (endOutlivedHold) or lifted.
 */
export function heldOnRecord(sql: SqlStorage, target: string): boolean {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM target_holds WHERE target = ?", target).one().n > 0;
}

/**
 * Lifts every hold (an operator re-drove failures, so the token may be fixed; only what it names is
 * re-driven); answers the targets that had one. The ledger does this through LedgerCore.liftHolds, which
 * also brings a switched-off follow-up back.
 */
export function clearHolds(sql: SqlStorage): string[] {
  return sql
    .exec<{ target: string }>("DELETE FROM target_holds RETURNING target")
    .toArray()
    .map((row) => row.target);
}

/**
 * Lifts one target's hold: one in force, or one that ran out with no call there succeeding since (what it
 * failed is still failed: nothing may have been sent there to end it). Answers it, or null when the target
 * has none on record.
 */
export function liftHold(sql: SqlStorage, target: string): TargetHold | null {
  const hold = sql.exec<TargetHold>("SELECT target, until, reason FROM target_holds WHERE target = ?", target).toArray()[0];
  if (hold) sql.exec("DELETE FROM target_holds WHERE target = ?", target);
  return hold ?? null;
}

/**
 * A revoke call at `target` succeeded: a hold there that has run out is over (the API takes the token
 * again), so it is deleted; answers whether one was. A hold still in force stays: a call sent before it
 * began proves nothing about the token now.
 */
export function endOutlivedHold(sql: SqlStorage, target: string, now: number): boolean {
  return sql.exec("DELETE FROM target_holds WHERE target = ? AND until <= ?", target, now).rowsWritten > 0;
}
