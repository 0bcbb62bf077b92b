// The Drain card's Reconcile line (issue #23), from GET /v1/stats `reconcile`: the sweep running or the last,
// the next, the sweep off after a refused token, and people found back after their revocation that nobody
// acknowledged yet (the alert stays until each is acknowledged).
import type { Stats } from "../../domain/views";
import { byId, node } from "./dom";
import { clock, inFuture, until } from "./format";

export function renderReconcile(view: Stats["reconcile"]): void {
  const sweep = view.running ?? view.last;
  const parts: (string | Node)[] = [];
  if (sweep) {
    const when = view.running ? "running" : `${sweep.status} ${clock(sweep.finished_at)}`;
    parts.push(`sweep ${sweep.id} ${when}: ${sweep.users_seen} users read, ${sweep.returns_found} came back`);
  } else {
    parts.push("no sweep yet");
  }
  if (view.dry_run) parts.push("; off under DRY_RUN");
  else parts.push(view.every_hours > 0 ? (view.next_at ? `; next ${until(view.next_at)}` : "") : "; scheduled sweeps off");
  if (inFuture(view.off_until)) {
    parts.push("; ", node("span", `off until ${until(view.off_until)}: Cloudflare refused the token for Access users`, "alert"));
  }
  const open = view.returns;
  if (open.unacknowledged > 0) {
    const named = open.oldest.map((back) => `${back.email ?? back.id} (${back.id}, back ${clock(back.returned_at)})`).join(", ");
    parts.push(
      "; ",
      node(
        "span",
        `${open.unacknowledged} came back after their revocation: ${named}; act in the IdP, then acknowledge each (npm run cli -- acknowledge)`,
        "alert",
      ),
    );
  }
  byId("reconcile").replaceChildren(...parts);
}
