// How values read on a terminal: tables, times, durations, coloured statuses.
// cli-table3 lays out columns by display width (it handles colour codes and wide characters, which a
// padEnd does not); picocolors colours only when the output is a terminal and NO_COLOR is unset, so
// piped output and tests see plain text. Both are small, dependency-light and widely used.
import Table from "cli-table3";
import pc from "picocolors";
import type { TimeToRevoke } from "../src/domain/views.ts";

const BORDERLESS = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: "  ",
};

/** A borderless table with a header row: what `kubectl get` and `docker ps` print. */
export function table(head: string[], rows: unknown[][]): string {
  const t = new Table({
    head: head.map((name) => pc.bold(name)),
    chars: BORDERLESS,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  for (const row of rows) t.push(row.map((cell) => (cell === null || cell === undefined ? "–" : String(cell))));
  return t
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n");
}

/** "label  value" lines, labels aligned; rows whose value is undefined are left out. */
export function fields(pairs: [string, string | number | null | undefined][]): string {
  const shown = pairs.filter(([, value]) => value !== undefined);
  const width = Math.max(...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${label.padEnd(width)}  ${value === null ? "–" : value}`).join("\n");
}

const GOOD = new Set(["revoked", "done", "removed", "verified", "already_removed", "no_access_user", "ok", "sent"]);
const BAD = new Set(["failed", "refused", "still_active", "invalid_email", "failing", "silent"]);
const OPEN = new Set(["queued", "unresolved", "pending"]);

export function status(value: string): string {
  if (GOOD.has(value)) return pc.green(value);
  if (BAD.has(value)) return pc.red(value);
  if (OPEN.has(value)) return pc.yellow(value);
  return value;
}

/** An ISO 8601 time as "2026-05-01 12:00:03 UTC"; null stays null. */
export function time(iso: string | null | undefined): string | null {
  if (iso === null || iso === undefined) return null;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** A time to come, with how far off it is: "2026-05-01 12:05:03 UTC (in 4m 59s)". */
export function until(iso: string | null | undefined, now = Date.now()): string | null {
  const shown = time(iso);
  if (shown === null || iso === null || iso === undefined) return null;
  const ms = new Date(iso).getTime() - now;
  return ms > 0 ? `${shown} (in ${duration(ms)})` : `${shown} (passed)`;
}

/** 850 → "850 ms", 1234 → "1.2 s", 185000 → "3m 05s", 3720000 → "1h 02m". */
export function duration(ms: number): string;
export function duration(ms: number | null | undefined): string | null;
export function duration(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(seconds / 3600)}h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
}

/** A rate with at most one decimal: 19.833 → "19.8"; absent → "–". */
export function rateText(perSecond: number | null | undefined): string {
  return typeof perSecond === "number" ? String(Math.round(perSecond * 10) / 10) : "–";
}

/** {revoked: 3, failed: 1} → "revoked 3, failed 1"; empty → "none". */
export function counts(byName: Record<string, number> | null | undefined): string {
  const entries = Object.entries(byName ?? {}).filter(([, n]) => n > 0);
  return entries.length === 0 ? "none" : entries.map(([name, n]) => `${status(name)} ${n}`).join(", ");
}

/** Percentiles as the API gives them ({count, p50_ms, p95_ms, max_ms}). */
export function percentiles(ttr: TimeToRevoke | null | undefined): string {
  if (!ttr || ttr.count === 0) return "none yet";
  return `p50 ${duration(ttr.p50_ms)}, p95 ${duration(ttr.p95_ms)}, max ${duration(ttr.max_ms)} (${ttr.count})`;
}
