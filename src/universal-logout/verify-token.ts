// Verifies the bearer token of an Okta Universal Logout call: the JWT Okta signs with its org's keys, as the
// IETF draft "OAuth 2.0 Global Token Revocation" §3.5 profiles it (draft-parecki-oauth-global-token-revocation)
// and Okta sends it (header typ "global-token-revocation+jwt", alg RS256; claims iss, sub, aud, jti, iat, exp, nbf).
// - Algorithm pinned to RS256 before any key is looked up: Okta's org keys are RSA, and a token naming another
//   algorithm (none, HS256 keyed with the public key, ES256 from elsewhere) is refused unread.
// - typ: Okta's "global-token-revocation+jwt", or none or "JWT" (the draft names no typ); any other explicit
//   type (an access token's at+jwt, a SET's secevent+jwt, a logout+jwt) is another kind of token and refused.
// - iss is OKTA_ORG_URL (with or without a trailing slash), aud is the endpoint's URL exactly
//   (OKTA_UNIVERSAL_LOGOUT_AUDIENCE, or PUBLIC_URL's /okta/universal-logout), exp is required (the draft's
//   MUST) and nbf honoured, each with CLOCK_TOLERANCE_SECONDS of skew.
// - Keys: the org's published JWKS through the Shared Signals receiver's cache (ssf/jwks.ts: symmetric and
//   private members dropped, refreshes rate-limited, a kid it has never seen refetched at most once a minute).
//   When the keys cannot be had (the JWKS down, or a kid missing from keys fetched before the call arrived),
//   what a valid signature would not save (iss, aud, exp) is judged on the unverified claims first, so a forgery
//   is refused at once; otherwise the failure is `transient` and the caller answers 503 to be called again.
// - The event id that de-duplicates the call is the token's jti (the draft: unique per JWT, and a jti seen
//   before SHOULD be refused), else the SHA-256 of the token itself: a retry or a replay of the same token is
//   the same revocation, never a second one.
// Contract: never throws; `now` is passed in; `detail` is for the log only.
import { type CryptoKey, decodeJwt, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from "jose";
import * as z from "zod/mini";
import { utf8 } from "../crypto/bytes";
import { sha256Hex } from "../crypto/sha256";
import type { JwksCache } from "../ssf/jwks";

const UNIVERSAL_LOGOUT_ALGORITHMS = ["RS256"] as const;
const ACCEPTED_TYPES = new Set(["global-token-revocation+jwt", "jwt"]);
const CLOCK_TOLERANCE_SECONDS = 60;
const MAX_TOKEN_CHARS = 8 * 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

export type LogoutTokenSettings = { issuer: string; audience: string };

type TokenFailure = { ok: false; reason: string; detail: string; transient: boolean };
export type LogoutTokenVerification = { ok: true; eventId: string; subject: string | null } | TokenFailure;

const HeaderSchema = z.looseObject({ alg: z.string(), typ: z.optional(z.string()), kid: z.optional(z.string()) });
const ClaimsSchema = z.looseObject({ jti: z.optional(z.string().check(z.minLength(1), z.maxLength(256))), sub: z.optional(z.string()) });

const refused = (reason: string, detail: string, transient = false): TokenFailure => ({ ok: false, reason, detail, transient });

export async function verifyLogoutToken(
  authorization: string | null,
  context: { settings: LogoutTokenSettings; jwks: Pick<JwksCache, "resolveKey">; now: number },
): Promise<LogoutTokenVerification> {
  if (authorization === null) return refused("missing_token", "no Authorization header");
  const token = BEARER.exec(authorization)?.[1];
  if (token === undefined) return refused("malformed_token", "the Authorization header is not a Bearer token");
  if (token.length > MAX_TOKEN_CHARS || !COMPACT_JWS.test(token)) return refused("malformed_token", "the bearer token is not a signed JWT");

  let header: z.infer<typeof HeaderSchema>;
  try {
    const parsed = HeaderSchema.safeParse(decodeProtectedHeader(token));
    if (!parsed.success) return refused("malformed_token", "the JWT header has no alg");
    header = parsed.data;
  } catch {
    return refused("malformed_token", "the JWT header is not JSON");
  }
  if (!(UNIVERSAL_LOGOUT_ALGORITHMS as readonly string[]).includes(header.alg)) {
    return refused("algorithm_refused", `alg ${JSON.stringify(header.alg.slice(0, 20))} is not RS256`);
  }
  if (header.typ !== undefined && !ACCEPTED_TYPES.has(header.typ.toLowerCase().replace(/^application\//, ""))) {
    return refused("wrong_type", `typ ${JSON.stringify(header.typ.slice(0, 50))} is not a global token revocation JWT`);
  }

  const resolved = await context.jwks.resolveKey(header.kid === undefined ? { alg: header.alg } : { alg: header.alg, kid: header.kid }, context.now);
  if (!resolved.ok) {
    if (resolved.reason === "unknown_key" || resolved.reason === "unusable_key") return refused("unknown_key", resolved.detail);
    return refusedUnverified(token, context) ?? refused("keys_unavailable", resolved.detail, true);
  }
  const verified = await verifyWithAnyKey(token, resolved.keys, context);
  if (!verified.ok) return verified;
  const claims = ClaimsSchema.safeParse(verified.payload);
  if (!claims.success) return refused("malformed_token", "jti or sub is not a string of 1–256 characters");
  const eventId = claims.data.jti === undefined ? `sha256:${await sha256Hex(utf8(token))}` : `jti:${claims.data.jti}`;
  return { ok: true, eventId, subject: claims.data.sub ?? null };
}

function issuers(settings: LogoutTokenSettings): string[] {
  return [settings.issuer, `${settings.issuer}/`];
}

async function verifyWithAnyKey(
  token: string,
  keys: CryptoKey[],
  context: { settings: LogoutTokenSettings; now: number },
): Promise<{ ok: true; payload: JWTPayload } | TokenFailure> {
  let last = refused("unknown_key", "no candidate key");
  for (const key of keys) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [...UNIVERSAL_LOGOUT_ALGORITHMS],
        issuer: issuers(context.settings),
        audience: context.settings.audience,
        requiredClaims: ["exp"],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(context.now),
      });
      return { ok: true, payload };
    } catch (error) {
      last = fromJoseError(error);
      if (!(error instanceof errors.JWSSignatureVerificationFailed)) return last;
    }
  }
  return last;
}

/** What refuses the token whatever key signed it (read unverified, only ever to refuse); null when only the key can tell. */
function refusedUnverified(token: string, context: { settings: LogoutTokenSettings; now: number }): TokenFailure | null {
  let payload: JWTPayload;
  try {
    payload = decodeJwt(token);
  } catch {
    return refused("malformed_token", "the JWT claims are not JSON");
  }
  if (typeof payload.iss !== "string" || !issuers(context.settings).includes(payload.iss)) return refused("wrong_issuer", "iss, before the key");
  const audiences = typeof payload.aud === "string" ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
  if (!audiences.includes(context.settings.audience)) return refused("wrong_audience", "aud, before the key");
  if (typeof payload.exp !== "number" || payload.exp + CLOCK_TOLERANCE_SECONDS <= context.now / 1000)
    return refused("expired", "exp, before the key");
  return null;
}

function fromJoseError(error: unknown): TokenFailure {
  const detail = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : "unknown error";
  if (error instanceof errors.JWSSignatureVerificationFailed) return refused("bad_signature", detail);
  if (error instanceof errors.JWTExpired) return refused("expired", detail);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return refused("wrong_issuer", detail);
    if (error.claim === "aud") return refused("wrong_audience", detail);
    return refused("invalid_claims", detail);
  }
  return refused("malformed_token", detail);
}
