// The human-readable audit trail in KV (binding AUDIT_LOG); the ledger stays the record of truth.
// Key schema: see KEYS.md beside this file. Every key is written once and never rewritten (KV allows one
// write per second per key, and an immutable trail is what an auditor wants); newest first because the
// timestamp in the key is inverted; a summary rides in the key's metadata so a listing needs no extra reads.
// Since issue #23 every entry is chained: the builders below make an entry (its key, value and summary), the
// ledger appends it to the audit chain, which gives it its seq, prev_hash and hash (ledger/audit/chain.ts,
// domain/audit-chain.ts), and only then writeAuditCopy puts it in KV with those fields. Nothing else writes
// AUDIT_LOG (test/architecture.test.ts holds every other file to it), so no entry reaches KV unchained.
import type { ChainPosition } from "../domain/audit-chain";
import type { RevocationRecord } from "../domain/revocation";

const INVERSION_BASE = 9_999_999_999_999;

function invertedTimestamp(ms: number): string {
  return String(INVERSION_BASE - ms).padStart(13, "0");
}

type AuditSummary = {
  kind: "outcome" | "outcome_batch" | "rejected" | "action" | "sweep" | "connection";
  at: string;
  source: string;
  status: string;
  id?: string;
  email?: string;
  detail?: string;
};

/**
 * One audit entry before the chain places it: its KV key, its value (a JSON object, never with a member
 * named key, seq, prev_hash or hash) and the summary a listing shows; `index_keys` are more keys for the same
 * value (the by-email index), not entries of their own.
 */
export type AuditEntry = { key: string; value: Record<string, unknown>; metadata: AuditSummary; index_keys?: string[] };

function expirationTtl(retentionDays: number): number {
  return Math.max(60, Math.round(retentionDays * 86_400));
}

/**
 * Writes an entry's KV copy once the chain placed it: the value and summary carry its seq (and the value its
 * prev_hash and hash). The one writer of AUDIT_LOG; the ledger calls it (ledger/audit/chain-writer.ts).
 */
export async function writeAuditCopy(kv: KVNamespace, entry: AuditEntry, position: ChainPosition, options: { retentionDays: number }): Promise<void> {
  const value = JSON.stringify({ ...entry.value, ...position });
  const put = { expirationTtl: expirationTtl(options.retentionDays), metadata: { ...entry.metadata, seq: position.seq } };
  await Promise.all([entry.key, ...(entry.index_keys ?? [])].map((key) => kv.put(key, value, put)));
}

/**
 * One revocation outcome: the entry and its by-email index key. `label` is the status the entry is written
 * under: the record's own, or "followed_up" once its seats and verification are done.
 */
export function outcomeEntry(record: RevocationRecord, now: number, label: string = record.status): AuditEntry {
  const inverted = invertedTimestamp(now);
  return {
    key: `outcome:${inverted}:${record.id}:${label}`,
    value: record as unknown as Record<string, unknown>,
    metadata: {
      kind: "outcome",
      at: new Date(now).toISOString(),
      source: record.source,
      status: label,
      id: record.id,
      email: record.email ?? undefined,
    },
    index_keys: record.email ? [`email:${record.email}:${inverted}:${record.id}:${label}`] : [],
  };
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

/** The outcomes of a batch of bulk revocations as one entry (see KEYS.md: outcome-batch). */
export function outcomeBatchEntry(jobId: string, outcomes: BatchedOutcome[], now: number): AuditEntry {
  const statuses: Record<string, number> = {};
  for (const outcome of outcomes) statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
  return {
    key: `outcome:${invertedTimestamp(now)}:${jobId}:batch-${crypto.randomUUID().slice(0, 8)}`,
    value: {
      job_id: jobId,
      outcomes: outcomes.map((outcome) => ({
        ...outcome,
        at: new Date(outcome.at).toISOString(),
        received_at: new Date(outcome.received_at).toISOString(),
      })),
    },
    metadata: {
      kind: "outcome_batch",
      at: new Date(now).toISOString(),
      source: "bulk",
      status: Object.entries(statuses)
        .map(([status, count]) => `${status}:${count}`)
        .join(","),
      id: jobId,
    },
  };
}

/** One hour of refused deliveries, counted by source and reason (never a body, signature or secret). */
export type RejectionSummary = {
  period_start: number;
  total: number;
  counts: { source: string; reason: string; count: number; first_at: number; last_at: number }[];
};

/** One closed hour of refused deliveries as one entry (see KEYS.md: rejected). */
export function rejectionSummaryEntry(summary: RejectionSummary): AuditEntry {
  const at = new Date(summary.period_start).toISOString();
  return {
    key: `rejected:${invertedTimestamp(summary.period_start)}:hour`,
    value: {
      kind: "rejected",
      period_start: at,
      period_end: new Date(summary.period_start + 3_600_000).toISOString(),
      total: summary.total,
      counts: summary.counts.map((count) => ({
        ...count,
        first_at: new Date(count.first_at).toISOString(),
        last_at: new Date(count.last_at).toISOString(),
      })),
    },
    metadata: {
      kind: "rejected",
      at,
      source: [...new Set(summary.counts.map((count) => count.source))].join(","),
      status: summary.counts
        .map((count) => `${count.reason}:${count.count}`)
        .join(",")
        .slice(0, 500),
      detail: `${summary.total} refused deliveries in the hour from ${at}`,
    },
  };
}

/**
 * An operator's change to how revocations run, with the token's keyed fingerprint (operator/token-fingerprint.ts),
 * never the token: a token hold lifted (target: the account or zone), a failed revocation re-queued (its id), a
 * job's failures re-queued (the job's id), a return acknowledged (the revocation's id, the reason in detail), a
 * reconciliation sweep started (its id). A retry lifts every hold too.
 */
export type OperatorAction = {
  action: "hold_cleared" | "revocation_retried" | "job_retried" | "return_acknowledged" | "sweep_started";
  target: string;
  detail: string;
  token_fingerprint: string;
};

export function operatorActionEntry(action: OperatorAction, now: number): AuditEntry {
  const at = new Date(now).toISOString();
  return {
    // The target makes the key unique: two operators' actions in one millisecond never overwrite each other.
    key: `action:${invertedTimestamp(now)}:${action.action}:${action.target}`,
    value: { kind: "action", at, ...action },
    metadata: { kind: "action", at, source: "operator", status: action.action, id: action.target, detail: action.detail.slice(0, 500) },
  };
}

/** A finished reconciliation sweep, as the ledger keeps it (ledger/sweep/): what it read and found. */
export type SweepSummary = {
  id: number;
  trigger: string;
  started_at: number;
  finished_at: number | null;
  status: string;
  users_seen: number;
  returns_found: number;
  revoked_again: number;
  list_changed: number;
  detail: string | null;
  accounts: {
    target: string;
    state: string;
    pages_read: number;
    users_seen: number;
    returns_found: number;
    total_count: number | null;
    detail: string | null;
  }[];
};

/** A finished reconciliation sweep as one entry (see KEYS.md: sweep): the evidence that it ran, found or not. */
export function sweepEntry(sweep: SweepSummary): AuditEntry {
  const at = new Date(sweep.finished_at ?? sweep.started_at).toISOString();
  return {
    key: `sweep:${invertedTimestamp(sweep.finished_at ?? sweep.started_at)}:${sweep.id}`,
    value: {
      kind: "sweep",
      sweep_id: sweep.id,
      trigger: sweep.trigger,
      status: sweep.status,
      started_at: new Date(sweep.started_at).toISOString(),
      finished_at: at,
      users_seen: sweep.users_seen,
      returns_found: sweep.returns_found,
      revoked_again: sweep.revoked_again,
      list_changed: sweep.list_changed === 1,
      detail: sweep.detail,
      accounts: sweep.accounts.map(({ target, state, pages_read, users_seen, returns_found, total_count, detail }) => ({
        target,
        state,
        pages_read,
        users_seen,
        returns_found,
        total_count,
        detail,
      })),
    },
    metadata: {
      kind: "sweep",
      at,
      source: sweep.trigger,
      status: sweep.status,
      id: String(sweep.id),
      detail: `${sweep.users_seen} users read, ${sweep.returns_found} came back${sweep.detail ? `: ${sweep.detail}` : ""}`.slice(0, 500),
    },
  };
}

/**
 * A change of a managed connection (an SSF stream, a Google channel, a Graph subscription the Worker keeps):
 * created, renewed, repaired, stopped, verification_missed, failing or recovered, with the kind's sentence
 * about it (ids and times, never a channel token, client secret or other state).
 */
export type ConnectionAuditEntry = { name: string; kind: string; change: string; detail: string; at: number };

export function connectionEntry(entry: ConnectionAuditEntry): AuditEntry {
  const at = new Date(entry.at).toISOString();
  return {
    // The change makes the key unique: a run's several changes in one millisecond never overwrite each other.
    key: `connection:${invertedTimestamp(entry.at)}:${entry.name}:${entry.change}`,
    value: { kind: "connection", at, connection: entry.name, connection_kind: entry.kind, change: entry.change, detail: entry.detail },
    metadata: { kind: "connection", at, source: entry.name, status: entry.change, id: entry.name, detail: entry.detail.slice(0, 500) },
  };
}

export type AuditListing = { entries: (AuditSummary & { key: string })[]; cursor: string | null };

/** The key prefix of each kind of entry (KEYS.md). */
export const AUDIT_PREFIXES = {
  outcomes: "outcome:",
  rejected: "rejected:",
  actions: "action:",
  connections: "connection:",
  sweeps: "sweep:",
} as const;

/** A kind of entry other than outcomes, as a listing asks for it. */
export type AuditKind = Exclude<keyof typeof AUDIT_PREFIXES, "outcomes">;

/**
 * Lists newest first, from metadata only: outcomes (all, or for one email), or one other kind of entry
 * (refused deliveries, operator actions, connection changes, finished sweeps).
 */
export async function listAuditTrail(
  kv: KVNamespace,
  options: { email?: string; kind?: AuditKind; limit: number; cursor?: string },
): Promise<AuditListing> {
  const prefix = options.kind ? AUDIT_PREFIXES[options.kind] : options.email ? `email:${options.email.toLowerCase()}:` : AUDIT_PREFIXES.outcomes;
  const page = await kv.list<AuditSummary>({ prefix, limit: options.limit, cursor: options.cursor });
  return {
    entries: page.keys.flatMap((key) => (key.metadata ? [{ key: key.name, ...key.metadata }] : [])),
    cursor: page.list_complete ? null : page.cursor,
  };
}
