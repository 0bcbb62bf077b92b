// What the operator API answers about the ledger as a whole: /v1/stats, /v1/holds, the jobs list and one
// job's view. The ledger builds these; types are inferred from the schemas, which also describe the API
// (OpenAPI). Times are ISO 8601 strings, null for "never" or "not now".
// Contract: pure.
import * as z from "zod/mini";
import { JobCountsSchema } from "./bulk";
import { CONNECTION_STATUSES, ConnectionDetailsSchema } from "./connections";
import { EntraSourceSchema } from "./entra";
import { STREAM_STATUSES } from "./ssf/event-types";

const IsoTime = z.string();
const Counts = z.record(z.string(), z.number());

/** Accepted → revoked on every target (milliseconds), over some set of revocations. */
export const TimeToRevokeSchema = z.object({
  count: z.number(),
  p50_ms: z.nullable(z.number()),
  p95_ms: z.nullable(z.number()),
  max_ms: z.nullable(z.number()),
});
export type TimeToRevoke = z.infer<typeof TimeToRevokeSchema>;

const LaneCountsSchema = z.object({ urgent: z.number(), bulk: z.number(), follow_up: z.number() });
const TimeToRevokeOverTimeSchema = z.object({ last_hour: TimeToRevokeSchema, since_start: TimeToRevokeSchema });

/** Seat removals and verifications by what they came to (removed, no_access_user, verified, still_active, pending, failed, …). */
const FollowUpCountsSchema = z.object({ seats: Counts, verification: Counts });
export type FollowUpCounts = z.infer<typeof FollowUpCountsSchema>;

/** A target whose calls wait because the API refused the token there (a probe goes out when it ends). */
const HoldSchema = z.object({ target: z.string(), until: IsoTime, reason: z.string() });
export type Hold = z.infer<typeof HoldSchema>;

export const HoldsSchema = z.object({ holds: z.array(HoldSchema) });
/** The answer to lifting a hold: the hold, and how many revocations that failed because of it were re-queued. */
export const ClearedHoldSchema = z.object({ cleared: HoldSchema, requeued: z.number() });
export type ClearedHold = z.infer<typeof ClearedHoldSchema>;

const DrainViewSchema = z.object({
  /** When the drain last sent a call. */
  last_call_at: z.nullable(IsoTime),
  /** While every token is paused by a 429, when the first resumes; null when one is not (each token's pause: budgets[]). */
  paused_until: z.nullable(IsoTime),
  /** Seat removal / verification switched off until then because the API refused the token for them. */
  seats_off_until: z.nullable(IsoTime),
  verification_off_until: z.nullable(IsoTime),
});

const RejectionsSchema = z.object({
  since: IsoTime,
  by_reason: z.array(z.object({ source: z.string(), reason: z.string(), count: z.number(), last_at: IsoTime })),
});

/** A Shared Signals transmitter's stream as its events described it (ledger/ssf/streams.ts). */
/** SETs kept while the transmitter's keys could not be fetched, verified by the Cron Trigger once they can. */
const HeldSetsSchema = z.object({
  count: z.number(),
  oldest_received_at: IsoTime,
  /** Why the last check could not decide; null before the first check. */
  last_detail: z.nullable(z.string()),
});
export type HeldSetsView = z.infer<typeof HeldSetsSchema>;

/** SETs that reused a jti for other content (each accepted and recorded, ledger/ssf/jti.ts). */
const JtiConflictsSchema = z.object({
  count: z.number(),
  /** The latest: the jti, the SHA-256 of what its first SET said and of what this one said. */
  last: z.object({ jti: z.string(), first_digest: z.string(), digest: z.string(), at: IsoTime }),
});
export type JtiConflictsView = z.infer<typeof JtiConflictsSchema>;

/** Poll delivery (RFC 8936): the Cron Trigger's last poll run for this transmitter. */
const SsfPollSchema = z.object({
  last_at: IsoTime,
  /** The last run every request of which succeeded; null if none has. */
  last_ok_at: z.nullable(IsoTime),
  /** Why the last run failed; null when it succeeded. */
  last_error: z.nullable(z.string()),
  /** SETs received by polling, in all. */
  sets_received: z.number(),
});

const SsfStreamSchema = z.object({
  stream_id: z.nullable(z.string()),
  /** From its last stream-updated event; null until one arrived. A paused or disabled stream sends nothing. */
  status: z.nullable(z.enum(STREAM_STATUSES)),
  reason: z.nullable(z.string()),
  /** When the transmitter issued that status (the SET's iat). */
  status_at: z.nullable(IsoTime),
  /** When it arrived here. */
  status_received_at: z.nullable(IsoTime),
  /**
   * The last stream-updated event whose status could not be read (answered 400 invalid_request), while no
   * readable status was issued after it: the stream may be paused or disabled. Null otherwise.
   */
  status_unreadable: z.nullable(z.object({ issued_at: IsoTime, received_at: IsoTime, detail: z.string() })),
  verifications: z.number(),
  last_verified_at: z.nullable(IsoTime),
  /** Null when nothing is held. */
  held_sets: z.nullable(HeldSetsSchema),
  /** Null until the transmitter was first polled (only transmitters configured with `poll` are). */
  poll: z.nullable(SsfPollSchema),
  /** Null while no SET reused a jti for other content. */
  jti_conflicts: z.nullable(JtiConflictsSchema),
});
export type SsfStream = z.infer<typeof SsfStreamSchema>;

/** One Cloudflare API token's budget and pace (Cloudflare counts its limit per token: each has its own). */
const TokenBudgetSchema = z.object({
  /** HMAC-SHA256 of the token under a key the ledger keeps, 16 hex digits: tells tokens apart, never the token. */
  fingerprint: z.string(),
  /** The targets whose calls go with it ("accounts/<id>", "zones/<id>"). */
  targets: z.array(z.string()),
  /** The budget Cloudflare last reported (Ratelimit, Ratelimit-Policy; the limit the pace is bound by); null before the first. */
  reported: z.nullable(
    z.object({
      policy: z.string(),
      remaining: z.number(),
      /** When more quota is made available (the reported t from the answer); null when it named none. */
      reset_at: z.nullable(IsoTime),
      quota: z.nullable(z.number()),
      window_seconds: z.nullable(z.number()),
      reported_at: IsoTime,
    }),
  ),
  pace: z.object({
    /** Calls a second it is paced at now (0 while its budget is spent until reset_at). */
    per_second: z.number(),
    /** auto: from the reported budget; ceiling: REVOKE_RATE_PER_SECOND's number or REVOKE_RATE_MAX_PER_SECOND; fallback: no budget known (none reported, or its reset passed). */
    why: z.enum(["auto", "ceiling", "fallback"]),
  }),
  /** Its calls wait until then after a 429; null when not paused. */
  paused_until: z.nullable(IsoTime),
  /** 429s Cloudflare answered it in the last hour. */
  rate_limited_last_hour: z.number(),
});
export type TokenBudget = z.infer<typeof TokenBudgetSchema>;
/** The audit chain's head (what a report or an auditor pins) and the entries not in KV yet (issue #23). */
export const AuditChainViewSchema = z.object({
  /** This deployment's chain id: its first entry links to a hash of it. */
  chain_id: z.string(),
  /** The last sealed entry; null while the chain is empty. */
  head: z.nullable(z.object({ seq: z.number(), hash: z.string(), at: IsoTime })),
  /** Entries appended whose KV copy is not written yet (sealed or not). */
  unwritten: z.number(),
  /** Why the oldest of them is not written yet (a KV failure); null when nothing failed. */
  last_error: z.nullable(z.string()),
});
export type AuditChainView = z.infer<typeof AuditChainViewSchema>;

/** GET /v1/audit/chain: the ledger's own record of the chain, the hashes an export is checked against. */
export const AuditChainPageSchema = z.object({
  chain_id: z.string(),
  head: AuditChainViewSchema.shape.head,
  entries: z.array(z.object({ seq: z.number(), key: z.string(), hash: z.nullable(z.string()) })),
  /** The seq to pass as `after` for the next page; null on the last. */
  cursor: z.nullable(z.string()),
});
export type AuditChainPage = z.infer<typeof AuditChainPageSchema>;

/** One reconciliation sweep (issue #23): where it stands per account and what it found. */
const SweepViewSchema = z.object({
  id: z.number(),
  /** "schedule" (RECONCILE_EVERY_HOURS) or "operator" (POST /v1/reconcile). */
  trigger: z.string(),
  started_at: IsoTime,
  finished_at: z.nullable(IsoTime),
  status: z.enum(["running", "done", "failed"]),
  /** User records read (a page read again after the list shrank counts again). */
  users_seen: z.number(),
  /** People found back after their revocation (each revocation counts once). */
  returns_found: z.number(),
  /** Revocations the sweep asked for because of them (RECONCILE_REVOKE_RETURNS). */
  revoked_again: z.number(),
  /** An account's list changed size while it was read. */
  list_changed: z.boolean(),
  detail: z.nullable(z.string()),
  accounts: z.array(
    z.object({
      target: z.string(),
      state: z.enum(["reading", "done", "failed"]),
      /** The page read next (while reading). */
      page: z.number(),
      pages_read: z.number(),
      users_seen: z.number(),
      returns_found: z.number(),
      /** The list's size as the API last reported it. */
      total_count: z.nullable(z.number()),
      detail: z.nullable(z.string()),
    }),
  ),
});
export type SweepView = z.infer<typeof SweepViewSchema>;

/** /v1/stats `reconcile`: the reconciliation sweep's settings, progress, last result and open returns. */
export const ReconcileViewSchema = z.object({
  every_hours: z.number(),
  revoke_returns: z.boolean(),
  /** DRY_RUN is on: no sweep runs, scheduled or asked for, whatever every_hours says. */
  dry_run: z.boolean(),
  /** The sweep in progress; null when none is. */
  running: z.nullable(SweepViewSchema),
  /** The last sweep that finished. */
  last: z.nullable(SweepViewSchema),
  /** When the next scheduled sweep starts (null: RECONCILE_EVERY_HOURS=0, DRY_RUN, or one is running). */
  next_at: z.nullable(IsoTime),
  /** No scheduled sweep before then: the API refused the token for Access users. */
  off_until: z.nullable(IsoTime),
  /** People found back after their revocation that no operator has acknowledged yet (the oldest, at most 20). */
  returns: z.object({
    unacknowledged: z.number(),
    oldest: z.array(z.object({ id: z.string(), email: z.nullable(z.string()), returned_at: IsoTime, detail: z.string() })),
  }),
});
export type ReconcileView = z.infer<typeof ReconcileViewSchema>;
/** A managed connection (ledger/connections/): the status its last run gave, its last proof of life and error. */
const ConnectionViewSchema = z.object({
  /** ssf-stream, google-channel, graph-subscription, …: the kind that keeps it (src/connections/). */
  kind: z.string(),
  /** ok, or failing since its last run failed (`last_error` says why) until a run succeeds again. */
  status: z.enum(CONNECTION_STATUSES),
  /** When it was last proven alive end to end (a verification round trip, a renewal), and how. */
  last_proof_at: z.nullable(IsoTime),
  last_proof: z.nullable(z.string()),
  /** The last failure (kept after a recovery, with its time, for the record). */
  last_error: z.nullable(z.string()),
  last_error_at: z.nullable(IsoTime),
  failing_since: z.nullable(IsoTime),
  last_run_at: z.nullable(IsoTime),
  created_at: z.nullable(IsoTime),
  renewed_at: z.nullable(IsoTime),
  repaired_at: z.nullable(IsoTime),
  /**
   * What its kind shows of it, as its last run answered (ssf-stream: stream_id, status, status_read_at,
   * verification_requested_at, verification_received_at, round_trip_ms; google-channel: channel_id, expires_at,
   * previous_channel_id; graph-subscription: subscription_id, expires_at). Absent before a run answered any.
   */
  details: z.optional(z.nullable(ConnectionDetailsSchema)),
});
export type ConnectionView = z.infer<typeof ConnectionViewSchema>;

/** A source the configuration turns on (okta, scim, ssf-<name>, …): its last deliveries, its silence, its managed connection. */
const SourceViewSchema = z.object({
  /** The last delivery verified and accepted (committed, or answered 2xx); null: none yet. */
  last_accepted_at: z.nullable(IsoTime),
  /** The last delivery refused (a bad signature, token or SET; counted per hour in `rejections`). */
  last_refused_at: z.nullable(IsoTime),
  /** SOURCE_SILENCE_HOURS for this source; null when it has none. */
  silence_threshold_hours: z.nullable(z.number()),
  /** Nothing accepted for longer than the threshold: since `silent_since` (the last delivery, or since the Worker first saw the source). */
  silent: z.boolean(),
  silent_since: z.nullable(IsoTime),
  /** Present for a source the Worker keeps a managed connection for (an SSF stream, a Google channel, a Graph subscription). */
  connection: z.optional(ConnectionViewSchema),
  /** `entra` only: its notifications, subscription, delta catch-up (caught_by_delta) and reads (docs/providers.md). */
  ...z.partial(EntraSourceSchema).shape,
});
export type SourceView = z.infer<typeof SourceViewSchema>;

/** The alerts sent to ALERT_WEBHOOK_URL (ledger/alerts/), over the 30 days the outbox keeps. */
const AlertsViewSchema = z.object({
  /** The host alerts go to; null when ALERT_WEBHOOK_URL is unset (no alert is queued then). */
  destination: z.nullable(z.string()),
  /** Whether they are signed (ALERT_WEBHOOK_SECRET). */
  signed: z.boolean(),
  /** Waiting to be sent (a bulk job's summary while it gathers, retries included). */
  pending: z.number(),
  sent: z.number(),
  /** Not delivered after every retry. */
  failed: z.number(),
  /** Not sent, past the hourly cap; counted in a summary alert. */
  suppressed: z.number(),
  last_sent_at: z.nullable(IsoTime),
  last_error: z.nullable(z.string()),
  last_error_at: z.nullable(IsoTime),
});
export type AlertsView = z.infer<typeof AlertsViewSchema>;

/** POST /v1/alerts/test: the test alert and what became of it within the request. */
export const AlertTestSchema = z.object({
  id: z.string(),
  state: z.enum(["sent", "pending", "failed"]),
  destination: z.string(),
  attempts: z.number(),
  last_error: z.nullable(z.string()),
});
export type AlertTest = z.infer<typeof AlertTestSchema>;

export const StatsSchema = z.object({
  by_status: Counts,
  pending_calls: z.number(),
  /** Calls waiting in each lane: urgent ones always go first, follow-ups last. */
  waiting_by_lane: LaneCountsSchema,
  time_to_revoke: z.object({ urgent: TimeToRevokeOverTimeSchema, bulk: TimeToRevokeOverTimeSchema, follow_up: TimeToRevokeOverTimeSchema }),
  drain: DrainViewSchema,
  holds: z.array(HoldSchema),
  /** The pace in use now: every token's, added up (budgets[].pace). */
  rate_per_second: z.number(),
  /** REVOKE_RATE_PER_SECOND: auto, or the ceiling it names. */
  rate_setting: z.union([z.literal("auto"), z.number()]),
  /** One entry per Cloudflare API token. */
  budgets: z.array(TokenBudgetSchema),
  observed_calls_last_minute: z.number(),
  rejections: RejectionsSchema,
  follow_ups: FollowUpCountsSchema,
  /** Every configured Shared Signals transmitter, by name. */
  ssf_streams: z.record(z.string(), SsfStreamSchema),
  audit_chain: AuditChainViewSchema,
  reconcile: ReconcileViewSchema,
  /** Every configured source and managed connection, by source name (okta, scim, ssf-<name>, google, …). */
  sources: z.record(z.string(), SourceViewSchema),
  alerts: AlertsViewSchema,
});
export type Stats = z.infer<typeof StatsSchema>;

/** Why a job's calls are not going out right now. */
const WaitingSchema = z.object({
  reason: z.enum(["paused", "held", "urgent_first"]),
  message: z.string(),
  until: z.nullable(IsoTime),
});
export type Waiting = z.infer<typeof WaitingSchema>;

const JobSummarySchema = z.object({
  id: z.string(),
  created_at: IsoTime,
  lines: z.number(),
  accepted: z.number(),
  duplicates: z.number(),
  rejected: z.number(),
  by_status: Counts,
  /** Share of the accepted revocations that reached a final status, 0–100. */
  percent_done: z.number(),
  /** When the last of them did (null while any is open). */
  completed_at: z.nullable(IsoTime),
  /** This job's calls still to send (follow-ups included). */
  pending_calls: z.number(),
});
export type JobSummary = z.infer<typeof JobSummarySchema>;

export const JobListSchema = z.object({ jobs: z.array(JobSummarySchema), cursor: z.nullable(z.string()) });

export const JobViewSchema = z.extend(JobSummarySchema, {
  rejections: JobCountsSchema.shape.rejections,
  /**
   * Calls to send before this job's last one: every urgent call waiting (they always go first) and, as bulk
   * jobs take turns, from each other job as many as this job has left (or all it has, if fewer).
   */
  pending_calls_ahead: z.number(),
  /** Bulk jobs with calls waiting, this one included: they share the bulk lane in turns. */
  jobs_in_lane: z.number(),
  /** At the configured pace, assuming no 429 pause or token hold from now on. */
  estimated_completion: z.nullable(IsoTime),
  /** This job's revocations finished per second over the last minute (or over its life, if younger). */
  rate_per_second: z.number(),
  waiting: z.nullable(WaitingSchema),
  time_to_revoke: TimeToRevokeSchema,
  follow_ups: FollowUpCountsSchema,
});
export type JobView = z.infer<typeof JobViewSchema>;

export const JobRetrySchema = z.object({ job_id: z.string(), requeued: z.number() });
export type JobRetry = z.infer<typeof JobRetrySchema>;
export type JobList = z.infer<typeof JobListSchema>;

/** An epoch-milliseconds instant as the API shows it: ISO 8601, null for 0 (never). */
export function isoOrNull(ms: number | null | undefined): string | null {
  return ms ? new Date(ms).toISOString() : null;
}

/** What the identity directory holds for one subject id of one source. */
export const DirectoryEntrySchema = z.object({ source: z.string(), subject_id: z.string(), emails: z.array(z.string()), updated_at: IsoTime });
export type DirectoryEntry = z.infer<typeof DirectoryEntrySchema>;

/** The answer to a directory import: counts, each rejected line's reason, and the waiting revocations it resolved. */
export const ImportAnswerSchema = z.object({
  imported: z.number(),
  rejected: z.number(),
  rejections: z.array(z.object({ line: z.number(), reason: z.string() })),
  resolved_revocations: z.number(),
});
export type ImportAnswer = z.infer<typeof ImportAnswerSchema>;
