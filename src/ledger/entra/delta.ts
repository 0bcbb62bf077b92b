// The delta catch-up as the ledger keeps it (entra_state's delta columns): where the next read starts (a
// nextLink mid-round, else the deltaLink of the last round, else nothing: a full read), whether the first full
// read (the baseline) is done, when the next round is due, and what each page decided (users.ts).
// - The first full read revokes no one (every disabled user is recorded as decided). A full read after Graph
//   refused the delta link (410 Gone or syncStateNotFound: the link expired, or Graph reset the tenant's sync)
//   is a resync: it decides like any delta, so someone disabled while no delta could run, and not already
//   decided, is revoked and counted as caught.
// - A `missed` lifecycle notification makes the next round due at once.
// Contract: synchronous SQLite, inside the caller's transaction; `now` is passed in.
import type { UserSighting } from "../../domain/entra";
import type { CommitReceipt } from "../../domain/revocation";
import type { CommitContext } from "../store/context";
import { stateRow } from "./subscription";
import { applySighting } from "./users";

/** Where the round goes on from (null: a full read), and whether it is the first one. */
export type DeltaClaim = { link: string | null; baseline: boolean };

/** One page of a round: its users, and where the next page is, or the link of the next round. */
export type DeltaPage = { sightings: UserSighting[]; nextLink: string | null; deltaLink: string | null };

export function claimDelta(sql: SqlStorage, now: number, leaseMs: number): DeltaClaim | null {
  const row = stateRow(sql);
  if (row.delta_until > now || row.paused_until > now) return null;
  // Mid-round (a nextLink) the round goes on at every run; otherwise it waits until due.
  if (row.next_link === null && row.delta_due_at > now) return null;
  sql.exec("UPDATE entra_state SET delta_until = ?, delta_run_at = ? WHERE id = 1", now + leaseMs, now);
  const baseline = row.baseline !== "done";
  if (row.baseline === "pending") sql.exec("UPDATE entra_state SET baseline = 'running' WHERE id = 1");
  return { link: row.next_link ?? row.delta_link, baseline };
}

/** Applies one page in one transaction; answers the revocations it made and how many were catches. */
export function applyDeltaPage(context: CommitContext, page: DeltaPage, everyMs: number): { receipts: CommitReceipt[]; caught: number } {
  const { sql, now } = context;
  const row = stateRow(sql);
  const via = row.baseline === "done" ? "delta" : "baseline";
  const receipts: CommitReceipt[] = [];
  let caught = 0;
  for (const sighting of page.sightings) {
    const outcome = applySighting(context, sighting, via);
    if (outcome.receipt) receipts.push(outcome.receipt);
    if (outcome.caught) caught++;
  }
  if (page.deltaLink !== null) {
    sql.exec(
      `UPDATE entra_state SET delta_link = ?, next_link = NULL, baseline = 'done', delta_ok_at = ?, delta_error = NULL,
         delta_due_at = ?, delta_until = 0, caught_by_delta = caught_by_delta + ? WHERE id = 1`,
      page.deltaLink,
      now,
      now + everyMs,
      caught,
    );
  } else {
    sql.exec("UPDATE entra_state SET next_link = ?, caught_by_delta = caught_by_delta + ? WHERE id = 1", page.nextLink, caught);
  }
  return { receipts, caught };
}

/** The round stopped (an error, or the run's budget spent): the lease ends; a nextLink is kept to go on from. */
export function endDeltaRun(sql: SqlStorage, error: string | null, retryAt: number): void {
  sql.exec(
    "UPDATE entra_state SET delta_until = 0, delta_error = ?, delta_due_at = CASE WHEN ? IS NULL THEN delta_due_at ELSE ? END WHERE id = 1",
    error?.slice(0, 500) ?? null,
    error,
    retryAt,
  );
}

/** Graph refused the link: the next round is a full read (a resync, deciding like a delta, once a baseline is done). */
export function resetDelta(sql: SqlStorage, reason: string, now: number): void {
  sql.exec(
    `UPDATE entra_state SET delta_link = NULL, next_link = NULL, delta_reset_at = ?, delta_reset_reason = ?, delta_error = ?, delta_due_at = ?, delta_until = 0 WHERE id = 1`,
    now,
    reason.slice(0, 500),
    `the delta link was refused (${reason.slice(0, 200)}); a new full read starts`,
    now,
  );
}

/** A `missed` lifecycle notification: some notifications were not delivered, so the next round is due now. */
export function deltaNow(sql: SqlStorage): void {
  stateRow(sql);
  sql.exec("UPDATE entra_state SET delta_due_at = 0 WHERE id = 1");
}
