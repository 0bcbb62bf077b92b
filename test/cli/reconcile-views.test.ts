// `reconcile status` (cli/reconcile-views.ts): under DRY_RUN no sweep runs, so the schedule line says so
// instead of "every 24 h" (the trial read a schedule that does not run).
import { describe, expect, it } from "vitest";
import { reconcileView } from "../../cli/reconcile-views.ts";
import type { ReconcileView } from "../../src/domain/views.ts";

const NOW = Date.parse("2026-12-07T13:00:00Z");
const view = (dryRun: boolean): ReconcileView => ({
  every_hours: 24,
  revoke_returns: false,
  dry_run: dryRun,
  running: null,
  last: null,
  next_at: dryRun ? null : "2026-12-08T13:00:00Z",
  off_until: null,
  returns: { unacknowledged: 0, oldest: [] },
});

describe("reconcile status's schedule", () => {
  it("is off under DRY_RUN, whatever RECONCILE_EVERY_HOURS says", () => {
    const text = reconcileView(view(true), NOW);
    expect(text).toMatch(/schedule\s+off under DRY_RUN/);
    expect(text).not.toContain("every 24 h");
  });

  it("is every RECONCILE_EVERY_HOURS otherwise", () => {
    expect(reconcileView(view(false), NOW)).toMatch(/schedule\s+every 24 h/);
  });
});
