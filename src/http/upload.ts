// Reads an uploaded list (bulk revocations, directory imports): NDJSON, one JSON object per line, or
// CSV as RFC 4180 defines it (quoted fields with commas and line breaks, "" escapes, CRLF), with an
// optional header row and an optional UTF-8 byte order mark.
// Contract: pure, linear in the size of the text. CSV is parsed by d3-dsv (a small, well-kept parser;
// the hand-written one this replaced was quadratic on long lines and refused quoted commas).
import { csvParseRows } from "d3-dsv";
import type { UploadRow } from "../domain/bulk";

export type Upload = { ok: true; rows: UploadRow[] } | { ok: false; problem: string };

/**
 * `columns` names the CSV fields in order (a row may omit trailing ones); a first row whose first field is
 * the first column's name is a header. NDJSON is recognised by a first character `{`.
 */
export function readUpload(text: string, columns: readonly string[]): Upload {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const first = body.trimStart()[0];
  if (first === "[") {
    return { ok: false, problem: "a JSON array is not accepted: send NDJSON (one JSON object per line) or CSV (one record per line)" };
  }
  const rows = first === "{" ? readNdjson(body) : readCsv(body, columns);
  if (rows.length === 1 && !/[\r\n]/.test(body.trim()) && looksJoined(body, rows[0]!)) {
    return {
      ok: false,
      problem:
        "the body is one line that holds several records: its line breaks were lost (`curl -d @file` strips them); send the file as it is with `curl --data-binary @file`",
    };
  }
  return { ok: true, rows };
}

/** One line that can only be several records run together: `}{` between JSON objects, or two emails in one field. */
function looksJoined(body: string, row: UploadRow): boolean {
  if ("error" in row) return /\}\s*\{/.test(body) || row.error.startsWith("a CSV record has at most");
  const first = Object.values(row.value as Record<string, string>)[0] ?? "";
  return (first.match(/@/g)?.length ?? 0) > 1;
}

function readNdjson(body: string): UploadRow[] {
  const rows: UploadRow[] = [];
  for (const [index, raw] of body.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "") continue;
    try {
      rows.push({ line: index + 1, value: JSON.parse(line) as unknown });
    } catch {
      rows.push({ line: index + 1, error: "not valid JSON" });
    }
  }
  return rows;
}

function readCsv(body: string, columns: readonly string[]): UploadRow[] {
  const rows: UploadRow[] = [];
  let line = 1;
  for (const [index, fields] of csvParseRows(body).entries()) {
    const at = line;
    // The next record starts after this one's line break and any line breaks inside its quoted fields.
    line += 1 + fields.reduce((breaks, field) => breaks + (field.match(/\n/g)?.length ?? 0), 0);
    if (fields.every((field) => field.trim() === "")) continue;
    if (index === 0 && fields[0]?.trim().toLowerCase() === columns[0]) continue;
    if (fields.length > columns.length) {
      rows.push({ line: at, error: `a CSV record has at most ${columns.length} fields (${columns.join(",")}); quote a field that contains a comma` });
      continue;
    }
    const value: Record<string, string> = {};
    for (const [position, field] of fields.entries()) {
      const trimmed = field.trim();
      if (trimmed !== "") value[columns[position]!] = trimmed;
    }
    rows.push({ line: at, value });
  }
  return rows;
}
