// The one SCIM error body (RFC 7644 §3.12) and the SCIM media type, built in one place.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as z from "zod/mini";
import type { ScimFailure, ScimType } from "../domain/scim/outcome";
import { failureOf, STATUS_OF_CODE } from "../http/errors";
import { logEvent } from "../log";

const SCIM_CONTENT_TYPE = "application/scim+json";
const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

export type { ScimType };

/** RFC 7644 §3.12: what every SCIM error answers (the OpenAPI document's schema for them). */
export const ScimErrorSchema = z.object({
  schemas: z.tuple([z.literal(ERROR_SCHEMA)]),
  status: z.string(),
  detail: z.string(),
  scimType: z.optional(z.string()),
});

const STATUS_OF: Record<ScimFailure["kind"], ContentfulStatusCode> = { not_found: 404, conflict: 409, invalid: 400 };

/** The one place a SCIM failure becomes an HTTP status. */
export function scimFailure(c: Context, failure: ScimFailure) {
  const scimType = failure.kind === "conflict" ? "uniqueness" : failure.kind === "invalid" ? failure.scimType : undefined;
  return scimError(c, STATUS_OF[failure.kind], failure.detail, scimType);
}

export function scimJson(c: Context, body: unknown, status: ContentfulStatusCode = 200, headers: Record<string, string> = {}) {
  return c.body(JSON.stringify(body), status, { "Content-Type": SCIM_CONTENT_TYPE, ...headers });
}

export function scimError(c: Context, status: ContentfulStatusCode, detail: string, scimType?: ScimType) {
  const body: Record<string, unknown> = { schemas: [ERROR_SCHEMA], status: String(status), detail };
  if (scimType) body.scimType = scimType;
  return scimJson(c, body, status);
}

/**
 * The SCIM sub-app's error handler: a known failure (ledger_unavailable, a body too large) keeps its
 * status, anything else is a logged 500; both in the SCIM error shape, never the JSON one.
 */
export function answerScimError(error: Error, c: Context) {
  const failure = failureOf(error);
  if (failure) return scimError(c, STATUS_OF_CODE[failure.code], failure.message);
  logEvent("scim.error", { path: new URL(c.req.url).pathname, error: String(error) });
  return scimError(c, 500, "internal error");
}
