// The Graph subscription the Worker keeps on `users` (changeType updated,deleted; notifications and lifecycle
// notifications to PUBLIC_URL/webhooks/entra): created when there is none, renewed well before it expires,
// created anew when Graph no longer has it, reauthorized (by a renewal) when a lifecycle notification asks.
// - Lifetime: Graph's maximum for users is 41,760 minutes (under 29 days); the Worker asks for a little less
//   (LIFETIME_MS) and renews once less than half is left (RENEW_WHEN_LEFT_MS), every Cron run until it works:
//   two weeks of failed renewals still leave a subscription in force, and /healthz names each failure.
// - A new clientState (32 random bytes, base64url: within Graph's 128 characters) is recorded in the ledger
//   before Graph is asked, because Graph validates the URL and may notify before it answers the creation.
// - Under the ledger's maintenance lease: the Cron Trigger and a lifecycle notification's background work never
//   create two subscriptions at once. At most two Graph requests a run (a renewal answered 404, then a creation).
// Contract: never throws: the outcome is recorded in the ledger, or logged when the ledger itself is out of reach.
import { base64url } from "jose";
import type { Config } from "../config";
import { ledgerFor } from "../ledger/client";
import { logEvent } from "../log";
import { entraDeps, graphFor } from "./deps";

const LIFETIME_MS = 41_700 * 60_000;
const RENEW_WHEN_LEFT_MS = LIFETIME_MS / 2;

export type MaintenanceOutcome = "created" | "renewed" | "unchanged" | "failed" | "busy";

/** What went wrong, in words an operator can act on; Graph's status and code, never a secret. */
function explain(failure: { kind: string; detail: string }): string {
  if (failure.kind === "refused") {
    return `${failure.detail}: Microsoft refused the app (check ENTRA_CLIENT_SECRET or the certificate, the User.Read.All permission and admin consent)`;
  }
  return `${failure.kind}: ${failure.detail}`;
}

export async function maintainSubscription(env: Env, entra: NonNullable<Config["entra"]>): Promise<MaintenanceOutcome> {
  const ledger = ledgerFor(env).entra();
  let outcome: MaintenanceOutcome = "failed";
  let error: string | null = null;
  const failed = async (what: string) => {
    error = what;
    await ledger.recordMaintenance({ kind: "failed", error: what });
    return "failed" as const;
  };
  try {
    const subscription = await ledger.claimMaintenance();
    if (subscription === null) return "busy";
    const deps = entraDeps();
    const graph = graphFor(entra);
    const now = deps.now();
    const expiresAt = now + LIFETIME_MS;
    const create = async () => {
      const clientState = base64url.encode(deps.randomBytes(32));
      await ledger.prepareSubscription(clientState);
      const created = await graph.createSubscription({ notificationUrl: entra.notificationUrl, clientState, expiresAt });
      if (!created.ok) return failed(`creating: ${explain(created)}`);
      await ledger.recordMaintenance({ kind: "created", id: created.id, expiresAt: created.expiresAt });
      return "created" as const;
    };
    const expired = subscription.expiresAt === null || subscription.expiresAt <= now;
    if (subscription.id === null || subscription.wanted === "create" || expired) {
      outcome = await create();
    } else if (subscription.wanted === "renew" || (subscription.expiresAt ?? 0) - now < RENEW_WHEN_LEFT_MS) {
      const renewed = await graph.renewSubscription(subscription.id, expiresAt);
      if (renewed.ok) {
        await ledger.recordMaintenance({ kind: "renewed", expiresAt: renewed.expiresAt });
        outcome = "renewed";
      } else if (renewed.kind === "not_found") {
        await ledger.recordMaintenance({ kind: "gone" });
        outcome = (await ledger.claimMaintenance()) === null ? "busy" : await create();
      } else {
        outcome = await failed(`renewing: ${explain(renewed)}`);
      }
    } else {
      await ledger.recordMaintenance({ kind: "unchanged" });
      outcome = "unchanged";
    }
  } catch (thrown) {
    logEvent("entra.subscription_failed", { error: `ledger: ${String(thrown).slice(0, 200)}` });
    return "failed";
  }
  if (outcome !== "unchanged") logEvent(`entra.subscription_${outcome}`, { error });
  return outcome;
}
