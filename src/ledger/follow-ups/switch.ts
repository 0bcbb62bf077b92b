// When a follow-up (seat removal, verification) is switched off because Cloudflare refused the API token
// for it, and when it comes back. Contract: pure; no I/O, no clock (`now` is passed in). The drain keeps
// each switch (drain/state.ts, in drain_state) and carries out what this decides.
//
// A 401/403 to a follow-up means a missing permission only where the token is otherwise taken:
// - At a target whose revoke calls were refused and have not succeeded since (a hold there, in force or
//   run out: calls/holds.ts), the token itself is refused (wrong, revoked, scoped elsewhere). The
//   follow-up holds the target again and waits behind the hold like a revocation; nothing is switched off.
// - Anywhere else the token lacks the follow-up's permission (Access: Audit Logs Read; Zero Trust: Seats
//   Write): that follow-up is switched off for an hour, noting since when and which token was refused.
//   While it is off its calls are recorded `skipped` without being sent: those planned, and those already
//   queued, checked as each would go out. Calls in flight when it went off are answered as they come.
// A switched-off follow-up comes back as soon as the cause is known to be gone, and its calls that were
// refused or skipped while it was off (in the last day at most) are queued again:
// - the API token in use is not the one refused (a secret put, a deploy, a restart with a fixed .dev.vars);
// - a hold starts (a revoke call refused), or ends (lifted by an operator, or by a revoke call that
//   succeeded after it ran out): the token was refused wholesale, so the follow-up's refusal proved no
//   missing permission. A wrong token is often refused first on a follow-up (its calls come due while no
//   revocation is sent), before any hold says so; its calls then wait behind the hold like the rest;
// - a call of that follow-up sent after it went off is answered: once the hour runs out one is tried, and
//   if it is refused again the follow-up is off for another hour.
import type { CallKind } from "../../domain/revocation";

export type FollowUp = "seats" | "verify";

/** How long a follow-up stays off after the API refused the token for it (then one is tried again). */
export const REFUSED_FOLLOW_UP_OFF_MS = 60 * 60_000;
/** A return re-drives the calls refused or skipped this far back at most (older records stay as they are). */
const REDRIVE_WINDOW_MS = 24 * 60 * 60_000;

/**
 * A follow-up's switch: off until `until` (0: never switched off, or back on), since `since`, after the
 * token `token` was refused (its id, drain/state.ts; 0: not known, a switch-off from before issue #18).
 */
export type FollowUpSwitch = { until: number; since: number; token: number };

export const SWITCHED_ON: FollowUpSwitch = { until: 0, since: 0, token: 0 };

/** What shows that a switched-off follow-up's refusal is over. */
export type Cause =
  | { kind: "token_in_use"; token: number }
  | { kind: "hold_started"; target: string }
  | { kind: "hold_ended"; target: string }
  | { kind: "answered"; followUp: FollowUp; sentAt: number };

/** The follow-up a call carries out; null for a revoke_user call. */
export function followUpOf(kind: CallKind): FollowUp | null {
  if (kind === "seat_lookup" || kind === "seat_update") return "seats";
  if (kind === "verify_lookup" || kind === "verify_sessions") return "verify";
  return null;
}

export function kindsOf(followUp: FollowUp): CallKind[] {
  return followUp === "seats" ? ["seat_lookup", "seat_update"] : ["verify_lookup", "verify_sessions"];
}

export const isOff = (switched: FollowUpSwitch, now: number) => switched.until > now;

/** The follow-up was refused (again) at `now` with `token`: off for another hour, its episode starting when it first went off. */
export function switchedOff(switched: FollowUpSwitch, now: number, token: number): FollowUpSwitch {
  return { until: now + REFUSED_FOLLOW_UP_OFF_MS, since: switched.until > 0 ? sinceOf(switched) : now, token };
}

/** Whether `cause` shows the refusal that switched this follow-up off is over. */
export function causeGone(followUp: FollowUp, switched: FollowUpSwitch, cause: Cause): boolean {
  if (switched.until === 0) return false;
  switch (cause.kind) {
    case "token_in_use":
      return switched.token !== 0 && switched.token !== cause.token;
    case "hold_started":
    case "hold_ended":
      return true;
    case "answered":
      return cause.followUp === followUp && cause.sentAt >= sinceOf(switched);
  }
}

/** From when a return re-drives the refused and skipped calls: since the follow-up went off, a day back at most. */
export function redriveFrom(switched: FollowUpSwitch, now: number): number {
  return Math.max(sinceOf(switched), now - REDRIVE_WINDOW_MS);
}

/** A switch-off from before issue #18 kept no start: its last refusal was an hour before it ends. */
function sinceOf(switched: FollowUpSwitch): number {
  return switched.since > 0 ? switched.since : switched.until - REFUSED_FOLLOW_UP_OFF_MS;
}

/** What a call of a switched-off follow-up is recorded with, instead of being sent. */
export function skippedDetail(followUp: FollowUp, until: number): string {
  const at = new Date(until).toISOString();
  return followUp === "seats"
    ? `seat removal is off until ${at}: the API token was refused reading users or writing seats`
    : `verification is off until ${at}: the API token was refused reading users or sessions`;
}

/** What /healthz says while a follow-up is switched off. */
export function followUpNotes(switches: Record<FollowUp, FollowUpSwitch>, now: number): string[] {
  const back = "; it comes back with another token, when a token hold starts or ends, or when a call tried after then is answered";
  const notes: string[] = [];
  if (isOff(switches.seats, now)) {
    notes.push(
      `REMOVE_SEATS: off until ${new Date(switches.seats.until).toISOString()}: Cloudflare refused the API token for users or seats (give it Access: Audit Logs Read and Zero Trust: Seats Write); revocations are not affected${back}`,
    );
  }
  if (isOff(switches.verify, now)) {
    notes.push(
      `VERIFY_AFTER_SECONDS: off until ${new Date(switches.verify.until).toISOString()}: Cloudflare refused the API token for users or sessions (give it Access: Audit Logs Read); revocations are not affected${back}`,
    );
  }
  return notes;
}
