// Resolving: what the identity directory learns (from events, SCIM and operators) queues every revocation
// that was waiting for it, in the same transaction as the lesson.
// Contract: synchronous SQLite, inside the caller's transaction.
import type { Observation } from "../../domain/identity-events";
import type { RevocationRequest } from "../../domain/revocation";
import { logEvent } from "../../log";
import { groupOf, laneOf } from "../calls/lanes";
import type { CommitContext } from "../store/context";
import { addIdentity, emailsFor, firstLessonOf, replaceIdentity } from "./directory";
import { dedupeKey, insertCalls, insertRevocation, keyedEventId } from "./insert";
import type { RevocationRow } from "./schema";

/** Learns an observation unless its event taught the directory before; answers whether it did now. */
export function learnObservation(context: CommitContext, seen: Observation): boolean {
  if (seen.event_id !== undefined && !firstLessonOf(context.sql, dedupeKey(seen.source, seen.event_id), context.now)) return false;
  learnIdentity(context, seen.source, seen.subject_id, [seen.email]);
  return true;
}

/**
 * Records emails for a subject (added, or replacing the known ones) and queues every revocation that was
 * waiting for them; answers how many it queued.
 */
export function learnIdentity(context: CommitContext, source: string, subjectId: string, emails: string[], replace = false): number {
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
