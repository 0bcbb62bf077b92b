// The tables entra/ alone writes: what the Worker keeps of Microsoft Entra ID. Each entry below is this
// folder's part of one version of the ledger's ordered migrations (migrations.ts); never edit one that has
// shipped, add a new version.

export const ENTRA_MIGRATIONS = {
  // entra_state: one row. The Graph subscription the Worker keeps (its id, clientState, expiry, when it was
  //   created and renewed, the last error, what a lifecycle notification asked for; the clientState of one being
  //   created and of the one it replaced, so notifications in flight at a change are still recognised), the delta
  //   catch-up (its links, whether the first full read is done, when it is due next, its last run and reset),
  //   a pause Graph asked for (429), and the notifications accepted, for /v1/stats (refused ones are counted
  //   with every source's refusals, ledger/rejections/). Two leases keep the Cron Trigger and a
  //   route's background work from maintaining the subscription or running the delta twice at once.
  // entra_changes: users a notification named, to be read from Graph (one row per user: a second notification
  //   before the read adds nothing), with a lease while a read is under way and a backoff after a failed one.
  // entra_users: the users whose departure is decided: revoked (by a notification's read or the delta), or
  //   found disabled by the first full read (which revokes no one). A row means "not again until re-enabled":
  //   a user seen enabled loses it, so a later disablement revokes again.
  v23: `
CREATE TABLE IF NOT EXISTS entra_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  subscription_id TEXT,
  client_state TEXT,
  subscription_expires_at INTEGER,
  subscription_created_at INTEGER,
  subscription_renewed_at INTEGER,
  subscription_error TEXT,
  subscription_error_at INTEGER,
  subscription_wanted TEXT,
  pending_client_state TEXT,
  previous_subscription_id TEXT,
  previous_client_state TEXT,
  previous_expires_at INTEGER,
  maintenance_until INTEGER NOT NULL DEFAULT 0,
  delta_link TEXT,
  next_link TEXT,
  baseline TEXT NOT NULL DEFAULT 'pending',
  delta_due_at INTEGER NOT NULL DEFAULT 0,
  delta_until INTEGER NOT NULL DEFAULT 0,
  delta_run_at INTEGER,
  delta_ok_at INTEGER,
  delta_error TEXT,
  delta_reset_at INTEGER,
  delta_reset_reason TEXT,
  paused_until INTEGER NOT NULL DEFAULT 0,
  lookup_error TEXT,
  notifications INTEGER NOT NULL DEFAULT 0,
  last_notification_at INTEGER,
  caught_by_delta INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entra_changes (
  user_id TEXT PRIMARY KEY,
  change_type TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entra_changes_due ON entra_changes (due_at);
CREATE TABLE IF NOT EXISTS entra_users (
  user_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  since INTEGER NOT NULL,
  via TEXT NOT NULL
) WITHOUT ROWID;
`,
} as const;

/** entra_state's row as SQLite returns it. */
export type EntraStateRow = {
  subscription_id: string | null;
  client_state: string | null;
  subscription_expires_at: number | null;
  subscription_created_at: number | null;
  subscription_renewed_at: number | null;
  subscription_error: string | null;
  subscription_error_at: number | null;
  subscription_wanted: string | null;
  pending_client_state: string | null;
  previous_subscription_id: string | null;
  previous_client_state: string | null;
  previous_expires_at: number | null;
  maintenance_until: number;
  delta_link: string | null;
  next_link: string | null;
  baseline: "pending" | "running" | "done";
  delta_due_at: number;
  delta_until: number;
  delta_run_at: number | null;
  delta_ok_at: number | null;
  delta_error: string | null;
  delta_reset_at: number | null;
  delta_reset_reason: string | null;
  paused_until: number;
  lookup_error: string | null;
  notifications: number;
  last_notification_at: number | null;
  caught_by_delta: number;
};
