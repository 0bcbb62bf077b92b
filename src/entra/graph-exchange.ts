// One bounded exchange with Microsoft (the identity platform's token endpoint, Microsoft Graph), and what its
// answer means for the caller. Like the Shared Signals receiver's fetchJson (ssf/fetch-json.ts: a time limit on
// the whole exchange, a size limit before parsing, redirects never followed), plus what Graph's throttling and
// errors need: Retry-After and Graph's error code, which fetchJson does not return.
// Failures, each a kind the callers act on:
// - throttled: 429 (or 503 with Retry-After), with how long to wait (Retry-After in seconds or as an HTTP date;
//   THROTTLE_DEFAULT_MS without one), bounded by THROTTLE_MAX_MS;
// - refused: 401 or 403 (the token, the app's permission, admin consent), and 400/401 from the token endpoint;
// - not_found: 404 (a user, a subscription, a deleted item);
// - sync_reset: 410 Gone, or Graph's error code syncStateNotFound / resyncRequired (a delta link expired or
//   the tenant's sync was reset: start again with a full read);
// - unavailable: 5xx; timeout, unreachable: no answer in time, or none at all; malformed: not JSON, too large;
// - http_error: any other status.
// Contract: never throws; the fetch and the clock are injected; `detail` names a status, a kind and Graph's
// error code, never a body, a token or a secret. The deadline is outbound/deadline.ts's.
import { fetchText, type TextAnswer } from "../outbound/deadline";

export type MicrosoftFetch = (url: string, init: RequestInit) => Promise<Response>;

export type ExchangeFailure = {
  ok: false;
  kind: "throttled" | "refused" | "not_found" | "sync_reset" | "unavailable" | "timeout" | "unreachable" | "malformed" | "http_error";
  status: number | null;
  /** throttled: how long Graph asked to wait. */
  retryAfterMs: number | null;
  detail: string;
};
export type Exchange = { ok: true; status: number; json: unknown } | ExchangeFailure;

export type ExchangeRequest = {
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxChars: number;
  now: () => number;
};

const THROTTLE_DEFAULT_MS = 60_000;
const THROTTLE_MAX_MS = 3_600_000;
const RESET_CODES = new Set(["syncStateNotFound", "resyncRequired", "syncStateInvalid"]);

const failed = (kind: ExchangeFailure["kind"], status: number | null, detail: string, retryAfterMs: number | null = null): ExchangeFailure => ({
  ok: false,
  kind,
  status,
  retryAfterMs,
  detail,
});

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); the default when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, now: number): number {
  if (value === null || value === undefined) return THROTTLE_DEFAULT_MS;
  const trimmed = value.trim();
  const ms = /^\d{1,9}$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  return Number.isFinite(ms) ? Math.min(THROTTLE_MAX_MS, Math.max(1000, ms)) : THROTTLE_DEFAULT_MS;
}

/** Graph's `{"error": {"code"}}` or the identity platform's `{"error": "invalid_client"}`: a word for the log. */
function errorCode(json: unknown): string | null {
  if (typeof json !== "object" || json === null) return null;
  const error = (json as { error?: unknown }).error;
  const code = typeof error === "string" ? error : typeof error === "object" && error !== null ? (error as { code?: unknown }).code : null;
  return typeof code === "string" && /^[A-Za-z0-9_.]{1,60}$/.test(code) ? code : null;
}

/** What a status (and Graph's error code, and Retry-After) means; null for a success. */
export function classifyStatus(status: number, json: unknown, retryAfter: string | null, now: number): ExchangeFailure | null {
  if (status >= 200 && status < 300) return null;
  const code = errorCode(json);
  const detail = `HTTP ${status}${code === null ? "" : ` (${code})`}`;
  if (status === 429 || (status === 503 && retryAfter !== null)) return failed("throttled", status, detail, retryAfterMs(retryAfter, now));
  if (status === 410 || (code !== null && RESET_CODES.has(code))) return failed("sync_reset", status, detail);
  if (status === 401 || status === 403) return failed("refused", status, detail);
  if (status === 404) return failed("not_found", status, detail);
  if (status >= 500) return failed("unavailable", status, detail);
  return failed("http_error", status, detail);
}

export async function exchange(fetcher: MicrosoftFetch, url: string, request: ExchangeRequest): Promise<Exchange> {
  let answer: TextAnswer | "timeout";
  try {
    answer = await fetchText(fetcher, url, request);
  } catch (error) {
    return failed("unreachable", null, error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : "unknown error");
  }
  if (answer === "timeout") return failed("timeout", null, `no answer within ${request.timeoutMs} ms`);
  const { status, text } = answer;
  if (text.length > request.maxChars) return failed("malformed", status, `HTTP ${status}, larger than ${request.maxChars} characters`);
  let json: unknown = null;
  if (text.trim() !== "") {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  const failure = classifyStatus(status, json, answer.headers.get("retry-after"), request.now());
  if (failure) return failure;
  if (json === undefined) return failed("malformed", status, `HTTP ${status}, not JSON`);
  return { ok: true, status, json };
}
