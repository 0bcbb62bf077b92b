// The offboarding report as CSV and as a printable HTML page (issue #23): the summary first, then the rows
// a page at a time as the ledger answers them, then a closing line that says how many rows were written, so
// a report cut short (the ledger unavailable midway) is visibly incomplete. CSV: lines starting with "#" carry
// the summary and the end (pandas' read_csv(comment="#") and most tools skip them); then one row per
// revocation, targets in one cell each way ("accounts/x: revoked HTTP 200 at …"); written by d3-dsv, with
// the audit export's guard against cells a spreadsheet would run as a formula. HTML: every value escaped;
// no script. Contract: pure; report parts in, text out.
import { csvFormatRows } from "d3-dsv";
import type { OffboardingRow, OffboardingSummary } from "../domain/offboarding-report";

const CSV_COLUMNS = [
  "revocation_id",
  "email",
  "subject_id",
  "source",
  "event_type",
  "event_at",
  "received_at",
  "completed_at",
  "time_to_revoke_ms",
  "status",
  "targets",
  "seats_removed",
  "verification",
  "last_error",
  "job_id",
  "returned_at",
  "return_acknowledged_at",
  "revoked_again",
  "revokes_return_of",
] as const;

/** OWASP: = + - @ tab and carriage return make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;
const inert = (cell: string) => (FORMULA_START.test(cell) ? `'${cell}` : cell);
const text = (value: unknown) => (value === null || value === undefined ? "" : String(value));

function targetText(target: OffboardingRow["targets"][number]): string {
  const answer = target.http_status === null ? "no answer" : `HTTP ${target.http_status}`;
  const errors = target.errors.map((error) => `${error.code ?? "error"} ${error.message}`).join(", ");
  const at = target.completed_at ? ` at ${target.completed_at}` : "";
  const tries = target.attempts > 1 ? ` after ${target.attempts} attempts` : "";
  return `${target.target}: ${target.state} ${answer}${at}${tries}${errors ? ` (${errors})` : ""}`;
}

const verificationText = (row: OffboardingRow) =>
  row.targets
    .filter((target) => target.verification !== null)
    .map((target) => `${target.target}: ${target.verification}`)
    .join("; ");

function cellsOf(row: OffboardingRow): Record<(typeof CSV_COLUMNS)[number], string> {
  return {
    revocation_id: row.id,
    email: text(row.email),
    subject_id: text(row.subject_id),
    source: row.source,
    event_type: row.event_type,
    event_at: text(row.event_at),
    received_at: row.received_at,
    completed_at: text(row.completed_at),
    time_to_revoke_ms: text(row.time_to_revoke_ms),
    status: row.status,
    targets: row.targets.map(targetText).join("; "),
    seats_removed: String(row.seats_removed),
    verification: verificationText(row),
    last_error: text(row.last_error),
    job_id: text(row.job_id),
    returned_at: text(row.returned_at),
    return_acknowledged_at: text(row.return_acknowledged_at),
    revoked_again: text(row.revoked_again),
    revokes_return_of: text(row.revokes_return_of),
  };
}

/** The summary as label/value pairs, the same in CSV and HTML. */
function summaryPairs(summary: OffboardingSummary): [string, string][] {
  const ttr = summary.time_to_revoke;
  const ms = (value: number | null) => (value === null ? "none" : `${value} ms`);
  const head = summary.audit_chain.head;
  return [
    ["period", `${summary.from} to ${summary.to} (received; ledger seq up to ${summary.through_seq})`],
    ["generated at", summary.generated_at],
    ["audit chain", `${summary.audit_chain.chain_id}, head ${head ? `seq ${head.seq} hash ${head.hash}` : "none (empty)"}`],
    ["revocations", `${summary.count} (${summary.people} people)`],
    [
      "by status",
      Object.entries(summary.by_status)
        .map(([status, n]) => `${status} ${n}`)
        .join(", ") || "none",
    ],
    ["time to revoke", `p50 ${ms(ttr.p50_ms)}, p95 ${ms(ttr.p95_ms)}, max ${ms(ttr.max_ms)} over ${ttr.count}`],
    [`within ${summary.threshold_ms} ms`, `${summary.within_threshold} of ${ttr.count}`],
    [
      "failures",
      `${summary.failures.unresolved} unresolved${summary.failures.unresolved_ids.length > 0 ? ` (${summary.failures.unresolved_ids.join(" ")})` : ""}, ${summary.failures.resolved_after_retry} revoked after a failed attempt`,
    ],
    ["seats removed", String(summary.seats_removed)],
    [
      "came back",
      `${summary.returns.found} found by the sweep, ${summary.returns.acknowledged} acknowledged, ${summary.returns.revoked_again} revoked again`,
    ],
  ];
}

// ── CSV ──

export function csvHead(summary: OffboardingSummary): string {
  const comments = summaryPairs(summary).map(([label, value]) => `# ${label}: ${value.replace(/[\r\n]+/g, " ")}`);
  return `# access-revoker offboarding report\n${comments.join("\n")}\n${csvFormatRows([[...CSV_COLUMNS]])}\n`;
}

export function csvRows(rows: OffboardingRow[]): string {
  if (rows.length === 0) return "";
  const cells = rows.map((row) => {
    const named = cellsOf(row);
    return CSV_COLUMNS.map((column) => inert(named[column]));
  });
  return `${csvFormatRows(cells)}\n`;
}

export const csvEnd = (written: number) => `# end of report: ${written} rows\n`;

// ── HTML ──

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (value: unknown) => text(value).replace(/[&<>"']/g, (char) => ESCAPES[char]!);

/** What the HTML answer may load: nothing but its own inline style. */
export const HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'";

const STYLE = `body{font:13px/1.4 system-ui,sans-serif;margin:2em}table{border-collapse:collapse;width:100%}
th,td{border:1px solid #999;padding:2px 4px;text-align:left;vertical-align:top}th{background:#eee}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 1em}dt{font-weight:600}code{word-break:break-all}
@media print{body{margin:0}tr{break-inside:avoid}}`;

const HTML_HEAD = [
  "Revocation",
  "Email",
  "Source",
  "IdP event",
  "Received",
  "Revoked",
  "Time to revoke",
  "Status",
  "Per target (Cloudflare's answer)",
  "Seats removed",
  "Verification",
  "Came back",
];

export function htmlHead(summary: OffboardingSummary): string {
  const pairs = summaryPairs(summary)
    .map(
      ([label, value]) =>
        `<dt>${escapeHtml(label)}</dt><dd>${label === "audit chain" ? `<code>${escapeHtml(value)}</code>` : escapeHtml(value)}</dd>`,
    )
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Offboarding report ${escapeHtml(summary.from)} to ${escapeHtml(summary.to)}</title><style>${STYLE}</style></head><body>
<h1>Offboarding report</h1><dl>${pairs}</dl>
<table><thead><tr>${HTML_HEAD.map((name) => `<th>${name}</th>`).join("")}</tr></thead><tbody>\n`;
}

export function htmlRows(rows: OffboardingRow[]): string {
  return rows
    .map((row) => {
      const named = cellsOf(row);
      const back = row.returned_at
        ? `${row.returned_at}${row.revoked_again ? `, revoked again ${row.revoked_again}` : ""}${row.return_acknowledged_at ? `, acknowledged ${row.return_acknowledged_at}` : ", not acknowledged"}`
        : row.revokes_return_of
          ? `revokes the return after ${row.revokes_return_of}`
          : "";
      const cells = [
        named.revocation_id,
        named.email || (row.subject_id ? `(subject ${row.subject_id})` : ""),
        `${named.source} (${named.event_type})`,
        named.event_at,
        named.received_at,
        named.completed_at,
        named.time_to_revoke_ms === "" ? "" : `${named.time_to_revoke_ms} ms`,
        named.last_error ? `${named.status}: ${named.last_error}` : named.status,
        row.targets.map(targetText).join("\n"),
        named.seats_removed,
        named.verification,
        back,
      ];
      return `<tr>${cells.map((cell) => `<td>${escapeHtml(cell).replace(/\n/g, "<br>")}</td>`).join("")}</tr>\n`;
    })
    .join("");
}

export const htmlEnd = (written: number) => `</tbody></table><p>End of report: ${written} rows.</p></body></html>\n`;
