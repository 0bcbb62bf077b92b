// How the sources' liveness and the alerts read on a terminal (`sources`, `alerts test`, and their lines in
// `stats`). Contract: pure; an API answer in, text out (`now` is passed in for "3h 05m ago").
import type { AlertsView, AlertTest, SourceView, Stats } from "../src/domain/views.ts";
import { duration, fields, status, table, time } from "./format.ts";

/** "2026-05-01 12:00:03 UTC (3h 05m ago)"; null: "never". */
function ago(iso: string | null, now: number): string {
  if (iso === null) return "never";
  return `${time(iso)} (${duration(Math.max(0, now - new Date(iso).getTime()))} ago)`;
}

/** A managed connection in a cell: "ok, proof 2026-… (…)" or "failing since …: <error>". */
function connectionCell(source: SourceView, now: number): string {
  const connection = source.connection;
  if (!connection) return "–";
  if (connection.status === "failing")
    return `${status("failing")} since ${ago(connection.failing_since, now)}: ${connection.last_error ?? "no error recorded"}`;
  return `${status("ok")} (${connection.kind}), last proof ${ago(connection.last_proof_at, now)}`;
}

function silenceCell(source: SourceView, now: number): string {
  if (source.silent) return `${status("silent")} since ${ago(source.silent_since, now)}`;
  return source.silence_threshold_hours === null ? "–" : `no (threshold ${source.silence_threshold_hours} h)`;
}

/** The widest a details line grows before the next field goes on a line of its own. */
const DETAILS_COLUMNS = 80;

/**
 * A connection's details under its source's name, indented, as many "field value" pairs a line as fit in 80
 * columns (times as the rest of the CLI shows them; null as "–"); null when its kind answered none.
 */
function connectionDetails(name: string, source: SourceView): string | null {
  const details = source.connection?.details;
  if (!details || Object.keys(details).length === 0) return null;
  const lines: string[] = [];
  let line = "";
  for (const [field, value] of Object.entries(details)) {
    const shown = value === null ? "–" : field.endsWith("_at") && typeof value === "string" ? time(value) : String(value);
    const pair = `${field} ${shown}`;
    if (line !== "" && 2 + line.length + 2 + pair.length > DETAILS_COLUMNS) {
      lines.push(`  ${line}`);
      line = pair;
    } else line = line === "" ? pair : `${line}  ${pair}`;
  }
  lines.push(`  ${line}`);
  return [`${name} (${source.connection!.kind}):`, ...lines].join("\n");
}

/**
 * One line per source: its last accepted and refused deliveries, its silence, its managed connection; then,
 * for each managed connection whose kind shows details, those (stream or channel id, status, times).
 */
export function sourcesView(sources: Stats["sources"], now: number): string {
  const names = Object.keys(sources).sort();
  if (names.length === 0) return "no source is configured";
  const details = names.map((name) => connectionDetails(name, sources[name]!)).filter((block) => block !== null);
  const view = table(
    ["SOURCE", "LAST ACCEPTED", "LAST REFUSED", "SILENT", "CONNECTION"],
    names.map((name) => {
      const source = sources[name]!;
      return [name, ago(source.last_accepted_at, now), ago(source.last_refused_at, now), silenceCell(source, now), connectionCell(source, now)];
    }),
  );
  return details.length === 0 ? view : [view, "", ...details].join("\n");
}

/** `stats`' line on the sources: how many, which are silent or failing (`sources` has the detail). */
export function sourcesSummary(sources: Stats["sources"]): string {
  const entries = Object.entries(sources);
  const silent = entries.filter(([, source]) => source.silent).map(([name]) => name);
  const failing = entries.filter(([, source]) => source.connection?.status === "failing").map(([name]) => name);
  const trouble = [
    silent.length > 0 ? `${status("silent")}: ${silent.join(", ")}` : null,
    failing.length > 0 ? `${status("failing")}: ${failing.join(", ")}` : null,
  ].filter((part) => part !== null);
  return `${entries.length} configured${trouble.length > 0 ? `; ${trouble.join("; ")}` : ", none silent or failing"}`;
}

/** `stats`' line on the alerts. */
export function alertsSummary(alerts: AlertsView): string {
  if (alerts.destination === null) return "off (ALERT_WEBHOOK_URL is not set)";
  const figures = `${alerts.pending} pending, ${alerts.sent} sent, ${alerts.failed} failed, ${alerts.suppressed} suppressed`;
  const error = alerts.last_error ? `; last error ${time(alerts.last_error_at)}: ${alerts.last_error}` : "";
  return `to ${alerts.destination}${alerts.signed ? " (signed)" : ""}: ${figures}${error}`;
}

export function alertTestView(answer: AlertTest): string {
  const head =
    answer.state === "sent"
      ? `test alert ${answer.id} ${status("sent")} to ${answer.destination}`
      : `test alert ${answer.id} not delivered yet: it is retried with backoff`;
  return [
    head,
    fields([
      ["attempts", answer.attempts],
      ["last error", answer.last_error ?? undefined],
    ]),
  ].join("\n");
}
