// `ledger.ssf()`: what the Shared Signals receiver keeps in the ledger, as an RPC target of its own: each
// stream's notices and poll runs (ssf-streams.ts) and the SETs held while their keys could not be fetched
// (held-sets.ts). Revocations from SETs go through the ledger's commit like every other source's.
import { RpcTarget } from "cloudflare:workers";
import type { LedgerCore } from "./core";
import { dueHeldSets, type HeldSet, type HoldOutcome, holdSet, settleHeldSet } from "./held-sets";
import { recordPollRun, recordStreamNotices, type StreamNotice } from "./ssf-streams";

export class SsfRpc extends RpcTarget {
  constructor(private readonly core: LedgerCore) {
    super();
  }

  /** A transmitter's stream events (verification, stream-updated) from one SET issued at `issuedAt` (ms). */
  async recordStream(transmitter: string, notices: StreamNotice[], issuedAt: number): Promise<void> {
    this.core.transact(({ sql, now }) => recordStreamNotices(sql, transmitter, notices, issuedAt, now));
  }

  /** One poll run of a transmitter (ssf/poll-streams.ts): what it received and, if it failed, why. */
  async recordPollRun(transmitter: string, received: number, error: string | null): Promise<void> {
    this.core.transact(({ sql, now }) => recordPollRun(sql, transmitter, received, error, now));
  }

  /** Keeps a SET whose transmitter's keys could not be fetched, for the Cron Trigger to verify. */
  async hold(transmitter: string, token: string, digest: string, receivedAt: number): Promise<HoldOutcome> {
    return this.core.transact(({ sql, now }) => holdSet(sql, transmitter, token, digest, receivedAt, now));
  }

  /** Held SETs due for another check, oldest first. */
  async heldDue(limit: number): Promise<HeldSet[]> {
    return dueHeldSets(this.core.sql, this.core.now(), limit);
  }

  /** Forgets a held SET once decided (`retryInMs` null), or schedules its next check. */
  async settleHeld(id: number, retryInMs: number | null, detail: string | null): Promise<void> {
    this.core.transact(({ sql, now }) => settleHeldSet(sql, id, retryInMs, detail, now));
  }
}
