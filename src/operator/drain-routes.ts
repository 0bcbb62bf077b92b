// /v1/stats and /v1/holds: how the drain runs (pace, lanes, pauses, follow-ups) and the token holds an
// operator may lift once the token is fixed. Lifting a hold re-queues the revocations that failed because
// of it, and is written to the audit log with how many, and a keyed fingerprint of the operator token used
// (never the token; operator-actions.ts).
import { Hono } from "hono";
import type { AppEnv } from "../context";
import { ClearedHoldSchema, HoldsSchema, StatsSchema } from "../domain/views";
import { fail } from "../http/errors";
import { onLedger } from "../http/ledger";
import { apiDoc } from "../http/openapi";
import { noQuery } from "../http/validate";
import { auditOperatorAction } from "./operator-actions";

export const drainRoutes = new Hono<AppEnv>();

drainRoutes.get(
  "/stats",
  apiDoc({
    summary: "The ledger at a glance",
    description:
      "Counts by status, calls waiting per lane, time to revoke per lane, the drain's pause and pace, token holds, follow-ups, refused deliveries, every source's last deliveries with its managed connection (`sources`), and the alerts (`alerts`).",
    tag: "drain",
    ok: { 200: { description: "the figures", schema: StatsSchema } },
  }),
  noQuery(),
  async function showStats(c) {
    return c.json(await onLedger(c.env, (ledger) => ledger.drain().stats()));
  },
);

drainRoutes.get(
  "/holds",
  apiDoc({
    summary: "Token holds in force",
    description: "A target whose token the API refused (401/403) holds its calls for 5 minutes, then one probe goes out.",
    tag: "drain",
    ok: { 200: { description: "the holds", schema: HoldsSchema } },
  }),
  noQuery(),
  async function listHolds(c) {
    return c.json({ holds: await onLedger(c.env, (ledger) => ledger.drain().holds()) });
  },
);

drainRoutes.delete(
  "/holds/:kind{(?:accounts|zones)}/:id{[0-9a-f]{32}}",
  apiDoc({
    summary: "Lift a token hold now",
    pathParams: { kind: { enum: ["accounts", "zones"] }, id: { pattern: "^[0-9a-f]{32}$" } },
    description:
      "For when the token was fixed: the target's calls become due at once, the revocations that failed there because the API refused the token (the refusal that held it) are re-queued with a fresh retry budget (`requeued` says how many), and a follow-up switched off meanwhile comes back. A hold that ran out with no call succeeding at its target since can still be lifted, with the same effect. Written to the audit log (`action:` entries).",
    tag: "drain",
    ok: { 200: { description: "the hold that was lifted, and how many revocations were re-queued", schema: ClearedHoldSchema } },
    errors: ["not_found"],
  }),
  noQuery(),
  async function clearHold(c) {
    const target = `${c.req.param("kind")}/${c.req.param("id")}`;
    const answer = await onLedger(c.env, (ledger) => ledger.drain().clearHold(target), "the hold");
    if (!answer) fail("not_found", `${target} has no token hold`);
    const { cleared, requeued } = answer;
    auditOperatorAction(c, {
      action: "hold_cleared",
      target,
      detail: `hold until ${cleared.until} lifted (${cleared.reason}); ${requeued} revocation(s) that failed because of it re-queued`,
    });
    return c.json({ cleared, requeued });
  },
);
