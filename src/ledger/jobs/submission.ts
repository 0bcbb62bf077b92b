// A bulk submission in the ledger's SQLite (table jobs): the job an Idempotency-Key names, its chunks, its
// counts. Contract: synchronous SQLite run inside the ledger's transactions, one per chunk. A job remembers
// its body's digest and how many chunks are committed, so resubmitting the same body completes a job that
// stopped part-way and never counts a record twice, and a different body under the same key is refused.
import { emptyCounts, type JobCounts, type UploadRow, validateBulkRow } from "../../domain/bulk";
import { commitRequest } from "../revocations/commit";
import type { CommitContext } from "../store/context";
import type { JobRow } from "./schema";

const MAX_REPORTED_REJECTIONS = 100;

/** Where a submission stands against the job its Idempotency-Key names. */
export type JobOpening =
  | { state: "open"; chunks_committed: number }
  | { state: "complete"; counts: JobCounts }
  | { state: "conflict"; created_at: string };

/**
 * Opens a job for a body with this digest: a new job, one whose earlier submission of the same body
 * stopped part-way (its committed chunks are skipped), one already complete (nothing is counted again),
 * or a conflict (the key was used for a different body).
 */
export function openJob(sql: SqlStorage, jobId: string, digest: string, now: number): JobOpening {
  sql.exec("INSERT OR IGNORE INTO jobs (id, created_at, body_digest) VALUES (?, ?, ?)", jobId, now, digest);
  const job = sql.exec<JobRow>("SELECT * FROM jobs WHERE id = ?", jobId).one();
  if (job.body_digest !== digest) return { state: "conflict", created_at: new Date(job.created_at).toISOString() };
  if (job.complete === 1) return { state: "complete", counts: countsOf(job) };
  return { state: "open", chunks_committed: job.chunks_committed };
}

/** Whether chunk `index` is the next one to commit (an earlier submission may have committed it). */
function isNextChunk(sql: SqlStorage, jobId: string, index: number): boolean {
  return sql.exec<{ chunks_committed: number }>("SELECT chunks_committed FROM jobs WHERE id = ?", jobId).one().chunks_committed === index;
}

/**
 * Validates and commits chunk `index` of a submission; a chunk an earlier submission of the same body
 * already committed is skipped (answers null).
 */
export function commitChunk(context: CommitContext, jobId: string, index: number, rows: UploadRow[]): JobCounts | null {
  if (!isNextChunk(context.sql, jobId, index)) return null;
  const chunk = emptyCounts();
  for (const row of rows) {
    chunk.lines++;
    const parsed = validateBulkRow(row);
    if (!parsed.ok) {
      chunk.rejected++;
      chunk.rejections.push({ line: row.line, reason: parsed.reason });
      continue;
    }
    const receipt = commitRequest(context, {
      source: "bulk",
      assurance: "operator",
      event_id: `${jobId}:${parsed.value.email}`,
      event_type: "bulk.revoke",
      email: parsed.value.email,
      user_uid: parsed.value.user_uid ?? null,
      reason: parsed.value.reason ?? null,
      job_id: jobId,
    });
    if (receipt.duplicate) chunk.duplicates++;
    else chunk.accepted++;
  }
  addChunkToJob(context.sql, jobId, chunk);
  return chunk;
}

function addChunkToJob(sql: SqlStorage, jobId: string, counts: JobCounts): void {
  const row = sql.exec<{ rejections: string }>("SELECT rejections FROM jobs WHERE id = ?", jobId).one();
  const rejections = [...(JSON.parse(row.rejections) as JobCounts["rejections"]), ...counts.rejections].slice(0, MAX_REPORTED_REJECTIONS);
  sql.exec(
    `UPDATE jobs SET lines = lines + ?, accepted = accepted + ?, duplicates = duplicates + ?, rejected = rejected + ?,
       rejections = ?, chunks_committed = chunks_committed + 1 WHERE id = ?`,
    counts.lines,
    counts.accepted,
    counts.duplicates,
    counts.rejected,
    JSON.stringify(rejections),
    jobId,
  );
}

export function completeJob(sql: SqlStorage, jobId: string): JobCounts {
  sql.exec("UPDATE jobs SET complete = 1 WHERE id = ?", jobId);
  return countsOf(sql.exec<JobRow>("SELECT * FROM jobs WHERE id = ?", jobId).one());
}

export function countsOf(job: JobRow): JobCounts {
  return {
    lines: job.lines,
    accepted: job.accepted,
    duplicates: job.duplicates,
    rejected: job.rejected,
    rejections: JSON.parse(job.rejections) as JobCounts["rejections"],
  };
}
