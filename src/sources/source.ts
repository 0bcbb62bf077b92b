// The shape every identity source shares: verify the raw delivery, then parse the verified JSON into
// identity events (people to deprovision) and identities it observed (subject id ↔ email, for the
// directory; both in domain/identity-events.ts). Contract: verify never parses the body and never throws;
// parse is pure.
import { matchesAnySecret } from "../crypto/compare";
import type { GroupRemovalPolicy } from "../domain/groups";
import type { IdentityEvent, ObservedIdentity } from "../domain/identity-events";

/**
 * At most this many signatures are taken from one header: providers list one, or two during a key
 * rotation. A header listing more is refused before any MAC is computed, so a forged delivery cannot
 * make verification cost grow with its size (8,000 signatures over 64 KiB took ~23× one).
 */
export const MAX_SIGNATURES = 8;

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

/** For sources that prove a delivery only by a shared token in a header (Okta, Google): constant time. */
export async function verifyStaticSecretHeader(header: string, delivery: Delivery, context: VerifyContext): Promise<Verification> {
  const presented = delivery.headers.get(header);
  if (presented === null) return { ok: false, reason: "missing_header", header };
  return (await matchesAnySecret(presented, context.secrets)) ? { ok: true, deliveryId: null } : { ok: false, reason: "signature_mismatch" };
}
