// Time to revoke: from a revocation's acceptance to its last target's success (revocations.ttr_ms, set
// when it settles as revoked or not_found), as percentiles per lane. Contract: synchronous SQLite reads.
import type { TimeToRevoke } from "../../domain/views";
import { LANES, type Lane } from "../calls/lanes";

/** Percentiles of ttr_ms over the rows `where` selects (nearest rank: the value at ⌈p·n⌉). */
export function percentiles(sql: SqlStorage, where: string, ...params: (string | number)[]): TimeToRevoke {
  const count = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM revocations WHERE ttr_ms IS NOT NULL AND ${where}`, ...params).one().n;
  if (count === 0) return { count, p50_ms: null, p95_ms: null, max_ms: null };
  const at = (share: number) =>
    sql
      .exec<{ ms: number }>(
        `SELECT ttr_ms AS ms FROM revocations WHERE ttr_ms IS NOT NULL AND ${where} ORDER BY ttr_ms LIMIT 1 OFFSET ?`,
        ...params,
        Math.max(0, Math.ceil(share * count) - 1),
      )
      .one().ms;
  return { count, p50_ms: at(0.5), p95_ms: at(0.95), max_ms: at(1) };
}

/** Per lane: the last hour, and everything the ledger holds ("since start"). */
export function timeToRevokeByLane(sql: SqlStorage, now: number): Record<Lane, { last_hour: TimeToRevoke; since_start: TimeToRevoke }> {
  const result = {} as Record<Lane, { last_hour: TimeToRevoke; since_start: TimeToRevoke }>;
  for (const lane of LANES) {
    result[lane] = {
      last_hour: percentiles(sql, "lane = ? AND completed_at >= ?", lane, now - 3_600_000),
      since_start: percentiles(sql, "lane = ?", lane),
    };
  }
  return result;
}

/** A bulk job's own figures. */
export function timeToRevokeOfJob(sql: SqlStorage, jobId: string): TimeToRevoke {
  return percentiles(sql, "job_id = ?", jobId);
}
