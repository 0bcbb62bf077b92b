// What /v1/stats shows of the Entra source, and what /healthz notes about it: an expired or failing
// subscription, a token Microsoft refused, a delta catch-up that fails or had to start over, a pause Graph
// asked for. Errors are the Worker's own words and Graph's status and error code, never a token or secret.
// Every note ends with the runbook link, like the other sources' notes: docs/providers.md's Entra section.
// Contract: synchronous SQLite reads; `now` is passed in.
import type { EntraSource } from "../../domain/entra";
import { clause } from "../../domain/sentence";
import { isoOrNull } from "../../domain/views";
import { REJECTION_PERIOD_MS, recentRejections } from "../rejections/counts";
import { pendingChangeCount } from "./changes";
import { stateRow } from "./subscription";

const RESET_NOTED_FOR_MS = 24 * 3_600_000;
const RUNBOOK = "docs/providers.md#microsoft-entra-id";

export function entraView(sql: SqlStorage, now: number): EntraSource {
  const row = stateRow(sql);
  const refusals = recentRejections(sql, now - REJECTION_PERIOD_MS).by_reason.filter((entry) => entry.source === "entra");
  return {
    last_notification_at: isoOrNull(row.last_notification_at),
    notifications: row.notifications,
    refused_notifications: refusals.reduce((sum, entry) => sum + entry.count, 0),
    caught_by_delta: row.caught_by_delta,
    subscription: {
      id: row.subscription_id,
      expires_at: isoOrNull(row.subscription_expires_at),
      created_at: isoOrNull(row.subscription_created_at),
      last_renewal_at: isoOrNull(row.subscription_renewed_at),
      last_error: row.subscription_error,
      last_error_at: isoOrNull(row.subscription_error_at),
    },
    delta: {
      baseline: row.baseline,
      last_run_at: isoOrNull(row.delta_run_at),
      last_ok_at: isoOrNull(row.delta_ok_at),
      last_error: row.delta_error,
      next_run_at: row.next_link !== null ? isoOrNull(now) : isoOrNull(row.delta_due_at),
      last_reset: row.delta_reset_at === null ? null : { at: new Date(row.delta_reset_at).toISOString(), reason: row.delta_reset_reason ?? "" },
    },
    lookups: {
      pending: pendingChangeCount(sql),
      last_error: row.lookup_error,
      paused_until: isoOrNull(row.paused_until > now ? row.paused_until : 0),
    },
  };
}

export function entraNotes(sql: SqlStorage, now: number): string[] {
  const row = stateRow(sql);
  const at = (ms: number) => new Date(ms).toISOString();
  const notes: string[] = [];
  if (row.subscription_id !== null && (row.subscription_expires_at ?? 0) <= now) {
    notes.push(
      `entra: the Graph subscription expired at ${at(row.subscription_expires_at ?? 0)}: notifications have stopped (the delta catch-up still runs)`,
    );
  } else if (row.subscription_id === null && row.subscription_created_at !== null) {
    notes.push("entra: Graph removed the subscription; the next Cron run creates a new one");
  }
  if (row.subscription_error !== null)
    notes.push(`entra: keeping the Graph subscription failed at ${at(row.subscription_error_at ?? now)}: ${row.subscription_error}`);
  if (row.lookup_error !== null) notes.push(`entra: reading notified users from Graph failed: ${row.lookup_error}`);
  if (row.delta_error !== null) notes.push(`entra: the delta catch-up failed: ${row.delta_error}`);
  else if (row.delta_reset_at !== null && now - row.delta_reset_at < RESET_NOTED_FOR_MS) {
    notes.push(`entra: Graph refused the delta link at ${at(row.delta_reset_at)} (${row.delta_reset_reason}); a new full read was started`);
  }
  if (row.paused_until > now) notes.push(`entra: Graph asked the Worker to wait (429) until ${at(row.paused_until)}`);
  return notes.map((note) => `${clause(note)}; see ${RUNBOOK}`);
}
