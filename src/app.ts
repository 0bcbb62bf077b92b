// The Worker's routes, as a table of contents.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { getPath } from "hono/utils/url";
import { createMiddleware } from "hono/factory";
import { configFor } from "./config";
import type { AppEnv } from "./context";
import { errorBody, jsonError } from "./errors";
import { scimError } from "./scim/errors";
import { logEvent } from "./log";
import { operatorRoutes } from "./operator/routes";
import { normalizeScimPath, scimRoutes } from "./scim/routes";
import { webhookRoutes } from "./webhooks/receive-delivery";

export const app = new Hono<AppEnv>({ getPath: (request) => normalizeScimPath(getPath(request)) });

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

app.get("/healthz", function healthz(c) {
  const result = configFor(c.env);
  const notes = result.notes.length > 0 ? { notes: result.notes } : {};
  if (!result.ok) return c.json({ ok: false, problems: result.problems, ...notes }, 503);
  return c.json({ ok: true, dry_run: result.config.dryRun, ...notes });
});

app.use(
  "*",
  createMiddleware<AppEnv>(async function requireConfig(c, next) {
    const result = configFor(c.env);
    if (!result.ok) {
      return jsonError(c, 503, "not_configured", "the Worker is not configured; see GET /healthz", {
        problems: result.problems,
      });
    }
    c.set("config", result.config);
    await next();
  }),
);

app.route("/webhooks", webhookRoutes);
app.route("/v1", operatorRoutes);
app.route("/scim/v2", scimRoutes);

app.notFound((c) =>
  new URL(c.req.url).pathname.toLowerCase().startsWith("/scim/") ? scimError(c, 404, "no such endpoint") : jsonError(c, 404, "not_found", "no such route"),
);

app.onError(function answerError(error, c) {
  if (error instanceof HTTPException) {
    return c.json(errorBody("invalid_request", error.message || "invalid request"), error.status);
  }
  logEvent("request.error", { path: new URL(c.req.url).pathname, error: String(error) });
  return jsonError(c, 500, "internal_error", "internal error");
});
