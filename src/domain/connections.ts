// Managed connections: connections to an identity provider the Worker creates and keeps itself (an SSF
// stream, a Google Workspace channel, a Microsoft Graph subscription), maintained from the Cron Trigger
// (src/connections/) and recorded in the ledger (src/ledger/connections/). What a run of one connection
// reports, and what the ledger shows of it. A connection is named after the source it keeps alive (ssf-okta,
// google, entra), so /v1/stats shows it under that source.
// Contract: pure; types inferred from the schemas, which also check what crosses RPC into the ledger.
import * as z from "zod/mini";

export const CONNECTION_STATUSES = ["ok", "failing"] as const;
type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/**
 * What happened to a connection, each written to the audit log (KEYS.md, `connection:`): a kind reports the
 * first five; the ledger adds `failing` and `recovered` when a run changes its status.
 */
const CONNECTION_CHANGES = ["created", "renewed", "repaired", "stopped", "verification_missed", "failing", "recovered"] as const;
export type ConnectionChange = (typeof CONNECTION_CHANGES)[number];

/** A change a kind reports: what, and a sentence for the operator (ids and times, never a secret). */
const ConnectionEventSchema = z.object({
  change: z.enum(CONNECTION_CHANGES),
  detail: z.string().check(z.maxLength(500)),
});
export type ConnectionEvent = z.infer<typeof ConnectionEventSchema>;

/** The most fields a connection's details may have. */
const MAX_CONNECTION_DETAILS = 12;

/**
 * What a kind shows an operator of its connection (`sources.<name>.connection.details` in /v1/stats): a flat
 * object of at most MAX_CONNECTION_DETAILS snake_case fields, each a short string (ids, statuses, ISO times), a
 * number, a boolean or null. Never a secret: unlike the state, it is shown as it is.
 */
export const ConnectionDetailsSchema = z
  .record(z.string().check(z.regex(/^[a-z][a-z0-9_]{0,39}$/)), z.union([z.nullable(z.string().check(z.maxLength(200))), z.number(), z.boolean()]))
  .check(z.refine((details) => Object.keys(details).length <= MAX_CONNECTION_DETAILS, `at most ${MAX_CONNECTION_DETAILS} fields`));
export type ConnectionDetails = z.infer<typeof ConnectionDetailsSchema>;

/** The most a kind's state may take in the ledger (its JSON text). */
export const MAX_CONNECTION_STATE_CHARS = 16_384;

/**
 * One run of one connection, as the runner hands it to the ledger.
 * - `verdict`: ok (it works: status ok), failing (status failing, `error` says why) or idle (nothing was due,
 *   the status stays as it was).
 * - `proof`: set when this run proved the connection alive end to end (a verification round trip, a channel
 *   renewed): what proved it. Recorded as last proof of life.
 * - `state`: the kind's own JSON (ids, expirations, channel tokens, delta links), kept for the next run;
 *   null leaves the kept state as it was. Secrets may be in it: it is never logged or shown.
 * - `details`: what an operator may see of the connection (ConnectionDetailsSchema), shown in /v1/stats as
 *   the kind answered it last; null leaves the kept details as they were.
 */
export const MaintenanceReportSchema = z.object({
  kind: z.string().check(z.minLength(1), z.maxLength(40)),
  verdict: z.enum(["ok", "failing", "idle"]),
  error: z.nullable(z.string().check(z.maxLength(500))),
  proof: z.nullable(z.string().check(z.maxLength(200))),
  changes: z.array(ConnectionEventSchema).check(z.maxLength(10)),
  state: z.nullable(z.string().check(z.maxLength(MAX_CONNECTION_STATE_CHARS))),
  details: z.nullable(ConnectionDetailsSchema),
});
export type MaintenanceReport = z.infer<typeof MaintenanceReportSchema>;

/** A configured managed connection: its name (the source it keeps) and its kind. */
export type ConfiguredConnection = { name: string; kind: string };

/** A connection as the runner reads it before a run: its record and the state its kind kept (JSON text, or null). */
export type ConnectionRecord = {
  name: string;
  kind: string;
  status: ConnectionStatus;
  state: string | null;
  last_run_at: number | null;
  last_proof_at: number | null;
  last_error: string | null;
};
