// Operator authentication: `Authorization: Bearer <OPERATOR_TOKEN>`, any token of the rotation list,
// compared in constant time. Every failure gets the same 401.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { jsonError } from "../errors";
import { matchesAnySecret } from "../sources/hmac";

const BEARER_PREFIX = /^Bearer\s+/i;

export function bearerToken(header: string | undefined): string | null {
  if (!header || !BEARER_PREFIX.test(header)) return null;
  const token = header.replace(BEARER_PREFIX, "").trim();
  return token.length > 0 ? token : null;
}

export const requireOperator = createMiddleware<AppEnv>(async function requireOperator(c, next) {
  const token = bearerToken(c.req.header("Authorization"));
  if (!(await matchesAnySecret(token, c.get("config").operatorTokens))) {
    c.header("WWW-Authenticate", 'Bearer realm="access-revoker"');
    return jsonError(c, 401, "unauthorized", "a valid operator bearer token is required");
  }
  await next();
});
