// The ledger's rows as the revocation record (domain/revocation.ts) that API answers and the audit log use.
// Contract: pure; rows in, record out. Carries no secret (the API token is never part of a request record).
// Each target's result is its revoke_user call; its seat and verification are read from that target's
// follow-up calls (follow-ups/steps.ts).
import type {
  ApiRequest,
  CallAttempt,
  CallKind,
  CloudflareError,
  Return,
  RevocationRecord,
  Seat,
  TargetResult,
  Verification,
} from "../../domain/revocation";
import { isoOrNull } from "../../domain/views";
import type { CallRow } from "../calls/schema";
import type { FollowUpFinding } from "../follow-ups/steps";
import type { RevocationRow } from "./schema";

const finding = (call: CallRow | undefined): FollowUpFinding | null => (call?.result ? (JSON.parse(call.result) as FollowUpFinding) : null);
const lastError = (call: CallRow): string | null => (JSON.parse(call.history) as CallAttempt[]).at(-1)?.error ?? null;

function seatOf(lookup: CallRow | undefined, update: CallRow | undefined): Seat | null {
  if (!lookup) return null;
  const found = finding(lookup);
  if (update) {
    if (update.state === "pending") return { state: "pending", at: null, detail: null };
    if (update.state === "failed") return { state: "failed", at: isoOrNull(update.completed_at), detail: lastError(update) };
    return {
      state: "removed",
      at: isoOrNull(update.completed_at),
      detail: `seat ${(finding(update) as { seat_uid?: string } | null)?.seat_uid ?? ""}`.trim(),
    };
  }
  if (lookup.state === "pending") return { state: "pending", at: null, detail: null };
  if (lookup.state === "failed") return { state: "failed", at: isoOrNull(lookup.completed_at), detail: lastError(lookup) };
  if (lookup.state === "skipped")
    return { state: "skipped", at: isoOrNull(lookup.completed_at), detail: (found as { detail?: string } | null)?.detail ?? null };
  if (found?.outcome === "no_access_user")
    return { state: "no_access_user", at: isoOrNull(lookup.completed_at), detail: "no Access user with this email on the account" };
  return { state: "already_removed", at: isoOrNull(lookup.completed_at), detail: "the user held no seat" };
}

function verificationOf(lookup: CallRow | undefined, sessions: CallRow | undefined, reRevoke: CallRow | undefined): Verification | null {
  if (!lookup) return null;
  const base = { verified_at: null, active_sessions: null, last_successful_login: null, re_revocation: reRevoke?.state ?? null, detail: null };
  const step = sessions ?? lookup;
  if (step.state === "pending") return { ...base, state: "pending" };
  if (step.state === "failed") return { ...base, state: "failed", detail: lastError(step) };
  if (step.state === "skipped") return { ...base, state: "skipped", detail: (finding(step) as { detail?: string } | null)?.detail ?? null };
  const found = finding(step);
  const at = isoOrNull(step.completed_at);
  if (found?.outcome === "no_access_user")
    return { ...base, state: "verified", verified_at: at, active_sessions: 0, detail: "no Access user with this email on the account" };
  if (found?.outcome === "verified" || found?.outcome === "still_active") {
    const detail =
      found.outcome === "still_active"
        ? [
            found.active_sessions > 0 ? `${found.active_sessions} active session(s)` : null,
            found.login_after_revocation ? "a login after the revocation" : null,
          ]
            .filter(Boolean)
            .join(" and ")
        : null;
    return {
      ...base,
      state: found.outcome,
      verified_at: at,
      active_sessions: found.active_sessions,
      last_successful_login: found.last_successful_login,
      detail,
    };
  }
  return { ...base, state: "pending" };
}

/** What the sweep saw, as revocations.return_detail keeps it (returns.ts writes it). */
export type ReturnDetail = Pick<Return, "target" | "last_successful_login" | "holds_seat" | "active_device_count" | "detail"> & { found_at: number };

function returnOf(row: RevocationRow): Return | null {
  if (row.returned_at === null || row.return_detail === null) return null;
  const detail = JSON.parse(row.return_detail) as ReturnDetail;
  return {
    ...detail,
    found_at: new Date(detail.found_at).toISOString(),
    revoked_again: row.return_revocation_id,
    acknowledged_at: isoOrNull(row.return_acknowledged_at),
    acknowledgement: row.return_acknowledgement === null ? null : (JSON.parse(row.return_acknowledgement) as { reason: string }).reason,
  };
}

export function toRecord(row: RevocationRow, calls: CallRow[]): RevocationRecord {
  const byTarget = new Map<string, Partial<Record<CallKind, CallRow>>>();
  for (const call of calls) byTarget.set(call.target, { ...byTarget.get(call.target), [call.kind]: call });
  const revokes = calls.filter((call) => call.kind === "revoke");
  // With follow-ups on, a zone (which has no users or seats) says so rather than nothing.
  const owes = (call: CallRow, what: "seats" | "verify") => call.follow_ups_due?.split(",").includes(what) === true;
  const anySeat = calls.some((call) => call.kind === "seat_lookup" || owes(call, "seats"));
  const anyVerification = calls.some((call) => call.kind === "verify_lookup" || owes(call, "verify"));
  const notApplicable = { state: "not_applicable" as const, detail: "zones have no Access users or seats" };
  return {
    id: row.id,
    source: row.source,
    assurance: row.assurance,
    event_id: row.event_id,
    event_type: row.event_type,
    email: row.email,
    email_as_received: row.email_as_received,
    subject_id: row.subject_id,
    user_uid: row.user_uid,
    reason: row.reason,
    targets: revokes.map((call) => call.target),
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
    event_at: isoOrNull(row.event_at),
    returned_at: isoOrNull(row.returned_at),
    return: returnOf(row),
    revokes_return_of: row.revokes_return_of,
    results: revokes.map((call) => {
      const follow = byTarget.get(call.target) ?? {};
      const zone = call.target.startsWith("zones/");
      const result: TargetResult = {
        target: call.target,
        state: call.state,
        attempts: call.attempts,
        http_status: call.http_status,
        errors: call.errors ? (JSON.parse(call.errors) as CloudflareError[]) : [],
        completed_at: isoOrNull(call.completed_at),
        history: JSON.parse(call.history) as CallAttempt[],
        // Owed but not planned yet (planned with leftover pace, follow-ups/plan.ts): pending.
        seat:
          zone && anySeat
            ? { ...notApplicable, at: null }
            : (seatOf(follow.seat_lookup, follow.seat_update) ?? (owes(call, "seats") ? { state: "pending", at: null, detail: null } : null)),
        verification:
          zone && anyVerification
            ? { ...notApplicable, verified_at: null, active_sessions: null, last_successful_login: null, re_revocation: null }
            : (verificationOf(follow.verify_lookup, follow.verify_sessions, follow.re_revoke) ??
              (owes(call, "verify")
                ? { state: "pending", verified_at: null, active_sessions: null, last_successful_login: null, re_revocation: null, detail: null }
                : null)),
      };
      if (call.request) result.request = JSON.parse(call.request) as ApiRequest;
      return result;
    }),
  };
}
