// Microsoft Entra ID as the Worker understands it: a user as Microsoft Graph answers it (the fields read, from
// the user resource type), what a look at a user found (enabled, disabled, soft-deleted, gone), the addresses a
// user is known by, and what /v1/stats shows of the source. The Graph client (src/entra/) reads the wire; the
// ledger (ledger/entra/) decides who is revoked; both speak these types.
// Contract: pure.
import * as z from "zod/mini";
import { EmailSchema } from "./validation";

/** The properties every read asks for ($select): the delta query tracks changes to these alone. */
export const USER_FIELDS = ["id", "accountEnabled", "mail", "userPrincipalName", "otherMails"] as const;

/** An Entra object id: a GUID. Anything else never reaches a URL path. */
export const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The user resource type's fields we read (Graph v1.0); every one but id may be absent or null. */
export const GraphUserSchema = z.looseObject({
  id: z.string().check(z.regex(OBJECT_ID)),
  accountEnabled: z.optional(z.nullable(z.boolean())),
  mail: z.optional(z.nullable(z.string())),
  userPrincipalName: z.optional(z.nullable(z.string())),
  otherMails: z.optional(z.nullable(z.array(z.string()))),
});
export type GraphUser = z.infer<typeof GraphUserSchema>;

/**
 * What one look at a user found: `enabled` or `disabled` (accountEnabled), `soft_deleted` (in
 * directory/deletedItems, restorable for 30 days), `gone` (neither: permanently deleted, or never existed),
 * `unknown` (a delta entry that did not say: its addresses are learned, nothing else).
 */
type UserState = "enabled" | "disabled" | "soft_deleted" | "gone" | "unknown";

/** A user as one look found it, with every address it is known by (lower-cased, valid). */
export type UserSighting = { userId: string; state: UserState; emails: string[] };

/**
 * The addresses a user is known by: mail, otherMails and the userPrincipalName, which is an address in most
 * tenants. A guest's UPN (`…#EXT#@tenant.onmicrosoft.com`) is not one they sign in with, and is skipped. A
 * soft-deleted user's UPN is prefixed with its object id without dashes (Entra renames it so the name can be
 * reused), which is taken off. Unusable values are dropped: the directory already holds what was seen before.
 */
export function userEmails(user: GraphUser, deleted = false): string[] {
  const candidates = [user.mail, ...(user.otherMails ?? [])];
  const upn = user.userPrincipalName;
  if (typeof upn === "string" && !upn.includes("#EXT#")) {
    const prefix = user.id.replace(/-/g, "").toLowerCase();
    candidates.push(deleted && upn.toLowerCase().startsWith(prefix) ? upn.slice(prefix.length) : upn);
  }
  const emails = new Set<string>();
  for (const candidate of candidates) {
    const parsed = EmailSchema.safeParse(candidate);
    if (parsed.success) emails.add(parsed.data);
  }
  return [...emails].slice(0, 20);
}

/** A user read by id: its state from accountEnabled (absent means enabled, Graph's default for a user). */
export function sightingOf(user: GraphUser, deleted = false): UserSighting {
  const state: UserState = deleted ? "soft_deleted" : user.accountEnabled === false ? "disabled" : "enabled";
  return { userId: user.id.toLowerCase(), state, emails: userEmails(user, deleted) };
}

const IsoTime = z.string();

/** What /v1/stats shows of the Entra source (ledger/entra/view.ts builds it). */
export const EntraSourceSchema = z.object({
  /** The last change notification accepted (its clientState matched), and how many in all. */
  last_notification_at: z.nullable(IsoTime),
  notifications: z.number(),
  /**
   * Notification items refused (a wrong or missing clientState, an unknown subscription, another tenant) since
   * the start of the last hour, as /v1/stats `rejections` counts every source's (the last one: last_refused_at).
   */
  refused_notifications: z.number(),
  /** People revoked because the delta catch-up found them disabled or removed when no notification had. */
  caught_by_delta: z.number(),
  subscription: z.object({
    id: z.nullable(z.string()),
    expires_at: z.nullable(IsoTime),
    created_at: z.nullable(IsoTime),
    last_renewal_at: z.nullable(IsoTime),
    /** Why the last attempt to create, renew or reauthorize it failed; null once one succeeds. */
    last_error: z.nullable(z.string()),
    last_error_at: z.nullable(IsoTime),
  }),
  delta: z.object({
    /** "pending": never run; "running": the first full read is under way (it revokes no one); "done". */
    baseline: z.enum(["pending", "running", "done"]),
    last_run_at: z.nullable(IsoTime),
    last_ok_at: z.nullable(IsoTime),
    last_error: z.nullable(z.string()),
    next_run_at: z.nullable(IsoTime),
    /** The last time Graph refused the delta link (expired: 410 or syncStateNotFound) and a new baseline began. */
    last_reset: z.nullable(z.object({ at: IsoTime, reason: z.string() })),
  }),
  lookups: z.object({
    /** Notified users still to be read from Graph. */
    pending: z.number(),
    last_error: z.nullable(z.string()),
    /** Graph answered 429: no request until then (its Retry-After). */
    paused_until: z.nullable(IsoTime),
  }),
});
export type EntraSource = z.infer<typeof EntraSourceSchema>;
