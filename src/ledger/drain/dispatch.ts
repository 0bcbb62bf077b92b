// One call, from its kind to its request, and from its classified answer to what the ledger records.
// Contract: synchronous SQLite (the caller runs settleAnswer in a transaction); no network, no clock:
// the drain sends the request, classifies the answer and carries out the effects this returns (pauses,
// logs, audit writes, waking waiters).
import {
  buildActiveSessionsRequest,
  buildFindAccessUserRequest,
  buildListAccessUsersRequest,
  buildRemoveSeatRequest,
  readAccessUsersPage,
} from "../../cloudflare/access-users";
import { buildRevokeUserRequest, readRevokeUserResult } from "../../cloudflare/revoke-user";
import type { Config, Target } from "../../config";
import type { ApiRequest, CloudflareError, RevocationStatus } from "../../domain/revocation";
import { alertFailedRevocation, alertHeldTarget, alertStillActive } from "../alerts/queue";
import { type CallResult, finishCall, leaseCall, scheduleRetry } from "../calls/attempts";
import { followUpsDone, revokeCompletedAt } from "../calls/follow-up-calls";
import { endOutlivedHold, heldOnRecord, holdTarget } from "../calls/holds";
import type { Lane } from "../calls/lanes";
import { type DueCall, insertCall, isRevokeKind } from "../calls/queue";
import { type FollowUpFinding, type FollowUpSettings, followUpsOwed, type NewCall, readFollowUp } from "../follow-ups/steps";
import { type FollowUp, followUpOf } from "../follow-ups/switch";
import { countAttempt, markStillActive, noteRetry, requeueHoldFailures, settleRevocation } from "../revocations/settle";
import type { CommitSettings } from "../store/context";
import { SWEEP_PAGE_ATTEMPTS, SWEEP_PAGE_SIZE, type SweepOutcome, type SweepSettings, sweepPageFailed, sweepPageRead } from "../sweep/page";
import { backoffMs, type CallVerdict } from "./classify";

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
  const payload = call.payload ? (JSON.parse(call.payload) as { user_id?: string; seat_uid?: string; page?: number }) : {};
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
    case "sweep_page":
      return buildListAccessUsersRequest(config.cfApiBaseUrl, target.id, payload.page ?? 1, SWEEP_PAGE_SIZE);
  }
}

/** One more attempt: the call's lease, and its revocation's count of attempts for a revoke_user call. */
export function leaseAttempt(sql: SqlStorage, call: DueCall, leaseUntil: number): void {
  leaseCall(sql, call, leaseUntil);
  if (isRevokeKind(call.kind)) countAttempt(sql, call.revocation_seq);
}

/**
 * Records a call's final answer; a revoke call also settles its revocation (answers its status), a
 * follow-up does not (answers null).
 */
export function settleCall(sql: SqlStorage, call: DueCall, result: CallResult, now: number): RevocationStatus | null {
  finishCall(sql, call, result, now);
  return call.kind === "revoke" ? settleRevocation(sql, call.revocation_seq, now, result.error) : null;
}

/** What the drain must do after an answer was recorded. */
export type Effects = {
  /** Pause every call until then (a 429). */
  pauseUntil?: { at: number; reason: string };
  /** The call's revocation reached this status (terminal ones are logged, audited and wake waiters). */
  revocation?: RevocationStatus;
  /** A follow-up the API refused the token for, where the token is otherwise taken, at `at`: switch it off (follow-ups/switch.ts). */
  followUpOff?: { followUp: FollowUp; at: number };
  /** A call of this follow-up, sent then, was answered: a switch-off from before that is over (follow-ups/switch.ts). */
  followUpAnswered?: { followUp: FollowUp; sentAt: number };
  /** A revoke call was refused at this target, which holds it (a switched-off follow-up comes back: follow-ups/switch.ts). */
  holdStarted?: string;
  /** A revoke call succeeded at this target after its hold ran out, which ended the hold. */
  holdEnded?: string;
  /** A verification found the person still active: audit it and tell the operator. */
  stillActive?: boolean;
  /** Follow-ups finished for this revocation (audit the record with its seats and verification). */
  followedUp?: boolean;
  /** The lanes and groups of the calls this answer queued (the drain serves them without a rescan). */
  queued?: { lane: Lane; group: string }[];
  /** The answer appended audit entries (a sweep's returns or its end): the chain writes them to KV. */
  audited?: boolean;
  /** The answer queued an alert (alerts/queue.ts): the drain has it sent, in the background. */
  alerted?: boolean;
};

export type AnswerContext = {
  now: number;
  httpStatus: number | null;
  errors: CloudflareError[];
  random: () => number;
  followUps: FollowUpSettings;
  /** The drain's current pause, for a retry after a 429. */
  pausedUntil: number;
  /** What a revocation the sweep asks for is committed with (the ledger's targets and defaults, its ids). */
  commit: { settings: CommitSettings; newId: () => string };
  sweep: SweepSettings;
  /** When the call was sent. */
  sentAt: number;
  /** ALERT_WEBHOOK_URL is set: a revocation failed for good, a held target and a still-active finding queue alerts. */
  alerts: boolean;
};

/** Records a classified answer for a call; answers what the drain must do next. */
export function settleAnswer(sql: SqlStorage, call: DueCall, verdict: CallVerdict, context: AnswerContext): Effects {
  if (call.kind === "sweep_page") return settleSweepCall(sql, call, verdict, context);
  const { now, httpStatus, errors } = context;
  const settle = (result: Omit<CallResult, "httpStatus" | "errors" | "request">) =>
    settleCall(sql, call, { httpStatus, errors, request: null, ...result }, now);
  switch (verdict.outcome) {
    case "answered": {
      if (isRevokeKind(call.kind)) {
        const read = readRevokeUserResult(verdict.result);
        if ("unreadable" in read) return retry(sql, call, { outcome: "retry", error: read.unreadable }, context);
        // What it is owed is only noted: the calls are planned when no revocation waits (follow-ups/plan.ts).
        const followUpsDue = call.kind === "revoke" ? followUpsOwed(call.target, context.followUps) : null;
        const status = settle({ state: read.state, error: null, followUpsDue });
        const effects: Effects = status === null ? { followedUp: followUpsDone(sql, call.revocation_seq) } : { revocation: status };
        if (endOutlivedHold(sql, call.target, now)) {
          requeueHoldFailures(sql, call.target, now);
          effects.holdEnded = call.target;
        }
        return effects;
      }
      const step = readFollowUp(call.kind, verdict.result, {
        email: call.email,
        revokedAt: revokeCompletedAt(sql, call.revocation_seq, call.target),
        payload: call.payload ? JSON.parse(call.payload) : null,
        now,
      });
      if (step.kind === "unreadable") return retry(sql, call, { outcome: "retry", error: step.error }, context);
      settle({ state: "done", error: null, result: step.finding });
      const queued = queue(sql, call, step.next);
      if (step.stillActive) markStillActive(sql, call.revocation_seq, now);
      const followUp = followUpOf(call.kind);
      const alerted =
        step.stillActive && context.alerts && alertStillActive(sql, call.revocation_seq, call.target, describeFinding(step.finding), now);
      return {
        stillActive: step.stillActive,
        followedUp: followUpsDone(sql, call.revocation_seq),
        queued,
        alerted,
        ...(followUp && { followUpAnswered: { followUp, sentAt: context.sentAt } }),
      };
    }
    case "failed": {
      const effects: Effects = {};
      const followUp = followUpOf(call.kind);
      if (verdict.refused && followUp !== null && heldOnRecord(sql, call.target)) {
        // Revoke calls were refused here too: the token is refused, not a permission (follow-ups/switch.ts).
        // The target is held again and the follow-up waits behind the hold, like a revocation.
        holdTarget(sql, { target: call.target, until: now + TOKEN_HOLD_MS, reason: verdict.error });
        return retry(sql, call, { outcome: "retry", error: verdict.error }, context);
      }
      const holds = verdict.refused && call.kind === "revoke";
      if (holds) {
        holdTarget(sql, { target: call.target, until: now + TOKEN_HOLD_MS, reason: verdict.error });
        effects.holdStarted = call.target;
        if (context.alerts) effects.alerted = alertHeldTarget(sql, call.target, verdict.error, now + TOKEN_HOLD_MS, now);
      } else if (verdict.refused && followUp !== null) {
        effects.followUpOff = { followUp, at: now };
      }
      const status = settle({ state: "failed", error: verdict.error, holdFailed: holds });
      // A revocation the hold failed is the hold's alert's (lifting the hold re-queues it), not one of its own.
      if (status === "failed" && !holds && context.alerts) effects.alerted = alertFailedRevocation(sql, call.revocation_seq, now);
      if (status !== null) effects.revocation = status;
      else effects.followedUp = followUpsDone(sql, call.revocation_seq);
      return effects;
    }
    case "retry":
      return retry(sql, call, verdict, context);
  }
}

/**
 * A sweep page's answer (ledger/sweep/page.ts): a users list is read; a retryable answer (or one that is no
 * users list) is retried with backoff like any call, until SWEEP_PAGE_ATTEMPTS (a 429 pauses the drain and
 * never counts against it); a refusal or any other failure ends the account's part of the sweep.
 */
function settleSweepCall(sql: SqlStorage, call: DueCall, verdict: CallVerdict, context: AnswerContext): Effects {
  const { now, httpStatus, errors } = context;
  const answer = { httpStatus, errors };
  const page = verdict.outcome === "answered" ? readAccessUsersPage(verdict.result, verdict.resultInfo) : null;
  let outcome: SweepOutcome;
  if (verdict.outcome === "failed") {
    outcome = sweepPageFailed(sql, call, { ...answer, error: verdict.error, refused: verdict.refused }, now);
  } else if (verdict.outcome === "retry" || page === undefined) {
    const retrying = verdict.outcome === "retry" ? verdict : { outcome: "retry" as const, error: "the users list is not a list of Access users" };
    if (retrying.pauseDrainMs !== undefined || call.attempts < SWEEP_PAGE_ATTEMPTS) return retry(sql, call, retrying, context);
    outcome = sweepPageFailed(sql, call, { ...answer, error: `gave up after ${call.attempts} attempts: ${retrying.error}`, refused: false }, now);
  } else {
    outcome = sweepPageRead({ sql, now, ...context.commit }, call, page!, context.sweep, answer);
  }
  return sweepEffects(outcome);
}

const sweepEffects = (outcome: SweepOutcome): Effects => ({ queued: outcome.queued, audited: outcome.audited });

/** A follow-up call due while its follow-up is switched off: recorded skipped with `detail`, never sent (follow-ups/switch.ts). */
export function skipCall(sql: SqlStorage, call: DueCall, detail: string, now: number): Effects {
  finishCall(sql, call, { state: "skipped", httpStatus: null, errors: [], request: null, error: null, result: { outcome: "skipped", detail } }, now);
  return { followedUp: followUpsDone(sql, call.revocation_seq) };
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
    // A sweep page has no revocation: its account's part of the sweep ends, as for any failure (settleSweepCall).
    if (call.kind === "sweep_page") return sweepEffects(sweepPageFailed(sql, call, { httpStatus, errors, error, refused: false }, now));
    const status = settleCall(sql, call, { state: "failed", httpStatus, errors, request: null, error }, now);
    if (status === null) return { followedUp: followUpsDone(sql, call.revocation_seq) };
    return { revocation: status, alerted: status === "failed" && context.alerts && alertFailedRevocation(sql, call.revocation_seq, now) };
  }
  const pauseUntil = verdict.pauseDrainMs !== undefined ? Math.max(context.pausedUntil, now + verdict.pauseDrainMs) : null;
  const retryAt = pauseUntil ?? now + backoffMs(call.attempts + 1, context.random);
  scheduleRetry(sql, call, { at: now, retryAt, httpStatus, errors, error: verdict.error });
  if (call.kind === "revoke") noteRetry(sql, call.revocation_seq, verdict.error);
  return pauseUntil === null ? {} : { pauseUntil: { at: pauseUntil, reason: verdict.error } };
}

/** A still-active finding in a sentence (sessions, a login after the revocation). */
function describeFinding(finding: FollowUpFinding): string {
  if (finding.outcome !== "still_active") return finding.outcome;
  const sessions = `${finding.active_sessions} active session(s)`;
  return finding.login_after_revocation ? `${sessions}, and a login after the revocation (${finding.last_successful_login})` : sessions;
}
