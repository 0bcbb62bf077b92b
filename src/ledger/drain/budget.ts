// A token's budget as Cloudflare last reported it (cloudflare/rate-limit.ts reads the headers), and the pace
// it allows. Contract: pure, no I/O, no clock: `now` is passed in; never throws.
// - The pace spends what is left over the time left: (remaining − calls it could not count − what other users
//   will spend until the reset − a reserve) ÷ (seconds to reset − 1), so the budget is used up just before
//   it is made available again, and nobody else's calls are refused for it. Other users of the same budget
//   (the dashboard, another tool: Cloudflare counts per user) show in `r`: what it fell by since the
//   window's first answer, less the drain's own calls answered meanwhile, is theirs, and their pace so far is
//   assumed to go on (for the first quarter of a window, at least the last window's). The reserve (1 % of
//   the quota, at least 2 calls) covers the error of both between two answers. The second taken off the
//   reset is t's rounding: it is whole seconds. Rounded up (as the fake does; Cloudflare does not say),
//   each answer's now + t is a bound on the reset up to a second late, so a window keeps the earliest: the
//   others' share and a spent budget's wait end at the reset, not up to a second after it.
// - Calls it could not count: the ones in flight when the answer came back (they may have arrived after it)
//   and every call sent since. So however the answers come back, no more calls go out after a report than it
//   said were left, less the reserve; when none are left, nothing goes out until its reset.
// - Never above the last known budget: an answer whose r is higher than the one before, while that one's
//   reset is still ahead (an answer overtaken by a later one, a policy raised mid-window, a header gone
//   wrong), is not believed until that reset; a lower one is believed at once. r above its policy's q is read
//   as q. A reset is read as at most the policy's window (at most RESET_CAP_S; without a policy, at most
//   Cloudflare's documented five minutes): a reset absurdly far cannot stop the drain longer than a window.
// - A reset passed less than a window ago, with the policy known: the new window's quota is spread over a
//   window from now until an answer reports it (its r is lower: believed at once).
// - No budget known (before the first answer, headers absent or malformed, or the last one's reset passed
//   over a window ago or named no policy):
//   `auto` runs at FALLBACK_PER_SECOND, half the average Cloudflare documents (1200 calls per 5 minutes), until
//   an answer reports one. A number (REVOKE_RATE_PER_SECOND=N) runs at N then, as it always did.
// - A ceiling (the number, or REVOKE_RATE_MAX_PER_SECOND) caps the pace whatever the budget, and the budget
//   caps the ceiling: a number is never paced above what Cloudflare says is left either. `auto` is also capped
//   at AUTO_CAP_PER_SECOND (Cloudflare's per-IP limit is 200 calls a second; a Worker keeps six connections).
import type { RateLimitReport } from "../../cloudflare/rate-limit";

export const FALLBACK_PER_SECOND = 2;
export const AUTO_CAP_PER_SECOND = 100;
const RESERVE_SHARE = 0.01;
const RESERVE_MIN = 2;
/** Seconds a reset may be early: t is whole seconds. */
const RESET_ROUNDING_S = 1;
/** The shortest stretch the rest of a budget is spread over (the last moments before its reset). */
const MIN_HORIZON_S = 0.5;
/** Cloudflare's documented window, the longest a reset is believed without a policy naming one. */
const RESET_WITHOUT_POLICY_S = 300;
const RESET_CAP_S = 3600;
/** Others' pace is measured over at least this long (a shorter stretch is one call's noise). */
const MIN_MEASURE_S = 1;
/** A limit with no quota left and no reset named (t is optional in the draft): wait this long, then ask again. */
const SPENT_WITHOUT_RESET_MS = 60_000;

/** REVOKE_RATE_PER_SECOND (auto or a number) and REVOKE_RATE_MAX_PER_SECOND, as the pace reads them. */
export type PaceSetting = { auto: boolean; ceiling: number | null };
type PaceReason = "auto" | "ceiling" | "fallback";
/** The pace in use: calls a second, why, and no call before `notBefore` (a spent budget's reset). */
export type Pace = { perSecond: number; why: PaceReason; notBefore: number };

/** One service limit joined with its policy, as the budget keeps it. */
export type BudgetLimit = {
  policy: string;
  remaining: number;
  resetAt: number | null;
  quota: number | null;
  windowSeconds: number | null;
  /** The window's first report: when, what was left, and the drain's calls answered by then. */
  since: { at: number; remaining: number; answered: number };
  /** Calls a second the budget's other users spend, as measured since `since` (or carried from the last window). */
  othersPerSecond: number;
  /** The last window's measure, which this one's may not go below during its first quarter. */
  carried: number;
};

export type Budget = {
  /** When the answer that reported it came back (0: none yet). */
  reportedAt: number;
  limits: BudgetLimit[];
  /** Calls the report could not count: in flight when it came back, and sent since. */
  unreflected: number;
  /** The drain's calls answered (or given up on) under this budget, ever: to tell its spending from others'. */
  answered: number;
};

export const NO_BUDGET: Budget = { reportedAt: 0, limits: [], unreflected: 0, answered: 0 };

export function paceSetting(rate: number | "auto", max: number | null): PaceSetting {
  const ceilings = [rate === "auto" ? null : rate, max].filter((value): value is number => value !== null);
  return { auto: rate === "auto", ceiling: ceilings.length > 0 ? Math.min(...ceilings) : null };
}

/** One more call went out under this budget. */
export function budgetSent(budget: Budget): Budget {
  return budget.limits.length === 0 ? budget : { ...budget, unreflected: budget.unreflected + 1 };
}

/** One of its calls was answered (or given up on). */
export function budgetAnswered(budget: Budget): Budget {
  return { ...budget, answered: (budget.answered ?? 0) + 1 };
}

const live = (limit: BudgetLimit, now: number) => limit.resetAt === null || limit.resetAt > now;

/**
 * The limits an answer reported, each with its policy, r read as at most q and the reset as at most the
 * window, and what other users spent: measured since the window's first report (`before`, while its reset
 * is ahead and its policy the same: a changed quota moves r by itself), or a new window begun.
 */
function limitsOf(budget: Budget, report: RateLimitReport, now: number): BudgetLimit[] {
  return report.limits.map((limit) => {
    const policy = report.policies.find((candidate) => candidate.policy === limit.policy);
    const quota = policy?.quota ?? null;
    const windowSeconds = policy?.windowSeconds ?? null;
    const resetSeconds = limit.resetSeconds === null ? null : Math.min(limit.resetSeconds, windowSeconds ?? RESET_WITHOUT_POLICY_S, RESET_CAP_S);
    const remaining = quota === null ? limit.remaining : Math.min(limit.remaining, quota);
    const resetAt = resetSeconds === null ? null : now + resetSeconds * 1000;
    const before = budget.limits.find((candidate) => candidate.policy === limit.policy);
    const answered = budget.answered ?? 0;
    const samePolicy = before !== undefined && before.quota === quota && before.windowSeconds === windowSeconds;
    if (!before?.since || !live(before, now) || !samePolicy) {
      const carried = before?.othersPerSecond ?? 0;
      return {
        policy: limit.policy,
        remaining,
        resetAt,
        quota,
        windowSeconds,
        since: { at: now, remaining, answered },
        othersPerSecond: carried,
        carried,
      };
    }
    const elapsed = (now - before.since.at) / 1000;
    const others = Math.max(0, before.since.remaining - remaining - (answered - before.since.answered));
    let othersPerSecond = before.othersPerSecond;
    if (elapsed >= MIN_MEASURE_S) {
      const measured = others / elapsed;
      const early = resetAt !== null && now - before.since.at < (resetAt - before.since.at) / 4;
      othersPerSecond = early ? Math.max(measured, before.carried) : measured;
    }
    // t is whole seconds rounded up: each answer's reset is a bound, and the window's earliest is the closest.
    const narrowed = resetAt !== null && before.resetAt !== null ? Math.min(resetAt, before.resetAt) : resetAt;
    return {
      policy: limit.policy,
      remaining,
      resetAt: narrowed,
      quota,
      windowSeconds,
      since: before.since,
      othersPerSecond,
      carried: before.carried,
    };
  });
}

/**
 * An answer came back at `now` with these headers, while `inFlight` other calls of the token were out.
 * Answers the budget from then on: the new report, or the old one when the new says nothing readable or
 * raises a limit before its reset.
 */
export function budgetReported(budget: Budget, report: RateLimitReport, now: number, inFlight: number): Budget {
  const limits = limitsOf(budget, report, now);
  if (limits.length === 0) return budget;
  const raised = limits.some((limit) => {
    const before = budget.limits.find((candidate) => candidate.policy === limit.policy);
    return before !== undefined && live(before, now) && limit.remaining > before.remaining;
  });
  return raised ? budget : { ...budget, reportedAt: now, limits, unreflected: inFlight };
}

function reserveOf(limit: BudgetLimit): number {
  return Math.max(RESERVE_MIN, Math.ceil((limit.quota ?? 0) * RESERVE_SHARE));
}

/** What one limit allows: a pace, or a wait until its reset. */
function allowed(limit: BudgetLimit, unreflected: number, now: number): { perSecond: number } | { until: number } {
  const secondsLeft = limit.resetAt === null ? 0 : Math.max(0, (limit.resetAt - now) / 1000);
  const left = limit.remaining - unreflected - reserveOf(limit) - (limit.othersPerSecond ?? 0) * secondsLeft;
  if (left <= 0) return { until: limit.resetAt ?? now + SPENT_WITHOUT_RESET_MS };
  if (limit.resetAt === null) return { perSecond: FALLBACK_PER_SECOND };
  return { perSecond: left / Math.max(secondsLeft - RESET_ROUNDING_S, MIN_HORIZON_S) };
}

/**
 * The limits in force at `now`: each live one, and for one whose reset passed less than a window ago with
 * its policy known, the window that began then: its quota over its window from now (the earliest it can
 * end is later), until an answer reports it. Without this the drain fell to the fallback pace at every
 * reset, and its window rule (the call N before answered, a full window since) held it a second more.
 */
function inForce(budget: Budget, now: number): BudgetLimit[] {
  return budget.limits.flatMap((limit) => {
    if (live(limit, now)) return [limit];
    const { quota, windowSeconds, resetAt } = limit;
    if (quota === null || windowSeconds === null || resetAt === null || now >= resetAt + windowSeconds * 1000) return [];
    return [{ ...limit, remaining: quota, resetAt: now + windowSeconds * 1000, since: { at: now, remaining: quota, answered: budget.answered } }];
  });
}

export function decidePace(budget: Budget, setting: PaceSetting, now: number): Pace {
  const limits = inForce(budget, now);
  if (limits.length === 0) {
    if (!setting.auto && setting.ceiling !== null) return { perSecond: setting.ceiling, why: "ceiling", notBefore: now };
    return { perSecond: Math.min(FALLBACK_PER_SECOND, setting.ceiling ?? FALLBACK_PER_SECOND), why: "fallback", notBefore: now };
  }
  let perSecond = setting.auto ? AUTO_CAP_PER_SECOND : Number.POSITIVE_INFINITY;
  let notBefore = now;
  for (const limit of limits) {
    const verdict = allowed(limit, budget.unreflected, now);
    if ("until" in verdict) notBefore = Math.max(notBefore, verdict.until);
    else perSecond = Math.min(perSecond, verdict.perSecond);
  }
  if (notBefore > now) return { perSecond: 0, why: "auto", notBefore };
  if (setting.ceiling !== null && setting.ceiling <= perSecond) return { perSecond: setting.ceiling, why: "ceiling", notBefore };
  return { perSecond, why: "auto", notBefore };
}

/** The limit the pace is bound by now (what /v1/stats shows), or null when none is known. */
export function bindingLimit(budget: Budget, now: number): BudgetLimit | null {
  let binding: { limit: BudgetLimit; rank: number } | null = null;
  for (const limit of budget.limits.filter((candidate) => live(candidate, now))) {
    const verdict = allowed(limit, budget.unreflected, now);
    const rank = "until" in verdict ? -verdict.until : verdict.perSecond;
    if (binding === null || rank < binding.rank) binding = { limit, rank };
  }
  return binding?.limit ?? null;
}

/** How long until the budget's known reset (for a 429 that names no Retry-After); null when none is known. */
export function untilReset(budget: Budget, now: number): number | null {
  const resets = budget.limits.flatMap((limit) => (limit.resetAt !== null && limit.resetAt > now ? [limit.resetAt - now] : []));
  return resets.length > 0 ? Math.max(...resets) : null;
}
