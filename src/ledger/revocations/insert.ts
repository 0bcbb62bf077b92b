// One revocation row, and its calls: the one way a row enters the revocations table, for a commit and for
// a revocation the directory resolved alike, and the de-duplication key both find it by.
// Contract: synchronous SQLite, inside the caller's transaction. A collision of keys never throws: the first
// row wins and the request is answered as its duplicate (a throw would fail the transaction and every retry of it).
import { targetPath } from "../../cloudflare/revoke-user";
import type { CommitReceipt, RevocationRequest, RevocationStatus } from "../../domain/revocation";
import { groupOf, type Lane, laneOf } from "../calls/lanes";
import { insertCall } from "../calls/queue";
import type { CommitContext } from "../store/context";
import type { RevocationRow } from "./schema";

/**
 * The unique key of a revocation: unambiguous JSON, so no source, event id or email can forge another's,
 * and a numeric event id (12345) is not its string twin ("12345"), whose key is unchanged.
 */
export function dedupeKey(source: string, eventId: string | number, fanOutEmail?: string): string {
  return JSON.stringify(fanOutEmail === undefined ? [source, eventId] : [source, eventId, fanOutEmail]);
}

/** The event id as its revocation's key holds it (a number stays a number). */
export function keyedEventId(row: Pick<RevocationRow, "dedupe_key">): string | number {
  return (JSON.parse(row.dedupe_key) as [string, string | number])[1];
}

/**
 * Inserts one revocation: with an email it is queued with one call per target; `held` records it in
 * another status without calls (unresolved, invalid_email, refused). A key that exists answers that row.
 */
export function insertRevocation(
  context: CommitContext,
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
         devices, warp_session_reauth, status, last_error, received_at, queued_at, completed_at, job_id, fingerprint, lane, email_as_received,
         event_at, revokes_return_of)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
      request.event_at ?? null,
      request.revokes_return_of ?? null,
    )
    .toArray()[0];
  if (!inserted) {
    const existing = sql.exec<{ id: string; status: RevocationStatus }>("SELECT id, status FROM revocations WHERE dedupe_key = ?", key).one();
    return { ...existing, duplicate: true };
  }
  if (held === undefined) insertCalls(context, inserted.seq, laneOf(request.job_id), groupOf(request.source, request.job_id));
  return { id, status, duplicate: false };
}

/** One call per target, in the revocation's lane and group (calls/lanes.ts). */
export function insertCalls({ sql, now, settings, queued }: CommitContext, seq: number, lane: Lane, group: string): void {
  queued?.(lane, group);
  for (const target of settings.targets) insertCall(sql, { seq, target: targetPath(target), kind: "revoke", dueAt: now, lane, group });
}
