// The Graph subscription as the ledger keeps it (entra_state's subscription columns): which clientStates a
// notification may carry, what the last maintenance did, and what a lifecycle notification asked for. The
// Worker decides and calls Graph (src/entra/subscription.ts); this records, under a lease so two runs never
// create two subscriptions.
// - A subscription being created has its clientState recorded first (pending): Graph may deliver a notification
//   for it before it answers the creation, and that notification must not be refused.
// - When a subscription is replaced, the one before stays recognised until it expires: notifications already
//   in flight for it are Graph's genuine ones.
// Contract: synchronous SQLite; `now` is passed in.
import type { EntraStateRow } from "./schema";

/** The clientStates a notification may carry, each with the subscription it names (null: one being created). */
export type SubscriptionSecret = { subscriptionId: string | null; clientState: string };

export function stateRow(sql: SqlStorage): EntraStateRow {
  sql.exec("INSERT INTO entra_state (id) VALUES (1) ON CONFLICT DO NOTHING");
  return sql.exec<EntraStateRow>("SELECT * FROM entra_state WHERE id = 1").one();
}

export function subscriptionSecrets(sql: SqlStorage, now: number): SubscriptionSecret[] {
  const row = stateRow(sql);
  const secrets: SubscriptionSecret[] = [];
  if (row.subscription_id !== null && row.client_state !== null) secrets.push({ subscriptionId: row.subscription_id, clientState: row.client_state });
  if (row.pending_client_state !== null) secrets.push({ subscriptionId: null, clientState: row.pending_client_state });
  if (row.previous_subscription_id !== null && row.previous_client_state !== null && (row.previous_expires_at ?? 0) > now) {
    secrets.push({ subscriptionId: row.previous_subscription_id, clientState: row.previous_client_state });
  }
  return secrets;
}

/** The subscription as maintenance sees it, or null while another run holds the lease. */
export type SubscriptionView = {
  id: string | null;
  expiresAt: number | null;
  /** What a lifecycle notification asked for: renew (reauthorizationRequired) or create (subscriptionRemoved). */
  wanted: "renew" | "create" | null;
};

export function claimMaintenance(sql: SqlStorage, now: number, leaseMs: number): SubscriptionView | null {
  const row = stateRow(sql);
  if (row.maintenance_until > now) return null;
  sql.exec("UPDATE entra_state SET maintenance_until = ? WHERE id = 1", now + leaseMs);
  const wanted = row.subscription_wanted === "renew" || row.subscription_wanted === "create" ? row.subscription_wanted : null;
  return { id: row.subscription_id, expiresAt: row.subscription_expires_at, wanted };
}

export function releaseMaintenance(sql: SqlStorage): void {
  sql.exec("UPDATE entra_state SET maintenance_until = 0 WHERE id = 1");
}

/** Before asking Graph to create a subscription: its clientState is recognised from now on. */
export function prepareSubscription(sql: SqlStorage, clientState: string): void {
  stateRow(sql);
  sql.exec("UPDATE entra_state SET pending_client_state = ? WHERE id = 1", clientState);
}

/** Graph created one: it becomes the subscription, and the one it replaces is recognised until it expires. */
export function recordCreated(sql: SqlStorage, subscription: { id: string; expiresAt: number }, now: number): void {
  const row = stateRow(sql);
  const replaced = row.subscription_id !== null && row.subscription_id !== subscription.id;
  sql.exec(
    `UPDATE entra_state SET subscription_id = ?, client_state = pending_client_state, pending_client_state = NULL,
       subscription_expires_at = ?, subscription_created_at = ?, subscription_renewed_at = NULL,
       subscription_error = NULL, subscription_error_at = NULL, subscription_wanted = NULL,
       previous_subscription_id = ?, previous_client_state = ?, previous_expires_at = ?
     WHERE id = 1`,
    subscription.id,
    subscription.expiresAt,
    now,
    replaced ? row.subscription_id : row.previous_subscription_id,
    replaced ? row.client_state : row.previous_client_state,
    replaced ? row.subscription_expires_at : row.previous_expires_at,
  );
}

/** Graph renewed it (which also reauthorizes it). */
export function recordRenewed(sql: SqlStorage, expiresAt: number, now: number): void {
  sql.exec(
    `UPDATE entra_state SET subscription_expires_at = ?, subscription_renewed_at = ?, subscription_error = NULL,
       subscription_error_at = NULL, subscription_wanted = NULL WHERE id = 1`,
    expiresAt,
    now,
  );
}

/** Graph no longer has it (404 on renewal, or a subscriptionRemoved notification): the next run creates one. */
export function recordGone(sql: SqlStorage, now: number): void {
  const row = stateRow(sql);
  if (row.subscription_id === null) return;
  sql.exec(
    `UPDATE entra_state SET previous_subscription_id = subscription_id, previous_client_state = client_state,
       previous_expires_at = ?, subscription_id = NULL, client_state = NULL, subscription_expires_at = NULL,
       subscription_wanted = 'create' WHERE id = 1`,
    // Notifications already sent for it may still arrive for a while: recognised for an hour more.
    now + 3_600_000,
  );
}

export function recordSubscriptionError(sql: SqlStorage, error: string, now: number): void {
  stateRow(sql);
  sql.exec(
    "UPDATE entra_state SET subscription_error = ?, subscription_error_at = ?, pending_client_state = NULL WHERE id = 1",
    error.slice(0, 500),
    now,
  );
}

/** A lifecycle notification asked for a renewal (reauthorizationRequired), unless a creation is already wanted. */
export function wantRenewal(sql: SqlStorage): void {
  stateRow(sql);
  sql.exec("UPDATE entra_state SET subscription_wanted = COALESCE(subscription_wanted, 'renew') WHERE id = 1");
}
