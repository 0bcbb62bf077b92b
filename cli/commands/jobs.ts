// bulk, jobs, job: offboarding many people at the API's pace, and following the jobs.
import type { Command } from "commander";
import type { JobAnswer } from "../../src/domain/bulk.ts";
import type { JobList, JobView } from "../../src/domain/views.ts";
import type { Answer } from "../api.ts";
import { watchJob } from "../progress.ts";
import { SELF } from "../self.ts";
import { type Session, sessionOf } from "../session.ts";
import { readUploadFile } from "../upload.ts";
import { bulkAnswerView, jobSummary, jobsTable, jobView } from "../views.ts";
import { positiveInteger } from "./revocations.ts";

export function registerJobCommands(program: Command): void {
  program
    .command("bulk")
    .summary("revoke everyone in a CSV or NDJSON file as one paced job")
    .description(
      'Uploads the file unchanged as one bulk job: CSV (email[,user_uid[,reason]], header optional) or NDJSON ({"email", "user_uid"?, "reason"?} a line), by extension (.csv, .ndjson, .jsonl) or content.',
    )
    .argument("<file>", "the CSV or NDJSON file")
    .option("--idempotency-key <key>", "the same key and file again adds nothing (and completes an interrupted upload); default: the file's SHA-256")
    .option("--no-idempotency-key", "send no key: a new job even for a file sent before")
    .option("--watch", "then follow the job with a live progress bar until it is done")
    .action(async function submitBulk(file: string, options: { idempotencyKey?: string | false; watch?: boolean }, command: Command) {
      const session = sessionOf(command);
      const upload = readUploadFile(file);
      const key = options.idempotencyKey === undefined ? fileKey(upload.sha256) : options.idempotencyKey || undefined;
      const answer = await session.api.request<JobAnswer>("POST", "/v1/revocations/bulk", {
        body: upload.bytes,
        contentType: upload.contentType,
        headers: { "Idempotency-Key": key },
      });
      session.show(answer, (body) => bulkAnswerView(body, options.idempotencyKey === undefined ? `${SELF} bulk ${file} --no-idempotency-key` : null));
      if (options.watch) await watch(session, answer.body.job_id);
      else session.say(`follow it with:\n  ${SELF} job ${answer.body.job_id} --watch`);
    });

  program
    .command("jobs")
    .summary("bulk jobs, newest first")
    .option("--limit <n>", "jobs per page", positiveInteger)
    .option("--cursor <cursor>", "continue from a previous page")
    .action(async function listJobs(options: { limit?: number; cursor?: string }, command: Command) {
      const session = sessionOf(command);
      const answer = await session.api.request<JobList>("GET", "/v1/jobs", { query: { limit: options.limit, cursor: options.cursor } });
      session.show(answer, (page) => `${jobsTable(page.jobs)}${page.cursor ? `\nmore: --cursor ${page.cursor}` : ""}`);
    });

  program
    .command("job")
    .summary("one bulk job: progress, rate, ETA, why it waits (--watch: live)")
    .argument("<job_id>", "the job (job_…)")
    .option("--watch", "refresh a progress bar every second until the job is done, then print a summary")
    .action(async function showJob(id: string, options: { watch?: boolean }, command: Command) {
      const session = sessionOf(command);
      if (options.watch) return watch(session, id);
      const answer = await session.api.request<JobView>("GET", `/v1/jobs/${encodeURIComponent(id)}`);
      session.show(answer, (job) => jobView(job, session.now()));
    });
}

/**
 * A bulk upload's default Idempotency-Key: its bytes' SHA-256 (128 bits of it, within the API's 64
 * characters), so sending the same file again (a retried command, a second terminal) revokes nobody twice.
 */
const fileKey = (sha256: string) => `sha256-${sha256.slice(0, 32)}`;

/** The bar on stderr; then the summary (or, with --json, the job's last view as the API sent it). */
async function watch(session: Session, id: string): Promise<void> {
  let last: Answer<JobView> | undefined;
  await watchJob(async () => {
    last = await session.api.request<JobView>("GET", `/v1/jobs/${encodeURIComponent(id)}`);
    return last.body;
  });
  session.show(last!, jobSummary);
}
