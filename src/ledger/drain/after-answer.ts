// What the drain carries out once an answer is recorded (dispatch.ts answers it as Effects, inside the
// answer's transaction; this runs after it): the calls the answer queued are served without a rescan, a 429
// pauses every call of its token, a refused follow-up is switched off and one whose refusal is over comes
// back (follow-ups/switch.ts), and a revocation that reached a terminal status or finished its follow-ups is
// logged, wakes its waiters and is audited.
// Contract: the audit entry is appended to the chain here; its KV copy (the human trail, not the record of
// truth) is written in the background, so a slow write never holds one of the drain's in-flight slots.
import { TERMINAL_STATUSES } from "../../domain/revocation";
import { logEvent } from "../../log";
import { auditOutcome } from "../audit/outcome-batches";
import type { DueCall } from "../calls/queue";
import { recordBySeq } from "../revocations/records";
import type { Effects } from "./dispatch";
import type { DrainHost } from "./host";
import type { LaneGroup } from "./next-call";
import type { DrainStatus } from "./state";

export type Aftermath = {
  host: DrainHost;
  status: DrainStatus;
  noteGroups(groups: Iterable<LaneGroup>): void;
  /** Pauses the calls of the call's token (a 429: Cloudflare's budget is per token). */
  pause(until: number, reason: string): void;
};

export function afterAnswer({ host, status, noteGroups, pause }: Aftermath, call: DueCall, effects: Effects): void {
  const now = host.deps().clock.now();
  if (effects.queued) noteGroups(effects.queued);
  if (effects.alerted) host.alertQueued();
  if (effects.pauseUntil) pause(effects.pauseUntil.at, effects.pauseUntil.reason);
  if (effects.followUpOff) status.switchOff(effects.followUpOff.followUp, effects.followUpOff.at, call.target);
  if (effects.holdStarted) status.comeBack({ kind: "hold_started", target: effects.holdStarted }, now);
  if (effects.holdEnded) status.comeBack({ kind: "hold_ended", target: effects.holdEnded }, now);
  if (effects.followUpAnswered) status.comeBack({ kind: "answered", ...effects.followUpAnswered }, now);
  if (effects.audited) host.auditAppended();
  if (effects.revocation === undefined && !effects.stillActive && !effects.followedUp) return;
  if (effects.revocation !== undefined && !TERMINAL_STATUSES.has(effects.revocation)) return;
  const record = recordBySeq(host.sql, call.revocation_seq)!;
  logEvent(effects.revocation !== undefined ? "revocation.outcome" : "revocation.follow_up", {
    id: record.id,
    source: record.source,
    email: record.email,
    status: record.status,
    attempts: record.attempts,
    targets: record.targets,
    last_error: record.last_error,
  });
  if (effects.revocation !== undefined) host.onOutcome(record);
  // A revocation's outcome, then (if follow-ups are on) its seats and verification, each one audit entry.
  const label = effects.revocation !== undefined ? record.status : effects.stillActive ? "still_active" : effects.followedUp ? "followed_up" : null;
  if (label === null) return;
  auditOutcome(host.storage, record, now, label);
  host.auditAppended();
}
