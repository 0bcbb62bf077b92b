// The drain's send loop: one alarm's slice of due calls sent to Cloudflare at the global pace (pace.ts), at
// most MAX_IN_FLIGHT at a time, each leased, sent (or recorded in DRY_RUN), classified (classify.ts) and
// recorded with what follows (dispatch.ts) in one transaction, then carried out (after-answer.ts).
// Contract: one loop per instance; time, randomness and the network come from LedgerDeps (host.deps()).
import { callApi } from "../../cloudflare/api";
import type { Config } from "../../config";
import { logEvent } from "../../log";
import { callKey, type DueCall } from "../calls/queue";
import { planFollowUps } from "../follow-ups/plan";
import { afterAnswer } from "./after-answer";
import { classifyAnswer, rateLimitPauseMs } from "./classify";
import { type Effects, leaseAttempt, requestFor, settleAnswer, settleCall } from "./dispatch";
import type { DrainHost } from "./host";
import { NextCall } from "./next-call";
import { Pacer, type SentCall } from "./pace";
import type { DrainStatus } from "./state";

/** Workers allow six simultaneous outbound connections per invocation. */
const MAX_IN_FLIGHT = 6;
/** One alarm invocation drains for at most this long, then re-arms (alarms have a wall-clock limit). */
const DRAIN_SLICE_MS = 60_000;
/** A leased call whose answer never arrived (eviction) becomes due again this long after its timeout. */
const LEASE_MARGIN_MS = 30_000;

export class SendLoop {
  readonly next: NextCall;
  private pacer: Pacer | null = null;
  /** When recent Cloudflare calls were sent (this instance's memory; for the observed pace in stats). */
  private readonly recentCalls: number[] = [];
  /** Calls being sent right now, by callKey (their lease covers an eviction, not this instance). */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly host: DrainHost,
    private readonly status: DrainStatus,
  ) {
    this.next = new NextCall(host.sql);
  }

  observedCallsLastMinute(now: number): number {
    return this.recentCalls.filter((at) => at >= now - 60_000).length;
  }

  /** The pace's next slot at or after `now` (`now` before the first slice, or while a window is unanswered). */
  nextSlot(now: number): number {
    return this.pacer?.nextSendAt(now) ?? now;
  }

  /** Sends what is due until nothing is, the drain is paused, or the slice's time is up; waits for every answer. */
  async slice(config: Config): Promise<void> {
    const clock = this.host.deps().clock;
    const sliceEnd = clock.now() + DRAIN_SLICE_MS;
    const sending = new Set<Promise<void>>();
    this.pacer ??= new Pacer(config.revokeRatePerSecond, this.status.current.last_call_at);
    const pacer = this.pacer;
    for (;;) {
      const now = clock.now();
      if (this.status.current.paused_until > now) {
        pacer.idle(); // after a pause the schedule starts afresh, without a catch-up burst
        break;
      }
      if (sending.size >= MAX_IN_FLIGHT) {
        await Promise.race(sending);
        continue;
      }
      const next = this.next.choose(now, this.inFlight, () => this.planFollowUps(now, config));
      if (!next) {
        pacer.idle();
        break;
      }
      // DRY_RUN spends no API budget, so it is not paced.
      let paced: SentCall | null = null;
      if (!config.dryRun) {
        const slot = pacer.nextSendAt(now);
        if (slot === null) {
          // The call this one would follow in the window is still unanswered: its arrival is not bounded yet.
          await Promise.race(sending);
          continue;
        }
        if (slot > sliceEnd) break;
        if (slot > now) {
          await clock.sleep(slot - now);
          continue; // a 429 may have paused the drain while this slept
        }
        paced = pacer.record(now);
        this.status.save({ last_call_at: now });
        this.noteCall(now);
      }
      const { call } = next;
      this.next.served(next.turns);
      leaseAttempt(this.host.sql, call, now + config.cfApiTimeoutMs + LEASE_MARGIN_MS);
      const key = callKey(call);
      this.inFlight.add(key);
      const send: Promise<void> = this.send(call, config, paced)
        .catch((error) => logEvent("drain.dispatch_error", { error: String(error), target: call.target }))
        .finally(() => {
          // Given up on (an error before any answer): the call has arrived, if it ever will, by now.
          if (paced) pacer.answered(paced, clock.now());
          sending.delete(send);
          this.inFlight.delete(key);
        });
      sending.add(send);
    }
    await Promise.all(sending);
  }

  /** Plans a batch of follow-ups (follow-ups/plan.ts) in one transaction; answers the groups it queued. */
  private planFollowUps(now: number, config: Config) {
    return this.host.storage.transactionSync(() => planFollowUps(this.host.sql, now, this.status.followUpSettings(config)));
  }

  private noteCall(now: number): void {
    this.recentCalls.push(now);
    while (this.recentCalls.length > 0 && this.recentCalls[0]! < now - 60_000) this.recentCalls.shift();
  }

  /** Sends one call (or records it in DRY_RUN), classifies the answer, records it and carries out what follows. */
  private async send(call: DueCall, config: Config, paced: SentCall | null): Promise<void> {
    const { sql, storage } = this.host;
    const deps = this.host.deps();
    const request = requestFor(call, config);
    if (config.dryRun) {
      const status = storage.transactionSync(() =>
        settleCall(sql, call, { state: "dry_run", httpStatus: null, errors: [], request: JSON.stringify(request), error: null }, deps.clock.now()),
      );
      this.after(call, { revocation: status ?? undefined }, config);
      return;
    }
    const answer = await callApi({ fetch: deps.fetch, token: config.cfApiTokens[0]!, timeoutMs: config.cfApiTimeoutMs, request });
    const now = deps.clock.now();
    // The call has arrived, if it ever will, by the time its answer is here: that bounds the window.
    if (paced) this.pacer?.answered(paced, now);
    const verdict = classifyAnswer(answer, now);
    const budgetSpent = answer.kind === "response" ? rateLimitPauseMs(answer.rateLimit) : null;
    if (budgetSpent !== null) this.status.pause(now + budgetSpent, "Ratelimit header: no budget left");
    const httpStatus = answer.kind === "response" ? answer.httpStatus : null;
    const errors = answer.kind === "response" ? (answer.envelope?.errors ?? []) : [];
    // Successes are in the revocation.outcome line; every other answer gets its own line.
    if (verdict.outcome !== "answered") {
      logEvent("cloudflare.call", {
        target: call.target,
        kind: call.kind,
        attempt: call.attempts + 1,
        http_status: httpStatus,
        outcome: verdict.outcome,
        error: verdict.error,
      });
    }
    const effects = storage.transactionSync(() =>
      settleAnswer(sql, call, verdict, {
        now,
        httpStatus,
        errors,
        random: deps.random,
        followUps: this.status.followUpSettings(config),
        pausedUntil: this.status.current.paused_until,
        alerts: config.alertWebhookUrl !== null,
      }),
    );
    this.after(call, effects, config);
  }

  private after(call: DueCall, effects: Effects, config: Config): void {
    afterAnswer({ host: this.host, status: this.status, noteGroups: (groups) => this.next.note(groups) }, call, effects, config);
  }
}
