// What the reconciliation sweep's answers look like to a person (issue #23): where the sweep stands (the one
// running, the last, the next), the returns nobody acknowledged yet, and an acknowledgement. Contract: pure;
// an API answer in, text out (`now` is passed in for "in 23h 59m").
import type { RevocationRecord } from "../src/domain/revocation.ts";
import type { ReconcileView, SweepView } from "../src/domain/views.ts";
import { fields, status, table, time, until } from "./format.ts";

/** One sweep in a line: "sweep 3 done (operator): 20001 users read, 1 came back, 1 revoked again". */
export function sweepLine(sweep: SweepView): string {
  const found = `${sweep.users_seen} users read, ${sweep.returns_found} came back, ${sweep.revoked_again} revoked again`;
  const changed = sweep.list_changed ? "; the list changed while it was read" : "";
  return `sweep ${sweep.id} ${status(sweep.status)} (${sweep.trigger}): ${found}${changed}`;
}

export function reconcileView(view: ReconcileView, now: number): string {
  const every = view.dry_run
    ? "off under DRY_RUN (no sweep runs, scheduled or asked for)"
    : view.every_hours > 0
      ? `every ${view.every_hours} h`
      : "off (RECONCILE_EVERY_HOURS=0): only when asked";
  const lines = [
    fields([
      ["schedule", every],
      ["returns", view.revoke_returns ? "revoked once more (RECONCILE_REVOKE_RETURNS)" : "recorded, not revoked again"],
      ["running", view.running ? sweepLine(view.running) : "none"],
      ["last", view.last ? `${sweepLine(view.last)}, finished ${time(view.last.finished_at)}` : "none yet"],
      ["last detail", view.last?.detail ?? undefined],
      ["next", view.next_at ? until(view.next_at, now) : undefined],
      ["off until", view.off_until ? `${until(view.off_until, now)}: Cloudflare refused the token for Access users` : undefined],
    ]),
  ];
  const sweep = view.running ?? view.last;
  if (sweep && sweep.accounts.length > 0) {
    lines.push(
      "",
      table(
        ["ACCOUNT", "STATE", "PAGES", "USERS", "CAME BACK", "LIST SIZE", "DETAIL"],
        sweep.accounts.map((a) => [a.target, status(a.state), a.pages_read, a.users_seen, a.returns_found, a.total_count, a.detail]),
      ),
    );
  }
  const open = view.returns;
  lines.push("", open.unacknowledged === 0 ? "came back, not acknowledged: none" : `came back, not acknowledged: ${open.unacknowledged}`);
  if (open.unacknowledged > 0) {
    lines.push(
      table(
        ["REVOCATION", "EMAIL", "BACK AT", "WHAT THE SWEEP SAW"],
        open.oldest.map((row) => [row.id, row.email, time(row.returned_at), row.detail]),
      ),
    );
  }
  return lines.join("\n");
}

/** The answer to POST /v1/reconcile. */
export function sweepStartedView(answer: { started: boolean; reconcile: ReconcileView }, now: number): string {
  const sweep = answer.reconcile.running ?? answer.reconcile.last;
  const head = answer.started ? `sweep ${sweep?.id ?? "?"} started` : `sweep ${sweep?.id ?? "?"} is running already`;
  return `${head}\n${reconcileView(answer.reconcile, now)}`;
}

export function acknowledgedView(record: RevocationRecord): string {
  const back = record.return;
  return `${record.id}: the return at ${time(record.returned_at)} acknowledged${back?.acknowledgement ? `: ${back.acknowledgement}` : ""}`;
}
