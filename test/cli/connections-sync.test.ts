// `connections sync` (cli/commands/connections.ts): a script reads its exit code, so a connection the sync ran
// and found failing must not exit 0 (the trial's `connections sync` said 0 while `alerts test` said 1).
import { describe, expect, it } from "vitest";
import { syncExitCode } from "../../cli/commands/connections.ts";

const run = (name: string, verdict: string) => ({
  name,
  kind: name,
  verdict,
  error: verdict === "failing" ? "Network connection lost." : null,
  calls: 1,
});

describe("connections sync's exit code", () => {
  it("is 1 when any connection it ran is failing", () => {
    expect(syncExitCode({ runs: [run("google", "ok"), run("ssf-okta", "failing")] })).toBe(1);
  });

  it("is 0 when every connection works or had nothing due, and with none configured", () => {
    expect(syncExitCode({ runs: [run("google", "ok"), run("entra", "idle"), run("ssf-okta", "skipped")] })).toBe(0);
    expect(syncExitCode({ runs: [] })).toBe(0);
  });
});
