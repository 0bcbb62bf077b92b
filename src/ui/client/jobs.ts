// The Jobs card, from GET /v1/jobs and each open job's own view (its ETA and why it waits).
import type { JobSummary, JobView } from "../../domain/views";
import { ApiError, api } from "./api";
import { byId, fill, node } from "./dom";
import { clock, clockTimes, label, until } from "./format";

type Job = JobSummary | JobView;

function renderJob(job: Job): HTMLLIElement {
  const item = node("li");
  const id = `job-${job.id}`;
  const counts = job.by_status;
  const progress = node("progress");
  progress.id = id;
  progress.max = 100;
  progress.value = job.percent_done;
  const title = node("label", `${job.id}: ${job.percent_done} % done`);
  title.htmlFor = id;
  let summary = `${counts.revoked ?? 0} revoked, ${counts.failed ?? 0} failed of ${job.accepted} accepted${
    job.rejected > 0 ? ` (${job.rejected}${job.rejected === 1 ? " line" : " lines"} rejected)` : ""
  }; created ${clock(job.created_at)}; `;
  const view = "rate_per_second" in job ? job : null;
  if (job.completed_at) summary += `completed ${clock(job.completed_at)}`;
  else if (view) {
    // The API's estimate counts from the end of a wait (a hold, a 429 pause).
    const eta = view.estimated_completion ? `ETA ${until(view.estimated_completion)}` : "ETA unknown";
    summary += `${eta}; ${view.rate_per_second.toFixed(1)} calls/s over the last minute`;
  }
  item.append(title, progress, node("p", summary, "muted"));
  if (view?.waiting) {
    const waiting = view.waiting;
    const text = `Waiting (${label(waiting.reason)})${waiting.until ? ` until ${until(waiting.until)}` : ""}: ${clockTimes(waiting.message)}`;
    item.append(node("p", text, "alert"));
  }
  return item;
}

/** The last ten jobs; a failure to read them is shown in the card, not for the whole page. */
export async function readJobs(): Promise<Job[] | ApiError> {
  try {
    const list = (await api<{ jobs: JobSummary[] }>("/jobs?limit=10")).jobs;
    return await Promise.all(list.map((job) => (job.completed_at ? job : api<JobView>(`/jobs/${encodeURIComponent(job.id)}`))));
  } catch (error) {
    if (error instanceof ApiError && error.kind === "failed") return error;
    throw error;
  }
}

export function renderJobs(jobs: Job[] | ApiError): void {
  byId("jobs-note").textContent = jobs instanceof ApiError ? `Jobs could not be read: ${jobs.message}` : jobs.length === 0 ? "No bulk job yet." : "";
  fill("jobs", jobs instanceof ApiError ? [] : jobs.map(renderJob));
}
