// The table jobs/ alone writes: jobs, the bulk submissions (POST /v1/revocations/bulk); their revocations
// carry job_id. Each entry below is this folder's part of one version of the ledger's ordered migrations
// (migrations.ts); never edit one that has shipped, add a new version.

export const JOBS_MIGRATIONS = {
  v1: `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  lines INTEGER NOT NULL DEFAULT 0,
  accepted INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  rejections TEXT NOT NULL DEFAULT '[]'
);
`,
  // The digest of the submitted body, how many chunks are committed, and whether it is complete, so a
  // resubmission with the same Idempotency-Key adds nothing and a different body is refused.
  v2: `
ALTER TABLE jobs ADD COLUMN body_digest TEXT;
ALTER TABLE jobs ADD COLUMN chunks_committed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN complete INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET complete = 1;
`,
} as const;

export type JobRow = {
  id: string;
  created_at: number;
  lines: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  rejections: string;
  body_digest: string | null;
  chunks_committed: number;
  complete: number;
};
