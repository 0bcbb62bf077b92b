// What a look at an Entra user decides (table entra_users): every sighting teaches the identity directory the
// user's addresses (source `entra`, so a user deleted for good, whom Graph can no longer show, still resolves);
// a disabled, soft-deleted or gone user is revoked once, by a request for the subject id that the directory
// fans out to every address it knows; an enabled one is recorded as ignored, and forgets an earlier decision so a
// later disablement revokes again.
// Who decided, `via`:
// - "notification": the read a change notification asked for (lookups);
// - "delta": the delta catch-up; a revocation it makes while no notification about that user was waiting is a
//   catch (caught_by_delta in /v1/stats: how often notifications alone would have missed someone);
// - "baseline": the first full read of the tenant, which revokes no one: everyone already disabled when the
//   Worker first looked is recorded as decided, so neither the delta nor a later notification revokes them
//   (docs/providers.md says how an operator revokes them too if they choose).
// Records carry assurance "provider_read": the notification is only a hint; what revokes is the Worker's own
// read of the user from Graph, with its own token, over TLS.
// Contract: synchronous SQLite, inside the caller's transaction.
import type { UserSighting } from "../../domain/entra";
import type { CommitReceipt, RevocationRequest } from "../../domain/revocation";
import { commitRequest } from "../revocations/commit";
import { learnObservation } from "../revocations/resolve";
import type { CommitContext } from "../store/context";
import { changePending } from "./changes";

const ENTRA_SOURCE = "entra";

export type Via = "notification" | "delta" | "baseline";

/** What a sighting came to: a receipt when it revoked; `caught` when the delta made that revocation alone. */
export type SightingOutcome = { receipt: CommitReceipt | null; caught: boolean; ignored: string | null };

const EVENT_TYPES = { disabled: "user.disabled", soft_deleted: "user.deleted", gone: "user.deleted_permanently" } as const;
const WHAT = { disabled: "account disabled", soft_deleted: "deleted (restorable)", gone: "deleted permanently" } as const;
const HOW: Record<Via, string> = {
  notification: "read after a change notification",
  delta: "caught by the delta catch-up: no notification brought it",
  baseline: "found by the first full read",
};

export function applySighting(context: CommitContext, sighting: UserSighting, via: Via): SightingOutcome {
  const { sql, now } = context;
  const { userId, state } = sighting;
  for (const email of sighting.emails) learnObservation(context, { source: ENTRA_SOURCE, subject_id: userId, email });
  if (state === "unknown") return { receipt: null, caught: false, ignored: "the delta entry did not say whether the account is enabled" };
  if (state === "enabled") {
    sql.exec("DELETE FROM entra_users WHERE user_id = ?", userId);
    return { receipt: null, caught: false, ignored: "the account is enabled" };
  }
  const decided = sql.exec<{ since: number; via: string }>("SELECT since, via FROM entra_users WHERE user_id = ?", userId).toArray()[0];
  if (decided) return { receipt: null, caught: false, ignored: `already decided ${new Date(decided.since).toISOString()} (${decided.via})` };
  sql.exec("INSERT INTO entra_users (user_id, state, since, via) VALUES (?, ?, ?, ?)", userId, via === "baseline" ? "baseline" : "revoked", now, via);
  if (via === "baseline") return { receipt: null, caught: false, ignored: "already disabled when the Worker first read the tenant" };
  const caught = via === "delta" && !changePending(sql, userId);
  const request: RevocationRequest = {
    source: ENTRA_SOURCE,
    assurance: "provider_read",
    event_id: `${userId}/${state}/${now}`,
    event_type: EVENT_TYPES[state],
    subject_id: userId,
    reason: `${WHAT[state]} in Entra ID (${caught ? HOW.delta : via === "delta" ? "found by the delta catch-up" : HOW.notification})`,
  };
  return { receipt: commitRequest(context, request), caught, ignored: null };
}
