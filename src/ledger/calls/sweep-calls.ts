// The reconciliation sweep's calls in the calls table (issue #23): one per account, kind "sweep_page", in the
// follow-up lane (group "sweep"), so the drain sends them at its pace with only what no revocation or
// follow-up is waiting for, and paces, leases, retries and pauses them like any call. They belong to no
// revocation: revocation_seq is SWEEP_SEQ (0; revocation seqs start at 1). Each reads one page; after its
// answer it is queued again for the next page, so an account's sweep is one row however many users it has.
// What a page means is ledger/sweep/'s. Contract: synchronous SQLite, inside the caller's transaction.
import type { Lane } from "./lanes";

const SWEEP_SEQ = 0;
export const SWEEP_LANE: Lane = "follow_up";
export const SWEEP_GROUP = "sweep";

/** The page a sweep call reads next, the sweep it belongs to, and after a page read again, where to go on from (the call's payload). */
export type SweepPagePayload = { sweep_id: number; page: number; resume?: number };

/** Queues (or queues again) the account's sweep call for `payload`'s page, due at `dueAt`, with a fresh count of attempts. */
export function queueSweepPage(sql: SqlStorage, target: string, payload: SweepPagePayload, dueAt: number): void {
  sql.exec(
    `INSERT INTO calls (revocation_seq, target, kind, state, next_attempt_at, lane, grp, payload)
     VALUES (?, ?, 'sweep_page', 'pending', ?, ?, ?, ?)
     ON CONFLICT (revocation_seq, target, kind) DO UPDATE SET state = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at,
       payload = excluded.payload, history = '[]', leased = 0, completed_at = NULL, result = NULL, http_status = NULL, errors = NULL,
       request = NULL`,
    SWEEP_SEQ,
    target,
    dueAt,
    SWEEP_LANE,
    SWEEP_GROUP,
    JSON.stringify(payload),
  );
}
