// The status page's script, inlined into the page (its hash is in the Content-Security-Policy). It runs
// in the operator's browser, not in the Worker: plain ES2020 in a string, so the Worker's bundler leaves
// it alone (no backticks inside).
// Trust boundary: everything the API answers (emails, reasons, errors) is shown with textContent only;
// the policy's require-trusted-types-for 'script' makes any HTML sink throw.
// The token lives in sessionStorage (this tab only) and travels only in the Authorization header.
// biome-ignore lint/complexity/noUselessStringRaw: raw, so that a backslash added later (a regex's \d) reaches the browser as written.
export const STATUS_PAGE_SCRIPT = String.raw`
"use strict";
(function statusPage() {
  var TOKEN_KEY = "access-revoker.operator-token";
  var REFRESH_MS = 3000;
  var LANES = [["urgent", "urgent"], ["bulk", "bulk"], ["follow_up", "follow-up"]];
  var TONE = {
    revoked: "good", not_found: "quiet", dry_run: "quiet", queued: "busy", unresolved: "busy",
    failed: "bad", refused: "bad", invalid_email: "bad", still_active: "bad",
  };
  var byId = function (id) { return document.getElementById(id); };
  var timer = null;

  function node(tag, text, className) {
    var element = document.createElement(tag);
    if (text !== undefined && text !== null) element.textContent = String(text);
    if (className) element.className = className;
    return element;
  }
  function cell(content, className) {
    var td = node("td", content instanceof Node ? null : content, className);
    if (content instanceof Node) td.append(content);
    return td;
  }
  function fill(id, rows) { byId(id).replaceChildren.apply(byId(id), rows); }

  /** Times are ISO 8601, null for never. */
  function dateOf(value) { return value ? new Date(value) : null; }
  function clock(value) { var date = dateOf(value); return date ? date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" }) : "—"; }
  function inFuture(value) { var date = dateOf(value); return date !== null && date.getTime() > Date.now(); }
  function duration(ms) {
    if (ms === null || ms === undefined) return "—";
    if (ms < 1000) return Math.round(ms) + " ms";
    if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
    var seconds = Math.round(ms / 1000);
    return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
  }
  function label(status) { return String(status).replace(/_/g, " "); }

  function setStatus(text, problem) {
    byId("status").textContent = text;
    byId("status").className = problem ? "problem" : "";
  }

  function ApiError(kind, message) { this.kind = kind; this.message = message; }

  async function api(path) {
    var response;
    try {
      response = await fetch("/v1" + path, { headers: { Authorization: "Bearer " + sessionStorage.getItem(TOKEN_KEY) }, cache: "no-store" });
    } catch (error) {
      throw new ApiError("unreachable", "The API could not be reached (" + error.message + "). Is the Worker running? " +
        "Retrying every " + REFRESH_MS / 1000 + " s.");
    }
    if (response.status === 401) throw new ApiError("unauthorized", "That token was not accepted. Paste the operator token again.");
    var body = null;
    try { body = await response.json(); } catch (error) { body = null; }
    if (!response.ok || body === null) {
      var reason = body && body.error ? body.error.message : "HTTP " + response.status + (body === null ? " without a JSON answer" : "");
      throw new ApiError("failed", "The API answered " + response.status + " to GET /v1" + path + ": " + reason);
    }
    return body;
  }

  function renderDrain(stats) {
    var pace = stats.rate_per_second + " calls/s configured (" + Math.round(stats.rate_per_second * 60) + " a minute); " +
      stats.observed_calls_last_minute + " calls in the last minute";
    byId("pace").textContent = pace + (stats.drain.last_call_at ? "; last call " + clock(stats.drain.last_call_at) : "");
    var pauses = [];
    if (inFuture(stats.drain.paused_until)) pauses.push("Paused by a 429 until " + clock(stats.drain.paused_until));
    if (inFuture(stats.drain.seats_off_until)) pauses.push("seat removal off until " + clock(stats.drain.seats_off_until));
    if (inFuture(stats.drain.verification_off_until)) pauses.push("verification off until " + clock(stats.drain.verification_off_until));
    byId("pause").textContent = pauses.length > 0 ? pauses.join("; ") : "Not paused";
    byId("pause").className = pauses.length > 0 ? "alert" : "";

    fill("lanes", LANES.map(function (lane) {
      var tr = node("tr");
      var times = (stats.time_to_revoke[lane[0]] || {}).last_hour || {};
      tr.append(node("th", lane[1]), cell(stats.waiting_by_lane[lane[0]] || 0, "number"), cell(duration(times.p50_ms), "number"),
        cell(duration(times.p95_ms), "number"), cell(times.count || 0, "number"));
      tr.firstChild.scope = "row";
      return tr;
    }));

    var holds = stats.holds.filter(function (hold) { return inFuture(hold.until); });
    byId("no-holds").hidden = holds.length > 0;
    byId("holds-table").hidden = holds.length === 0;
    fill("holds", holds.map(function (hold) {
      var tr = node("tr");
      tr.append(cell(hold.target), cell(hold.reason, "detail"), cell(clock(hold.until)));
      return tr;
    }));

    var seats = stats.follow_ups.seats, verification = stats.follow_ups.verification;
    var stillActive = verification.still_active || 0;
    var line = byId("follow-ups");
    line.replaceChildren(
      "seats removed " + (seats.removed || 0) + ", seat removals failed " + (seats.failed || 0) + "; verified " +
      (verification.verified || 0) + ", verification pending " + (verification.pending || 0) + "; ",
      node("span", "still active " + stillActive + (stillActive > 0 ? ": act in the IdP" : ""), stillActive > 0 ? "alert" : ""));
  }

  function renderRevocations(records) {
    byId("no-revocations").hidden = records.length > 0;
    byId("revocations-table").hidden = records.length === 0;
    fill("revocations", records.map(function (record) {
      var tr = node("tr");
      tr.append(cell(clock(record.received_at)), cell(record.email || "(unresolved)"), cell(record.source),
        cell(node("span", label(record.status), "badge " + (TONE[record.status] || "quiet"))),
        cell(duration(record.time_to_revoke_ms), "number"), cell(record.last_error || "", "detail"));
      return tr;
    }));
  }

  function renderJob(job) {
    var item = node("li");
    var id = "job-" + job.id;
    var counts = job.by_status || {};
    var progress = node("progress");
    progress.id = id;
    progress.max = 100;
    progress.value = job.percent_done;
    var title = node("label", job.id + ": " + job.percent_done + " % done");
    title.htmlFor = id;
    var summary = (counts.revoked || 0) + " revoked, " + (counts.failed || 0) + " failed of " + job.accepted + " accepted" +
      (job.rejected > 0 ? " (" + job.rejected + (job.rejected === 1 ? " line" : " lines") + " rejected)" : "") + "; created " + clock(job.created_at) + "; ";
    summary += job.completed_at ? "completed " + clock(job.completed_at)
      // The estimate assumes no pause or hold from now on: while the job waits, it would be wrong.
      : (job.waiting ? "ETA once the wait ends" : job.estimated_completion ? "ETA " + clock(job.estimated_completion) : "ETA unknown") +
        "; " + job.rate_per_second.toFixed(1) + " calls/s over the last minute";
    item.append(title, progress, node("p", summary, "muted"));
    if (job.waiting) {
      var waiting = "Waiting (" + label(job.waiting.reason) + ")" + (job.waiting.until ? " until " + clock(job.waiting.until) : "") + ": " + job.waiting.message;
      item.append(node("p", waiting, "alert"));
    }
    return item;
  }

  async function readJobs() {
    try {
      var list = (await api("/jobs?limit=10")).jobs;
      // The list has progress; an open job's own view adds its ETA and why it waits.
      return await Promise.all(list.map(function (job) { return job.completed_at ? job : api("/jobs/" + encodeURIComponent(job.id)); }));
    } catch (error) {
      if (error.kind === "failed") return error;
      throw error;
    }
  }

  function renderJobs(jobs) {
    var note = jobs instanceof ApiError ? "Jobs could not be read: " + jobs.message : jobs.length === 0 ? "No bulk job yet." : "";
    byId("jobs-note").textContent = note;
    fill("jobs", jobs instanceof ApiError ? [] : jobs.map(renderJob));
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      var answers = await Promise.all([api("/stats"), api("/revocations?limit=20"), readJobs()]);
      renderDrain(answers[0]);
      renderRevocations(answers[1].records);
      renderJobs(answers[2]);
      byId("dashboard").hidden = false;
      setStatus("Updated " + new Date().toLocaleTimeString() + "; refreshing every " + REFRESH_MS / 1000 + " s.", false);
    } catch (error) {
      if (error instanceof ApiError && error.kind === "unauthorized") return askForToken(error.message);
      setStatus(error instanceof ApiError ? error.message : "The page could not show the answer: " + error, true);
    }
    timer = setTimeout(refresh, REFRESH_MS);
  }

  function askForToken(problem) {
    clearTimeout(timer);
    sessionStorage.removeItem(TOKEN_KEY);
    byId("dashboard").hidden = true;
    byId("forget").hidden = true;
    byId("token-form").hidden = false;
    byId("token-problem").textContent = problem || "";
    setStatus(problem ? "Not signed in: the token was refused." : "Paste the operator token to see the status.", Boolean(problem));
    byId("token").focus();
  }

  byId("token-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var token = byId("token").value.trim();
    byId("token").value = "";
    if (token === "") return;
    sessionStorage.setItem(TOKEN_KEY, token);
    byId("token-form").hidden = true;
    byId("forget").hidden = false;
    setStatus("Loading…", false);
    refresh();
  });
  byId("forget").addEventListener("click", function () { askForToken(null); });

  if (sessionStorage.getItem(TOKEN_KEY)) {
    byId("forget").hidden = false;
    refresh();
  } else {
    askForToken(null);
  }
})();
`;
