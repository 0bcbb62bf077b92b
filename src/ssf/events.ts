// Turns a verified SET's events into what the receiver acts on and records.
// - Which events deprovision: the transmitter's `events`; CAEP credential-change only when its change type
//   means a lost credential (domain/ssf/credential-change.ts).
// - Who: the SET's top-level `sub_id` (SSF 1.0 §3.1) and the event's own `subject` member (which CAEP/RISC
//   events MAY still use, §3.1.1, and the only one Okta's transmitter sends). Both MUST name the event's one
//   Subject Principal, so their identifiers are merged: an email from one and an id from the other are one
//   person, and the pair is observed for the directory, under the SET's jti as event id (`<jti>#<event type>`
//   when the SET has several events) so that a replayed SET teaches it nothing more, as a replayed webhook
//   event does not. When they contradict each other (two different
//   emails, or two different ids and no email), the SET names two people: each gets a revocation whose
//   reason says so, and nothing is observed. Refusing such a SET instead would be final to the transmitter
//   and lose the person it meant; revoking one more only ends sessions, and leaves a record of each.
// - One revocation per person per delivery: events naming the same person (the same email, else the same
//   id) become one identity event whose reason names each event type. Its event_id is the SET's jti when the
//   SET names one person (the caller dedupes on it), else `${jti}#${n}` for the n-th (RFC 8417 §2.2 allows
//   several events in a SET; SSF 1.0 §4.2.1 asks for one).
// - The address is passed on as the subject wrote it, and read by validEvents as every source's is: kept beside
//   its lower-cased form when that differs; when it is unusable, kept for the record while a subject id
//   resolves the person, or recorded as invalid_email when nothing else names them.
// - The event's time (the record's event_at): CAEP's `event_timestamp` (seconds, CAEP 1.0 §2; Okta's
//   transmitter sends milliseconds, told apart by size) of the person's first event that carries one, else
//   the SET's `iat` (when the transmitter issued it).
// - SSF stream events (stream-events.ts) are returned apart for the caller to record.
// - Nothing is dropped silently: other event types go to `ignored`; deprovisioning events that cannot become
//   an identity event (no usable subject, an id too long) go to `unresolved` with the reason.
// Contract: pure; never throws.

import { type IdentityEvent, type ObservedIdentity, payloadInstant, validEvents } from "../domain/identity-events";
import { credentialChangeNotLostControl } from "../domain/ssf/credential-change";
import { CAEP_CREDENTIAL_CHANGE, describeEventType, SSF_STREAM_UPDATED, SSF_VERIFICATION } from "../domain/ssf/event-types";
import type { SsfTransmitter } from "../domain/ssf/transmitters";
import { readStreamEvent, type StreamEvent } from "./stream-events";
import { mergeResolutions, resolveSubject } from "./subjects";
import type { VerifiedSet } from "./verify-set";

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
const TWO_PEOPLE = "the SET's sub_id and its event's subject do not name the same person: each is revoked";

/** Who one event names, as far as the SET says. */
type Named = { email: string | null; address: string | null; subjectId: string | null };
/** One person the SET's deprovisioning events name, with what each of them said. */
type Person = Named & { eventTypes: string[]; said: string[]; twoPeople: boolean; eventAt: number | undefined };

export function extractSetEvents(set: VerifiedSet, context: ExtractContext): SetEvents {
  const out: SetEvents = { events: [], observed: [], stream: [], ignored: [], unresolved: [] };
  const entries = Object.entries(set.events);
  const deprovisioning = new Set(context.transmitter.events);
  const people: Person[] = [];
  const unresolved: Omit<UnresolvedEvent, "event_id">[] = [];
  for (const [eventType, payload] of entries) {
    if (eventType === SSF_VERIFICATION || eventType === SSF_STREAM_UPDATED) {
      out.stream.push(readStreamEvent(eventType, entries.length === 1 ? set.jti : `${set.jti}#${eventType}`, payload, set.sub_id));
      continue;
    }
    const named = namedBy(set.sub_id, payload.subject, context.transmitter.issuer);
    const [only] = named.ok && named.people.length === 1 ? named.people : [];
    if (only?.email && only.subjectId) {
      const eventId = entries.length === 1 ? set.jti : `${set.jti}#${eventType}`;
      out.observed.push({ event_id: eventId, subject_id: only.subjectId, email: only.email });
    }
    const notDeprovisioning = whyNotDeprovisioning(eventType, payload, deprovisioning);
    if (notDeprovisioning !== null) {
      out.ignored.push(`${describeEventType(eventType)} does not deprovision (jti ${set.jti}): ${notDeprovisioning}`);
      continue;
    }
    if (!named.ok) {
      unresolved.push({ event_type: eventType, reason: named.reason });
      continue;
    }
    const said = saidBy(payload);
    const eventAt = eventTimestamp(payload.event_timestamp);
    for (const person of named.people) addPerson(people, person, eventType, said, named.people.length > 1, eventAt);
  }

  const count = people.length + unresolved.length;
  const eventId = (index: number) => (count === 1 ? set.jti : `${set.jti}#${index + 1}`);
  for (const [index, person] of people.entries()) {
    // The same bounds and the same reading of the address as every source's events (domain/identity-events.ts).
    const problems: string[] = [];
    const candidate = {
      event_id: eventId(index),
      event_type: person.eventTypes[0],
      email: person.address ?? undefined,
      subject_id: person.subjectId ?? undefined,
      reason: reasonFor(person, context.transmitterName),
      event_at: person.eventAt ?? payloadInstant(set.iat, "s"),
    };
    const [event] = validEvents([candidate], problems);
    if (event) {
      out.events.push(event);
      out.ignored.push(...problems);
    } else
      out.unresolved.push({
        event_id: candidate.event_id,
        event_type: person.eventTypes[0] ?? "",
        reason: `not a usable identity event: ${problems[0] ?? "invalid"}`,
      });
  }
  for (const [index, event] of unresolved.entries()) out.unresolved.push({ event_id: eventId(people.length + index), ...event });
  return out;
}

/** Seconds past this are milliseconds (as seconds they would be past the year 5000): Okta sends ms. */
const SECONDS_LIMIT = 1e11;

/** CAEP's event_timestamp as epoch ms: NumericDate seconds, or the milliseconds Okta's transmitter sends. */
function eventTimestamp(value: unknown): number | undefined {
  return typeof value === "number" && value > SECONDS_LIMIT ? payloadInstant(value, "ms") : payloadInstant(value, "s");
}

/** null when the event deprovisions; otherwise why not. */
function whyNotDeprovisioning(eventType: string, payload: Record<string, unknown>, deprovisioning: Set<string>): string | null {
  if (!deprovisioning.has(eventType)) return "not among the transmitter's deprovisioning events";
  return eventType === CAEP_CREDENTIAL_CHANGE ? credentialChangeNotLostControl(payload) : null;
}

/** The people the SET's sub_id and the event's subject name: one, or two when they contradict each other. */
function namedBy(subId: unknown, subject: unknown, issuer: string): { ok: true; people: Named[] } | { ok: false; reason: string } {
  const members = [subId, subject].filter((member) => member !== undefined);
  if (members.length === 0) return { ok: false, reason: "the SET has no sub_id and the event no subject" };
  const resolutions = members.map((member) => resolveSubject(member, issuer));
  const [first, second] = resolutions;
  if (first?.ok && second?.ok && !samePerson(first, second)) return { ok: true, people: [first, second] };
  const merged = mergeResolutions(resolutions);
  return merged.ok ? { ok: true, people: [merged] } : merged;
}

/** The email names the person when both have one; otherwise two ids must differ to name two people. */
function samePerson(a: Named, b: Named): boolean {
  if (a.email !== null && b.email !== null) return a.email === b.email;
  return a.subjectId === null || b.subjectId === null || a.subjectId === b.subjectId;
}

function addPerson(people: Person[], named: Named, eventType: string, said: string | null, twoPeople: boolean, eventAt: number | undefined): void {
  const known = people.find((person) => sameEntry(person, named));
  const person: Person = known ?? { email: null, address: null, subjectId: null, eventTypes: [], said: [], twoPeople: false, eventAt: undefined };
  if (!known) people.push(person);
  // The address goes with the usable email it spells; an unusable one stands only while there is none.
  if (person.email === null && named.email !== null) person.address = named.address;
  else person.address ??= named.address;
  person.email ??= named.email;
  person.subjectId ??= named.subjectId;
  if (!person.eventTypes.includes(eventType)) person.eventTypes.push(eventType);
  if (said !== null && !person.said.includes(said)) person.said.push(said);
  person.twoPeople ||= twoPeople;
  person.eventAt ??= eventAt;
}

/** One person of the SET: the same email, else the same id, else (naming neither) the same unusable address. */
function sameEntry(a: Named, b: Named): boolean {
  if (a.email !== null && b.email !== null) return a.email === b.email;
  if (a.subjectId !== null || b.subjectId !== null) return a.subjectId === b.subjectId;
  return a.address === b.address;
}

/** "CAEP session-revoked from okta", plus the transmitter's own words: RISC `reason`, CAEP `reason_admin`. */
function reasonFor(person: Person, transmitterName: string): string {
  const base = `${person.eventTypes.map(describeEventType).join(", ")} from ${transmitterName}${person.twoPeople ? ` (${TWO_PEOPLE})` : ""}`;
  return (person.said.length > 0 ? `${base}: ${person.said.join("; ")}` : base).slice(0, MAX_REASON);
}

function saidBy(payload: Record<string, unknown>): string | null {
  return typeof payload.reason === "string" ? payload.reason : localized(payload.reason_admin);
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
