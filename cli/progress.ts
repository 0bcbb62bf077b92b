// `job <id> --watch`: a live progress bar read from GET /v1/jobs/{id} once a second until the job is 100 %
// done. Everything on the bar is the server's: done/total from by_status, its rate_per_second, the ETA from
// estimated_completion, and why it waits when it does (a 429 pause, a token hold, urgent calls first).
// cli-progress draws and redraws the bar in place on a terminal (and, with noTTYOutput, as one line a
// second when piped, so logs and tests see it too); it is the most used progress bar for Node and has no
// dependency beyond string-width. The bar goes to stderr so stdout stays the summary (or --json).
import cliProgress from "cli-progress";
import type { JobView } from "../src/domain/views.ts";
import { duration, rateText, until } from "./format.ts";
import { SELF } from "./self.ts";
import { jobProgress } from "./views.ts";

const REFRESH_MS = 1000;

/** Watches a job until percent_done is 100 and answers its last view; `readJob` is GET /v1/jobs/{id}. */
export async function watchJob(readJob: () => Promise<JobView>, options: { stream?: NodeJS.WriteStream; now?: () => number } = {}): Promise<JobView> {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  let job = await readJob();
  const bar = new cliProgress.SingleBar({
    stream,
    format: (barOptions, params) => frame(job, cliProgress.Format.BarFormat(params.progress, barOptions), now()),
    barCompleteChar: "█",
    barIncompleteChar: "░",
    barsize: 30,
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
      job = await readJob();
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

/** Whole seconds (the bar is redrawn once a second); an estimate already passed is "due". */
function etaText(ms: number | null): string {
  if (ms === null) return "–";
  if (ms <= 0) return "due";
  return duration(Math.ceil(ms / 1000) * 1000);
}

/** One line of the bar: "job_… ████░░ 45% | 27/60 | 19.8/s | ETA 2 s | waiting: held until … (in 4m 10s)". */
function frame(job: JobView, bar: string, now: number): string {
  const { done, total } = jobProgress(job);
  const parts = [`${job.id} ${bar} ${job.percent_done}%`, `${done}/${total}`];
  parts.push(`${rateText(job.rate_per_second)}/s`);
  const eta = job.estimated_completion ? new Date(job.estimated_completion).getTime() - now : null;
  parts.push(job.percent_done >= 100 ? "done" : `ETA ${etaText(eta)}`);
  // The reason and until when; `job <id>` prints the API's whole message (which target, what it answered).
  if (job.waiting) parts.push(`waiting: ${job.waiting.reason}${job.waiting.until ? ` until ${until(job.waiting.until, now)}` : ""}`);
  return parts.join(" | ");
}
