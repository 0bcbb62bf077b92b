// The Entra source's background work, from the Cron Trigger every minute and from a notification's waitUntil:
// read the users notifications named, and run the delta catch-up when it is due; after a lifecycle notification,
// keep the subscription at once too (the Cron keeps it as the managed connection `entra`,
// connections/graph-subscription.ts). One after the other, each bounded, so one invocation's outbound requests
// stay countable (docs/providers.md): at most 2 for the token (one refused as stale and replaced), 2 for the
// subscription, 2 a lookup batch, 1 a delta page.
// Contract: never throws; each step records its own failure, and a failing step never stops the next one or
// the Cron Trigger's other work.
import { configFor } from "../config";
import { runDeltaCatchUp } from "./delta";
import { lookUpNotifiedUsers } from "./lookups";
import type { LifecycleEvent } from "./notifications";
import { maintainSubscription } from "./subscription";

/** Per Cron run: 2 lookup batches (40 users), 8 delta pages. */
const LOOKUP_BATCHES_PER_RUN = 2;
const DELTA_PAGES_PER_RUN = 8;
/** After a notification: its users' reads, in the invocation that answered Graph. */
const LOOKUP_BATCHES_AFTER_NOTIFICATION = 2;

export async function runEntra(env: Env): Promise<void> {
  const result = configFor(env);
  if (!result.ok || result.config.entra === null) return;
  const entra = result.config.entra;
  await lookUpNotifiedUsers(env, entra, LOOKUP_BATCHES_PER_RUN);
  await runDeltaCatchUp(env, entra, DELTA_PAGES_PER_RUN);
}

/** What a committed notification batch asks for at once: reads, a renewal or a new subscription, a delta round. */
export async function afterNotifications(env: Env, work: { lookups: boolean; lifecycle: LifecycleEvent[] }): Promise<void> {
  const result = configFor(env);
  if (!result.ok || result.config.entra === null) return;
  const entra = result.config.entra;
  if (work.lifecycle.some((event) => event !== "missed")) await maintainSubscription(env, entra);
  if (work.lookups) await lookUpNotifiedUsers(env, entra, LOOKUP_BATCHES_AFTER_NOTIFICATION);
  if (work.lifecycle.includes("missed")) await runDeltaCatchUp(env, entra, DELTA_PAGES_PER_RUN);
}
