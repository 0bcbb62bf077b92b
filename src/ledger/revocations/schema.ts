// The tables revocations/ alone writes: revocations, and the identity directory (identities,
// directory_events). Each entry below is this folder's part of one version of the ledger's ordered
// migrations (migrations.ts), which runs it with the other folders' parts of that version; never edit one
// that has shipped, add a new version. Row types are the tables' columns as SQLite returns them.
import type { RevocationStatus } from "../../domain/revocation";

export const REVOCATIONS_MIGRATIONS = {
  // revocations: one row per accepted identity event and email, unique by (source, event id); an event that
  //   names only a subject id the directory does not know waits as 'unresolved' with no email and no calls.
  // identities: the identity directory, (source, subject id) → email(s), fed by events, SCIM and operators.
  v1: `
CREATE TABLE IF NOT EXISTS revocations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  dedupe_key TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  assurance TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  email TEXT,
  subject_id TEXT,
  user_uid TEXT,
  reason TEXT,
  devices INTEGER NOT NULL,
  warp_session_reauth INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  received_at INTEGER NOT NULL,
  queued_at INTEGER NOT NULL,
  completed_at INTEGER,
  job_id TEXT
);
CREATE INDEX IF NOT EXISTS revocations_by_job ON revocations (job_id, status) WHERE job_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS revocations_by_email ON revocations (email, seq);
CREATE INDEX IF NOT EXISTS revocations_by_status ON revocations (status, seq);
CREATE INDEX IF NOT EXISTS revocations_unresolved ON revocations (source, subject_id) WHERE status = 'unresolved';
CREATE TABLE IF NOT EXISTS identities (
  source TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  email TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source, subject_id, email)
);
`,
  // Dedupe keys become JSON arrays [source, event id] or [source, event id, email] (the old concatenation
  // "source:event#email" could collide across events and emails); existing keys are rewritten in place.
  // revocations.fingerprint: what an Idempotency-Key was first used for (operator requests).
  v2: `
UPDATE revocations SET dedupe_key = CASE WHEN dedupe_key = source || ':' || event_id
  THEN json_array(source, event_id) ELSE json_array(source, event_id, email) END;
ALTER TABLE revocations ADD COLUMN fingerprint TEXT;
`,
  // revocations.lane and revocations.ttr_ms (accepted → every target done, set when it settles): the
  // time-to-revoke percentiles of /v1/stats, per lane.
  v3: `
ALTER TABLE revocations ADD COLUMN lane TEXT NOT NULL DEFAULT 'urgent';
ALTER TABLE revocations ADD COLUMN ttr_ms INTEGER;
UPDATE revocations SET lane = 'bulk' WHERE job_id IS NOT NULL;
UPDATE revocations SET ttr_ms = completed_at - received_at WHERE status IN ('revoked', 'not_found') AND completed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS revocations_ttr ON revocations (lane, ttr_ms) WHERE ttr_ms IS NOT NULL;
CREATE INDEX IF NOT EXISTS revocations_completed ON revocations (lane, completed_at) WHERE ttr_ms IS NOT NULL;
CREATE INDEX IF NOT EXISTS revocations_job_ttr ON revocations (job_id, ttr_ms) WHERE ttr_ms IS NOT NULL;
`,
  // directory_events: events that teach the directory are de-duplicated like every event. A subject id and
  // email seen together are learned once per (source, event id), keyed like revocations.dedupe_key, so a
  // replayed signed event cannot re-teach a mapping an operator deleted since. Kept like every event id.
  v10: `
CREATE TABLE IF NOT EXISTS directory_events (
  dedupe_key TEXT PRIMARY KEY,
  seen_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
  // revocations.email_as_received: the address as the source spelled it beside the lower-cased one the
  // ledger keys and Cloudflare receives (null for records from before, and when none was sent).
  v12: `
ALTER TABLE revocations ADD COLUMN email_as_received TEXT;
`,
  // Issue #23. event_at: when the identity provider says the event happened, from its payload (the offboarding
  // report's first time). A return the reconciliation sweep found: returned_at (the login after the
  // revocation, or when a seat was found held again), return_detail (JSON: what the sweep saw), the revocation
  // it asked for (return_revocation_id) and an operator's acknowledgement (return_acknowledged_at, JSON
  // return_acknowledgement); revokes_return_of on that new revocation names the first. received_at is indexed
  // for the report's periods, open returns for /healthz.
  v19: `
ALTER TABLE revocations ADD COLUMN event_at INTEGER;
ALTER TABLE revocations ADD COLUMN returned_at INTEGER;
ALTER TABLE revocations ADD COLUMN return_detail TEXT;
ALTER TABLE revocations ADD COLUMN return_revocation_id TEXT;
ALTER TABLE revocations ADD COLUMN return_acknowledged_at INTEGER;
ALTER TABLE revocations ADD COLUMN return_acknowledgement TEXT;
ALTER TABLE revocations ADD COLUMN revokes_return_of TEXT;
CREATE INDEX IF NOT EXISTS revocations_received ON revocations (received_at, seq);
CREATE INDEX IF NOT EXISTS revocations_returns_open ON revocations (returned_at) WHERE returned_at IS NOT NULL AND return_acknowledged_at IS NULL;
`,
} as const;

export type RevocationRow = {
  seq: number;
  id: string;
  dedupe_key: string;
  source: string;
  assurance: string;
  event_id: string;
  event_type: string;
  email: string | null;
  subject_id: string | null;
  user_uid: string | null;
  reason: string | null;
  devices: number;
  warp_session_reauth: number;
  status: RevocationStatus;
  attempts: number;
  last_error: string | null;
  received_at: number;
  queued_at: number;
  completed_at: number | null;
  job_id: string | null;
  fingerprint: string | null;
  lane: string;
  /** Accepted → every target done, once revoked or not_found. */
  ttr_ms: number | null;
  /** The address as the source spelled it (v12). */
  email_as_received: string | null;
  /** v19: the identity provider's own time of the event (epoch ms), when its payload carries one. */
  event_at: number | null;
  /** v19: when the person came back after this revocation, as the reconciliation sweep found. */
  returned_at: number | null;
  /** v19: JSON ReturnDetail. */
  return_detail: string | null;
  return_revocation_id: string | null;
  return_acknowledged_at: number | null;
  /** v19: JSON {reason}. */
  return_acknowledgement: string | null;
  revokes_return_of: string | null;
};

export type IdentityRow = { source: string; subject_id: string; email: string; updated_at: number };
