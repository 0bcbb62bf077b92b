// One bearer-token check for the operator API and SCIM: `Authorization: Bearer <token>`, any token of
// the rotation list, compared whole in constant time. Every failure is the same 401 (no hint which part
// was wrong); each surface renders it in its own error shape.
import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { matchesAnySecret } from "../crypto/compare";

const BEARER_PREFIX = /^Bearer\s+/i;

export function bearerToken(header: string | undefined): string | null {
  if (!header || !BEARER_PREFIX.test(header)) return null;
  const token = header.replace(BEARER_PREFIX, "").trim();
  return token.length > 0 ? token : null;
}

export function requireBearer(options: {
  realm: string;
  tokens: (c: Context<AppEnv>) => string[];
  /** The answer when no token is configured at all (the surface is off), else null to refuse as usual. */
  disabled?: (c: Context<AppEnv>) => Response | null;
  unauthorized: (c: Context<AppEnv>) => Response;
}): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async function requireBearerToken(c, next) {
    const tokens = options.tokens(c);
    if (tokens.length === 0 && options.disabled) {
      const answer = options.disabled(c);
      if (answer) return answer;
    }
    if (!(await matchesAnySecret(bearerToken(c.req.header("Authorization")), tokens))) {
      c.header("WWW-Authenticate", `Bearer realm="${options.realm}"`);
      return options.unauthorized(c);
    }
    await next();
  });
}
