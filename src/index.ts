// The Worker entry: HTTP, the Cron Trigger (the drain's reconciler, held SETs, SSF polling, managed
// connections, Entra's reads and delta catch-up), and the ledger's Durable Object class. The Cron's steps run
// side by side: none waits for another.
import { app } from "./app";
import { maintainConnections } from "./connections/runner";
import { runEntra } from "./entra/run";
import { ledgerFor } from "./ledger/client";
import { logEvent } from "./log";
import { verifyHeldSets } from "./ssf/held-sets";
import { pollTransmitters } from "./ssf/poll-streams";

export { RevocationLedger } from "./ledger/ledger";

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(
      ledgerFor(env)
        .reconcile()
        .catch((error: unknown) => logEvent("drain.reconcile_failed", { error: String(error) })),
    );
    ctx.waitUntil(verifyHeldSets(env).catch((error: unknown) => logEvent("ssf.held_check_failed", { error: String(error) })));
    ctx.waitUntil(pollTransmitters(env).catch((error: unknown) => logEvent("ssf.poll_run_failed", { error: String(error) })));
    ctx.waitUntil(runEntra(env).catch((error: unknown) => logEvent("entra.run_failed", { error: String(error) })));
    ctx.waitUntil(maintainConnections(env).catch((error: unknown) => logEvent("connection.runs_failed", { error: String(error) })));
  },
} satisfies ExportedHandler<Env>;
