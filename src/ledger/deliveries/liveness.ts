// When each source last delivered something the Worker accepted (table source_deliveries), and which have
// been silent past their threshold (SOURCE_SILENCE_HOURS). A delivery that commits (a revocation, a lesson
// for the directory, a SET, a SCIM write) is noted in its own transaction, at no extra cost; one that commits
// nothing (an ignored event, a handshake, a SCIM read) is reported by the Worker in the background
// (http/delivery-report.ts). Refused deliveries are the rejections' counts (rejections/), not kept here.
// Contract: synchronous SQLite, inside the caller's transaction; `now` is passed in.
import type { SourceDeliveryRow } from "./schema";

/** A delivery accepted at `at` that committed nothing, as a Worker isolate reports it. */
export type AcceptedDelivery = { source: string; at: number };

/** Notes deliveries accepted from these sources at `at` (a later one already noted is kept). */
export function noteAccepted(sql: SqlStorage, sources: Iterable<string>, at: number): void {
  for (const source of new Set(sources)) {
    sql.exec(
      `INSERT INTO source_deliveries (source, first_seen_at, last_accepted_at) VALUES (?, ?, ?)
       ON CONFLICT (source) DO UPDATE SET last_accepted_at = MAX(COALESCE(last_accepted_at, 0), excluded.last_accepted_at)`,
      source.slice(0, 40),
      at,
      at,
    );
  }
}

export function deliveryRows(sql: SqlStorage): Map<string, SourceDeliveryRow> {
  return new Map(
    sql
      .exec<SourceDeliveryRow>("SELECT * FROM source_deliveries")
      .toArray()
      .map((row) => [row.source, row]),
  );
}

/** Since when a source has been silent: its last accepted delivery, else since it was first seen. */
export function silentSince(row: SourceDeliveryRow): number {
  return row.last_accepted_at ?? row.first_seen_at;
}

/** Whether a source has been silent past `hours` (false before it is known: nothing can be counted from). */
export function isSilent(row: SourceDeliveryRow | undefined, hours: number | undefined, now: number): boolean {
  return row !== undefined && hours !== undefined && now - silentSince(row) >= hours * 3_600_000;
}

export type SilentSource = { source: string; hours: number; since: number };

/**
 * The Cron's check: makes every configured source known (first seen now), and answers those that passed
 * their threshold since it was last noted, marking them noted, so one silence is told once (a delivery
 * after it starts the count again).
 */
export function newlySilent(sql: SqlStorage, configured: Iterable<string>, thresholds: ReadonlyMap<string, number>, now: number): SilentSource[] {
  const names = [...configured];
  for (const source of names) {
    sql.exec("INSERT INTO source_deliveries (source, first_seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING", source, now);
  }
  const rows = deliveryRows(sql);
  const silent: SilentSource[] = [];
  for (const source of names) {
    const row = rows.get(source);
    const hours = thresholds.get(source);
    if (!row || hours === undefined || !isSilent(row, hours, now)) continue;
    const since = silentSince(row);
    if (row.silence_noted_at !== null && row.silence_noted_at >= since) continue;
    sql.exec("UPDATE source_deliveries SET silence_noted_at = ? WHERE source = ?", now, source);
    silent.push({ source, hours, since });
  }
  return silent;
}
