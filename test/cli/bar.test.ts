// The `job --watch` line (cli/bar.ts) at the widths terminals have. Regression: the full 36-character job
// id pushed the rate, the ETA and `waiting:` off an 80–160-column line, and the ETA said "1.0 s" through
// a 4-minute hold.
import { describe, expect, it } from "vitest";
import { barLine, type Frame } from "../../cli/bar.ts";
import type { JobView } from "../../src/domain/views.ts";

const READ_AT = Date.parse("2026-11-27T20:30:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

function jobView(change: Partial<JobView> = {}): JobView {
  return {
    id: `job_${"2c54a1b3".repeat(4)}`, // a generated id: job_ and 32 hex digits
    created_at: iso(READ_AT - 60_000),
    lines: 60,
    accepted: 60,
    duplicates: 0,
    rejected: 0,
    by_status: { revoked: 27, queued: 33 },
    percent_done: 45,
    completed_at: null,
    pending_calls: 33,
    rejections: [],
    pending_calls_ahead: 33,
    jobs_in_lane: 1,
    estimated_completion: iso(READ_AT + 11_000),
    rate_per_second: 2.2,
    waiting: null,
    time_to_revoke: { count: 27, p50_ms: 1000, p95_ms: 2000, max_ms: 3000 },
    follow_ups: { seats: {}, verification: {} },
    ...change,
  };
}

// As the API answers while the job waits: its estimate counts from the end of the wait.
const held = jobView({
  estimated_completion: iso(READ_AT + 241_000),
  waiting: { reason: "held", message: "the API refused the token for zones/…", until: iso(READ_AT + 240_000) },
});
const frame = (change: Partial<Frame> = {}): Frame => ({
  job: jobView(),
  now: READ_AT,
  columns: 80,
  unansweredSince: null,
  ...change,
});

describe("the job --watch line", () => {
  it.each([80, 100, 120, 160])("fits %i columns with the wait first, then the figures, the rate and the ETA", (columns) => {
    const line = barLine(frame({ job: held, columns }));
    expect(line.length).toBeLessThan(columns);
    expect(line).toMatch(/^waiting: held 4m 00s \| /);
    expect(line).toMatch(/ 45% \| 27\/60 \| 2\.2\/s \| ETA 4m 01s$/);
    expect(line).toMatch(/[█]+[░]+ 45%/);
    expect(line).not.toContain(held.id); // never the whole id
  });

  it("shows a short id and a 30-character bar when there is room", () => {
    const line = barLine(frame({ columns: 120 }));
    expect(line).toBe(`job_2c54a1b32… ${"█".repeat(14)}${"░".repeat(16)} 45% | 27/60 | 2.2/s | ETA 11.0 s`);
    // Piped to a log: no width, the same full line.
    expect(barLine(frame({ columns: undefined }))).toBe(line);
  });

  it("gives up the id, then the rate, then the bar, before the ETA and the wait", () => {
    expect(barLine(frame({ job: held, columns: 70 }))).toMatch(/^waiting: held 4m 00s \| [█░]{10,} 45% \| 27\/60 \| 2\.2\/s \| ETA 4m 01s$/);
    expect(barLine(frame({ job: held, columns: 60 }))).toBe("waiting: held 4m 00s | 45% | 27/60 | 2.2/s | ETA 4m 01s");
    expect(barLine(frame({ job: held, columns: 52 }))).toBe("waiting: held 4m 00s | 45% | 27/60 | ETA 4m 01s");
    const narrow = barLine(frame({ job: held, columns: 40 }));
    expect(narrow.length).toBeLessThan(40);
    expect(narrow).toMatch(/^waiting: held 4m 00s \| /);
  });

  it("counts the ETA down to the API's estimate, which starts after the wait", () => {
    const later = READ_AT + 10_000;
    expect(barLine(frame({ job: held, now: later, columns: 120 }))).toMatch(/^waiting: held 3m 50s \| .+ \| ETA 3m 51s$/);
    // A 429 pause is a wait with an end too.
    const paused = jobView({
      estimated_completion: iso(READ_AT + 19_000),
      waiting: { reason: "paused", message: "rate limited", until: iso(READ_AT + 8000) },
    });
    expect(barLine(frame({ job: paused, columns: 120 }))).toMatch(/^waiting: paused 8\.0 s \| .+ \| ETA 19\.0 s$/);
    // Waiting for urgent calls has no end: the estimate at pace stands.
    const urgent = jobView({ waiting: { reason: "urgent_first", message: "3 urgent call(s) go first", until: null } });
    expect(barLine(frame({ job: urgent, columns: 120 }))).toMatch(/^waiting: urgent calls first \| .+ \| ETA 11\.0 s$/);
  });

  it("says since when the Worker has not answered, on the last figures it gave", () => {
    const line = barLine(frame({ now: READ_AT + 5000, unansweredSince: READ_AT + 1000, columns: 120 }));
    expect(line).toMatch(/^waiting: no answer from the Worker for 4\.0 s \| job_2c54a1b32… [█░]{10,30} 45% \| 27\/60 \| 2\.2\/s \| ETA 6\.0 s$/);
  });

  it("ends with done at 100 %", () => {
    const done = jobView({ by_status: { revoked: 60 }, percent_done: 100, estimated_completion: null, pending_calls: 0 });
    expect(barLine(frame({ job: done, columns: 120 }))).toBe(`job_2c54a1b32… ${"█".repeat(30)} 100% | 60/60 | 2.2/s | done`);
  });
});
