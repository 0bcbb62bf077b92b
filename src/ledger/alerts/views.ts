// What /v1/stats (`alerts`) and /healthz say of the alerts: where they go (the host only: a Slack webhook's
// path is its credential), how many wait, were sent, failed for good or were suppressed (over the 30 days
// the outbox keeps), the last one sent and the last error; and a note while they cannot be delivered.
// Contract: synchronous SQLite reads; `now` is passed in.
import type { Config } from "../../config";
import { type AlertsView, isoOrNull } from "../../domain/views";

type Figures = { pending: number; sent: number; failed: number; suppressed: number; last_sent_at: number | null; last_error_at: number | null };

function figuresOf(sql: SqlStorage): Figures {
  return sql
    .exec<Figures>(
      `SELECT COUNT(CASE WHEN state IN ('pending', 'gathering') THEN 1 END) AS pending, COUNT(CASE WHEN state = 'sent' THEN 1 END) AS sent,
         COUNT(CASE WHEN state = 'failed' THEN 1 END) AS failed, COUNT(CASE WHEN state = 'suppressed' THEN 1 END) AS suppressed,
         MAX(sent_at) AS last_sent_at, MAX(last_error_at) AS last_error_at FROM alert_outbox`,
    )
    .one();
}

function lastError(sql: SqlStorage): string | null {
  return (
    sql
      .exec<{ last_error: string }>("SELECT last_error FROM alert_outbox WHERE last_error IS NOT NULL ORDER BY last_error_at DESC LIMIT 1")
      .toArray()[0]?.last_error ?? null
  );
}

export function alertsView(sql: SqlStorage, config: Config): AlertsView {
  const figures = figuresOf(sql);
  return {
    destination: config.alertWebhookUrl === null ? null : new URL(config.alertWebhookUrl).host,
    signed: config.alertWebhookSecrets.length > 0,
    pending: figures.pending,
    sent: figures.sent,
    failed: figures.failed,
    suppressed: figures.suppressed,
    last_sent_at: isoOrNull(figures.last_sent_at),
    last_error: lastError(sql),
    last_error_at: isoOrNull(figures.last_error_at),
  };
}

/** A note while the last attempt failed (after the last success), and for alerts failed for good in the last day. */
export function alertNotes(sql: SqlStorage, config: Config, now: number): string[] {
  if (config.alertWebhookUrl === null) return [];
  const notes: string[] = [];
  const view = alertsView(sql, config);
  const failing = view.last_error_at !== null && (view.last_sent_at === null || view.last_sent_at < view.last_error_at);
  if (failing && view.pending > 0) {
    notes.push(
      `ALERT_WEBHOOK_URL: alerts to ${view.destination} cannot be delivered (last at ${view.last_error_at}: ${view.last_error}); ${view.pending} wait and are retried; see docs/operations.md#alerts-are-not-delivered`,
    );
  }
  const failedToday = sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM alert_outbox WHERE state = 'failed' AND last_error_at > ?", now - 86_400_000)
    .one().n;
  if (failedToday > 0) {
    notes.push(
      `ALERT_WEBHOOK_URL: ${failedToday} alert(s) could not be delivered after every retry in the last day; see docs/operations.md#alerts-are-not-delivered`,
    );
  }
  return notes;
}
