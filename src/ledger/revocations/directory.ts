// The identity directory: (source, subject id) → email(s), in the ledger's SQLite so that a lookup right
// after a write never misses (KV reads can lag by up to 60 s) and so that resolving an unresolved
// revocation happens in the same transaction as the write that made it resolvable.
// Contract: synchronous SQLite only; callers run these inside the ledger's transactions.

import type { DirectoryEntry } from "../../domain/views";
import type { IdentityRow } from "./schema";

/**
 * Notes that the directory learned from an event (its dedupe key, insert.ts); false when it already had:
 * the event is a replay, and teaches nothing.
 */
export function firstLessonOf(sql: SqlStorage, eventKey: string, now: number): boolean {
  return sql.exec("INSERT INTO directory_events (dedupe_key, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING", eventKey, now).rowsWritten > 0;
}

export function emailsFor(sql: SqlStorage, source: string, subjectId: string): string[] {
  return sql
    .exec<{ email: string }>("SELECT email FROM identities WHERE source = ? AND subject_id = ? ORDER BY email", source, subjectId)
    .toArray()
    .map((row) => row.email);
}

/** Adds an email to a subject (an update event may bring a new address; the old one stays revocable). */
export function addIdentity(sql: SqlStorage, source: string, subjectId: string, email: string, now: number): void {
  sql.exec(
    "INSERT INTO identities (source, subject_id, email, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET updated_at = excluded.updated_at",
    source,
    subjectId,
    email.toLowerCase(),
    now,
  );
}

/** Replaces a subject's emails (an operator's PUT). */
export function replaceIdentity(sql: SqlStorage, source: string, subjectId: string, emails: string[], now: number): void {
  sql.exec("DELETE FROM identities WHERE source = ? AND subject_id = ?", source, subjectId);
  for (const email of emails) addIdentity(sql, source, subjectId, email, now);
}

export function deleteIdentity(sql: SqlStorage, source: string, subjectId: string): boolean {
  return sql.exec("DELETE FROM identities WHERE source = ? AND subject_id = ?", source, subjectId).rowsWritten > 0;
}

export function readIdentity(sql: SqlStorage, source: string, subjectId: string): DirectoryEntry | null {
  const rows = sql.exec<IdentityRow>("SELECT * FROM identities WHERE source = ? AND subject_id = ? ORDER BY email", source, subjectId).toArray();
  if (rows.length === 0) return null;
  return {
    source,
    subject_id: subjectId,
    emails: rows.map((row) => row.email),
    updated_at: new Date(Math.max(...rows.map((row) => row.updated_at))).toISOString(),
  };
}
