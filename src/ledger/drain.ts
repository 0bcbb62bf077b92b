// The ledger's drain: the alarm loop that sends due calls to Cloudflare at the global pace, classifies
// each answer, retries, pauses on 429, holds a target on 401/403, and settles revocations.
// Contract: runs inside the RevocationLedger Durable Object (one instance: the pace is global); it owns
// the calls' leases, the pacer and the alarm, and reaches the rest of the ledger only through DrainHost.
import { recordOutcome, recordOutcomeBatch } from "../audit/audit-log";
import { buildRevokeUserRequest, revokeUserSessions } from "../cloudflare/revoke-user";
import type { Config, Target } from "../config";
import { logEvent } from "../log";
import { queueBatchedOutcome, takePartialBatches } from "./bulk";
import { backoffMs, classifyAnswer, rateLimitPauseMs } from "./classify";
import { Pacer } from "./pace";
import { MAX_HISTORY, settledStatus, TERMINAL_STATUSES, type CallAttempt, type RevocationRecord } from "./record";
import type { CallRow } from "./schema";

export const RETRY_BUDGET_MS = 24 * 60 * 60_000;
/** How long calls to a target wait after the API refuses the token there, before one probing call. */
export const TOKEN_HOLD_MS = 5 * 60_000;
/** Workers allow six simultaneous outbound connections per invocation. */
const MAX_IN_FLIGHT = 6;
/** One alarm invocation drains for at most this long, then re-arms (alarms have a wall-clock limit). */
const DRAIN_SLICE_MS = 60_000;
/** A leased call whose answer never arrived (eviction) becomes due again this long after its timeout. */
const LEASE_MARGIN_MS = 30_000;

export type DrainState = { last_call_at: number; paused_until: number };

type DueCall = CallRow & { email: string; user_uid: string | null; devices: number; warp_session_reauth: number; queued_at: number };

/** What the drain needs from the ledger around it. */
export type DrainHost = {
  sql: SqlStorage;
  storage: DurableObjectStorage;
  auditLog: KVNamespace;
  config(): Config;
  waitUntil(promise: Promise<unknown>): void;
  recordBySeq(seq: number): RevocationRecord | null;
  /** A revocation reached a terminal status (wakes anyone waiting for it). */
  onOutcome(record: RevocationRecord): void;
};

function parseTarget(path: string): Target {
  const [kind, id] = path.split("/") as ["accounts" | "zones", string];
  return { kind, id };
}

/** The call's history (JSON) with one more attempt, the oldest dropped past MAX_HISTORY. */
function withAttempt(history: string, attempt: CallAttempt): string {
  return JSON.stringify([...(JSON.parse(history) as CallAttempt[]), attempt].slice(-MAX_HISTORY));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Drain {
  state: DrainState = { last_call_at: 0, paused_until: 0 };
  private pacer: Pacer | null = null;
  /** When recent Cloudflare calls were sent (this instance's memory; for the observed pace in stats). */
  private readonly recentCalls: number[] = [];
  /** Calls being sent right now, by "<revocation seq>/<target>" (their lease covers an eviction). */
  private readonly inFlight = new Set<string>();
  /** The alarm time this instance last saw or set (null: unknown); the draining flag covers a running alarm. */
  private alarmAt: number | null = null;
  private draining = false;
  private readonly sql: SqlStorage;
  private readonly storage: DurableObjectStorage;

  constructor(private readonly host: DrainHost) {
    this.sql = host.sql;
    this.storage = host.storage;
  }

  /** Loads the persisted pace and pause (after the schema exists). */
  load(): void {
    for (const row of this.sql.exec<{ name: string; number_value: number }>("SELECT name, number_value FROM drain_state")) {
      if (row.name === "last_call_at" || row.name === "paused_until") this.state[row.name] = row.number_value;
    }
  }

  observedCallsLastMinute(): number {
    return this.recentCalls.filter((at) => at >= Date.now() - 60_000).length;
  }

  /** Called by the Cron Trigger: re-arms the alarm if calls are due and no alarm will drain them. */
  async reconcile(): Promise<{ rearmed: boolean; pending_calls: number }> {
    const now = Date.now();
    const next = this.nextWakeAt();
    const pending = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM calls WHERE state = 'pending'").one().n;
    if (next === null) return { rearmed: false, pending_calls: pending };
    const alarm = await this.storage.getAlarm();
    const stalled = alarm === null || alarm < now - 120_000;
    if (stalled) {
      this.alarmAt = Math.max(now, next);
      await this.storage.setAlarm(this.alarmAt);
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
      this.alarmAt = Date.now() + 60_000;
      await this.storage.setAlarm(this.alarmAt);
      return;
    }
    const sliceEnd = Date.now() + DRAIN_SLICE_MS;
    const inFlight = new Set<Promise<void>>();
    this.pacer ??= new Pacer(config.revokeRatePerSecond, this.state.last_call_at);
    const pacer = this.pacer;
    for (;;) {
      const now = Date.now();
      if (this.state.paused_until > now) {
        pacer.idle(); // after a pause the schedule starts afresh, without a catch-up burst
        break;
      }
      if (inFlight.size >= MAX_IN_FLIGHT) {
        await Promise.race(inFlight);
        continue;
      }
      const call = this.nextDueCall(now);
      if (!call) {
        pacer.idle();
        break;
      }
      // DRY_RUN spends no API budget, so it is not paced.
      if (!config.dryRun) {
        const slot = pacer.nextSendAt(now);
        if (slot > sliceEnd) break;
        if (slot > now) {
          await sleep(slot - now);
          continue; // a 429 may have paused the drain while this slept
        }
        pacer.record(now);
        this.saveDrainState({ last_call_at: now });
      }
      this.leaseCall(call, now, config);
      if (!config.dryRun) this.noteCall(now);
      const key = `${call.revocation_seq}/${call.target}`;
      this.inFlight.add(key);
      const dispatch: Promise<void> = this.dispatchCall(call, config)
        .catch((error) => logEvent("drain.dispatch_error", { error: String(error), target: call.target }))
        .finally(() => {
          inFlight.delete(dispatch);
          this.inFlight.delete(key);
        });
      inFlight.add(dispatch);
    }
    await Promise.all(inFlight);
    await this.flushPartialAuditBatches();
    const next = this.nextWakeAt();
    if (next !== null) {
      this.alarmAt = Math.max(next, Date.now());
      await this.storage.setAlarm(this.alarmAt);
    }
  }

  private noteCall(now: number): void {
    this.recentCalls.push(now);
    while (this.recentCalls.length > 0 && this.recentCalls[0]! < now - 60_000) this.recentCalls.shift();
  }

  private leaseCall(call: DueCall, now: number, config: Config): void {
    this.sql.exec(
      "UPDATE calls SET attempts = attempts + 1, next_attempt_at = ? WHERE revocation_seq = ? AND target = ?",
      now + config.cfApiTimeoutMs + LEASE_MARGIN_MS, call.revocation_seq, call.target,
    );
    this.sql.exec("UPDATE revocations SET attempts = attempts + 1 WHERE seq = ?", call.revocation_seq);
  }

  private async dispatchCall(call: DueCall, config: Config): Promise<void> {
    const input = {
      target: parseTarget(call.target),
      email: call.email,
      userUid: call.user_uid,
      devices: call.devices === 1,
      warpSessionReauth: call.warp_session_reauth === 1,
    };
    if (config.dryRun) {
      const request = buildRevokeUserRequest(config.cfApiBaseUrl, input);
      await this.settleCall(call, { state: "dry_run", httpStatus: null, errors: [], request: JSON.stringify(request) }, Date.now());
      return;
    }
    const answer = await revokeUserSessions({
      fetch: (...args) => fetch(...args),
      baseUrl: config.cfApiBaseUrl,
      token: config.cfApiTokens[0]!,
      timeoutMs: config.cfApiTimeoutMs,
      input,
    });
    const now = Date.now();
    const verdict = classifyAnswer(answer, now);
    const budgetSpent = answer.kind === "response" ? rateLimitPauseMs(answer.rateLimit) : null;
    if (budgetSpent !== null) {
      this.saveDrainState({ paused_until: Math.max(this.state.paused_until, now + budgetSpent) });
      logEvent("drain.paused", { until: new Date(this.state.paused_until).toISOString(), reason: "Ratelimit header: no budget left" });
    }
    const httpStatus = answer.kind === "response" ? answer.httpStatus : null;
    const errors = answer.kind === "response" ? (answer.envelope?.errors ?? []) : [];
    // Successes are in the revocation.outcome line; every other answer gets its own line.
    if (verdict.outcome !== "revoked" && verdict.outcome !== "not_found") logEvent("cloudflare.call", {
      target: call.target,
      attempt: call.attempts + 1,
      http_status: httpStatus,
      outcome: verdict.outcome,
      error: "error" in verdict ? verdict.error : undefined,
    });
    const history = withAttempt(call.history, { at: new Date(now).toISOString(), http_status: httpStatus, outcome: verdict.outcome, error: "error" in verdict ? verdict.error : null });
    switch (verdict.outcome) {
      case "revoked":
      case "not_found":
        await this.settleCall(call, { state: verdict.outcome, httpStatus, errors, request: null, history }, now);
        return;
      case "failed":
        if (verdict.holdTarget) {
          this.sql.exec(
            "INSERT OR REPLACE INTO target_holds (target, until, reason) VALUES (?, ?, ?)",
            call.target, now + TOKEN_HOLD_MS, verdict.error,
          );
          logEvent("drain.held", { target: call.target, reason: verdict.error, until: new Date(now + TOKEN_HOLD_MS).toISOString() });
        }
        await this.settleCall(call, { state: "failed", httpStatus, errors, request: null, error: verdict.error, history }, now);
        return;
      case "retry": {
        if (now - call.queued_at >= RETRY_BUDGET_MS) {
          const error = `gave up after the ${RETRY_BUDGET_MS / 3_600_000} h retry budget: ${verdict.error}`;
          await this.settleCall(call, { state: "failed", httpStatus, errors, request: null, error, history }, now);
          return;
        }
        if (verdict.pauseDrainMs !== undefined) {
          this.saveDrainState({ paused_until: Math.max(this.state.paused_until, now + verdict.pauseDrainMs) });
          logEvent("drain.paused", { until: new Date(this.state.paused_until).toISOString(), reason: verdict.error });
        }
        const retryAt = verdict.pauseDrainMs !== undefined ? this.state.paused_until : now + backoffMs(call.attempts + 1, Math.random);
        this.sql.exec(
          "UPDATE calls SET next_attempt_at = ?, http_status = ?, errors = ?, history = ? WHERE revocation_seq = ? AND target = ?",
          retryAt, httpStatus, JSON.stringify(errors), history, call.revocation_seq, call.target,
        );
        this.sql.exec("UPDATE revocations SET last_error = ? WHERE seq = ?", verdict.error, call.revocation_seq);
        return;
      }
    }
  }

  /** Records a call's final state and, once every target has one, the revocation's outcome. */
  private async settleCall(
    call: DueCall,
    result: { state: CallRow["state"]; httpStatus: number | null; errors: unknown[]; request: string | null; error?: string; history?: string },
    now: number,
  ): Promise<void> {
    const history = result.history ?? withAttempt(call.history, { at: new Date(now).toISOString(), http_status: null, outcome: result.state, error: null });
    const status = this.storage.transactionSync(() => {
      this.sql.exec(
        `UPDATE calls SET state = ?, http_status = ?, errors = ?, request = ?, completed_at = ?, history = ?
         WHERE revocation_seq = ? AND target = ?`,
        result.state, result.httpStatus, JSON.stringify(result.errors), result.request, now, history,
        call.revocation_seq, call.target,
      );
      const states = this.sql
        .exec<{ state: CallRow["state"] }>("SELECT state FROM calls WHERE revocation_seq = ?", call.revocation_seq)
        .toArray()
        .map((row) => row.state);
      const settled = settledStatus(states);
      // last_error says why the revocation is not done: it goes once every target succeeded (the
      // earlier errors stay in each target's history).
      const succeeded = TERMINAL_STATUSES.has(settled) && settled !== "failed";
      this.sql.exec(
        "UPDATE revocations SET status = ?, completed_at = ?, last_error = CASE WHEN ? THEN NULL ELSE COALESCE(?, last_error) END WHERE seq = ?",
        settled, TERMINAL_STATUSES.has(settled) ? now : null, succeeded ? 1 : 0, result.error ?? null, call.revocation_seq,
      );
      return settled;
    });
    if (!TERMINAL_STATUSES.has(status)) return;
    const record = this.host.recordBySeq(call.revocation_seq)!;
    logEvent("revocation.outcome", {
      id: record.id,
      source: record.source,
      email: record.email,
      status: record.status,
      attempts: record.attempts,
      targets: record.targets,
      last_error: record.last_error,
    });
    this.host.onOutcome(record);
    const config = this.host.config();
    const audit = { retentionDays: config.auditRetentionDays, now };
    let write: Promise<void> | null;
    if (record.job_id) {
      // Bulk outcomes go to KV in batches (one write per AUDIT_BATCH_SIZE), to stay inside the Free
      // plan's 1,000 KV writes a day; the batch is taken from SQLite, so it is written exactly once.
      const entry = { revocation_id: record.id, email: record.email ?? "", status: record.status, at: now };
      const batch = this.storage.transactionSync(() => queueBatchedOutcome(this.sql, record.job_id!, entry));
      write = batch ? recordOutcomeBatch(this.host.auditLog, record.job_id, batch, audit) : null;
    } else {
      write = recordOutcome(this.host.auditLog, record, audit);
    }
    // The KV write is the human trail, not the record of truth: it must not hold one of the drain's
    // in-flight slots (a slow write would stall the pace), so it finishes in the background.
    if (write) this.host.waitUntil(write.catch((error) => logEvent("audit.write_failed", { id: record.id, error: String(error) })));
  }


  /** Writes the outcomes still waiting for a full batch, whenever a drain slice ends. */
  private async flushPartialAuditBatches(): Promise<void> {
    const pending = this.storage.transactionSync(() => takePartialBatches(this.sql));
    if (pending.length === 0) return;
    const audit = { retentionDays: this.host.config().auditRetentionDays, now: Date.now() };
    for (const { jobId, batch } of pending) {
      try {
        await recordOutcomeBatch(this.host.auditLog, jobId, batch, audit);
      } catch (error) {
        logEvent("audit.write_failed", { job_id: jobId, error: String(error) });
      }
    }
  }


  private nextDueCall(now: number): DueCall | undefined {
    return this.sql
      .exec<DueCall>(
        `SELECT c.*, r.email, r.user_uid, r.devices, r.warp_session_reauth, r.queued_at
         FROM calls c JOIN revocations r ON r.seq = c.revocation_seq
         WHERE c.state = 'pending' AND c.next_attempt_at <= ?
           AND c.target NOT IN (SELECT target FROM target_holds WHERE until > ?)
         ORDER BY c.next_attempt_at, c.revocation_seq LIMIT 1`,
        now, now,
      )
      .toArray()[0];
  }

  /** When the drain next has work: the earliest pending call (after its target's hold), not before a pause or pace slot. */
  nextWakeAt(): number | null {
    const earliest = this.sql
      .exec<{ at: number | null }>(
        `SELECT MIN(MAX(c.next_attempt_at, COALESCE(h.until, 0))) AS at
         FROM calls c LEFT JOIN target_holds h ON h.target = c.target
         WHERE c.state = 'pending'`,
      )
      .one().at;
    if (earliest === null) return null;
    return Math.max(earliest, this.state.paused_until, this.pacer?.nextSendAt(Date.now()) ?? 0);
  }

  /**
   * Makes sure the alarm fires by `at`. The drain running (or an alarm already set early enough, as this
   * instance last set it) needs no storage round trip: commits on the hot path skip it.
   */
  async arm(at: number): Promise<void> {
    const wake = Math.max(at, this.state.paused_until);
    if (this.draining || (this.alarmAt !== null && this.alarmAt <= wake)) return;
    const current = await this.storage.getAlarm();
    if (current === null || current > wake) {
      await this.storage.setAlarm(wake);
      this.alarmAt = wake;
    } else {
      this.alarmAt = current;
    }
  }

  private saveDrainState(change: Partial<DrainState>): void {
    Object.assign(this.state, change);
    for (const [name, value] of Object.entries(change)) {
      this.sql.exec(
        "INSERT OR REPLACE INTO drain_state (name, number_value) VALUES (?, ?)",
        name, value,
      );
    }
  }

}
