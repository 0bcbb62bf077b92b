// /v1/stats as the ledger sees it: counts by status, pending calls, the drain's pause and pace, each API
// token's budget, target holds, refused deliveries, the Shared Signals streams, the audit chain's head, the
// reconciliation sweep, every source's liveness with its managed connection (and, for Entra, its own
// figures) and the alerts. Contract: synchronous SQLite reads; `now` is passed in. Times leave here as ISO
// 8601 (null for never), the API's one form.
import { type Config, configuredSources } from "../../config";
import { type Hold, isoOrNull, type Stats, type TokenBudget } from "../../domain/views";
import { alertsView } from "../alerts/views";
import { auditChainView } from "../audit/view";
import { activeHolds, type TargetHold } from "../calls/holds";
import { pendingByLane, pendingCount } from "../calls/queue";
import { sourceViews } from "../deliveries/sources";
import { entraView } from "../entra/view";
import { followUpCounts } from "../follow-ups/counts";
import { REJECTION_PERIOD_MS, recentRejections } from "../rejections/counts";
import { countByStatus } from "../revocations/records";
import { timeToRevokeByLane } from "../revocations/time-to-revoke";
import { ssfStreams } from "../ssf/streams";
import { reconcileView } from "../sweep/view";
import type { PaceSetting } from "./budget";
import type { DrainState } from "./state";
import type { TokenPace } from "./token-paces";

export function holdView(hold: TargetHold): Hold {
  return { target: hold.target, until: new Date(hold.until).toISOString(), reason: hold.reason };
}

export function budgetView(token: TokenPace, setting: PaceSetting, now: number): TokenBudget {
  const limit = token.binding(now);
  const pace = token.pace(setting, now);
  return {
    fingerprint: token.fingerprint,
    targets: token.targets,
    reported: limit && {
      policy: limit.policy,
      remaining: limit.remaining,
      reset_at: isoOrNull(limit.resetAt),
      quota: limit.quota,
      window_seconds: limit.windowSeconds,
      reported_at: new Date(token.budget.reportedAt).toISOString(),
    },
    pace: { per_second: Math.round(pace.perSecond * 100) / 100, why: pace.why },
    paused_until: isoOrNull(token.pausedUntil > now ? token.pausedUntil : 0),
    rate_limited_last_hour: token.rateLimitedLastHour(now),
  };
}

export type DrainFigures = {
  state: DrainState;
  /** The last call any token sent, and while every token is paused, when the first resumes (0: none). */
  pace: { lastCallAt: number; pausedUntil: number };
  budgets: TokenBudget[];
  rateSetting: number | "auto";
  observedCallsLastMinute: number;
};

export function ledgerStats(sql: SqlStorage, now: number, drain: DrainFigures, config: Config): Stats {
  const { seats_refused_until, verify_refused_until } = drain.state;
  const inForce = (until: number) => isoOrNull(until > now ? until : 0);
  return {
    by_status: countByStatus(sql),
    pending_calls: pendingCount(sql),
    waiting_by_lane: pendingByLane(sql),
    time_to_revoke: timeToRevokeByLane(sql, now),
    drain: {
      last_call_at: isoOrNull(drain.pace.lastCallAt),
      paused_until: inForce(drain.pace.pausedUntil),
      seats_off_until: inForce(seats_refused_until),
      verification_off_until: inForce(verify_refused_until),
    },
    holds: activeHolds(sql, now).map(holdView),
    rate_per_second: Math.round(drain.budgets.reduce((sum, budget) => sum + budget.pace.per_second, 0) * 100) / 100,
    rate_setting: drain.rateSetting,
    budgets: drain.budgets,
    observed_calls_last_minute: drain.observedCallsLastMinute,
    rejections: recentRejections(sql, now - REJECTION_PERIOD_MS),
    follow_ups: followUpCounts(sql),
    ssf_streams: ssfStreams(sql, config.ssfTransmitters.keys()),
    audit_chain: auditChainView(sql),
    reconcile: reconcileView(sql, config, now),
    sources: withEntra(sourceViews(sql, configuredSources(config), config.silenceHours, now), config.entra !== null ? entraView(sql, now) : null),
    alerts: alertsView(sql, config),
  };
}

/** sources.entra: its liveness and connection, with the figures only Entra has beside them. */
function withEntra(sources: Stats["sources"], entra: ReturnType<typeof entraView> | null): Stats["sources"] {
  const base = sources.entra;
  return entra === null || base === undefined ? sources : { ...sources, entra: { ...entra, ...base } };
}
