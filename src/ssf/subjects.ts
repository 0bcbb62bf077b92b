// Reads who a Shared Signals event is about: a Subject Identifier (RFC 9493 §3, by format name) or an SSF
// complex subject.
// - email: the email, validated and lower-cased by the project's EmailSchema; the address as written (trimmed)
//   is kept beside it, and alone when it does not validate, so the record shows what was sent (an unusable
//   address is recorded as a webhook's is: domain/identity-events.ts).
// - iss_sub: subject id `sub` when `iss` is the transmitter's own issuer (the usual case, and the
//   form an operator can import into the per-source directory), otherwise `${iss}|${sub}` so that two
//   issuers' subjects can never collide. `sub` is never guessed to be an email, even when it looks like one.
// - opaque: subject id `id`. (A CAEP session-revoked SET may carry a session id here; the directory
//   then has no email for it and the ledger records the revocation as unresolved.)
// - aliases: the identifiers inside, read as above; one email and one id together make an observation.
// - complex (SSF 1.0 §3.3): its `user` member, which must be one of the above. Drafts before SSF 1.0 (and
//   Okta's transmitter, developer.okta.com/docs/reference/ssf-transmitter-sets) send complex subjects without
//   `"format": "complex"`: an object without a format but with a `user` member is read the same way.
// - Google's RISC transmitter names the format `subject_type` (RISC 1.0 §3.1) and spells it "iss-sub", as the
//   drafts of RFC 9493 did (developers.google.com/identity/protocols/risc): read as `format` and "iss_sub".
// Anything else (phone_number, account, did, uri, jwt_id, a proprietary format, a complex subject without a
// user) is unresolved, with the reason. Contract: pure; never throws.
import { EmailSchema } from "../domain/validation";

/**
 * `email`: the usable address, lower-cased; `address`: the address as the subject wrote it (trimmed), usable or
 * not, or null when it names none; `subjectId`: the id the directory resolves.
 */
export type SubjectResolution = { ok: true; email: string | null; address: string | null; subjectId: string | null } | { ok: false; reason: string };

const MAX_SUBJECT_ID = 200;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const nonEmptyString = (value: unknown): value is string => typeof value === "string" && value.length > 0;

function formatOf(subject: Json): unknown {
  const format = subject.format ?? subject.subject_type;
  return format === "iss-sub" ? "iss_sub" : format;
}

/** `issuer` is the transmitter's configured issuer. */
export function resolveSubject(subject: unknown, issuer: string): SubjectResolution {
  if (!isObject(subject)) return { ok: false, reason: "the subject is not an object" };
  const format = formatOf(subject);
  if (format === "complex" || (format === undefined && "user" in subject)) {
    if (!("user" in subject)) return { ok: false, reason: "the complex subject has no user member" };
    const user = resolveIdentifier(subject.user, issuer);
    return user.ok ? user : { ok: false, reason: `the complex subject's user: ${user.reason}` };
  }
  return resolveIdentifier(subject, issuer);
}

function resolveIdentifier(identifier: unknown, issuer: string, inAliases = false): SubjectResolution {
  if (!isObject(identifier)) return { ok: false, reason: "the subject identifier is not an object" };
  const format = formatOf(identifier);
  switch (format) {
    case "email": {
      const address = typeof identifier.email === "string" ? identifier.email.trim() : "";
      if (address === "") return { ok: false, reason: "the email subject has no email" };
      const email = EmailSchema.safeParse(address);
      return { ok: true, email: email.success ? email.data : null, address, subjectId: null };
    }
    case "iss_sub": {
      const { iss, sub } = identifier;
      if (!nonEmptyString(iss) || !nonEmptyString(sub)) return { ok: false, reason: "the iss_sub subject needs iss and sub strings" };
      return subjectId(iss === issuer ? sub : `${iss}|${sub}`);
    }
    case "opaque":
      return nonEmptyString(identifier.id) ? subjectId(identifier.id) : { ok: false, reason: "the opaque subject needs an id string" };
    case "aliases":
      return inAliases ? { ok: false, reason: "aliases may not nest" } : resolveAliases(identifier.identifiers, issuer);
    default:
      return {
        ok: false,
        reason: `subject format ${JSON.stringify(typeof format === "string" ? format.slice(0, 40) : (format ?? null))} is not supported`,
      };
  }
}

function subjectId(id: string): SubjectResolution {
  return id.length <= MAX_SUBJECT_ID
    ? { ok: true, email: null, address: null, subjectId: id }
    : { ok: false, reason: `the subject id is longer than ${MAX_SUBJECT_ID} characters` };
}

function resolveAliases(identifiers: unknown, issuer: string): SubjectResolution {
  if (!Array.isArray(identifiers) || identifiers.length === 0) return { ok: false, reason: "the aliases subject needs identifiers" };
  return mergeResolutions(identifiers.map((identifier) => resolveIdentifier(identifier, issuer, true)));
}

/**
 * The first usable email (with its address as written) and the first subject id among the resolutions that
 * worked (they name one principal); an unusable address only when no usable one was named.
 */
export function mergeResolutions(resolutions: SubjectResolution[]): SubjectResolution {
  let email: string | null = null;
  let address: string | null = null;
  let unusable: string | null = null;
  let id: string | null = null;
  const reasons: string[] = [];
  for (const resolution of resolutions) {
    if (!resolution.ok) {
      reasons.push(resolution.reason);
      continue;
    }
    if (email === null && resolution.email !== null) [email, address] = [resolution.email, resolution.address];
    if (resolution.email === null) unusable ??= resolution.address;
    id ??= resolution.subjectId;
  }
  if (email === null && id === null && unusable === null) return { ok: false, reason: reasons.join("; ") || "no subject" };
  return { ok: true, email, address: address ?? unusable, subjectId: id };
}
