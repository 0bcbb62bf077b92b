// What goes next (lanes.ts): strict lane order, turns between groups inside a lane.
import { describe, expect, it } from "vitest";
import { chooseNext, groupOf, type Head, laneOf, type Turns } from "../../../src/ledger/calls/lanes";

const head = (lane: Head<string>["lane"], group: string): Head<string> => ({ lane, group, call: `${lane}/${group}` });

/** Serves `count` calls from heads that never run dry; answers the groups served, in order. */
function serve(heads: Head<string>[], count: number, turns: Turns = {}): string[] {
  const served: string[] = [];
  for (let i = 0; i < count; i++) {
    const choice = chooseNext(heads, turns)!;
    served.push(choice.head.call);
    turns = choice.turns;
  }
  return served;
}

describe("chooseNext", () => {
  it("answers null when nothing is due", () => {
    expect(chooseNext([], {})).toBeNull();
  });

  it("always serves the urgent lane before bulk, and bulk before follow-ups", () => {
    expect(serve([head("follow_up", "v"), head("bulk", "job_a"), head("urgent", "okta")], 3)).toEqual(["urgent/okta", "urgent/okta", "urgent/okta"]);
    expect(serve([head("follow_up", "v"), head("bulk", "job_a")], 2)).toEqual(["bulk/job_a", "bulk/job_a"]);
    expect(serve([head("follow_up", "v")], 1)).toEqual(["follow_up/v"]);
  });

  it("takes turns between sources in the urgent lane: one batch cannot starve another source", () => {
    const heads = [head("urgent", "okta"), head("urgent", "standard"), head("urgent", "scim")];
    expect(serve(heads, 6)).toEqual(["urgent/okta", "urgent/scim", "urgent/standard", "urgent/okta", "urgent/scim", "urgent/standard"]);
  });

  it("takes turns between jobs in the bulk lane, and a lane's turn survives time spent in another lane", () => {
    const bulk = [head("bulk", "job_big"), head("bulk", "job_small")];
    const first = chooseNext(bulk, {})!;
    expect(first.head.group).toBe("job_big");
    // An urgent call comes and goes in between: bulk resumes with the next job, not the same one.
    const urgent = chooseNext([...bulk, head("urgent", "okta")], first.turns)!;
    expect(urgent.head.lane).toBe("urgent");
    expect(chooseNext(bulk, urgent.turns)!.head.group).toBe("job_small");
  });

  it("skips a group that has nothing due and wraps around", () => {
    expect(chooseNext([head("bulk", "job_a"), head("bulk", "job_c")], { bulk: "job_c" })!.head.group).toBe("job_a");
    expect(chooseNext([head("bulk", "job_a"), head("bulk", "job_c")], { bulk: "job_b" })!.head.group).toBe("job_c");
  });
});

describe("lanes of a revocation", () => {
  it("puts a job's revocations in the bulk lane grouped by job, every other one in the urgent lane grouped by source", () => {
    expect([laneOf("job_1"), groupOf("bulk", "job_1")]).toEqual(["bulk", "job_1"]);
    expect([laneOf(null), groupOf("okta", null)]).toEqual(["urgent", "okta"]);
  });
});
