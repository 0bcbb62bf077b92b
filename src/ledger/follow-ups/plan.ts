// Planning follow-ups with leftover pace: the revocations that succeeded and are owed seat removal or
// verification (calls.follow_ups_due) get their calls, oldest first, a batch at a time. The drain calls
// this only when no urgent or bulk call is due (drain/next-call.ts), so during a layoff nothing is planned and the
// bulk lane keeps every call's worth of pace. Contract: synchronous SQLite, run in one transaction.
import { markFollowUpsPlanned, owedFollowUps } from "../calls/follow-up-calls";
import { type Lane, laneGroupKey } from "../calls/lanes";
import { insertCall } from "../calls/queue";
import { type FollowUpSettings, plannedFollowUps } from "./steps";

/** Revocations planned per transaction: bounds how long an urgent call arriving meanwhile waits. */
const PLAN_BATCH = 500;

/** Plans up to `limit` revocations' follow-ups; answers the lanes and groups of the calls it queued. */
export function planFollowUps(sql: SqlStorage, now: number, settings: FollowUpSettings, limit = PLAN_BATCH): { lane: Lane; group: string }[] {
  const owed = owedFollowUps(sql, limit);
  const queued = new Map<string, { lane: Lane; group: string }>();
  for (const call of owed) {
    for (const next of plannedFollowUps(call.follow_ups_due, call.completed_at, now, settings)) {
      insertCall(sql, { seq: call.revocation_seq, target: call.target, group: call.grp, ...next }, now);
      if (!next.skipped) queued.set(laneGroupKey(next.lane, call.grp), { lane: next.lane, group: call.grp });
    }
    markFollowUpsPlanned(sql, call.revocation_seq, call.target);
  }
  return [...queued.values()];
}
