// One call, from its kind to its request, and from its classified answer to what the ledger records.
// Contract: synchronous SQLite (the caller runs settleAnswer in a transaction); no network, no clock:
// the drain sends the request, classifies the answer and carries out the effects this returns (pauses,
// logs, audit writes, waking waiters).
import { buildActiveSessionsRequest, buildFindAccessUserRequest, buildRemoveSeatRequest } from "../cloudflare/access-users";
import { buildRevokeUserRequest, readRevokeUserResult } from "../cloudflare/revoke-user";
import type { Config, Target } from "../config";
import type { ApiRequest, CloudflareError, RevocationStatus } from "../domain/revocation";
import { insertCall } from "./call-insert";
import { type CallResult, type DueCall, endOutlivedHold, holdTarget, isRevokeKind, scheduleRetry, settleCall } from "./calls";
import { backoffMs, type CallVerdict } from "./classify";
import { type FollowUpSettings, followUpsOwed, type NewCall, REFUSED_FOLLOW_UP_OFF_MS, readFollowUp } from "./follow-ups";
import type { Lane } from "./lanes";
import { markStillActive } from "./revocations";

/** How long calls to a target wait after the API refuses the token for a revocation there, before one probing call. */
const TOKEN_HOLD_MS = 5 * 60_000;
const RETRY_BUDGET_MS = 24 * 60 * 60_000;

function parseTarget(path: string): Target {
  const [kind, id] = path.split("/") as ["accounts" | "zones", string];
  return { kind, id };
}

/** The request a call sends (also what DRY_RUN records as "would have been sent"). */
export function requestFor(call: DueCall, config: Config): ApiRequest {
  const target = parseTarget(call.target);
  const payload = call.payload ? (JSON.parse(call.payload) as { user_id?: string; seat_uid?: string }) : {};
  switch (call.kind) {
    case "revoke":
    case "re_revoke":
      return buildRevokeUserRequest(config.cfApiBaseUrl, {
        target,
        email: call.email,
        userUid: call.user_uid,
        devices: call.devices === 1,
        warpSessionReauth: call.warp_session_reauth === 1,
      });
    case "seat_lookup":
    case "verify_lookup":
      return buildFindAccessUserRequest(config.cfApiBaseUrl, target.id, call.email);
    case "seat_update":
      return buildRemoveSeatRequest(config.cfApiBaseUrl, target.id, payload.seat_uid ?? "");
    case "verify_sessions":
      return buildActiveSessionsRequest(config.cfApiBaseUrl, target.id, payload.user_id ?? "");
  }
}

/** What the drain must do after an answer was recorded. */
export type Effects = {
  /** Pause every call until then (a 429). */
  pauseUntil?: { at: number; reason: string };
  /** The call's revocation reached this status (terminal ones are logged, audited and wake waiters). */
  revocation?: RevocationStatus;
  /** A follow-up the API refused the token for: switch it off until then. */
  followUpOff?: { which: "seats" | "verify"; until: number };
  /** A verification found the person still active: audit it and tell the operator. */
  stillActive?: boolean;
  /** Follow-ups finished for this revocation (audit the record with its seats and verification). */
  followedUp?: boolean;
  /** The lanes and groups of the calls this answer queued (the drain serves them without a rescan). */
  queued?: { lane: Lane; group: string }[];
};

export type AnswerContext = {
  now: number;
  httpStatus: number | null;
  errors: CloudflareError[];
  random: () => number;
  followUps: FollowUpSettings;
  /** The drain's current pause, for a retry after a 429. */
  pausedUntil: number;
};

/** Records a classified answer for a call; answers what the drain must do next. */
export function settleAnswer(sql: SqlStorage, call: DueCall, verdict: CallVerdict, context: AnswerContext): Effects {
  const { now, httpStatus, errors } = context;
  const settle = (result: Omit<CallResult, "httpStatus" | "errors" | "request">) =>
    settleCall(sql, call, { httpStatus, errors, request: null, ...result }, now);
  switch (verdict.outcome) {
    case "answered": {
      if (isRevokeKind(call.kind)) {
        const read = readRevokeUserResult(verdict.result);
        if ("unreadable" in read) return retry(sql, call, { outcome: "retry", error: read.unreadable }, context);
        // What it is owed is only noted: the calls are planned when no revocation waits (follow-up-plan.ts).
        const followUpsDue = call.kind === "revoke" ? followUpsOwed(call.target, context.followUps) : null;
        const status = settle({ state: read.state, error: null, followUpsDue });
        endOutlivedHold(sql, call.target, now);
        return status === null ? { followedUp: followUpsDone(sql, call.revocation_seq) } : { revocation: status };
      }
      const revokedAt = sql
        .exec<{ completed_at: number | null }>(
          "SELECT completed_at FROM calls WHERE revocation_seq = ? AND target = ? AND kind = 'revoke'",
          call.revocation_seq,
          call.target,
        )
        .toArray()[0]?.completed_at;
      const step = readFollowUp(call.kind, verdict.result, {
        email: call.email,
        revokedAt: revokedAt ?? null,
        payload: call.payload ? JSON.parse(call.payload) : null,
        now,
      });
      if (step.kind === "unreadable") return retry(sql, call, { outcome: "retry", error: step.error }, context);
      settle({ state: "done", error: null, result: step.finding });
      const queued = queue(sql, call, step.next);
      if (step.stillActive) markStillActive(sql, call.revocation_seq, now);
      return { stillActive: step.stillActive, followedUp: followUpsDone(sql, call.revocation_seq), queued };
    }
    case "failed": {
      const effects: Effects = {};
      const holds = verdict.refused && call.kind === "revoke";
      if (holds) {
        holdTarget(sql, { target: call.target, until: now + TOKEN_HOLD_MS, reason: verdict.error });
      } else if (verdict.refused && !isRevokeKind(call.kind)) {
        effects.followUpOff = { which: call.kind.startsWith("seat") ? "seats" : "verify", until: now + REFUSED_FOLLOW_UP_OFF_MS };
      }
      const status = settle({ state: "failed", error: verdict.error, holdFailed: holds });
      if (status !== null) effects.revocation = status;
      else effects.followedUp = followUpsDone(sql, call.revocation_seq);
      return effects;
    }
    case "retry":
      return retry(sql, call, verdict, context);
  }
}

/** Queues the calls that follow `call` (same revocation, target and group); answers the lanes and groups queued. */
function queue(sql: SqlStorage, call: DueCall, next: NewCall[]): { lane: Lane; group: string }[] {
  for (const follow of next) insertCall(sql, { seq: call.revocation_seq, target: call.target, group: call.grp, ...follow });
  return next.filter((follow) => !follow.skipped).map((follow) => ({ lane: follow.lane, group: call.grp }));
}

function retry(sql: SqlStorage, call: DueCall, verdict: Extract<CallVerdict, { outcome: "retry" }>, context: AnswerContext): Effects {
  const { now, httpStatus, errors } = context;
  if (now - call.queued_at >= RETRY_BUDGET_MS) {
    const error = `gave up after the ${RETRY_BUDGET_MS / 3_600_000} h retry budget: ${verdict.error}`;
    const status = settleCall(sql, call, { state: "failed", httpStatus, errors, request: null, error }, now);
    return status === null ? { followedUp: followUpsDone(sql, call.revocation_seq) } : { revocation: status };
  }
  const pauseUntil = verdict.pauseDrainMs !== undefined ? Math.max(context.pausedUntil, now + verdict.pauseDrainMs) : null;
  const retryAt = pauseUntil ?? now + backoffMs(call.attempts + 1, context.random);
  scheduleRetry(sql, call, { at: now, retryAt, httpStatus, errors, error: verdict.error });
  return pauseUntil === null ? {} : { pauseUntil: { at: pauseUntil, reason: verdict.error } };
}

/** True when a revocation has follow-ups, all planned, and none of them is pending any more. */
function followUpsDone(sql: SqlStorage, seq: number): boolean {
  const counts = sql
    .exec<{ total: number; open: number; unplanned: number }>(
      `SELECT SUM(kind != 'revoke') AS total, SUM(kind != 'revoke' AND state = 'pending') AS open, SUM(follow_ups_due IS NOT NULL) AS unplanned
       FROM calls WHERE revocation_seq = ?`,
      seq,
    )
    .one();
  return (counts.total ?? 0) > 0 && counts.open === 0 && counts.unplanned === 0;
}
