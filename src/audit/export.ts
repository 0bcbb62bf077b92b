// GET /v1/audit/export: the audit trail's full entries (not only the key summaries) between two instants,
// as NDJSON (one KV entry per line, with its key) or CSV (one row per outcome: a bulk batch entry becomes
// one row per person in it). By kind, KV lists newest first and cannot start at a key, so one request reads
// one list page, keeps the keys inside the range, fetches their values 100 at a time (KV's bulk get), and
// answers the next page's cursor when there is more; a page entirely older than `from` ends the export.
// The chain export (kind=chain, issue #23) is every kind in seq order: the ledger names the keys of a run
// of the chain, and their values are read here the same way (chainEntries).
// Contract: reads KV only; every KV operation is counted against one list page so a request stays far
// inside a Worker invocation's KV operation limit. CSV is written by d3-dsv, the parser uploads use.
// Contract: a CSV cell never starts a spreadsheet formula. Reasons and emails are the senders' text
// (`=HYPERLINK(…)`, `+1+1@example.com` are a valid reason and a valid address), so a cell that begins with
// = + - @, a tab or a carriage return is written with a leading ' (OWASP's CSV injection guidance). The
// NDJSON export is the entries as stored, for programs.
import { csvFormatRows } from "d3-dsv";
import type { RevocationRecord } from "../domain/revocation";
import { AUDIT_PREFIXES, type BatchedOutcome, verificationByTarget } from "./audit-log";

const GET_BATCH = 100;

type ExportKind = keyof typeof AUDIT_PREFIXES;
export type ExportRequest = { kind: ExportKind; from: number; to: number; limit: number; cursor?: string };
export type ExportPage = { entries: ({ key: string } & Record<string, unknown>)[]; cursor: string | null };

/** The instant a key was written, from its inverted timestamp (every prefix puts it second). */
function writtenAt(key: string): number {
  const inverted = Number(key.split(":")[1]);
  return 9_999_999_999_999 - inverted;
}

export async function exportAudit(kv: KVNamespace, request: ExportRequest): Promise<ExportPage> {
  const page = await kv.list({ prefix: AUDIT_PREFIXES[request.kind], limit: request.limit, cursor: request.cursor });
  const keys = page.keys.map((key) => key.name).filter((name) => writtenAt(name) >= request.from && writtenAt(name) <= request.to);
  const entries = await chainEntries(kv, keys);
  // Keys are newest first: once the page's oldest key is before `from`, nothing further is in range.
  const oldest = page.keys.at(-1)?.name;
  const more = !page.list_complete && oldest !== undefined && writtenAt(oldest) >= request.from;
  return { entries, cursor: more ? page.cursor : null };
}

/** The KV entries of a run of the chain, in seq order; a key KV no longer has is left out (a check finds the gap). */
export async function chainEntries(kv: KVNamespace, keys: string[]): Promise<ExportPage["entries"]> {
  const entries: ExportPage["entries"] = [];
  for (let start = 0; start < keys.length; start += GET_BATCH) {
    const batch = keys.slice(start, start + GET_BATCH);
    const values = await kv.get<Record<string, unknown>>(batch, "json");
    for (const key of batch) {
      const value = values.get(key);
      if (value) entries.push({ key, ...value });
    }
  }
  return entries;
}

export function exportNdjson(entries: ExportPage["entries"]): string {
  return entries.map((entry) => `${JSON.stringify(entry)}\n`).join("");
}

const CSV_COLUMNS = [
  "written_at",
  "kind",
  "status",
  "revocation_id",
  "email",
  "source",
  "event_type",
  "reason",
  "job_id",
  "targets",
  "received_at",
  "completed_at",
  "time_to_revoke_ms",
  "verification",
  "last_error",
  "detail",
  "key",
  "seq",
  "prev_hash",
  "hash",
] as const;

type Row = Record<(typeof CSV_COLUMNS)[number], string>;

/** A batch entry's outcome as KV holds it: times as ISO 8601; entries written before #18 have only the first four fields. */
type StoredOutcome = Pick<BatchedOutcome, "revocation_id" | "email" | "status"> &
  Partial<Pick<BatchedOutcome, "targets" | "time_to_revoke_ms" | "verification">> & { at: string; received_at?: string };

/** "accounts/…=verified zones/…=not_applicable", in the targets column's order. */
function verificationText(states: Record<string, string> | null | undefined): string {
  return Object.entries(states ?? {})
    .map(([target, state]) => `${target}=${state}`)
    .join(" ");
}

function rowsOf(entry: ExportPage["entries"][number]): Row[] {
  const key = entry.key;
  const written = new Date(writtenAt(key)).toISOString();
  const text = (value: unknown) => (value === null || value === undefined ? "" : String(value));
  // Every row of an entry carries its place in the chain (empty for entries written before issue #23).
  const blank: Row = {
    ...(Object.fromEntries(CSV_COLUMNS.map((column) => [column, ""])) as Row),
    seq: text(entry.seq),
    prev_hash: text(entry.prev_hash),
    hash: text(entry.hash),
  };
  if (key.startsWith(AUDIT_PREFIXES.outcomes) && Array.isArray(entry.outcomes)) {
    // A bulk job's batch: one row per person in it.
    return (entry.outcomes as StoredOutcome[]).map((outcome) => ({
      ...blank,
      written_at: written,
      kind: "outcome",
      status: outcome.status,
      revocation_id: outcome.revocation_id,
      email: outcome.email,
      source: "bulk",
      job_id: text(entry.job_id),
      targets: (outcome.targets ?? []).join(" "),
      received_at: text(outcome.received_at),
      completed_at: text(outcome.at),
      time_to_revoke_ms: text(outcome.time_to_revoke_ms),
      verification: verificationText(outcome.verification),
      key,
    }));
  }
  if (key.startsWith(AUDIT_PREFIXES.outcomes)) {
    const record = entry as unknown as RevocationRecord;
    // The status the entry was written under (its key's last part) may be a follow-up label.
    const status = key.split(":").at(-1) ?? record.status;
    return [
      {
        ...blank,
        written_at: written,
        kind: "outcome",
        status,
        revocation_id: record.id,
        email: text(record.email),
        source: record.source,
        event_type: record.event_type,
        reason: text(record.reason),
        job_id: text(record.job_id),
        targets: record.targets.join(" "),
        received_at: record.received_at,
        completed_at: text(record.completed_at),
        time_to_revoke_ms: text(record.time_to_revoke_ms),
        verification: verificationText(verificationByTarget(record)),
        last_error: text(record.last_error),
        key,
      },
    ];
  }
  return [
    {
      ...blank,
      written_at: written,
      kind: text(entry.kind),
      status: text(entry.action ?? entry.change ?? entry.total ?? entry.status),
      detail: JSON.stringify(entry),
      key,
    },
  ];
}

/** OWASP: = + - @ tab and carriage return make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;
const inert = (cell: string) => (FORMULA_START.test(cell) ? `'${cell}` : cell);

export function exportCsv(entries: ExportPage["entries"], header: boolean): string {
  const rows = entries.flatMap(rowsOf).map((row) => CSV_COLUMNS.map((column) => inert(row[column])));
  const text = csvFormatRows(header ? [[...CSV_COLUMNS], ...rows] : rows);
  return text === "" ? "" : `${text}\n`;
}
