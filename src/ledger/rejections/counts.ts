// Refused deliveries, counted per hour, source and reason in the ledger's SQLite; one audit entry is
// appended per closed hour (report.ts). Contract: synchronous SQLite only; `now` is passed in.
// Why counts and not one entry per refusal: anonymous forged requests must not be able to spend the KV
// write quota (the Free plan has 1,000 writes a day). Bound: at most one KV write per hour (24 a day)
// for rejections, whatever the traffic; every refusal is still in the request log with its reason.
import type { RejectionSummary } from "../../audit/audit-log";

export const REJECTION_PERIOD_MS = 60 * 60_000;

export type RejectionCount = { source: string; reason: string; count: number; first_at: number; last_at: number };

function periodOf(at: number): number {
  return Math.floor(at / REJECTION_PERIOD_MS) * REJECTION_PERIOD_MS;
}

export function addRejections(sql: SqlStorage, counts: RejectionCount[]): void {
  for (const entry of counts) {
    sql.exec(
      `INSERT INTO rejections (period_start, source, reason, count, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (period_start, source, reason) DO UPDATE SET count = count + excluded.count,
         first_at = MIN(first_at, excluded.first_at), last_at = MAX(last_at, excluded.last_at)`,
      periodOf(entry.first_at),
      entry.source.slice(0, 32),
      entry.reason.slice(0, 64),
      entry.count,
      entry.first_at,
      entry.last_at,
    );
  }
}

/** Counts from the start of the hour that holds `since` (hours are the unit they are kept in), for /v1/stats. */
export function recentRejections(sql: SqlStorage, since: number) {
  const from = periodOf(since);
  const byReason = sql
    .exec<{ source: string; reason: string; count: number; last_at: number }>(
      `SELECT source, reason, SUM(count) AS count, MAX(last_at) AS last_at FROM rejections
       WHERE period_start >= ? GROUP BY source, reason ORDER BY count DESC`,
      from,
    )
    .toArray();
  return { since: new Date(from).toISOString(), by_reason: byReason.map((row) => ({ ...row, last_at: new Date(row.last_at).toISOString() })) };
}

/** When each source last had a delivery refused (for /v1/stats' sources). */
export function lastRefusedBySource(sql: SqlStorage): Map<string, number> {
  const rows = sql.exec<{ source: string; at: number }>("SELECT source, MAX(last_at) AS at FROM rejections GROUP BY source").toArray();
  return new Map(rows.map((row) => [row.source, row.at]));
}

/** Summaries of every closed hour not yet written to KV, marked written (the caller writes them). */
export function takeClosedPeriods(sql: SqlStorage, now: number): RejectionSummary[] {
  const rows = sql
    .exec<RejectionCount & { period_start: number }>(
      "SELECT period_start, source, reason, count, first_at, last_at FROM rejections WHERE written = 0 AND period_start < ? ORDER BY period_start",
      periodOf(now),
    )
    .toArray();
  const byPeriod = new Map<number, RejectionSummary>();
  for (const row of rows) {
    const summary = byPeriod.get(row.period_start) ?? { period_start: row.period_start, total: 0, counts: [] };
    summary.total += row.count;
    summary.counts.push({ source: row.source, reason: row.reason, count: row.count, first_at: row.first_at, last_at: row.last_at });
    byPeriod.set(row.period_start, summary);
  }
  sql.exec("UPDATE rejections SET written = 1 WHERE written = 0 AND period_start < ?", periodOf(now));
  return [...byPeriod.values()];
}
