// Security Event Tokens the receiver could not check because the transmitter's keys could not be fetched,
// or not yet since they arrived (src/ssf/routes.ts answers them 400 invalid_key, as RFC 8935 §2.4 names it).
// They are kept here raw, one per transmitter and token, until the Cron Trigger verifies them
// (src/ssf/held-sets.ts): a valid SET then revokes as if it had been accepted on arrival, a forged one is refused
// and counted. Nothing in a held token is read or believed here; the ledger only keeps it and says when to
// try again.
// Bounds, per transmitter, whichever comes first: HELD_SETS_PER_TRANSMITTER tokens and
// HELD_BYTES_PER_TRANSMITTER bytes (a token is ASCII: a character is a byte), so forged SETs sent during a
// JWKS outage cannot grow storage past 4 MiB a transmitter (1,000 of the 64 KiB a body may be would be
// 63 MB). Past either a token is refused without being held (the route answers 503 to have it sent again).
// Checks are dealt round robin across transmitters (each transmitter's oldest first): one transmitter's
// flood of forgeries never delays another's SETs.
// Contract: synchronous SQLite only; `now` is passed in.
import type { HeldSetsView } from "../../domain/views";

export const HELD_SETS_PER_TRANSMITTER = 1_000;
export const HELD_BYTES_PER_TRANSMITTER = 4 * 1024 * 1024;

/** `received_at`: when the route received it, by the receiver's clock, which the check judges it by. */
export type HeldSet = { id: number; transmitter: string; token: string; received_at: number; attempts: number };

/** What became of a token handed to holdSet. */
export type HoldOutcome = "held" | "already_held" | "full";

/** A held SET decided (`retryInMs` null: forgotten) or to be checked again after `retryInMs`, with why. */
export type HeldSettlement = { id: number; retryInMs: number | null; detail: string | null };

/**
 * `digest`: the token's SHA-256 (hex), which makes a redelivered token the same held SET. `receivedAt` is the
 * receiver's clock (the SET is checked as of then); `now`, the ledger's, schedules the first check.
 */
export function holdSet(sql: SqlStorage, transmitter: string, token: string, digest: string, receivedAt: number, now: number): HoldOutcome {
  const known = sql.exec("SELECT 1 FROM held_sets WHERE transmitter = ? AND digest = ?", transmitter, digest).toArray();
  if (known.length > 0) return "already_held";
  const { n, bytes } = sql
    .exec<{ n: number; bytes: number }>(
      "SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(token)), 0) AS bytes FROM held_sets WHERE transmitter = ?",
      transmitter,
    )
    .one();
  if (n >= HELD_SETS_PER_TRANSMITTER || bytes + token.length > HELD_BYTES_PER_TRANSMITTER) return "full";
  sql.exec(
    "INSERT INTO held_sets (transmitter, digest, token, received_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)",
    transmitter,
    digest,
    token,
    receivedAt,
    now,
  );
  return "held";
}

/**
 * The held tokens due for another check: each transmitter's oldest first, dealt round robin across
 * transmitters, at most `limit` of them and about `maxBytes` (the token that crosses it is the last; one is
 * always answered), so one answer stays a bounded RPC message however many transmitters are flooded.
 */
export function dueHeldSets(sql: SqlStorage, now: number, limit: number, maxBytes: number): HeldSet[] {
  return sql
    .exec<HeldSet>(
      `SELECT id, transmitter, token, received_at, attempts FROM (
         SELECT *, SUM(LENGTH(token)) OVER (ORDER BY turn, transmitter ROWS UNBOUNDED PRECEDING) AS running FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY transmitter ORDER BY received_at, id) AS turn FROM held_sets WHERE next_attempt_at <= ?
         )
       ) WHERE running - LENGTH(token) < ? ORDER BY turn, transmitter LIMIT ?`,
      now,
      maxBytes,
      limit,
    )
    .toArray();
}

/** Forgets each decided token; schedules the others' next check. */
export function settleHeldSets(sql: SqlStorage, settlements: HeldSettlement[], now: number): void {
  for (const { id, retryInMs, detail } of settlements) {
    if (retryInMs === null) sql.exec("DELETE FROM held_sets WHERE id = ?", id);
    else sql.exec("UPDATE held_sets SET attempts = attempts + 1, next_attempt_at = ?, last_detail = ? WHERE id = ?", now + retryInMs, detail, id);
  }
}

/** Per transmitter: how many tokens wait, since when, and why the last check could not decide. */
export function heldSetsByTransmitter(sql: SqlStorage): Map<string, HeldSetsView> {
  const rows = sql
    .exec<{ transmitter: string; n: number; oldest: number; last_detail: string | null }>(
      `SELECT transmitter, COUNT(*) AS n, MIN(received_at) AS oldest,
         (SELECT last_detail FROM held_sets AS h WHERE h.transmitter = held_sets.transmitter AND last_detail IS NOT NULL
          ORDER BY next_attempt_at DESC LIMIT 1) AS last_detail
       FROM held_sets GROUP BY transmitter`,
    )
    .toArray();
  return new Map(
    rows.map((row) => [row.transmitter, { count: row.n, oldest_received_at: new Date(row.oldest).toISOString(), last_detail: row.last_detail }]),
  );
}
