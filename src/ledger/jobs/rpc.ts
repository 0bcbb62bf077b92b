// `ledger.jobs()`: bulk jobs as an RPC target of the ledger; each chunk of a submission is one transaction.
import { RpcTarget } from "cloudflare:workers";
import type { JobCounts, JobCursor, UploadRow } from "../../domain/bulk";
import type { JobSummary, JobView } from "../../domain/views";
import { logEvent } from "../../log";
import type { LedgerCore } from "../core";
import { listJobs, readJob, retryJob } from "./progress";
import { commitChunk, completeJob, type JobOpening, openJob } from "./submission";

export class JobsRpc extends RpcTarget {
  constructor(private readonly core: LedgerCore) {
    super();
  }

  /** Opens (or reopens) the job an Idempotency-Key names, for a body with this digest. */
  async open(jobId: string, digest: string): Promise<JobOpening> {
    return this.core.transact(({ sql, now }) => openJob(sql, jobId, digest, now));
  }

  /** Commits chunk `index` of a submission; null when an earlier submission of the same body did. */
  async commitChunk(jobId: string, index: number, rows: UploadRow[]): Promise<JobCounts | null> {
    const counts = this.core.transact((context) => commitChunk(context, jobId, index, rows));
    if (counts && counts.accepted > 0) await this.core.arm();
    return counts;
  }

  /** Marks a job's submission complete; answers its counts over every chunk. */
  async complete(jobId: string): Promise<JobCounts> {
    return this.core.transact(({ sql }) => completeJob(sql, jobId));
  }

  async status(jobId: string): Promise<JobView | null> {
    return readJob(this.core.sql, jobId, this.core.pacePerSecond(), this.core.now());
  }

  /** Jobs newest first, after `cursor` (the route read it back). */
  async list(limit: number, cursor?: JobCursor): Promise<{ jobs: JobSummary[]; cursor: string | null }> {
    return listJobs(this.core.sql, limit, cursor);
  }

  /** Re-queues the job's failed revocations with a fresh retry budget and lifts token holds; null for an unknown job. */
  async retry(jobId: string): Promise<number | null> {
    const requeued = this.core.transact(({ sql, now }) => {
      const count = retryJob(sql, jobId, now);
      if (count) this.core.liftHolds();
      return count;
    });
    if (requeued) {
      await this.core.arm();
      logEvent("job.retried", { job_id: jobId, requeued });
    }
    return requeued;
  }
}
