// An app-only access token for Microsoft Graph, by the OAuth 2.0 client credentials grant at the Microsoft
// identity platform (POST MS_LOGIN_BASE_URL/<tenant>/oauth2/v2.0/token, scope "<graph origin>/.default").
// - The client authenticates with its secret (client_secret in the form, as Microsoft's client credentials
//   flow documents it) or, with ENTRA_CLIENT_CERTIFICATE, with a client assertion: a JWT signed with the
//   certificate's private key as "Microsoft identity platform application authentication certificate
//   credentials" describes it (alg PS256, typ JWT, x5t#S256 the SHA-256 thumbprint of the certificate's DER;
//   aud the token endpoint, iss and sub the client id, a random jti, nbf and iat now, exp five minutes on).
//   Signed with jose, the JOSE library the project already uses, never by hand.
// - The token is reused until shortly before it expires (EXPIRY_MARGIN_MS, or half its life when shorter) and
//   forgotten when Graph answers 401 (invalidate). A refusal (400/401: a wrong secret, an expired one, a
//   certificate Entra does not know) is `refused`: no retry helps until an operator acts.
// - Never logged; a failure carries the status and the identity platform's error code only.
// Contract: never throws; fetch and clock injected; one source per configuration per isolate (deps.ts).
import { base64url, importPKCS8, SignJWT } from "jose";
import * as z from "zod/mini";
import { fromBase64 } from "../crypto/bytes";
import { sha256 } from "../crypto/sha256";
import { type ExchangeFailure, exchange, type MicrosoftFetch } from "./graph-exchange";

const EXPIRY_MARGIN_MS = 5 * 60_000;
const TOKEN_TIMEOUT_MS = 10_000;
const MAX_TOKEN_RESPONSE_CHARS = 64 * 1024;
const ASSERTION_LIFETIME_SECONDS = 300;

export type EntraCredentials = {
  tenantId: string;
  clientId: string;
  credential: { kind: "secret"; secret: string } | { kind: "certificate"; pem: string };
  loginBaseUrl: string;
  graphBaseUrl: string;
};

type TokenOutcome = { ok: true; authorization: string; fresh: boolean } | ({ ok: false } & Pick<ExchangeFailure, "kind" | "detail" | "retryAfterMs">);

export type GraphTokenSource = {
  authorization(): Promise<TokenOutcome>;
  invalidate(): void;
};

const TokenResponseSchema = z.looseObject({
  access_token: z.string().check(z.minLength(1), z.maxLength(16_384)),
  token_type: z.string(),
  expires_in: z.optional(z.unknown()),
});

function tokenEndpoint(credentials: Pick<EntraCredentials, "loginBaseUrl" | "tenantId">): string {
  return `${credentials.loginBaseUrl}/${credentials.tenantId}/oauth2/v2.0/token`;
}

/** `https://graph.microsoft.com/.default`: every application permission granted to the app, for Graph's origin. */
function scopeOf(graphBaseUrl: string): string {
  return `${new URL(graphBaseUrl).origin}/.default`;
}

function lifetimeMs(value: unknown): number {
  const seconds = typeof value === "string" && /^\d{1,9}$/.test(value) ? Number(value) : value;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 3_600_000;
}

/** The PEM block of `label`'s bytes. */
function pemBlock(pem: string, label: string): Uint8Array | null {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(pem);
  return match ? fromBase64(match[1]!.replace(/\s+/g, "")) : null;
}

/** A client assertion for the certificate credential; a string saying why when the PEM cannot be used. */
async function clientAssertion(credentials: EntraCredentials, pem: string, now: number): Promise<string | { error: string }> {
  const certificate = pemBlock(pem, "CERTIFICATE");
  if (certificate === null) return { error: "ENTRA_CLIENT_CERTIFICATE has no readable certificate" };
  let key: CryptoKey;
  try {
    key = await importPKCS8(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(pem)?.[0] ?? "", "PS256");
  } catch {
    return { error: "ENTRA_CLIENT_CERTIFICATE's private key is not an RSA PKCS#8 key" };
  }
  const issuedAt = Math.floor(now / 1000);
  return new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader({ alg: "PS256", typ: "JWT", "x5t#S256": base64url.encode(await sha256(certificate)) })
    .setAudience(tokenEndpoint(credentials))
    .setIssuer(credentials.clientId)
    .setSubject(credentials.clientId)
    .setNotBefore(issuedAt)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ASSERTION_LIFETIME_SECONDS)
    .sign(key);
}

export function createGraphTokenSource(credentials: EntraCredentials, deps: { fetch: MicrosoftFetch; now: () => number }): GraphTokenSource {
  let held: { authorization: string; renewAt: number } | null = null;

  return {
    async authorization() {
      const now = deps.now();
      if (held !== null && now < held.renewAt) return { ok: true, authorization: held.authorization, fresh: false };
      const form = new URLSearchParams({
        client_id: credentials.clientId,
        scope: scopeOf(credentials.graphBaseUrl),
        grant_type: "client_credentials",
      });
      if (credentials.credential.kind === "secret") {
        form.set("client_secret", credentials.credential.secret);
      } else {
        const assertion = await clientAssertion(credentials, credentials.credential.pem, now);
        if (typeof assertion !== "string") return { ok: false, kind: "refused", detail: assertion.error, retryAfterMs: null };
        form.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.set("client_assertion", assertion);
      }
      const answer = await exchange(deps.fetch, tokenEndpoint(credentials), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
        timeoutMs: TOKEN_TIMEOUT_MS,
        maxChars: MAX_TOKEN_RESPONSE_CHARS,
        now: deps.now,
      });
      if (!answer.ok) {
        // The identity platform answers a wrong or expired credential 400 (invalid_client) or 401.
        const refused = answer.kind === "http_error" && answer.status === 400 ? "refused" : answer.kind;
        return { ok: false, kind: refused, detail: `token endpoint: ${answer.detail}`, retryAfterMs: answer.retryAfterMs };
      }
      const token = TokenResponseSchema.safeParse(answer.json);
      if (!token.success || token.data.token_type.toLowerCase() !== "bearer") {
        return { ok: false, kind: "malformed", detail: "token endpoint: not a bearer token response", retryAfterMs: null };
      }
      const life = lifetimeMs(token.data.expires_in);
      held = { authorization: `Bearer ${token.data.access_token}`, renewAt: now + life - Math.min(EXPIRY_MARGIN_MS, life / 2) };
      return { ok: true, authorization: held.authorization, fresh: true };
    },
    invalidate() {
      held = null;
    },
  };
}
