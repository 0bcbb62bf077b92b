// Counts refused deliveries in this isolate (webhooks, SETs pushed to /ssf, SCIM requests with a wrong token)
// and reports them to the ledger, which keeps them per hour and writes one audit entry per closed hour
// (ledger/rejections/); and notes accepted deliveries that commit nothing (an ignored event, a handshake, a
// SET that deprovisions nobody, a SCIM read), which the ledger keeps as each source's last accepted delivery
// (ledger/deliveries/). A delivery that commits is noted in its own transaction instead, at no extra cost.
// Contract: never throws and never delays the answer (the report goes in waitUntil); `now` is passed in.
// Bound on Durable Object calls, from anonymous traffic above all: per isolate and kind (refusals,
// acceptances), one report per REPORT_INTERVAL_MS, plus one for each key (source and reason; source) not yet
// reported in the current interval (8 webhook sources × 5 reasons, SCIM, each configured SSF transmitter ×
// its few error codes), so a flood of forgeries costs the ledger almost nothing and KV nothing at all.
import type { Context } from "hono";
import type { AppEnv } from "../context";
import { ledgerFor } from "../ledger/client";
import type { AcceptedDelivery } from "../ledger/deliveries/liveness";
import type { RejectionCount } from "../ledger/rejections/counts";
import { logEvent } from "../log";

const REPORT_INTERVAL_MS = 60_000;

/** What an isolate gathers between two reports of one kind, and hands over when one is due. */
class Gathered<T> {
  private readonly pending = new Map<string, T>();
  private readonly reportedThisInterval = new Set<string>();
  private lastReportAt = 0;

  /** Adds one entry under `key` (`merge` folds it into the one pending); answers the entries to report now, or null. */
  add(key: string, now: number, merge: (pending: T | undefined) => T): T[] | null {
    this.pending.set(key, merge(this.pending.get(key)));
    if (now - this.lastReportAt >= REPORT_INTERVAL_MS) this.reportedThisInterval.clear();
    else if (this.reportedThisInterval.has(key)) return null;
    this.lastReportAt = now;
    this.reportedThisInterval.add(key);
    const entries = [...this.pending.values()];
    this.pending.clear();
    return entries;
  }
}

const refusals = new Gathered<RejectionCount>();
const acceptances = new Gathered<AcceptedDelivery>();

/** Counts one refusal and, when a report is due, hands the counts to the ledger in the background. */
export function reportRejection(c: Context<AppEnv>, source: string, reason: string, now: number): void {
  const report = refusals.add(`${source}\u0000${reason}`, now, (entry) =>
    entry ? { ...entry, count: entry.count + 1, last_at: now } : { source, reason, count: 1, first_at: now, last_at: now },
  );
  if (!report) return;
  c.executionCtx.waitUntil(
    ledgerFor(c.env)
      .countRejections(report)
      .catch((error: unknown) => logEvent("rejections.report_failed", { source, error: String(error) })),
  );
}

/** Notes a delivery accepted without a commit and, when a report is due, hands the latest of each source to the ledger. */
export function reportAcceptance(c: Context<AppEnv>, source: string, now: number): void {
  const report = acceptances.add(source, now, () => ({ source, at: now }));
  if (!report) return;
  c.executionCtx.waitUntil(
    ledgerFor(c.env)
      .noteAccepted(report)
      .catch((error: unknown) => logEvent("deliveries.report_failed", { source, error: String(error) })),
  );
}
