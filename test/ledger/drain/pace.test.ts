// The pacer against a simulated API: each call takes a round trip, and arrives at the API anywhere inside
// it (the jitter a loaded machine and a network add). The invariant is the API's view: no more than the
// configured rate arrives in any one-second window; and the rate is actually used.
import { describe, expect, it } from "vitest";
import { EVICTION_MARGIN_SHARE, Pacer, type SentCall } from "../../../src/ledger/drain/pace";

/** A seeded generator, so a failure can be replayed. */
function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

type Options = {
  /** The round trip of each call, in ms. */
  roundTrip?: (random: () => number) => number;
  /** How late every timer fires (a loaded runtime). */
  lateMs?: number;
  /** The drain stalls for `ms` before call `at` (a garbage collection, a slow step). */
  stall?: { at: number; ms: number };
  seed?: number;
};

/** Drives a pacer as the drain does (at most six calls in flight); answers when each call arrived at the API. */
function simulate(rate: number, calls: number, options: Options = {}): { sent: number[]; arrived: number[] } {
  const random = seeded(options.seed ?? 1);
  const roundTrip = options.roundTrip ?? (() => 5);
  const pacer = new Pacer(rate);
  const sent: number[] = [];
  const arrived: number[] = [];
  const inFlight: { call: SentCall; answerAt: number }[] = [];
  let now = 0;
  const answerUpTo = (time: number) => {
    for (const flight of inFlight.splice(0).sort((a, b) => a.answerAt - b.answerAt)) {
      if (flight.answerAt <= time) pacer.answered(flight.call, flight.answerAt);
      else inFlight.push(flight);
    }
  };
  while (sent.length < calls) {
    if (options.stall && sent.length === options.stall.at) now += options.stall.ms;
    answerUpTo(now);
    const next = inFlight.length >= 6 ? null : pacer.nextSendAt(now);
    if (next === null) {
      // Wait for the earliest answer (the drain's Promise.race over its calls in flight).
      now = Math.max(now, Math.min(...inFlight.map((flight) => flight.answerAt)));
      continue;
    }
    if (next > now) {
      now = next + (options.lateMs ?? 0);
      continue;
    }
    const call = pacer.record(now);
    const trip = roundTrip(random);
    // Arrival anywhere inside the round trip: the worst case for a limiter is any of them.
    arrived.push(now + random() * trip);
    inFlight.push({ call, answerAt: now + trip });
    sent.push(now);
    now += 0.2; // the work of one dispatch
  }
  return { sent, arrived };
}

function mostInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

const achieved = (times: number[]) => (times.length - 1) / ((times[times.length - 1]! - times[0]!) / 1000);

describe("Pacer", () => {
  it.each([3, 20, 200, 1000])("lets no more than %i calls arrive in any second, whatever the arrival jitter", (rate) => {
    for (const seed of [1, 2, 3]) {
      for (const late of [0, 4, 12]) {
        // Round trips of 1–150 ms, as measured on loopback under load, with the arrival anywhere inside.
        const { arrived } = simulate(rate, Math.min(rate * 5, 3000), { roundTrip: (random) => 1 + random() ** 3 * 149, lateMs: late, seed });
        expect(mostInAnyWindow(arrived, 1000)).toBeLessThanOrEqual(rate);
      }
    }
  });

  it("uses the budget: with loopback round trips it sends at 98 % or more of the configured rate", () => {
    const { sent } = simulate(200, 4000, { roundTrip: (random) => 1 + random() * 20 });
    expect(achieved(sent)).toBeGreaterThan(200 * 0.98);
    expect(achieved(sent)).toBeLessThanOrEqual(200);
  });

  it("keeps up when timers run late (catches up instead of drifting)", () => {
    const { sent } = simulate(200, 2000, { lateMs: 4 });
    expect(achieved(sent)).toBeGreaterThan(200 * 0.97);
  });

  it("makes up the time a stalled drain lost, inside the window", () => {
    const steady = simulate(200, 600).sent;
    for (const ms of [20, 45, 120]) {
      const { sent, arrived } = simulate(200, 600, { stall: { at: 150, ms } });
      expect(mostInAnyWindow(arrived, 1000)).toBeLessThanOrEqual(200);
      // The last call goes out about when it would have without the stall: nothing was lost for good.
      expect(sent[sent.length - 1]! - steady[steady.length - 1]!).toBeLessThan(15);
    }
  });

  it("waits for answers when the API is slower than the window, and still never exceeds it", () => {
    const { arrived, sent } = simulate(20, 200, { roundTrip: () => 1500 });
    expect(mostInAnyWindow(arrived, 1000)).toBeLessThanOrEqual(20);
    expect(achieved(sent)).toBeLessThan(20);
  });

  it("paces rates below one per second over a longer window", () => {
    const { sent } = simulate(0.5, 4);
    for (const gap of sent.slice(1).map((t, i) => t - sent[i]!)) {
      expect(gap).toBeGreaterThanOrEqual(2000);
      expect(gap).toBeLessThan(2150);
    }
  });

  it("holds a call while the one it would follow in the window is unanswered", () => {
    const pacer = new Pacer(2);
    pacer.record(0);
    const second = pacer.record(500);
    expect(pacer.nextSendAt(1200)).toBeNull();
    pacer.answered(pacer.record(9999), 0); // unrelated: a later call answered does not unblock the window
    pacer.answered(second, 600);
    expect(pacer.nextSendAt(1200)).toBeGreaterThanOrEqual(1601);
  });

  it("restarts its schedule after the queue ran empty: no burst after quiet", () => {
    const pacer = new Pacer(20);
    pacer.answered(pacer.record(0), 5);
    pacer.idle();
    expect(pacer.nextSendAt(700)).toBe(700);
    pacer.record(700);
    expect(pacer.nextSendAt(700)).toBeCloseTo(700 + 50, 6);
  });

  it("follows a rate raised mid-window at once, still bounding the window at the new rate (issue #22: a budget sets it)", () => {
    const pacer = new Pacer(3);
    const arrivals: number[] = [];
    for (const at of [0, 334, 667]) {
      pacer.answered(pacer.record(at), at + 5);
      arrivals.push(at);
    }
    pacer.setRate(100);
    let now = 700;
    while (now < 1700) {
      const at = pacer.nextSendAt(now);
      if (at === null || at > now) {
        now = at ?? now + 1;
        continue;
      }
      pacer.answered(pacer.record(now), now + 5);
      arrivals.push(now);
    }
    // The three calls at 3/s count in the window at 100/s: the 98th call after them waits for the first's window.
    expect(mostInAnyWindow(arrivals, 1000)).toBe(100);
    expect(arrivals.filter((at) => at >= 700 && at < 1000).length).toBeGreaterThan(25);
  });

  it("follows a rate lowered mid-window: the next call waits for the call N before at the new N", () => {
    const pacer = new Pacer(100);
    for (let i = 0; i < 100; i++) pacer.answered(pacer.record(i * 10), i * 10 + 5);
    pacer.setRate(5);
    // The 5th call before the next one is the one at 950 ms, answered at 955: a full window after it.
    expect(pacer.nextSendAt(1000)).toBe(955 + 1000 + 1);
  });

  it("after an eviction waits one window from the previous instance's last call", () => {
    expect(new Pacer(10, 4_000).nextSendAt(4_500)).toBe(4_000 + 1_000 * (1 + EVICTION_MARGIN_SHARE));
  });
});
