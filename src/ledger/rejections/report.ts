// The audit log's entry for each closed hour of refused deliveries (counts.ts keeps them per hour): taken and
// appended to the audit chain in one transaction, so an hour is reported exactly once; the chain writes its
// KV copy (audit/chain-writer.ts). Every refusal is also in the request log.
import { rejectionSummaryEntry } from "../../audit/audit-log";
import { appendAuditEntry } from "../audit/chain";
import { takeClosedPeriods } from "./counts";

/** Appends one entry per closed hour; answers how many. */
export function reportClosedPeriods(storage: DurableObjectStorage, now: number): number {
  return storage.transactionSync(() => {
    const summaries = takeClosedPeriods(storage.sql, now);
    for (const summary of summaries) appendAuditEntry(storage.sql, rejectionSummaryEntry(summary), now);
    return summaries.length;
  });
}
