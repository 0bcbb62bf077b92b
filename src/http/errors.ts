// The one failure model of the JSON surfaces (/webhooks, /v1, /healthz): a failure is a code and a
// message (plus safe extra fields), raised as HttpFailure wherever it is found and rendered once, by the
// sub-app's error handler, as {"error": {"code", "message", …}} with the code's one HTTP status.
// Contract: the message is safe to show the caller; precise reasons for refusals go to the log only.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { logEvent } from "../log";

export const STATUS_OF_CODE = {
  not_configured: 503,
  not_found: 404,
  method_not_allowed: 405,
  unauthorized: 401,
  invalid_signature: 401,
  payload_too_large: 413,
  malformed_json: 400,
  invalid_request: 400,
  not_retryable: 409,
  // POST /v1/revocations/{id}/acknowledge on a revocation with no return, or one acknowledged already.
  not_acknowledgeable: 409,
  // POST /v1/reconcile under DRY_RUN: the sweep would send nothing.
  dry_run: 409,
  // POST /v1/alerts/test without ALERT_WEBHOOK_URL.
  alerts_off: 409,
  refused: 422,
  idempotency_conflict: 409,
  ledger_unavailable: 503,
  // A Shared Signals SET that could not be verified (its keys are out of reach) nor held (ssf/routes.ts).
  keys_unavailable: 503,
  internal_error: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof STATUS_OF_CODE;

export type Failure = { code: ErrorCode; message: string; extra?: Record<string, unknown>; headers?: Record<string, string> };

/** A failure raised anywhere in a request, rendered once by the surface's error handler. */
export class HttpFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

export function fail(code: ErrorCode, message: string, extra?: Record<string, unknown>, headers?: Record<string, string>): never {
  throw new HttpFailure({ code, message, extra, headers });
}

function errorBody(code: ErrorCode, message: string, extra?: Record<string, unknown>) {
  return { error: { code, message, ...extra } };
}

export function renderFailure(c: Context, failure: Failure) {
  for (const [name, value] of Object.entries(failure.headers ?? {})) c.header(name, value);
  return c.json(errorBody(failure.code, failure.message, failure.extra), STATUS_OF_CODE[failure.code]);
}

/** Hono's own exceptions (a body over the limit, a malformed request) as our failures. */
export function failureOf(error: unknown): Failure | null {
  if (error instanceof HttpFailure) return error.failure;
  if (error instanceof HTTPException) {
    if (error.status === 413) return { code: "payload_too_large", message: error.message || "the body is too large" };
    return { code: "invalid_request", message: error.message || "invalid request" };
  }
  return null;
}

/** The JSON surfaces' error handler: a known failure as itself, anything else as a logged 500. */
export function answerJsonError(error: Error, c: Context) {
  const failure = failureOf(error);
  if (failure) return renderFailure(c, failure);
  logEvent("request.error", { path: new URL(c.req.url).pathname, error: String(error) });
  return renderFailure(c, { code: "internal_error", message: "internal error" });
}
