// What the drain carries out once an answer is recorded (dispatch.ts answers it as Effects, inside the
// answer's transaction; this runs after it): the calls the answer queued are served without a rescan, a 429
// pauses every call, a refused follow-up is switched off, and a revocation that reached a terminal status or
// finished its follow-ups is logged, wakes its waiters and is audited.
// Contract: the audit's KV write is the human trail, not the record of truth: it finishes in the background
// (waitUntil), so a slow write never holds one of the drain's in-flight slots and stalls the pace.
import type { Config } from "../../config";
import { TERMINAL_STATUSES } from "../../domain/revocation";
import { logEvent } from "../../log";
import { auditOutcome } from "../audit/outcome-batches";
import type { DueCall } from "../calls/queue";
import { recordBySeq } from "../revocations/records";
import type { Effects } from "./dispatch";
import type { DrainHost } from "./host";
import type { LaneGroup } from "./next-call";
import type { DrainStatus } from "./state";

export type Aftermath = { host: DrainHost; status: DrainStatus; noteGroups(groups: Iterable<LaneGroup>): void };

export function afterAnswer({ host, status, noteGroups }: Aftermath, call: DueCall, effects: Effects, config: Config): void {
  const now = host.deps().clock.now();
  if (effects.queued) noteGroups(effects.queued);
  if (effects.alerted) host.alertQueued();
  if (effects.pauseUntil) status.pause(effects.pauseUntil.at, effects.pauseUntil.reason);
  if (effects.followUpOff) status.switchOff(effects.followUpOff.which, effects.followUpOff.until, call.target);
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
  const write = auditOutcome(host.storage, host.auditLog, record, { retentionDays: config.auditRetentionDays, now }, label);
  if (write) host.waitUntil(write.catch((error: unknown) => logEvent("audit.write_failed", { id: record.id, error: String(error) })));
}
