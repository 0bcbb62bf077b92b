// Counts refused deliveries in this isolate and reports them to the ledger, which keeps them per hour
// and writes one audit entry per closed hour (ledger/rejections.ts). Contract: never throws and never
// delays the 401; `now` is passed in.
// Bound on Durable Object calls from anonymous traffic: one report per isolate per REPORT_INTERVAL_MS,
// plus one for each source and reason not yet reported in the current interval (at most 8 sources × 5
// reasons), so a flood of forgeries costs the ledger almost nothing and KV nothing at all.
import type { RejectionCount } from "../ledger/rejections";

const REPORT_INTERVAL_MS = 60_000;

const pending = new Map<string, RejectionCount>();
const reportedThisInterval = new Set<string>();
let lastReportAt = 0;

/** Adds one refusal; answers the counts to report now, or null to keep counting. */
export function countRejection(source: string, reason: string, now: number): RejectionCount[] | null {
  const key = `${source}\u0000${reason}`;
  const entry = pending.get(key) ?? { source, reason, count: 0, first_at: now, last_at: now };
  entry.count++;
  entry.last_at = now;
  pending.set(key, entry);
  if (now - lastReportAt >= REPORT_INTERVAL_MS) reportedThisInterval.clear();
  else if (reportedThisInterval.has(key)) return null;
  lastReportAt = now;
  reportedThisInterval.add(key);
  const counts = [...pending.values()];
  pending.clear();
  return counts;
}
