// The tables audit/ alone writes: audit_batch, the outcomes of bulk revocations waiting to be written to KV
// as one entry per batch (outcome-batches.ts), and audit_chain, every audit entry's place in the chain
// (chain.ts). Each entry below is this folder's part of one version of the
// ledger's ordered migrations (migrations.ts); never edit one that has shipped, add a new version.

export const AUDIT_MIGRATIONS = {
  v1: `
CREATE TABLE IF NOT EXISTS audit_batch (
  job_id TEXT NOT NULL,
  revocation_id TEXT NOT NULL,
  email TEXT NOT NULL,
  status TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (job_id, revocation_id)
);
`,
  // A bulk revocation's audit outcomes are keyed by status as well. Its revocation and its follow-ups
  // (followed_up, still_active) are separate entries of the job's KV batch; keyed by (job, revocation) alone,
  // a follow-up replaced the revocation's own outcome while the batch was still filling.
  v9: `
CREATE TABLE audit_batch_v9 (
  job_id TEXT NOT NULL,
  revocation_id TEXT NOT NULL,
  email TEXT NOT NULL,
  status TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (job_id, revocation_id, status)
);
INSERT INTO audit_batch_v9 (job_id, revocation_id, email, status, at) SELECT job_id, revocation_id, email, status, at FROM audit_batch;
DROP TABLE audit_batch;
ALTER TABLE audit_batch_v9 RENAME TO audit_batch;
`,
  // A bulk revocation's queued audit outcome keeps what the CSV export shows of a single one: when it was
  // received, its targets, its time to revoke and each target's verification state (JSON).
  v15: `
ALTER TABLE audit_batch ADD COLUMN received_at INTEGER;
ALTER TABLE audit_batch ADD COLUMN targets TEXT;
ALTER TABLE audit_batch ADD COLUMN ttr_ms INTEGER;
ALTER TABLE audit_batch ADD COLUMN verification TEXT;
`,
  // The audit chain (issue #23): one row per audit entry, in the order the ledger appended it (seq, never
  // reused), with its prev_hash and hash once sealed; `entry` holds what KV will get until its copy is
  // written (written_at), then only the hash stays. appended_at finds an export's first and last seq.
  v18: `
CREATE TABLE IF NOT EXISTS audit_chain (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  appended_at INTEGER NOT NULL,
  entry TEXT,
  prev_hash TEXT,
  hash TEXT,
  written_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS audit_chain_appended ON audit_chain (appended_at, seq);
CREATE INDEX IF NOT EXISTS audit_chain_unwritten ON audit_chain (seq) WHERE written_at IS NULL;
`,
} as const;

export type AuditChainRow = {
  seq: number;
  key: string;
  appended_at: number;
  /** JSON AuditEntry until the KV copy is written, then null. */
  entry: string | null;
  prev_hash: string | null;
  hash: string | null;
  written_at: number | null;
  attempts: number;
  last_error: string | null;
};
