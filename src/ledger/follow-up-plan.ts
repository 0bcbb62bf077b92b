// Planning follow-ups with leftover pace: the revocations that succeeded and are owed seat removal or
// verification (calls.follow_ups_due) get their calls, oldest first, a batch at a time. The drain calls
// this only when no urgent or bulk call is due (drain.ts), so during a layoff nothing is planned and the
// bulk lane keeps every call's worth of pace. Contract: synchronous SQLite, run in one transaction.
import { insertCall } from "./call-insert";
import { type FollowUpSettings, plannedFollowUps } from "./follow-ups";
import { type Lane, laneGroupKey } from "./lanes";

/** Revocations planned per transaction: bounds how long an urgent call arriving meanwhile waits. */
const PLAN_BATCH = 500;

/** Plans up to `limit` revocations' follow-ups; answers the lanes and groups of the calls it queued. */
export function planFollowUps(sql: SqlStorage, now: number, settings: FollowUpSettings, limit = PLAN_BATCH): { lane: Lane; group: string }[] {
  const owed = sql
    .exec<{ revocation_seq: number; target: string; grp: string; completed_at: number; follow_ups_due: string }>(
      `SELECT revocation_seq, target, grp, completed_at, follow_ups_due FROM calls
       WHERE follow_ups_due IS NOT NULL ORDER BY completed_at LIMIT ?`,
      limit,
    )
    .toArray();
  const queued = new Map<string, { lane: Lane; group: string }>();
  for (const call of owed) {
    for (const next of plannedFollowUps(call.follow_ups_due, call.completed_at, now, settings)) {
      insertCall(sql, { seq: call.revocation_seq, target: call.target, group: call.grp, ...next });
      if (!next.skipped) queued.set(laneGroupKey(next.lane, call.grp), { lane: next.lane, group: call.grp });
    }
    sql.exec("UPDATE calls SET follow_ups_due = NULL WHERE revocation_seq = ? AND target = ? AND kind = 'revoke'", call.revocation_seq, call.target);
  }
  return [...queued.values()];
}
