// The managed-connection kind for a Shared Signals stream (issue #20; SSF 1.0 §7–8): for each transmitter in
// SSF_TRANSMITTERS with a `manage` block, the Worker keeps its own push stream there and proves it alive.
// A run (kind.ts says what one is) does one of three things, cheapest first:
// - A verification is pending: it came back when the ledger holds proof of life newer than the request
//   (the receiving route records it only for a verification event carrying the `state` asked for:
//   ssf/verification-proof.ts), so the round trip is recorded (ok, with its time). Not back within
//   VERIFICATION_WINDOW_MS: failing, verification_missed. Otherwise idle. No call.
// - Nothing due (the stream was checked less than verify_every_seconds ago; a minute when failing): idle,
//   unless an operator asked for the run (`connections sync`): then it checks now.
// - A check, in this order: an access token (management-auth.ts), the transmitter's metadata (its issuer must
//   be the configured one), the stream: the one kept by id, or for a first run the one already pushing to
//   PUBLIC_URL/ssf/<name> (a stream made by hand is adopted, not duplicated), created if none (or deleted
//   behind our back: recreated, and said so); its drift repaired (another endpoint, a delivery method other
//   than push, events missing from what it requests; the authorization header is always sent with a repair,
//   since transmitters do not show it); its status read, and re-enabled when paused or disabled (the Worker
//   never pauses its stream, so it never asked for that; said so); then a verification event requested with
//   a fresh random `state`. Every change is reported (created, repaired) for the audit log.
// Calls: at most MAX_CALLS a run (token 1, metadata 1, read or list 1, create or repair 1, status 1, re-enable
// 1, verification 1); an idle run makes none. docs/operations.md lists it.
// Every answer carries the stream's details for /v1/stats (streamDetails: id, status, verification times and
// round trip; never the pending verification's state).
// Contract: never throws; a failure answers the state so far (a stream created before a later step failed is
// kept by id, not created twice).
import type { Config } from "../../config";
import type { ConnectionEvent } from "../../domain/connections";
import { EMPTY_STREAM_STATE, type ManagedStreamState, readStreamState, streamDetails } from "../../domain/ssf/managed-stream";
import { SSF_SOURCE_PREFIX, type SsfTransmitter, ssfSourceName } from "../../domain/ssf/transmitters";
import type { ConnectionKind, MaintainContext, MaintainResult } from "../kind";
import {
  type Api,
  createStream,
  type DesiredStream,
  enableStream,
  listStreams,
  PUSH_DELIVERY,
  readMetadata,
  readStatus,
  readStream,
  requestVerification,
  type StreamConfig,
  updateStream,
} from "./management-api";
import { managementAuthorization } from "./management-auth";

/** How long a requested verification event may take to arrive before the stream is failing. */
export const VERIFICATION_WINDOW_MS = 5 * 60_000;
/** A failing stream is checked again every run (the Cron's minute), not only every verify_every_seconds. */
const RETRY_MS = 60_000;
const MAX_CALLS = 7;

export const ssfStreamKind: ConnectionKind = {
  kind: "ssf-stream",
  maxCalls: MAX_CALLS,
  connections: (config) => [...config.ssfTransmitters].filter(([, transmitter]) => transmitter.manage !== null).map(([name]) => ssfSourceName(name)),
  maintain: async (context) => {
    const result = await maintainStream(context);
    // Every answer shows the stream as it now stands: the state answered, or the one kept when none was.
    return { ...result, details: streamDetails(readStreamState(result.state ?? context.state)) };
  },
};

type Managed = { name: string; transmitter: SsfTransmitter; manage: NonNullable<SsfTransmitter["manage"]> };

function managedTransmitter(config: Config, connection: string): Managed | null {
  const name = connection.slice(SSF_SOURCE_PREFIX.length);
  const transmitter = config.ssfTransmitters.get(name);
  return transmitter?.manage ? { name, transmitter, manage: transmitter.manage } : null;
}

async function maintainStream(context: MaintainContext): Promise<MaintainResult> {
  const managed = managedTransmitter(context.config, context.name);
  if (managed === null) return { verdict: "failing", error: "no transmitter with a manage block has this name in SSF_TRANSMITTERS" };
  const state = readStreamState(context.state);
  const now = context.now();
  if (state.verification !== null) {
    const outcome = verificationOutcome(context, state, now);
    // Asked by an operator, a pending verification does not keep the stream from being checked now.
    if (!(context.forced && outcome.verdict === "idle")) return outcome;
  }
  if (context.forced) return checkStream(context, managed, state, now);
  const interval = context.record.status === "failing" ? RETRY_MS : managed.manage.verifyEveryMs;
  if (state.stream_id !== null && state.checked_at !== null && now - state.checked_at < interval) return { verdict: "idle" };
  return checkStream(context, managed, state, now);
}

function verificationOutcome(context: MaintainContext, state: ManagedStreamState, now: number): MaintainResult {
  const pending = state.verification!;
  const proofAt = context.record.last_proof_at;
  if (proofAt !== null && proofAt >= pending.requested_at) {
    const roundTrip = proofAt - pending.requested_at;
    return {
      verdict: "ok",
      proof: `verification event returned in ${(roundTrip / 1000).toFixed(1)} s (stream ${state.stream_id}, status ${state.status})`,
      state: { ...state, verification: null, verified: { requested_at: pending.requested_at, received_at: proofAt } },
    };
  }
  if (now - pending.requested_at <= VERIFICATION_WINDOW_MS) return { verdict: "idle" };
  const error = `the verification event requested at ${new Date(pending.requested_at).toISOString()} did not arrive within ${VERIFICATION_WINDOW_MS / 60_000} minutes: check that the transmitter can push to PUBLIC_URL/ssf/${context.name.slice(SSF_SOURCE_PREFIX.length)} (its authorization header, its keys); see docs/operations.md`;
  return {
    verdict: "failing",
    error,
    changes: [{ change: "verification_missed", detail: `stream ${state.stream_id}: ${error.split(":")[0]}` }],
    state: { ...state, verification: null },
  };
}

/** What differs between the stream and the one the Worker wants: each a phrase, empty when none. */
function driftOf(stream: StreamConfig, desired: DesiredStream): string[] {
  const drift: string[] = [];
  if (stream.delivery?.method !== undefined && stream.delivery.method !== PUSH_DELIVERY)
    drift.push(`its delivery method was ${stream.delivery.method}`);
  if (stream.delivery?.endpoint_url !== desired.delivery.endpoint_url) drift.push(`it pushed to ${stream.delivery?.endpoint_url ?? "no endpoint"}`);
  const requested = new Set(stream.events_requested ?? []);
  const missing = desired.events_requested.filter((event) => !requested.has(event));
  if (missing.length > 0) drift.push(`it did not request ${missing.length} of the events the Worker deprovisions on`);
  return drift;
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

async function checkStream(context: MaintainContext, managed: Managed, state: ManagedStreamState, now: number): Promise<MaintainResult> {
  const changes: ConnectionEvent[] = [];
  let kept: ManagedStreamState = state === EMPTY_STREAM_STATE ? { ...EMPTY_STREAM_STATE } : { ...state };
  const failing = (error: string): MaintainResult => ({ verdict: "failing", error, changes, state: kept });

  const authorization = await managementAuthorization(managed.name, managed.manage.credentials, context);
  if (!authorization.ok) return failing(authorization.error);
  const api: Api = { fetch: context.fetch, authorization: authorization.value, timeoutMs: context.timeoutMs };
  const metadata = await readMetadata(context.fetch, managed.transmitter.issuer, context.timeoutMs);
  if (!metadata.ok) return failing(metadata.error);
  const endpoints = metadata.value;

  const pushAuthorization = context.config.ssfSecrets.get(managed.name)?.auth[0];
  const desired: DesiredStream = {
    delivery: {
      method: PUSH_DELIVERY,
      endpoint_url: `${context.publicUrl}/ssf/${managed.name}`,
      ...(pushAuthorization === undefined ? {} : { authorization_header: pushAuthorization }),
    },
    events_requested: managed.manage.events,
    description: `access-revoker: deprovisioning events for ${context.publicUrl}`,
  };

  let stream: StreamConfig | null;
  if (kept.stream_id !== null) {
    const read = await readStream(api, endpoints, kept.stream_id);
    if (!read.ok) return failing(read.error);
    stream = read.value;
  } else {
    const listed = await listStreams(api, endpoints);
    if (!listed.ok) return failing(listed.error);
    stream = listed.value.find((candidate) => candidate.delivery?.endpoint_url === desired.delivery.endpoint_url) ?? null;
  }

  if (stream === null) {
    const gone = kept.stream_id;
    const created = await createStream(api, endpoints, desired);
    if (!created.ok) return failing(created.error);
    stream = created.value;
    kept = { ...kept, stream_id: stream.stream_id };
    const why = gone === null ? "" : ` (stream ${gone} no longer existed there: deleted behind the Worker's back, so recreated)`;
    changes.push({
      change: "created",
      detail: `stream ${stream.stream_id} created at ${managed.transmitter.issuer}, pushing to ${desired.delivery.endpoint_url}${why}`,
    });
  } else {
    kept = { ...kept, stream_id: stream.stream_id };
    const drift = driftOf(stream, desired);
    if (drift.length > 0) {
      const updated = await updateStream(api, endpoints, stream.stream_id, desired);
      if (!updated.ok) return failing(updated.error);
      changes.push({
        change: "repaired",
        detail: `stream ${stream.stream_id}: ${drift.join("; ")}; set back to push to ${desired.delivery.endpoint_url}`,
      });
    }
  }
  const streamId = stream.stream_id;

  const status = await readStatus(api, endpoints, streamId);
  if (!status.ok) return failing(status.error);
  kept = { ...kept, status: status.value.status, status_read_at: now };
  if (status.value.status !== "enabled") {
    const was = `${status.value.status}${status.value.reason ? ` (reason: ${status.value.reason.slice(0, 100)})` : ""}`;
    const enabled = await enableStream(api, endpoints, streamId, "re-enabled by access-revoker: it never pauses or disables its stream");
    if (!enabled.ok) return failing(`the stream is ${was} and could not be re-enabled: ${enabled.error}`);
    kept = { ...kept, status: "enabled" };
    changes.push({ change: "repaired", detail: `stream ${streamId} was ${was}, which the Worker did not ask for: re-enabled` });
  }

  const challenge = base64url(context.random(16));
  const verification = await requestVerification(api, endpoints, streamId, challenge);
  if (!verification.ok) return failing(verification.error);
  kept = { ...kept, checked_at: now, verification: { state: challenge, requested_at: now } };
  return { verdict: "ok", changes, state: kept };
}
