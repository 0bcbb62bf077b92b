// The ledger's one ordered list of migrations (Durable Object storage.sql): entry i brings a ledger from
// version i to i + 1 (store/migrate.ts records it in ledger_schema). Each table is created, altered and
// written by one folder, which keeps its part of every version beside its row type, with why it changed:
//   revocations/schema.ts  revocations, identities, directory_events
//   calls/schema.ts        calls, target_holds
//   drain/schema.ts        drain_state, token_budgets
//   jobs/schema.ts         jobs
//   audit/schema.ts        audit_batch, audit_chain
//   scim/schema.ts         scim_resources
//   ssf/schema.ts          ssf_streams, held_sets, ssf_set_digests, ssf_jti_conflicts
//   entra/schema.ts        entra_state, entra_changes, entra_users
//   rejections/schema.ts   rejections
//   keys/schema.ts         ledger_keys
//   sweep/schema.ts        sweeps, sweep_accounts
//   connections/schema.ts  managed_connections
//   deliveries/schema.ts   source_deliveries
//   alerts/schema.ts       alert_outbox
//   store/migrate.ts       ledger_schema
// A version's parts run in the order listed, in one transaction. Append a new version for every change
// (with a comment naming the issue); never edit one that has shipped: a deployed ledger runs only the
// versions after its own, and must end where a new one does.
import { ALERTS_MIGRATIONS as ALERTS } from "./alerts/schema";
import { AUDIT_MIGRATIONS as AUDIT } from "./audit/schema";
import { CALLS_MIGRATIONS as CALLS } from "./calls/schema";
import { CONNECTIONS_MIGRATIONS as CONNECTIONS } from "./connections/schema";
import { DELIVERIES_MIGRATIONS as DELIVERIES } from "./deliveries/schema";
import { DRAIN_MIGRATIONS as DRAIN } from "./drain/schema";
import { ENTRA_MIGRATIONS as ENTRA } from "./entra/schema";
import { JOBS_MIGRATIONS as JOBS } from "./jobs/schema";
import { KEYS_MIGRATIONS as KEYS } from "./keys/schema";
import { REJECTIONS_MIGRATIONS as REJECTIONS } from "./rejections/schema";
import { REVOCATIONS_MIGRATIONS as REVOCATIONS } from "./revocations/schema";
import { SCIM_MIGRATIONS as SCIM } from "./scim/schema";
import { SSF_MIGRATIONS as SSF } from "./ssf/schema";
import { migrate } from "./store/migrate";
import { SWEEP_MIGRATIONS as SWEEP } from "./sweep/schema";

const version = (...parts: string[]) => parts.join("");

export const LEDGER_MIGRATIONS: readonly string[] = [
  // v1: revocations, the directory, calls and holds, the drain's state, bulk jobs and their audit batches, SCIM.
  version(REVOCATIONS.v1, JOBS.v1, AUDIT.v1, CALLS.v1, SCIM.v1, DRAIN.v1),
  // v2 (issue #9): JSON dedupe keys, Idempotency-Key fingerprints, call history, job body digests and chunks,
  // refused deliveries counted per hour.
  version(REVOCATIONS.v2, CALLS.v2, JOBS.v2, REJECTIONS.v2),
  // v3 (issue #11): lanes, groups and leases of calls; lanes and time to revoke of revocations.
  version(CALLS.v3, REVOCATIONS.v3),
  // v4 (issue #12): follow-ups: a call gains its kind (the calls table is rebuilt).
  version(CALLS.v4),
  // v5 (issue #14): Shared Signals streams.
  version(SSF.v5),
  // v6 (issue #12): follow-ups planned with leftover pace.
  version(CALLS.v6),
  // v7 (issue #14): SETs held while their transmitter's keys could not be fetched.
  version(SSF.v7),
  // v8 (issue #14): poll delivery (RFC 8936).
  version(SSF.v8),
  // v9: a bulk revocation's audit outcomes keyed by status as well.
  version(AUDIT.v9),
  // v10 (issue #18): events that teach the directory are de-duplicated like every event.
  version(REVOCATIONS.v10),
  // v11 (issue #18): keys the ledger makes once and keeps.
  version(KEYS.v11),
  // v12 (issue #18): the email as the source spelled it.
  version(REVOCATIONS.v12),
  // v13 (issue #18): a stream-updated event whose status could not be read.
  version(SSF.v13),
  // v14 (issue #18): what each transmitter's jti said, and the jtis reused.
  version(SSF.v14),
  // v15 (issue #18): a bulk revocation's queued audit outcome keeps what the CSV export shows.
  version(AUDIT.v15),
  // v16 (issue #18): calls.hold_failed, so lifting a hold re-queues exactly what it failed.
  version(CALLS.v16),
  // v17 (issue #22): a budget, pace and pause per Cloudflare API token.
  version(DRAIN.v17),
  // v18 (issue #23): the audit chain.
  version(AUDIT.v18),
  // v19 (issue #23): the reconciliation sweep and the returns it finds; the IdP's own event time.
  version(REVOCATIONS.v19, SWEEP.v19),
  // v20 (issue #20): managed connections (SSF streams, Google channels, Graph subscriptions the Worker keeps).
  version(CONNECTIONS.v20),
  // v21 (issue #20): each source's last accepted delivery, for its liveness.
  version(DELIVERIES.v21),
  // v22 (issue #20): the alerts' outbox.
  version(ALERTS.v22),
  // v23 (issue #21): Microsoft Entra ID: the Graph subscription, the delta catch-up, notified users to read, decided users.
  version(ENTRA.v23),
  // v24 (issue #20): what each managed connection shows an operator (its details).
  version(CONNECTIONS.v24),
];

/** Brings the ledger's SQLite to the newest schema; runs in the Durable Object's constructor. */
export function migrateLedger(sql: SqlStorage): void {
  migrate(sql, LEDGER_MIGRATIONS);
}
