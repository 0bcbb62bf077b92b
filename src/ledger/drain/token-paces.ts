// Each Cloudflare API token as the drain paces it: Cloudflare counts a budget per token (per user), so each
// token has its own budget (budget.ts), its own pace (a Pacer at the rate its budget allows, pace.ts), its own
// 429 pause and its own count of 429s, and serves the targets the configuration gives it (ACCESS_API_TOKENS,
// else ACCESS_API_TOKEN). A token is named by a keyed fingerprint (HMAC-SHA256 under a key the ledger makes
// once, keys/fingerprint-key.ts; 16 hex digits), which is all that is stored or shown of it.
// Contract: runs inside the ledger; every change is written through to token_budgets (token-budgets.ts) in
// the caller's turn, so an evicted instance resumes each token where it was. `now` is passed in.
import type { RateLimitReport } from "../../cloudflare/rate-limit";
import type { Config } from "../../config";
import { keyedFingerprint } from "../../crypto/hmac";
import { logEvent } from "../../log";
import { apiTokenKey } from "../keys/fingerprint-key";
import {
  type Budget,
  bindingLimit,
  budgetAnswered,
  budgetReported,
  budgetSent,
  decidePace,
  NO_BUDGET,
  type Pace,
  type PaceSetting,
  paceSetting,
  untilReset,
} from "./budget";
import { Pacer, type SentCall } from "./pace";
import { loadDrainState } from "./state";
import { loadTokenBudgets, saveTokenBudget, type TokenBudgetRow } from "./token-budgets";

const FINGERPRINT_HEX_DIGITS = 16;
const HOUR_MS = 3_600_000;
/** 429s remembered per token (a Retry-After of one second all hour would be 3,600). */
const MAX_RATE_LIMITED_KEPT = 1000;

export class TokenPace {
  private pacer: Pacer | null = null;
  private row: TokenBudgetRow;
  /** Calls of this token being sent right now. */
  private inFlight = 0;

  constructor(
    readonly fingerprint: string,
    readonly secret: string,
    readonly targets: string[],
    saved: TokenBudgetRow,
    private readonly sql: SqlStorage,
  ) {
    this.row = { ...saved, targets };
  }

  get budget(): Budget {
    return this.row.budget ?? NO_BUDGET;
  }

  get pausedUntil(): number {
    return this.row.paused_until;
  }

  get lastCallAt(): number {
    return this.row.last_call_at;
  }

  pace(setting: PaceSetting, now: number): Pace {
    return decidePace(this.budget, setting, now);
  }

  /** When this token may send its next call: at or after `now`, or null while the window waits for an answer. */
  nextSendAt(setting: PaceSetting, now: number): number | null {
    const pace = this.pace(setting, now);
    const wait = Math.max(this.row.paused_until, pace.notBefore);
    if (wait > now) {
      this.pacer?.idle(); // after a pause or a spent budget's reset the schedule starts afresh, without a catch-up burst
      return wait;
    }
    this.pacer ??= new Pacer(pace.perSecond, this.row.last_call_at);
    this.pacer.setRate(pace.perSecond);
    return this.pacer.nextSendAt(now);
  }

  /** A call of this token goes out at `now`. */
  sent(now: number): SentCall | null {
    this.inFlight++;
    this.save({ last_call_at: now, budget: budgetSent(this.budget) });
    return this.pacer?.record(now) ?? null;
  }

  /** Its answer came back (or the drain gave up on it) at `now`, with what it said of the budget. */
  answered(call: SentCall | null, now: number, report: RateLimitReport | null): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (call) this.pacer?.answered(call, now);
    const answered = budgetAnswered(this.budget);
    this.save({ budget: report ? budgetReported(answered, report, now, this.inFlight) : answered });
  }

  /** How long to wait after a 429 that named no Retry-After: until the budget's reset, when one is known. */
  untilReset(now: number): number | null {
    return untilReset(this.budget, now);
  }

  rateLimited(now: number): void {
    this.save({ rate_limited: [...this.row.rate_limited.filter((at) => at > now - HOUR_MS), now].slice(-MAX_RATE_LIMITED_KEPT) });
  }

  rateLimitedLastHour(now: number): number {
    return this.row.rate_limited.filter((at) => at > now - HOUR_MS).length;
  }

  /** Pauses this token's calls until `until` (a 429); a shorter pause changes nothing. */
  pause(until: number, reason: string): void {
    if (until <= this.row.paused_until) return;
    this.save({ paused_until: until, pause_reason: reason });
    logEvent("drain.paused", { token: this.fingerprint, until: new Date(until).toISOString(), reason });
  }

  /** The drain found nothing of this token's to send: its next call starts a new schedule. */
  idle(): void {
    this.pacer?.idle();
  }

  /** The limit the pace is bound by, as /v1/stats shows it. */
  binding(now: number) {
    return bindingLimit(this.budget, now) ?? this.budget.limits[0] ?? null;
  }

  private save(change: Partial<TokenBudgetRow>): void {
    Object.assign(this.row, change);
    saveTokenBudget(this.sql, this.row);
  }
}

/** Every token the configuration names, by fingerprint and by target. */
export class TokenPaces {
  private byTarget = new Map<string, TokenPace>();
  private kept = new Map<string, TokenPace>();
  private syncedFor: Config | null = null;
  setting: PaceSetting = { auto: true, ceiling: null };

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Reads the configuration's tokens (once per configuration): their fingerprints, and what was persisted of each. */
  async sync(config: Config): Promise<void> {
    if (this.syncedFor === config) return;
    const sql = this.storage.sql;
    const key = this.storage.transactionSync(() => apiTokenKey(sql));
    const targetsOf = new Map<string, string[]>();
    for (const [target, token] of config.targetTokens) targetsOf.set(token, [...(targetsOf.get(token) ?? []), target]);
    const saved = loadTokenBudgets(sql);
    // Before issue #22 one pace and one pause stood for every call: a token without a row of its own starts from them.
    const before = loadDrainState(sql);
    const byTarget = new Map<string, TokenPace>();
    const kept = new Map<string, TokenPace>();
    for (const [secret, targets] of targetsOf) {
      const fingerprint = await keyedFingerprint(key, secret, FINGERPRINT_HEX_DIGITS);
      const current = this.kept.get(fingerprint);
      const pace =
        current && current.targets.join() === targets.join()
          ? current
          : new TokenPace(
              fingerprint,
              secret,
              targets,
              saved.get(fingerprint) ?? {
                token: fingerprint,
                targets,
                budget: null,
                paused_until: before.paused_until,
                pause_reason: null,
                last_call_at: before.last_call_at,
                rate_limited: [],
              },
              sql,
            );
      kept.set(fingerprint, pace);
      for (const target of targets) byTarget.set(target, pace);
    }
    this.kept = kept;
    this.byTarget = byTarget;
    this.setting = paceSetting(config.revokeRatePerSecond, config.revokeRateMaxPerSecond);
    this.syncedFor = config;
  }

  forTarget(target: string): TokenPace | undefined {
    return this.byTarget.get(target);
  }

  all(): TokenPace[] {
    return [...this.kept.values()];
  }
}
