// What the ledger shows of the audit chain: its id and head (/v1/stats, every report), the entries KV has
// not taken yet, and the run an export covers. Contract: synchronous SQLite; `now` is passed in.
import type { AuditChainView } from "../../domain/views";
import { auditChainId } from "../keys/chain-id";
import { type ChainSegment, chainBacklog, chainHead, chainSegment } from "./chain";

/** KV shows a write everywhere within about a minute: an export stops before entries written since. */
const KV_VISIBLE_AFTER_MS = 60_000;
/** An entry within this long of its expiry may be gone by the time an export reads it: it is left out. */
const EXPIRY_MARGIN_MS = 60 * 60_000;

export function auditChainView(sql: SqlStorage): AuditChainView {
  const head = chainHead(sql);
  const backlog = chainBacklog(sql);
  return {
    chain_id: auditChainId(sql),
    head: head && { seq: head.seq, hash: head.hash, at: new Date(head.appended_at).toISOString() },
    unwritten: backlog.unwritten,
    last_error: backlog.last_error,
  };
}

/** The run of the chain appended between `from` and `to` that KV shows now and still keeps (chain.ts: chainSegment). */
export function exportSegment(sql: SqlStorage, range: { from: number; to: number }, now: number, retentionDays: number): ChainSegment | null {
  return chainSegment(sql, {
    ...range,
    visibleBefore: now - KV_VISIBLE_AFTER_MS,
    retainedAfter: now - retentionDays * 86_400_000 + EXPIRY_MARGIN_MS,
  });
}
