// The human-readable audit trail in KV (binding AUDIT_LOG); the ledger stays the record of truth.
// Key schema: see KEYS.md beside this file. Every key is written once and never rewritten (KV allows one
// write per second per key, and an immutable trail is what an auditor wants); newest first because the
// timestamp in the key is inverted; a summary rides in the key's metadata so a listing needs no extra reads.
import type { RevocationRecord } from "../domain/revocation";

const INVERSION_BASE = 9_999_999_999_999;

function invertedTimestamp(ms: number): string {
  return String(INVERSION_BASE - ms).padStart(13, "0");
}

type AuditSummary = {
  kind: "outcome" | "outcome_batch" | "rejected" | "action" | "connection";
  at: string;
  source: string;
  status: string;
  id?: string;
  email?: string;
  detail?: string;
};

function expirationTtl(retentionDays: number): number {
  return Math.max(60, Math.round(retentionDays * 86_400));
}

/**
 * Writes one revocation outcome: the entry itself and its by-email index key. `label` is the status the
 * entry is written under: the record's own, or "followed_up" once its seats and verification are done.
 */
export async function recordOutcome(
  kv: KVNamespace,
  record: RevocationRecord,
  options: { retentionDays: number; now: number },
  label: string = record.status,
): Promise<void> {
  const inverted = invertedTimestamp(options.now);
  const summary: AuditSummary = {
    kind: "outcome",
    at: new Date(options.now).toISOString(),
    source: record.source,
    status: label,
    id: record.id,
    email: record.email ?? undefined,
  };
  const value = JSON.stringify(record);
  const put = { expirationTtl: expirationTtl(options.retentionDays), metadata: summary };
  const writes = [kv.put(`outcome:${inverted}:${record.id}:${label}`, value, put)];
  if (record.email) writes.push(kv.put(`email:${record.email}:${inverted}:${record.id}:${label}`, value, put));
  await Promise.all(writes);
}

/** One bulk revocation's outcome inside a batch entry: what an auditor reads of it (times in epoch ms here). */
export type BatchedOutcome = {
  revocation_id: string;
  email: string;
  status: string;
  at: number;
  received_at: number;
  targets: string[];
  time_to_revoke_ms: number | null;
  /** Each target's verification state; null while verification is off (or has not started). */
  verification: Record<string, string> | null;
};

/** A record's verification state per target (verified, still_active, not_applicable, pending, …); null when none has one. */
export function verificationByTarget(record: RevocationRecord): Record<string, string> | null {
  const states = record.results.flatMap((result) => (result.verification ? [[result.target, result.verification.state] as const] : []));
  return states.length > 0 ? Object.fromEntries(states) : null;
}

/** Writes the outcomes of a batch of bulk revocations as one entry (see KEYS.md: outcome-batch). */
export async function recordOutcomeBatch(
  kv: KVNamespace,
  jobId: string,
  outcomes: BatchedOutcome[],
  options: { retentionDays: number; now: number },
): Promise<void> {
  const statuses: Record<string, number> = {};
  for (const outcome of outcomes) statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
  const summary: AuditSummary = {
    kind: "outcome_batch",
    at: new Date(options.now).toISOString(),
    source: "bulk",
    status: Object.entries(statuses)
      .map(([status, count]) => `${status}:${count}`)
      .join(","),
    id: jobId,
  };
  const value = JSON.stringify({
    job_id: jobId,
    outcomes: outcomes.map((outcome) => ({
      ...outcome,
      at: new Date(outcome.at).toISOString(),
      received_at: new Date(outcome.received_at).toISOString(),
    })),
  });
  await kv.put(`outcome:${invertedTimestamp(options.now)}:${jobId}:batch-${crypto.randomUUID().slice(0, 8)}`, value, {
    expirationTtl: expirationTtl(options.retentionDays),
    metadata: summary,
  });
}

/** One hour of refused deliveries, counted by source and reason (never a body, signature or secret). */
export type RejectionSummary = {
  period_start: number;
  total: number;
  counts: { source: string; reason: string; count: number; first_at: number; last_at: number }[];
};

/** Writes one closed hour of refused deliveries as one entry (see KEYS.md: rejected). */
export async function recordRejectionSummary(kv: KVNamespace, summary: RejectionSummary, options: { retentionDays: number }): Promise<void> {
  const at = new Date(summary.period_start).toISOString();
  const metadata: AuditSummary = {
    kind: "rejected",
    at,
    source: [...new Set(summary.counts.map((count) => count.source))].join(","),
    status: summary.counts
      .map((count) => `${count.reason}:${count.count}`)
      .join(",")
      .slice(0, 500),
    detail: `${summary.total} refused deliveries in the hour from ${at}`,
  };
  const value = JSON.stringify({
    kind: "rejected",
    period_start: at,
    period_end: new Date(summary.period_start + 3_600_000).toISOString(),
    total: summary.total,
    counts: summary.counts.map((count) => ({
      ...count,
      first_at: new Date(count.first_at).toISOString(),
      last_at: new Date(count.last_at).toISOString(),
    })),
  });
  await kv.put(`rejected:${invertedTimestamp(summary.period_start)}:hour`, value, {
    expirationTtl: expirationTtl(options.retentionDays),
    metadata,
  });
}

/**
 * An operator's change to how revocations run, with the token's keyed fingerprint (operator/token-fingerprint.ts),
 * never the token: a token hold lifted (target: the account or zone), a failed revocation re-queued (its id), a
 * job's failures re-queued (the job's id). A retry lifts every hold too.
 */
export type OperatorAction = {
  action: "hold_cleared" | "revocation_retried" | "job_retried";
  target: string;
  detail: string;
  token_fingerprint: string;
};

export async function recordOperatorAction(kv: KVNamespace, action: OperatorAction, options: { retentionDays: number; now: number }): Promise<void> {
  const at = new Date(options.now).toISOString();
  const metadata: AuditSummary = {
    kind: "action",
    at,
    source: "operator",
    status: action.action,
    id: action.target,
    detail: action.detail.slice(0, 500),
  };
  // The target makes the key unique: two operators' actions in one millisecond never overwrite each other.
  await kv.put(`action:${invertedTimestamp(options.now)}:${action.action}:${action.target}`, JSON.stringify({ kind: "action", at, ...action }), {
    expirationTtl: expirationTtl(options.retentionDays),
    metadata,
  });
}

/**
 * A change of a managed connection (an SSF stream, a Google channel, a Graph subscription the Worker keeps):
 * created, renewed, repaired, stopped, verification_missed, failing or recovered, with the kind's sentence
 * about it (ids and times, never a channel token, client secret or other state).
 */
export type ConnectionAuditEntry = { name: string; kind: string; change: string; detail: string; at: number };

export async function recordConnectionChange(kv: KVNamespace, entry: ConnectionAuditEntry, options: { retentionDays: number }): Promise<void> {
  const at = new Date(entry.at).toISOString();
  const metadata: AuditSummary = {
    kind: "connection",
    at,
    source: entry.name,
    status: entry.change,
    id: entry.name,
    detail: entry.detail.slice(0, 500),
  };
  const value = { kind: "connection", at, connection: entry.name, connection_kind: entry.kind, change: entry.change, detail: entry.detail };
  // The change makes the key unique: a run's several changes in one millisecond never overwrite each other.
  await kv.put(`connection:${invertedTimestamp(entry.at)}:${entry.name}:${entry.change}`, JSON.stringify(value), {
    expirationTtl: expirationTtl(options.retentionDays),
    metadata,
  });
}

export type AuditListing = { entries: (AuditSummary & { key: string })[]; cursor: string | null };

/** The key prefix of each kind of entry (KEYS.md). */
export const AUDIT_PREFIXES = { outcomes: "outcome:", rejected: "rejected:", actions: "action:", connections: "connection:" } as const;

/** Lists outcomes newest first, all or for one email, refused deliveries, operator actions or connection changes; from metadata only. */
export async function listAuditTrail(
  kv: KVNamespace,
  options: { email?: string; rejected?: boolean; actions?: boolean; connections?: boolean; limit: number; cursor?: string },
): Promise<AuditListing> {
  const prefix = options.rejected
    ? AUDIT_PREFIXES.rejected
    : options.actions
      ? AUDIT_PREFIXES.actions
      : options.connections
        ? AUDIT_PREFIXES.connections
        : options.email
          ? `email:${options.email.toLowerCase()}:`
          : AUDIT_PREFIXES.outcomes;
  const page = await kv.list<AuditSummary>({ prefix, limit: options.limit, cursor: options.cursor });
  return {
    entries: page.keys.flatMap((key) => (key.metadata ? [{ key: key.name, ...key.metadata }] : [])),
    cursor: page.list_complete ? null : page.cursor,
  };
}
