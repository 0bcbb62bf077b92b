// The API token budgets table of the Drain card, from GET /v1/stats budgets[]: per token (by its fingerprint,
// never the token) the targets it serves, its pace and why, the budget Cloudflare last reported, its 429s.
import type { TokenBudget } from "../../domain/views";
import { cell, fill, row } from "./dom";
import { clock, inFuture, until } from "./format";

const WHY = { auto: "from the budget", ceiling: "the ceiling", fallback: "fallback: no budget known" } as const;

/** "588 of 1200 left (per 300 s), resets 2026-05-01 12:05:03 UTC; reported 12:00:03 UTC". */
function budgetText(budget: TokenBudget): string {
  const reported = budget.reported;
  if (!reported) return "none reported yet";
  const quota = reported.quota === null ? "" : ` of ${reported.quota}${reported.window_seconds === null ? "" : ` per ${reported.window_seconds} s`}`;
  const reset = reported.reset_at ? `, ${inFuture(reported.reset_at) ? "resets" : "reset"} ${until(reported.reset_at)}` : "";
  return `${reported.remaining}${quota} left${reset}; reported ${clock(reported.reported_at)}`;
}

/** "3.92 calls/s, from the budget", and the 429 pause when one is in force. */
function paceText(budget: TokenBudget): string {
  const pace = `${budget.pace.per_second} calls/s, ${WHY[budget.pace.why]}`;
  return inFuture(budget.paused_until) ? `${pace}; paused by a 429 until ${until(budget.paused_until)}` : pace;
}

export function renderBudgets(budgets: TokenBudget[]): void {
  fill(
    "budgets",
    budgets.map((budget) =>
      row(
        cell(budget.fingerprint, "target", "Token"),
        cell(budget.targets.join(", "), "target", "Targets"),
        cell(paceText(budget), undefined, "Pace"),
        cell(budgetText(budget), "detail", "Budget reported"),
        cell(budget.rate_limited_last_hour, "number", "429s, last hour"),
      ),
    ),
  );
}
