// The table alerts/ alone writes: alert_outbox, every alert from when it happened until it was sent, failed
// for good or suppressed by the hourly cap (kept 30 days for /v1/stats and the record). Each entry below is
// this folder's part of one version of the ledger's ordered migrations (migrations.ts); never edit one that
// has shipped.

export const ALERTS_MIGRATIONS = {
  // alert_outbox: id (alrt_…, the webhook-id of every attempt), kind and topic (what de-duplicates it: one
  // alert per topic within a window), facts (JSON, domain/alerts.ts), the payload sent (written at its first
  // attempt, so every retry sends the same), job_id for a bulk job's summary while it gathers, state
  // (gathering, pending, sent, failed, suppressed), due_at (its next attempt), attempts, a lease while one is
  // in flight, the last error, and whether a suppressed one was counted in a summary.
  v22: `
CREATE TABLE IF NOT EXISTS alert_outbox (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  topic TEXT NOT NULL,
  facts TEXT NOT NULL,
  payload TEXT,
  job_id TEXT,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  leased_until INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  last_error_at INTEGER,
  sent_at INTEGER,
  suppressed_at INTEGER,
  summarized INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox (state, due_at);
CREATE INDEX IF NOT EXISTS alert_outbox_topic ON alert_outbox (topic, created_at);
`,
} as const;

type AlertState = "gathering" | "pending" | "sent" | "failed" | "suppressed";

export type AlertRow = {
  id: string;
  kind: string;
  topic: string;
  facts: string;
  payload: string | null;
  job_id: string | null;
  state: AlertState;
  created_at: number;
  due_at: number;
  attempts: number;
  leased_until: number;
  last_error: string | null;
  last_error_at: number | null;
  sent_at: number | null;
  suppressed_at: number | null;
  summarized: number;
};
