// Turns a verified SET's events into what the receiver acts on and records.
// - Deprovisioning events (the transmitter's `events`) → identity events. event_id is the SET's jti (RFC 8417
//   §2.2: unique per SET; the caller dedupes on it), or `${jti}#${event type}` when the SET carries several
//   events (RFC 8417 §2.2 allows it; SSF 1.0 §4.2.1 only for alternative URIs of one event).
// - Who: the SET's top-level `sub_id` (SSF 1.0 §3.1) and the event's own `subject` member (the form CAEP/RISC
//   events MAY still use, §3.1.1, and the only one Okta's transmitter sends). Both name the same principal, so
//   their identifiers are merged: sub_id's win a tie; an email and an id together are also an observed identity.
// - SSF stream events are returned apart for the caller to record: verification (§8.1.4.1, with its `state`,
//   which only the caller can compare with the one it asked for) and stream-updated (§8.1.5, with `status`
//   and `reason`). Their sub_id is the stream id when it is opaque.
// - Nothing is dropped silently: other event types go to `ignored`; deprovisioning events that cannot become
//   an identity event (no usable subject, an id too long) go to `unresolved` with the reason.
// Contract: pure; never throws.

import { describeEventType, SSF_STREAM_UPDATED, SSF_VERIFICATION } from "../domain/ssf/event-types";
import type { SsfTransmitter } from "../domain/ssf/transmitters";
import { type IdentityEvent, type ObservedIdentity, validEvents } from "../sources/source";
import { mergeResolutions, resolveSubject, type SubjectResolution } from "./subjects";
import type { VerifiedSet } from "./verify-set";

const STREAM_STATUSES = ["enabled", "paused", "disabled"] as const;

type StreamEvent =
  | { kind: "verification"; event_id: string; stream_id: string | null; state: string | null }
  | { kind: "stream_updated"; event_id: string; stream_id: string | null; status: (typeof STREAM_STATUSES)[number]; reason: string | null };

type UnresolvedEvent = { event_id: string; event_type: string; reason: string };

export type SetEvents = {
  events: IdentityEvent[];
  observed: ObservedIdentity[];
  stream: StreamEvent[];
  ignored: string[];
  unresolved: UnresolvedEvent[];
};

export type ExtractContext = { transmitterName: string; transmitter: Pick<SsfTransmitter, "issuer" | "events"> };

const MAX_REASON = 500;

export function extractSetEvents(set: VerifiedSet, context: ExtractContext): SetEvents {
  const out: SetEvents = { events: [], observed: [], stream: [], ignored: [], unresolved: [] };
  const entries = Object.entries(set.events);
  const deprovisioning = new Set(context.transmitter.events);
  for (const [eventType, payload] of entries) {
    const eventId = entries.length === 1 ? set.jti : `${set.jti}#${eventType}`;
    if (eventType === SSF_VERIFICATION || eventType === SSF_STREAM_UPDATED) {
      recordStreamEvent(out, eventType, eventId, payload, set.sub_id);
      continue;
    }
    const subject = subjectOf(set, payload, context.transmitter.issuer);
    if (subject.ok && subject.email !== null && subject.subjectId !== null) {
      out.observed.push({ subject_id: subject.subjectId, email: subject.email });
    }
    if (!deprovisioning.has(eventType)) {
      out.ignored.push(`${describeEventType(eventType)} does not deprovision (jti ${set.jti})`);
      continue;
    }
    if (!subject.ok) {
      out.unresolved.push({ event_id: eventId, event_type: eventType, reason: subject.reason });
      continue;
    }
    // The same bounds as every webhook source's events (sources/source.ts); the email is already validated.
    const problems: string[] = [];
    const [event] = validEvents(
      [
        {
          event_id: eventId,
          event_type: eventType,
          email: subject.email ?? undefined,
          subject_id: subject.subjectId ?? undefined,
          reason: reasonFor(eventType, payload, context.transmitterName),
        },
      ],
      problems,
    );
    if (event) out.events.push(event);
    else out.unresolved.push({ event_id: eventId, event_type: eventType, reason: `not a usable identity event: ${problems[0] ?? "invalid"}` });
  }
  return out;
}

function subjectOf(set: VerifiedSet, payload: Record<string, unknown>, issuer: string): SubjectResolution {
  const members = [set.sub_id, payload.subject].filter((member) => member !== undefined);
  if (members.length === 0) return { ok: false, reason: "the SET has no sub_id and the event no subject" };
  return mergeResolutions(members.map((member) => resolveSubject(member, issuer)));
}

function recordStreamEvent(out: SetEvents, eventType: string, eventId: string, payload: Record<string, unknown>, subId: unknown): void {
  const streamId = streamIdOf(subId);
  if (eventType === SSF_VERIFICATION) {
    out.stream.push({
      kind: "verification",
      event_id: eventId,
      stream_id: streamId,
      state: typeof payload.state === "string" ? payload.state : null,
    });
    return;
  }
  const status = STREAM_STATUSES.find((candidate) => candidate === payload.status);
  if (status === undefined) {
    out.ignored.push(`SSF stream-updated without a status of enabled, paused or disabled (event ${eventId})`);
    return;
  }
  const reason = typeof payload.reason === "string" ? payload.reason.slice(0, MAX_REASON) : null;
  out.stream.push({ kind: "stream_updated", event_id: eventId, stream_id: streamId, status, reason });
}

/** SSF 1.0 §8.1.4.1 and §8.1.5: a stream event's sub_id is `{format: "opaque", id: <stream id>}`. */
function streamIdOf(subId: unknown): string | null {
  if (typeof subId !== "object" || subId === null) return null;
  const { format, id } = subId as Record<string, unknown>;
  return format === "opaque" && typeof id === "string" && id.length > 0 ? id.slice(0, 200) : null;
}

/** "CAEP session-revoked from okta", plus the transmitter's own words: RISC `reason`, CAEP `reason_admin`. */
function reasonFor(eventType: string, payload: Record<string, unknown>, transmitterName: string): string {
  const base = `${describeEventType(eventType)} from ${transmitterName}`;
  const said = typeof payload.reason === "string" ? payload.reason : localized(payload.reason_admin);
  return (said ? `${base}: ${said}` : base).slice(0, MAX_REASON);
}

/** CAEP 1.0 §2: reason_admin maps language tags to strings; English first, else any. */
function localized(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const texts = value as Record<string, unknown>;
  const english = texts.en;
  if (typeof english === "string") return english;
  const first = Object.values(texts).find((text) => typeof text === "string");
  return typeof first === "string" ? first : null;
}
