// What a managed-connection kind implements: the extension point for an SSF stream, a Google Workspace channel,
// a Microsoft Graph subscription, or anything else the Worker creates and keeps alive at a provider.
//
// A kind is an object { kind, maxCalls, connections(config), maintain(context) }, added to CONNECTION_KINDS
// (kinds.ts). Every Cron run (once a minute), the runner (runner.ts) asks each kind which connections the
// configuration turns on, then calls maintain() once for each, with a budget of outbound calls, a deadline
// and the state the kind kept last time; it records what maintain() answers in the ledger
// (ledger/connections/), which turns it into /v1/stats (`sources.<name>.connection`), /healthz notes, audit
// entries and alerts. So a kind never touches the ledger, the audit log or the alerts itself:
// - Name: each connection is named after the source whose deliveries it keeps coming (`ssf-<name>`,
//   `google`, `entra`), so /v1/stats shows it beside that source's last deliveries.
// - Idle: most runs have nothing due (a channel renewed hours ago): answer { verdict: "idle" } without a call.
// - Proof of life: a run that proved the connection works end to end (a verification round trip, a renewal
//   the provider accepted) answers `proof` with what proved it. Proof that arrives by a delivery (an SSF
//   verification event carrying the state asked for) is recorded by the receiving route through
//   ledger.connections().proof(name, what); a kind reads it on its next run in `context.record.last_proof_at`.
// - Errors: answer { verdict: "failing", error } with a sentence for the operator (an HTTP status, an error
//   code, what to check; never a token, secret or response body). Do not throw: a throw or a run past the
//   deadline is recorded as failing with a generic error, and whatever the run did is lost with its state.
// - State: `context.state` is what the kind answered as `state` last time (parsed JSON, null at first); answer
//   the state to keep (null keeps the old one). Ids, expirations, channel tokens, delta links: secrets may be
//   in it, so it is never logged, never in /v1/stats; it stays in the ledger (at most 16 KiB of JSON).
//   Answer the state even when failing if the run changed something at the provider (a channel created but
//   the old one not stopped), so the next run knows.
// - Details: what an operator may see: never a secret. A flat object of at most 12 snake_case fields, each a
//   string of at most 200 characters (an id, a status, an ISO time), a number, a boolean or null
//   (ConnectionDetailsSchema, domain/connections.ts); /v1/stats shows it as `sources.<name>.connection.details`,
//   as the last run that answered it did (a run that omits it keeps the last). Ids, statuses, expirations and
//   round-trip times belong here; a token, a verification's pending state or a clientState never does. Details
//   that do not fit the schema make the run failing.
// - Changes: report created, renewed, repaired, stopped or verification_missed with a sentence each; each is
//   written to the audit log. The ledger itself adds failing and recovered when the verdict changes status.
// - Network: only through `context.fetch`: each call times out (context.timeoutMs), redirects are not followed
//   unless the kind asks, and past `maxCalls` calls (or the run's remaining budget) it throws
//   ConnectionBudgetSpent. The Workers Free plan allows 50 subrequests per invocation, shared with the
//   Cron's other work, so a kind states its worst case in maxCalls and docs/operations.md lists it.
// - Time and randomness: `context.now()` and `context.random` (fresh channel tokens, SSF verification states),
//   so tests step them.
import type { Config } from "../config";
import type { ConnectionDetails, ConnectionEvent, ConnectionRecord } from "../domain/connections";

/** What one run of one connection answers (see the header). */
export type MaintainResult =
  | { verdict: "ok"; proof?: string; changes?: ConnectionEvent[]; state?: unknown; details?: ConnectionDetails }
  | { verdict: "failing"; error: string; changes?: ConnectionEvent[]; state?: unknown; details?: ConnectionDetails }
  | { verdict: "idle"; state?: unknown; details?: ConnectionDetails };

export type MaintainContext = {
  /** The connection's name: the source it keeps (ssf-okta, google, entra). */
  name: string;
  config: Config;
  /** PUBLIC_URL: the Worker's origin, which the addresses given to the provider are built on. */
  publicUrl: string;
  /** What this kind kept last run (parsed JSON); null before the first. */
  state: unknown;
  /** Its record as the ledger has it (status, last run, last proof of life, last error). */
  record: ConnectionRecord;
  /** fetch bounded in time and count; throws ConnectionBudgetSpent past the budget (bounded-fetch.ts). */
  fetch: typeof fetch;
  /** How long one call may take before it is aborted. */
  timeoutMs: number;
  now(): number;
  /** Random bytes (channel tokens, verification states). */
  random(bytes: number): Uint8Array;
  /** Aborted at the run's deadline: a kind waiting on something else should stop then. */
  signal: AbortSignal;
  /** An operator asked for this run (`connections sync`): check now what would otherwise wait for its schedule. */
  forced: boolean;
};

export type ConnectionKind = {
  /** The kind's name in the record and /v1/stats: ssf-stream, google-channel, graph-subscription. */
  kind: string;
  /** The most outbound calls one run of one connection may make (its worst case). */
  maxCalls: number;
  /** The connections of this kind the configuration turns on, by name (the source each keeps). */
  connections(config: Config): string[];
  maintain(context: MaintainContext): Promise<MaintainResult>;
};
