// The ledger's drain: the alarm loop that sends due calls to Cloudflare at the global pace, classifies
// each answer, retries, pauses on 429, holds a target on 401/403, and settles revocations.
// Contract: runs inside the RevocationLedger Durable Object (one instance: the pace is global). It owns
// the calls' leases, the pacer and the alarm; it writes the calls through calls/ and settles a
// revocation through revocations/settle.ts. Time, randomness and the network come from
// LedgerDeps, so tests can step time.

import { callApi } from "../../cloudflare/api";
import type { Config } from "../../config";
import { type RevocationRecord, TERMINAL_STATUSES } from "../../domain/revocation";
import { logEvent } from "../../log";
import { auditOutcome, flushPartialBatches } from "../audit/outcome-batches";
import { releaseLeases } from "../calls/attempts";
import { chooseNext, type Head, LANES, type Lane, laneGroupKey, type Turns } from "../calls/lanes";
import { callKey, type DueCall, dueHead, earliestDue, pendingCount, pendingGroups } from "../calls/queue";
import type { LedgerDeps } from "../deps";
import { planFollowUps } from "../follow-ups/plan";
import type { FollowUpSettings } from "../follow-ups/steps";
import { recordBySeq } from "../revocations/records";
import { classifyAnswer, rateLimitPauseMs } from "./classify";
import { type Effects, leaseAttempt, requestFor, settleAnswer, settleCall } from "./dispatch";
import { Pacer, type SentCall } from "./pace";
import { type DrainState, loadDrainState, saveDrainState } from "./state";

/** Workers allow six simultaneous outbound connections per invocation. */
const MAX_IN_FLIGHT = 6;
/** One alarm invocation drains for at most this long, then re-arms (alarms have a wall-clock limit). */
const DRAIN_SLICE_MS = 60_000;
/** A leased call whose answer never arrived (eviction) becomes due again this long after its timeout. */
const LEASE_MARGIN_MS = 30_000;
/** How often the drain rescans the groups with pending calls (commits tell it theirs at once). */
const GROUPS_RESCAN_MS = 1000;
/** The Cron Trigger re-arms an alarm that should have fired this long ago. */
const STALLED_ALARM_MS = 120_000;

/** What the drain needs from the ledger around it. */
export type DrainHost = {
  sql: SqlStorage;
  storage: DurableObjectStorage;
  auditLog: KVNamespace;
  config(): Config;
  deps(): LedgerDeps;
  waitUntil(promise: Promise<unknown>): void;
  /** A revocation reached a terminal status (wakes anyone waiting for it). */
  onOutcome(record: RevocationRecord): void;
};

export class Drain {
  state: DrainState = { last_call_at: 0, paused_until: 0, seats_refused_until: 0, verify_refused_until: 0 };
  private pacer: Pacer | null = null;
  /** When recent Cloudflare calls were sent (this instance's memory; for the observed pace in stats). */
  private readonly recentCalls: number[] = [];
  /** Calls being sent right now, by callKey (their lease covers an eviction, not this instance). */
  private readonly inFlight = new Set<string>();
  /** The alarm time (ledger clock) this instance last saw or set (null: unknown); `draining` covers a running alarm. */
  private alarmAt: number | null = null;
  private draining = false;
  /**
   * The lanes and groups with pending calls: commits add theirs (noteGroups), and a scan every
   * GROUPS_RESCAN_MS drops the emptied ones and catches anything else (a retry re-queued, a resolution).
   */
  private groups = new Map<string, { lane: Lane; group: string }>();
  private groupsScannedAt = Number.NEGATIVE_INFINITY;
  /** Whose turn it is in each lane. */
  private turns: Turns = {};
  private readonly sql: SqlStorage;

  constructor(private readonly host: DrainHost) {
    this.sql = host.sql;
  }

  private get clock() {
    return this.host.deps().clock;
  }

  /** Loads the persisted pace and pause, and releases an earlier instance's leases (after the schema exists). */
  load(): void {
    this.state = loadDrainState(this.sql);
    const released = releaseLeases(this.sql, this.clock.now());
    if (released > 0) logEvent("drain.leases_released", { calls: released });
  }

  observedCallsLastMinute(): number {
    const since = this.clock.now() - 60_000;
    return this.recentCalls.filter((at) => at >= since).length;
  }

  /** Called by the Cron Trigger: re-arms the alarm if calls are due and no alarm will drain them. */
  async reconcile(): Promise<{ rearmed: boolean; pending_calls: number }> {
    const now = this.clock.now();
    const next = this.nextWakeAt();
    const pending = pendingCount(this.sql);
    if (next === null) return { rearmed: false, pending_calls: pending };
    const alarm = await this.host.storage.getAlarm();
    const stalled = alarm === null || alarm < this.clock.alarmTime(now) - STALLED_ALARM_MS;
    if (stalled) {
      await this.setAlarm(Math.max(now, next));
      logEvent("drain.rearmed", { pending_calls: pending, previous_alarm: alarm });
    }
    return { rearmed: stalled, pending_calls: pending };
  }

  /** The alarm handler: one drain slice, then the alarm for whatever is left. */
  async run(): Promise<void> {
    this.alarmAt = null;
    this.draining = true;
    try {
      await this.drainOnce();
    } finally {
      this.draining = false;
    }
    // Work committed while the drain was finishing is covered by the alarm drainOnce set, or by this.
    const next = this.nextWakeAt();
    if (next !== null) await this.arm(next);
  }

  private async drainOnce(): Promise<void> {
    let config: Config;
    try {
      config = this.host.config();
    } catch (error) {
      logEvent("drain.not_configured", { error: String(error) });
      await this.setAlarm(this.clock.now() + 60_000);
      return;
    }
    const clock = this.clock;
    const sliceEnd = clock.now() + DRAIN_SLICE_MS;
    const sending = new Set<Promise<void>>();
    this.pacer ??= new Pacer(config.revokeRatePerSecond, this.state.last_call_at);
    const pacer = this.pacer;
    for (;;) {
      const now = clock.now();
      if (this.state.paused_until > now) {
        pacer.idle(); // after a pause the schedule starts afresh, without a catch-up burst
        break;
      }
      if (sending.size >= MAX_IN_FLIGHT) {
        await Promise.race(sending);
        continue;
      }
      const next = this.nextCall(now, config);
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
        this.saveState({ last_call_at: now });
        this.noteCall(now);
      }
      const { call } = next;
      this.turns = next.turns;
      leaseAttempt(this.sql, call, now + config.cfApiTimeoutMs + LEASE_MARGIN_MS);
      const key = callKey(call);
      this.inFlight.add(key);
      const send: Promise<void> = this.sendCall(call, config, paced)
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
    await flushPartialBatches(this.host.storage, this.host.auditLog, { retentionDays: config.auditRetentionDays, now: clock.now() });
    const wake = this.nextWakeAt();
    if (wake !== null) await this.setAlarm(Math.max(wake, clock.now()));
  }

  /**
   * The call to send next (calls/lanes.ts decides among the due heads of every group), and whose turn it is
   * once it is sent: the turn moves only when a call really goes out, not each time the drain looks.
   */
  private nextCall(now: number, config: Config): { call: DueCall; turns: Turns } | null {
    if (now - this.groupsScannedAt >= GROUPS_RESCAN_MS) {
      this.groups = new Map(pendingGroups(this.sql).map((entry) => [laneGroupKey(entry.lane, entry.group), entry]));
      this.groupsScannedAt = now;
    }
    // Lanes are strict (calls/lanes.ts): a later lane's heads are read only when no earlier lane has one due,
    // so follow-ups waiting behind a layoff cost the drain nothing per call. Follow-ups are planned only
    // when their own lane has nothing due either: with pace that no revocation is waiting for.
    for (const lane of LANES) {
      let choice = this.chooseIn(lane, now);
      if (!choice && lane === "follow_up" && this.planFollowUps(now, config)) choice = this.chooseIn(lane, now);
      if (choice) return { call: choice.head.call, turns: choice.turns };
    }
    // Nothing due in the groups known: scan again next time (one may have appeared another way).
    this.groupsScannedAt = Number.NEGATIVE_INFINITY;
    return null;
  }

  private chooseIn(lane: Lane, now: number) {
    const heads: Head<DueCall>[] = [];
    for (const entry of this.groups.values()) {
      if (entry.lane !== lane) continue;
      const call = dueHead(this.sql, lane, entry.group, now, this.inFlight);
      if (call) heads.push({ lane, group: entry.group, call });
    }
    return chooseNext(heads, this.turns);
  }

  /** Plans a batch of follow-ups (follow-ups/plan.ts); true when it queued any. */
  private planFollowUps(now: number, config: Config): boolean {
    const queued = this.host.storage.transactionSync(() => planFollowUps(this.sql, now, this.followUpSettings(config)));
    this.noteGroups(queued);
    return queued.length > 0;
  }

  private noteCall(now: number): void {
    this.recentCalls.push(now);
    while (this.recentCalls.length > 0 && this.recentCalls[0]! < now - 60_000) this.recentCalls.shift();
  }

  /** Sends one call (or records it in DRY_RUN), classifies the answer, records it and carries out what follows. */
  private async sendCall(call: DueCall, config: Config, paced: SentCall | null): Promise<void> {
    const deps = this.host.deps();
    const request = requestFor(call, config);
    if (config.dryRun) {
      const status = this.host.storage.transactionSync(() =>
        settleCall(
          this.sql,
          call,
          { state: "dry_run", httpStatus: null, errors: [], request: JSON.stringify(request), error: null },
          deps.clock.now(),
        ),
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
    if (budgetSpent !== null) this.pause(now + budgetSpent, "Ratelimit header: no budget left");
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
    const effects = this.host.storage.transactionSync(() =>
      settleAnswer(this.sql, call, verdict, {
        now,
        httpStatus,
        errors,
        random: deps.random,
        followUps: this.followUpSettings(config),
        pausedUntil: this.state.paused_until,
      }),
    );
    this.after(call, effects, config);
  }

  private followUpSettings(config: Config): FollowUpSettings {
    return {
      removeSeats: config.removeSeats,
      verifyAfterMs: config.verifyAfterSeconds > 0 ? config.verifyAfterSeconds * 1000 : null,
      seatsRefusedUntil: this.state.seats_refused_until,
      verifyRefusedUntil: this.state.verify_refused_until,
    };
  }

  /** Carries out what an answer's record asks for: pauses, switched-off follow-ups, logs, waiters, audit. */
  private after(call: DueCall, effects: Effects, config: Config): void {
    const now = this.clock.now();
    if (effects.queued) this.noteGroups(effects.queued);
    if (effects.pauseUntil) this.pause(effects.pauseUntil.at, effects.pauseUntil.reason);
    if (effects.followUpOff) {
      const key = effects.followUpOff.which === "seats" ? "seats_refused_until" : "verify_refused_until";
      this.saveState({ [key]: effects.followUpOff.until });
      logEvent("drain.follow_up_off", {
        which: effects.followUpOff.which,
        until: new Date(effects.followUpOff.until).toISOString(),
        target: call.target,
      });
    }
    if (effects.revocation === undefined && !effects.stillActive && !effects.followedUp) return;
    if (effects.revocation !== undefined && !TERMINAL_STATUSES.has(effects.revocation)) return;
    const record = recordBySeq(this.sql, call.revocation_seq)!;
    logEvent(effects.revocation !== undefined ? "revocation.outcome" : "revocation.follow_up", {
      id: record.id,
      source: record.source,
      email: record.email,
      status: record.status,
      attempts: record.attempts,
      targets: record.targets,
      last_error: record.last_error,
    });
    if (effects.revocation !== undefined) this.host.onOutcome(record);
    // A revocation's outcome, then (if follow-ups are on) its seats and verification, each one audit entry.
    // The KV write is the human trail, not the record of truth: it must not hold one of the drain's
    // in-flight slots (a slow write would stall the pace), so it finishes in the background.
    const label = effects.revocation !== undefined ? record.status : effects.stillActive ? "still_active" : effects.followedUp ? "followed_up" : null;
    if (label === null) return;
    const write = auditOutcome(this.host.storage, this.host.auditLog, record, { retentionDays: config.auditRetentionDays, now }, label);
    if (write) this.host.waitUntil(write.catch((error: unknown) => logEvent("audit.write_failed", { id: record.id, error: String(error) })));
  }

  private pause(until: number, reason: string): void {
    if (until <= this.state.paused_until) return;
    this.saveState({ paused_until: until });
    logEvent("drain.paused", { until: new Date(until).toISOString(), reason });
  }

  /** When the drain next has work: the earliest pending call (after its target's hold), not before a pause or pace slot. */
  nextWakeAt(): number | null {
    const earliest = earliestDue(this.sql);
    if (earliest === null) return null;
    const now = this.clock.now();
    return Math.max(earliest, this.state.paused_until, this.pacer?.nextSendAt(now) ?? now);
  }

  /**
   * Makes sure the alarm fires by `at` (ledger clock). The drain running (or an alarm already set early
   * enough, as this instance last set it) needs no storage round trip: commits on the hot path skip it.
   */
  /** A commit queued calls in these groups: the drain serves them from its next look, without a scan. */
  noteGroups(groups: Iterable<{ lane: Lane; group: string }>): void {
    for (const entry of groups) this.groups.set(laneGroupKey(entry.lane, entry.group), entry);
  }

  async arm(at: number): Promise<void> {
    const wake = Math.max(at, this.state.paused_until);
    if (this.draining || (this.alarmAt !== null && this.alarmAt <= wake)) return;
    const current = await this.host.storage.getAlarm();
    if (current === null || current > this.clock.alarmTime(wake)) {
      await this.setAlarm(wake);
    } else {
      this.alarmAt = wake;
    }
  }

  private async setAlarm(at: number): Promise<void> {
    this.alarmAt = at;
    await this.host.storage.setAlarm(this.clock.alarmTime(at));
  }

  private saveState(change: Partial<DrainState>): void {
    Object.assign(this.state, change);
    saveDrainState(this.sql, change);
  }
}
