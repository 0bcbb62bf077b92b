// The Worker entry: HTTP, the Cron Trigger, and the ledger's Durable Object class.
import { app } from "./app";
import { ledgerFor } from "./ledger/client";
import { logEvent } from "./log";

export { RevocationLedger } from "./ledger/ledger";

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(
      ledgerFor(env)
        .reconcile()
        .catch((error: unknown) => logEvent("drain.reconcile_failed", { error: String(error) })),
    );
  },
} satisfies ExportedHandler<Env>;
