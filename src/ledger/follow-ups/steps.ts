// What follows a revocation that succeeded on an account, and what each follow-up's answer means.
// Contract: pure; no I/O, no clock. The drain sends the requests and writes what this decides.
// - Seat removal (REMOVE_SEATS), as Cloudflare's own seat_deprovision does: find the person's Access user
//   by email ('seat_lookup'), then set both seats of its seat_uid to false ('seat_update'). No Access user
//   is a normal outcome (the person never used Access there); seats already off need no call.
// - Verification (VERIFY_AFTER_SECONDS after the revocation): find the Access user again ('verify_lookup')
//   and read its active sessions ('verify_sessions'). Sessions left, or a login after the revocation (the
//   IdP still lets the person in), make the revocation still_active: one more revocation ('re_revoke', in
//   the urgent lane) and an operator must act in the IdP. No Access user means nothing can be active.
// - Zones have no users or seats: nothing follows a zone's revocation (the record says "not_applicable").
// - Planned with leftover pace: a successful revocation only records what it is owed (followUpsOwed); the
//   calls are created (plannedFollowUps) when no urgent or bulk call waits, so a layoff's drain pays
//   nothing for them and they start after its last call.
// - A follow-up the API refuses the token for (401/403) never holds revocations: switch.ts decides whether
//   the token lacks the follow-up's permission (the follow-up is switched off) and when it comes back.
import { countSessions, readAccessUser } from "../../cloudflare/access-users";
import type { CallKind } from "../../domain/revocation";
import type { Lane } from "../calls/lanes";
import { skippedDetail } from "./switch";

export type FollowUpSettings = {
  removeSeats: boolean;
  /** null: verification is off. */
  verifyAfterMs: number | null;
  /** Until when each follow-up is off because the API refused the token for it (0: on). */
  seatsRefusedUntil: number;
  verifyRefusedUntil: number;
};

export type NewCall = { kind: CallKind; dueAt: number; lane: Lane; payload?: unknown; skipped?: string };

/**
 * The follow-ups a revocation that succeeded on `target` is owed, as stored on its call until they are
 * planned ("seats", "verify" or "seats,verify"); null when none (a zone, or both settings off).
 */
export function followUpsOwed(target: string, settings: FollowUpSettings): string | null {
  if (!target.startsWith("accounts/")) return null;
  const owed = [settings.removeSeats ? "seats" : null, settings.verifyAfterMs !== null ? "verify" : null].filter(Boolean);
  return owed.length > 0 ? owed.join(",") : null;
}

/**
 * The calls that carry out what a revocation is owed, planned at `now` (when no revocation waits):
 * the seat lookup at once, the verification VERIFY_AFTER_SECONDS after the revocation succeeded
 * (`revokedAt`). A follow-up the API refused the token for is recorded as skipped; one whose setting was
 * turned off since is dropped.
 */
export function plannedFollowUps(owed: string, revokedAt: number, now: number, settings: FollowUpSettings): NewCall[] {
  const calls: NewCall[] = [];
  const wanted = owed.split(",");
  if (wanted.includes("seats") && settings.removeSeats) {
    const off = settings.seatsRefusedUntil > now ? skippedDetail("seats", settings.seatsRefusedUntil) : undefined;
    calls.push({ kind: "seat_lookup", dueAt: now, lane: "follow_up", skipped: off });
  }
  if (wanted.includes("verify") && settings.verifyAfterMs !== null) {
    const off = settings.verifyRefusedUntil > now ? skippedDetail("verify", settings.verifyRefusedUntil) : undefined;
    calls.push({ kind: "verify_lookup", dueAt: revokedAt + settings.verifyAfterMs, lane: "follow_up", skipped: off });
  }
  return calls;
}

/** What a follow-up found: stored as the call's result, read back into the record. */
export type FollowUpFinding =
  | { outcome: "found"; user_id: string; seat_uid: string | null; last_successful_login: string | null }
  | { outcome: "no_access_user" }
  | { outcome: "already_removed"; seat_uid: string | null }
  | { outcome: "removed"; seat_uid: string }
  | { outcome: "verified"; active_sessions: number; last_successful_login: string | null }
  | { outcome: "still_active"; active_sessions: number; last_successful_login: string | null; login_after_revocation: boolean }
  | { outcome: "skipped"; detail: string };

export type FollowUpStep =
  /** The answer is not what the endpoint returns: retried like a malformed envelope. */
  { kind: "unreadable"; error: string } | { kind: "done"; finding: FollowUpFinding; next: NewCall[]; stillActive: boolean };

/**
 * Reads a follow-up's successful answer. `email` is the revoked person; `revokedAt` when the revocation
 * succeeded on this target (a later login means the IdP still lets them in); `payload` what the step
 * before found.
 */
export function readFollowUp(
  kind: Exclude<CallKind, "revoke" | "re_revoke" | "sweep_page">,
  result: unknown,
  context: { email: string; revokedAt: number | null; payload: unknown; now: number },
): FollowUpStep {
  switch (kind) {
    case "seat_lookup":
    case "verify_lookup": {
      const user = readAccessUser(result, context.email);
      if (user === undefined) return { kind: "unreadable", error: "the users list is not a list of Access users" };
      if (user === null) return { kind: "done", finding: { outcome: "no_access_user" }, next: [], stillActive: false };
      const found = { user_id: user.id, seat_uid: user.seat_uid ?? null, last_successful_login: user.last_successful_login ?? null };
      if (kind === "seat_lookup") {
        const seated = user.access_seat === true || user.gateway_seat === true;
        if (!seated || !found.seat_uid)
          return { kind: "done", finding: { outcome: "already_removed", seat_uid: found.seat_uid }, next: [], stillActive: false };
        return {
          kind: "done",
          finding: { outcome: "found", ...found },
          next: [{ kind: "seat_update", dueAt: context.now, lane: "follow_up", payload: found }],
          stillActive: false,
        };
      }
      return {
        kind: "done",
        finding: { outcome: "found", ...found },
        next: [{ kind: "verify_sessions", dueAt: context.now, lane: "follow_up", payload: found }],
        stillActive: false,
      };
    }
    case "seat_update": {
      const seatUid = (context.payload as { seat_uid?: string } | null)?.seat_uid ?? "";
      return { kind: "done", finding: { outcome: "removed", seat_uid: seatUid }, next: [], stillActive: false };
    }
    case "verify_sessions": {
      const sessions = countSessions(result);
      if (sessions === undefined) return { kind: "unreadable", error: "the active sessions answer is not a list of sessions" };
      const login = (context.payload as { last_successful_login?: string | null } | null)?.last_successful_login ?? null;
      const loginAt = login === null ? Number.NaN : Date.parse(login);
      const loginAfter = context.revokedAt !== null && Number.isFinite(loginAt) && loginAt > context.revokedAt;
      if (sessions === 0 && !loginAfter) {
        return { kind: "done", finding: { outcome: "verified", active_sessions: 0, last_successful_login: login }, next: [], stillActive: false };
      }
      return {
        kind: "done",
        finding: { outcome: "still_active", active_sessions: sessions, last_successful_login: login, login_after_revocation: loginAfter },
        // One more revocation, urgent: a session outlived the first one.
        next: [{ kind: "re_revoke", dueAt: context.now, lane: "urgent" }],
        stillActive: true,
      };
    }
  }
}
