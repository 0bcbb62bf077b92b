// Classifies one Cloudflare answer into what the ledger does next.
// Contract: pure, no I/O, no clock: `now` and `random` are passed in.
// - success → answered, with the result, which each kind of call reads itself (revoke_user: true → revoked,
//   false → not_found, anything else retried as unreadable, cloudflare/revoke-user.ts; the follow-ups:
//   follow-ups/steps.ts)
// - 429 → pause the token's calls for Retry-After (the API blocks the token for up to 5 minutes when
//   exceeded); without one, until the reset its budget names (`untilResetMs`: the Ratelimit header's t, this
//   answer's or the last one's), else DEFAULT_RATE_LIMIT_PAUSE_MS (the draft: Retry-After takes precedence)
// - 5xx, 408, network errors, timeouts, an answer that is not the v4 envelope → retry with capped backoff + jitter
// - 401/403 → failed at once, "refused": the token is wrong or lacks permission there, and every further
//   call would fail the same way. A refused revocation holds its target (no retry storm that burns the
//   budget); a refused follow-up (seats, verification) turns that follow-up off instead, never holding
//   revocations.
// - other 4xx → failed at once; a 3xx too (redirects are never followed)
import type { ApiAnswer } from "../../cloudflare/api";
import type { CloudflareError } from "../../domain/revocation";

export type CallVerdict =
  | { outcome: "answered"; result: unknown; resultInfo?: unknown }
  | { outcome: "retry"; error: string; pauseDrainMs?: number }
  | { outcome: "failed"; error: string; refused: boolean };

/** Used when a 429 carries no usable Retry-After: the API's block lasts up to 5 minutes. */
const DEFAULT_RATE_LIMIT_PAUSE_MS = 60_000;
const MAX_RATE_LIMIT_PAUSE_MS = 5 * 60_000;

export function classifyAnswer(answer: ApiAnswer, now: number, untilResetMs: number | null = null): CallVerdict {
  if (answer.kind === "timeout") return { outcome: "retry", error: `timed out after ${answer.afterMs} ms` };
  if (answer.kind === "network_error") return { outcome: "retry", error: `network error: ${answer.message}` };

  const status = answer.httpStatus;
  const detail = describeErrors(answer.envelope?.errors ?? []);
  if (status === 429) {
    return {
      outcome: "retry",
      error: `rate limited (429)${detail}`,
      pauseDrainMs: retryAfterMs(answer.retryAfter, now, untilResetMs),
    };
  }
  if (status >= 500 || status === 408) return { outcome: "retry", error: `HTTP ${status}${detail}` };
  if (status === 401 || status === 403) {
    return { outcome: "failed", error: `Cloudflare refused the API token (HTTP ${status})${detail}`, refused: true };
  }
  if (status >= 400) return { outcome: "failed", error: `HTTP ${status}${detail}`, refused: false };
  // Never followed (cloudflare/api.ts): the API does not redirect, so a 3xx means ACCESS_API_BASE_URL is wrong.
  if (status >= 300) {
    return {
      outcome: "failed",
      error: `HTTP ${status}: the API answered with a redirect, which is never followed; check ACCESS_API_BASE_URL`,
      refused: false,
    };
  }

  if (!answer.envelope) return { outcome: "retry", error: `HTTP ${status} without a Cloudflare API envelope` };
  if (!answer.envelope.success) return { outcome: "failed", error: `success: false${detail}`, refused: false };
  return { outcome: "answered", result: answer.envelope.result, resultInfo: answer.envelope.resultInfo };
}

/**
 * Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3); without a usable one, the budget's known reset;
 * clamped to the API's 5-minute block, and to at least a second.
 */
export function retryAfterMs(header: string | null, now: number, untilResetMs: number | null = null): number {
  const clamp = (ms: number) => Math.min(Math.max(ms, 1000), MAX_RATE_LIMIT_PAUSE_MS);
  if (header !== null) {
    const trimmed = header.trim();
    let ms = Number.NaN;
    if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000;
    else if (trimmed !== "") ms = Date.parse(trimmed) - now;
    if (Number.isFinite(ms)) return clamp(ms);
  }
  return untilResetMs === null ? DEFAULT_RATE_LIMIT_PAUSE_MS : clamp(untilResetMs);
}

/** Capped exponential backoff with jitter: 2 s, 4 s, 8 s … up to 5 minutes, each scaled by 50–100 %. */
export function backoffMs(attempts: number, random: () => number): number {
  const base = Math.min(2000 * 2 ** Math.max(0, attempts - 1), 5 * 60_000);
  return Math.round(base * (0.5 + random() * 0.5));
}

function describeErrors(errors: CloudflareError[]): string {
  if (errors.length === 0) return "";
  const text = errors
    .slice(0, 3)
    .map((error) => (error.code === null ? error.message : `${error.code} ${error.message}`))
    .join("; ");
  return `: ${text.slice(0, 300)}`;
}
