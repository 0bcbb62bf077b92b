// The drain's send loop: one alarm's slice of due calls sent to Cloudflare, each at its token's pace
// (token-paces.ts: a budget, a pace and a pause per API token), at most MAX_IN_FLIGHT at a time, each leased,
// sent (or recorded in DRY_RUN; failed, unsent, when its target has no API token any more), classified
// (classify.ts) and recorded with what follows (dispatch.ts) in one transaction, then carried out (after-answer.ts).
// The lanes' order (next-call.ts) holds within each token: the call that goes next is the first in lane
// order; when its token has no pace to spare, the first among the targets whose token has goes instead, so
// one token's spent budget never holds another's calls, and within a token urgent calls still go first.
// Contract: one loop per instance; time, randomness and the network come from LedgerDeps (host.deps()).
import { callApi } from "../../cloudflare/api";
import { type RateLimitReport, readRateLimitHeaders } from "../../cloudflare/rate-limit";
import type { Config } from "../../config";
import { logEvent } from "../../log";
import { callKey, type DueCall } from "../calls/queue";
import { planFollowUps } from "../follow-ups/plan";
import { newRevocationId } from "../store/context";
import { afterAnswer } from "./after-answer";
import { classifyAnswer } from "./classify";
import { type AnswerContext, type Effects, leaseAttempt, requestFor, settleAnswer, settleCall, skipCall } from "./dispatch";
import type { DrainHost } from "./host";
import { NextCall } from "./next-call";
import type { SentCall } from "./pace";
import type { DrainStatus } from "./state";
import { type TokenPace, TokenPaces } from "./token-paces";

/** Workers allow six simultaneous outbound connections per invocation. */
const MAX_IN_FLIGHT = 6;
/** One alarm invocation drains for at most this long, then re-arms (alarms have a wall-clock limit). */
const DRAIN_SLICE_MS = 60_000;
/** A leased call whose answer never arrived (eviction) becomes due again this long after its timeout. */
const LEASE_MARGIN_MS = 30_000;
/**
 * A slice waits in place for a pace slot up to this long; a longer wait (a 429 pause, a spent budget's
 * reset) ends it, and the alarm wakes the drain then, so the object is not held busy through a pause.
 */
const LONGEST_WAIT_IN_SLICE_MS = 1000;

export class SendLoop {
  readonly next: NextCall;
  readonly tokens: TokenPaces;
  /** When recent Cloudflare calls were sent (this instance's memory; for the observed pace in stats). */
  private readonly recentCalls: number[] = [];
  /** Calls being sent right now, by callKey (their lease covers an eviction, not this instance). */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly host: DrainHost,
    private readonly status: DrainStatus,
  ) {
    this.next = new NextCall(host.sql);
    this.tokens = new TokenPaces(host.storage);
  }

  observedCallsLastMinute(now: number): number {
    return this.recentCalls.filter((at) => at >= now - 60_000).length;
  }

  /** Sends what is due until nothing is, every token with calls due must wait past the slice, or the slice's time is up; waits for every answer. */
  async slice(config: Config): Promise<void> {
    const clock = this.host.deps().clock;
    const sliceEnd = clock.now() + DRAIN_SLICE_MS;
    const sending = new Set<Promise<void>>();
    await this.tokens.sync(config);
    const plan = () => this.planFollowUps(clock.now(), config);
    for (;;) {
      const now = clock.now();
      if (sending.size >= MAX_IN_FLIGHT) {
        await Promise.race(sending);
        continue;
      }
      let next = this.next.choose(now, this.inFlight, plan);
      if (!next) {
        for (const token of this.tokens.all()) token.idle();
        break;
      }
      if (this.skippedOff(next.call, now)) continue;
      // DRY_RUN spends no API budget, so it is not paced.
      let token = config.dryRun ? undefined : this.tokens.forTarget(next.call.target);
      if (token && !this.ready(token, now)) {
        // Its token has no pace to spare now: the first call whose token has goes instead, or the loop waits.
        const waiting = this.tokens.all().filter((candidate) => !this.ready(candidate, now));
        const other =
          waiting.length < this.tokens.all().length
            ? this.next.choose(
                now,
                this.inFlight,
                plan,
                waiting.flatMap((w) => w.targets),
              )
            : null;
        if (!other) {
          const wake = Math.min(...waiting.map((candidate) => candidate.nextSendAt(this.tokens.setting, now) ?? Number.POSITIVE_INFINITY));
          if (wake === Number.POSITIVE_INFINITY) {
            // Each waits for an answer to bound its window.
            if (sending.size === 0) break;
            await Promise.race(sending);
          } else if (wake > sliceEnd || wake - now > LONGEST_WAIT_IN_SLICE_MS) {
            break;
          } else {
            await Promise.race([clock.sleep(wake - now), ...sending]);
          }
          continue; // a 429 may have paused a token while this waited
        }
        next = other;
        if (this.skippedOff(next.call, now)) continue;
        token = this.tokens.forTarget(next.call.target);
      }
      const paced = token ? this.sent(token, now) : null;
      const { call } = next;
      this.next.served(next.turns);
      leaseAttempt(this.host.sql, call, now + config.cfApiTimeoutMs + LEASE_MARGIN_MS);
      const key = callKey(call);
      this.inFlight.add(key);
      let answered = false;
      const send: Promise<void> = this.send(call, config, token, paced, () => {
        answered = true;
      })
        .catch((error) => logEvent("drain.dispatch_error", { error: String(error), target: call.target }))
        .finally(() => {
          // Given up on (an error before any answer): the call has arrived, if it ever will, by now.
          if (token && !answered) token.answered(paced, clock.now(), null);
          sending.delete(send);
          this.inFlight.delete(key);
        });
      sending.add(send);
    }
    await Promise.all(sending);
  }

  /**
   * A follow-up switched off since its call was queued is not sent (follow-ups/switch.ts): it is recorded
   * skipped, at no pace. Asked of every call the loop is about to send, the first chosen or the one whose
   * token has pace to spare; answers whether it was skipped.
   */
  private skippedOff(call: DueCall, now: number): boolean {
    const off = this.status.offDetail(call.kind, now);
    if (off === null) return false;
    this.after(
      call,
      this.host.storage.transactionSync(() => skipCall(this.host.sql, call, off, now)),
      undefined,
    );
    return true;
  }

  /** Whether `token` may send a call at `now`. */
  private ready(token: TokenPace, now: number): boolean {
    const at = token.nextSendAt(this.tokens.setting, now);
    return at !== null && at <= now;
  }

  /** When the drain next may send at `target` (not before its token's pause, spent budget or pace slot). */
  resumeAt(target: string, now: number): number {
    const token = this.tokens.forTarget(target);
    return token ? (token.nextSendAt(this.tokens.setting, now) ?? now) : now;
  }

  /** When the first token may send again (now when one may, or none is known yet). */
  earliestResume(now: number): number {
    const tokens = this.tokens.all();
    return tokens.length === 0 ? now : Math.min(...tokens.map((token) => token.nextSendAt(this.tokens.setting, now) ?? now));
  }

  private sent(token: TokenPace, now: number): SentCall | null {
    this.noteCall(now);
    return token.sent(now);
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
  private async send(call: DueCall, config: Config, token: TokenPace | undefined, paced: SentCall | null, onAnswer: () => void): Promise<void> {
    const { sql, storage } = this.host;
    const deps = this.host.deps();
    const request = requestFor(call, config);
    if (config.dryRun) {
      const status = storage.transactionSync(() =>
        settleCall(sql, call, { state: "dry_run", httpStatus: null, errors: [], request: JSON.stringify(request), error: null }, deps.clock.now()),
      );
      this.after(call, { revocation: status ?? undefined }, token);
      return;
    }
    if (!token) {
      // Its target left the configuration (or its token did) while the call was queued: nothing can be sent,
      // and the call fails like any unanswerable one (a revocation failed, alerted and retryable; a sweep's
      // account ended), never recorded as sent or dry_run.
      const now = deps.clock.now();
      const verdict = { outcome: "failed" as const, error: `no API token is configured for ${call.target}`, refused: false };
      const effects = storage.transactionSync(() =>
        settleAnswer(sql, call, verdict, this.answerContext(config, { now, httpStatus: null, errors: [], pausedUntil: 0, sentAt: now })),
      );
      this.after(call, effects, undefined);
      return;
    }
    const sentAt = deps.clock.now();
    const answer = await callApi({ fetch: deps.fetch, token: token.secret, timeoutMs: config.cfApiTimeoutMs, request });
    const now = deps.clock.now();
    // The call has arrived, if it ever will, by the time its answer is here: that bounds the window. What the
    // answer says of the budget sets the token's pace from now on.
    const report: RateLimitReport | null = answer.kind === "response" ? readRateLimitHeaders(answer.rateLimit, answer.rateLimitPolicy) : null;
    token.answered(paced, now, report);
    onAnswer();
    const verdict = classifyAnswer(answer, now, token.untilReset(now));
    const httpStatus = answer.kind === "response" ? answer.httpStatus : null;
    if (httpStatus === 429) token.rateLimited(now);
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
      settleAnswer(sql, call, verdict, this.answerContext(config, { now, httpStatus, errors, pausedUntil: token.pausedUntil, sentAt })),
    );
    this.after(call, effects, token);
  }

  /** What settling an answer needs beside the answer itself: the configuration's part and the ledger's. */
  private answerContext(config: Config, answer: Pick<AnswerContext, "now" | "httpStatus" | "errors" | "pausedUntil" | "sentAt">): AnswerContext {
    return {
      ...answer,
      random: this.host.deps().random,
      followUps: this.status.followUpSettings(config),
      commit: { settings: config, newId: newRevocationId },
      sweep: {
        revokeReturns: config.reconcileRevokeReturns,
        removeSeats: config.removeSeats,
        retentionMs: config.auditRetentionDays * 86_400_000,
      },
      alerts: config.alertWebhookUrl !== null,
    };
  }

  private after(call: DueCall, effects: Effects, token: TokenPace | undefined): void {
    afterAnswer(
      {
        host: this.host,
        status: this.status,
        noteGroups: (groups) => this.next.note(groups),
        pause: (until, reason) => token?.pause(until, reason),
      },
      call,
      effects,
    );
  }
}
