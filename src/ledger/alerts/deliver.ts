// Sends the outbox's due alerts to ALERT_WEBHOOK_URL (src/alerts/send.ts), from the ledger, apart from the drain:
// a pass is started in the background when an alert is queued (kick) and by the Cron Trigger every minute,
// which also retries what failed and finds what a restart interrupted. It never holds the drain's loop, its
// in-flight slots or its pace: alerts go to another host, with their own timeout.
// A pass: claim up to PER_PASS due alerts in one transaction (lease them; write a job summary's facts from the
// job as it stands; suppress past the hourly cap), send them side by side, record each outcome in one more.
// - Retries: due 30 s, 1, 2, 4 … minutes apart (a 4xx too: the URL may be fixed meanwhile), at most MAX_ATTEMPTS
//   (about two hours), then failed; /healthz says so. No timer is armed for them (the drain owns the Durable
//   Object's alarm): a due retry waits for the next Cron run or kick, at most a minute.
// - The cap: at most CAP_PER_HOUR alerts sent in any hour. Past it an alert is suppressed, not sent, and once
//   the oldest suppressed one is SUMMARY_AFTER_MS old, one alert counts everything suppressed by kind (it may
//   use the last place under the cap, which other alerts leave to it). A test alert is never suppressed.
// - Bounds: a pass sends at most PER_PASS alerts and a run at most PASSES_PER_RUN passes (subrequests).
// Contract: never throws (a pass that fails is logged, its leases run out, the next pass takes them again).
import { sendAlert } from "../../alerts/send";
import type { Config } from "../../config";
import { type AlertFacts, alertPayload } from "../../domain/alerts";
import { logEvent } from "../../log";
import type { LedgerDeps } from "../deps";
import { countByStatus, failedEmailsOfJob } from "../revocations/records";
import type { AlertRow } from "./schema";

const PER_PASS = 5;
const PASSES_PER_RUN = 4;
const SEND_TIMEOUT_MS = 10_000;
const LEASE_MS = SEND_TIMEOUT_MS + 30_000;
export const MAX_ATTEMPTS = 8;
export const CAP_PER_HOUR = 30;
const HOUR_MS = 60 * 60_000;
const SUMMARY_AFTER_MS = 15 * 60_000;
const RETAIN_MS = 30 * 24 * HOUR_MS;

/** 30 s after the first failure, doubling: 30 s, 1, 2, 4, 8, 16, 32 min. */
export function alertBackoffMs(attempts: number): number {
  return 30_000 * 2 ** Math.max(0, attempts - 1);
}

export type AlertHost = {
  sql: SqlStorage;
  storage: DurableObjectStorage;
  config(): Config;
  deps(): LedgerDeps;
};

type Claimed = { id: string; payload: string };

export class AlertDeliverer {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly host: AlertHost) {}

  /** An alert was queued: a pass starts in the background, or one more follows the pass running. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    void this.deliver();
  }

  /** Runs passes until nothing is due (at most PASSES_PER_RUN); `first` is claimed before any other due alert. */
  async deliver(first?: string): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run(first).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(first: string | undefined): Promise<void> {
    try {
      for (let pass = 0; pass < PASSES_PER_RUN; pass++) {
        this.again = false;
        const config = this.host.config();
        if (config.alertWebhookUrl === null) return;
        const claimed = this.transact((now) => this.claim(now, config, pass === 0 ? first : undefined));
        if (claimed.length === 0 && !this.again) return;
        await Promise.all(claimed.map((alert) => this.send(alert, config)));
      }
    } catch (error) {
      logEvent("alerts.pass_failed", { error: String(error) });
    }
  }

  private transact<T>(work: (now: number) => T): T {
    const now = this.host.deps().clock.now();
    return this.host.storage.transactionSync(() => work(now));
  }

  private async send(alert: Claimed, config: Config): Promise<void> {
    const deps = this.host.deps();
    const outcome = await sendAlert({
      fetch: deps.fetch,
      url: config.alertWebhookUrl!,
      secrets: config.alertWebhookSecrets,
      id: alert.id,
      body: alert.payload,
      timestampSeconds: Math.floor(deps.clock.now() / 1000),
      timeoutMs: SEND_TIMEOUT_MS,
    });
    this.transact((now) => {
      if (outcome.ok) {
        this.host.sql.exec(
          "UPDATE alert_outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, leased_until = 0 WHERE id = ?",
          now,
          alert.id,
        );
        return;
      }
      const { attempts } = this.host.sql.exec<{ attempts: number }>("SELECT attempts + 1 AS attempts FROM alert_outbox WHERE id = ?", alert.id).one();
      this.host.sql.exec(
        `UPDATE alert_outbox SET attempts = ?, last_error = ?, last_error_at = ?, leased_until = 0, due_at = ?,
           state = CASE WHEN ? >= ? THEN 'failed' ELSE state END WHERE id = ?`,
        attempts,
        outcome.error,
        now,
        now + alertBackoffMs(attempts),
        attempts,
        MAX_ATTEMPTS,
        alert.id,
      );
    });
    logEvent(outcome.ok ? "alert.sent" : "alert.failed", { id: alert.id, ...(outcome.ok ? { status: outcome.status } : { error: outcome.error }) });
  }

  /** Leases the due alerts this pass sends (suppressing past the cap) and answers them with their payloads. */
  private claim(now: number, config: Config, first: string | undefined): Claimed[] {
    const { sql } = this.host;
    summarizeSuppressed(sql, now);
    const due = sql
      .exec<AlertRow>(
        `SELECT * FROM alert_outbox WHERE state IN ('pending', 'gathering') AND due_at <= ? AND leased_until <= ?
         ORDER BY id = ? DESC, kind = 'suppressed' DESC, due_at LIMIT ?`,
        now,
        now,
        first ?? "",
        PER_PASS,
      )
      .toArray();
    let sent = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM alert_outbox WHERE state = 'sent' AND sent_at > ?", now - HOUR_MS).one().n;
    const claimed: Claimed[] = [];
    for (const row of due) {
      // The last place under the cap is the suppressed summary's.
      const room = row.kind === "suppressed" ? CAP_PER_HOUR : CAP_PER_HOUR - 1;
      if (row.kind !== "test" && sent >= room) {
        sql.exec("UPDATE alert_outbox SET state = 'suppressed', suppressed_at = ? WHERE id = ?", now, row.id);
        logEvent("alert.suppressed", { id: row.id, kind: row.kind });
        continue;
      }
      const facts = row.job_id !== null && row.state === "gathering" ? jobSummaryFacts(sql, row.job_id) : (JSON.parse(row.facts) as AlertFacts);
      const payload = row.payload ?? JSON.stringify(alertPayload(facts, { id: row.id, at: row.created_at, worker: config.publicUrl }));
      sql.exec(
        "UPDATE alert_outbox SET state = 'pending', facts = ?, payload = ?, leased_until = ? WHERE id = ?",
        JSON.stringify(facts),
        payload,
        now + LEASE_MS,
        row.id,
      );
      claimed.push({ id: row.id, payload });
      sent++;
    }
    return claimed;
  }

  /** The Cron's part: forgets what is older than 30 days and is done with, then runs a pass (retries included). */
  async onCron(): Promise<void> {
    this.transact((now) =>
      this.host.sql.exec("DELETE FROM alert_outbox WHERE state IN ('sent', 'failed', 'suppressed') AND created_at < ?", now - RETAIN_MS),
    );
    await this.deliver();
  }
}

/** A bulk job's summary as it stands: its revocations by status, and a few of those that failed. */
function jobSummaryFacts(sql: SqlStorage, jobId: string): AlertFacts {
  const byStatus = countByStatus(sql, jobId);
  const total = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  return {
    kind: "job_failures",
    job_id: jobId,
    total,
    failed: byStatus.failed ?? 0,
    still_active: byStatus.still_active ?? 0,
    open: (byStatus.queued ?? 0) + (byStatus.unresolved ?? 0),
    examples: failedEmailsOfJob(sql, jobId, 3),
  };
}

/** Once the oldest alert suppressed and not yet counted is SUMMARY_AFTER_MS old, one alert counts them all. */
function summarizeSuppressed(sql: SqlStorage, now: number): void {
  const rows = sql
    .exec<{ kind: string; suppressed_at: number }>("SELECT kind, suppressed_at FROM alert_outbox WHERE state = 'suppressed' AND summarized = 0")
    .toArray();
  if (rows.length === 0) return;
  const since = Math.min(...rows.map((row) => row.suppressed_at));
  if (now - since < SUMMARY_AFTER_MS) return;
  const byKind: Record<string, number> = {};
  for (const row of rows) byKind[row.kind] = (byKind[row.kind] ?? 0) + 1;
  const facts: AlertFacts = { kind: "suppressed", count: rows.length, by_kind: byKind, since: new Date(since).toISOString(), cap: CAP_PER_HOUR };
  sql.exec(
    "INSERT INTO alert_outbox (id, kind, topic, facts, state, created_at, due_at) VALUES (?, 'suppressed', ?, ?, 'pending', ?, ?)",
    `alrt_${crypto.randomUUID().replace(/-/g, "")}`,
    `suppressed:${now}`,
    JSON.stringify(facts),
    now,
    now,
  );
  sql.exec("UPDATE alert_outbox SET summarized = 1 WHERE state = 'suppressed' AND summarized = 0");
}
