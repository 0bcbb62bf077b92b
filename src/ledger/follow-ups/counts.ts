// How the follow-ups stand (seat removal, verification), over the whole ledger or one job.
// Contract: synchronous SQLite reads (through the calls table's own queries).
import type { FollowUpCounts } from "../../domain/views";
import { followUpOutcomes, owedFollowUpCounts } from "../calls/follow-up-calls";

type Counts = Record<string, number>;

/** Counts by what each follow-up came to: seats removed, no Access user, …; verified, still active, … */
export function followUpCounts(sql: SqlStorage, jobId?: string): FollowUpCounts {
  const rows = followUpOutcomes(sql, jobId);
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
  // Owed but not planned yet (plan.ts): pending too.
  const owed = owedFollowUpCounts(sql, jobId);
  for (const { due, n } of owed) {
    if (due.split(",").includes("seats")) add(seats, "pending", n);
    if (due.split(",").includes("verify")) add(verification, "pending", n);
  }
  return { seats, verification };
}
