// An access token for a transmitter's poll endpoint, by the OAuth 2.0 client credentials grant (RFC 6749
// §4.4), for transmitters that protect polling with short-lived bearer tokens (SSF 1.0 §7.1.1 leaves the
// scheme to the transmitter; OAuth is the usual one).
// - Request: POST token_endpoint, application/x-www-form-urlencoded grant_type=client_credentials (and
//   scope when configured), the client authenticated with HTTP Basic as §2.3.1 says every server must accept:
//   client id and secret each form-urlencoded, then base64.
// - Answer (§5.1): access_token, token_type "Bearer" (case-insensitive; any other type is refused: we can
//   only present a bearer token), expires_in in seconds (a number, or digits in a string as some servers send
//   it; one hour when absent or unreadable, as many servers default).
// - Cache: the token is reused until shortly before it expires (EXPIRY_MARGIN_MS, or half its lifetime when
//   that is shorter), and forgotten when the poll endpoint answers 401 (invalidate). If a new one cannot be
//   obtained while the old one has not yet expired, the old one is used. `fresh` says whether the token was
//   just issued: only a cached one is worth replacing after a 401 (poll-streams.ts).
// - A token is never logged; failures carry the status and OAuth's `error` code only (fetch-json.ts).
// Contract: never throws; fetch and clock injected; one source per transmitter per isolate (poll-streams.ts).
import * as z from "zod/mini";
import { fetchJson, type SsfFetch } from "./fetch-json";

const EXPIRY_MARGIN_MS = 30_000;
const DEFAULT_EXPIRES_IN_SECONDS = 3600;
const TOKEN_TIMEOUT_MS = 10_000;
const MAX_TOKEN_RESPONSE_CHARS = 64 * 1024;

export type ClientCredentials = { tokenEndpoint: string; clientId: string; clientSecret: string; scope: string | null };

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
  let held: { authorization: string; renewAt: number; expiresAt: number } | null = null;

  return {
    async authorization() {
      if (held !== null && deps.now() < held.renewAt) return { ok: true, authorization: held.authorization, fresh: false };
      const stillValid = (detail: string): TokenOutcome =>
        held !== null && deps.now() < held.expiresAt ? { ok: true, authorization: held.authorization, fresh: false } : { ok: false, detail };
      const basic = btoa(`${formEncode(credentials.clientId)}:${formEncode(credentials.clientSecret)}`);
      const form = new URLSearchParams({ grant_type: "client_credentials" });
      if (credentials.scope !== null) form.set("scope", credentials.scope);
      const exchange = await fetchJson(deps.fetch, credentials.tokenEndpoint, {
        method: "POST",
        headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
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
