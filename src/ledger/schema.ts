// The ledger's SQLite schema (Durable Object storage.sql) and its row types.
// revocations: one row per accepted identity event and email, unique by (source, event id); an event that
//   names only a subject id the directory does not know waits as 'unresolved' with no email and no calls.
// jobs: bulk submissions (POST /v1/revocations/bulk); their revocations carry job_id.
// audit_batch: outcomes of bulk revocations waiting to be written to KV as one entry per batch.
// scim_resources: SCIM Users and Groups as sent (minus password); unique_key is the lower-cased userName
//   (RFC 7643: userName is unique and caseExact false) or, for groups, the id.
// identities: the identity directory, (source, subject id) → email(s), fed by events, SCIM and operators.
// calls: one row per revocation per Cloudflare target; the unit the drain paces, retries and classifies.
// target_holds: targets whose calls wait because Cloudflare refused the token for them (401/403); the revoke
//   calls that met the refusal are marked calls.hold_failed and re-queued when the hold is lifted.
// drain_state: the pacer's next free slot and any 429 pause, so an evicted object resumes at the same pace.
// ssf_streams: what each Shared Signals transmitter said about its stream (ssf-streams.ts).
// held_sets: SETs waiting for their transmitter's keys to be reachable again (held-sets.ts).
// directory_events: the (source, event id) of every event the directory learned from (directory.ts), so a
//   replayed event teaches nothing twice.
// ledger_keys: random keys the ledger made once and keeps (keys.ts): the audit's token fingerprint key.
// ssf_set_digests, ssf_jti_conflicts: what each transmitter's jti said, and the jtis it reused (ssf-jti.ts).

import type { CallKind, CallState, RevocationStatus } from "../domain/revocation";

/**
 * Ordered migrations: entry i brings the ledger from version i to i + 1, recorded in ledger_schema.
 * Append a new entry for every change (ALTER TABLE …); never edit one that has shipped.
 */
export const LEDGER_MIGRATIONS: string[] = [];

const SCHEMA_V1 = `
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
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  lines INTEGER NOT NULL DEFAULT 0,
  accepted INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  rejections TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS audit_batch (
  job_id TEXT NOT NULL,
  revocation_id TEXT NOT NULL,
  email TEXT NOT NULL,
  status TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (job_id, revocation_id)
);
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
CREATE TABLE IF NOT EXISTS calls (
  revocation_seq INTEGER NOT NULL,
  target TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  http_status INTEGER,
  errors TEXT,
  request TEXT,
  completed_at INTEGER,
  PRIMARY KEY (revocation_seq, target)
);
CREATE INDEX IF NOT EXISTS calls_due ON calls (state, next_attempt_at, revocation_seq);
CREATE TABLE IF NOT EXISTS scim_resources (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  unique_key TEXT NOT NULL,
  active INTEGER NOT NULL,
  resource TEXT NOT NULL,
  created INTEGER NOT NULL,
  modified INTEGER NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS scim_users_by_user_name ON scim_resources (unique_key) WHERE kind = 'User';
CREATE INDEX IF NOT EXISTS scim_resources_by_created ON scim_resources (kind, created, id);
CREATE TABLE IF NOT EXISTS target_holds (
  target TEXT PRIMARY KEY,
  until INTEGER NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS drain_state (
  name TEXT PRIMARY KEY,
  number_value INTEGER NOT NULL
);
`;
LEDGER_MIGRATIONS.push(SCHEMA_V1);

// v2 (issue #9):
// - dedupe keys become JSON arrays [source, event id] or [source, event id, email] (the old concatenation
//   "source:event#email" could collide across events and emails); existing keys are rewritten in place.
// - revocations.fingerprint: what an Idempotency-Key was first used for (operator requests).
// - calls.history: every attempt's outcome, so a success after failures shows both.
// - jobs: the digest of the submitted body, how many chunks are committed, and whether it is complete, so
//   a resubmission with the same Idempotency-Key adds nothing and a different body is refused.
// - rejections: refused deliveries counted per hour, source and reason (one KV entry per hour, not one
//   per forged request).
LEDGER_MIGRATIONS.push(`
UPDATE revocations SET dedupe_key = CASE WHEN dedupe_key = source || ':' || event_id
  THEN json_array(source, event_id) ELSE json_array(source, event_id, email) END;
ALTER TABLE revocations ADD COLUMN fingerprint TEXT;
ALTER TABLE calls ADD COLUMN history TEXT NOT NULL DEFAULT '[]';
ALTER TABLE jobs ADD COLUMN body_digest TEXT;
ALTER TABLE jobs ADD COLUMN chunks_committed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN complete INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET complete = 1;
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
`);

// v3 (issue #11): lanes and time to revoke.
// - calls.lane ('urgent' | 'bulk' | 'verify') and calls.grp (the source, or the job): the drain serves
//   lanes in order and groups in turns (lanes.ts); the index finds a group's oldest due call directly.
// - revocations.lane and revocations.ttr_ms (accepted → every target done, set when it settles): the
//   time-to-revoke percentiles of /v1/stats, per lane.
// - calls.leased: the call was handed to a fetch by the running instance. A new instance (after a crash or
//   an eviction) knows none of them is in flight any more and makes them due at once, instead of waiting
//   out the lease.
LEDGER_MIGRATIONS.push(`
ALTER TABLE calls ADD COLUMN lane TEXT NOT NULL DEFAULT 'urgent';
ALTER TABLE calls ADD COLUMN grp TEXT NOT NULL DEFAULT '';
UPDATE calls SET lane = CASE WHEN r.job_id IS NULL THEN 'urgent' ELSE 'bulk' END, grp = COALESCE(r.job_id, r.source)
  FROM revocations r WHERE r.seq = calls.revocation_seq;
CREATE INDEX IF NOT EXISTS calls_by_group ON calls (state, lane, grp, next_attempt_at, revocation_seq);
ALTER TABLE revocations ADD COLUMN lane TEXT NOT NULL DEFAULT 'urgent';
ALTER TABLE revocations ADD COLUMN ttr_ms INTEGER;
UPDATE revocations SET lane = 'bulk' WHERE job_id IS NOT NULL;
UPDATE revocations SET ttr_ms = completed_at - received_at WHERE status IN ('revoked', 'not_found') AND completed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS revocations_ttr ON revocations (lane, ttr_ms) WHERE ttr_ms IS NOT NULL;
CREATE INDEX IF NOT EXISTS revocations_completed ON revocations (lane, completed_at) WHERE ttr_ms IS NOT NULL;
ALTER TABLE calls ADD COLUMN leased INTEGER NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS revocations_job_ttr ON revocations (job_id, ttr_ms) WHERE ttr_ms IS NOT NULL;
`);

// v4 (issue #12): follow-ups. A call is now one request of a kind for a revocation and a target:
// 'revoke' (revoke_user), and after a revocation succeeded on an account, 'seat_lookup' → 'seat_update'
// (REMOVE_SEATS), 'verify_lookup' → 'verify_sessions' (VERIFY_AFTER_SECONDS) and at most one 're_revoke'
// when a session outlived the revocation. payload carries what a step needs from the one before (the
// seat uid, the user id); result what it found. The key gains the kind, so the table is rebuilt.
LEDGER_MIGRATIONS.push(`
CREATE TABLE calls_v4 (
  revocation_seq INTEGER NOT NULL,
  target TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'revoke',
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  http_status INTEGER,
  errors TEXT,
  request TEXT,
  completed_at INTEGER,
  history TEXT NOT NULL DEFAULT '[]',
  lane TEXT NOT NULL DEFAULT 'urgent',
  grp TEXT NOT NULL DEFAULT '',
  leased INTEGER NOT NULL DEFAULT 0,
  payload TEXT,
  result TEXT,
  PRIMARY KEY (revocation_seq, target, kind)
);
INSERT INTO calls_v4 (revocation_seq, target, kind, state, attempts, next_attempt_at, http_status, errors, request, completed_at, history, lane, grp, leased)
  SELECT revocation_seq, target, 'revoke', state, attempts, next_attempt_at, http_status, errors, request, completed_at, history, lane, grp, leased FROM calls;
DROP TABLE calls;
ALTER TABLE calls_v4 RENAME TO calls;
CREATE INDEX IF NOT EXISTS calls_due ON calls (state, next_attempt_at, revocation_seq);
CREATE INDEX IF NOT EXISTS calls_by_group ON calls (state, lane, grp, next_attempt_at, revocation_seq);
CREATE INDEX IF NOT EXISTS calls_by_revocation ON calls (revocation_seq, kind);
`);

// v5 (issue #14): Shared Signals streams. One row per transmitter: the status its last stream-updated event
// gave (with the reason, and status_at, the SET's iat, so a late or replayed older SET cannot overwrite a
// newer status), and how many verification events arrived, the last at last_verified_at.
LEDGER_MIGRATIONS.push(`
CREATE TABLE IF NOT EXISTS ssf_streams (
  transmitter TEXT PRIMARY KEY,
  stream_id TEXT,
  status TEXT,
  reason TEXT,
  status_at INTEGER,
  status_received_at INTEGER,
  verifications INTEGER NOT NULL DEFAULT 0,
  last_verified_at INTEGER
);
`);

// v6 (issue #12): follow-ups planned with leftover pace. A revocation that succeeds on an account marks
// its call with the follow-ups it is owed ("seats", "verify" or both); their calls are inserted only when
// no revocation is waiting (follow-up-plan.ts: planFollowUps), so a bulk drain pays nothing for them.
LEDGER_MIGRATIONS.push(`
ALTER TABLE calls ADD COLUMN follow_ups_due TEXT;
CREATE INDEX IF NOT EXISTS calls_follow_ups_due ON calls (completed_at) WHERE follow_ups_due IS NOT NULL;
`);

// v7 (issue #14): Security Event Tokens held while their transmitter's keys could not be fetched
// (held-sets.ts), unique per transmitter and token digest so a redelivery is the same held SET.
LEDGER_MIGRATIONS.push(`
CREATE TABLE IF NOT EXISTS held_sets (
  id INTEGER PRIMARY KEY,
  transmitter TEXT NOT NULL,
  digest TEXT NOT NULL,
  token TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_detail TEXT,
  UNIQUE (transmitter, digest)
);
CREATE INDEX IF NOT EXISTS held_sets_due ON held_sets (next_attempt_at);
`);

// v8 (issue #14): poll delivery (RFC 8936). Each poll run of a transmitter records when it ran, when it last
// succeeded, its last error and how many SETs it received in all, so a stream that stopped polling shows.
LEDGER_MIGRATIONS.push(`
ALTER TABLE ssf_streams ADD COLUMN poll_at INTEGER;
ALTER TABLE ssf_streams ADD COLUMN poll_ok_at INTEGER;
ALTER TABLE ssf_streams ADD COLUMN poll_error TEXT;
ALTER TABLE ssf_streams ADD COLUMN polled_sets INTEGER NOT NULL DEFAULT 0;
`);

// v9: a bulk revocation's audit outcomes are keyed by status as well. Its revocation and its follow-ups
// (followed_up, still_active) are separate entries of the job's KV batch; keyed by (job, revocation) alone,
// a follow-up replaced the revocation's own outcome while the batch was still filling.
LEDGER_MIGRATIONS.push(`
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
`);

// v10 (issue #18): events that teach the directory are de-duplicated like every event. A subject id and
// email seen together are learned once per (source, event id), keyed like revocations.dedupe_key, so a
// replayed signed event cannot re-teach a mapping an operator deleted since. Kept like every event id.
LEDGER_MIGRATIONS.push(`
CREATE TABLE IF NOT EXISTS directory_events (
  dedupe_key TEXT PRIMARY KEY,
  seen_at INTEGER NOT NULL
) WITHOUT ROWID;
`);

// v11 (issue #18): keys the ledger makes once and keeps. The operator token's fingerprint in the audit log is
// an HMAC keyed with AUDIT_FINGERPRINT_KEY, or, while that is unset, with a random key kept here: never an
// unsalted digest a reader of KV could test guesses against.
LEDGER_MIGRATIONS.push(`
CREATE TABLE IF NOT EXISTS ledger_keys (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`);

// v12 (issue #18): revocations.email_as_received, the address as the source spelled it beside the lower-cased
// one the ledger keys and Cloudflare receives (null for records from before, and when none was sent).
LEDGER_MIGRATIONS.push(`
ALTER TABLE revocations ADD COLUMN email_as_received TEXT;
`);

// v13 (issue #18): a stream-updated event whose status could not be read (no status, an unknown one), kept
// with its SET's iat, so a stream that may be paused shows in /v1/stats and /healthz (ssf-streams.ts).
LEDGER_MIGRATIONS.push(`
ALTER TABLE ssf_streams ADD COLUMN unreadable_at INTEGER;
ALTER TABLE ssf_streams ADD COLUMN unreadable_received_at INTEGER;
ALTER TABLE ssf_streams ADD COLUMN unreadable_detail TEXT;
`);

// v14 (issue #18): what each transmitter's jti said (the digest of its SET's sub_id and events), kept for the
// SETs that asked for revocations, and the jtis reused for a SET that says something else (ssf-jti.ts).
LEDGER_MIGRATIONS.push(`
CREATE TABLE IF NOT EXISTS ssf_set_digests (
  transmitter TEXT NOT NULL,
  jti TEXT NOT NULL,
  digest TEXT NOT NULL,
  first_at INTEGER NOT NULL,
  PRIMARY KEY (transmitter, jti)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ssf_jti_conflicts (
  transmitter TEXT NOT NULL,
  jti TEXT NOT NULL,
  first_digest TEXT NOT NULL,
  digest TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (transmitter, jti, digest)
);
`);

// v15 (issue #18): a bulk revocation's queued audit outcome keeps what the CSV export shows of a single one:
// when it was received, its targets, its time to revoke and each target's verification state (JSON).
LEDGER_MIGRATIONS.push(`
ALTER TABLE audit_batch ADD COLUMN received_at INTEGER;
ALTER TABLE audit_batch ADD COLUMN targets TEXT;
ALTER TABLE audit_batch ADD COLUMN ttr_ms INTEGER;
ALTER TABLE audit_batch ADD COLUMN verification TEXT;
`);

// v16 (issue #18): calls.hold_failed marks a revoke call that failed because the API refused the token at its
// target (401/403), which held the target. Lifting that hold re-queues exactly these calls; a revocation
// that failed there for another reason waits for an operator's retry as before. Existing refusals are marked.
LEDGER_MIGRATIONS.push(`
ALTER TABLE calls ADD COLUMN hold_failed INTEGER NOT NULL DEFAULT 0;
UPDATE calls SET hold_failed = 1 WHERE kind = 'revoke' AND state = 'failed' AND http_status IN (401, 403);
`);

/** Brings the ledger's SQLite to the newest schema; runs in the Durable Object's constructor. */
export function migrateLedger(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS ledger_schema (version INTEGER NOT NULL)");
  const row = sql.exec<{ version: number }>("SELECT version FROM ledger_schema").toArray()[0];
  const current = row?.version ?? 0;
  for (let version = current; version < LEDGER_MIGRATIONS.length; version++) sql.exec(LEDGER_MIGRATIONS[version]!);
  if (!row) sql.exec("INSERT INTO ledger_schema (version) VALUES (?)", LEDGER_MIGRATIONS.length);
  else if (current < LEDGER_MIGRATIONS.length) sql.exec("UPDATE ledger_schema SET version = ?", LEDGER_MIGRATIONS.length);
}

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
};

export type CallRow = {
  revocation_seq: number;
  target: string;
  state: CallState;
  attempts: number;
  next_attempt_at: number;
  http_status: number | null;
  errors: string | null;
  request: string | null;
  completed_at: number | null;
  /** JSON array of CallAttempt. */
  history: string;
  lane: string;
  grp: string;
  leased: number;
  kind: CallKind;
  /** JSON: what this step needs from the one before (a seat uid, a user id). */
  payload: string | null;
  /** JSON: what a follow-up found (FollowUpResult). */
  result: string | null;
  /** A revoke call that succeeded on an account: the follow-ups it is owed and not yet planned ("seats,verify"). */
  follow_ups_due: string | null;
  /** 1: a revoke call that failed because the API refused the token at its target (the refusal held it). */
  hold_failed: number;
};

export type IdentityRow = { source: string; subject_id: string; email: string; updated_at: number };

export type ScimRow = {
  kind: "User" | "Group";
  id: string;
  unique_key: string;
  active: number;
  resource: string;
  created: number;
  modified: number;
  version: number;
};
