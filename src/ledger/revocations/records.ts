// Reading revocations back: one record by id or seq, pages of records, counts by status, a bulk job's figures.
// Contract: synchronous SQLite reads; a record carries its calls (record.ts).
import type { RevocationRecord, RevocationStatus } from "../../domain/revocation";
import { callsOfRevocation } from "../calls/attempts";
import { toRecord } from "./record";
import type { RevocationRow } from "./schema";

export type ListFilter = { email?: string; status?: RevocationStatus; job_id?: string; limit: number; cursor?: number };

/** Newest first; `cursor` is the seq of the last record of the previous page. */
export function listRecords(sql: SqlStorage, filter: ListFilter): { records: RevocationRecord[]; cursor: number | null } {
  const conditions: [string, string | number][] = [];
  if (filter.email) conditions.push(["email = ?", filter.email.toLowerCase()]);
  if (filter.status) conditions.push(["status = ?", filter.status]);
  if (filter.job_id) conditions.push(["job_id = ?", filter.job_id]);
  if (filter.cursor !== undefined) conditions.push(["seq < ?", filter.cursor]);
  const clause = conditions.length > 0 ? `WHERE ${conditions.map(([condition]) => condition).join(" AND ")}` : "";
  const rows = sql
    .exec<RevocationRow>(`SELECT * FROM revocations ${clause} ORDER BY seq DESC LIMIT ?`, ...conditions.map(([, value]) => value), filter.limit + 1)
    .toArray();
  const page = rows.slice(0, filter.limit);
  const cursor = rows.length > filter.limit ? page[page.length - 1]!.seq : null;
  return { records: page.map((row) => withCalls(sql, row)), cursor };
}

/** Revocations by status: all of them, or one bulk job's. */
export function countByStatus(sql: SqlStorage, jobId?: string): Record<string, number> {
  const byStatus: Record<string, number> = {};
  const rows =
    jobId === undefined
      ? sql.exec<{ status: string; n: number }>("SELECT status, COUNT(*) AS n FROM revocations GROUP BY status")
      : sql.exec<{ status: string; n: number }>("SELECT status, COUNT(*) AS n FROM revocations WHERE job_id = ? GROUP BY status", jobId);
  for (const row of rows) byStatus[row.status] = row.n;
  return byStatus;
}

/** Whether a job has a revocation not finished yet (queued or unresolved): one probe of its (job_id, status) index. */
export function jobHasOpen(sql: SqlStorage, jobId: string): boolean {
  return sql.exec("SELECT 1 FROM revocations WHERE job_id = ? AND status IN ('queued', 'unresolved') LIMIT 1", jobId).toArray().length > 0;
}

/** When a job's last revocation was completed (null: none yet). */
export function lastCompletedOfJob(sql: SqlStorage, jobId: string): number | null {
  return sql.exec<{ at: number | null }>("SELECT MAX(completed_at) AS at FROM revocations WHERE job_id = ?", jobId).one().at;
}

/** How many of a job's revocations were completed since `since`. */
export function completedOfJobSince(sql: SqlStorage, jobId: string, since: number): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM revocations WHERE job_id = ? AND completed_at >= ?", jobId, since).one().n;
}

/** A job's failed revocations. */
export function failedOfJob(sql: SqlStorage, jobId: string): RevocationRow[] {
  return sql.exec<RevocationRow>("SELECT * FROM revocations WHERE job_id = ? AND status = 'failed'", jobId).toArray();
}

/** Up to `limit` emails of a job's failed revocations, the earliest first (an alert's examples). */
export function failedEmailsOfJob(sql: SqlStorage, jobId: string, limit: number): string[] {
  return sql
    .exec<{ email: string | null }>("SELECT email FROM revocations WHERE job_id = ? AND status = 'failed' ORDER BY seq LIMIT ?", jobId, limit)
    .toArray()
    .flatMap((row) => (row.email ? [row.email] : []));
}

export function rowBySeq(sql: SqlStorage, seq: number): RevocationRow | undefined {
  return sql.exec<RevocationRow>("SELECT * FROM revocations WHERE seq = ?", seq).toArray()[0];
}

export function rowById(sql: SqlStorage, id: string): RevocationRow | undefined {
  return sql.exec<RevocationRow>("SELECT * FROM revocations WHERE id = ?", id).toArray()[0];
}

export function recordById(sql: SqlStorage, id: string): RevocationRecord | null {
  const row = rowById(sql, id);
  return row ? withCalls(sql, row) : null;
}

export function recordBySeq(sql: SqlStorage, seq: number): RevocationRecord | null {
  const row = rowBySeq(sql, seq);
  return row ? withCalls(sql, row) : null;
}

export function withCalls(sql: SqlStorage, row: RevocationRow): RevocationRecord {
  return toRecord(row, callsOfRevocation(sql, row.seq));
}
