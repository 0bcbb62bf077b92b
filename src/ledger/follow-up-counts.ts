// How the follow-ups stand (seat removal, verification), over the whole ledger or one job.
// Contract: synchronous SQLite reads.
import type { FollowUpCounts } from "../domain/views";

type Counts = Record<string, number>;

/** Counts by what each follow-up came to: seats removed, no Access user, …; verified, still active, … */
export function followUpCounts(sql: SqlStorage, jobId?: string): FollowUpCounts {
  const rows = sql
    .exec<{ kind: string; state: string; outcome: string | null; n: number }>(
      `SELECT c.kind, c.state, json_extract(c.result, '$.outcome') AS outcome, COUNT(*) AS n
       FROM calls c ${jobId ? "JOIN revocations r ON r.seq = c.revocation_seq AND r.job_id = ?" : ""}
       WHERE c.kind IN ('seat_lookup', 'seat_update', 'verify_lookup', 'verify_sessions')
       GROUP BY c.kind, c.state, outcome`,
      ...(jobId ? [jobId] : []),
    )
    .toArray();
  const seats: Counts = {};
  const verification: Counts = {};
  const add = (counts: Counts, key: string, n: number) => {
    counts[key] = (counts[key] ?? 0) + n;
  };
  for (const { kind, state, outcome, n } of rows) {
    // A lookup that found someone is counted at the step after it (the update, the sessions).
    const name = state === "done" ? outcome : state;
    if (name === null || name === "found") continue;
    if (kind.startsWith("seat")) add(seats, name, n);
    else add(verification, name === "no_access_user" ? "verified" : name, n);
  }
  // Owed but not planned yet (follow-up-plan.ts): pending too.
  const owed = sql
    .exec<{ due: string; n: number }>(
      `SELECT c.follow_ups_due AS due, COUNT(*) AS n
       FROM calls c ${jobId ? "JOIN revocations r ON r.seq = c.revocation_seq AND r.job_id = ?" : ""}
       WHERE c.follow_ups_due IS NOT NULL GROUP BY c.follow_ups_due`,
      ...(jobId ? [jobId] : []),
    )
    .toArray();
  for (const { due, n } of owed) {
    if (due.split(",").includes("seats")) add(seats, "pending", n);
    if (due.split(",").includes("verify")) add(verification, "pending", n);
  }
  return { seats, verification };
}
