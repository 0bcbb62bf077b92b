// The Drain card: pace, each API token's budget, pauses, lanes, token holds and follow-ups, from GET /v1/stats.
import type { Stats } from "../../domain/views";
import { renderBudgets } from "./budgets";
import { byId, cell, fill, node, row } from "./dom";
import { clock, duration, inFuture, until } from "./format";
import { renderHolds } from "./holds";
import { renderReconcile } from "./reconcile";

const LANES = [
  ["urgent", "urgent"],
  ["bulk", "bulk"],
  ["follow_up", "follow-up"],
] as const;

export function renderDrain(stats: Stats, hooks: Parameters<typeof renderHolds>[1]): void {
  const pace = `${stats.rate_per_second} calls/s in use (${Math.round(stats.rate_per_second * 60)} a minute; REVOKE_RATE_PER_SECOND=${stats.rate_setting}); ${stats.observed_calls_last_minute} calls in the last minute`;
  byId("pace").textContent = pace + (stats.drain.last_call_at ? `; last call ${clock(stats.drain.last_call_at)}` : "");
  renderBudgets(stats.budgets);
  const pauses: string[] = [];
  if (inFuture(stats.drain.paused_until)) pauses.push(`Every token paused by a 429 until ${until(stats.drain.paused_until)}`);
  const paused = stats.budgets.filter((budget) => inFuture(budget.paused_until));
  if (!inFuture(stats.drain.paused_until) && paused.length > 0) {
    pauses.push(`${paused.length} of ${stats.budgets.length} tokens paused by a 429 (below)`);
  }
  if (inFuture(stats.drain.seats_off_until)) pauses.push(`seat removal off until ${until(stats.drain.seats_off_until)}`);
  if (inFuture(stats.drain.verification_off_until)) pauses.push(`verification off until ${until(stats.drain.verification_off_until)}`);
  byId("pause").textContent = pauses.length > 0 ? pauses.join("; ") : "Not paused";
  byId("pause").className = pauses.length > 0 ? "alert" : "";

  fill(
    "lanes",
    LANES.map(([lane, name]) => {
      const times = stats.time_to_revoke[lane].last_hour;
      const header = node("th", name);
      header.scope = "row";
      const tr = row(
        cell(stats.waiting_by_lane[lane], "number"),
        cell(duration(times.p50_ms), "number"),
        cell(duration(times.p95_ms), "number"),
        cell(times.count, "number"),
      );
      tr.prepend(header);
      return tr;
    }),
  );

  renderHolds(stats.holds, hooks);
  renderReconcile(stats.reconcile);

  const { seats, verification } = stats.follow_ups;
  const stillActive = verification.still_active ?? 0;
  byId("follow-ups").replaceChildren(
    `seats removed ${seats.removed ?? 0}, seat removals failed ${seats.failed ?? 0}; verified ${verification.verified ?? 0}, verification pending ${verification.pending ?? 0}; `,
    node("span", `still active ${stillActive}${stillActive > 0 ? ": act in the IdP" : ""}`, stillActive > 0 ? "alert" : ""),
  );
}
