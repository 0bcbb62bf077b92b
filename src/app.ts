// The Worker's routes, as a table of contents. Each surface renders its own failures: /webhooks and /v1
// as {"error": …} (http/errors.ts), /scim/v2 as RFC 7644 errors (scim/errors.ts), /ssf its verdicts on a
// SET as RFC 8935's {"err", "description"} (ssf/routes.ts).
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { getPath } from "hono/utils/url";
import { configFor } from "./config";
import type { AppEnv } from "./context";
import { answerJsonError, fail, renderFailure } from "./http/errors";
import { ledgerFor } from "./ledger/client";
import { logEvent } from "./log";
import { operatorRoutes } from "./operator/routes";
import { scimError } from "./scim/errors";
import { normalizeScimPath, scimRoutes } from "./scim/routes";
import { ssfRoutes } from "./ssf/routes";
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

/** How long /healthz waits for the ledger's own notes (it answers from configuration without them). */
const LEDGER_NOTES_WAIT_MS = 1000;

app.get("/healthz", async function healthz(c) {
  const result = configFor(c.env);
  if (!result.ok) return c.json({ ok: false, problems: result.problems, ...(result.notes.length > 0 ? { notes: result.notes } : {}) }, 503);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ledgerNotes = await Promise.race([
    ledgerFor(c.env)
      .notes()
      .catch((error: unknown) => [`the ledger did not answer: ${String(error)}`]),
    new Promise<string[]>((resolve) => {
      timer = setTimeout(() => resolve(["the ledger did not answer within a second"]), LEDGER_NOTES_WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  const notes = [...result.notes, ...ledgerNotes];
  return c.json({ ok: true, dry_run: result.config.dryRun, ...(notes.length > 0 ? { notes } : {}) });
});

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

app.route("/webhooks", webhookRoutes);
app.route("/ssf", ssfRoutes);
app.route("/v1", operatorRoutes);
app.route("/scim/v2", scimRoutes);

function isScimPath(url: string): boolean {
  return new URL(url).pathname.toLowerCase().startsWith("/scim/");
}

app.notFound((c) =>
  isScimPath(c.req.url) ? scimError(c, 404, "no such endpoint") : renderFailure(c, { code: "not_found", message: "no such route" }),
);

app.onError(answerJsonError);
