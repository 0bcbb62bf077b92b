// The shape every identity source shares: verify the raw delivery, then parse the verified JSON into
// identity events (people to deprovision) and identities it observed (subject id ↔ email, for the
// directory). Contract: verify never parses the body and never throws; parse is pure.
import * as z from "zod/mini";
import { EmailSchema } from "../validation";
import { matchesAnySecret } from "./hmac";

/** One person to deprovision, as a source understood it: by email, by the source's subject id, or both. */
export const IdentityEventSchema = z
  .object({
    event_id: z.string().check(z.minLength(1), z.maxLength(300)),
    event_type: z.string().check(z.minLength(1), z.maxLength(200)),
    email: z.optional(EmailSchema),
    subject_id: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    user_uid: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    reason: z.optional(z.string().check(z.maxLength(500))),
  })
  .check(z.refine((event) => event.email !== undefined || event.subject_id !== undefined, "needs an email or a subject id"));
export type IdentityEvent = z.infer<typeof IdentityEventSchema>;

/** A subject id and email seen together in any event: what feeds the identity directory. */
export type ObservedIdentity = { subject_id: string; email: string };

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

export type ParseContext = { deliveryId: string | null; now: number; toleranceSeconds: number };

export type ParseResult =
  | { kind: "parsed"; events: IdentityEvent[]; observed: ObservedIdentity[]; ignored: string[] }
  | { kind: "invalid"; message: string };

/** What a source answers without a body to parse (Okta's verification GET, Google's sync message). */
export type Handshake = { status: 200; body: Record<string, unknown> };

export type IdentitySource = {
  name: string;
  /** "signed": an HMAC over the body; "static_secret": a shared token only (lower assurance). */
  assurance: "signed" | "static_secret";
  verify(delivery: Delivery, context: VerifyContext): Promise<Verification>;
  /** Answers a verified delivery that carries no event, or null to go on parsing. */
  handshake?(delivery: Delivery): Handshake | null;
  parse(json: unknown, context: ParseContext): ParseResult;
};

export function parsed(events: IdentityEvent[], observed: ObservedIdentity[] = [], ignored: string[] = []): ParseResult {
  return { kind: "parsed", events, observed, ignored };
}

/** Keeps the events that satisfy the schema; the rest are reported, never thrown (one bad element never fails a batch). */
export function validEvents(candidates: unknown[], ignored: string[]): IdentityEvent[] {
  const events: IdentityEvent[] = [];
  for (const candidate of candidates) {
    const event = IdentityEventSchema.safeParse(candidate);
    if (event.success) events.push(event.data);
    else ignored.push(`an event was not usable: ${event.error.issues[0]?.message ?? "invalid"}`);
  }
  return events;
}

/** Emails that parse; used to feed the directory from create/update events. */
export function observedIdentity(subjectId: unknown, email: unknown): ObservedIdentity[] {
  if (typeof subjectId !== "string" || subjectId.length === 0 || subjectId.length > 200) return [];
  const parsedEmail = EmailSchema.safeParse(email);
  return parsedEmail.success ? [{ subject_id: subjectId, email: parsedEmail.data }] : [];
}

/** For sources that prove a delivery only by a shared token in a header (Okta, Google): constant time. */
export async function verifyStaticSecretHeader(header: string, delivery: Delivery, context: VerifyContext): Promise<Verification> {
  const presented = delivery.headers.get(header);
  if (presented === null) return { ok: false, reason: "missing_header", header };
  return (await matchesAnySecret(presented, context.secrets)) ? { ok: true, deliveryId: null } : { ok: false, reason: "signature_mismatch" };
}
