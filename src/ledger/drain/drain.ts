// The ledger's drain: the alarm loop that sends due calls to Cloudflare, each API token at the pace its
// budget allows, classifies each answer, retries, pauses a token on 429, holds a target on 401/403, and
// settles revocations.
// Contract: runs inside the RevocationLedger Durable Object (one instance: each token's pace is global). It
// owns the calls' leases, the paces and the alarm; it writes the calls through calls/ and settles a revocation
// through revocations/settle.ts. Time, randomness and the network come from LedgerDeps, so tests can step time.
// Its parts: the send loop (send-loop.ts: which call next, next-call.ts; what follows an answer,
// after-answer.ts), the tokens' budgets, paces and pauses (token-paces.ts), the alarm (alarm.ts) and the
// switched-off follow-ups (state.ts). This class is what the ledger holds: it starts them, runs a slice when
// the alarm fires and arms the alarm for what is left.
import type { Config } from "../../config";
import { logEvent } from "../../log";
import { flushPartialBatches } from "../audit/outcome-batches";
import { releaseLeases } from "../calls/attempts";
import { earliestDueByTarget, pendingCount } from "../calls/queue";
import { apiTokenKey } from "../keys/fingerprint-key";
import { DrainAlarm } from "./alarm";
import { FALLBACK_PER_SECOND } from "./budget";
import type { DrainHost } from "./host";
import type { LaneGroup } from "./next-call";
import { SendLoop } from "./send-loop";
import { apiTokenId, type DrainState, DrainStatus } from "./state";
import { budgetView } from "./stats";

export class Drain {
  private readonly status: DrainStatus;
  private readonly alarm: DrainAlarm;
  private readonly loop: SendLoop;
  /** The API token last seen in the configuration, and its id (state.ts). */
  private token: { value: string; id: number } | null = null;

  constructor(private readonly host: DrainHost) {
    this.status = new DrainStatus(host.sql);
    this.alarm = new DrainAlarm(host.storage, () => host.deps().clock);
    this.loop = new SendLoop(host, this.status);
  }

  private get clock() {
    return this.host.deps().clock;
  }

  /** The switched-off follow-ups, as this instance keeps them. */
  get state(): DrainState {
    return this.status.current;
  }

  /** Each token's budget, pace and pause, as /v1/stats shows them. */
  async budgets() {
    const config = this.host.config();
    await this.loop.tokens.sync(config);
    const now = this.clock.now();
    return this.loop.tokens.all().map((token) => budgetView(token, this.loop.tokens.setting, now));
  }

  /**
   * Every token's pace added up; a token whose budget is spent until its reset counts at the fallback pace,
   * and before the first slice the configured number (or the fallback) stands for the pace.
   */
  pacePerSecond(config: Config): number {
    const tokens = this.loop.tokens.all();
    const now = this.clock.now();
    if (tokens.length === 0) return typeof config.revokeRatePerSecond === "number" ? config.revokeRatePerSecond : FALLBACK_PER_SECOND;
    return tokens.reduce((sum, token) => sum + (token.pace(this.loop.tokens.setting, now).perSecond || FALLBACK_PER_SECOND), 0);
  }

  /** The last call any token sent (0: none), and while every token is paused, when the first resumes (0: one is not). */
  pace(): { lastCallAt: number; pausedUntil: number } {
    const tokens = this.loop.tokens.all();
    const now = this.clock.now();
    const lastCallAt = Math.max(this.status.current.last_call_at, ...tokens.map((token) => token.lastCallAt));
    const pauses = tokens.map((token) => token.pausedUntil);
    const allPaused = pauses.length > 0 && pauses.every((until) => until > now);
    return { lastCallAt, pausedUntil: allPaused ? Math.min(...pauses) : 0 };
  }

  /** Loads the persisted pace and pause, and releases an earlier instance's leases (after the schema exists). */
  load(): void {
    this.status.load();
    const released = releaseLeases(this.host.sql, this.clock.now());
    if (released > 0) logEvent("drain.leases_released", { calls: released });
  }

  observedCallsLastMinute(): number {
    return this.loop.observedCallsLastMinute(this.clock.now());
  }

  /** Called by the Cron Trigger: re-arms the alarm if calls are due and no alarm will drain them. */
  async reconcile(): Promise<{ rearmed: boolean; pending_calls: number }> {
    const now = this.clock.now();
    const next = this.nextWakeAt();
    const pending = pendingCount(this.host.sql);
    if (next === null) return { rearmed: false, pending_calls: pending };
    const { stalled, alarm } = await this.alarm.stalled(now);
    if (stalled) {
      await this.alarm.set(Math.max(now, next));
      logEvent("drain.rearmed", { pending_calls: pending, previous_alarm: alarm });
    }
    return { rearmed: stalled, pending_calls: pending };
  }

  /** The alarm handler: one drain slice, then the alarm for whatever is left. */
  async run(): Promise<void> {
    this.alarm.fired();
    this.alarm.running = true;
    try {
      await this.drainOnce();
    } finally {
      this.alarm.running = false;
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
      await this.alarm.set(this.clock.now() + 60_000);
      return;
    }
    await this.useToken(config);
    await this.loop.slice(config);
    // The slice ended: outcomes still waiting for a full audit batch (a job's last ones) are appended now.
    if (flushPartialBatches(this.host.storage, this.clock.now()) > 0) this.host.auditAppended();
    const wake = this.nextWakeAt();
    if (wake !== null) await this.alarm.set(Math.max(wake, this.clock.now()));
  }

  /**
   * The API tokens in the configuration are the ones the drain sends with: a follow-up switched off after
   * other tokens were refused comes back (follow-ups/switch.ts). The tokens are taken as one set (every
   * target's, issue #22): a follow-up is switched off for every target, so a change of any token is a
   * reason to try again. Looked at before each slice and whenever the switches are read (/v1/stats,
   * /healthz), so a fixed token shows at once.
   */
  async useToken(config: Config): Promise<void> {
    if (config.dryRun || config.targetTokens.size === 0) return;
    const value = JSON.stringify([...config.targetTokens].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    if (this.token?.value !== value) {
      const key = this.host.storage.transactionSync(() => apiTokenKey(this.host.sql));
      this.token = { value, id: await apiTokenId(key, value) };
    }
    if (this.status.useToken(this.token.id, this.clock.now()) > 0) await this.arm(this.clock.now());
  }

  /**
   * Holds at these targets were lifted (by an operator, one or all): a follow-up switched off meanwhile comes
   * back (follow-ups/switch.ts); answers how many calls it queued again. Inside the lifting transaction.
   */
  holdsLifted(targets: readonly string[]): number {
    return targets.reduce((requeued, target) => requeued + this.status.comeBack({ kind: "hold_ended", target }, this.clock.now()), 0);
  }

  /** When the drain next has work: the earliest pending call (after its target's hold), not before its token may send. */
  nextWakeAt(): number | null {
    const due = earliestDueByTarget(this.host.sql);
    if (due.size === 0) return null;
    const now = this.clock.now();
    let wake = Number.POSITIVE_INFINITY;
    for (const [target, at] of due) wake = Math.min(wake, Math.max(at, this.loop.resumeAt(target, now)));
    return wake;
  }

  /** A commit queued calls in these groups: the drain serves them from its next look, without a scan. */
  noteGroups(groups: Iterable<LaneGroup>): void {
    this.loop.next.note(groups);
  }

  /** Makes sure the alarm fires by `at` (ledger clock), or when the first token may send again (all paused). */
  async arm(at: number): Promise<void> {
    await this.alarm.ensureBy(Math.max(at, this.loop.earliestResume(this.clock.now())));
  }
}
