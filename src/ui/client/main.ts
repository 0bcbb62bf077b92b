// The status page's script (bundled by scripts/build-ui.mjs into ui/client-script.ts and inlined into the
// page, whose Content-Security-Policy allows it by hash). It runs in the operator's browser, not in the
// Worker: it asks for the operator token, then reads /v1 every few seconds and fills the page. What it
// changes (a retry, clearing a hold) goes through the same /v1 routes as the CLI, after a confirmation.
import type { Stats } from "../../domain/views";
import { ApiError, api, REFRESH_MS, token } from "./api";
import { initConfirm } from "./confirm";
import { byId, say } from "./dom";
import { renderDrain } from "./drain";
import { now } from "./format";
import { readJobs, renderJobs } from "./jobs";
import { initRecord, openRecord, refreshRecord } from "./record";
import { initReport } from "./report";
import { initRevocations, type RecordPage, renderRevocations, revocationsPath } from "./revocations";
import { renderSources } from "./sources";

let timer: ReturnType<typeof setTimeout> | undefined;

function setStatus(text: string, problem: boolean): void {
  byId("status").textContent = text;
  byId("status").className = problem ? "problem" : "";
}

const hooks = {
  reload: () => void refresh(),
  signedOut: (message: string) => askForToken(message),
};

async function refresh(): Promise<void> {
  clearTimeout(timer);
  try {
    const [stats, page, jobs] = await Promise.all([api<Stats>("/stats"), api<RecordPage>(revocationsPath()), readJobs(), refreshRecord()]);
    renderDrain(stats, hooks);
    renderSources(stats);
    renderRevocations(page);
    renderJobs(jobs);
    byId("dashboard").hidden = false;
    setStatus(`Updated ${now()}; refreshing every ${REFRESH_MS / 1000} s.`, false);
  } catch (error) {
    if (error instanceof ApiError && error.kind === "unauthorized") return askForToken(error.message);
    setStatus(error instanceof ApiError ? error.message : `The page could not show the answer: ${error}`, true);
  }
  timer = setTimeout(refresh, REFRESH_MS);
}

function askForToken(problem: string | null): void {
  clearTimeout(timer);
  token.forget();
  for (const dialog of document.querySelectorAll("dialog")) dialog.close();
  say("notice", "");
  byId("dashboard").hidden = true;
  byId("forget").hidden = true;
  byId("token-form").hidden = false;
  byId("token-problem").textContent = problem ?? "";
  setStatus(problem ? "Not signed in: the token was refused." : "Paste the operator token to see the status.", Boolean(problem));
  byId("token").focus();
}

initConfirm();
initRecord(hooks);
initRevocations({ reload: hooks.reload, open: (id) => void openRecord(id) });
initReport(hooks.signedOut);

byId("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>("token");
  const value = input.value.trim();
  input.value = "";
  if (value === "") return;
  token.set(value);
  byId("token-form").hidden = true;
  byId("forget").hidden = false;
  setStatus("Loading…", false);
  void refresh();
});
byId("forget").addEventListener("click", () => askForToken(null));

if (token.get()) {
  byId("forget").hidden = false;
  void refresh();
} else {
  askForToken(null);
}
