// The Graph subscription the Worker keeps on `users` (changeType updated,deleted; notifications and lifecycle
// notifications to PUBLIC_URL/webhooks/entra): created when there is none, renewed well before it expires,
// created anew when Graph no longer has it, reauthorized (by a renewal) when a lifecycle notification asks.
// Run each minute as the managed connection `entra` (connections/graph-subscription.ts, which turns the
// outcome into the framework's verdict), and at once after a lifecycle notification (run.ts).
// - Lifetime: Graph's maximum for users is 41,760 minutes (under 29 days); the Worker asks for a little less
//   (LIFETIME_MS) and renews once less than half is left (RENEW_WHEN_LEFT_MS), every run until it works:
//   two weeks of failed renewals still leave a subscription in force, and /healthz names each failure.
// - A new clientState (32 random bytes, base64url: within Graph's 128 characters) is recorded in the ledger
//   (ledger/entra/, where the route checks notifications against it) before Graph is asked, because Graph
//   validates the URL and may notify before it answers the creation.
// - Under the ledger's maintenance lease: the Cron Trigger and a lifecycle notification's background work never
//   create two subscriptions at once. At most two Graph requests a run (a renewal answered 404, then a creation),
//   besides the app's token.
// Contract: never throws: the outcome is recorded in the ledger, or logged when the ledger itself is out of reach;
// the network, clock and randomness are injected (the connection's bounded fetch, or entraDeps()).
import { base64url } from "jose";
import type { Config } from "../config";
import { ledgerFor } from "../ledger/client";
import { logEvent } from "../log";
import { entraDeps, graphFor } from "./deps";
import type { MicrosoftFetch } from "./graph-exchange";

const LIFETIME_MS = 41_700 * 60_000;
const RENEW_WHEN_LEFT_MS = LIFETIME_MS / 2;

type MaintenanceOutcome = "created" | "recreated" | "renewed" | "unchanged" | "failed" | "busy";
/**
 * What a run came to, with a sentence for the operator (the subscription's id and expiry, or the error), and the
 * subscription as the run left it when it knows (created, renewed or unchanged): its id and expiry, never its clientState.
 */
export type SubscriptionRun = { outcome: MaintenanceOutcome; detail: string | null; subscription?: { id: string; expiresAt: number } };
/** The network, clock and randomness a run uses. */
export type SubscriptionIo = { fetch: MicrosoftFetch; now(): number; random(bytes: number): Uint8Array };

/** What went wrong, in words an operator can act on; Graph's status and code, never a secret. */
function explain(failure: { kind: string; detail: string }): string {
  if (failure.kind === "refused") {
    return `${failure.detail}: Microsoft refused the app (check ENTRA_CLIENT_SECRET or the certificate, the User.Read.All permission and admin consent)`;
  }
  return `${failure.kind}: ${failure.detail}`;
}

export async function maintainSubscription(env: Env, entra: NonNullable<Config["entra"]>, io: SubscriptionIo = systemIo()): Promise<SubscriptionRun> {
  const ledger = ledgerFor(env).entra();
  const failed = async (what: string): Promise<SubscriptionRun> => {
    await ledger.recordMaintenance({ kind: "failed", error: what });
    return { outcome: "failed", detail: what };
  };
  let run: SubscriptionRun;
  try {
    const subscription = await ledger.claimMaintenance();
    if (subscription === null) return { outcome: "busy", detail: null };
    const graph = graphFor(entra, io);
    const now = io.now();
    const expiresAt = now + LIFETIME_MS;
    const create = async (outcome: "created" | "recreated"): Promise<SubscriptionRun> => {
      const clientState = base64url.encode(io.random(32));
      await ledger.prepareSubscription(clientState);
      const created = await graph.createSubscription({ notificationUrl: entra.notificationUrl, clientState, expiresAt });
      if (!created.ok) return failed(`creating: ${explain(created)}`);
      await ledger.recordMaintenance({ kind: "created", id: created.id, expiresAt: created.expiresAt });
      return {
        outcome,
        detail: `subscription ${created.id} on users, until ${new Date(created.expiresAt).toISOString()}`,
        subscription: { id: created.id, expiresAt: created.expiresAt },
      };
    };
    const expired = subscription.expiresAt === null || subscription.expiresAt <= now;
    if (subscription.id === null || subscription.wanted === "create" || expired) {
      run = await create(subscription.id === null ? "created" : "recreated");
    } else if (subscription.wanted === "renew" || (subscription.expiresAt ?? 0) - now < RENEW_WHEN_LEFT_MS) {
      const renewed = await graph.renewSubscription(subscription.id, expiresAt);
      if (renewed.ok) {
        await ledger.recordMaintenance({ kind: "renewed", expiresAt: renewed.expiresAt });
        run = {
          outcome: "renewed",
          detail: `subscription ${subscription.id} until ${new Date(renewed.expiresAt).toISOString()}`,
          subscription: { id: subscription.id, expiresAt: renewed.expiresAt },
        };
      } else if (renewed.kind === "not_found") {
        await ledger.recordMaintenance({ kind: "gone" });
        run = (await ledger.claimMaintenance()) === null ? { outcome: "busy", detail: null } : await create("recreated");
      } else {
        run = await failed(`renewing: ${explain(renewed)}`);
      }
    } else {
      await ledger.recordMaintenance({ kind: "unchanged" });
      run = { outcome: "unchanged", detail: null, subscription: { id: subscription.id, expiresAt: subscription.expiresAt ?? now } };
    }
  } catch (thrown) {
    const error = `the ledger could not be reached: ${String(thrown).slice(0, 200)}`;
    logEvent("entra.subscription_failed", { error });
    return { outcome: "failed", detail: error };
  }
  if (run.outcome !== "unchanged") logEvent(`entra.subscription_${run.outcome}`, { detail: run.detail });
  return run;
}

/** Entra's own network, clock and randomness (a lifecycle notification's background work). */
function systemIo(): SubscriptionIo {
  const deps = entraDeps();
  return { fetch: deps.fetch, now: deps.now, random: deps.randomBytes };
}
