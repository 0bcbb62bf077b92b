// Returns: people the reconciliation sweep (ledger/sweep/) found back after their revocation, recorded on
// that revocation (returned_at, what the sweep saw, the revocation it asked for) until an operator
// acknowledges them. Contract: synchronous SQLite, inside the caller's transaction; `now` is passed in.
import { isoOrNull } from "../../domain/views";
import type { ReturnDetail } from "./record";
import type { RevocationRow } from "./schema";

/** A person's last revocation at one account, as the sweep compares it with what Access shows now. */
export type LastRevocation = {
  seq: number;
  id: string;
  /** When a revoke_user call for it last succeeded at the account (the revocation, or verification's re-revocation). */
  revoked_at: number;
  /** Already counted: the sweep found this person back after this revocation before. */
  returned_at: number | null;
  /** Seat removal at the account finished (REMOVE_SEATS): a seat held now was taken again since. */
  seat_removed: number;
};

/**
 * The revocation of `email` whose revoke_user call last succeeded at `target`, since `since` (the audit
 * retention window); null when there is none. A return is always measured from the person's latest
 * revocation there, so a return already revoked again is not found twice.
 */
export function lastRevocationAt(sql: SqlStorage, email: string, target: string, since: number): LastRevocation | null {
  return (
    sql
      .exec<LastRevocation>(
        `SELECT r.seq, r.id, c.completed_at AS revoked_at, r.returned_at,
           (sl.state = 'done' AND (su.state IS NULL OR su.state = 'done')) AS seat_removed
         FROM revocations r
         JOIN calls c ON c.revocation_seq = r.seq AND c.target = ? AND c.kind IN ('revoke', 're_revoke') AND c.state IN ('revoked', 'not_found')
         LEFT JOIN calls sl ON sl.revocation_seq = r.seq AND sl.target = c.target AND sl.kind = 'seat_lookup'
         LEFT JOIN calls su ON su.revocation_seq = r.seq AND su.target = c.target AND su.kind = 'seat_update'
         WHERE r.email = ? AND c.completed_at >= ?
         ORDER BY c.completed_at DESC LIMIT 1`,
        target,
        email,
        since,
      )
      .toArray()[0] ?? null
  );
}

/** Records a return on the revocation; false when one was recorded already (a page read twice counts it once). */
export function recordReturn(sql: SqlStorage, seq: number, returnedAt: number, detail: ReturnDetail): boolean {
  return (
    sql.exec(
      "UPDATE revocations SET returned_at = ?, return_detail = ? WHERE seq = ? AND returned_at IS NULL",
      returnedAt,
      JSON.stringify(detail),
      seq,
    ).rowsWritten > 0
  );
}

/** The revocation the sweep asked for because of the return. */
export function linkReturnRevocation(sql: SqlStorage, seq: number, revocationId: string): void {
  sql.exec("UPDATE revocations SET return_revocation_id = ? WHERE seq = ?", revocationId, seq);
}

export type Acknowledgement = { ok: true } | { ok: false; reason: "not_found" | "no_return" | "acknowledged"; at?: string };

/** An operator acknowledges a return: /healthz and the page stop noting it. */
export function acknowledgeReturn(sql: SqlStorage, id: string, reason: string, now: number): Acknowledgement {
  const row = sql
    .exec<Pick<RevocationRow, "returned_at" | "return_acknowledged_at">>(
      "SELECT returned_at, return_acknowledged_at FROM revocations WHERE id = ?",
      id,
    )
    .toArray()[0];
  if (!row) return { ok: false, reason: "not_found" };
  if (row.returned_at === null) return { ok: false, reason: "no_return" };
  if (row.return_acknowledged_at !== null) return { ok: false, reason: "acknowledged", at: isoOrNull(row.return_acknowledged_at) ?? undefined };
  sql.exec("UPDATE revocations SET return_acknowledged_at = ?, return_acknowledgement = ? WHERE id = ?", now, JSON.stringify({ reason }), id);
  return { ok: true };
}

export type OpenReturn = { id: string; email: string | null; returned_at: number; detail: string };

/** Returns no operator has acknowledged yet, oldest first (at most `limit`), and how many there are. */
export function openReturns(sql: SqlStorage, limit: number): { count: number; returns: OpenReturn[] } {
  const count = sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM revocations WHERE returned_at IS NOT NULL AND return_acknowledged_at IS NULL")
    .one().n;
  const returns = sql
    .exec<{ id: string; email: string | null; returned_at: number; return_detail: string }>(
      `SELECT id, email, returned_at, return_detail FROM revocations
       WHERE returned_at IS NOT NULL AND return_acknowledged_at IS NULL ORDER BY returned_at LIMIT ?`,
      limit,
    )
    .toArray()
    .map((row) => ({ id: row.id, email: row.email, returned_at: row.returned_at, detail: (JSON.parse(row.return_detail) as ReturnDetail).detail }));
  return { count, returns };
}
