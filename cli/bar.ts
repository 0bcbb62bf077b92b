// One line of `job --watch`: what the job waits for (first, so a narrow terminal never cuts it off), a
// short job id, the bar, percent, done/total, rate and ETA, fitted to the terminal's width.
// Contract: pure; the job as last read, the time it was read, the time now and the width are passed in.
// Everything shown is the API's: done/total from by_status, rate_per_second, the ETA from
// estimated_completion (which counts from the end of a hold or a 429 pause), and the wait's reason and end.
import type { JobView } from "../src/domain/views.ts";
import { duration, rateText } from "./format.ts";
import { jobProgress } from "./views.ts";

const BAR_MAX = 30;
const BAR_MIN = 10;
/** job_ and 9 more characters: tells jobs apart on a screen; the summary and `job <id>` give the whole id. */
const ID_MAX = 14;

export type Frame = {
  job: JobView;
  now: number;
  /** The terminal's width; undefined when the output is not a terminal (a log gets the whole line). */
  columns: number | undefined;
  /** Since when the Worker has not answered (it is restarting, or the network is down); null when it answers. */
  unansweredSince: number | null;
};

export function barLine(frame: Frame): string {
  const { job } = frame;
  const { done, total } = jobProgress(job);
  const finished = job.percent_done >= 100;
  const waiting = finished ? null : waitingText(frame);
  const id = job.id.length > ID_MAX ? `${job.id.slice(0, ID_MAX - 1)}…` : job.id;
  const figures = [`${job.percent_done}%`, `${done}/${total}`];
  const rate = `${rateText(job.rate_per_second)}/s`;
  const end = finished ? "done" : `ETA ${etaText(etaMs(frame))}`;
  const line = (parts: { id: boolean; bar: number; rate: boolean }) => {
    const bar = parts.bar > 0 ? ` ${"█".repeat(Math.round((parts.bar * done) / Math.max(total, 1))).padEnd(parts.bar, "░")}` : "";
    const head = `${parts.id ? id : ""}${bar}`.trimStart();
    const tail = [`${head}${head ? " " : ""}${figures[0]}`, figures[1], ...(parts.rate ? [rate] : []), end].join(" | ");
    return waiting ? `${waiting} | ${tail}` : tail;
  };
  const width = frame.columns === undefined ? Number.POSITIVE_INFINITY : frame.columns - 1; // the last column would wrap
  // Narrower and narrower: the bar shrinks to BAR_MIN, then the id goes, then the bar (the percent says
  // as much), then the rate; the wait and the ETA stay to the last.
  const room = width - line({ id: true, rate: true, bar: 0 }).length - 1;
  if (room >= BAR_MIN) return line({ id: true, rate: true, bar: Math.min(BAR_MAX, room) });
  const withoutId = width - line({ id: false, rate: true, bar: 0 }).length - 1;
  if (withoutId >= BAR_MIN) return line({ id: false, rate: true, bar: Math.min(BAR_MAX, withoutId) });
  for (const rate of [true, false]) {
    const bare = line({ id: false, rate, bar: 0 });
    if (bare.length <= width) return bare;
  }
  const bare = line({ id: false, rate: false, bar: 0 });
  return `${bare.slice(0, Math.max(width - 1, 0))}…`;
}

/** "held 4m 10s" (the time left), "paused 8s", "urgent calls first", or the Worker not answering. */
function waitingText(frame: Frame): string | null {
  if (frame.unansweredSince !== null) return `waiting: no answer from the Worker for ${duration(frame.now - frame.unansweredSince)}`;
  const waiting = frame.job.waiting;
  if (!waiting) return null;
  const left = waiting.until ? Date.parse(waiting.until) - frame.now : null;
  const reason = waiting.reason === "urgent_first" ? "urgent calls first" : waiting.reason;
  return `waiting: ${reason}${left === null ? "" : ` ${left > 0 ? duration(Math.ceil(left / 1000) * 1000) : "ending"}`}`;
}

/** When the job should be done, from now (the API's estimate); null when the API has none. */
function etaMs(frame: Frame): number | null {
  return frame.job.estimated_completion ? Date.parse(frame.job.estimated_completion) - frame.now : null;
}

/** Whole seconds (the bar is redrawn once a second); an estimate already passed is "due". */
function etaText(ms: number | null): string {
  if (ms === null) return "–";
  if (ms <= 0) return "due";
  return duration(Math.ceil(ms / 1000) * 1000);
}
