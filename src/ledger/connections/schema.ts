// The table connections/ alone writes: managed_connections, one row per managed connection (an SSF stream, a
// Google channel, a Graph subscription the Worker keeps; src/connections/). Each entry below is this folder's
// part of one version of the ledger's ordered migrations (migrations.ts); never edit one that has shipped.

export const CONNECTIONS_MIGRATIONS = {
  // managed_connections: by name (the source it keeps: ssf-okta, google, entra): its kind, status (ok or
  // failing, since failing_since), the last run, proof of life and error, when it was created, renewed and
  // repaired, and the kind's own state (JSON: ids, expirations, channel tokens; secrets included, so never
  // shown). `configured` is 0 for a connection the configuration no longer names: its row and state are
  // kept (it may come back) but nothing shows it.
  v20: `
CREATE TABLE IF NOT EXISTS managed_connections (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  configured INTEGER NOT NULL DEFAULT 1,
  status TEXT NOT NULL DEFAULT 'ok',
  failing_since INTEGER,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  state TEXT,
  first_seen_at INTEGER NOT NULL,
  last_run_at INTEGER,
  last_proof_at INTEGER,
  last_proof TEXT,
  last_error TEXT,
  last_error_at INTEGER,
  created_at INTEGER,
  renewed_at INTEGER,
  repaired_at INTEGER
);
`,
  // v24 (issue #20): what the kind shows an operator of the connection (JSON: ids, statuses, times; never a
  // secret), shown in /v1/stats as `details`.
  v24: `ALTER TABLE managed_connections ADD COLUMN details TEXT;`,
} as const;

export type ConnectionRow = {
  name: string;
  kind: string;
  configured: number;
  status: "ok" | "failing";
  failing_since: number | null;
  consecutive_failures: number;
  state: string | null;
  first_seen_at: number;
  last_run_at: number | null;
  last_proof_at: number | null;
  last_proof: string | null;
  last_error: string | null;
  last_error_at: number | null;
  created_at: number | null;
  renewed_at: number | null;
  repaired_at: number | null;
  details: string | null;
};
