// The tables drain/ alone writes: drain_state, the follow-ups switched off (state.ts; before issue #22 also
// the one pace's last call and 429 pause), and token_budgets, each API token's budget, pause and last call
// (token-budgets.ts), so an evicted object resumes at the same pace. Each entry below is this folder's part of
// one version of the ledger's ordered migrations (migrations.ts); never edit one that has shipped.

export const DRAIN_MIGRATIONS = {
  v1: `
CREATE TABLE IF NOT EXISTS drain_state (
  name TEXT PRIMARY KEY,
  number_value INTEGER NOT NULL
);
`,
  // token_budgets: one row per Cloudflare API token, named by a keyed fingerprint (never the token): the
  // targets it served when last written, the budget Cloudflare last reported (JSON), its 429 pause, its
  // last call (the pace across evictions) and when its 429s came in the last hour (JSON).
  v17: `
CREATE TABLE IF NOT EXISTS token_budgets (
  token TEXT PRIMARY KEY,
  targets TEXT NOT NULL,
  budget TEXT,
  paused_until INTEGER NOT NULL DEFAULT 0,
  pause_reason TEXT,
  last_call_at INTEGER NOT NULL DEFAULT 0,
  rate_limited TEXT NOT NULL DEFAULT '[]'
) WITHOUT ROWID;
`,
} as const;
