// The global pace of Cloudflare calls. Contract: pure, no clock (`now` is passed in), no I/O.
// - A sliding window is the limit: in any W + margin ms (W = 1 s, or longer for rates under one per
//   second) at most N = rate × W calls go out: exactly what REVOKE_RATE_PER_SECOND promises and what the
//   API's own limit (1200 per 5 minutes) counts.
// - A schedule spaces calls inside the window: call i is due at slot_i = slot_{i-1} + 1/rate, so a drain
//   that starts (or resumes after a pause) does not send the window's whole budget at once. A slot may lag
//   "now" by up to a quarter window: time lost to a stalled drain (a late timer, a slow SQLite step, a
//   garbage collection) is sent as soon as the window has room again, instead of being lost for good
//   (sending "one interval after the last send" drained only ~60 % of the configured rate under load; a
//   one-interval catch-up 92–94 %). The window, not the schedule, keeps the catch-up within the limit.
// - The margin: a call reaches the API a little after the pacer lets it go, and not always in step with
//   its neighbours; a limiter that counts arrivals (Cloudflare's, or the benchmark's fake) must never see
//   N + 1 in one window. 1.5 % of the window (15 ms at W = 1 s) covers that jitter on a loaded machine.
/** The share of the window added as margin for arrival jitter. */
export const WINDOW_MARGIN_SHARE = 0.015;

export class Pacer {
  readonly windowMs: number;
  readonly capacity: number;
  private readonly intervalMs: number;
  private readonly maxLagMs: number;
  private readonly marginMs: number;
  private readonly sent: number[] = [];
  private lastSlot = Number.NEGATIVE_INFINITY;
  private restart = true;

  /** No call before this: one full window after the last call an earlier instance (evicted) persisted. */
  private resumeAt: number;

  /** `lastCallAt`: the last call any earlier instance sent (0: none). */
  constructor(ratePerSecond: number, lastCallAt = 0) {
    this.intervalMs = 1000 / ratePerSecond;
    this.windowMs = Math.max(1000, 1000 / ratePerSecond);
    this.capacity = Math.max(1, Math.floor((ratePerSecond * this.windowMs) / 1000));
    this.maxLagMs = this.windowMs / 4;
    this.marginMs = this.windowMs * WINDOW_MARGIN_SHARE;
    this.resumeAt = lastCallAt > 0 ? lastCallAt + this.windowMs + this.marginMs : 0;
  }

  private slotFor(now: number): number {
    return Math.max(this.lastSlot + this.intervalMs, now - this.maxLagMs);
  }

  /** The earliest time at or after `now` when one more call keeps to the schedule and the window. */
  nextSendAt(now: number): number {
    const span = this.windowMs + this.marginMs;
    while (this.sent.length > 0 && this.sent[0]! <= now - span) this.sent.shift();
    let at = Math.max(now, this.resumeAt, this.slotFor(now));
    if (this.sent.length >= this.capacity) at = Math.max(at, this.sent[this.sent.length - this.capacity]! + span);
    return at;
  }

  /** Records a call sent at `at` (which the caller got from nextSendAt, or later). */
  record(at: number): void {
    // After the queue ran empty the schedule restarts at this call: catching up is for a drain that fell
    // behind, not a burst after quiet.
    this.lastSlot = this.restart ? at : Math.min(this.slotFor(at), at);
    this.restart = false;
    this.sent.push(at);
    if (this.sent.length > this.capacity) this.sent.shift();
  }

  /** The drain found nothing to send: the next call starts a new schedule. */
  idle(): void {
    this.restart = true;
  }

  /** Lifts the post-eviction wait (tests that fast-forward time); the window itself always holds. */
  reset(): void {
    this.resumeAt = 0;
  }
}
