// The one SCIM error body (RFC 7644 §3.12) and the SCIM media type, built in one place.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export const SCIM_CONTENT_TYPE = "application/scim+json";
export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

export type ScimType =
  | "invalidFilter"
  | "tooMany"
  | "uniqueness"
  | "mutability"
  | "invalidSyntax"
  | "invalidPath"
  | "noTarget"
  | "invalidValue"
  | "invalidVers"
  | "sensitive";

export function scimJson(c: Context, body: unknown, status: ContentfulStatusCode = 200, headers: Record<string, string> = {}) {
  return c.body(JSON.stringify(body), status, { "Content-Type": SCIM_CONTENT_TYPE, ...headers });
}

export function scimError(c: Context, status: ContentfulStatusCode, detail: string, scimType?: ScimType) {
  const body: Record<string, unknown> = { schemas: [ERROR_SCHEMA], status: String(status), detail };
  if (scimType) body.scimType = scimType;
  return scimJson(c, body, status);
}
