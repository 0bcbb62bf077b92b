// `ledger.jobs()`: bulk jobs as an RPC target of the ledger; each chunk of a submission is one transaction.
import { RpcTarget } from "cloudflare:workers";
import type { JobCounts, UploadRow } from "../domain/bulk";
import type { LedgerCore } from "./core";
import { commitChunk, completeJob, type JobOpening, type JobProgress, openJob, readJob } from "./jobs";

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

  async status(jobId: string): Promise<JobProgress | null> {
    return readJob(this.core.sql, jobId, this.core.config().revokeRatePerSecond, this.core.now());
  }
}
