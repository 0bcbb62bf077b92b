// `ledger.entra()`: what the Worker keeps of Microsoft Entra ID, as an RPC target of its own. The route commits
// verified notifications here before it answers Graph; the Worker's paced reads (src/entra/lookups.ts), the
// delta catch-up (src/entra/delta.ts) and the subscription's maintenance (src/entra/subscription.ts) claim their
// work here under leases and record what Graph said. Revocations go through the ledger's commitRequest, like
// every source's, in the same transaction as what decided them.
import { RpcTarget } from "cloudflare:workers";
import type { EntraSource, UserSighting } from "../../domain/entra";
import type { CommitReceipt } from "../../domain/revocation";
import { recordProof } from "../connections/record";
import type { LedgerCore } from "../core";
import { noteAccepted } from "../deliveries/liveness";
import { claimChanges, forgetChange, noteChanges, type PendingChange, retryChange } from "./changes";
import { applyDeltaPage, claimDelta, type DeltaClaim, type DeltaPage, deltaNow, endDeltaRun, resetDelta } from "./delta";
import {
  claimMaintenance,
  prepareSubscription,
  recordCreated,
  recordGone,
  recordRenewed,
  recordSubscriptionError,
  releaseMaintenance,
  type SubscriptionSecret,
  type SubscriptionView,
  stateRow,
  subscriptionSecrets,
  wantRenewal,
} from "./subscription";
import { applySighting } from "./users";
import { entraView } from "./view";

/** A verified notification batch: the users named and the lifecycle events (refused items are not the ledger's). */
export type NotificationBatch = {
  changes: { userId: string; changeType: "updated" | "deleted" }[];
  lifecycle: ("reauthorizationRequired" | "subscriptionRemoved" | "missed")[];
};

/** A read of notified users: what was found for each (`readFor`: the notification it answered), what failed. */
export type LookupSettlement = {
  found: { sighting: UserSighting; readFor: number }[];
  failed: { userId: string; error: string }[];
  /** Graph answered 429: nothing until then. */
  pauseUntil: number | null;
  /** Why the run could not read at all (the token refused, Graph down); null when it could. */
  error: string | null;
};

const LEASE_MS = 60_000;
/** The source's name, as its deliveries' liveness is kept (ledger/deliveries/). */
const ENTRA_SOURCE = "entra";

export class EntraRpc extends RpcTarget {
  constructor(private readonly core: LedgerCore) {
    super();
  }

  /** The clientStates a notification may carry now. */
  async secrets(): Promise<SubscriptionSecret[]> {
    return this.core.transact(({ sql, now }) => subscriptionSecrets(sql, now));
  }

  /** Commits a verified batch; answers whether there are users to read. */
  async receive(batch: NotificationBatch): Promise<{ lookups: boolean }> {
    return this.core.transact(({ sql, now }) => {
      stateRow(sql);
      sql.exec(
        "UPDATE entra_state SET notifications = notifications + ?, last_notification_at = ? WHERE id = 1",
        batch.changes.length + batch.lifecycle.length,
        now,
      );
      noteChanges(sql, batch.changes, now);
      noteAccepted(sql, [ENTRA_SOURCE], now);
      // A notification verified by its clientState proves the subscription delivers (the managed connection `entra`).
      recordProof(sql, ENTRA_SOURCE, "a change notification verified by its clientState", now);
      for (const event of batch.lifecycle) {
        if (event === "reauthorizationRequired") wantRenewal(sql);
        else if (event === "subscriptionRemoved") recordGone(sql, now);
        else deltaNow(sql);
      }
      return { lookups: batch.changes.length > 0 };
    });
  }

  async claimLookups(limit: number): Promise<{ changes: PendingChange[]; pausedUntil: number | null }> {
    return this.core.transact(({ sql, now }) => claimChanges(sql, now, limit, LEASE_MS));
  }

  /** Decides every user read, in one transaction with the revocations it makes. */
  async settleLookups(settlement: LookupSettlement): Promise<CommitReceipt[]> {
    const receipts = this.core.transact((context) => {
      const { sql, now } = context;
      const made: CommitReceipt[] = [];
      for (const { sighting, readFor } of settlement.found) {
        const outcome = applySighting(context, sighting, "notification");
        if (outcome.receipt) made.push(outcome.receipt);
        forgetChange(sql, sighting.userId, readFor);
      }
      for (const { userId, error } of settlement.failed) retryChange(sql, userId, error, now, settlement.pauseUntil ?? 0);
      sql.exec(
        "UPDATE entra_state SET lookup_error = ?, paused_until = MAX(paused_until, ?) WHERE id = 1",
        settlement.error?.slice(0, 500) ?? null,
        settlement.pauseUntil ?? 0,
      );
      return made;
    });
    await this.committed(receipts);
    return receipts;
  }

  async claimMaintenance(): Promise<SubscriptionView | null> {
    return this.core.transact(({ sql, now }) => claimMaintenance(sql, now, LEASE_MS));
  }

  async prepareSubscription(clientState: string): Promise<void> {
    this.core.transact(({ sql }) => prepareSubscription(sql, clientState));
  }

  /** What the maintenance run came to; it releases the lease. */
  async recordMaintenance(
    outcome:
      | { kind: "created"; id: string; expiresAt: number }
      | { kind: "renewed"; expiresAt: number }
      | { kind: "gone" }
      | { kind: "failed"; error: string }
      | { kind: "unchanged" },
  ): Promise<void> {
    this.core.transact(({ sql, now }) => {
      if (outcome.kind === "created") recordCreated(sql, outcome, now);
      else if (outcome.kind === "renewed") recordRenewed(sql, outcome.expiresAt, now);
      else if (outcome.kind === "gone") recordGone(sql, now);
      else if (outcome.kind === "failed") recordSubscriptionError(sql, outcome.error, now);
      releaseMaintenance(sql);
    });
  }

  async claimDelta(): Promise<DeltaClaim | null> {
    return this.core.transact(({ sql, now }) => claimDelta(sql, now, LEASE_MS));
  }

  async applyDeltaPage(page: DeltaPage): Promise<{ revoked: number; caught: number }> {
    const everyMs = this.core.config().entra?.deltaEveryMs ?? 15 * 60_000;
    const { receipts, caught } = this.core.transact((context) => applyDeltaPage(context, page, everyMs));
    await this.committed(receipts);
    return { revoked: receipts.filter((receipt) => !receipt.duplicate).length, caught };
  }

  /** The round stopped: `error` null when only the run's budget ran out (it goes on next run). */
  async endDeltaRun(error: string | null, retryInMs: number): Promise<void> {
    this.core.transact(({ sql, now }) => endDeltaRun(sql, error, now + retryInMs));
  }

  async resetDelta(reason: string): Promise<void> {
    this.core.transact(({ sql, now }) => resetDelta(sql, reason, now));
  }

  /** Graph answered 429 outside a read of users: nothing until then. */
  async pause(until: number): Promise<void> {
    this.core.transact(({ sql }) => {
      stateRow(sql);
      sql.exec("UPDATE entra_state SET paused_until = MAX(paused_until, ?) WHERE id = 1", until);
    });
  }

  async view(): Promise<EntraSource> {
    return entraView(this.core.sql, this.core.now());
  }

  private async committed(receipts: CommitReceipt[]): Promise<void> {
    this.core.auditHeld(receipts);
    if (receipts.length > 0) await this.core.arm();
  }
}
