// The offboarding evidence report (issue #23, GET /v1/reports/offboarding): one row per revocation received
// in a period, with what Cloudflare answered per account and zone, and a summary of the period, every figure
// read from the ledger, stamped with when it was generated and the audit chain head it covers. Types are
// inferred from the schemas, which also describe the API (OpenAPI). Contract: pure.
import * as z from "zod/mini";
import { AuditChainViewSchema, TimeToRevokeSchema } from "./views";

const IsoTime = z.string();

const ReportTargetSchema = z.object({
  target: z.string(),
  /** The revoke_user call's end: revoked, not_found, failed, pending, dry_run. */
  state: z.string(),
  completed_at: z.nullable(IsoTime),
  /** Cloudflare's answer: its HTTP status and errors (code, message). */
  http_status: z.nullable(z.number()),
  errors: z.array(z.object({ code: z.nullable(z.number()), message: z.string() })),
  /** Attempts it took (more than one: it failed first and was retried). */
  attempts: z.number(),
  /** Seat removal (REMOVE_SEATS): removed, none, failed, …; null when off or a zone. */
  seat: z.nullable(z.string()),
  /** Verification: verified, still_active, not_applicable, …; null when off. */
  verification: z.nullable(z.string()),
});

const OffboardingRowSchema = z.object({
  id: z.string(),
  email: z.nullable(z.string()),
  subject_id: z.nullable(z.string()),
  source: z.string(),
  event_type: z.string(),
  /** The identity provider's own time of the event, where its payload carries one (docs/operations.md lists which). */
  event_at: z.nullable(IsoTime),
  received_at: IsoTime,
  completed_at: z.nullable(IsoTime),
  time_to_revoke_ms: z.nullable(z.number()),
  status: z.string(),
  last_error: z.nullable(z.string()),
  job_id: z.nullable(z.string()),
  targets: z.array(ReportTargetSchema),
  seats_removed: z.number(),
  /** A return the reconciliation sweep found after this revocation. */
  returned_at: z.nullable(IsoTime),
  return_acknowledged_at: z.nullable(IsoTime),
  /** The revocation the sweep asked for because of the return. */
  revoked_again: z.nullable(z.string()),
  /** On a revocation the sweep asked for: the revocation whose person came back. */
  revokes_return_of: z.nullable(z.string()),
});
export type OffboardingRow = z.infer<typeof OffboardingRowSchema>;

const OffboardingSummarySchema = z.object({
  from: IsoTime,
  to: IsoTime,
  generated_at: IsoTime,
  /** The rows are the revocations received in [from, to) up to this ledger sequence number (those committed later are left out, so every page agrees with the summary). */
  through_seq: z.number(),
  /** Revocations received in the period, and the distinct people they name. */
  count: z.number(),
  people: z.number(),
  by_status: z.record(z.string(), z.number()),
  /** From receipt to the last target's success, over the revocations that succeeded. */
  time_to_revoke: TimeToRevokeSchema,
  threshold_ms: z.number(),
  /** Revocations that succeeded within threshold_ms of receipt. */
  within_threshold: z.number(),
  failures: z.object({
    /** Still failed at generation time (retry them: POST /v1/revocations/{id}/retry). */
    unresolved: z.number(),
    /** Succeeded after at least one failed attempt (retried by the drain or an operator). */
    resolved_after_retry: z.number(),
    /** The unresolved ones (at most 100). */
    unresolved_ids: z.array(z.string()),
  }),
  seats_removed: z.number(),
  returns: z.object({ found: z.number(), acknowledged: z.number(), revoked_again: z.number() }),
  /** The audit chain at generation time: an auditor pins its head and checks an export against it. */
  audit_chain: AuditChainViewSchema,
});
export type OffboardingSummary = z.infer<typeof OffboardingSummarySchema>;

export const OffboardingReportSchema = z.object({
  summary: OffboardingSummarySchema,
  rows: z.array(OffboardingRowSchema),
  /** Pass as `cursor` for the next rows; null on the last page. */
  next_cursor: z.nullable(z.string()),
});
export type OffboardingReport = z.infer<typeof OffboardingReportSchema>;
