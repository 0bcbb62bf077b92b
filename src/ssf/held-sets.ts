// SETs pushed while the transmitter's keys could not be fetched (its JWKS down, slow or garbage, and no key
// held could check them), or signed under a kid missing from keys fetched before they arrived while the
// refresh gate allowed no fetch (a rotation, jwks.ts). RFC 8935 has the receiver answer an error it names
// (400 invalid_key), and the route does; but the SET may be perfectly valid, and whether the transmitter
// ever delivers it again is its own choice (§4). So the route also hands the raw token to the ledger
// (ledger/ssf/held-sets.ts), and the Cron Trigger checks it again here, every minute, through exactly the
// push's verification (acceptToken) with the clock set to the time it arrived:
// - it verifies: committed like a push (commit-set.ts), the jti its event id, so a redelivery the
//   transmitter made meanwhile is the same revocation, never a second one;
// - it is refused (forged, wrong iss/aud, a kid the keys do not have): forgotten, counted with the
//   other refusals of that transmitter, logged; it never revokes anyone;
// - the keys are still unreachable, or not fetched since it arrived: tried again after the transmitter's
//   refresh interval, for a day (HOLD_FOR_MS, the SET's own iat window); then forgotten and counted as
//   `held_set_expired`.
// Nothing in a held token is read before it verifies, except to refuse it (verify-set.ts: claims no key
// could save are judged before a SET is held, and again at each check).
// Bounds: the ledger's per transmitter (HELD_SETS_PER_TRANSMITTER tokens, HELD_BYTES_PER_TRANSMITTER bytes);
// here, CHECKS_PER_RUN held SETs and BYTES_PER_RUN bytes decided a run, as the ledger deals them: round
// robin across transmitters, each one's oldest first, so one transmitter's forgeries never delay another's
// SETs, and a run decides a whole transmitter's hold (forgeries are cheap to refuse: no key, or one
// signature check). At most
// COMMITS_PER_RUN verified SETs are committed a run (a ledger call each); the rest wait for the next run.
// Decisions go to the ledger in one call, refusals counted in one more; plus the JWKS refresh gate (jwks.ts)
// shared with pushes.
// Contract: holdUnverifiedSet never throws; verifyHeldSets throws nothing it does not log.
import { configFor } from "../config";
import { utf8 } from "../crypto/bytes";
import { sha256Hex } from "../crypto/sha256";
import { ledgerFor } from "../ledger/client";
import type { RejectionCount } from "../ledger/rejections/counts";
import { HELD_BYTES_PER_TRANSMITTER, HELD_SETS_PER_TRANSMITTER, type HeldSettlement, type HoldOutcome } from "../ledger/ssf/held-sets";
import { logEvent } from "../log";
import { ssfSourceName } from "../sources/registry";
import { commitSet } from "./commit-set";
import { jwksCacheFor, ssfDeps } from "./jwks-registry";
import { acceptToken } from "./receive-set";
import { DEFAULT_SET_MAX_AGE_SECONDS } from "./verify-set";

/** How long a held SET is checked again: as long as a SET's iat may be old on arrival (verify-set.ts). */
const HOLD_FOR_MS = DEFAULT_SET_MAX_AGE_SECONDS * 1000;
const CHECKS_PER_RUN = HELD_SETS_PER_TRANSMITTER;
const BYTES_PER_RUN = HELD_BYTES_PER_TRANSMITTER;
const COMMITS_PER_RUN = 100;

/**
 * Hands a token the route could not verify at `receivedAt` (the route's clock) to the ledger; `failed` when
 * the ledger could not take it.
 */
export async function holdUnverifiedSet(env: Env, transmitter: string, token: string, receivedAt: number): Promise<HoldOutcome | "failed"> {
  try {
    const digest = await sha256Hex(utf8(token));
    return await ledgerFor(env).ssf().hold(transmitter, token, digest, receivedAt);
  } catch (error) {
    logEvent("ssf.hold_failed", { transmitter, error: String(error) });
    return "failed";
  }
}

/** The Cron Trigger's step: checks the held SETs that are due; answers what became of them. */
export async function verifyHeldSets(env: Env): Promise<{ verified: number; refused: number; waiting: number; expired: number }> {
  const tally = { verified: 0, refused: 0, waiting: 0, expired: 0 };
  const result = configFor(env);
  if (!result.ok) return tally;
  const ledger = ledgerFor(env);
  const held = await ledger.ssf().heldDue(CHECKS_PER_RUN, BYTES_PER_RUN);
  const settled: HeldSettlement[] = [];
  const refusals = new Map<string, RejectionCount>();
  const refuse = (transmitter: string, reason: string, at: number) => {
    const source = ssfSourceName(transmitter);
    const counted = refusals.get(`${source} ${reason}`);
    if (counted) Object.assign(counted, { count: counted.count + 1, last_at: at });
    else refusals.set(`${source} ${reason}`, { source, reason, count: 1, first_at: at, last_at: at });
  };
  try {
    for (const set of held) {
      if (tally.verified >= COMMITS_PER_RUN) break;
      const now = ssfDeps().now();
      const transmitter = result.config.ssfTransmitters.get(set.transmitter);
      if (!transmitter) {
        logEvent("ssf.held_dropped", { transmitter: set.transmitter, reason: "the transmitter is no longer configured" });
        settled.push({ id: set.id, retryInMs: null, detail: null });
        continue;
      }
      const checked = await acceptToken(set.token, {
        transmitterName: set.transmitter,
        transmitter,
        jwks: jwksCacheFor(set.transmitter, transmitter),
        now: set.received_at,
      });
      if (checked.kind === "accepted") {
        await commitSet(env, set.transmitter, checked);
        settled.push({ id: set.id, retryInMs: null, detail: null });
        logEvent("ssf.held_verified", { transmitter: set.transmitter, jti: checked.jti, held_ms: now - set.received_at });
        tally.verified++;
      } else if (checked.unverifiedToken === null) {
        settled.push({ id: set.id, retryInMs: null, detail: null });
        refuse(set.transmitter, checked.body.err, now);
        logEvent("ssf.held_refused", { transmitter: set.transmitter, err: checked.body.err, detail: checked.detail });
        tally.refused++;
      } else if (now - set.received_at >= HOLD_FOR_MS) {
        settled.push({ id: set.id, retryInMs: null, detail: null });
        refuse(set.transmitter, "held_set_expired", now);
        logEvent("ssf.held_expired", { transmitter: set.transmitter, attempts: set.attempts + 1, detail: checked.detail });
        tally.expired++;
      } else {
        settled.push({ id: set.id, retryInMs: transmitter.jwksMinRefreshMs, detail: checked.detail });
        tally.waiting++;
      }
    }
  } finally {
    // What was decided is kept even when a commit failed mid-run; the rest stays due for the next run.
    if (settled.length > 0) await ledger.ssf().settleHeld(settled);
    if (refusals.size > 0) await ledger.countRejections([...refusals.values()]);
  }
  if (held.length > 0) logEvent("ssf.held_checked", tally);
  return tally;
}
