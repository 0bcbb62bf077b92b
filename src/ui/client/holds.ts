// The token holds table and clearing a hold: DELETE /v1/holds/{kind}/{id}, which the API writes to the
// audit log. The page shows what the API answers, whatever else it says beside the hold it cleared.
import type { Hold } from "../../domain/views";
import { ApiError, api } from "./api";
import { confirmed } from "./confirm";
import { button, byId, cell, fill, row, say } from "./dom";
import { clock, clockTimes, inFuture, label, until } from "./format";

type Hooks = { reload: () => void; signedOut: (message: string) => void };

/** What an answer says beyond the fields the page knows: "requeued: 2", "revocations: 3 items". */
function otherFields(answer: Record<string, unknown>, known: string[]): string[] {
  return Object.entries(answer)
    .filter(([key]) => !known.includes(key))
    .map(([key, value]) => {
      if (Array.isArray(value)) return `${label(key)}: ${value.length} ${value.length === 1 ? "item" : "items"}`;
      if (value !== null && typeof value === "object") return `${label(key)}: ${JSON.stringify(value).slice(0, 200)}`;
      return `${label(key)}: ${String(value)}`;
    });
}

async function clearHold(hold: Hold, trigger: HTMLButtonElement, hooks: Hooks): Promise<void> {
  const ok = await confirmed(
    `Clear the hold on ${hold.target}?`,
    `Its calls become due now. If the API still refuses the token there, the target is held again. The API writes this to the audit log. Held because: ${clockTimes(hold.reason)}`,
    "Clear the hold",
  );
  if (!ok) return;
  trigger.disabled = true;
  try {
    const answer = await api<{ cleared: Hold } & Record<string, unknown>>(`/holds/${hold.target}`, "DELETE");
    const extra = otherFields(answer, ["cleared"]);
    say(
      "notice",
      `Cleared the hold on ${answer.cleared.target} (it held calls until ${clock(answer.cleared.until)}).${extra.length > 0 ? ` ${extra.join("; ")}.` : ""}`,
    );
    hooks.reload();
  } catch (error) {
    if (error instanceof ApiError && error.kind === "unauthorized") return hooks.signedOut(error.message);
    say("notice", error instanceof Error ? error.message : String(error), true);
  } finally {
    trigger.disabled = false;
  }
}

export function renderHolds(holds: Hold[], hooks: Hooks): void {
  const inForce = holds.filter((hold) => inFuture(hold.until));
  byId("no-holds").hidden = inForce.length > 0;
  byId("holds-table").hidden = inForce.length === 0;
  fill(
    "holds",
    inForce.map((hold) => {
      const clear = button("Clear hold…", () => void clearHold(hold, clear, hooks));
      clear.setAttribute("aria-label", `Clear the hold on ${hold.target}`);
      return row(
        cell(hold.target, "target"),
        cell(clockTimes(hold.reason), "detail", "Reason"),
        cell(until(hold.until), undefined, "Held until"),
        cell(clear),
      );
    }),
  );
}
