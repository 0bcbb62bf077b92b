// Counts refused deliveries in this isolate (webhooks, and SETs pushed to /ssf) and reports them to the
// ledger, which keeps them per hour and writes one audit entry per closed hour (ledger/rejections/).
// Contract: never throws and never delays the refusal; `now` is passed in.
// Bound on Durable Object calls from anonymous traffic: one report per isolate per REPORT_INTERVAL_MS,
// plus one for each source and reason not yet reported in the current interval (8 webhook sources × 5
// reasons, and each configured SSF transmitter × its few error codes), so a flood of forgeries costs the
// ledger almost nothing and KV nothing at all.
import type { Context } from "hono";
import type { AppEnv } from "../context";
import { ledgerFor } from "../ledger/client";
import type { RejectionCount } from "../ledger/rejections/counts";
import { logEvent } from "../log";

const REPORT_INTERVAL_MS = 60_000;

const pending = new Map<string, RejectionCount>();
const reportedThisInterval = new Set<string>();
let lastReportAt = 0;

/** Counts one refusal and, when a report is due, hands the counts to the ledger in the background. */
export function reportRejection(c: Context<AppEnv>, source: string, reason: string, now: number): void {
  const report = countRejection(source, reason, now);
  if (!report) return;
  c.executionCtx.waitUntil(
    ledgerFor(c.env)
      .countRejections(report)
      .catch((error: unknown) => logEvent("rejections.report_failed", { source, error: String(error) })),
  );
}

/** Adds one refusal; answers the counts to report now, or null to keep counting. */
function countRejection(source: string, reason: string, now: number): RejectionCount[] | null {
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
