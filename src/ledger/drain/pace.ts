// The global pace of Cloudflare calls. Contract: pure, no clock (`now` is passed in), no I/O.
// - The window is the limit: no N + 1 calls (N = rate × W, W = 1 s, or longer for rates under one per
//   second) may *arrive* at the API within W, which is what REVOKE_RATE_PER_SECOND promises and what a
//   limiter counting arrivals (Cloudflare's 1200 per 5 minutes, or a strict one-second one) sees.
// - Arrivals are bounded by what the drain itself observes: a call arrives after it is sent and before its
//   answer comes back. So the next call goes out only once the call N before it has been answered, and at
//   least W after that answer: its arrival is then later than W after the other's, whatever the network
//   did in between. This costs one round trip per window (~1 % on loopback, where round trips of 1–150 ms
//   were measured under load) instead of a fixed margin that had to cover the worst jitter: a 1.5 % margin
//   still drew 15–18 × 429 per run from a strict one-second limiter, as jitter reached 50–150 ms.
// - A schedule spaces calls inside the window: call i is due at slot_i = slot_{i-1} + 1/rate, so a drain
//   that starts (or resumes after a pause) does not send the window's whole budget at once. A slot may lag
//   "now" by up to a quarter window: time lost to a stalled drain (a late timer, a slow SQLite step, a
//   garbage collection) is sent as soon as the window has room again, instead of being lost for good.
// - After an eviction the new instance knows only when the last call left, not when it was answered: it
//   waits one window from that call plus a 1.5 % allowance before its first call.
// - The rate may change between calls (a token's budget, drain/budget.ts, sets it before each): the window,
//   its N and the spacing follow at once, and the last MAX_KEPT calls are kept, so a rate raised mid-window
//   still finds the call N before and bounds the window at the new rate.

/** The share of the window a new instance adds to the previous instance's last call before its first. */
export const EVICTION_MARGIN_SHARE = 0.015;

/** A call as the window sees it: when it left, and when its answer came back (null while in flight). */
export type SentCall = { at: number; answeredAt: number | null };

/** The most calls a window can hold (REVOKE_RATE_PER_SECOND's highest value, 1000, over one second). */
const MAX_KEPT = 1000;

export class Pacer {
  windowMs = 1000;
  capacity = 1;
  private intervalMs = 1000;
  private maxLagMs = 250;
  /** The last MAX_KEPT calls, oldest first. */
  private readonly sent: SentCall[] = [];
  private lastSlot = Number.NEGATIVE_INFINITY;
  private restart = true;

  /** No call before this: one full window after the last call an earlier instance (evicted) persisted. */
  private readonly resumeAt: number;

  /** `lastCallAt`: the last call any earlier instance sent (0: none). */
  constructor(ratePerSecond: number, lastCallAt = 0) {
    this.setRate(ratePerSecond);
    this.resumeAt = lastCallAt > 0 ? lastCallAt + this.windowMs * (1 + EVICTION_MARGIN_SHARE) : 0;
  }

  /** The rate from now on (> 0; drain/budget.ts decides it before each call). */
  setRate(ratePerSecond: number): void {
    this.intervalMs = 1000 / ratePerSecond;
    this.windowMs = Math.max(1000, 1000 / ratePerSecond);
    this.capacity = Math.min(MAX_KEPT, Math.max(1, Math.floor((ratePerSecond * this.windowMs) / 1000)));
    this.maxLagMs = this.windowMs / 4;
  }

  private slotFor(now: number): number {
    return Math.max(this.lastSlot + this.intervalMs, now - this.maxLagMs);
  }

  /**
   * The earliest time at or after `now` when one more call keeps to the schedule and the window, or null
   * while the call it would follow in the window is still unanswered (wait for an answer, then ask again).
   */
  nextSendAt(now: number): number | null {
    let at = Math.max(now, this.resumeAt, this.slotFor(now));
    if (this.sent.length >= this.capacity) {
      const bound = this.sent[this.sent.length - this.capacity]!;
      if (bound.answeredAt === null) return null;
      // 1 ms beyond the window: a limiter whose window includes its start must not count both.
      at = Math.max(at, bound.answeredAt + this.windowMs + 1);
    }
    return at;
  }

  /** Records a call sent at `at` (which the caller got from nextSendAt, or later); mark it answered when it is. */
  record(at: number): SentCall {
    // After the queue ran empty the schedule restarts at this call: catching up is for a drain that fell
    // behind, not a burst after quiet.
    this.lastSlot = this.restart ? at : Math.min(this.slotFor(at), at);
    this.restart = false;
    const call: SentCall = { at, answeredAt: null };
    this.sent.push(call);
    if (this.sent.length > MAX_KEPT) this.sent.shift();
    return call;
  }

  /** The call's answer came back at `at` (or the drain gave up on it: a timeout, an error). */
  answered(call: SentCall, at: number): void {
    call.answeredAt ??= at;
  }

  /** The drain found nothing to send: the next call starts a new schedule. */
  idle(): void {
    this.restart = true;
  }
}
