// Carries the audit chain's appended entries to KV: seals them in seq order (prev_hash, hash:
// domain/audit-chain.ts), then writes each one's KV copy with those fields (audit/audit-log.ts:
// writeAuditCopy), a few at a time. One run at a time per ledger instance; a call during a run makes it go
// round once more. A KV write that fails stays waiting with its error (GET /v1/stats: audit_chain) and is
// tried again by the next run: the next entry appended, or the minute's Cron Trigger.
// Contract: the KV copy is the readable trail and the ledger's chain is what it is checked against; an
// entry is never lost to a failed write, only late.
import { writeAuditCopy } from "../../audit/audit-log";
import { entryHash, genesisHash } from "../../domain/audit-chain";
import { logEvent } from "../../log";
import { auditChainId } from "../keys/chain-id";
import { lastSealedHash, markWritten, noteWriteFailure, sealEntry, unsealedEntries, unwrittenEntries } from "./chain";

/** Entries sealed or written per transaction. */
const BATCH = 60;
/** KV writes in flight at once (each entry is one or two puts). */
const PARALLEL_WRITES = 6;

export type ChainWriterHost = {
  storage: DurableObjectStorage;
  kv: KVNamespace;
  retentionDays(): number;
  now(): number;
};

export class AuditChainWriter {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly host: ChainWriterHost) {}

  /** Seals and writes whatever waits; answers when this run (or the one already going) is done. */
  flush(): Promise<void> {
    this.again = true;
    this.running ??= this.loop().finally(() => {
      this.running = null;
      if (this.again) void this.flush();
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    while (this.again) {
      this.again = false;
      await this.sealAll();
      if (!(await this.writeAll())) {
        // KV refused: leave the rest for the next run (the Cron Trigger's, at the latest) rather than retry at once.
        this.again = false;
        return;
      }
    }
  }

  private async sealAll(): Promise<void> {
    const { storage } = this.host;
    for (;;) {
      const waiting = storage.transactionSync(() => unsealedEntries(storage.sql, BATCH));
      if (waiting.length === 0) return;
      let previous =
        storage.transactionSync(() => lastSealedHash(storage.sql)) ?? (await genesisHash(storage.transactionSync(() => auditChainId(storage.sql))));
      const sealed: { seq: number; prev_hash: string; hash: string }[] = [];
      for (const { seq, entry } of waiting) {
        const hash = await entryHash({ key: entry.key, ...entry.value, seq, prev_hash: previous });
        sealed.push({ seq, prev_hash: previous, hash });
        previous = hash;
      }
      storage.transactionSync(() => {
        for (const seal of sealed) sealEntry(storage.sql, seal.seq, seal.prev_hash, seal.hash);
      });
    }
  }

  /** Writes every sealed entry's KV copy; answers false when a write failed (the rest wait for the next run). */
  private async writeAll(): Promise<boolean> {
    const { storage, kv } = this.host;
    for (;;) {
      const waiting = storage.transactionSync(() => unwrittenEntries(storage.sql, BATCH));
      if (waiting.length === 0) return true;
      let failed = false;
      for (let start = 0; start < waiting.length && !failed; start += PARALLEL_WRITES) {
        const group = waiting.slice(start, start + PARALLEL_WRITES);
        const results = await Promise.allSettled(
          group.map(({ entry, seq, prev_hash, hash }) =>
            writeAuditCopy(kv, entry, { seq, prev_hash, hash }, { retentionDays: this.host.retentionDays() }),
          ),
        );
        const now = this.host.now();
        storage.transactionSync(() => {
          results.forEach((result, index) => {
            const { seq } = group[index]!;
            if (result.status === "fulfilled") markWritten(storage.sql, seq, now);
            else noteWriteFailure(storage.sql, seq, String(result.reason));
          });
        });
        for (const [index, result] of results.entries()) {
          if (result.status === "rejected") {
            failed = true;
            logEvent("audit.write_failed", { seq: group[index]!.seq, key: group[index]!.entry.key, error: String(result.reason) });
          }
        }
      }
      if (failed) return false;
    }
  }
}
