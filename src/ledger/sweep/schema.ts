// The tables sweep/ alone writes (issue #23): sweeps, one row per reconciliation sweep (when, why, what it
// found, and how long it is off after the API refused the token), and sweep_accounts, each sweep's progress
// per account (the page to read next: the cursor a sweep resumes from after an eviction). Each entry below
// is this folder's part of one version of the ledger's ordered migrations (migrations.ts).

export const SWEEP_MIGRATIONS = {
  v19: `
CREATE TABLE IF NOT EXISTS sweeps (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  trigger TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  status TEXT NOT NULL,
  users_seen INTEGER NOT NULL DEFAULT 0,
  returns_found INTEGER NOT NULL DEFAULT 0,
  revoked_again INTEGER NOT NULL DEFAULT 0,
  list_changed INTEGER NOT NULL DEFAULT 0,
  off_until INTEGER NOT NULL DEFAULT 0,
  detail TEXT
);
CREATE TABLE IF NOT EXISTS sweep_accounts (
  sweep_id INTEGER NOT NULL,
  target TEXT NOT NULL,
  state TEXT NOT NULL,
  page INTEGER NOT NULL,
  pages_read INTEGER NOT NULL DEFAULT 0,
  users_seen INTEGER NOT NULL DEFAULT 0,
  returns_found INTEGER NOT NULL DEFAULT 0,
  total_count INTEGER,
  resume_page INTEGER,
  detail TEXT,
  PRIMARY KEY (sweep_id, target)
) WITHOUT ROWID;
`,
} as const;

type SweepStatus = "running" | "done" | "failed";

export type SweepRow = {
  id: number;
  /** "schedule" (RECONCILE_EVERY_HOURS) or "operator" (POST /v1/reconcile). */
  trigger: string;
  started_at: number;
  finished_at: number | null;
  status: SweepStatus;
  users_seen: number;
  returns_found: number;
  revoked_again: number;
  /** 1 when an account's list changed size while it was read. */
  list_changed: number;
  /** The API refused the token for users: no sweep starts before then (0: none). */
  off_until: number;
  detail: string | null;
};

export type SweepAccountRow = {
  sweep_id: number;
  target: string;
  state: "reading" | "done" | "failed";
  /** The page to read next (from 1). */
  page: number;
  pages_read: number;
  users_seen: number;
  returns_found: number;
  /** The list's size at the last page read (result_info.total_count), null when the API did not say. */
  total_count: number | null;
  /** Set while the page to read next is an earlier one read again because the list shrank: where to go on from. */
  resume_page: number | null;
  detail: string | null;
};
