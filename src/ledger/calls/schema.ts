// The tables calls/ alone writes: calls and target_holds. Each entry below is this folder's part of one
// version of the ledger's ordered migrations (migrations.ts), which runs it with the other folders' parts of
// that version; never edit one that has shipped, add a new version.
import type { CallKind, CallState } from "../../domain/revocation";

export const CALLS_MIGRATIONS = {
  // calls: one row per revocation per Cloudflare target; the unit the drain paces, retries and classifies.
  // target_holds: targets whose calls wait because Cloudflare refused the token for them (401/403).
  v1: `
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
CREATE TABLE IF NOT EXISTS target_holds (
  target TEXT PRIMARY KEY,
  until INTEGER NOT NULL,
  reason TEXT NOT NULL
);
`,
  // calls.history: every attempt's outcome, so a success after failures shows both.
  v2: `
ALTER TABLE calls ADD COLUMN history TEXT NOT NULL DEFAULT '[]';
`,
  // calls.lane ('urgent' | 'bulk' | 'verify') and calls.grp (the source, or the job): the drain serves lanes
  // in order and groups in turns (lanes.ts); the index finds a group's oldest due call directly.
  // calls.leased: the call was handed to a fetch by the running instance. A new instance (after a crash or
  // an eviction) knows none of them is in flight any more and makes them due at once, instead of waiting
  // out the lease.
  v3: `
ALTER TABLE calls ADD COLUMN lane TEXT NOT NULL DEFAULT 'urgent';
ALTER TABLE calls ADD COLUMN grp TEXT NOT NULL DEFAULT '';
UPDATE calls SET lane = CASE WHEN r.job_id IS NULL THEN 'urgent' ELSE 'bulk' END, grp = COALESCE(r.job_id, r.source)
  FROM revocations r WHERE r.seq = calls.revocation_seq;
CREATE INDEX IF NOT EXISTS calls_by_group ON calls (state, lane, grp, next_attempt_at, revocation_seq);
ALTER TABLE calls ADD COLUMN leased INTEGER NOT NULL DEFAULT 0;
`,
  // A call is now one request of a kind for a revocation and a target: 'revoke' (revoke_user), and after a
  // revocation succeeded on an account, 'seat_lookup' → 'seat_update' (REMOVE_SEATS), 'verify_lookup' →
  // 'verify_sessions' (VERIFY_AFTER_SECONDS) and at most one 're_revoke' when a session outlived the
  // revocation. payload carries what a step needs from the one before (the seat uid, the user id); result
  // what it found. The key gains the kind, so the table is rebuilt.
  v4: `
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
`,
  // Follow-ups planned with leftover pace: a revocation that succeeds on an account marks its call with the
  // follow-ups it is owed ("seats", "verify" or both); their calls are inserted only when no revocation is
  // waiting (follow-ups/plan.ts), so a bulk drain pays nothing for them.
  v6: `
ALTER TABLE calls ADD COLUMN follow_ups_due TEXT;
CREATE INDEX IF NOT EXISTS calls_follow_ups_due ON calls (completed_at) WHERE follow_ups_due IS NOT NULL;
`,
  // calls.hold_failed marks a revoke call that failed because the API refused the token at its target
  // (401/403), which held the target. Lifting that hold re-queues exactly these calls; a revocation that
  // failed there for another reason waits for an operator's retry as before. Existing refusals are marked.
  v16: `
ALTER TABLE calls ADD COLUMN hold_failed INTEGER NOT NULL DEFAULT 0;
UPDATE calls SET hold_failed = 1 WHERE kind = 'revoke' AND state = 'failed' AND http_status IN (401, 403);
`,
} as const;

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
  /** JSON: what a follow-up found (FollowUpFinding). */
  result: string | null;
  /** A revoke call that succeeded on an account: the follow-ups it is owed and not yet planned ("seats,verify"). */
  follow_ups_due: string | null;
  /** 1: a revoke call that failed because the API refused the token at its target (the refusal held it). */
  hold_failed: number;
};
