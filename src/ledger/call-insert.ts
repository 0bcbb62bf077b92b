// The one way a row enters the calls table: a revocation's calls (revocations.ts) and its follow-ups
// (follow-up-plan.ts, dispatch.ts) alike, so the columns a new call starts with are written in one place.
// Its own module because revocations.ts is below calls.ts (calls settle revocations through it).
// Contract: synchronous SQLite, inside the caller's transaction.
import type { CallKind } from "../domain/revocation";
import type { Lane } from "./lanes";

/** A new call of `kind` for a revocation and target (a key that exists is left as it is: once per kind). */
export function insertCall(
  sql: SqlStorage,
  call: { seq: number; target: string; kind: CallKind; dueAt: number; lane: Lane; group: string; payload?: unknown; skipped?: string },
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
    call.skipped ? call.dueAt : null,
  );
}
