// /v1/stats as the ledger sees it: counts by status, pending calls, the drain's pause and pace, token
// holds, refused deliveries, the Shared Signals streams, and every source's liveness with its managed connection
// (and, for Entra, its own figures). Contract: synchronous SQLite reads; `now` is
// passed in. Times leave here as ISO 8601 (null for never), the API's one form.
import { type Config, configuredSources } from "../../config";
import { type Hold, isoOrNull, type Stats } from "../../domain/views";
import { alertsView } from "../alerts/views";
import { activeHolds, type TargetHold } from "../calls/holds";
import { pendingByLane, pendingCount } from "../calls/queue";
import { sourceViews } from "../deliveries/sources";
import { entraView } from "../entra/view";
import { followUpCounts } from "../follow-ups/counts";
import { REJECTION_PERIOD_MS, recentRejections } from "../rejections/counts";
import { countByStatus } from "../revocations/records";
import { timeToRevokeByLane } from "../revocations/time-to-revoke";
import { ssfStreams } from "../ssf/streams";
import type { DrainState } from "./state";

export function holdView(hold: TargetHold): Hold {
  return { target: hold.target, until: new Date(hold.until).toISOString(), reason: hold.reason };
}

export function ledgerStats(sql: SqlStorage, now: number, drain: { state: DrainState; observedCallsLastMinute(): number }, config: Config): Stats {
  const { last_call_at, paused_until, seats_refused_until, verify_refused_until } = drain.state;
  const inForce = (until: number) => isoOrNull(until > now ? until : 0);
  return {
    by_status: countByStatus(sql),
    pending_calls: pendingCount(sql),
    waiting_by_lane: pendingByLane(sql),
    time_to_revoke: timeToRevokeByLane(sql, now),
    drain: {
      last_call_at: isoOrNull(last_call_at),
      paused_until: inForce(paused_until),
      seats_off_until: inForce(seats_refused_until),
      verification_off_until: inForce(verify_refused_until),
    },
    holds: activeHolds(sql, now).map(holdView),
    rate_per_second: config.revokeRatePerSecond,
    observed_calls_last_minute: drain.observedCallsLastMinute(),
    rejections: recentRejections(sql, now - REJECTION_PERIOD_MS),
    follow_ups: followUpCounts(sql),
    ssf_streams: ssfStreams(sql, config.ssfTransmitters.keys()),
    sources: withEntra(sourceViews(sql, configuredSources(config), config.silenceHours, now), config.entra !== null ? entraView(sql, now) : null),
    alerts: alertsView(sql, config),
  };
}

/** sources.entra: its liveness and connection, with the figures only Entra has beside them. */
function withEntra(sources: Stats["sources"], entra: ReturnType<typeof entraView> | null): Stats["sources"] {
  const base = sources.entra;
  return entra === null || base === undefined ? sources : { ...sources, entra: { ...entra, ...base } };
}
