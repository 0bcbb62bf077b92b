import { describe, expect, it } from "vitest";
import { Pacer, WINDOW_MARGIN_SHARE } from "../../src/ledger/pace";

/**
 * Drives a pacer with a clock that is late by `lateMs` on every timer, as a loaded runtime is, and
 * optionally a drain that stalls for `stall.ms` before call `stall.at` (a garbage collection, a slow step).
 */
function simulate(rate: number, calls: number, lateMs: number, stall?: { at: number; ms: number }): number[] {
  const pacer = new Pacer(rate);
  const sent: number[] = [];
  let now = 0;
  while (sent.length < calls) {
    if (stall && sent.length === stall.at) now += stall.ms;
    const at = pacer.nextSendAt(now);
    now = at > now ? at + lateMs : now;
    pacer.record(now);
    sent.push(now);
    now += 0.2; // the work of one dispatch
  }
  return sent;
}

function maxInAnyWindow(times: number[], windowMs: number): number {
  return Math.max(...times.map((start) => times.filter((t) => t >= start && t < start + windowMs).length));
}

describe("Pacer", () => {
  it.each([3, 20, 200, 1000])("never exceeds %i calls in any second, even with late timers", (rate) => {
    for (const late of [0, 1, 4, 12]) {
      expect(maxInAnyWindow(simulate(rate, rate * 5, late), 1000)).toBeLessThanOrEqual(rate);
    }
  });

  it("keeps up with the configured rate when timers run late (catches up instead of drifting)", () => {
    const times = simulate(200, 2000, 4);
    const achieved = (times.length - 1) / ((times[times.length - 1]! - times[0]!) / 1000);
    expect(achieved).toBeGreaterThan(200 * 0.97);
    expect(achieved).toBeLessThanOrEqual(200);
  });

  it("makes up the time a stalled drain lost, inside the window", () => {
    const steady = simulate(200, 600, 0);
    for (const ms of [20, 45, 120]) {
      const stalled = simulate(200, 600, 0, { at: 150, ms });
      expect(maxInAnyWindow(stalled, 1000)).toBeLessThanOrEqual(200);
      // The last call goes out when it would have without the stall: nothing was lost for good.
      expect(stalled[stalled.length - 1]! - steady[steady.length - 1]!).toBeLessThan(2);
    }
  });

  it("paces rates below one per second over a longer window", () => {
    const times = simulate(0.5, 4, 0);
    for (const gap of times.slice(1).map((t, i) => t - times[i]!)) {
      expect(gap).toBeGreaterThanOrEqual(2000);
      expect(gap).toBeLessThan(2150);
    }
  });

  it("restarts its schedule after the queue ran empty: no burst after quiet", () => {
    const pacer = new Pacer(20);
    pacer.record(0);
    pacer.idle();
    expect(pacer.nextSendAt(700)).toBe(700);
    pacer.record(700);
    expect(pacer.nextSendAt(700)).toBeCloseTo(700 + 50, 6);
  });

  it("after an eviction waits one window from the previous instance's last call", () => {
    expect(new Pacer(10, 4_000).nextSendAt(4_500)).toBe(4_000 + 1_000 * (1 + WINDOW_MARGIN_SHARE));
  });
});
