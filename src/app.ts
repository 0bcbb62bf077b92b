// The Worker's routes, as a table of contents. Each surface renders its own failures: /webhooks and /v1
// as {"error": …} (http/errors.ts), /scim/v2 as RFC 7644 errors (scim/errors.ts), /ssf its verdicts on a
// SET as RFC 8935's {"err", "description"} (ssf/routes.ts). One HTTP surface
// throughout: a trailing slash is ignored, a wrong method is 405 with `Allow` (http/methods.ts), and every
// route is in the OpenAPI document at /openapi.json (http/openapi.ts), rendered for people at /reference.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { getPath } from "hono/utils/url";
import { configFor } from "./config";
import type { AppEnv } from "./context";
import { entraRoutes } from "./entra/routes";
import { answerJsonError, fail, renderFailure } from "./http/errors";
import { healthRoutes } from "./http/health";
import { allowedMethods } from "./http/methods";
import { apiDoc, openApiDocument } from "./http/openapi";
import { referencePolicy, renderReference } from "./http/reference";
import { noQuery } from "./http/validate";
import { logEvent } from "./log";
import { operatorRoutes } from "./operator/routes";
import { scimError } from "./scim/errors";
import { normalizeScimPath, scimRoutes } from "./scim/routes";
import { ssfRoutes } from "./ssf/routes";
import { statusPageRoutes } from "./ui/status-page";
import { universalLogoutRoutes } from "./universal-logout/routes";
import { webhookRoutes } from "./webhooks/receive-delivery";

/** The path as routed: SCIM's case-insensitive resource names made canonical, and no trailing slash. */
function routedPath(request: Request): string {
  const path = normalizeScimPath(getPath(request));
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

export const app = new Hono<AppEnv>({ getPath: routedPath });

app.use(
  "*",
  createMiddleware<AppEnv>(async function logRequest(c, next) {
    const started = Date.now();
    await next();
    logEvent("request", {
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      status: c.res.status,
      duration_ms: Date.now() - started,
    });
  }),
);

app.route("/healthz", healthRoutes);

app.get(
  "/openapi.json",
  apiDoc({ summary: "This document (OpenAPI 3.1)", tag: "health", auth: "none", ok: { 200: { description: "the document" } }, errors: [] }),
  noQuery(),
  async function openApi(c) {
    return c.json(openApiDocument(app));
  },
);

app.get(
  "/reference",
  apiDoc({
    summary: "This document, for people",
    tag: "health",
    auth: "none",
    ok: { 200: { description: "an HTML page", mediaType: "text/html" } },
    errors: [],
  }),
  noQuery(),
  async function reference(c) {
    const html = renderReference(openApiDocument(app) as Parameters<typeof renderReference>[0]);
    c.header("Content-Security-Policy", await referencePolicy());
    c.header("X-Content-Type-Options", "nosniff");
    return c.html(html);
  },
);

// Browsers ask every origin for an icon. There is none: 204 rather than a 404 in every log and console.
app.get(
  "/favicon.ico",
  apiDoc({ summary: "No icon (browsers ask for one)", tag: "health", auth: "none", ok: { 204: { description: "no icon" } }, errors: [] }),
  noQuery(),
  function favicon(c) {
    c.header("Cache-Control", "public, max-age=86400");
    return c.body(null, 204);
  },
);

// Before the configuration check: the page is static, and an unconfigured Worker is what /v1 then tells it.
app.route("/ui", statusPageRoutes);

app.use(
  "*",
  createMiddleware<AppEnv>(async function requireConfig(c, next) {
    const result = configFor(c.env);
    if (!result.ok) {
      const message = "the Worker is not configured; see GET /healthz";
      if (isScimPath(c.req.url)) return scimError(c, 503, message);
      fail("not_configured", message, { problems: result.problems });
    }
    c.set("config", result.config);
    await next();
  }),
);

app.route("/webhooks/entra", entraRoutes);
app.route("/webhooks", webhookRoutes);
app.route("/ssf", ssfRoutes);
app.route("/okta", universalLogoutRoutes);
app.route("/v1", operatorRoutes);
app.route("/scim/v2", scimRoutes);

function isScimPath(url: string): boolean {
  return new URL(url).pathname.toLowerCase().startsWith("/scim/");
}

app.notFound((c) => {
  const allowed = allowedMethods(app, routedPath(c.req.raw));
  if (allowed.length > 0) {
    c.header("Allow", allowed.join(", "));
    const message = `${c.req.method} is not allowed here; use ${allowed.join(", ")}`;
    return isScimPath(c.req.url) ? scimError(c, 405, message) : renderFailure(c, { code: "method_not_allowed", message });
  }
  return isScimPath(c.req.url) ? scimError(c, 404, "no such endpoint") : renderFailure(c, { code: "not_found", message: "no such route" });
});

app.onError(answerJsonError);
