// Revocations in the ledger's SQLite: commit (de-duplication, one row per email, one call per target,
// refusals), resolving the ones that wait for the directory, and reading records back.
// Contract: synchronous SQLite only; the ledger runs these inside its transactions, so a write and the
// revocations it causes commit together. A collision of keys never throws: the first row wins and the
// request is answered as its duplicate (a throw would fail the transaction and every retry of it).
import { targetPath } from "../cloudflare/revoke-user";
import type { Config } from "../config";
import { logEvent } from "../log";
import { addIdentity, emailsFor, replaceIdentity } from "./directory";
import { toRecord, type RevocationRecord } from "./record";
import type { CallRow, RevocationRow, RevocationStatus } from "./schema";

export type RevocationRequest = {
  source: string;
  assurance: "signed" | "static_secret" | "operator";
  event_id: string;
  event_type: string;
  /** At least one of email and subject_id; a subject id alone is resolved through the directory. */
  email?: string | null;
  subject_id?: string | null;
  user_uid?: string | null;
  reason?: string | null;
  devices?: boolean;
  warp_session_reauth?: boolean;
  job_id?: string | null;
  /** What the request asked for, when its id is a client's Idempotency-Key: a reuse for anything else conflicts. */
  fingerprint?: string | null;
  /** The address as sent when it could not be used (recorded, never sent to Cloudflare). */
  unusable_email?: string | null;
  /** Recorded without revoking: the address is unusable, or the source refused the event. */
  refusal?: { status: "invalid_email" | "refused"; detail: string } | null;
};

export type CommitReceipt = {
  id: string;
  status: RevocationStatus;
  duplicate: boolean;
  /** Set when the event id (an Idempotency-Key) was first used for a different request. */
  conflict?: { email: string | null };
};

export type CommitSettings = Pick<Config, "targets" | "revokeDevices" | "warpSessionReauth">;

/** The unique key of a revocation: unambiguous JSON, so no source, event id or email can forge another's. */
export function dedupeKey(source: string, eventId: string, fanOutEmail?: string): string {
  return JSON.stringify(fanOutEmail === undefined ? [source, eventId] : [source, eventId, fanOutEmail]);
}

export function commitRequest(sql: SqlStorage, request: RevocationRequest, now: number, settings: CommitSettings): CommitReceipt {
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
    return insertRevocation(sql, request, key, email, now, settings, { status: request.refusal.status, error: request.refusal.detail });
  }
  const subject = request.subject_id ?? null;
  if (request.email) {
    if (subject) learnIdentity(sql, request.source, subject, [request.email], now, settings);
    return insertRevocation(sql, request, key, request.email, now, settings);
  }
  if (!subject) throw new Error("a revocation request needs an email or a subject id");
  const [first, ...others] = emailsFor(sql, request.source, subject);
  if (!first) {
    const note = request.unusable_email
      ? `the email ${JSON.stringify(request.unusable_email)} cannot be used; waiting for the directory to know subject ${subject}`
      : `waiting for the directory to know subject ${subject}`;
    const receipt = insertRevocation(sql, request, key, null, now, settings, { status: "unresolved", error: note });
    logEvent("revocation.unresolved", { source: request.source, subject_id: subject, event_id: request.event_id });
    return receipt;
  }
  for (const email of others) insertRevocation(sql, request, dedupeKey(request.source, request.event_id, email), email, now, settings);
  return insertRevocation(sql, request, key, first, now, settings);
}

/**
 * Inserts one revocation: with an email it is queued with one call per target; `held` records it in
 * another status without calls (unresolved, invalid_email, refused). A key that exists answers that row.
 */
function insertRevocation(
  sql: SqlStorage,
  request: RevocationRequest,
  key: string,
  email: string | null,
  now: number,
  settings: CommitSettings,
  held?: { status: RevocationStatus; error: string },
): CommitReceipt {
  const id = `rev_${crypto.randomUUID().replace(/-/g, "")}`;
  const devices = request.devices ?? settings.revokeDevices;
  const warp = request.warp_session_reauth ?? settings.warpSessionReauth;
  const status: RevocationStatus = held?.status ?? "queued";
  const terminal = held !== undefined && held.status !== "unresolved";
  const inserted = sql
    .exec<{ seq: number }>(
      `INSERT INTO revocations (id, dedupe_key, source, assurance, event_id, event_type, email, subject_id, user_uid, reason,
         devices, warp_session_reauth, status, last_error, received_at, queued_at, completed_at, job_id, fingerprint)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (dedupe_key) DO NOTHING RETURNING seq`,
      id, key, request.source, request.assurance, request.event_id, request.event_type,
      email?.toLowerCase() ?? null, request.subject_id ?? null, request.user_uid ?? null, request.reason ?? null,
      devices ? 1 : 0, warp ? 1 : 0, status, held?.error ?? null, now, now, terminal ? now : null, request.job_id ?? null,
      request.fingerprint ?? null,
    )
    .toArray()[0];
  if (!inserted) {
    const existing = sql.exec<{ id: string; status: RevocationStatus }>("SELECT id, status FROM revocations WHERE dedupe_key = ?", key).one();
    return { ...existing, duplicate: true };
  }
  if (held === undefined) insertCalls(sql, inserted.seq, now, settings);
  return { id, status, duplicate: false };
}

function insertCalls(sql: SqlStorage, seq: number, now: number, settings: CommitSettings): void {
  for (const target of settings.targets) {
    sql.exec(
      "INSERT INTO calls (revocation_seq, target, state, next_attempt_at) VALUES (?, ?, 'pending', ?) ON CONFLICT DO NOTHING",
      seq, targetPath(target), now,
    );
  }
}

/**
 * Records emails for a subject (added, or replacing the known ones) and queues every revocation that was
 * waiting for them; answers how many it queued.
 */
export function learnIdentity(
  sql: SqlStorage,
  source: string,
  subjectId: string,
  emails: string[],
  now: number,
  settings: CommitSettings,
  replace = false,
): number {
  if (replace) replaceIdentity(sql, source, subjectId, emails, now);
  else for (const email of emails) addIdentity(sql, source, subjectId, email, now);
  const waiting = sql
    .exec<RevocationRow>("SELECT * FROM revocations WHERE status = 'unresolved' AND source = ? AND subject_id = ?", source, subjectId)
    .toArray();
  const [first, ...others] = emailsFor(sql, source, subjectId);
  if (!first) return 0;
  for (const row of waiting) {
    sql.exec("UPDATE revocations SET email = ?, status = 'queued', queued_at = ?, last_error = NULL WHERE seq = ?", first, now, row.seq);
    insertCalls(sql, row.seq, now, settings);
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
    };
    for (const email of others) insertRevocation(sql, request, dedupeKey(row.source, row.event_id, email), email, now, settings);
    logEvent("revocation.resolved", { id: row.id, source, subject_id: subjectId, emails: [first, ...others] });
  }
  return waiting.length;
}

export function rowById(sql: SqlStorage, id: string): RevocationRow | undefined {
  return sql.exec<RevocationRow>("SELECT * FROM revocations WHERE id = ?", id).toArray()[0];
}

export function recordBySeq(sql: SqlStorage, seq: number): RevocationRecord | null {
  const row = sql.exec<RevocationRow>("SELECT * FROM revocations WHERE seq = ?", seq).toArray()[0];
  return row ? withCalls(sql, row) : null;
}

export function withCalls(sql: SqlStorage, row: RevocationRow): RevocationRecord {
  const calls = sql.exec<CallRow>("SELECT * FROM calls WHERE revocation_seq = ? ORDER BY target", row.seq).toArray();
  return toRecord(row, calls);
}
