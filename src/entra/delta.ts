// The delta catch-up: a Graph delta query on users, every ENTRA_DELTA_EVERY_MINUTES and at once after a `missed`
// lifecycle notification, from where the last round ended (ledger/entra/delta.ts keeps the links). Notifications
// are fast but can be lost; a delta round cannot miss a change since the last one, so together they are both.
// - Each page is decided in one ledger transaction (who is revoked, who is a catch, the next link), so a run
//   cut short resumes at the page after the last one applied. The first round is the baseline: a full read of
//   the tenant that feeds the directory and revokes no one.
// - 410 Gone or syncStateNotFound (the link expired after 7 days unused, or Graph reset the tenant's sync): the
//   link is dropped and a full read starts, which decides like a delta (a resync), and /healthz says so.
// - 429 pauses Graph reads until its Retry-After; any other failure ends the run with its reason recorded and
//   the round retried RETRY_AFTER_FAILURE_MS later. Nobody is revoked by a page that was not read whole.
// - At most `pages` pages a run: a large baseline spreads over several Cron runs.
// Contract: never throws: a failure is recorded in the ledger, or logged when the ledger itself is out of reach.
import type { Config } from "../config";
import { ledgerFor } from "../ledger/client";
import { logEvent } from "../log";
import { entraDeps, graphFor } from "./deps";

const RETRY_AFTER_FAILURE_MS = 5 * 60_000;

export type DeltaTally = { pages: number; revoked: number; caught: number; done: boolean; error: string | null };

export async function runDeltaCatchUp(env: Env, entra: NonNullable<Config["entra"]>, pages: number): Promise<DeltaTally | null> {
  const ledger = ledgerFor(env).entra();
  const tally: DeltaTally = { pages: 0, revoked: 0, caught: 0, done: false, error: null };
  try {
    const claim = await ledger.claimDelta();
    if (claim === null) return null;
    const graph = graphFor(entra);
    let link = claim.link;
    while (tally.pages < pages) {
      const read = await graph.deltaPage(link);
      if (!read.ok) {
        tally.error = `${read.kind}: ${read.detail}`;
        if (read.kind === "sync_reset") {
          await ledger.resetDelta(read.detail);
        } else {
          const retryInMs = read.kind === "throttled" ? (read.retryAfterMs ?? RETRY_AFTER_FAILURE_MS) : RETRY_AFTER_FAILURE_MS;
          if (read.kind === "throttled") await ledger.pause(entraDeps().now() + retryInMs);
          await ledger.endDeltaRun(tally.error, retryInMs);
        }
        break;
      }
      if (read.nextLink === null && read.deltaLink === null) {
        tally.error = "malformed: a delta page with neither @odata.nextLink nor @odata.deltaLink";
        await ledger.endDeltaRun(tally.error, RETRY_AFTER_FAILURE_MS);
        break;
      }
      const applied = await ledger.applyDeltaPage(read);
      tally.pages++;
      tally.revoked += applied.revoked;
      tally.caught += applied.caught;
      if (read.deltaLink !== null) {
        tally.done = true;
        break;
      }
      link = read.nextLink;
    }
    if (!tally.done && tally.error === null) await ledger.endDeltaRun(null, 0);
  } catch (error) {
    tally.error = `ledger: ${String(error).slice(0, 200)}`;
  }
  logEvent(tally.error === null ? "entra.delta" : "entra.delta_failed", tally);
  return tally;
}
