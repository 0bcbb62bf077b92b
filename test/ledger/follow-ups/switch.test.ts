// When a switched-off follow-up comes back (src/ledger/follow-ups/switch.ts): pure, so each cause is one row.
import { describe, expect, it } from "vitest";
import { causeGone, type FollowUpSwitch, REFUSED_FOLLOW_UP_OFF_MS, redriveFrom, switchedOff } from "../../../src/ledger/follow-ups/switch";

const T = Date.parse("2026-12-07T10:00:00Z");
const OFF: FollowUpSwitch = { until: T + REFUSED_FOLLOW_UP_OFF_MS, since: T, token: 7 };

describe("causeGone", () => {
  it.each([
    ["another token in use", OFF, { kind: "token_in_use", token: 8 }, true],
    ["the refused token still in use", OFF, { kind: "token_in_use", token: 7 }, false],
    ["a token unknown to a switch-off from before #18", { ...OFF, token: 0 }, { kind: "token_in_use", token: 8 }, false],
    ["a hold started (a revoke call refused: the token is refused wholesale)", OFF, { kind: "hold_started", target: "accounts/a" }, true],
    ["a hold ended", OFF, { kind: "hold_ended", target: "accounts/a" }, true],
    ["a verification sent after it went off, answered", OFF, { kind: "answered", followUp: "verify", sentAt: T + 1 }, true],
    ["a verification sent before it went off (in flight), answered", OFF, { kind: "answered", followUp: "verify", sentAt: T - 1 }, false],
    ["a seat call answered", OFF, { kind: "answered", followUp: "seats", sentAt: T + 1 }, false],
    ["anything, while it is on", { until: 0, since: 0, token: 0 }, { kind: "hold_ended", target: "accounts/a" }, false],
  ] as const)("%s → %s", (_what, switched, cause, gone) => {
    expect(causeGone("verify", switched, cause)).toBe(gone);
  });
});

describe("switchedOff and redriveFrom", () => {
  it("keeps the episode's start across refusals, after the hour ran out too, and starts afresh once it came back", () => {
    const again = switchedOff(OFF, T + 2 * REFUSED_FOLLOW_UP_OFF_MS, 9);
    expect(again).toEqual({ until: T + 3 * REFUSED_FOLLOW_UP_OFF_MS, since: T, token: 9 });
    expect(switchedOff({ until: 0, since: 0, token: 0 }, T + 5, 9)).toEqual({ until: T + 5 + REFUSED_FOLLOW_UP_OFF_MS, since: T + 5, token: 9 });
  });

  it("re-drives from the episode's start, a day back at most; a switch-off from before #18 from an hour before it ends", () => {
    expect(redriveFrom(OFF, T + 60_000)).toBe(T);
    expect(redriveFrom(OFF, T + 48 * 3_600_000)).toBe(T + 24 * 3_600_000);
    expect(redriveFrom({ until: T + 5000, since: 0, token: 0 }, T)).toBe(T + 5000 - REFUSED_FOLLOW_UP_OFF_MS);
  });
});
