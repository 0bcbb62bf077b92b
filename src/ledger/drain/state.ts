// The drain's persisted state (table drain_state): the follow-ups the API refused the token for
// (follow-ups/switch.ts: off until when, since when, after which token). DrainStatus keeps it in memory and
// writes every change through, so an evicted instance resumes with the same switches. last_call_at and
// paused_until are what one pace for every call kept before issue #22: each token's own are in
// token_budgets now (token-paces.ts), which starts a token without a row from them. Contract: synchronous
// SQLite. A token is kept as its id (apiTokenId): 48 bits of HMAC-SHA256 under the ledger's own key
// (keys/), never the token, nor an unkeyed digest a reader of the storage could test guessed tokens against.
import type { Config } from "../../config";
import { keyedFingerprint } from "../../crypto/hmac";
import type { CallKind } from "../../domain/revocation";
import { logEvent } from "../../log";
import { requeueRefusedFollowUps } from "../calls/follow-up-calls";
import type { FollowUpSettings } from "../follow-ups/steps";
import {
  type Cause,
  causeGone,
  type FollowUp,
  type FollowUpSwitch,
  followUpOf,
  isOff,
  kindsOf,
  redriveFrom,
  SWITCHED_ON,
  skippedDetail,
  switchedOff,
} from "../follow-ups/switch";

const DRAIN_STATE_KEYS = [
  "last_call_at",
  "paused_until",
  "seats_refused_until",
  "seats_refused_since",
  "seats_refused_token",
  "verify_refused_until",
  "verify_refused_since",
  "verify_refused_token",
] as const;

export type DrainState = Record<(typeof DRAIN_STATE_KEYS)[number], number>;

const FOLLOW_UPS: FollowUp[] = ["seats", "verify"];

const emptyState = () => Object.fromEntries(DRAIN_STATE_KEYS.map((key) => [key, 0])) as DrainState;

export function loadDrainState(sql: SqlStorage): DrainState {
  const state = emptyState();
  for (const row of sql.exec<{ name: string; number_value: number }>("SELECT name, number_value FROM drain_state")) {
    const key = DRAIN_STATE_KEYS.find((name) => name === row.name);
    if (key) state[key] = row.number_value;
  }
  return state;
}

function saveDrainState(sql: SqlStorage, change: Partial<DrainState>): void {
  for (const [name, value] of Object.entries(change)) {
    sql.exec("INSERT OR REPLACE INTO drain_state (name, number_value) VALUES (?, ?)", name, value);
  }
}

/** A follow-up's switch as the state keeps it. */
export function switchOf(state: DrainState, followUp: FollowUp): FollowUpSwitch {
  return { until: state[`${followUp}_refused_until`], since: state[`${followUp}_refused_since`], token: state[`${followUp}_refused_token`] };
}

function switchChange(followUp: FollowUp, switched: FollowUpSwitch): Partial<DrainState> {
  return {
    [`${followUp}_refused_until`]: switched.until,
    [`${followUp}_refused_since`]: switched.since,
    [`${followUp}_refused_token`]: switched.token,
  };
}

/** The id drain_state keeps for an API token (see the header), under the ledger's key. */
export async function apiTokenId(key: string, token: string): Promise<number> {
  return Number.parseInt(await keyedFingerprint(key, `cloudflare-api-token:${token}`, 12), 16);
}

export class DrainStatus {
  current: DrainState = emptyState();
  /** The id of the API token the drain sends with (apiTokenId; 0 until the drain has looked). */
  private token = 0;

  constructor(private readonly sql: SqlStorage) {}

  /** Reads what an earlier instance persisted (after the schema exists). */
  load(): void {
    this.current = loadDrainState(this.sql);
  }

  save(change: Partial<DrainState>): void {
    Object.assign(this.current, change);
    saveDrainState(this.sql, change);
  }

  /** The API refused the token in use for a follow-up (at `target`): it is off for an hour (follow-ups/switch.ts). */
  switchOff(followUp: FollowUp, now: number, target: string): void {
    const switched = switchedOff(switchOf(this.current, followUp), now, this.token);
    this.save(switchChange(followUp, switched));
    logEvent("drain.follow_up_off", { which: followUp, until: new Date(switched.until).toISOString(), target });
  }

  /** The drain sends with this token now; a follow-up switched off after another one was refused comes back. */
  useToken(token: number, now: number): number {
    this.token = token;
    return this.comeBack({ kind: "token_in_use", token }, now);
  }

  /**
   * The switched-off follow-ups whose cause `cause` shows gone come back (follow-ups/switch.ts), and their
   * calls refused or skipped while they were off are queued again; answers how many calls.
   */
  comeBack(cause: Cause, now: number): number {
    let requeued = 0;
    for (const followUp of FOLLOW_UPS) {
      const switched = switchOf(this.current, followUp);
      if (!causeGone(followUp, switched, cause)) continue;
      const calls = requeueRefusedFollowUps(this.sql, kindsOf(followUp), redriveFrom(switched, now), now);
      this.save(switchChange(followUp, SWITCHED_ON));
      logEvent("drain.follow_up_on", { which: followUp, cause: cause.kind, requeued: calls });
      requeued += calls;
    }
    return requeued;
  }

  /** Why a call of this kind is not sent now: its follow-up is switched off (null: it is sent). */
  offDetail(kind: CallKind, now: number): string | null {
    const followUp = followUpOf(kind);
    if (followUp === null) return null;
    const switched = switchOf(this.current, followUp);
    return isOff(switched, now) ? skippedDetail(followUp, switched.until) : null;
  }

  followUpSettings(config: Config): FollowUpSettings {
    return {
      removeSeats: config.removeSeats,
      verifyAfterMs: config.verifyAfterSeconds > 0 ? config.verifyAfterSeconds * 1000 : null,
      seatsRefusedUntil: this.current.seats_refused_until,
      verifyRefusedUntil: this.current.verify_refused_until,
    };
  }
}
