// The table drain/ alone writes: drain_state, the pacer's last call, any 429 pause and the follow-ups
// switched off, so an evicted object resumes at the same pace (state.ts). Each entry below is this folder's
// part of one version of the ledger's ordered migrations (migrations.ts); never edit one that has shipped.

export const DRAIN_MIGRATIONS = {
  v1: `
CREATE TABLE IF NOT EXISTS drain_state (
  name TEXT PRIMARY KEY,
  number_value INTEGER NOT NULL
);
`,
} as const;
