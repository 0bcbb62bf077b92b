// The calls table as a queue: one call per revocation, Cloudflare target and kind (the revocation itself,
// then its follow-ups), in a lane and group (lanes.ts). This is the one way a row enters the table, and
// what the drain asks of it: which groups wait, each group's oldest due call, when the next one is due.
// Contract: synchronous SQLite, inside the caller's transaction; `now` is passed in. A call's revocation is
// never written here (revocations/ settles it from its calls' states).
import type { CallKind } from "../../domain/revocation";
import type { Lane } from "./lanes";
import type { CallRow } from "./schema";

/** A call that is due, with what sending it needs from its revocation. */
export type DueCall = CallRow & { email: string; user_uid: string | null; devices: number; warp_session_reauth: number; queued_at: number };

export const callKey = (call: Pick<CallRow, "revocation_seq" | "target" | "kind">) => `${call.revocation_seq}/${call.target}/${call.kind}`;

/** Whether a kind is a revoke_user call (the revocation itself, or the one a verification asks for). */
export const isRevokeKind = (kind: CallKind) => kind === "revoke" || kind === "re_revoke";

/** A new call of `kind` for a revocation and target (a key that exists is left as it is: once per kind). */
export function insertCall(
  sql: SqlStorage,
  call: { seq: number; target: string; kind: CallKind; dueAt: number; lane: Lane; group: string; payload?: unknown; skipped?: string },
  /** When a skipped call was recorded (its completed_at): now, while its due time stays in next_attempt_at. */
  now = call.dueAt,
): void {
  sql.exec(
    `INSERT INTO calls (revocation_seq, target, kind, state, next_attempt_at, lane, grp, payload, result, completed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    call.seq,
    call.target,
    call.kind,
    call.skipped ? "skipped" : "pending",
    call.dueAt,
    call.lane,
    call.group,
    call.payload === undefined ? null : JSON.stringify(call.payload),
    call.skipped ? JSON.stringify({ outcome: "skipped", detail: call.skipped }) : null,
    call.skipped ? now : null,
  );
}

/** The lanes and groups that have pending calls, and how many (lanes.ts takes turns among them; jobs/ counts a job's). */
export function pendingGroups(sql: SqlStorage): { lane: Lane; group: string; pending: number }[] {
  return sql
    .exec<{ lane: Lane; grp: string; n: number }>("SELECT lane, grp, COUNT(*) AS n FROM calls WHERE state = 'pending' GROUP BY lane, grp")
    .toArray()
    .map((row) => ({ lane: row.lane, group: row.grp, pending: row.n }));
}

/**
 * A group's oldest due call (earliest due, then oldest revocation), skipping held targets, the targets in
 * `waiting` (their token has no pace to spare now) and the calls this instance has in flight (their lease is
 * for an evicted instance, not for this one). A call of no revocation (the sweep's, sweep-calls.ts) reads as
 * one of nobody, queued when it became due.
 */
export function dueHead(
  sql: SqlStorage,
  lane: Lane,
  group: string,
  now: number,
  inFlight: ReadonlySet<string>,
  waiting: readonly string[] = [],
): DueCall | null {
  const rows = sql
    .exec<DueCall>(
      `SELECT c.*, COALESCE(r.email, '') AS email, r.user_uid, COALESCE(r.devices, 0) AS devices,
         COALESCE(r.warp_session_reauth, 0) AS warp_session_reauth, COALESCE(r.queued_at, c.next_attempt_at) AS queued_at
       FROM calls c LEFT JOIN revocations r ON r.seq = c.revocation_seq
       WHERE c.state = 'pending' AND c.lane = ? AND c.grp = ? AND c.next_attempt_at <= ?
         AND c.target NOT IN (SELECT target FROM target_holds WHERE until > ?)
         AND c.target NOT IN (SELECT value FROM json_each(?))
       ORDER BY c.next_attempt_at, c.revocation_seq LIMIT ?`,
      lane,
      group,
      now,
      now,
      JSON.stringify(waiting),
      1 + inFlight.size,
    )
    .toArray();
  return rows.find((row) => !inFlight.has(callKey(row))) ?? null;
}

/** Pending calls per lane (what waits in each). */
export function pendingByLane(sql: SqlStorage): Record<Lane, number> {
  const counts: Record<Lane, number> = { urgent: 0, bulk: 0, follow_up: 0 };
  for (const row of sql.exec<{ lane: Lane; n: number }>("SELECT lane, COUNT(*) AS n FROM calls WHERE state = 'pending' GROUP BY lane")) {
    counts[row.lane] = row.n;
  }
  return counts;
}

/**
 * When each target's next pending call becomes due, after its hold (targets with nothing pending are absent).
 * Follow-ups still to plan are due as soon as their revocation succeeded (planned when nothing else waits).
 */
export function earliestDueByTarget(sql: SqlStorage): Map<string, number> {
  const rows = sql.exec<{ target: string; at: number }>(
    `SELECT target, MIN(at) AS at FROM (
       SELECT c.target, MAX(c.next_attempt_at, COALESCE(h.until, 0)) AS at
       FROM calls c LEFT JOIN target_holds h ON h.target = c.target WHERE c.state = 'pending'
       UNION ALL
       SELECT target, completed_at AS at FROM calls WHERE follow_ups_due IS NOT NULL
     ) GROUP BY target`,
  );
  return new Map(rows.toArray().map((row) => [row.target, row.at]));
}

export function pendingCount(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM calls WHERE state = 'pending'").one().n;
}

/** The targets a job's pending calls wait at, each with its hold in force (null: none). */
export function pendingTargetsOfJob(sql: SqlStorage, jobId: string, now: number): { target: string; until: number | null; reason: string | null }[] {
  return sql
    .exec<{ target: string; until: number | null; reason: string | null }>(
      `SELECT c.target, h.until, h.reason FROM calls c JOIN revocations r ON r.seq = c.revocation_seq
       LEFT JOIN target_holds h ON h.target = c.target AND h.until > ?
       WHERE r.job_id = ? AND c.state = 'pending' GROUP BY c.target`,
      now,
      jobId,
    )
    .toArray();
}
