// The one JSON error shape of /webhooks and /v1: {"error": {"code", "message"}}.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ErrorCode =
  | "not_configured"
  | "not_found"
  | "method_not_allowed"
  | "unauthorized"
  | "invalid_signature"
  | "payload_too_large"
  | "malformed_json"
  | "invalid_request"
  | "not_retryable"
  | "refused"
  | "idempotency_conflict"
  | "ledger_unavailable"
  | "internal_error";

export function errorBody(code: ErrorCode, message: string, extra?: Record<string, unknown>) {
  return { error: { code, message, ...extra } };
}

export function jsonError(
  c: Context,
  status: ContentfulStatusCode,
  code: ErrorCode,
  message: string,
  extra?: Record<string, unknown>,
) {
  return c.json(errorBody(code, message, extra), status);
}
