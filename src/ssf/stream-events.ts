// Reads an SSF stream event of a verified SET: verification (SSF 1.0 §8.1.4.1, with its `state`, which only
// the caller can compare with the one it asked for) and stream-updated (§8.1.5, with `status` and `reason`).
// Their sub_id is the stream id when it is opaque.
// A stream-updated `status` is read in the forms real transmitters send:
// - a string, "enabled", "paused" or "disabled" (§8.1.5, the spec's own example);
// - an object whose `status` member is that string: Keycloak's transmitter serialises its StreamStatus
//   ({"stream_id", "status", "reason"}; org.keycloak.ssf.stream.StreamStatus) into the event, with the reason
//   also beside it; its `stream_id` stands in for a sub_id that names none.
// Anything else cannot be read: no status at all (SGNL's secevent-js `Events.streamUpdated()` sends only an
// `effective_time`), an unknown word, another type. Such an event is `stream_unreadable` with what was
// wrong: the caller records it (the stream may be paused: /v1/stats and /healthz say so) and answers the SET
// 400 invalid_request (RFC 8935 §2.4), since the status it announces is REQUIRED and unreadable.
// Contract: pure; never throws.
import { SSF_VERIFICATION, STREAM_STATUSES, type StreamStatus } from "../domain/ssf/event-types";

export type StreamEvent =
  | { kind: "verification"; event_id: string; stream_id: string | null; state: string | null }
  | { kind: "stream_updated"; event_id: string; stream_id: string | null; status: StreamStatus; reason: string | null }
  | { kind: "stream_unreadable"; event_id: string; stream_id: string | null; detail: string };

const MAX_REASON = 500;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** `eventType` is SSF verification or stream-updated. */
export function readStreamEvent(eventType: string, eventId: string, payload: Json, subId: unknown): StreamEvent {
  if (eventType === SSF_VERIFICATION) {
    return { kind: "verification", event_id: eventId, stream_id: streamIdOf(subId), state: typeof payload.state === "string" ? payload.state : null };
  }
  const keycloak = isObject(payload.status) ? payload.status : null;
  const stream_id = streamIdOf(subId) ?? boundedId(keycloak?.stream_id);
  const said = keycloak === null ? payload.status : keycloak.status;
  const status = typeof said === "string" ? STREAM_STATUSES.find((candidate) => candidate === said.toLowerCase()) : undefined;
  if (status === undefined) return { kind: "stream_unreadable", event_id: eventId, stream_id, detail: unreadable(payload.status, said) };
  const reason = [payload.reason, keycloak?.reason].find((text): text is string => typeof text === "string");
  return { kind: "stream_updated", event_id: eventId, stream_id, status, reason: reason?.slice(0, MAX_REASON) ?? null };
}

function unreadable(status: unknown, said: unknown): string {
  const prefix = "the stream-updated event's status";
  if (status === undefined) return `${prefix} is missing (SSF 1.0 §8.1.5 requires it)`;
  if (typeof said === "string") return `${prefix} ${JSON.stringify(said.slice(0, 40))} is not enabled, paused or disabled`;
  return isObject(status) ? `${prefix} is an object without a status string` : `${prefix} is a ${Array.isArray(status) ? "list" : typeof status}`;
}

/** SSF 1.0 §8.1.4.1 and §8.1.5: a stream event's sub_id is `{format: "opaque", id: <stream id>}`. */
function streamIdOf(subId: unknown): string | null {
  return isObject(subId) && subId.format === "opaque" ? boundedId(subId.id) : null;
}

function boundedId(id: unknown): string | null {
  return typeof id === "string" && id.length > 0 ? id.slice(0, 200) : null;
}
