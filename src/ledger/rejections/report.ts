// The audit log's entry for each closed hour of refused deliveries (counts.ts keeps them per hour): taken in
// one transaction, which marks them written, then written to KV one entry per hour. A failed KV write is
// logged and not tried again: the entry is the human trail, and every refusal is in the request log.
import { recordRejectionSummary } from "../../audit/audit-log";
import { logEvent } from "../../log";
import { takeClosedPeriods } from "./counts";

export async function reportClosedPeriods(
  storage: DurableObjectStorage,
  kv: KVNamespace,
  options: { retentionDays: number; now: number },
): Promise<void> {
  const summaries = storage.transactionSync(() => takeClosedPeriods(storage.sql, options.now));
  for (const summary of summaries) {
    await recordRejectionSummary(kv, summary, { retentionDays: options.retentionDays }).catch((error: unknown) =>
      logEvent("audit.write_failed", { kind: "rejected", error: String(error) }),
    );
  }
}
