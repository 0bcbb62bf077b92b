// The global pace of Cloudflare calls. Contract: pure, no clock (`now` is passed in), no I/O.
// - A schedule: call i is due at slot_i = slot_{i-1} + 1/rate. Late timers do not push the schedule
//   back (sending "one interval after the last send" lost every timer's lateness and drained only ~60 %
//   of the configured rate under load); a slot may lag "now" by at most one interval. The schedule
//   restarts whenever the queue ran empty or the drain paused.
// - A sliding window on top: in any W ms (1 s, or longer for rates under one per second) at most
//   N = rate × W calls go out: exactly what REVOKE_RATE_PER_SECOND promises and what the API's own limit
//   (1200 per 5 minutes) counts.
/**
 * The schedule runs at 98 % of the configured rate: calls reach the API a little after they leave and not
 * always in step, and a limiter that counts arrivals (Cloudflare's, or the benchmark's fake) must never
 * see more than the configured rate; the 2 % is that margin.
 */
export const SCHEDULE_SHARE = 0.98;

export class Pacer {
  readonly windowMs: number;
  readonly capacity: number;
  private readonly intervalMs: number;
  private readonly maxLagMs: number;
  /** Added to the window: a call leaves a little after the pacer decides, and the API counts arrivals. */
  private readonly marginMs: number;
  private readonly sent: number[] = [];
  private lastSlot = Number.NEGATIVE_INFINITY;
  private restart = true;

  /** `resumeAt`: no call before this (after an eviction: the previous instance's last call + one window). */
  constructor(ratePerSecond: number, private resumeAt = 0) {
    this.intervalMs = 1000 / (ratePerSecond * SCHEDULE_SHARE);
    this.windowMs = Math.max(1000, 1000 / ratePerSecond);
    this.capacity = Math.max(1, Math.floor((ratePerSecond * this.windowMs) / 1000));
    this.maxLagMs = Math.min(this.windowMs / 2, this.intervalMs);
    this.marginMs = Math.min(this.intervalMs / 2, 20);
  }

  private slotFor(now: number): number {
    return Math.max(this.lastSlot + this.intervalMs, now - this.maxLagMs);
  }

  /** The earliest time at or after `now` when one more call keeps to the schedule and the window. */
  nextSendAt(now: number): number {
    while (this.sent.length > 0 && this.sent[0]! <= now - this.windowMs - this.marginMs) this.sent.shift();
    let at = Math.max(now, this.resumeAt, this.slotFor(now));
    if (this.sent.length >= this.capacity) {
      at = Math.max(at, this.sent[this.sent.length - this.capacity]! + this.windowMs + this.marginMs);
    }
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
