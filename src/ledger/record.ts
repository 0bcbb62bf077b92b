// The ledger's rows as the revocation record (domain/revocation.ts) that API answers and the audit log use.
// Contract: pure; rows in, record out. Carries no secret (the API token is never part of a request record).
import type { ApiRequest, CallAttempt, CloudflareError, RevocationRecord, TargetResult } from "../domain/revocation";
import type { CallRow, RevocationRow } from "./schema";

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
    time_to_revoke_ms: row.ttr_ms,
    lane: row.lane,
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
      if (call.request) result.request = JSON.parse(call.request) as ApiRequest;
      return result;
    }),
  };
}
