// The managed-connection kind `graph-subscription`: Microsoft Entra ID's Graph subscription on users, kept by
// entra/subscription.ts, run once a minute as the connection `entra` (the source whose notifications it keeps
// coming) while Entra is configured. This file only turns each run's outcome into the framework's verdict:
// created or renewed is proof of life (Graph accepted it) and a change for the audit log; nothing due is idle;
// a failure is failing with the sentence /healthz shows.
// Where its state lives, and why not in the framework's: the clientStates are what /webhooks/entra checks
// every notification against, and a new one must be in the ledger before Graph is asked (Graph validates the
// URL, and may notify, before it answers the creation), so the subscription's id, expiry and clientStates stay
// in ledger/entra/ (entra_state), written by the run itself under its lease; this kind's `state` is never used.
// Its details for /v1/stats are the subscription's id and expiry as the run left them (never a clientState).
// The ledger is reached through the Worker's bindings as `cloudflare:workers` exports them.
// Calls: the Graph requests go through the connection's bounded fetch (at most 2: a renewal answered 404, then a
// creation); the app's token comes from Entra's own token source, cached for the isolate (at most 2 more, about
// once an hour), so maxCalls counts all four.
import { env } from "cloudflare:workers";
import type { Config } from "../config";
import { maintainSubscription, type SubscriptionRun } from "../entra/subscription";
import type { ConnectionKind, MaintainResult } from "./kind";

/** The connection's name: the source it keeps. */
const ENTRA_CONNECTION = "entra";

export const graphSubscriptionKind: ConnectionKind = {
  kind: "graph-subscription",
  maxCalls: 4,
  connections: (config: Config) => (config.entra === null ? [] : [ENTRA_CONNECTION]),
  async maintain(context): Promise<MaintainResult> {
    const entra = context.config.entra;
    if (entra === null) return { verdict: "idle" };
    const run = await maintainSubscription(env as Env, entra, { fetch: context.fetch, now: context.now, random: context.random });
    const result = verdictOf(run);
    // Its id and expiry, never its clientState; a run that did not learn them keeps the details shown.
    if (run.subscription === undefined) return result;
    return { ...result, details: { subscription_id: run.subscription.id, expires_at: new Date(run.subscription.expiresAt).toISOString() } };
  },
};

function verdictOf(run: SubscriptionRun): MaintainResult {
  switch (run.outcome) {
    case "created":
      return { verdict: "ok", proof: "Graph created the subscription", changes: [{ change: "created", detail: run.detail ?? "" }] };
    case "recreated":
      return { verdict: "ok", proof: "Graph created the subscription anew", changes: [{ change: "repaired", detail: run.detail ?? "" }] };
    case "renewed":
      return { verdict: "ok", proof: "Graph renewed the subscription", changes: [{ change: "renewed", detail: run.detail ?? "" }] };
    case "failed":
      return { verdict: "failing", error: run.detail ?? "keeping the Graph subscription failed" };
    default:
      return { verdict: "idle" };
  }
}
