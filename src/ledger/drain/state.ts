// The drain's persisted state (table drain_state): the last call (pace across evictions), a 429 pause, and
// follow-ups the API refused the token for (seats_refused_until, verify_refused_until: switched off until
// then). Contract: synchronous SQLite.

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

export function saveDrainState(sql: SqlStorage, change: Partial<DrainState>): void {
  for (const [name, value] of Object.entries(change)) {
    sql.exec("INSERT OR REPLACE INTO drain_state (name, number_value) VALUES (?, ?)", name, value);
  }
}
