// `job <id> --watch`: a live progress bar read from GET /v1/jobs/{id} once a second until the job is 100 %
// done; bar.ts draws the line. A Worker that stops answering for a while (a restart, a deploy, the network)
// does not end the watch, as it does not end the status page's: the bar says since when there has been no
// answer and keeps asking, for up to OUTAGE_GRACE_MS; an error the API answers (a refused token, an
// unknown job) still ends it at once.
// cli-progress draws and redraws the line in place on a terminal (and, with noTTYOutput, as one line a
// second when piped, so logs and tests see it too); it is the most used progress bar for Node and has no
// dependency beyond string-width. The bar goes to stderr so stdout stays the summary (or --json).
import cliProgress from "cli-progress";
import type { JobView } from "../src/domain/views.ts";
import { barLine } from "./bar.ts";
import { CliFailure, EXIT } from "./errors.ts";
import { duration } from "./format.ts";
import { SELF } from "./self.ts";
import { jobProgress } from "./views.ts";

const REFRESH_MS = 1000;
/** How long a watch waits for a Worker that stopped answering before it gives up (the job goes on). */
const OUTAGE_GRACE_MS = 120_000;

type WatchOptions = { stream?: NodeJS.WriteStream; now?: () => number };

/** Watches a job until percent_done is 100 and answers its last view; `readJob` is GET /v1/jobs/{id}. */
export async function watchJob(readJob: () => Promise<JobView>, options: WatchOptions = {}): Promise<JobView> {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  let job = await readJob();
  let unansweredSince: number | null = null;
  const bar = new cliProgress.SingleBar({
    stream,
    format: () => barLine({ job, now: now(), columns: stream.isTTY ? stream.columns : undefined, unansweredSince }),
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: REFRESH_MS,
    fps: 4,
  });
  const stop = () => {
    bar.stop();
    stream.write(`stopped watching; the job goes on: ${SELF} job ${job.id}\n`);
    process.exit(130);
  };
  process.once("SIGINT", stop);
  try {
    const first = jobProgress(job);
    bar.start(Math.max(first.total, 1), first.done);
    while (job.percent_done < 100) {
      await new Promise((resolve) => setTimeout(resolve, REFRESH_MS));
      try {
        job = await readJob();
        unansweredSince = null;
      } catch (error) {
        if (!isOutage(error)) throw error;
        unansweredSince ??= now();
        if (now() - unansweredSince > OUTAGE_GRACE_MS) {
          throw new CliFailure(
            error.exitCode,
            `${error.message}\nno answer for ${duration(now() - unansweredSince)}: stopped watching; the job goes on: ${SELF} job ${job.id}`,
          );
        }
      }
      const { done, total } = jobProgress(job);
      bar.setTotal(Math.max(total, 1));
      bar.update(done);
    }
    bar.update(jobProgress(job).done);
  } finally {
    bar.stop();
    process.removeListener("SIGINT", stop);
  }
  return job;
}

/** Not an answer about the job: the Worker is not there, or something in front of it answered 5xx (502 while it restarts, the ledger's 503). */
function isOutage(error: unknown): error is CliFailure {
  if (!(error instanceof CliFailure)) return false;
  return error.exitCode === EXIT.unreachable || (error.httpStatus !== undefined && error.httpStatus >= 500);
}
