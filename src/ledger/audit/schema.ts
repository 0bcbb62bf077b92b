// The table audit/ alone writes: audit_batch, the outcomes of bulk revocations waiting to be written to KV
// as one entry per batch (outcome-batches.ts). Each entry below is this folder's part of one version of the
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
} as const;
