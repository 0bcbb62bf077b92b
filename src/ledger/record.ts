// The revocation record: the one snake_case JSON shape used by API answers and the audit log.
// Contract: pure; rows in, record out. Carries no secret (the API token is never part of a request record).
import type { CloudflareError, RevokeUserRequest } from "../cloudflare/revoke-user";
import type { CallRow, CallState, RevocationRow, RevocationStatus } from "./schema";

/** One attempt at one target, as the record's history shows it. */
export type CallAttempt = { at: string; http_status: number | null; outcome: string; error: string | null };

/** History kept per target: the first attempts and the latest ones are what an operator needs. */
export const MAX_HISTORY = 20;

export type TargetResult = {
  target: string;
  state: CallState;
  attempts: number;
  http_status: number | null;
  errors: CloudflareError[];
  completed_at: string | null;
  /** Every attempt (at most MAX_HISTORY, oldest first): a success after failures shows both. */
  history: CallAttempt[];
  /** DRY_RUN only: the request that would have been sent. */
  request?: RevokeUserRequest;
};

export type RevocationRecord = {
  id: string;
  source: string;
  assurance: string;
  event_id: string;
  event_type: string;
  /** null while unresolved: the event named only a subject id the directory did not know yet. */
  email: string | null;
  subject_id: string | null;
  user_uid: string | null;
  reason: string | null;
  targets: string[];
  devices: boolean;
  warp_session_reauth: boolean;
  status: RevocationStatus;
  attempts: number;
  /** Why the revocation is not (yet) done: null once it succeeded; earlier errors stay in results[].history. */
  last_error: string | null;
  received_at: string;
  completed_at: string | null;
  /** Set for revocations submitted through POST /v1/revocations/bulk. */
  job_id: string | null;
  results: TargetResult[];
};

export const TERMINAL_STATUSES: ReadonlySet<RevocationStatus> = new Set([
  "revoked",
  "not_found",
  "failed",
  "dry_run",
  "invalid_email",
  "refused",
]);

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function toRecord(row: RevocationRow, calls: CallRow[]): RevocationRecord {
  return {
    id: row.id,
    source: row.source,
    assurance: row.assurance,
    event_id: row.event_id,
    event_type: row.event_type,
    email: row.email,
    subject_id: row.subject_id,
    user_uid: row.user_uid,
    reason: row.reason,
    targets: calls.map((call) => call.target),
    devices: row.devices === 1,
    warp_session_reauth: row.warp_session_reauth === 1,
    status: row.status,
    attempts: row.attempts,
    last_error: row.last_error,
    received_at: new Date(row.received_at).toISOString(),
    completed_at: isoOrNull(row.completed_at),
    job_id: row.job_id,
    results: calls.map((call) => {
      const result: TargetResult = {
        target: call.target,
        state: call.state,
        attempts: call.attempts,
        http_status: call.http_status,
        errors: call.errors ? (JSON.parse(call.errors) as CloudflareError[]) : [],
        completed_at: isoOrNull(call.completed_at),
        history: JSON.parse(call.history) as CallAttempt[],
      };
      if (call.request) result.request = JSON.parse(call.request) as RevokeUserRequest;
      return result;
    }),
  };
}

/**
 * A revocation's status once every target has answered: any failure fails it (an operator must look);
 * otherwise revoked if any target revoked something, not_found if none had anything to revoke.
 */
export function settledStatus(states: CallState[]): RevocationStatus {
  if (states.some((state) => state === "pending")) return "queued";
  if (states.some((state) => state === "failed")) return "failed";
  if (states.every((state) => state === "dry_run")) return "dry_run";
  if (states.some((state) => state === "revoked")) return "revoked";
  return "not_found";
}
