// The shape every identity source shares: verify the raw delivery, then parse the verified JSON into
// identity events (people to deprovision) and identities it observed (subject id ↔ email, for the
// directory). Contract: verify never parses the body and never throws; parse is pure.
import * as z from "zod/mini";
import { matchesAnySecret } from "../crypto/compare";
import type { GroupRemovalPolicy } from "../domain/groups";
import { EmailSchema } from "../domain/validation";

/**
 * At most this many signatures are taken from one header: providers list one, or two during a key
 * rotation. A header listing more is refused before any MAC is computed, so a forged delivery cannot
 * make verification cost grow with its size (8,000 signatures over 64 KiB took ~23× one).
 */
export const MAX_SIGNATURES = 8;

const EventBaseSchema = z.object({
  // A number only from a source whose ids are the sender's own JSON (hmac): 12345 and "12345" are two events.
  event_id: z.union([z.string().check(z.minLength(1), z.maxLength(300)), z.int()]),
  event_type: z.string().check(z.minLength(1), z.maxLength(200)),
  email: z.optional(z.unknown()),
  subject_id: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  user_uid: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  reason: z.optional(z.string().check(z.maxLength(500))),
});

/**
 * Why an event that names a person is recorded without revoking: `invalid_email` (the address cannot be
 * sent to Cloudflare and there is no subject id to resolve instead), `refused` (a signed event the
 * source's rules refuse, e.g. a Keycloak event older than its maximum age). Either way an operator sees it.
 */
type Refusal = { status: "invalid_email" | "refused"; detail: string };

/** One person to deprovision, as a source understood it: by email, by the source's subject id, or both. */
export type IdentityEvent = Omit<z.infer<typeof EventBaseSchema>, "email"> & {
  /** The address as the ledger keys it and Cloudflare receives it: trimmed, lower case (domain/validation.ts). */
  email?: string;
  /** The address as the event spelled it (trimmed), when that is not `email`; kept on the record beside it. */
  email_as_received?: string;
  /** The address as sent, when it was unusable (kept for the record, never sent to Cloudflare). */
  unusable_email?: string;
  refusal?: Refusal;
};

/**
 * A subject id and email seen together in an event: what feeds the identity directory, once per event id
 * (the ledger de-duplicates it like a revocation, so a replayed event re-teaches nothing). Every webhook
 * source names the event (observedIdentity); without one, an observation is learned at every delivery.
 */
export type ObservedIdentity = { event_id?: string | number; subject_id: string; email: string };

export type Delivery = {
  method: string;
  headers: Headers;
  body: Uint8Array;
};

/** Why a delivery was refused; precise for the audit log, never sent to the caller. */
export type VerificationFailure =
  | { reason: "missing_header"; header: string }
  | { reason: "malformed_header"; header: string }
  | { reason: "stale_timestamp"; skew_seconds: number }
  | { reason: "future_timestamp"; skew_seconds: number }
  | { reason: "signature_mismatch" };

export type Verification = { ok: true; deliveryId: string | null } | ({ ok: false } & VerificationFailure);

export type VerifyContext = { secrets: string[]; now: number; toleranceSeconds: number };

export type ParseContext = {
  deliveryId: string | null;
  now: number;
  toleranceSeconds: number;
  /** How old a source's own event time may be when it has no signed timestamp header (Keycloak). */
  maxEventAgeSeconds: number;
  /** Which group removals revoke (REVOKE_ON_GROUP_REMOVAL). */
  groupRemoval: GroupRemovalPolicy;
};

export type ParseResult =
  | { kind: "parsed"; events: IdentityEvent[]; observed: ObservedIdentity[]; ignored: string[] }
  | { kind: "invalid"; message: string };

/** What a source answers without a body to parse (Okta's verification GET, Google's sync message). */
type Handshake = { status: 200; body: Record<string, unknown> };

export type IdentitySource = {
  name: string;
  /** "signed": an HMAC over the body; "static_secret": a shared token only (lower assurance). */
  assurance: "signed" | "static_secret";
  /** The status of an accepted delivery, when the provider documents one other than 202 (Okta: 200). */
  acceptedStatus?: 200 | 202;
  verify(delivery: Delivery, context: VerifyContext): Promise<Verification>;
  /** Answers a verified delivery that carries no event, or null to go on parsing. */
  handshake?(delivery: Delivery): Handshake | null;
  parse(json: unknown, context: ParseContext): ParseResult;
};

export function parsed(events: IdentityEvent[], observed: ObservedIdentity[] = [], ignored: string[] = []): ParseResult {
  return { kind: "parsed", events, observed, ignored };
}

/**
 * Keeps the events that name a person; the rest are reported, never thrown (one bad element never fails a
 * batch). An email that does not validate is dropped when a subject id can resolve the person through the
 * directory instead; otherwise the event is kept as an `invalid_email` refusal, so it is recorded.
 */
export function validEvents(candidates: unknown[], ignored: string[]): IdentityEvent[] {
  const events: IdentityEvent[] = [];
  for (const candidate of candidates) {
    const base = EventBaseSchema.safeParse(candidate);
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

/** For sources that prove a delivery only by a shared token in a header (Okta, Google): constant time. */
export async function verifyStaticSecretHeader(header: string, delivery: Delivery, context: VerifyContext): Promise<Verification> {
  const presented = delivery.headers.get(header);
  if (presented === null) return { ok: false, reason: "missing_header", header };
  return (await matchesAnySecret(presented, context.secrets)) ? { ok: true, deliveryId: null } : { ok: false, reason: "signature_mismatch" };
}
