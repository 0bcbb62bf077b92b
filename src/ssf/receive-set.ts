// One push delivery of a Security Event Token (RFC 8935), from raw request parts to a decision:
// authenticate the caller → Content-Type → decode → verify the SET (verify-set.ts) → extract events (events.ts).
// No Hono, no ledger: the route renders the answer, commits the events and records the rest; replay is the
// caller's to stop, by the identity events' event_id (the jti).
// Answers, and where they come from:
// - 202 Accepted, empty body: the SET is valid (RFC 8935 §2.2), even when it asks nothing of us (SETs are not
//   commands, §3) or names someone we cannot resolve (`unresolved`: retrying would not help).
// - 400 invalid_request for a verified SET whose stream-updated status cannot be read (stream-events.ts):
//   `accepted` with status 400 and `unreadable` saying why, since the caller still records what it can (the
//   stream may be paused) before answering.
// - 400 with {"err", "description"} and Content-Language (§2.3) for every error "parsing, validating, or
//   authenticating a SET", err from §2.4: see verify-set.ts for which is which. A body that is not UTF-8 is
//   invalid_request. A JWKS outage is also a 400 (invalid_key), never a 5xx; the rejection then carries the
//   token (`unverifiedToken`), since the SET may be valid: the route holds it for a later check.
// - 401 when SSF_AUTH_<NAME> is set and the Authorization header is missing or wrong: §3 puts the caller's
//   authentication under standard HTTP authentication (RFC 7235), so this is HTTP's 401 with WWW-Authenticate
//   (RFC 9110 §11.6.1, §15.5.2), not a SET error; the body keeps the same shape (err authentication_failed).
//   The header value is compared in constant time (matchesAnySecret) with each configured credential, whole
//   and without its auth-scheme ("Bearer …"), so SSF_AUTH_<NAME> may hold either the token or the whole
//   header: SSF 1.0 §6.1.1 has the transmitter send back whatever `authorization_header` the receiver gave
//   it. The Bearer scheme is also taken off both sides, once or repeated: an operator who typed
//   "Bearer <token>" into a Keycloak version that prepends "Bearer " itself gets "Bearer Bearer <token>"
//   sent. What is left is still compared whole: no other word is dropped, so a credential with spaces
//   (a passphrase) never matches on its last word. It is checked first, so an unauthenticated caller
//   learns nothing.
// - 415 when the Content-Type is not application/secevent+jwt (required by §2.1; a general HTTP error, §2.3).
// - 403/access_denied is not used: one credential per transmitter route leaves no "authenticated but not allowed".
// Contract: never throws; `now` is passed in; `detail` is for the log, never for the sender.

import { matchesAnySecret } from "../crypto/compare";
import type { SsfTransmitter } from "../domain/ssf/transmitters";
import { extractSetEvents, type SetEvents } from "./events";
import type { JwksCache } from "./jwks";
import { setDigest } from "./set-digest";
import { SET_MEDIA_TYPE, type SetErrorCode, verifySet } from "./verify-set";

const AUTH_SCHEME = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*\s+(\S+)$/;
const BEARER_SCHEMES = /^(?:bearer\s+)+/i;

export type ReceiveSetInput = {
  body: Uint8Array;
  contentType: string | null;
  authorization: string | null;
  transmitterName: string;
  transmitter: SsfTransmitter;
  /** SSF_AUTH_<NAME> (a rotation list); empty means the route is not protected by a credential. */
  authSecrets: string[];
  jwks: Pick<JwksCache, "resolveKey">;
  /** Milliseconds since the epoch. */
  now: number;
  maxAgeSeconds?: number;
  futureSkewSeconds?: number;
};

export type SetRejection = {
  kind: "rejected";
  status: 400 | 401 | 415;
  body: { err: SetErrorCode; description: string };
  headers: Record<string, string>;
  detail: string;
  /** Set when the transmitter's keys could not be fetched: the SET may be valid, so the route holds it. */
  unverifiedToken: string | null;
};

/**
 * A verified SET, to record. `iat`: when the transmitter issued it (seconds), which orders its stream-updated
 * events. `digest`: what it says (set-digest.ts), which tells a redelivery from a reused jti.
 * `unreadable`: why its stream-updated status cannot be read, when it cannot (then status 400).
 */
export type AcceptedSet = { kind: "accepted"; status: 202 | 400; jti: string; iat: number; digest: string; unreadable: string | null } & SetEvents;
export type ReceiveSetResult = AcceptedSet | SetRejection;

function rejected(
  status: SetRejection["status"],
  err: SetErrorCode,
  description: string,
  detail: string,
  unverifiedToken: string | null = null,
): SetRejection {
  const headers: Record<string, string> = { "Content-Language": "en" };
  if (status === 401) headers["WWW-Authenticate"] = 'Bearer realm="ssf"';
  return { kind: "rejected", status, body: { err, description }, headers, detail, unverifiedToken };
}

export async function receiveSet(input: ReceiveSetInput): Promise<ReceiveSetResult> {
  if (input.authSecrets.length > 0) {
    if (!input.authorization) return rejected(401, "authentication_failed", "authorization required", "no Authorization header");
    if (!(await matchesStreamCredential(input.authorization, input.authSecrets))) {
      return rejected(401, "authentication_failed", "authorization required", "the Authorization header matches no configured credential");
    }
  }

  const mediaType = (input.contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (mediaType !== SET_MEDIA_TYPE) {
    return rejected(
      415,
      "invalid_request",
      `Content-Type must be ${SET_MEDIA_TYPE}`,
      `Content-Type ${JSON.stringify((input.contentType ?? "").slice(0, 100))}`,
    );
  }

  let token: string;
  try {
    token = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(input.body).trim();
  } catch {
    return rejected(400, "invalid_request", "the body is not UTF-8", "undecodable body");
  }

  return acceptToken(token, input);
}

/**
 * Every comparison runs, each over every credential (no early exit): the header whole; its token after any
 * one auth-scheme; and both sides without their Bearer scheme(s).
 */
async function matchesStreamCredential(authorization: string, credentials: string[]): Promise<boolean> {
  const header = authorization.trim();
  const withoutBearer = (value: string) => value.trim().replace(BEARER_SCHEMES, "");
  const results = await Promise.all([
    matchesAnySecret(header, credentials),
    matchesAnySecret(AUTH_SCHEME.exec(header)?.[1], credentials),
    matchesAnySecret(withoutBearer(header), credentials.map(withoutBearer)),
  ]);
  return results.some(Boolean);
}

/**
 * The last step of a push, and the whole of a held SET's later check (held-sets.ts, with `now` the time it
 * arrived, so its iat is judged as on arrival): verify the token, then read its events.
 */
export async function acceptToken(
  token: string,
  input: Pick<ReceiveSetInput, "transmitterName" | "transmitter" | "jwks" | "now" | "maxAgeSeconds" | "futureSkewSeconds">,
): Promise<ReceiveSetResult> {
  const verified = await verifySet(token, {
    transmitter: input.transmitter,
    jwks: input.jwks,
    now: input.now,
    maxAgeSeconds: input.maxAgeSeconds,
    futureSkewSeconds: input.futureSkewSeconds,
  });
  if (!verified.ok) return rejected(400, verified.err, verified.description, verified.detail, verified.transient ? token : null);

  const extracted = extractSetEvents(verified.set, { transmitterName: input.transmitterName, transmitter: input.transmitter });
  const unreadable = extracted.stream.find((event) => event.kind === "stream_unreadable")?.detail ?? null;
  const { jti, iat } = verified.set;
  return { kind: "accepted", status: unreadable === null ? 202 : 400, jti, iat, digest: await setDigest(verified.set), unreadable, ...extracted };
}
