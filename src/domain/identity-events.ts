// What every identity source tells the Worker, whatever it speaks (a webhook, a Shared Signals SET, and
// next Google channels, Microsoft Graph, Okta Universal Logout): identity events, each one person to
// deprovision, and identities it saw together (subject id ↔ email) for the directory. validEvents holds
// every source's events to the same bounds and reads their addresses the same way; revocation-requests.ts
// turns both into what the ledger is asked.
// Contract: pure; never throws (an unusable element is reported or recorded, never a failed batch).
import * as z from "zod/mini";
import { RefusalSchema } from "./revocation";
import { EmailSchema } from "./validation";

/** The bounds every source's events share; the email is read after (validEvents). */
const EventCandidateSchema = z.object({
  // A number only from a source whose ids are the sender's own JSON (hmac): 12345 and "12345" are two events.
  event_id: z.union([z.string().check(z.minLength(1), z.maxLength(300)), z.int()]),
  event_type: z.string().check(z.minLength(1), z.maxLength(200)),
  email: z.optional(z.unknown()),
  subject_id: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  user_uid: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  reason: z.optional(z.string().check(z.maxLength(500))),
  /** When the identity provider says the event happened (epoch ms, payloadInstant), where its payload says so. */
  event_at: z.optional(z.number()),
});

/** One person to deprovision, as a source understood it: by email, by the source's subject id, or both. */
const IdentityEventSchema = z.extend(z.omit(EventCandidateSchema, { email: true }), {
  /** The address as the ledger keys it and Cloudflare receives it: trimmed, lower case (validation.ts). */
  email: z.optional(z.string()),
  /** The address as the event spelled it (trimmed), when that is not `email`; kept on the record beside it. */
  email_as_received: z.optional(z.string()),
  /** The address as sent, when it was unusable (kept for the record, never sent to Cloudflare). */
  unusable_email: z.optional(z.string()),
  /**
   * Why an event that names a person is recorded without revoking (revocation.ts): `invalid_email` (the address
   * cannot be sent to Cloudflare and there is no subject id to resolve instead), `refused` (a signed event the
   * source's rules refuse, e.g. a Keycloak event older than its maximum age), `unresolved` (a subject no
   * directory can name). Either way an operator sees it.
   */
  refusal: z.optional(RefusalSchema),
});
export type IdentityEvent = z.infer<typeof IdentityEventSchema>;

/**
 * A subject id and email seen together in an event: what feeds the identity directory, once per event id
 * (the ledger de-duplicates it like a revocation, so a replayed event re-teaches nothing). Every source names
 * the event (observedIdentity); without one, an observation is learned at every delivery.
 */
const ObservedIdentitySchema = z.object({ event_id: z.optional(z.union([z.string(), z.number()])), subject_id: z.string(), email: z.string() });
export type ObservedIdentity = z.infer<typeof ObservedIdentitySchema>;

/** An observed identity as the ledger learns it: under the source whose subject ids it names. */
const ObservationSchema = z.extend(ObservedIdentitySchema, { source: z.string() });
export type Observation = z.infer<typeof ObservationSchema>;

/** Instants before this or after this are no event time a provider sends (a unit mistaken, a placeholder). */
const EARLIEST_EVENT_AT = Date.UTC(2000, 0, 1);
const LATEST_EVENT_AT = Date.UTC(2200, 0, 1);

/**
 * The identity provider's own time of an event, from its payload: ISO 8601 text, or a number in the unit the
 * source documents (Keycloak and Clerk send ms, a SET's iat is seconds). Undefined when absent or absurd: the
 * report then shows none, and nothing else depends on it.
 */
export function payloadInstant(value: unknown, unit: "ms" | "s" = "ms"): number | undefined {
  const ms = typeof value === "number" ? value * (unit === "s" ? 1000 : 1) : typeof value === "string" ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) && ms >= EARLIEST_EVENT_AT && ms <= LATEST_EVENT_AT ? Math.round(ms) : undefined;
}

/**
 * Keeps the events that name a person; the rest are reported, never thrown (one bad element never fails a
 * batch). An email that does not validate is dropped when a subject id can resolve the person through the
 * directory instead; otherwise the event is kept as an `invalid_email` refusal, so it is recorded.
 */
export function validEvents(candidates: unknown[], ignored: string[]): IdentityEvent[] {
  const events: IdentityEvent[] = [];
  for (const candidate of candidates) {
    const base = EventCandidateSchema.safeParse(candidate);
    if (!base.success) {
      ignored.push(`an event was not usable: ${base.error.issues[0]?.message ?? "invalid"}`);
      continue;
    }
    const { email: rawEmail, ...event } = base.data;
    if (rawEmail === undefined || rawEmail === null || rawEmail === "") {
      if (event.subject_id === undefined) ignored.push(`${event.event_type} ${event.event_id} names no person (no email, no subject id)`);
      else events.push(event);
      continue;
    }
    const email = EmailSchema.safeParse(rawEmail);
    if (email.success) {
      // The spelling received only when normalising changed it; the ledger records `email` as received otherwise.
      const received = String(rawEmail).trim();
      events.push(received === email.data ? { ...event, email: email.data } : { ...event, email: email.data, email_as_received: received });
      continue;
    }
    const shown = String(rawEmail).trim().slice(0, 254);
    const detail = `the email ${JSON.stringify(shown)} cannot be used: ${email.error.issues[0]?.message ?? "invalid"}`;
    if (event.subject_id !== undefined) {
      ignored.push(`${detail}; resolving subject ${event.subject_id} through the directory instead`);
      events.push({ ...event, unusable_email: shown });
    } else {
      events.push({ ...event, unusable_email: shown, refusal: { status: "invalid_email", detail } });
    }
  }
  return events;
}

/** What an event (by its id) says about a subject: its email, when that parses; feeds the directory. */
export function observedIdentity(eventId: string | number, subjectId: unknown, email: unknown): ObservedIdentity[] {
  if (typeof subjectId !== "string" || subjectId.length === 0 || subjectId.length > 200) return [];
  const parsedEmail = EmailSchema.safeParse(email);
  return parsedEmail.success ? [{ event_id: eventId, subject_id: subjectId, email: parsedEmail.data }] : [];
}
