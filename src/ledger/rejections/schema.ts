// The table rejections/ alone writes: rejections, refused deliveries counted per hour, source and reason (one
// KV entry per hour, not one per forged request: counts.ts). Each entry below is this folder's part of one
// version of the ledger's ordered migrations (migrations.ts); never edit one that has shipped.

export const REJECTIONS_MIGRATIONS = {
  v2: `
CREATE TABLE IF NOT EXISTS rejections (
  period_start INTEGER NOT NULL,
  source TEXT NOT NULL,
  reason TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  written INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (period_start, source, reason)
);
`,
} as const;
