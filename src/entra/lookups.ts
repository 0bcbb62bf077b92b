// Reading the users change notifications named: the paced work the route leaves after answering Graph's 202
// (a notification carries no user data, so what revokes is this read). Claimed from the ledger twenty at a time
// under a lease, read in one JSON batch (graph-client.ts: the user, else the deleted item, else gone), and
// settled in one transaction with the revocations the reads decide (ledger/entra/users.ts).
// - Graph's 429 (Retry-After), for the batch or for any user in it, pauses every read until then; 401/403, a
//   token endpoint that refuses or is down, 5xx and timeouts put the users back with a backoff and record why
//   (/healthz notes it). Nobody is revoked on a failed read: a user is revoked only by what Graph answered.
// - At most `batches` batches a call (two Graph requests each at most), so a notification's background work and
//   a Cron run each stay within a Worker's subrequest limit.
// Contract: never throws: a failure is recorded in the ledger, or logged when the ledger itself is out of reach.
import type { Config } from "../config";
import { ledgerFor } from "../ledger/client";
import { logEvent } from "../log";
import { entraDeps, graphFor } from "./deps";
import { BATCH_SIZE } from "./graph-client";

/** A failure as /healthz shows it: a refusal says what to check. */
function describe(failure: { kind: string; detail: string }): string {
  const hint = failure.kind === "refused" ? " (does the app have User.Read.All, with admin consent, and a valid credential?)" : "";
  return `${failure.kind}: ${failure.detail}${hint}`;
}

export type LookupTally = { read: number; revoked: number; unread: number; error: string | null };

export async function lookUpNotifiedUsers(env: Env, entra: NonNullable<Config["entra"]>, batches: number): Promise<LookupTally> {
  const tally: LookupTally = { read: 0, revoked: 0, unread: 0, error: null };
  const ledger = ledgerFor(env).entra();
  const graph = graphFor(entra);
  try {
    for (let batch = 0; batch < batches; batch++) {
      const { changes } = await ledger.claimLookups(BATCH_SIZE);
      if (changes.length === 0) break;
      const now = entraDeps().now();
      const readFor = new Map(changes.map((change) => [change.userId, change.receivedAt]));
      const read = await graph.readUsers(changes.map((change) => change.userId));
      if (!read.ok) {
        tally.error = describe(read);
        tally.unread += changes.length;
        const pauseUntil = read.kind === "throttled" ? now + (read.retryAfterMs ?? 60_000) : null;
        await ledger.settleLookups({
          found: [],
          failed: changes.map(({ userId }) => ({ userId, error: tally.error! })),
          pauseUntil,
          error: tally.error,
        });
        break;
      }
      const throttled = read.unread.filter((user) => user.failure.kind === "throttled");
      const refused = read.unread.find((user) => user.failure.kind === "refused");
      const pauseUntil = throttled.length > 0 ? now + Math.max(...throttled.map((user) => user.failure.retryAfterMs ?? 60_000)) : null;
      const receipts = await ledger.settleLookups({
        found: read.sightings.map((sighting) => ({ sighting, readFor: readFor.get(sighting.userId) ?? now })),
        failed: read.unread.map(({ userId, failure }) => ({ userId, error: describe(failure) })),
        pauseUntil,
        error: refused ? describe(refused.failure) : null,
      });
      tally.read += read.sightings.length;
      tally.unread += read.unread.length;
      tally.revoked += receipts.filter((receipt) => !receipt.duplicate).length;
      if (pauseUntil !== null) break;
    }
  } catch (error) {
    tally.error = `ledger: ${String(error).slice(0, 200)}`;
  }
  if (tally.read + tally.unread > 0 || tally.error !== null) logEvent(tally.error === null ? "entra.lookups" : "entra.lookups_failed", tally);
  return tally;
}
