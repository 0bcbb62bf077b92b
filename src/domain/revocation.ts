// The revocation as every layer speaks of it: what is asked (request), what a commit answers (receipt),
// the statuses, and the record the API answers and the audit log keeps. Types are inferred from the
// schemas, which also describe the API (OpenAPI) and check answers in tests.
// Contract: pure; no I/O, no clock.
import * as z from "zod/mini";

const REVOCATION_STATUSES = [
  "unresolved",
  "queued",
  "revoked",
  "not_found",
  "failed",
  "dry_run",
  "invalid_email",
  "refused",
  // Revoked, but verification found a session (or a login) after the revocation: act in the IdP.
  "still_active",
] as const;
export const RevocationStatusSchema = z.enum(REVOCATION_STATUSES);
export type RevocationStatus = z.infer<typeof RevocationStatusSchema>;

const CALL_STATES = ["pending", "revoked", "not_found", "failed", "dry_run", "done", "skipped"] as const;
/** A call's state: a revoke_user call ends revoked, not_found, failed or dry_run; a follow-up done, failed, skipped or dry_run. */
export type CallState = (typeof CALL_STATES)[number];

/**
 * What one call does (ledger/follow-ups/steps.ts says what each reads and what comes after it); "sweep_page"
 * reads one page of an account's Access users for the reconciliation sweep (ledger/sweep/) and belongs to no
 * revocation.
 */
export type CallKind = "revoke" | "seat_lookup" | "seat_update" | "verify_lookup" | "verify_sessions" | "re_revoke" | "sweep_page";

/** A Zero Trust seat after the revocation (REMOVE_SEATS); zones have none. */
const SeatSchema = z.object({
  state: z.enum(["pending", "removed", "no_access_user", "already_removed", "failed", "skipped", "dry_run", "not_applicable"]),
  at: z.nullable(z.string()),
  detail: z.nullable(z.string()),
});
export type Seat = z.infer<typeof SeatSchema>;

/** Proof that no Access session is left (VERIFY_AFTER_SECONDS); zones have no users to look up. */
const VerificationSchema = z.object({
  state: z.enum(["pending", "verified", "still_active", "failed", "skipped", "dry_run", "not_applicable"]),
  verified_at: z.nullable(z.string()),
  active_sessions: z.nullable(z.number()),
  last_successful_login: z.nullable(z.string()),
  /** still_active: what the one re-revocation it caused came to. */
  re_revocation: z.nullable(z.string()),
  detail: z.nullable(z.string()),
});
export type Verification = z.infer<typeof VerificationSchema>;

// provider_read: the Worker read the person's state from the provider's API itself (Entra through Microsoft Graph).
const AssuranceSchema = z.enum(["signed", "static_secret", "operator", "provider_read"]);

/**
 * Why an event that names a person is recorded without revoking (never dropped): see identity-events.ts;
 * "unresolved" for a signed Shared Signals event whose subject no directory can resolve (a phone number, a
 * proprietary format): it waits like any unresolved record, with the reason, and names no subject id.
 */
export const RefusalSchema = z.object({ status: z.enum(["invalid_email", "refused", "unresolved"]), detail: z.string() });

const RevocationRequestSchema = z.object({
  source: z.string(),
  assurance: AssuranceSchema,
  /**
   * Unique per source: a number when the sender's JSON had one (the hmac source), keyed as a number, so
   * no string id (or any other event's id) de-duplicates it. The record shows it as text.
   */
  event_id: z.union([z.string(), z.number()]),
  event_type: z.string(),
  /** At least one of email and subject_id; a subject id alone is resolved through the directory. */
  email: z.optional(z.nullable(z.string())),
  subject_id: z.optional(z.nullable(z.string())),
  user_uid: z.optional(z.nullable(z.string())),
  reason: z.optional(z.nullable(z.string())),
  devices: z.optional(z.boolean()),
  warp_session_reauth: z.optional(z.boolean()),
  job_id: z.optional(z.nullable(z.string())),
  /** What the request asked for, when its id is a client's Idempotency-Key: a reuse for anything else conflicts. */
  fingerprint: z.optional(z.nullable(z.string())),
  /** The address as sent when it could not be used (recorded, never sent to Cloudflare). */
  unusable_email: z.optional(z.nullable(z.string())),
  /** The address as the source spelled it, when it sent one (`email` is its normalised form); else `unusable_email`. */
  email_as_received: z.optional(z.nullable(z.string())),
  /** Recorded without revoking: the address is unusable, or the source refused the event. */
  refusal: z.optional(z.nullable(RefusalSchema)),
  /** When the identity provider says the event happened (epoch ms), where the source's payload carries it. */
  event_at: z.optional(z.nullable(z.number())),
  /** A revocation the reconciliation sweep asks for once someone it revoked came back: that revocation's id. */
  revokes_return_of: z.optional(z.nullable(z.string())),
});
export type RevocationRequest = z.infer<typeof RevocationRequestSchema>;

const CommitReceiptSchema = z.object({
  id: z.string(),
  status: RevocationStatusSchema,
  duplicate: z.boolean(),
  /** Set when the event id (an Idempotency-Key) was first used for a different request. */
  conflict: z.optional(z.object({ email: z.nullable(z.string()) })),
});
export type CommitReceipt = z.infer<typeof CommitReceiptSchema>;

const CloudflareErrorSchema = z.object({ code: z.nullable(z.number()), message: z.string() });
export type CloudflareError = z.infer<typeof CloudflareErrorSchema>;

const BodyFieldsSchema = z.record(z.string(), z.union([z.string(), z.boolean()]));

/** A Cloudflare API request as DRY_RUN records it ("would have been sent"); never carries the token. */
const ApiRequestSchema = z.object({
  method: z.string(),
  url: z.string(),
  /** revoke_user: an object; seats: an array of objects (flat JSON either way). */
  body: z.optional(z.union([BodyFieldsSchema, z.array(BodyFieldsSchema)])),
});
export type ApiRequest = z.infer<typeof ApiRequestSchema>;

/** One attempt at one target, as the record's history shows it. */
const CallAttemptSchema = z.object({
  at: z.string(),
  http_status: z.nullable(z.number()),
  outcome: z.string(),
  error: z.nullable(z.string()),
});
export type CallAttempt = z.infer<typeof CallAttemptSchema>;

/** History kept per target: the latest attempts are what an operator needs. */
export const MAX_HISTORY = 20;

const TargetResultSchema = z.object({
  target: z.string(),
  state: z.enum(CALL_STATES),
  attempts: z.number(),
  http_status: z.nullable(z.number()),
  errors: z.array(CloudflareErrorSchema),
  completed_at: z.nullable(z.string()),
  /** Every attempt (at most MAX_HISTORY, oldest first): a success after failures shows both. */
  history: z.array(CallAttemptSchema),
  /** DRY_RUN only: the request that would have been sent. */
  request: z.optional(ApiRequestSchema),
  /** null when seat removal is off (or the revocation has not succeeded there yet). */
  seat: z.nullable(SeatSchema),
  /** null when verification is off (or the revocation has not succeeded there yet). */
  verification: z.nullable(VerificationSchema),
});
export type TargetResult = z.infer<typeof TargetResultSchema>;

/** A return the reconciliation sweep found (issue #23): the person signed in again, or holds a seat again. */
const ReturnSchema = z.object({
  /** When the sweep found it. */
  found_at: z.string(),
  /** The account whose Access users showed it. */
  target: z.string(),
  last_successful_login: z.nullable(z.string()),
  holds_seat: z.boolean(),
  active_device_count: z.nullable(z.number()),
  detail: z.string(),
  /** The revocation the sweep asked for (RECONCILE_REVOKE_RETURNS), null when it asked for none. */
  revoked_again: z.nullable(z.string()),
  /** An operator's acknowledgement (POST /v1/revocations/{id}/acknowledge); until then /healthz and the page note it. */
  acknowledged_at: z.nullable(z.string()),
  acknowledgement: z.nullable(z.string()),
});
export type Return = z.infer<typeof ReturnSchema>;

export const RevocationRecordSchema = z.object({
  id: z.string(),
  source: z.string(),
  assurance: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  /**
   * The address revoked, lower-cased whole (what the ledger keys and Cloudflare receives); null while
   * unresolved: the event named only a subject id the directory did not know yet.
   */
  email: z.nullable(z.string()),
  /**
   * The address as the source or operator spelled it (trimmed), unusable ones included; null when none was
   * sent (a subject id resolved through the directory, a bulk row, a SCIM user) or for records from before.
   */
  email_as_received: z.nullable(z.string()),
  subject_id: z.nullable(z.string()),
  user_uid: z.nullable(z.string()),
  reason: z.nullable(z.string()),
  targets: z.array(z.string()),
  devices: z.boolean(),
  warp_session_reauth: z.boolean(),
  status: RevocationStatusSchema,
  attempts: z.number(),
  /** Why the revocation is not (yet) done: null once it succeeded; earlier errors stay in results[].history. */
  last_error: z.nullable(z.string()),
  /** When the revocation was accepted (committed before any 2xx answer). */
  received_at: z.string(),
  /** When its last target answered. */
  completed_at: z.nullable(z.string()),
  /** received_at → every target revoked (or had nothing to revoke), in ms; null until then. */
  time_to_revoke_ms: z.nullable(z.number()),
  /** "urgent" (one person's deprovisioning) or "bulk" (a job): urgent calls are always sent first. */
  lane: z.string(),
  /** Set for revocations submitted through POST /v1/revocations/bulk. */
  job_id: z.nullable(z.string()),
  /**
   * When the identity provider says the event happened, from its payload (Okta `published`, WorkOS and ZITADEL
   * `created_at`, Keycloak `time`, Clerk and Standard Webhooks `timestamp`, Google `id.time`, a SET's
   * `event_timestamp` or `iat`); null where the source sends none (SCIM, operator, bulk, the HMAC source).
   */
  event_at: z.nullable(z.string()),
  /** When the person came back after this revocation, as the reconciliation sweep found; null while not. */
  returned_at: z.nullable(z.string()),
  return: z.nullable(ReturnSchema),
  /** On a revocation the sweep asked for: the revocation whose person came back. */
  revokes_return_of: z.nullable(z.string()),
  results: z.array(TargetResultSchema),
});
export type RevocationRecord = z.infer<typeof RevocationRecordSchema>;

/** The answer to POST /v1/revocations: the record, and `duplicate` when its Idempotency-Key was used before. */
export const AnsweredRecordSchema = z.extend(RevocationRecordSchema, { duplicate: z.optional(z.literal(true)) });
export type AnsweredRecord = z.infer<typeof AnsweredRecordSchema>;
/** One page of GET /v1/revocations, newest first; `cursor` continues it (null on the last page). */
export const RecordPageSchema = z.object({ records: z.array(RevocationRecordSchema), cursor: z.nullable(z.string()) });
export type RecordPage = z.infer<typeof RecordPageSchema>;

/** Every status but the two that still wait (for the directory, for the API). */
export const TERMINAL_STATUSES: ReadonlySet<RevocationStatus> = new Set(
  REVOCATION_STATUSES.filter((status) => status !== "unresolved" && status !== "queued"),
);

/**
 * A revocation's status once every target has answered: any failure fails it (an operator must look);
 * otherwise revoked if any target revoked something, not_found if none had anything to revoke.
 */
export function settledStatus(states: CallState[]): RevocationStatus {
  if (states.some((state) => state === "pending")) return "queued";
  if (states.some((state) => state === "failed")) return "failed";
  if (states.every((state) => state === "dry_run")) return "dry_run";
  if (states.some((state) => state === "revoked")) return "revoked";
  return "not_found";
}
