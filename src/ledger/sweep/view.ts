// What the ledger shows of the reconciliation sweep: /v1/stats `reconcile` (its settings, the sweep in
// progress and the last one, the next, open returns) and what /healthz notes (returns not acknowledged,
// the sweep off after a refused token). Contract: synchronous SQLite reads; `now` is passed in.
import type { Config } from "../../config";
import { isoOrNull, type ReconcileView, type SweepView } from "../../domain/views";
import { openReturns } from "../revocations/returns";
import { lastFinishedSweep, latestSweep, nextSweepAt, sweepAccounts } from "./runs";
import type { SweepRow } from "./schema";

const LISTED_RETURNS = 20;

function sweepView(sql: SqlStorage, sweep: SweepRow): SweepView {
  return {
    id: sweep.id,
    trigger: sweep.trigger,
    started_at: new Date(sweep.started_at).toISOString(),
    finished_at: isoOrNull(sweep.finished_at),
    status: sweep.status,
    users_seen: sweep.users_seen,
    returns_found: sweep.returns_found,
    revoked_again: sweep.revoked_again,
    list_changed: sweep.list_changed === 1,
    detail: sweep.detail,
    accounts: sweepAccounts(sql, sweep.id).map(({ target, state, page, pages_read, users_seen, returns_found, total_count, detail }) => ({
      target,
      state,
      page,
      pages_read,
      users_seen,
      returns_found,
      total_count,
      detail,
    })),
  };
}

export function reconcileView(
  sql: SqlStorage,
  settings: Pick<Config, "reconcileEveryHours" | "reconcileRevokeReturns" | "dryRun">,
  now: number,
): ReconcileView {
  const latest = latestSweep(sql);
  const last = lastFinishedSweep(sql);
  const open = openReturns(sql, LISTED_RETURNS);
  const offUntil = last && last.off_until > now ? last.off_until : 0;
  return {
    every_hours: settings.reconcileEveryHours,
    revoke_returns: settings.reconcileRevokeReturns,
    dry_run: settings.dryRun,
    running: latest?.status === "running" ? sweepView(sql, latest) : null,
    last: last && sweepView(sql, last),
    next_at: settings.dryRun ? null : isoOrNull(nextSweepAt(latest, settings.reconcileEveryHours, now)),
    off_until: isoOrNull(offUntil),
    returns: {
      unacknowledged: open.count,
      oldest: open.returns.map((row) => ({ id: row.id, email: row.email, returned_at: new Date(row.returned_at).toISOString(), detail: row.detail })),
    },
  };
}

/** What /healthz should say: people back after their revocation, and a sweep switched off by a refused token. */
export function sweepNotes(sql: SqlStorage, now: number): string[] {
  const notes: string[] = [];
  const open = openReturns(sql, 5);
  if (open.count > 0) {
    const named = open.returns.map((row) => `${row.id} (${row.email ?? "no email"}, back at ${new Date(row.returned_at).toISOString()})`).join(", ");
    notes.push(
      `RECONCILE: ${open.count} person(s) came back after their revocation: ${named}${open.count > open.returns.length ? ", …" : ""}; act in the identity provider, then acknowledge each: POST /v1/revocations/{id}/acknowledge`,
    );
  }
  const last = lastFinishedSweep(sql);
  if (last && last.off_until > now) {
    notes.push(
      `RECONCILE_EVERY_HOURS: the sweep is off until ${new Date(last.off_until).toISOString()}: Cloudflare refused the API token reading Access users (give it Access: Audit Logs Read); revocations are not affected`,
    );
  }
  return notes;
}
