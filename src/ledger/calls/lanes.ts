// What the drain sends next. Contract: pure; no I/O, no clock.
// - Lanes, strictly in order: "urgent" (one person's deprovisioning: any webhook source, SCIM, a single
//   operator revocation), then "bulk" (POST /v1/revocations/bulk jobs), then "follow_up" (what runs after a
//   revocation succeeded: seat removal, verification that no session is left). A lane is served only when
//   no earlier lane has a call due, so a layoff never delays a hostile termination; bulk gets whatever pace
//   the urgent lane leaves, follow-ups whatever is left after both.
// - Inside a lane, groups take turns (round robin): urgent calls are grouped by source, so one Okta batch
//   of a thousand people cannot starve a single signed delivery from another source; bulk calls are
//   grouped by job, so a 20-person job submitted after a 10,000-person job finishes in minutes.
// - Inside a group, the oldest due call goes first (its own order is the ledger's: due time, then seq).
// The pace, the window, pauses, holds and leases are the drain's: this only orders what is due.

/** One key per lane and group (a group is a source in the urgent lane, a job in the bulk lane). */
export const laneGroupKey = (lane: Lane, group: string) => `${lane}\u0000${group}`;

export const LANES = ["urgent", "bulk", "follow_up"] as const;
export type Lane = (typeof LANES)[number];

/** The lane a revocation's calls belong to: bulk when it came in a job, urgent otherwise. */
export function laneOf(jobId: string | null | undefined): Lane {
  return jobId ? "bulk" : "urgent";
}

/** The group a revocation's calls take turns as: its job in the bulk lane, its source otherwise. */
export function groupOf(source: string, jobId: string | null | undefined): string {
  return jobId ?? source;
}

/** A group's oldest due call, as the drain found it. */
export type Head<T> = { lane: Lane; group: string; call: T };

/** The group each lane served last: the next turn goes to the group after it. */
export type Turns = Partial<Record<Lane, string>>;

/**
 * The call to send next among the due heads: the first lane with any, and in it the group whose turn it
 * is (the first group after the one served last, in name order, wrapping around). Answers the new turns.
 */
export function chooseNext<T>(heads: Head<T>[], turns: Turns): { head: Head<T>; turns: Turns } | null {
  for (const lane of LANES) {
    const due = heads.filter((head) => head.lane === lane).sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
    if (due.length === 0) continue;
    const last = turns[lane];
    const head = (last === undefined ? undefined : due.find((candidate) => candidate.group > last)) ?? due[0]!;
    return { head, turns: { ...turns, [lane]: head.group } };
  }
  return null;
}
