// How the page writes times, durations and statuses. Times arrive as ISO 8601 strings, null for never.

function dateOf(value: string | null | undefined): Date | null {
  return value ? new Date(value) : null;
}

export function clock(value: string | null | undefined): string {
  const date = dateOf(value);
  return date ? date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" }) : "—";
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
