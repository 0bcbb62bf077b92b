// One page of an account's Access users, as the reconciliation sweep reads it (issue #23), recorded in the
// transaction that records the call's answer, so a page's returns and the account's cursor move together:
// after an eviction the sweep reads the same page again or the next, never counts one twice.
// - A return: someone the ledger revoked at this account within AUDIT_RETENTION_DAYS whose
//   last_successful_login is after that revocation (their latest revoke_user call that succeeded there,
//   verification's re-revocation included), or, with REMOVE_SEATS, who holds a Zero Trust seat again after
//   their seat removal finished. It is recorded on that revocation (returned_at, revocations/returns.ts),
//   appended to the audit log, and with RECONCILE_REVOKE_RETURNS the person is revoked once more through the
//   ordinary commit (source "reconcile", one per return: its event id names the revocation), which the drain
//   paces and records like any. A revocation counts one return: a page read twice finds it recorded.
// - Paging: `page` from 1, SWEEP_PAGE_SIZE a page; the account is read when a page comes back empty, or
//   result_info's total_count is reached (else a short page). A list that shrank between two pages moved
//   people up onto the page already read: that page is read once more before going on (its people counted
//   again in users_seen, never in returns); a list that grew can only repeat people. Either is noted.
// Contract: synchronous SQLite; `now` is the commit context's.
import { outcomeEntry } from "../../audit/audit-log";
import type { AccessUser, AccessUsersPage } from "../../cloudflare/access-users";
import { appendAuditEntry } from "../audit/chain";
import { type CallResult, finishCall } from "../calls/attempts";
import type { Lane } from "../calls/lanes";
import type { DueCall } from "../calls/queue";
import { queueSweepPage, SWEEP_GROUP, SWEEP_LANE, type SweepPagePayload } from "../calls/sweep-calls";
import { commitRequest } from "../revocations/commit";
import { recordBySeq } from "../revocations/records";
import { type LastRevocation, lastRevocationAt, linkReturnRevocation, recordReturn } from "../revocations/returns";
import type { CommitContext } from "../store/context";
import { failAccount, finishSweepIfRead, notePage, type PageRead, sweepAccount } from "./runs";

/** Users asked for per page. */
export const SWEEP_PAGE_SIZE = 100;
/** A page that keeps failing (5xx, timeouts, answers that are not a users list) is given up after this many attempts; 429s do not count. */
export const SWEEP_PAGE_ATTEMPTS = 8;

export type SweepSettings = { revokeReturns: boolean; removeSeats: boolean; retentionMs: number };
type LaneGroup = { lane: Lane; group: string };
/** What a page's answer came to for the drain: calls it queued, and whether it appended audit entries. */
export type SweepOutcome = { queued: LaneGroup[]; audited: boolean };
type Answer = Pick<CallResult, "httpStatus" | "errors">;

function payloadOf(call: DueCall): SweepPagePayload {
  return JSON.parse(call.payload ?? "{}") as SweepPagePayload;
}

/** Why someone counts as back: a login after the revocation, or a seat held again; null when they do not. */
function returnOf(user: AccessUser, last: LastRevocation, settings: SweepSettings, now: number) {
  const loginAt = user.last_successful_login ? Date.parse(user.last_successful_login) : Number.NaN;
  const signedIn = Number.isFinite(loginAt) && loginAt > last.revoked_at;
  const seated = settings.removeSeats && last.seat_removed === 1 && (user.access_seat === true || user.gateway_seat === true);
  if (!signedIn && !seated) return null;
  const revoked = new Date(last.revoked_at).toISOString();
  const parts = [
    signedIn ? `signed in at ${user.last_successful_login} after the revocation at ${revoked}` : null,
    seated ? "holds a Zero Trust seat again after its removal" : null,
    user.active_device_count ? `${user.active_device_count} active device(s)` : null,
  ];
  return { at: signedIn ? loginAt : now, detail: parts.filter(Boolean).join("; ") };
}

/** Records a page's users: the returns among them and what follows each, then the account's next page (or its end). */
export function sweepPageRead(context: CommitContext, call: DueCall, page: AccessUsersPage, settings: SweepSettings, answer: Answer): SweepOutcome {
  const { sql, now } = context;
  const payload = payloadOf(call);
  finishCall(
    sql,
    call,
    { state: "done", ...answer, request: null, error: null, result: { page: payload.page, users: page.users.length, total_count: page.totalCount } },
    now,
  );
  const account = sweepAccount(sql, payload.sweep_id, call.target);
  if (account?.state !== "reading") return { queued: [], audited: false };
  const queued = new Map<string, LaneGroup>();
  const commit: CommitContext = { ...context, queued: (lane, group) => queued.set(`${lane}/${group}`, { lane, group }) };
  let returns = 0;
  let revokedAgain = 0;
  for (const user of page.users) {
    const email = user.email?.trim().toLowerCase();
    if (!email) continue;
    const last = lastRevocationAt(sql, email, call.target, now - settings.retentionMs);
    if (!last || last.returned_at !== null) continue;
    const found = returnOf(user, last, settings, now);
    if (!found) continue;
    const detail = {
      found_at: now,
      target: call.target,
      last_successful_login: user.last_successful_login ?? null,
      holds_seat: user.access_seat === true || user.gateway_seat === true,
      active_device_count: user.active_device_count ?? null,
      detail: found.detail,
    };
    if (!recordReturn(sql, last.seq, found.at, detail)) continue;
    returns++;
    if (settings.revokeReturns) {
      const receipt = commitRequest(commit, {
        source: "reconcile",
        assurance: "operator",
        event_id: `return:${last.id}`,
        event_type: "reconcile.return",
        email,
        reason: `came back after ${last.id}: ${found.detail}`.slice(0, 500),
        revokes_return_of: last.id,
      });
      linkReturnRevocation(sql, last.seq, receipt.id);
      if (!receipt.duplicate) revokedAgain++;
    }
    appendAuditEntry(sql, outcomeEntry(recordBySeq(sql, last.seq)!, now, "returned"), now);
  }
  const read = nextOf(account.total_count, payload, page);
  notePage(sql, account, { ...read, returns, revokedAgain, users: page.users.length });
  if (read.nextPage !== null) {
    queueSweepPage(
      sql,
      call.target,
      { sweep_id: payload.sweep_id, page: read.nextPage, ...(read.resumePage ? { resume: read.resumePage } : {}) },
      now,
    );
    queued.set(`${SWEEP_LANE}/${SWEEP_GROUP}`, { lane: SWEEP_LANE, group: SWEEP_GROUP });
  }
  const finished = read.nextPage === null && finishSweepIfRead(sql, payload.sweep_id, now);
  return { queued: [...queued.values()], audited: returns > 0 || finished };
}

/** Which page comes next (null: the account is read), and whether the list changed while it was read. */
function nextOf(
  previousTotal: number | null,
  payload: SweepPagePayload,
  page: AccessUsersPage,
): Pick<PageRead, "nextPage" | "resumePage" | "totalCount" | "listChanged"> {
  const { totalCount } = page;
  const listChanged = previousTotal !== null && totalCount !== null && totalCount !== previousTotal;
  // A page read again (the list shrank): go on from where the sweep was.
  if (payload.resume !== undefined) return { nextPage: payload.resume, resumePage: null, totalCount, listChanged };
  const perPage = page.perPage ?? SWEEP_PAGE_SIZE;
  const shrank = listChanged && totalCount! < previousTotal!;
  if (shrank && payload.page > 1) return { nextPage: payload.page - 1, resumePage: payload.page + 1, totalCount, listChanged };
  const read = page.users.length === 0 || (totalCount !== null ? payload.page * perPage >= totalCount : page.users.length < perPage);
  return { nextPage: read ? null : payload.page + 1, resumePage: null, totalCount, listChanged };
}

/**
 * A page that could not be read (refused, another 4xx, or given up after SWEEP_PAGE_ATTEMPTS): the account
 * fails for this sweep; a refusal switches sweeps off for an hour (runs.ts).
 */
export function sweepPageFailed(sql: SqlStorage, call: DueCall, failure: Answer & { error: string; refused: boolean }, now: number): SweepOutcome {
  const payload = payloadOf(call);
  finishCall(sql, call, { state: "failed", httpStatus: failure.httpStatus, errors: failure.errors, request: null, error: failure.error }, now);
  const account = sweepAccount(sql, payload.sweep_id, call.target);
  if (account?.state !== "reading") return { queued: [], audited: false };
  const detail = failure.refused
    ? `Cloudflare refused the API token reading Access users (give it Access: Audit Logs Read): ${failure.error}`
    : `page ${payload.page} could not be read: ${failure.error}`;
  failAccount(sql, account, detail, failure.refused, now);
  return { queued: [], audited: finishSweepIfRead(sql, payload.sweep_id, now) };
}
