// The table deliveries/ alone writes: source_deliveries, one row per source: when it last delivered something
// accepted, and when a silence was last noted. Each entry below is this folder's part of one version of the
// ledger's ordered migrations (migrations.ts); never edit one that has shipped.

export const DELIVERIES_MIGRATIONS = {
  // source_deliveries: by source (okta, scim, ssf-<name>, …): first_seen_at (the first Cron run that found it
  // configured, or its first delivery: a silence is counted from there when it never delivered),
  // last_accepted_at, and silence_noted_at (when its silence threshold was last passed and alerted).
  v21: `
CREATE TABLE IF NOT EXISTS source_deliveries (
  source TEXT PRIMARY KEY,
  first_seen_at INTEGER NOT NULL,
  last_accepted_at INTEGER,
  silence_noted_at INTEGER
);
`,
} as const;

export type SourceDeliveryRow = { source: string; first_seen_at: number; last_accepted_at: number | null; silence_noted_at: number | null };
