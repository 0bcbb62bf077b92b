// /v1/stats as the ledger sees it: counts by status, pending calls, the drain's pause and pace, token
// holds, refused deliveries and the Shared Signals streams. Contract: synchronous SQLite reads; `now` is passed in.
import { activeHolds, type DrainState, pendingByLane, pendingCount, type TargetHold } from "./calls";
import { type FollowUpCounts, followUpCounts } from "./follow-up-counts";
import type { Lane } from "./lanes";
import { REJECTION_PERIOD_MS, recentRejections } from "./rejections";
import { countByStatus } from "./revocations";
import { type SsfStream, ssfStreams } from "./ssf-streams";
import { type TimeToRevoke, timeToRevokeByLane } from "./time-to-revoke";

export type LedgerStats = {
  by_status: Record<string, number>;
  pending_calls: number;
  /** Calls waiting in each lane: urgent ones are always sent first. */
  waiting_by_lane: Record<Lane, number>;
  /** Accepted → revoked on every target, per lane: the last hour and since the ledger started. */
  time_to_revoke: Record<Lane, { last_hour: TimeToRevoke; since_start: TimeToRevoke }>;
  drain: DrainState;
  holds: TargetHold[];
  rate_per_second: number;
  observed_calls_last_minute: number;
  rejections: ReturnType<typeof recentRejections>;
  /** Seat removal and verification: what they came to so far (still_active: act in the IdP). */
  follow_ups: FollowUpCounts;
  /** Each configured Shared Signals transmitter's stream: its status (a paused or disabled one sends nothing) and verifications. */
  ssf_streams: Record<string, SsfStream>;
};

export function ledgerStats(
  sql: SqlStorage,
  now: number,
  drain: { state: DrainState; observedCallsLastMinute(): number },
  ratePerSecond: number,
  ssfTransmitters: Iterable<string>,
): LedgerStats {
  return {
    by_status: countByStatus(sql),
    pending_calls: pendingCount(sql),
    waiting_by_lane: pendingByLane(sql),
    time_to_revoke: timeToRevokeByLane(sql, now),
    drain: { ...drain.state },
    holds: activeHolds(sql, now),
    rate_per_second: ratePerSecond,
    observed_calls_last_minute: drain.observedCallsLastMinute(),
    rejections: recentRejections(sql, now - REJECTION_PERIOD_MS),
    follow_ups: followUpCounts(sql),
    ssf_streams: ssfStreams(sql, ssfTransmitters),
  };
}
