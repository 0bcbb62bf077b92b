// `ledger.ssf()`: what the Shared Signals receiver keeps in the ledger, as an RPC target of its own: a
// verified SET committed whole (its revocations, the identities it showed, its stream events and its jti,
// in one transaction), each stream's poll runs (streams.ts) and the SETs held while their keys could
// not be fetched (held-sets.ts). Revocations go through the ledger's commitRequest like every source's.
import { RpcTarget } from "cloudflare:workers";
import type { Observation } from "../../domain/identity-events";
import type { CommitReceipt, RevocationRequest } from "../../domain/revocation";
import { ssfSourceName } from "../../domain/ssf/transmitters";
import type { LedgerCore } from "../core";
import { noteAccepted } from "../deliveries/liveness";
import { commitRequest } from "../revocations/commit";
import { learnObservation } from "../revocations/resolve";
import { dueHeldSets, type HeldSet, type HeldSettlement, type HoldOutcome, holdSet, settleHeldSets } from "./held-sets";
import { claimJti } from "./jti";
import { recordPollRun, recordStreamNotices, type StreamNotice } from "./streams";

/** A verified SET as the receiver read it; `issuedAt` is its iat in milliseconds, `digest` what it says (src/ssf/set-digest.ts). */
export type SetToCommit = {
  jti: string;
  digest: string;
  issuedAt: number;
  requests: RevocationRequest[];
  observations: Observation[];
  notices: StreamNotice[];
};

/** `firstDigest`: set when the jti was first used by a SET that said something else (jti.ts). */
export type SetCommit = { receipts: CommitReceipt[]; firstDigest: string | null };

export class SsfRpc extends RpcTarget {
  constructor(private readonly core: LedgerCore) {
    super();
  }

  /**
   * Commits a transmitter's verified SET. A SET reusing a jti for other content is recorded as a conflict and
   * its revocations get event ids of their own (`<event id>#<16 hex of its digest>`) and a reason naming both
   * digests, so it is never mistaken for the first SET's duplicate.
   */
  async commitSet(transmitter: string, set: SetToCommit): Promise<SetCommit> {
    const outcome = this.core.transact((context) => {
      noteAccepted(context.sql, [ssfSourceName(transmitter)], context.now);
      const dedupedByJti = set.requests.length + set.observations.length > 0;
      const firstDigest = dedupedByJti ? claimJti(context.sql, transmitter, set.jti, set.digest, context.now) : null;
      // Once per (source, event id), as a webhook's: a replayed SET teaches nothing; a reused jti's are its own.
      const observations = firstDigest === null ? set.observations : set.observations.map((seen) => asReusedJtiLesson(seen, set));
      for (const seen of observations) learnObservation(context, seen);
      const requests = firstDigest === null ? set.requests : set.requests.map((request) => asReusedJti(request, set, firstDigest));
      const receipts = requests.map((request) => commitRequest(context, request));
      if (set.notices.length > 0) recordStreamNotices(context.sql, transmitter, set.notices, set.issuedAt, context.now);
      return { receipts, firstDigest };
    });
    this.core.auditHeld(outcome.receipts);
    if (outcome.receipts.length > 0) await this.core.arm();
    return outcome;
  }

  /** One poll run of a transmitter (src/ssf/poll-streams.ts): what it received and, if it failed, why. */
  async recordPollRun(transmitter: string, received: number, error: string | null): Promise<void> {
    this.core.transact(({ sql, now }) => recordPollRun(sql, transmitter, received, error, now));
  }

  /** Keeps a SET whose transmitter's keys could not be fetched, for the Cron Trigger to verify. */
  async hold(transmitter: string, token: string, digest: string, receivedAt: number): Promise<HoldOutcome> {
    return this.core.transact(({ sql, now }) => holdSet(sql, transmitter, token, digest, receivedAt, now));
  }

  /** Held SETs due for another check, round robin across transmitters, each one's oldest first. */
  async heldDue(limit: number, maxBytes: number): Promise<HeldSet[]> {
    return dueHeldSets(this.core.sql, this.core.now(), limit, maxBytes);
  }

  /** Forgets the held SETs decided (`retryInMs` null) and schedules the others' next check, in one transaction. */
  async settleHeld(settlements: HeldSettlement[]): Promise<void> {
    this.core.transact(({ sql, now }) => settleHeldSets(sql, settlements, now));
  }
}

function asReusedJti(request: RevocationRequest, set: SetToCommit, firstDigest: string): RevocationRequest {
  const note = `jti ${set.jti} was first used by a SET saying something else: sha256 ${firstDigest}, this one ${set.digest}`;
  return {
    ...request,
    event_id: reusedId(request.event_id, set),
    reason: (request.reason ? `${request.reason} (${note})` : note).slice(0, 1000),
  };
}

function asReusedJtiLesson(seen: Observation, set: SetToCommit): Observation {
  return seen.event_id === undefined ? seen : { ...seen, event_id: reusedId(seen.event_id, set) };
}

/** An event id under a reused jti: its own, by the SET's digest. */
function reusedId(eventId: string | number, set: SetToCommit): string {
  return `${eventId}#${set.digest.slice(0, 16)}`;
}
