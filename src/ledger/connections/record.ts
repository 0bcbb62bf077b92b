// The record of managed connections (table managed_connections): which are configured, what each run of one
// reported (its verdict, proof of life, changes and the state its kind keeps), proof of life that arrives by
// another way (a verification event pushed to /ssf/{name}), and what /v1/stats and /healthz show of them.
// A run's verdict sets the status: ok, or failing from the first failed run, so /healthz notes a broken
// connection within one Cron run; the change of status is itself a change (failing, recovered), reported
// with the kind's own for the audit log and the alerts.
// Contract: synchronous SQLite, inside the caller's transaction; `now` is passed in. The state is the kind's
// and may hold secrets: it leaves here only in ConnectionRecord, for the runner, never in a view or a note.
import {
  type ConfiguredConnection,
  type ConnectionChange,
  type ConnectionDetails,
  ConnectionDetailsSchema,
  type ConnectionRecord,
  type MaintenanceReport,
} from "../../domain/connections";
import { clause } from "../../domain/sentence";
import { type ConnectionView, isoOrNull } from "../../domain/views";
import type { ConnectionRow } from "./schema";

/** A change of one connection, as the audit log and the alerts take it. */
export type ConnectionEntry = { name: string; kind: string; change: ConnectionChange; detail: string; at: number };

/**
 * Marks these connections configured (a new one is first seen now) and every other one not, keeping its row
 * and state; answers the configured ones' records, least recently run first.
 */
export function configureConnections(sql: SqlStorage, configured: ConfiguredConnection[], now: number): ConnectionRecord[] {
  sql.exec("UPDATE managed_connections SET configured = 0");
  for (const { name, kind } of configured) {
    sql.exec(
      `INSERT INTO managed_connections (name, kind, first_seen_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET configured = 1, kind = excluded.kind`,
      name,
      kind,
      now,
    );
  }
  return sql
    .exec<ConnectionRow>("SELECT * FROM managed_connections WHERE configured = 1 ORDER BY COALESCE(last_run_at, 0), name")
    .toArray()
    .map((row) => ({
      name: row.name,
      kind: row.kind,
      status: row.status,
      state: row.state,
      last_run_at: row.last_run_at,
      last_proof_at: row.last_proof_at,
      last_error: row.last_error,
    }));
}

const STAMPED: Partial<Record<ConnectionChange, "created_at" | "renewed_at" | "repaired_at">> = {
  created: "created_at",
  renewed: "renewed_at",
  repaired: "repaired_at",
};

/** Records one run of a connection; answers its changes (the kind's, then a change of status). */
export function recordMaintenance(sql: SqlStorage, name: string, report: MaintenanceReport, now: number): ConnectionEntry[] {
  sql.exec("INSERT INTO managed_connections (name, kind, first_seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", name, report.kind, now);
  const row = sql.exec<ConnectionRow>("SELECT * FROM managed_connections WHERE name = ?", name).one();
  const entries: ConnectionEntry[] = report.changes.map(({ change, detail }) => ({ name, kind: report.kind, change, detail, at: now }));
  for (const { change } of report.changes) {
    const column = STAMPED[change];
    if (column) sql.exec(`UPDATE managed_connections SET ${column} = ? WHERE name = ?`, now, name);
  }
  sql.exec(
    `UPDATE managed_connections SET last_run_at = ?, state = COALESCE(?, state), details = COALESCE(?, details),
       last_proof_at = CASE WHEN ? IS NULL THEN last_proof_at ELSE ? END, last_proof = COALESCE(?, last_proof) WHERE name = ?`,
    now,
    report.state,
    report.details === null ? null : JSON.stringify(report.details),
    report.proof,
    now,
    report.proof,
    name,
  );
  if (report.verdict === "ok") {
    if (row.status === "failing") {
      const since = new Date(row.failing_since ?? now).toISOString();
      entries.push({
        name,
        kind: report.kind,
        change: "recovered",
        detail: `working again (failing since ${since}): ${report.proof ?? "its run succeeded"}`,
        at: now,
      });
    }
    sql.exec("UPDATE managed_connections SET status = 'ok', failing_since = NULL, consecutive_failures = 0 WHERE name = ?", name);
  } else if (report.verdict === "failing") {
    const error = report.error ?? "failed without saying why";
    if (row.status !== "failing") entries.push({ name, kind: report.kind, change: "failing", detail: error, at: now });
    sql.exec(
      `UPDATE managed_connections SET status = 'failing', failing_since = COALESCE(failing_since, ?), consecutive_failures = consecutive_failures + 1,
         last_error = ?, last_error_at = ? WHERE name = ?`,
      now,
      error,
      now,
      name,
    );
  }
  return entries;
}

/** Proof of life that arrived by another way than a run (a verification event pushed to the Worker). */
export function recordProof(sql: SqlStorage, name: string, proof: string, now: number): void {
  sql.exec("UPDATE managed_connections SET last_proof_at = ?, last_proof = ? WHERE name = ?", now, proof.slice(0, 200), name);
}

/** The state a connection's kind keeps (JSON text), or null: for a receiving route that checks a delivery against it. */
export function connectionState(sql: SqlStorage, name: string): string | null {
  return sql.exec<{ state: string | null }>("SELECT state FROM managed_connections WHERE name = ?", name).toArray()[0]?.state ?? null;
}

/** Every configured connection as /v1/stats shows it (under its source's name); never its state. */
export function connectionViews(sql: SqlStorage): Map<string, ConnectionView> {
  const rows = sql.exec<ConnectionRow>("SELECT * FROM managed_connections WHERE configured = 1").toArray();
  return new Map(
    rows.map((row) => [
      row.name,
      {
        kind: row.kind,
        status: row.status,
        last_proof_at: isoOrNull(row.last_proof_at),
        last_proof: row.last_proof,
        last_error: row.last_error,
        last_error_at: isoOrNull(row.last_error_at),
        failing_since: isoOrNull(row.failing_since),
        last_run_at: isoOrNull(row.last_run_at),
        created_at: isoOrNull(row.created_at),
        renewed_at: isoOrNull(row.renewed_at),
        repaired_at: isoOrNull(row.repaired_at),
        ...(row.details === null ? {} : { details: readDetails(row.details) }),
      },
    ]),
  );
}

/** The kept details (checked when they were recorded); text that no longer parses shows as none. */
function readDetails(text: string): ConnectionDetails | null {
  try {
    const parsed = ConnectionDetailsSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** What /healthz says of the connections: each one failing, why, and where the runbook is. */
export function connectionNotes(sql: SqlStorage): string[] {
  return [...connectionViews(sql)]
    .filter(([, view]) => view.status === "failing")
    .map(
      ([name, view]) =>
        `managed connection ${name} (${view.kind}) failing since ${view.failing_since}: ${clause(view.last_error ?? "")}; see docs/operations.md#a-managed-connection-is-failing`,
    );
}
