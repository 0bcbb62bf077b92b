// The Sources card: every configured source's last accepted and refused delivery, its silence against
// SOURCE_SILENCE_HOURS and its managed connection, then where alerts go and how they fare; from GET /v1/stats
// (`sources`, `alerts`), the same figures `access-revoker sources` and `stats` print.
import type { SourceView, Stats } from "../../domain/views";
import { byId, cell, fill, node, row } from "./dom";
import { clock } from "./format";

function never(value: string | null): string {
  return value === null ? "never" : clock(value);
}

function silenceCell(source: SourceView): HTMLTableCellElement {
  if (source.silent) return cell(node("span", `silent since ${never(source.silent_since)}`, "alert"), undefined, "Silence");
  return cell(source.silence_threshold_hours === null ? "—" : `no (threshold ${source.silence_threshold_hours} h)`, undefined, "Silence");
}

function connectionCell(source: SourceView): HTMLTableCellElement {
  const connection = source.connection;
  if (!connection) return cell("—", undefined, "Managed connection");
  if (connection.status === "failing") {
    const text = `failing since ${never(connection.failing_since)}: ${connection.last_error ?? "no error recorded"}`;
    return cell(node("span", text, "alert"), undefined, "Managed connection");
  }
  return cell(`ok (${connection.kind}), last proof ${never(connection.last_proof_at)}`, undefined, "Managed connection");
}

export function renderSources(stats: Stats): void {
  const names = Object.keys(stats.sources).sort();
  byId("sources-note").textContent = names.length === 0 ? "No source is configured." : "";
  byId("sources-table").hidden = names.length === 0;
  fill(
    "sources",
    names.map((name) => {
      const source = stats.sources[name]!;
      const header = node("th", name);
      header.scope = "row";
      const tr = row(
        cell(never(source.last_accepted_at), undefined, "Last accepted"),
        cell(never(source.last_refused_at), undefined, "Last refused"),
        silenceCell(source),
        connectionCell(source),
      );
      tr.prepend(header);
      return tr;
    }),
  );

  const alerts = stats.alerts;
  const element = byId("alerts");
  if (alerts.destination === null) {
    element.textContent = "Off: ALERT_WEBHOOK_URL is not set.";
    element.className = "muted";
    return;
  }
  const figures = `to ${alerts.destination}${alerts.signed ? " (signed)" : ""}: ${alerts.pending} pending, ${alerts.sent} sent, ${alerts.failed} failed, ${alerts.suppressed} suppressed`;
  const failing = alerts.last_error_at !== null && (alerts.last_sent_at === null || alerts.last_sent_at < alerts.last_error_at);
  element.textContent = failing ? `${figures}; last error ${clock(alerts.last_error_at)}: ${alerts.last_error}` : figures;
  element.className = failing ? "alert" : "";
}
