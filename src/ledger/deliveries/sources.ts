// Every source as /v1/stats and /healthz show it: its last accepted and refused deliveries, whether it has
// been silent past its threshold, and its managed connection's record when it has one. The sources are those
// the configuration turns on (config/sources.ts) and every managed connection configured (a connection is
// named after the source it keeps), so a source that never delivered shows with nulls.
// Contract: synchronous SQLite reads; `now` is passed in.
import { isoOrNull, type SourceView } from "../../domain/views";
import { connectionViews } from "../connections/record";
import { lastRefusedBySource } from "../rejections/counts";
import { deliveryRows, isSilent, silentSince } from "./liveness";

export function sourceViews(sql: SqlStorage, configured: string[], thresholds: ReadonlyMap<string, number>, now: number): Record<string, SourceView> {
  const rows = deliveryRows(sql);
  const refused = lastRefusedBySource(sql);
  const connections = connectionViews(sql);
  const views: Record<string, SourceView> = {};
  for (const name of [...new Set([...configured, ...connections.keys()])].sort()) {
    const row = rows.get(name);
    const hours = thresholds.get(name);
    const silent = isSilent(row, hours, now);
    const connection = connections.get(name);
    views[name] = {
      last_accepted_at: isoOrNull(row?.last_accepted_at),
      last_refused_at: isoOrNull(refused.get(name)),
      silence_threshold_hours: hours ?? null,
      silent,
      silent_since: silent && row ? new Date(silentSince(row)).toISOString() : null,
      ...(connection ? { connection } : {}),
    };
  }
  return views;
}

/** What /healthz says of silent sources: which, since when, and where the runbook is. */
export function silenceNotes(sql: SqlStorage, configured: string[], thresholds: ReadonlyMap<string, number>, now: number): string[] {
  return Object.entries(sourceViews(sql, configured, thresholds, now))
    .filter(([, view]) => view.silent)
    .map(
      ([name, view]) =>
        `SOURCE_SILENCE_HOURS: ${name} has delivered nothing accepted since ${view.silent_since} (its threshold is ${view.silence_threshold_hours} h); see docs/operations.md#a-source-is-silent`,
    );
}
