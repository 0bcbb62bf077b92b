// The pace a token's budget allows (src/ledger/drain/budget.ts), and every fault the issue names: headers
// absent, malformed, contradictory (r > q), a reset in the past or absurdly far, an r that jumps back up, a
// policy that changes mid-drain, a 429 without Retry-After. None may stop the drain longer than the answer
// justifies, pace above the last known budget, or throw. Headers are Cloudflare's documented form
// (developers.cloudflare.com/fundamentals/api/reference/limits), read by cloudflare/rate-limit.ts.
import { describe, expect, it } from "vitest";
import { readRateLimitHeaders } from "../../../src/cloudflare/rate-limit";
import {
  AUTO_CAP_PER_SECOND,
  type Budget,
  budgetAnswered,
  budgetReported,
  budgetSent,
  decidePace,
  FALLBACK_PER_SECOND,
  NO_BUDGET,
  paceSetting,
  untilReset,
} from "../../../src/ledger/drain/budget";
import { classifyAnswer } from "../../../src/ledger/drain/classify";

const NOW = 1_000_000;
const AUTO = paceSetting("auto", null);
const report = (r: number | string, t: number | string | null, q: number | null = 1200, w = 300) =>
  readRateLimitHeaders(`"default";r=${r}${t === null ? "" : `;t=${t}`}`, q === null ? null : `"default";q=${q};w=${w}`);
const answered = (r: number | string, t: number | string | null, policy: { q: number; w: number } | null = { q: 1200, w: 300 }, inFlight = 0) =>
  budgetReported(NO_BUDGET, report(r, t, policy?.q ?? null, policy?.w), NOW, inFlight);

describe("decidePace", () => {
  it("spreads what is left, less the reserve, over the time to reset less t's rounding", () => {
    // 1200 per 300 s, 600 left for 151 s: (600 − 12) ÷ 150 s.
    const pace = decidePace(answered(600, 151), AUTO, NOW);
    expect(pace).toEqual({ perSecond: 588 / 150, why: "auto", notBefore: NOW });
  });

  it("counts the calls the report could not: those in flight when it came, and those sent since", () => {
    let budget: Budget = answered(600, 151, { q: 1200, w: 300 }, 3);
    budget = budgetSent(budgetSent(budget));
    expect(decidePace(budget, AUTO, NOW).perSecond).toBeCloseTo((600 - 5 - 12) / 150, 10);
  });

  it("leaves other users of the budget their pace: what r fell by beyond the drain's own answered calls", () => {
    // 1200 left for 300 s; 10 s later 1090: the drain's 50 answered calls, and 60 spent by someone else (6/s).
    let budget = answered(1200, 300);
    for (let i = 0; i < 50; i++) budget = budgetAnswered(budget);
    budget = budgetReported(budget, report(1090, 290), NOW + 10_000, 0);
    expect(budget.limits[0]).toMatchObject({ othersPerSecond: 6 });
    // Theirs is left to them: 6/s × 290 s = 1740 > 1090, so nothing is left for the drain until the reset.
    expect(decidePace(budget, AUTO, NOW + 10_000)).toMatchObject({ perSecond: 0, notBefore: NOW + 300_000 });
    // 2 calls a second by someone else over the same 10 s (20 of 1130 spent): the drain takes the rest.
    let slower = answered(1200, 300);
    for (let i = 0; i < 50; i++) slower = budgetAnswered(slower);
    slower = budgetReported(slower, report(1130, 290), NOW + 10_000, 0);
    expect(slower.limits[0]).toMatchObject({ othersPerSecond: 2 });
    expect(decidePace(slower, AUTO, NOW + 10_000).perSecond).toBeCloseTo((1130 - 12 - 2 * 290) / 289, 10);
  });

  it("carries other users' pace into the next window for its first quarter, then measures it afresh", () => {
    let budget = answered(1200, 300);
    budget = budgetReported(budget, report(900, 200), NOW + 100_000, 0); // 3/s others, the drain idle
    budget = budgetReported(budget, report(1199, 300), NOW + 301_000, 0); // a new window, the last one's reset past
    expect(budget.limits[0]).toMatchObject({ othersPerSecond: 3, carried: 3 });
    budget = budgetReported(budget, report(1199, 290), NOW + 311_000, 0); // nobody spent anything for 10 s
    expect(budget.limits[0]?.othersPerSecond).toBe(3);
    budget = budgetReported(budget, report(1199, 200), NOW + 401_000, 0); // past the first quarter
    expect(budget.limits[0]?.othersPerSecond).toBe(0);
  });

  it("narrows the reset to the earliest any answer of the window allows: t is whole seconds, rounded up", () => {
    // Each answer's now + t is a bound on the reset, up to a second late: the window keeps the earliest.
    let budget = budgetReported(NO_BUDGET, report(190, 10, 200, 10), NOW, 0);
    budget = budgetReported(budget, report(190, 8, 200, 10), NOW + 2300, 0); // NOW + 10.3 s: later, not believed
    expect(budget.limits[0]?.resetAt).toBe(NOW + 10_000);
    budget = budgetReported(budget, report(190, 7, 200, 10), NOW + 2900, 0); // NOW + 9.9 s: closer
    expect(budget.limits[0]?.resetAt).toBe(NOW + 9900);
    // The pace spreads what is left over the narrowed time, and a spent budget's wait ends there.
    expect(decidePace(budget, AUTO, NOW + 2900).perSecond).toBeCloseTo((190 - 2) / (7 - 1), 10);
    expect(decidePace(budgetReported(budget, report(2, 7, 200, 10), NOW + 3000, 0), AUTO, NOW + 3000).notBefore).toBe(NOW + 9900);
  });

  it("sends nothing more once the report's calls are spent, until its reset; then the next window's quota over a window, for a window", () => {
    let budget = answered(14, 30);
    for (let i = 0; i < 2; i++) budget = budgetSent(budget);
    expect(decidePace(budget, AUTO, NOW)).toEqual({ perSecond: 0, why: "auto", notBefore: NOW + 30_000 });
    // At the reset a new window began: 1200 calls over at least 300 s from now (less the reserve and the 2 calls not yet reported).
    expect(decidePace(budget, AUTO, NOW + 30_000)).toEqual({ perSecond: (1200 - 2 - 12) / 299, why: "auto", notBefore: NOW + 30_000 });
    // A window after the reset with no answer since (headers gone): the fallback pace.
    expect(decidePace(budget, AUTO, NOW + 330_000)).toEqual({ perSecond: FALLBACK_PER_SECOND, why: "fallback", notBefore: NOW + 330_000 });
  });

  it("runs at the fallback pace before the first answer, and a number at its number", () => {
    expect(decidePace(NO_BUDGET, AUTO, NOW)).toEqual({ perSecond: FALLBACK_PER_SECOND, why: "fallback", notBefore: NOW });
    expect(decidePace(NO_BUDGET, paceSetting(25, null), NOW)).toEqual({ perSecond: 25, why: "ceiling", notBefore: NOW });
    expect(decidePace(NO_BUDGET, paceSetting("auto", 0.5), NOW).perSecond).toBe(0.5);
  });

  it("keeps to a ceiling (REVOKE_RATE_MAX_PER_SECOND, or a number), and a number to the budget below it", () => {
    expect(decidePace(answered(1100, 100), paceSetting("auto", 3), NOW)).toMatchObject({ perSecond: 3, why: "ceiling" });
    expect(decidePace(answered(1100, 30), paceSetting(25, null), NOW)).toMatchObject({ perSecond: 25, why: "ceiling" });
    expect(decidePace(answered(30, 100), paceSetting(25, null), NOW)).toMatchObject({ perSecond: (30 - 12) / 99, why: "auto" });
    expect(decidePace(answered(0, 10), paceSetting(25, null), NOW)).toMatchObject({ perSecond: 0, notBefore: NOW + 10_000 });
  });

  it("caps auto at AUTO_CAP_PER_SECOND however much a short reset leaves", () => {
    expect(decidePace(answered(1200, 2), AUTO, NOW).perSecond).toBe(AUTO_CAP_PER_SECOND);
  });

  it("takes the most restrictive of several limits", () => {
    const budget = budgetReported(NO_BUDGET, readRateLimitHeaders('"burst";r=50;t=31, "default";r=1000;t=201', null), NOW, 0);
    expect(decidePace(budget, AUTO, NOW).perSecond).toBeCloseTo((50 - 2) / 30, 10);
  });
});

describe("faults: none stops the drain longer than the answer justifies, paces above the last known budget, or throws", () => {
  it.each([
    ["absent", null, null],
    ["malformed", '"default";r=five;t=30', '"default";q=1200;w=300'],
    ["not a List", "r=5, t=", "q=="],
    ["the pre-draft headers' form", "100", "1200"],
  ])("headers %s: the fallback pace, and a budget known before stays", (_, ratelimit, policy) => {
    const nothing = readRateLimitHeaders(ratelimit, policy);
    expect(decidePace(budgetReported(NO_BUDGET, nothing, NOW, 0), AUTO, NOW)).toEqual({
      perSecond: FALLBACK_PER_SECOND,
      why: "fallback",
      notBefore: NOW,
    });
    const known = answered(300, 100);
    expect(budgetReported(known, nothing, NOW + 1000, 0)).toBe(known);
  });

  it("contradictory, r larger than q: r is read as q", () => {
    expect(decidePace(answered(5000, 101), AUTO, NOW).perSecond).toBeCloseTo((1200 - 12) / 100, 10);
  });

  it("a reset now: no wait, the next window's quota over a window until the next answer (without a policy, the fallback pace)", () => {
    expect(decidePace(answered(0, 0), AUTO, NOW)).toEqual({ perSecond: (1200 - 12) / 299, why: "auto", notBefore: NOW });
    expect(decidePace(answered(0, 0, null), AUTO, NOW)).toEqual({ perSecond: FALLBACK_PER_SECOND, why: "fallback", notBefore: NOW });
  });

  it("a reset in the past, as the draft cannot say it, so malformed: no wait, the fallback pace until the next answer", () => {
    expect(decidePace(answered(0, -5), AUTO, NOW)).toEqual({ perSecond: FALLBACK_PER_SECOND, why: "fallback", notBefore: NOW });
  });

  it("a reset absurdly far: read as at most the policy's window, or five minutes without one", () => {
    expect(decidePace(answered(0, 999_999_999), AUTO, NOW).notBefore).toBe(NOW + 300_000);
    expect(decidePace(answered(0, 999_999_999, { q: 200, w: 10 }), AUTO, NOW).notBefore).toBe(NOW + 10_000);
    expect(decidePace(answered(0, 999_999_999, null), AUTO, NOW).notBefore).toBe(NOW + 300_000);
    expect(decidePace(answered(602, 999_999_999), AUTO, NOW).perSecond).toBeCloseTo((602 - 12) / 299, 10);
  });

  it("an r that jumps back up before the reset is not believed; after the reset it is", () => {
    const low = answered(40, 60);
    const jumped = budgetReported(low, report(1100, 60), NOW + 1000, 0);
    expect(jumped).toBe(low);
    expect(decidePace(jumped, AUTO, NOW + 1000).perSecond).toBeCloseTo((40 - 12) / 58, 10);
    const afterReset = budgetReported(low, report(1100, 300), NOW + 60_000, 0);
    expect(decidePace(afterReset, AUTO, NOW + 60_000).perSecond).toBeCloseTo((1100 - 12) / 299, 10);
  });

  it("an answer overtaken by a later one (higher r) does not raise the budget", () => {
    const later = answered(500, 100);
    expect(budgetReported(later, report(501, 100), NOW + 5, 1)).toBe(later);
  });

  it("a policy lowered mid-drain is believed at once; one raised, only from its next window", () => {
    const before = answered(600, 200);
    const lowered = budgetReported(before, report(90, 200, 100, 60), NOW + 1000, 0);
    // Its window (60 s) also bounds the reset it names.
    expect(decidePace(lowered, AUTO, NOW + 1000).perSecond).toBeCloseTo((90 - 2) / 59, 10);
    const raised = budgetReported(before, report(2300, 200, 2400, 600), NOW + 1000, 0);
    expect(raised).toBe(before);
    expect(budgetReported(before, report(2300, 600, 2400, 600), NOW + 200_000, 0).limits[0]).toMatchObject({ remaining: 2300, quota: 2400 });
  });

  it("a 429 without Retry-After waits for the reset the budget names, not the default minute", () => {
    const budget = answered(0, 7);
    const answer = {
      kind: "response" as const,
      httpStatus: 429,
      envelope: null,
      retryAfter: null,
      rateLimit: '"default";r=0;t=7',
      rateLimitPolicy: null,
    };
    expect(classifyAnswer(answer, NOW, untilReset(budget, NOW))).toMatchObject({ outcome: "retry", pauseDrainMs: 7000 });
    expect(classifyAnswer(answer, NOW, null)).toMatchObject({ pauseDrainMs: 60_000 });
    expect(classifyAnswer({ ...answer, retryAfter: "3" }, NOW, untilReset(budget, NOW))).toMatchObject({ pauseDrainMs: 3000 });
  });

  it("a limit with no reset named and nothing left waits a minute, then asks again", () => {
    expect(decidePace(answered(1, null), AUTO, NOW).notBefore).toBe(NOW + 60_000);
    expect(decidePace(answered(500, null), AUTO, NOW).perSecond).toBe(FALLBACK_PER_SECOND);
  });
});
