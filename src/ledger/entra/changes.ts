// Users a change notification named, waiting to be read from Graph (table entra_changes). A notification is
// committed here before the route answers Graph's 202; the read is paced work after it (src/entra/lookups.ts):
// claimed with a lease, so the Cron Trigger and a route's background work never read the same user at once;
// settled by what the read found (users.ts) or put back with a backoff when Graph could not answer. One row
// per user: a notification for a user not read yet makes it due now, "deleted" winning as the change type;
// one that arrives while the user is being read keeps the row for another read, since that read may have
// seen the user as they were before the change it announces.
// A change not read within GIVE_UP_AFTER_MS is dropped with the reason logged: by then the delta catch-up,
// which reads every change since its last run, has decided that user.
// Contract: synchronous SQLite; `now` is passed in.
import { logEvent } from "../../log";
import { stateRow } from "./subscription";

const BACKOFF_BASE_MS = 30_000;
const BACKOFF_MAX_MS = 30 * 60_000;
const GIVE_UP_AFTER_MS = 24 * 3_600_000;

export type PendingChange = { userId: string; changeType: "updated" | "deleted"; receivedAt: number; attempts: number };

export function noteChanges(sql: SqlStorage, changes: { userId: string; changeType: "updated" | "deleted" }[], now: number): void {
  for (const change of changes) {
    sql.exec(
      `INSERT INTO entra_changes (user_id, change_type, received_at, due_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET change_type = CASE WHEN excluded.change_type = 'deleted' THEN 'deleted' ELSE change_type END,
         received_at = excluded.received_at, due_at = excluded.due_at`,
      change.userId,
      change.changeType,
      now,
      now,
    );
  }
}

/** Due changes, oldest first, leased for `leaseMs`; none while Graph asked for a pause. */
export function claimChanges(sql: SqlStorage, now: number, limit: number, leaseMs: number): { changes: PendingChange[]; pausedUntil: number | null } {
  const { paused_until } = stateRow(sql);
  if (paused_until > now) return { changes: [], pausedUntil: paused_until };
  const rows = sql
    .exec<{ user_id: string; change_type: string; received_at: number; attempts: number }>(
      "SELECT user_id, change_type, received_at, attempts FROM entra_changes WHERE due_at <= ? AND lease_until <= ? ORDER BY due_at LIMIT ?",
      now,
      now,
      limit,
    )
    .toArray();
  for (const row of rows) sql.exec("UPDATE entra_changes SET lease_until = ?, attempts = attempts + 1 WHERE user_id = ?", now + leaseMs, row.user_id);
  const changes = rows.map((row) => ({
    userId: row.user_id,
    changeType: row.change_type === "deleted" ? ("deleted" as const) : ("updated" as const),
    receivedAt: row.received_at,
    attempts: row.attempts + 1,
  }));
  return { changes, pausedUntil: null };
}

/**
 * The change is decided by a read of the user made for the notification received at `readFor` (or, without it,
 * by the delta): forgotten, unless a newer notification arrived meanwhile, which is then due at once.
 */
export function forgetChange(sql: SqlStorage, userId: string, readFor = Number.POSITIVE_INFINITY): void {
  if (sql.exec("DELETE FROM entra_changes WHERE user_id = ? AND received_at <= ?", userId, readFor).rowsWritten > 0) return;
  sql.exec("UPDATE entra_changes SET lease_until = 0 WHERE user_id = ?", userId);
}

/** Whether a notification about this user waits to be read: a delta finding them is not a catch. */
export function changePending(sql: SqlStorage, userId: string): boolean {
  return sql.exec("SELECT 1 FROM entra_changes WHERE user_id = ?", userId).toArray().length > 0;
}

/** Graph could not answer for this user: try again after a backoff, or drop it once the delta has surely run. */
export function retryChange(sql: SqlStorage, userId: string, error: string, now: number, notBefore = 0): void {
  const row = sql
    .exec<{ attempts: number; received_at: number }>("SELECT attempts, received_at FROM entra_changes WHERE user_id = ?", userId)
    .toArray()[0];
  if (!row) return;
  if (now - row.received_at > GIVE_UP_AFTER_MS) {
    sql.exec("DELETE FROM entra_changes WHERE user_id = ?", userId);
    logEvent("entra.lookup_dropped", { user_id: userId, attempts: row.attempts, error, reason: "unread for a day; the delta catch-up decides it" });
    return;
  }
  const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, row.attempts - 1));
  sql.exec(
    "UPDATE entra_changes SET due_at = ?, lease_until = 0, last_error = ? WHERE user_id = ?",
    Math.max(now + backoff, notBefore),
    error.slice(0, 300),
    userId,
  );
}

export function pendingChangeCount(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM entra_changes").one().n;
}
