// Reconciliation sweeps as rows (tables sweeps, sweep_accounts): starting one (its accounts and their first
// page's call), when the next is due, each account's cursor, and the end of a sweep once every account is
// read, with its audit entry. Contract: synchronous SQLite, inside the caller's transaction; `now` is passed in.
import { sweepEntry } from "../../audit/audit-log";
import { logEvent } from "../../log";
import { appendAuditEntry } from "../audit/chain";
import type { Lane } from "../calls/lanes";
import { queueSweepPage, SWEEP_GROUP, SWEEP_LANE } from "../calls/sweep-calls";
import type { SweepAccountRow, SweepRow } from "./schema";

/** After the API refused the token for Access users: no sweep for this long (then one is tried again). */
const SWEEP_OFF_MS = 60 * 60_000;

export function latestSweep(sql: SqlStorage): SweepRow | null {
  return sql.exec<SweepRow>("SELECT * FROM sweeps ORDER BY id DESC LIMIT 1").toArray()[0] ?? null;
}

export function lastFinishedSweep(sql: SqlStorage): SweepRow | null {
  return sql.exec<SweepRow>("SELECT * FROM sweeps WHERE status != 'running' ORDER BY id DESC LIMIT 1").toArray()[0] ?? null;
}

export function sweepAccounts(sql: SqlStorage, sweepId: number): SweepAccountRow[] {
  return sql.exec<SweepAccountRow>("SELECT * FROM sweep_accounts WHERE sweep_id = ? ORDER BY target", sweepId).toArray();
}

export function sweepAccount(sql: SqlStorage, sweepId: number, target: string): SweepAccountRow | null {
  return sql.exec<SweepAccountRow>("SELECT * FROM sweep_accounts WHERE sweep_id = ? AND target = ?", sweepId, target).toArray()[0] ?? null;
}

/**
 * When the next scheduled sweep is due: RECONCILE_EVERY_HOURS after the last one started, or, after one the
 * API refused the token for, when its hour off ends. Null when sweeps are off (0 hours) or one is running.
 */
export function nextSweepAt(latest: SweepRow | null, everyHours: number, now: number): number | null {
  if (everyHours <= 0 || latest?.status === "running") return null;
  if (latest === null) return now;
  if (latest.off_until > 0) return latest.off_until;
  return latest.started_at + everyHours * 3_600_000;
}

export type SweepStart = { sweep: SweepRow; started: boolean; queued: { lane: Lane; group: string }[] };

/**
 * Starts a sweep of `accounts` ("accounts/<id>"), one page call each, unless one is running (answered as it
 * is). A sweep with no account to read ends at once.
 */
export function startSweep(sql: SqlStorage, accounts: string[], trigger: "schedule" | "operator", now: number): SweepStart {
  const running = latestSweep(sql);
  if (running?.status === "running") return { sweep: running, started: false, queued: [] };
  const id = sql
    .exec<{ id: number }>("INSERT INTO sweeps (trigger, started_at, status) VALUES (?, ?, 'running') RETURNING id", trigger, now)
    .one().id;
  for (const target of accounts) {
    sql.exec("INSERT INTO sweep_accounts (sweep_id, target, state, page) VALUES (?, ?, 'reading', 1)", id, target);
    queueSweepPage(sql, target, { sweep_id: id, page: 1 }, now);
  }
  logEvent("sweep.started", { sweep_id: id, trigger, accounts: accounts.length });
  if (accounts.length === 0) finishSweepIfRead(sql, id, now, "no account to sweep: ACCESS_ACCOUNT_ID names none (zones have no Access users)");
  return { sweep: latestSweep(sql)!, started: true, queued: accounts.length > 0 ? [{ lane: SWEEP_LANE, group: SWEEP_GROUP }] : [] };
}

/** What a page came to: what it read and found, and the page to read next (null: the account is done). */
export type PageRead = {
  users: number;
  returns: number;
  revokedAgain: number;
  totalCount: number | null;
  nextPage: number | null;
  resumePage: number | null;
  listChanged: boolean;
};

/** An account's progress after a page. */
export function notePage(sql: SqlStorage, account: SweepAccountRow, read: PageRead): void {
  sql.exec(
    `UPDATE sweep_accounts SET page = ?, pages_read = pages_read + 1, users_seen = users_seen + ?, returns_found = returns_found + ?,
       total_count = COALESCE(?, total_count), resume_page = ?, state = ? WHERE sweep_id = ? AND target = ?`,
    read.nextPage ?? account.page,
    read.users,
    read.returns,
    read.totalCount,
    read.resumePage,
    read.nextPage === null ? "done" : "reading",
    account.sweep_id,
    account.target,
  );
  sql.exec(
    `UPDATE sweeps SET users_seen = users_seen + ?, returns_found = returns_found + ?, revoked_again = revoked_again + ?,
       list_changed = MAX(list_changed, ?) WHERE id = ?`,
    read.users,
    read.returns,
    read.revokedAgain,
    read.listChanged ? 1 : 0,
    account.sweep_id,
  );
}

/** An account could not be read to the end; `refused`: the API refused the token, so sweeps are off for an hour. */
export function failAccount(sql: SqlStorage, account: SweepAccountRow, error: string, refused: boolean, now: number): void {
  sql.exec("UPDATE sweep_accounts SET state = 'failed', detail = ? WHERE sweep_id = ? AND target = ?", error, account.sweep_id, account.target);
  if (refused) sql.exec("UPDATE sweeps SET off_until = ? WHERE id = ?", now + SWEEP_OFF_MS, account.sweep_id);
}

/** Ends a running sweep whose accounts can no longer be read (DRY_RUN was turned on); answers whether one was. */
export function stopRunningSweep(sql: SqlStorage, now: number, reason: string): boolean {
  const running = latestSweep(sql);
  if (running?.status !== "running") return false;
  sql.exec("UPDATE sweep_accounts SET state = 'failed', detail = ? WHERE sweep_id = ? AND state = 'reading'", reason, running.id);
  return finishSweepIfRead(sql, running.id, now);
}

/** Ends the sweep once no account is still being read: done, or failed if any account failed; audited. Answers whether it ended. */
export function finishSweepIfRead(sql: SqlStorage, sweepId: number, now: number, detail: string | null = null): boolean {
  const accounts = sweepAccounts(sql, sweepId);
  if (accounts.some((account) => account.state === "reading")) return false;
  const failed = accounts.filter((account) => account.state === "failed");
  const why = detail ?? (failed.length > 0 ? failed.map((account) => `${account.target}: ${account.detail ?? "failed"}`).join("; ") : null);
  sql.exec(
    "UPDATE sweeps SET status = ?, finished_at = ?, detail = ? WHERE id = ? AND status = 'running'",
    failed.length > 0 ? "failed" : "done",
    now,
    why,
    sweepId,
  );
  const sweep = sql.exec<SweepRow>("SELECT * FROM sweeps WHERE id = ?", sweepId).one();
  appendAuditEntry(sql, sweepEntry({ ...sweep, accounts }), now);
  logEvent("sweep.finished", { sweep_id: sweepId, status: sweep.status, users_seen: sweep.users_seen, returns_found: sweep.returns_found });
  return true;
}
