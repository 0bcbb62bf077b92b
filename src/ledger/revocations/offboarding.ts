// The offboarding evidence report's figures (issue #23), read from the ledger alone: a period's summary and
// its rows a page at a time, both bounded to the revocations received in [from, to) up to the summary's
// through_seq, so pages read later agree with the summary however many revocations arrive meanwhile. A
// period of years costs one page of rows per call (indexed by received_at, v18) and a handful of COUNTs.
// Contract: synchronous SQLite reads; `now` is passed in.
import type { OffboardingRow, OffboardingSummary } from "../../domain/offboarding-report";
import type { RevocationRecord } from "../../domain/revocation";
import { auditChainView } from "../audit/view";
import { withCalls } from "./records";
import type { RevocationRow } from "./schema";
import { percentiles } from "./time-to-revoke";

export type ReportPeriod = { from: number; to: number; throughSeq: number };
/** Where the next page starts: after this (received_at, seq). */
export type RowCursor = { receivedAt: number; seq: number };

const IN_PERIOD = "r.received_at >= ? AND r.received_at < ? AND r.seq <= ?";
const periodParams = (period: ReportPeriod) => [period.from, period.to, period.throughSeq];
const SUCCEEDED = "r.status IN ('revoked', 'not_found', 'still_active')";
/** Revocations with a revoke_user call that succeeded after at least one attempt that did not. */
const RETRIED_CALLS = "JOIN calls c ON c.revocation_seq = r.seq AND c.kind = 'revoke' AND c.state IN ('revoked', 'not_found') AND c.attempts > 1";
/** Seat removals done (REMOVE_SEATS). */
const SEATS_REMOVED = "JOIN calls c ON c.revocation_seq = r.seq AND c.kind = 'seat_update' AND c.state = 'done'";
const LISTED_FAILURES = 100;

/** The ledger's newest revocation seq: what a report generated now covers. */
export function currentSeq(sql: SqlStorage): number {
  return sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM revocations").one().seq ?? 0;
}

export function offboardingSummary(sql: SqlStorage, period: ReportPeriod, thresholdMs: number, now: number): OffboardingSummary {
  const params = periodParams(period);
  const count = (where: string, ...extra: number[]) =>
    sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM revocations r WHERE ${IN_PERIOD} AND ${where}`, ...params, ...extra).one().n;
  const joined = (join: string, where = "1") =>
    sql.exec<{ n: number }>(`SELECT COUNT(DISTINCT r.seq) AS n FROM revocations r ${join} WHERE ${IN_PERIOD} AND ${where}`, ...params).one().n;
  const byStatus: Record<string, number> = {};
  for (const row of sql.exec<{ status: string; n: number }>(
    `SELECT r.status, COUNT(*) AS n FROM revocations r WHERE ${IN_PERIOD} GROUP BY r.status ORDER BY r.status`,
    ...params,
  )) {
    byStatus[row.status] = row.n;
  }
  return {
    from: new Date(period.from).toISOString(),
    to: new Date(period.to).toISOString(),
    generated_at: new Date(now).toISOString(),
    through_seq: period.throughSeq,
    count: count("1"),
    people: sql
      .exec<{ n: number }>(`SELECT COUNT(DISTINCT COALESCE(r.email, r.subject_id)) AS n FROM revocations r WHERE ${IN_PERIOD}`, ...params)
      .one().n,
    by_status: byStatus,
    time_to_revoke: percentiles(sql, IN_PERIOD.replace(/\br\./g, ""), ...params),
    threshold_ms: thresholdMs,
    within_threshold: count(`${SUCCEEDED} AND r.ttr_ms IS NOT NULL AND r.ttr_ms <= ?`, thresholdMs),
    failures: {
      unresolved: count("r.status = 'failed'"),
      resolved_after_retry: joined(RETRIED_CALLS, SUCCEEDED),
      unresolved_ids: sql
        .exec<{ id: string }>(
          `SELECT r.id FROM revocations r WHERE ${IN_PERIOD} AND r.status = 'failed' ORDER BY r.received_at, r.seq LIMIT ?`,
          ...params,
          LISTED_FAILURES,
        )
        .toArray()
        .map((row) => row.id),
    },
    seats_removed: joined(SEATS_REMOVED),
    returns: {
      found: count("r.returned_at IS NOT NULL"),
      acknowledged: count("r.return_acknowledged_at IS NOT NULL"),
      revoked_again: count("r.return_revocation_id IS NOT NULL"),
    },
    audit_chain: auditChainView(sql),
  };
}

/** Up to `limit` rows of the period after `after`, oldest received first; `next` when there are more. */
export function offboardingRows(
  sql: SqlStorage,
  period: ReportPeriod,
  after: RowCursor | null,
  limit: number,
): { rows: OffboardingRow[]; next: RowCursor | null } {
  const start = after ?? { receivedAt: period.from, seq: 0 };
  const found = sql
    .exec<RevocationRow>(
      `SELECT r.* FROM revocations r WHERE ${IN_PERIOD} AND (r.received_at > ? OR (r.received_at = ? AND r.seq > ?))
       ORDER BY r.received_at, r.seq LIMIT ?`,
      ...periodParams(period),
      start.receivedAt,
      start.receivedAt,
      start.seq,
      limit + 1,
    )
    .toArray();
  const page = found.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page.map((row) => reportRow(withCalls(sql, row))),
    next: found.length > limit && last ? { receivedAt: last.received_at, seq: last.seq } : null,
  };
}

function reportRow(record: RevocationRecord): OffboardingRow {
  return {
    id: record.id,
    email: record.email,
    subject_id: record.subject_id,
    source: record.source,
    event_type: record.event_type,
    event_at: record.event_at,
    received_at: record.received_at,
    completed_at: record.completed_at,
    time_to_revoke_ms: record.time_to_revoke_ms,
    status: record.status,
    last_error: record.last_error,
    job_id: record.job_id,
    targets: record.results.map((result) => ({
      target: result.target,
      state: result.state,
      completed_at: result.completed_at,
      http_status: result.http_status,
      errors: result.errors,
      attempts: result.attempts,
      seat: result.seat?.state ?? null,
      verification: result.verification?.state ?? null,
    })),
    seats_removed: record.results.filter((result) => result.seat?.state === "removed").length,
    returned_at: record.returned_at,
    return_acknowledged_at: record.return?.acknowledged_at ?? null,
    revoked_again: record.return?.revoked_again ?? null,
    revokes_return_of: record.revokes_return_of,
  };
}
