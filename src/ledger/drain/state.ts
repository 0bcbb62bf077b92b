// The drain's persisted state (table drain_state): follow-ups the API refused the token for
// (seats_refused_until, verify_refused_until: switched off until then). DrainStatus keeps it in memory and
// writes every change through. last_call_at and paused_until are what one pace for every call kept before
// issue #22: each token's own are in token_budgets now (token-paces.ts), which starts a token without a row
// from them. Contract: synchronous SQLite.
import type { Config } from "../../config";
import { logEvent } from "../../log";
import type { FollowUpSettings } from "../follow-ups/steps";

export type DrainState = { last_call_at: number; paused_until: number; seats_refused_until: number; verify_refused_until: number };

const DRAIN_STATE_KEYS = ["last_call_at", "paused_until", "seats_refused_until", "verify_refused_until"] as const;

export function loadDrainState(sql: SqlStorage): DrainState {
  const state: DrainState = { last_call_at: 0, paused_until: 0, seats_refused_until: 0, verify_refused_until: 0 };
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

export class DrainStatus {
  current: DrainState = { last_call_at: 0, paused_until: 0, seats_refused_until: 0, verify_refused_until: 0 };

  constructor(private readonly sql: SqlStorage) {}

  /** Reads what an earlier instance persisted (after the schema exists). */
  load(): void {
    this.current = loadDrainState(this.sql);
  }

  save(change: Partial<DrainState>): void {
    Object.assign(this.current, change);
    saveDrainState(this.sql, change);
  }

  /** The API refused the token for a follow-up (at `target`): it is off until `until`. */
  switchOff(which: "seats" | "verify", until: number, target: string): void {
    this.save({ [which === "seats" ? "seats_refused_until" : "verify_refused_until"]: until });
    logEvent("drain.follow_up_off", { which, until: new Date(until).toISOString(), target });
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
