// Alerts enter the outbox (table alert_outbox) in the transaction of what they are about: a revocation settled
// failed, a verification that found the person still active, a target held, a managed connection failing or
// recovered, a source silent. The outbox is the ledger's, so an alert is never lost to a restart; it is sent
// by deliver.ts, never by the code that queued it, so queueing costs a revocation one INSERT.
// De-duplication: one alert per topic within a window (a target's hold once in HELD_WINDOW_MS, however often
// its probe is refused again; a revocation's failure once per attempt count). A bulk job's failures and
// still-active findings are gathered into one summary per job (job_failures), sent when the job has nothing
// open or JOB_QUIET_MS after its last failure, at most JOB_MAX_GATHER_MS after its first: a layoff's 500
// failures are one message, not 500.
// Contract: synchronous SQLite, inside the caller's transaction; `now` is passed in. The caller queues only
// when ALERT_WEBHOOK_URL is set.
import type { AlertFacts } from "../../domain/alerts";
import { jobHasOpen, rowBySeq } from "../revocations/records";

const HELD_WINDOW_MS = 6 * 60 * 60_000;
export const JOB_QUIET_MS = 2 * 60_000;
const JOB_MAX_GATHER_MS = 15 * 60_000;

const newAlertId = () => `alrt_${crypto.randomUUID().replace(/-/g, "")}`;

/** Queues `facts` unless an alert of `topic` was queued within `withinMs`; answers its id, or null when deduplicated. */
function queueAlert(sql: SqlStorage, facts: AlertFacts, options: { topic: string; withinMs: number; now: number }): string | null {
  const since = options.withinMs === Number.POSITIVE_INFINITY ? 0 : options.now - options.withinMs;
  const seen = sql.exec("SELECT 1 FROM alert_outbox WHERE topic = ? AND created_at >= ? LIMIT 1", options.topic, since).toArray().length > 0;
  if (seen) return null;
  const id = newAlertId();
  sql.exec(
    "INSERT INTO alert_outbox (id, kind, topic, facts, state, created_at, due_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
    id,
    facts.kind,
    options.topic,
    JSON.stringify(facts),
    options.now,
    options.now,
  );
  return id;
}

/**
 * A bulk job's failure (or still-active finding) joins its gathering summary, or starts one. Its facts are
 * written when it is sent (deliver.ts: jobSummaryFacts), from the job as it stands then. Answers whether the
 * summary is due now (the job has nothing open).
 */
function gatherJob(sql: SqlStorage, jobId: string, now: number): boolean {
  // Whether anything is open, not how much: this runs for every failure of a job, inside the drain's transaction.
  const open = jobHasOpen(sql, jobId) ? 1 : 0;
  const gathering = sql
    .exec<{ id: string; created_at: number }>("SELECT id, created_at FROM alert_outbox WHERE state = 'gathering' AND job_id = ?", jobId)
    .toArray()[0];
  if (gathering) {
    const dueAt = open === 0 ? now : Math.min(now + JOB_QUIET_MS, gathering.created_at + JOB_MAX_GATHER_MS);
    sql.exec("UPDATE alert_outbox SET due_at = ? WHERE id = ?", dueAt, gathering.id);
    return open === 0;
  }
  sql.exec(
    "INSERT INTO alert_outbox (id, kind, topic, facts, job_id, state, created_at, due_at) VALUES (?, 'job_failures', ?, '{}', ?, 'gathering', ?, ?)",
    newAlertId(),
    `job:${jobId}`,
    jobId,
    now,
    open === 0 ? now : now + JOB_QUIET_MS,
  );
  return open === 0;
}

// Each answers whether an alert is due to be sent now (the caller has a pass started).

/** A revocation settled failed: its alert, or its job's summary. */
export function alertFailedRevocation(sql: SqlStorage, seq: number, now: number): boolean {
  const row = rowBySeq(sql, seq);
  if (!row) return false;
  if (row.job_id) return gatherJob(sql, row.job_id, now);
  const facts: AlertFacts = { kind: "revocation_failed", revocation_id: row.id, email: row.email, source: row.source, error: row.last_error };
  return queueAlert(sql, facts, { topic: `failed:${row.id}:${row.attempts}`, withinMs: Number.POSITIVE_INFINITY, now }) !== null;
}

/** A verification found the person still active at `target`: its alert, or its job's summary. */
export function alertStillActive(sql: SqlStorage, seq: number, target: string, detail: string, now: number): boolean {
  const row = rowBySeq(sql, seq);
  if (!row) return false;
  if (row.job_id) return gatherJob(sql, row.job_id, now);
  const facts: AlertFacts = { kind: "still_active", revocation_id: row.id, email: row.email, source: row.source, target, detail };
  return queueAlert(sql, facts, { topic: `still_active:${row.id}:${target}`, withinMs: Number.POSITIVE_INFINITY, now }) !== null;
}

/** Cloudflare refused the token at `target`, which is now held: once per HELD_WINDOW_MS for a target. */
export function alertHeldTarget(sql: SqlStorage, target: string, reason: string, until: number, now: number): boolean {
  const facts: AlertFacts = { kind: "target_held", target, reason, until: new Date(until).toISOString() };
  return queueAlert(sql, facts, { topic: `held:${target}`, withinMs: HELD_WINDOW_MS, now }) !== null;
}

/** A managed connection started failing or recovered: every change of status is told. */
export function alertConnection(
  sql: SqlStorage,
  change: { name: string; kind: string; change: "failing" | "recovered"; detail: string },
  now: number,
): void {
  const facts: AlertFacts =
    change.change === "failing"
      ? { kind: "connection_failing", connection: change.name, connection_kind: change.kind, error: change.detail }
      : { kind: "connection_recovered", connection: change.name, connection_kind: change.kind, detail: change.detail };
  queueAlert(sql, facts, { topic: `connection:${change.name}:${change.change}:${now}`, withinMs: 0, now });
}

/** A source passed its silence threshold (once per silence: ledger/deliveries/ tells each once). */
export function alertSilentSource(sql: SqlStorage, silent: { source: string; hours: number; since: number }, now: number): void {
  const facts: AlertFacts = { kind: "source_silent", source: silent.source, hours: silent.hours, since: new Date(silent.since).toISOString() };
  queueAlert(sql, facts, { topic: `silent:${silent.source}:${silent.since}`, withinMs: Number.POSITIVE_INFINITY, now });
}

/** An operator's test alert (POST /v1/alerts/test): always queued. */
export function queueTestAlert(sql: SqlStorage, now: number): string {
  const facts: AlertFacts = { kind: "test", requested_at: new Date(now).toISOString() };
  return queueAlert(sql, facts, { topic: `test:${crypto.randomUUID()}`, withinMs: 0, now })!;
}
