// Verifies one Security Event Token (RFC 8417) in JWS compact form, as SSF 1.0 §4.1 profiles it.
// Order: shape → protected header (alg allowlist, typ) → key (jwks.ts) → signature and iss/aud/exp (jose's
// jwtVerify, `algorithms` pinned again) → SET claims (iat window, jti, events). Nothing from the payload is
// trusted before the signature verifies.
// - typ: SSF 1.0 §4.1.1 requires explicit typing (RFC 8417 §2.3), so a missing or other `typ` is refused;
//   "secevent+jwt" and "application/secevent+jwt" are the same media type (RFC 7515 §4.1.9), case-insensitive.
// - alg: only the transmitter's allowlist, which the config schema limits to asymmetric algorithms: `none`
//   and HS* never reach a key, so a token HMAC-signed with the public key as the secret fails.
// - iat: required (RFC 8417 §2.2). Refused when more than futureSkewSeconds ahead, or older than
//   maxAgeSeconds: push retries (RFC 8935 §4) and polling (RFC 8936) legitimately deliver late, so the past
//   bound is a day by default, not minutes; replay within it is the caller's to stop, by jti.
// - exp: SSF forbids it in SETs (§4.1.7); when present anyway, jose refuses an expired one (RFC 7519 §4.1.4).
//   A top-level `sub` (also forbidden by SSF §4.1.2) is ignored, never read as the subject.
// - Error codes are RFC 8935 §2.4's: invalid_request (not a SET / claims not as defined), invalid_key
//   (alg not accepted; kid unknown, not fetched yet, or keys unavailable), authentication_failed (the signature does not verify
//   under the transmitter's key: the transmitter is not authenticated), invalid_issuer, invalid_audience.
//   access_denied is never produced here (authorisation is the caller's, see receive-set.ts).
// - Before a SET is called transient (its key cannot be had yet, so the caller holds it), what can be judged
//   without the key is judged (refusedWhateverTheKey): claims a valid signature would not save (iss, aud,
//   iat, jti, events) and a kid of a form no key set carries. Those claims are read unverified, only ever to
//   refuse, so a forgery is refused at once instead of being held (issue #18).
// Contract: never throws on any input; `now` is passed in. `description` may go to the sender (RFC 8935 §2.3);
// `detail` is for the log only; `transient` marks a failure caused by our side (the JWKS could not be fetched,
// or not yet since the SET arrived): the SET may be valid, so the caller holds it.
import { type CryptoKey, decodeJwt, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from "jose";
import * as z from "zod/mini";
import type { SsfTransmitter } from "../domain/ssf/transmitters";
import { describeIssues } from "../domain/validation";
import { describeError } from "./fetch-json";
import type { JwksCache } from "./jwks";

export const DEFAULT_SET_MAX_AGE_SECONDS = 86_400;
const DEFAULT_SET_FUTURE_SKEW_SECONDS = 300;
const MAX_TOKEN_CHARS = 64 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** A key id a JWKS would carry: printable ASCII, no spaces (thumbprints, UUIDs, "rsa-1"), at most 256 characters. */
const KID_FORM = /^[\x21-\x7e]{1,256}$/;
/** The SET media type (RFC 8417 §2.3): the `typ` a SET must carry and the Content-Type a push must have. */
export const SET_MEDIA_TYPE = "application/secevent+jwt";

export const SET_ERROR_CODES = [
  "invalid_request",
  "invalid_key",
  "invalid_issuer",
  "invalid_audience",
  "authentication_failed",
  "access_denied",
] as const;
export type SetErrorCode = (typeof SET_ERROR_CODES)[number];

const HeaderSchema = z.looseObject({ alg: z.string(), typ: z.optional(z.string()), kid: z.optional(z.string()) });

const SetClaimsSchema = z.looseObject({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  iat: z.number().check(z.refine(Number.isFinite, "must be a number of seconds")),
  jti: z.string().check(z.minLength(1), z.maxLength(256)),
  events: z.record(z.string(), z.looseObject({})).check(z.refine((events) => Object.keys(events).length > 0, "must name at least one event")),
  // Read by events.ts; every other claim (txn, toe, …) passes through unchecked: SSF 1.0 §4.2.3 says to ignore
  // what is not understood, and refusing a deprovisioning SET over an unused claim would only lose it.
  sub_id: z.optional(z.unknown()),
});

/** The claims of a SET whose signature, issuer, audience and times have been checked. */
export type VerifiedSet = z.infer<typeof SetClaimsSchema>;

type SetVerificationFailure = { ok: false; err: SetErrorCode; description: string; detail: string; transient: boolean };
export type SetVerification = { ok: true; set: VerifiedSet } | SetVerificationFailure;

export type VerifySetContext = {
  transmitter: Pick<SsfTransmitter, "issuer" | "audiences" | "algorithms">;
  jwks: Pick<JwksCache, "resolveKey">;
  /** Milliseconds since the epoch. */
  now: number;
  maxAgeSeconds?: number;
  futureSkewSeconds?: number;
};

function failure(err: SetErrorCode, description: string, detail: string, transient = false): SetVerificationFailure {
  return { ok: false, err, description, detail, transient };
}

export async function verifySet(token: string, context: VerifySetContext): Promise<SetVerification> {
  const { transmitter } = context;
  if (token.length > MAX_TOKEN_CHARS) return failure("invalid_request", "the SET is too large", `${token.length} characters`);
  if (!COMPACT_JWS.test(token)) {
    const parts = token.split(".").length;
    return failure(
      "invalid_request",
      "the body is not a signed SET in JWS compact form",
      parts === 5 ? "looks like a JWE (encrypted SETs are not supported)" : `${parts} dot-separated parts`,
    );
  }

  let rawHeader: unknown;
  try {
    rawHeader = decodeProtectedHeader(token);
  } catch (error) {
    return failure("invalid_request", "the SET's protected header is not valid", describeError(error));
  }
  const header = HeaderSchema.safeParse(rawHeader);
  if (!header.success) return failure("invalid_request", "the SET's protected header is not valid", describeIssues(header.error));
  const { alg, typ, kid } = header.data;
  if (!(transmitter.algorithms as readonly string[]).includes(alg)) {
    return failure(
      "invalid_key",
      "the SET's signing algorithm is not accepted",
      `alg ${JSON.stringify(alg.slice(0, 20))} is not in the transmitter's allowlist`,
    );
  }
  if (typ === undefined || normalizeTyp(typ) !== SET_MEDIA_TYPE) {
    return failure("invalid_request", "the SET is not explicitly typed secevent+jwt", `typ ${JSON.stringify(typ?.slice(0, 50) ?? null)}`);
  }

  const resolved = await context.jwks.resolveKey(kid === undefined ? { alg } : { alg, kid }, context.now);
  if (!resolved.ok) {
    switch (resolved.reason) {
      case "unknown_key":
        return failure("invalid_key", "the SET is signed with a key the receiver does not know", resolved.detail);
      case "key_pending":
        return (
          refusedWhateverTheKey(token, kid, context) ??
          failure("invalid_key", "the SET is signed with a key the receiver has not fetched yet", resolved.detail, true)
        );
      case "keys_unavailable":
        return (
          refusedWhateverTheKey(token, kid, context) ??
          failure("invalid_key", "the transmitter's signing keys could not be fetched", resolved.detail, true)
        );
      case "unusable_key":
        return failure("invalid_key", "the transmitter's signing key is not usable", resolved.detail);
    }
  }

  const verified = await verifyWithAnyKey(token, resolved.keys, context);
  if (!verified.ok) return verified;

  const claims = SetClaimsSchema.safeParse(verified.payload);
  if (!claims.success)
    return failure("invalid_request", `the SET's claims are not valid: ${describeIssues(claims.error)}`, describeIssues(claims.error));
  return iatOutOfRange(claims.data.iat, context) ?? { ok: true, set: claims.data };
}

function iatOutOfRange(iat: number, context: VerifySetContext): SetVerificationFailure | null {
  const ageSeconds = context.now / 1000 - iat;
  const maxAge = context.maxAgeSeconds ?? DEFAULT_SET_MAX_AGE_SECONDS;
  const futureSkew = context.futureSkewSeconds ?? DEFAULT_SET_FUTURE_SKEW_SECONDS;
  if (ageSeconds > maxAge)
    return failure("invalid_request", "the SET was issued too long ago (iat)", `iat is ${Math.round(ageSeconds)} s old, limit ${maxAge} s`);
  if (-ageSeconds > futureSkew)
    return failure("invalid_request", "the SET's iat is in the future", `iat is ${Math.round(-ageSeconds)} s ahead, limit ${futureSkew} s`);
  return null;
}

/** What would refuse the SET whatever key signed it (see the header); null when only the key can decide. */
function refusedWhateverTheKey(token: string, kid: string | undefined, context: VerifySetContext): SetVerificationFailure | null {
  if (kid !== undefined && !KID_FORM.test(kid)) {
    return failure("invalid_key", "the SET's kid is not a key id", `kid of ${kid.length} characters, not 1–256 printable ASCII`);
  }
  let payload: unknown;
  try {
    payload = decodeJwt(token);
  } catch (error) {
    return failure("invalid_request", "the body is not a valid SET", describeError(error));
  }
  const claims = SetClaimsSchema.safeParse(payload);
  if (!claims.success)
    return failure("invalid_request", `the SET's claims are not valid: ${describeIssues(claims.error)}`, describeIssues(claims.error));
  const { iss, aud, iat } = claims.data;
  if (iss !== context.transmitter.issuer) return failure("invalid_issuer", "the SET's issuer is not this transmitter's", "iss, before the key");
  const audiences = typeof aud === "string" ? [aud] : aud;
  if (!audiences.some((audience) => context.transmitter.audiences.includes(audience))) {
    return failure("invalid_audience", "the SET's audience is not this receiver", "aud, before the key");
  }
  return iatOutOfRange(iat, context);
}

async function verifyWithAnyKey(
  token: string,
  keys: CryptoKey[],
  context: VerifySetContext,
): Promise<{ ok: true; payload: JWTPayload } | SetVerificationFailure> {
  let last: SetVerificationFailure = failure("invalid_key", "the SET is signed with a key the receiver does not know", "no candidate key");
  for (const key of keys) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: context.transmitter.algorithms,
        issuer: context.transmitter.issuer,
        audience: context.transmitter.audiences,
        currentDate: new Date(context.now),
      });
      return { ok: true, payload };
    } catch (error) {
      last = fromJoseError(error);
      // Only a signature mismatch can depend on the key; any other verdict is the token's own.
      if (!(error instanceof errors.JWSSignatureVerificationFailed)) return last;
    }
  }
  return last;
}

function fromJoseError(error: unknown): SetVerificationFailure {
  const detail = describeError(error);
  if (error instanceof errors.JWSSignatureVerificationFailed) return failure("authentication_failed", "the SET's signature does not verify", detail);
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return failure("invalid_key", "the SET's signing algorithm is not accepted", detail);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return failure("invalid_issuer", "the SET's issuer is not this transmitter's", detail);
    if (error.claim === "aud") return failure("invalid_audience", "the SET's audience is not this receiver", detail);
    return failure("invalid_request", `the SET's ${error.claim} claim is not valid`, detail);
  }
  if (error instanceof errors.JWTExpired) return failure("invalid_request", "the SET has expired (exp)", detail);
  // jose raises TypeError for a key it will not use with the algorithm (e.g. an RSA modulus under 2048 bits).
  if (error instanceof TypeError) return failure("invalid_key", "the transmitter's signing key is not usable", detail);
  return failure("invalid_request", "the body is not a valid SET", detail);
}

function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.includes("/") ? lower : `application/${lower}`;
}
