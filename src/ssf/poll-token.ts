// An OAuth 2.0 access token, for a transmitter's poll endpoint or its stream management API (SSF 1.0 §7.1.1
// leaves the scheme to the transmitter; OAuth is the usual one) and for Google's APIs: one token code.
// - Grants: client credentials (RFC 6749 §4.4: grant_type=client_credentials, and scope when configured),
//   the client authenticated with HTTP Basic as §2.3.1 says every server must accept (client id and secret
//   each form-urlencoded, then base64), or by private_key_jwt (OpenID Connect Core §9, RFC 7523 §2.2: a
//   client_assertion JWT with iss = sub = client id, aud = the token endpoint, a fresh jti and a one-minute
//   exp, signed with the client's key; Okta requires it for its management scopes); or the JWT bearer grant
//   (RFC 7523 §2.1: grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer, an `assertion` the caller signs:
//   Google's service accounts). Every request is application/x-www-form-urlencoded.
// - Signing: jose (the JOSE library this Worker already verifies SETs with), never hand-written.
// - Answer (§5.1): access_token, token_type "Bearer" (case-insensitive; any other type is refused: we can
//   only present a bearer token), expires_in in seconds (a number, or digits in a string as some servers send
//   it; one hour when absent or unreadable, as many servers default).
// - Cache: the token is reused until shortly before it expires (EXPIRY_MARGIN_MS, or half its lifetime when
//   that is shorter), and forgotten when the poll endpoint answers 401 (invalidate). If a new one cannot be
//   obtained while the old one has not yet expired, the old one is used. `fresh` says whether the token was
//   just issued: only a cached one is worth replacing after a 401 (poll-streams.ts).
// - A token is never logged; failures carry the status and OAuth's `error` code only (fetch-json.ts).
// Contract: never throws; fetch and clock injected; one source per transmitter per isolate (poll-streams.ts).
import { importPKCS8, SignJWT } from "jose";
import * as z from "zod/mini";
import { fetchJson, type SsfFetch } from "./fetch-json";

const EXPIRY_MARGIN_MS = 30_000;
const DEFAULT_EXPIRES_IN_SECONDS = 3600;
const TOKEN_TIMEOUT_MS = 10_000;
const MAX_TOKEN_RESPONSE_CHARS = 64 * 1024;

export type ClientCredentials = { tokenEndpoint: string; clientId: string; clientSecret: string; scope: string | null };

/** How a token request is made: where, and the form that proves who asks (built fresh for every request). */
export type TokenGrant = {
  tokenEndpoint: string;
  request(now: number): Promise<{ form: URLSearchParams; headers: Record<string, string> }>;
};

const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ASSERTION_LIFETIME_SECONDS = 60;

/** Client credentials, the client authenticated with HTTP Basic (RFC 6749 §2.3.1). */
export function clientSecretBasic(credentials: ClientCredentials): TokenGrant {
  return {
    tokenEndpoint: credentials.tokenEndpoint,
    async request() {
      const basic = btoa(`${formEncode(credentials.clientId)}:${formEncode(credentials.clientSecret)}`);
      const form = new URLSearchParams({ grant_type: "client_credentials" });
      if (credentials.scope !== null) form.set("scope", credentials.scope);
      return { form, headers: { authorization: `Basic ${basic}` } };
    },
  };
}

export type PrivateKeyClient = { tokenEndpoint: string; clientId: string; scope: string | null; privateKeyPem: string; kid: string | null };

/** Client credentials, the client authenticated by private_key_jwt (RFC 7523 §2.2). */
export function privateKeyJwt(client: PrivateKeyClient): TokenGrant {
  return {
    tokenEndpoint: client.tokenEndpoint,
    async request(now) {
      const assertion = await signAssertion(client.privateKeyPem, client.kid, now, {
        iss: client.clientId,
        sub: client.clientId,
        aud: client.tokenEndpoint,
      });
      const form = new URLSearchParams({
        grant_type: "client_credentials",
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: assertion,
      });
      if (client.scope !== null) form.set("scope", client.scope);
      return { form, headers: {} };
    },
  };
}

/**
 * A JWT (RFC 7519) signed with a PKCS#8 PEM key, lasting a minute from `now`: RS256 for an RSA key, ES256 for
 * a P-256 one (the algorithms Okta and Google accept for assertions). Throws when the key is neither.
 */
export async function signAssertion(pem: string, kid: string | null, now: number, claims: Record<string, unknown>): Promise<string> {
  const { key, alg } = await importSigningKey(pem);
  const iat = Math.floor(now / 1000);
  const header = kid === null ? { alg, typ: "JWT" } : { alg, typ: "JWT", kid };
  return new SignJWT(claims)
    .setProtectedHeader(header)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(key);
}

async function importSigningKey(pem: string) {
  for (const alg of ["RS256", "ES256"] as const) {
    try {
      return { key: await importPKCS8(pem, alg), alg };
    } catch {
      // Not this algorithm's key: try the next.
    }
  }
  throw new Error("the private key is not a PKCS#8 PEM RSA or P-256 key");
}

type TokenOutcome = { ok: true; authorization: string; fresh: boolean } | { ok: false; detail: string };

export type PollTokenSource = {
  /** The Authorization header value to poll with, fetched when none is held or it is about to expire. */
  authorization(): Promise<TokenOutcome>;
  /** Forgets the token held (the poll endpoint refused it). */
  invalidate(): void;
};

const TokenResponseSchema = z.looseObject({
  access_token: z.string().check(z.minLength(1), z.maxLength(8192)),
  token_type: z.string(),
  expires_in: z.optional(z.unknown()),
});

/** expires_in as seconds: a positive number, or a string of digits; null when absent or unreadable. */
function lifetimeSeconds(value: unknown): number | null {
  const seconds = typeof value === "string" && /^\d{1,9}$/.test(value) ? Number(value) : value;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

/** RFC 6749 Appendix B: application/x-www-form-urlencoded, with "+" for a space. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, "+");
}

export function createPollTokenSource(credentials: ClientCredentials, deps: { fetch: SsfFetch; now: () => number }): PollTokenSource {
  return createTokenSource(clientSecretBasic(credentials), deps);
}

/** A token source for any grant: the cache and the answer's checks above. */
export function createTokenSource(grant: TokenGrant, deps: { fetch: SsfFetch; now: () => number }): PollTokenSource {
  let held: { authorization: string; renewAt: number; expiresAt: number } | null = null;

  return {
    async authorization() {
      if (held !== null && deps.now() < held.renewAt) return { ok: true, authorization: held.authorization, fresh: false };
      const stillValid = (detail: string): TokenOutcome =>
        held !== null && deps.now() < held.expiresAt ? { ok: true, authorization: held.authorization, fresh: false } : { ok: false, detail };
      let request: Awaited<ReturnType<TokenGrant["request"]>>;
      try {
        request = await grant.request(deps.now());
      } catch (error) {
        return stillValid(`token request: ${error instanceof Error ? error.message.slice(0, 200) : "could not be made"}`);
      }
      const exchange = await fetchJson(deps.fetch, grant.tokenEndpoint, {
        method: "POST",
        headers: { ...request.headers, "content-type": "application/x-www-form-urlencoded" },
        body: request.form.toString(),
        timeoutMs: TOKEN_TIMEOUT_MS,
        maxChars: MAX_TOKEN_RESPONSE_CHARS,
      });
      if (!exchange.ok) return stillValid(`token endpoint: ${exchange.detail}`);
      const parsed = TokenResponseSchema.safeParse(exchange.json);
      if (!parsed.success) return stillValid("token endpoint: not a token response (needs access_token and token_type)");
      if (parsed.data.token_type.toLowerCase() !== "bearer") return stillValid("token endpoint: the token is not a bearer token");
      const lifetimeMs = (lifetimeSeconds(parsed.data.expires_in) ?? DEFAULT_EXPIRES_IN_SECONDS) * 1000;
      const issuedAt = deps.now();
      held = {
        authorization: `Bearer ${parsed.data.access_token}`,
        renewAt: issuedAt + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 2),
        expiresAt: issuedAt + lifetimeMs,
      };
      return { ok: true, authorization: held.authorization, fresh: true };
    },
    invalidate() {
      held = null;
    },
  };
}
