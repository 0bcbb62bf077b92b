// The audit chain in the ledger (table audit_chain, issue #23): every audit entry is appended here, inside
// the transaction of the write that caused it, and gets the next seq, so the chain is one line in the
// order the ledger's writes are serialized. Its prev_hash and hash are sealed afterwards, in seq order, and
// only then is its KV copy written (chain-writer.ts): WebCrypto's digest is asynchronous and cannot run
// inside a synchronous transaction. Both steps are deterministic and idempotent, so an eviction between
// them only delays them; the entry waits here (`entry`) until KV has it, then only its hash stays.
// Contract: synchronous SQLite, inside the caller's transaction; `now` is passed in.
import type { AuditEntry } from "../../audit/audit-log";
import { CHAIN_FIELDS } from "../../domain/audit-chain";
import type { AuditChainRow } from "./schema";

/** Appends an entry to the chain; answers its seq. */
export function appendAuditEntry(sql: SqlStorage, entry: AuditEntry, now: number): number {
  const clash = CHAIN_FIELDS.find((name) => name in entry.value);
  if (clash) throw new Error(`an audit entry's value may not have a member named ${clash}: the chain adds it`);
  return sql
    .exec<{ seq: number }>("INSERT INTO audit_chain (key, appended_at, entry) VALUES (?, ?, ?) RETURNING seq", entry.key, now, JSON.stringify(entry))
    .one().seq;
}

export type WaitingEntry = { seq: number; entry: AuditEntry };

/** Entries not sealed yet, oldest first. */
export function unsealedEntries(sql: SqlStorage, limit: number): WaitingEntry[] {
  return sql
    .exec<Pick<AuditChainRow, "seq" | "entry">>("SELECT seq, entry FROM audit_chain WHERE hash IS NULL ORDER BY seq LIMIT ?", limit)
    .toArray()
    .map((row) => ({ seq: row.seq, entry: JSON.parse(row.entry!) as AuditEntry }));
}

/** The hash of the last sealed entry (what the next one links to); null before the first is sealed. */
export function lastSealedHash(sql: SqlStorage): string | null {
  return sql.exec<{ hash: string }>("SELECT hash FROM audit_chain WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1").toArray()[0]?.hash ?? null;
}

/** Seals an entry; an entry already sealed keeps its hash (sealing is idempotent). */
export function sealEntry(sql: SqlStorage, seq: number, prevHash: string, hash: string): void {
  sql.exec("UPDATE audit_chain SET prev_hash = ?, hash = ? WHERE seq = ? AND hash IS NULL", prevHash, hash, seq);
}

export type SealedEntry = WaitingEntry & { prev_hash: string; hash: string };

/** Sealed entries whose KV copy is not written yet, oldest first. */
export function unwrittenEntries(sql: SqlStorage, limit: number): SealedEntry[] {
  return sql
    .exec<Pick<AuditChainRow, "seq" | "entry" | "prev_hash" | "hash">>(
      "SELECT seq, entry, prev_hash, hash FROM audit_chain WHERE written_at IS NULL AND hash IS NOT NULL ORDER BY seq LIMIT ?",
      limit,
    )
    .toArray()
    .map((row) => ({ seq: row.seq, entry: JSON.parse(row.entry!) as AuditEntry, prev_hash: row.prev_hash!, hash: row.hash! }));
}

/** KV has the entry's copy: only its place in the chain stays. */
export function markWritten(sql: SqlStorage, seq: number, now: number): void {
  sql.exec("UPDATE audit_chain SET written_at = ?, entry = NULL, last_error = NULL WHERE seq = ?", now, seq);
}

export function noteWriteFailure(sql: SqlStorage, seq: number, error: string): void {
  sql.exec("UPDATE audit_chain SET attempts = attempts + 1, last_error = ? WHERE seq = ?", error.slice(0, 500), seq);
}

export type ChainHead = { seq: number; hash: string; appended_at: number };

/** The last sealed entry: what a report or an auditor pins. Null while the chain is empty. */
export function chainHead(sql: SqlStorage): ChainHead | null {
  return sql.exec<ChainHead>("SELECT seq, hash, appended_at FROM audit_chain WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1").toArray()[0] ?? null;
}

/** Entries waiting for their hash or their KV copy, and why the oldest unwritten one is not written. */
export function chainBacklog(sql: SqlStorage): { unsealed: number; unwritten: number; last_error: string | null } {
  const counts = sql
    .exec<{ unsealed: number | null; unwritten: number }>(
      "SELECT SUM(hash IS NULL) AS unsealed, COUNT(*) AS unwritten FROM audit_chain WHERE written_at IS NULL",
    )
    .one();
  const error = sql
    .exec<{ last_error: string }>("SELECT last_error FROM audit_chain WHERE written_at IS NULL AND last_error IS NOT NULL ORDER BY seq LIMIT 1")
    .toArray()[0];
  return { unsealed: counts.unsealed ?? 0, unwritten: counts.unwritten, last_error: error?.last_error ?? null };
}

/** A run of the chain an export covers: from_seq to to_seq (inclusive), and the hash from_seq links to (null: genesis). */
export type ChainSegment = { from_seq: number; to_seq: number; prev_hash: string | null };

/**
 * The run of entries appended between `from` and `to` that an export can show: written to KV before
 * `visibleBefore` (KV takes up to a minute to show a write everywhere, so the newest wait for a later
 * export), and not expired (written after `retainedAfter`). The run is contiguous: it stops before the first
 * entry not written yet. Null when it is empty.
 */
export function chainSegment(
  sql: SqlStorage,
  range: { from: number; to: number; visibleBefore: number; retainedAfter: number },
): ChainSegment | null {
  const first = sql
    .exec<{ seq: number | null }>(
      "SELECT MIN(seq) AS seq FROM audit_chain WHERE appended_at >= ? AND written_at IS NOT NULL AND written_at > ?",
      range.from,
      range.retainedAfter,
    )
    .one().seq;
  const last = sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM audit_chain WHERE appended_at <= ?", range.to).one().seq;
  const notShown = sql
    .exec<{ seq: number | null }>("SELECT MIN(seq) AS seq FROM audit_chain WHERE written_at IS NULL OR written_at > ?", range.visibleBefore)
    .one().seq;
  if (first === null || last === null) return null;
  const to = notShown === null ? last : Math.min(last, notShown - 1);
  if (to < first) return null;
  const prev = sql.exec<{ hash: string | null }>("SELECT hash FROM audit_chain WHERE seq = ?", first - 1).toArray()[0]?.hash ?? null;
  return { from_seq: first, to_seq: to, prev_hash: prev };
}

/** Entries after `afterSeq` up to `toSeq`, at most `limit`: their keys and the hashes the ledger keeps. */
export function chainRows(sql: SqlStorage, afterSeq: number, toSeq: number, limit: number): { seq: number; key: string; hash: string | null }[] {
  return sql
    .exec<{ seq: number; key: string; hash: string | null }>(
      "SELECT seq, key, hash FROM audit_chain WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
      afterSeq,
      toSeq,
      limit,
    )
    .toArray();
}
