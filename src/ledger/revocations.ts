// Revocations in the ledger's SQLite: commit (de-duplication, one row per email, one call per target,
// refusals), resolving the ones that wait for the directory, settling them as their calls answer,
// re-queueing failed ones, and reading records back.
// Contract: synchronous SQLite only; the ledger runs these inside its transactions, so a write and the
// revocations it causes commit together. A collision of keys never throws: the first row wins and the
// request is answered as its duplicate (a throw would fail the transaction and every retry of it).
import { targetPath } from "../cloudflare/revoke-user";
import type { Config } from "../config";
import type { Observation } from "../domain/identity-events";
import {
  type CallState,
  type CommitReceipt,
  type RevocationRecord,
  type RevocationRequest,
  type RevocationStatus,
  settledStatus,
  TERMINAL_STATUSES,
} from "../domain/revocation";
import { logEvent } from "../log";
import { insertCall } from "./call-insert";
import { addIdentity, emailsFor, firstLessonOf, replaceIdentity } from "./directory";
import { groupOf, type Lane, laneOf } from "./lanes";
import { toRecord } from "./record";
import type { CallRow, RevocationRow } from "./schema";

type CommitSettings = Pick<Config, "targets" | "revokeDevices" | "warpSessionReauth">;

/** Makes the id of a new revocation (rev_ and 32 hex digits). */
type NewId = () => string;

/**
 * The unique key of a revocation: unambiguous JSON, so no source, event id or email can forge another's,
 * and a numeric event id (12345) is not its string twin ("12345"), whose key is unchanged.
 */
export function dedupeKey(source: string, eventId: string | number, fanOutEmail?: string): string {
  return JSON.stringify(fanOutEmail === undefined ? [source, eventId] : [source, eventId, fanOutEmail]);
}

/** The event id as its revocation's key holds it (a number stays a number). */
function keyedEventId(row: Pick<RevocationRow, "dedupe_key">): string | number {
  return (JSON.parse(row.dedupe_key) as [string, string | number])[1];
}

/** What a commit needs: the store, the time, the targets and defaults, and a maker of ids. */
export type CommitContext = {
  sql: SqlStorage;
  now: number;
  settings: CommitSettings;
  newId: NewId;
  /** Told the lane and group of every call queued, so the drain serves them at once. */
  queued?: (lane: Lane, group: string) => void;
};
type Context = CommitContext;

export function commitRequest(context: Context, request: RevocationRequest): CommitReceipt {
  const { sql } = context;
  const key = dedupeKey(request.source, request.event_id);
  const existing = sql
    .exec<Pick<RevocationRow, "id" | "status" | "fingerprint" | "email">>(
      "SELECT id, status, fingerprint, email FROM revocations WHERE dedupe_key = ?",
      key,
    )
    .toArray()[0];
  if (existing) {
    const receipt: CommitReceipt = { id: existing.id, status: existing.status, duplicate: true };
    if (request.fingerprint && existing.fingerprint !== request.fingerprint) receipt.conflict = { email: existing.email };
    return receipt;
  }
  if (request.refusal) {
    const email = request.email ?? request.unusable_email?.toLowerCase() ?? null;
    return insertRevocation(context, request, key, email, { status: request.refusal.status, error: request.refusal.detail });
  }
  const subject = request.subject_id ?? null;
  if (request.email) {
    if (subject) learnIdentity(context, request.source, subject, [request.email]);
    return insertRevocation(context, request, key, request.email);
  }
  if (!subject) throw new Error("a revocation request needs an email or a subject id");
  const [first, ...others] = emailsFor(sql, request.source, subject);
  if (!first) {
    const note = request.unusable_email
      ? `the email ${JSON.stringify(request.unusable_email)} cannot be used; waiting for the directory to know subject ${subject}`
      : `waiting for the directory to know subject ${subject}`;
    const receipt = insertRevocation(context, request, key, null, { status: "unresolved", error: note });
    logEvent("revocation.unresolved", { source: request.source, subject_id: subject, event_id: request.event_id });
    return receipt;
  }
  for (const email of others) insertRevocation(context, request, dedupeKey(request.source, request.event_id, email), email);
  return insertRevocation(context, request, key, first);
}

/**
 * Inserts one revocation: with an email it is queued with one call per target; `held` records it in
 * another status without calls (unresolved, invalid_email, refused). A key that exists answers that row.
 */
function insertRevocation(
  context: Context,
  request: RevocationRequest,
  key: string,
  email: string | null,
  held?: { status: RevocationStatus; error: string },
): CommitReceipt {
  const { sql, now, settings } = context;
  const id = context.newId();
  const devices = request.devices ?? settings.revokeDevices;
  const warp = request.warp_session_reauth ?? settings.warpSessionReauth;
  const status: RevocationStatus = held?.status ?? "queued";
  const terminal = held !== undefined && held.status !== "unresolved";
  const inserted = sql
    .exec<{ seq: number }>(
      `INSERT INTO revocations (id, dedupe_key, source, assurance, event_id, event_type, email, subject_id, user_uid, reason,
         devices, warp_session_reauth, status, last_error, received_at, queued_at, completed_at, job_id, fingerprint, lane, email_as_received)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING seq`,
      id,
      key,
      request.source,
      request.assurance,
      String(request.event_id),
      request.event_type,
      email?.toLowerCase() ?? null,
      request.subject_id ?? null,
      request.user_uid ?? null,
      request.reason ?? null,
      devices ? 1 : 0,
      warp ? 1 : 0,
      status,
      held?.error ?? null,
      now,
      now,
      terminal ? now : null,
      request.job_id ?? null,
      request.fingerprint ?? null,
      laneOf(request.job_id),
      request.email_as_received ?? request.unusable_email ?? null,
    )
    .toArray()[0];
  if (!inserted) {
    const existing = sql.exec<{ id: string; status: RevocationStatus }>("SELECT id, status FROM revocations WHERE dedupe_key = ?", key).one();
    return { ...existing, duplicate: true };
  }
  if (held === undefined) insertCalls(context, inserted.seq, laneOf(request.job_id), groupOf(request.source, request.job_id));
  return { id, status, duplicate: false };
}

/** One call per target, in the revocation's lane and group (lanes.ts). */
function insertCalls({ sql, now, settings, queued }: Context, seq: number, lane: Lane, group: string): void {
  queued?.(lane, group);
  for (const target of settings.targets) insertCall(sql, { seq, target: targetPath(target), kind: "revoke", dueAt: now, lane, group });
}

/** Learns an observation unless its event taught the directory before; answers whether it did now. */
export function learnObservation(context: Context, seen: Observation): boolean {
  if (seen.event_id !== undefined && !firstLessonOf(context.sql, dedupeKey(seen.source, seen.event_id), context.now)) return false;
  learnIdentity(context, seen.source, seen.subject_id, [seen.email]);
  return true;
}

/**
 * Records emails for a subject (added, or replacing the known ones) and queues every revocation that was
 * waiting for them; answers how many it queued.
 */
export function learnIdentity(context: Context, source: string, subjectId: string, emails: string[], replace = false): number {
  const { sql, now } = context;
  if (replace) replaceIdentity(sql, source, subjectId, emails, now);
  else for (const email of emails) addIdentity(sql, source, subjectId, email, now);
  const waiting = sql
    .exec<RevocationRow>("SELECT * FROM revocations WHERE status = 'unresolved' AND source = ? AND subject_id = ?", source, subjectId)
    .toArray();
  const [first, ...others] = emailsFor(sql, source, subjectId);
  if (!first) return 0;
  for (const row of waiting) {
    sql.exec("UPDATE revocations SET email = ?, status = 'queued', queued_at = ?, last_error = NULL WHERE seq = ?", first, now, row.seq);
    insertCalls(context, row.seq, laneOf(row.job_id), groupOf(row.source, row.job_id));
    const request: RevocationRequest = {
      source: row.source,
      assurance: row.assurance as RevocationRequest["assurance"],
      event_id: row.event_id,
      event_type: row.event_type,
      subject_id: row.subject_id,
      user_uid: row.user_uid,
      reason: row.reason,
      devices: row.devices === 1,
      warp_session_reauth: row.warp_session_reauth === 1,
      email_as_received: row.email_as_received,
    };
    for (const email of others) insertRevocation(context, request, dedupeKey(row.source, keyedEventId(row), email), email);
    logEvent("revocation.resolved", { id: row.id, source, subject_id: subjectId, emails: [first, ...others] });
  }
  return waiting.length;
}

/** One more attempt was sent for a revocation (the drain's lease). */
export function countAttempt(sql: SqlStorage, seq: number): void {
  sql.exec("UPDATE revocations SET attempts = attempts + 1 WHERE seq = ?", seq);
}

/** A call will be retried: the revocation shows why it is not done yet. */
export function noteRetry(sql: SqlStorage, seq: number, error: string): void {
  sql.exec("UPDATE revocations SET last_error = ? WHERE seq = ?", error, seq);
}

/**
 * The revocation's status from its calls' states, once one of them changed; answers it. last_error says
 * why the revocation is not done: it goes once every target succeeded (earlier errors stay in each
 * target's history).
 */
export function settleRevocation(sql: SqlStorage, seq: number, now: number, error: string | null): RevocationStatus {
  const states = sql
    .exec<{ state: CallState }>("SELECT state FROM calls WHERE revocation_seq = ? AND kind = 'revoke'", seq)
    .toArray()
    .map((row) => row.state);
  const settled = settledStatus(states);
  const terminal = TERMINAL_STATUSES.has(settled);
  const done = settled === "revoked" || settled === "not_found";
  sql.exec(
    `UPDATE revocations SET status = ?, completed_at = ?, last_error = CASE WHEN ? THEN NULL ELSE COALESCE(?, last_error) END,
       ttr_ms = CASE WHEN ? THEN ? - received_at ELSE NULL END WHERE seq = ?`,
    settled,
    terminal ? now : null,
    terminal && settled !== "failed" ? 1 : 0,
    error,
    done ? 1 : 0,
    now,
    seq,
  );
  return settled;
}

/** A verification found a session (or a login) after the revocation: the operator must act in the IdP. */
export function markStillActive(sql: SqlStorage, seq: number, now: number): void {
  sql.exec(
    "UPDATE revocations SET status = 'still_active', last_error = ? WHERE seq = ?",
    `verified at ${new Date(now).toISOString()}: still active after the revocation; revoked once more, act in the identity provider`,
    seq,
  );
}

/** Re-queues a failed revocation's failed calls, due now; answers false when it is not failed. */
export function requeueFailed(sql: SqlStorage, row: RevocationRow, now: number): boolean {
  if (row.status !== "failed") return false;
  sql.exec(
    "UPDATE calls SET state = 'pending', next_attempt_at = ?, completed_at = NULL, hold_failed = 0 WHERE revocation_seq = ? AND kind = 'revoke' AND state = 'failed'",
    now,
    row.seq,
  );
  sql.exec("UPDATE revocations SET status = 'queued', queued_at = ?, completed_at = NULL WHERE seq = ?", now, row.seq);
  return true;
}

/**
 * A target's hold was lifted: its revoke calls that failed because the API refused the token there
 * (calls.hold_failed) are due again now, and their failed revocations are queued with a fresh retry
 * budget. A revocation's failures elsewhere stay failed (it settles failed again if one of them remains).
 * Answers how many revocations were re-queued.
 */
export function requeueHoldFailures(sql: SqlStorage, target: string, now: number): number {
  const seqs = sql
    .exec<{ seq: number }>(
      `SELECT r.seq FROM calls c JOIN revocations r ON r.seq = c.revocation_seq
       WHERE c.target = ? AND c.kind = 'revoke' AND c.state = 'failed' AND c.hold_failed = 1 AND r.status IN ('failed', 'queued')`,
      target,
    )
    .toArray()
    .map((row) => row.seq);
  for (const seq of seqs) {
    sql.exec(
      "UPDATE calls SET state = 'pending', next_attempt_at = ?, completed_at = NULL, hold_failed = 0 WHERE revocation_seq = ? AND target = ? AND kind = 'revoke'",
      now,
      seq,
      target,
    );
    sql.exec("UPDATE revocations SET status = 'queued', queued_at = ?, completed_at = NULL WHERE seq = ? AND status = 'failed'", now, seq);
  }
  return seqs.length;
}

export type ListFilter = { email?: string; status?: RevocationStatus; job_id?: string; limit: number; cursor?: number };

/** Newest first; `cursor` is the seq of the last record of the previous page. */
export function listRecords(sql: SqlStorage, filter: ListFilter): { records: RevocationRecord[]; cursor: number | null } {
  const conditions: [string, string | number][] = [];
  if (filter.email) conditions.push(["email = ?", filter.email.toLowerCase()]);
  if (filter.status) conditions.push(["status = ?", filter.status]);
  if (filter.job_id) conditions.push(["job_id = ?", filter.job_id]);
  if (filter.cursor !== undefined) conditions.push(["seq < ?", filter.cursor]);
  const clause = conditions.length > 0 ? `WHERE ${conditions.map(([condition]) => condition).join(" AND ")}` : "";
  const rows = sql
    .exec<RevocationRow>(`SELECT * FROM revocations ${clause} ORDER BY seq DESC LIMIT ?`, ...conditions.map(([, value]) => value), filter.limit + 1)
    .toArray();
  const page = rows.slice(0, filter.limit);
  const cursor = rows.length > filter.limit ? page[page.length - 1]!.seq : null;
  return { records: page.map((row) => withCalls(sql, row)), cursor };
}

export function countByStatus(sql: SqlStorage): Record<string, number> {
  const byStatus: Record<string, number> = {};
  for (const row of sql.exec<{ status: string; n: number }>("SELECT status, COUNT(*) AS n FROM revocations GROUP BY status")) {
    byStatus[row.status] = row.n;
  }
  return byStatus;
}

export function rowById(sql: SqlStorage, id: string): RevocationRow | undefined {
  return sql.exec<RevocationRow>("SELECT * FROM revocations WHERE id = ?", id).toArray()[0];
}

export function recordById(sql: SqlStorage, id: string): RevocationRecord | null {
  const row = rowById(sql, id);
  return row ? withCalls(sql, row) : null;
}

export function recordBySeq(sql: SqlStorage, seq: number): RevocationRecord | null {
  const row = sql.exec<RevocationRow>("SELECT * FROM revocations WHERE seq = ?", seq).toArray()[0];
  return row ? withCalls(sql, row) : null;
}

function withCalls(sql: SqlStorage, row: RevocationRow): RevocationRecord {
  const calls = sql.exec<CallRow>("SELECT * FROM calls WHERE revocation_seq = ? ORDER BY target", row.seq).toArray();
  return toRecord(row, calls);
}
