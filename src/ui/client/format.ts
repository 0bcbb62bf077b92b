// How the page writes times, durations and statuses. Times arrive as ISO 8601 strings, null for never,
// and are shown the one way the CLI shows them, whatever the browser's locale and time zone:
// "2026-05-01 12:00:03 UTC".

function dateOf(value: string | null | undefined): Date | null {
  const date = value ? new Date(value) : null;
  return date && Number.isFinite(date.getTime()) ? date : null;
}

export function clock(value: string | null | undefined): string {
  const date = dateOf(value);
  return date ? `${date.toISOString().slice(0, 19).replace("T", " ")} UTC` : "—";
}

const ISO_TIME = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b/g;

/** An API message (a wait, an error, a follow-up's detail) with its ISO 8601 times written as clock() writes them. */
export function clockTimes(text: string): string {
  return text.replace(ISO_TIME, (time) => clock(time));
}

/** A time to come with how far off it is: "2026-05-01 12:05:03 UTC (in 4 min 59 s)". */
export function until(value: string | null | undefined): string {
  const date = dateOf(value);
  if (!date) return "—";
  const left = date.getTime() - Date.now();
  return left > 0 ? `${clock(value)} (in ${duration(left)})` : clock(value);
}

/** The time of day now, for "Updated …": "12:00:03 UTC". */
export function now(): string {
  return `${new Date().toISOString().slice(11, 19)} UTC`;
}

export function inFuture(value: string | null | undefined): boolean {
  const date = dateOf(value);
  return date !== null && date.getTime() > Date.now();
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** A status or reason as words: still_active → still active. */
export function label(status: string): string {
  return status.replace(/_/g, " ");
}
