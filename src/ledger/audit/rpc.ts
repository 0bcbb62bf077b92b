// `ledger.auditChain()`: the audit chain as an RPC target of the ledger, for the export (which run of the
// chain it covers, which keys to read from KV) and for an auditor's check of an export against the ledger's
// own hashes (GET /v1/audit/chain).
import { RpcTarget } from "cloudflare:workers";
import type { AuditChainView } from "../../domain/views";
import type { LedgerCore } from "../core";
import { type ChainSegment, chainRows } from "./chain";
import { auditChainView, exportSegment } from "./view";

export class AuditChainRpc extends RpcTarget {
  constructor(private readonly core: LedgerCore) {
    super();
  }

  async view(): Promise<AuditChainView> {
    return auditChainView(this.core.sql);
  }

  /** The run an export of [from, to] covers now, with the chain's view. */
  async segment(range: { from: number; to: number }): Promise<{ chain: AuditChainView; segment: ChainSegment | null }> {
    const { sql } = this.core;
    return { chain: auditChainView(sql), segment: exportSegment(sql, range, this.core.now(), this.core.config().auditRetentionDays) };
  }

  /** Entries after `afterSeq` up to `toSeq` (at most `limit`): keys and the ledger's hashes. */
  async rows(afterSeq: number, toSeq: number, limit: number): Promise<{ seq: number; key: string; hash: string | null }[]> {
    return chainRows(this.core.sql, afterSeq, toSeq, limit);
  }
}
