// The Drain card: pace, each API token's budget, pauses, lanes, token holds and follow-ups, from GET /v1/stats.
import type { Stats } from "../../domain/views";
import { renderBudgets } from "./budgets";
import { byId, cell, fill, node, row } from "./dom";
import { clock, duration, inFuture, label, until } from "./format";
import { renderHolds } from "./holds";
import { renderReconcile } from "./reconcile";

const LANES = [
  ["urgent", "urgent"],
  ["bulk", "bulk"],
  ["follow_up", "follow-up"],
] as const;

export function renderDrain(stats: Stats, hooks: Parameters<typeof renderHolds>[1]): void {
  // The setting is one word to read and copy: code.setting keeps it whole on a phone (style.ts).
  byId("pace").replaceChildren(
    `${stats.rate_per_second} calls/s in use (${Math.round(stats.rate_per_second * 60)} a minute; `,
    node("code", `REVOKE_RATE_PER_SECOND=${stats.rate_setting}`, "setting"),
    `); ${stats.observed_calls_last_minute} calls in the last minute`,
    stats.drain.last_call_at ? `; last call ${clock(stats.drain.last_call_at)}` : "",
  );
  renderBudgets(stats.budgets);
  const pauses: string[] = [];
  if (inFuture(stats.drain.paused_until)) pauses.push(`Every token paused by a 429 until ${until(stats.drain.paused_until)}`);
  const paused = stats.budgets.filter((budget) => inFuture(budget.paused_until));
  if (!inFuture(stats.drain.paused_until) && paused.length > 0) {
    pauses.push(`${paused.length} of ${stats.budgets.length} tokens paused by a 429 (below)`);
  }
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

  renderFollowUps(stats);
}

/** "removed 5, failed 1, skipped 3": the outcomes named first always, any other one that happened after them. */
function outcomes(counts: Record<string, number>, first: string[]): string {
  const rest = Object.keys(counts).filter((name) => !first.includes(name) && name !== "still_active" && (counts[name] ?? 0) > 0);
  return [...first, ...rest].map((name) => `${label(name)} ${counts[name] ?? 0}`).join(", ");
}

/** Every outcome of seat removal and verification (failed and skipped too), and a follow-up switched off. */
function renderFollowUps(stats: Stats): void {
  const { seats, verification } = stats.follow_ups;
  const stillActive = verification.still_active ?? 0;
  const off = [
    inFuture(stats.drain.seats_off_until) ? `seat removal off until ${until(stats.drain.seats_off_until)}` : null,
    inFuture(stats.drain.verification_off_until) ? `verification off until ${until(stats.drain.verification_off_until)}` : null,
  ].filter((text): text is string => text !== null);
  byId("follow-ups").replaceChildren(
    ...(off.length > 0 ? [node("span", `${off.join("; ")}: the API token was refused for ${off.length > 1 ? "them" : "it"}. `, "alert")] : []),
    `seats: ${outcomes(seats, ["removed", "failed"])}; verification: ${outcomes(verification, ["verified", "pending", "failed"])}; `,
    node("span", `still active ${stillActive}${stillActive > 0 ? ": act in the IdP" : ""}`, stillActive > 0 ? "alert" : ""),
  );
}
