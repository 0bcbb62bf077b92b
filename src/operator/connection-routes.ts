// POST /v1/connections/sync and /v1/connections/{name}/sync: the Cron Trigger's managed-connection step run
// now, for an operator who prefers to run it once by hand (`npm run cli -- connections sync [name]`): every
// configured managed connection, or the one named. The run is the Cron's own (connections/runner.ts): the
// same bounds, the same record, audit entries and /healthz notes; a kind checks now what would otherwise
// wait for its schedule (an SSF stream's check and verification request). Each run's verdict is answered.
// Contract: a connection's failure is its run's verdict, never this route's error.
import { Hono } from "hono";
import * as z from "zod/mini";
import { maintainConnections } from "../connections/runner";
import type { AppEnv } from "../context";
import { fail } from "../http/errors";
import { apiDoc } from "../http/openapi";
import { noQuery } from "../http/validate";

export const connectionRoutes = new Hono<AppEnv>();

const SyncAnswerSchema = z.object({
  runs: z.array(
    z.object({
      name: z.string(),
      kind: z.string(),
      verdict: z.enum(["ok", "failing", "idle", "skipped"]),
      error: z.nullable(z.string()),
      calls: z.number(),
    }),
  ),
});

const doc = (summary: string, extra: Partial<Parameters<typeof apiDoc>[0]> = {}) =>
  apiDoc({
    summary,
    description:
      "Runs the Cron Trigger's managed-connection step now (SSF streams with `manage`, the Google channel): each connection's verdict, its error and the outbound calls it made. What it changed is in the audit log (`GET /v1/audit?connections=true`) and `GET /v1/stats` → `sources`.",
    tag: "drain",
    ok: { 200: { description: "each connection's run", schema: SyncAnswerSchema } },
    ...extra,
  });

connectionRoutes.post("/connections/sync", doc("Maintain every managed connection now"), noQuery(), async function syncAll(c) {
  return c.json({ runs: await maintainConnections(c.env, { only: null }) });
});

connectionRoutes.post(
  "/connections/:name{[a-z0-9_-]{1,40}}/sync",
  doc("Maintain one managed connection now", { pathParams: { name: { pattern: "^[a-z0-9_-]{1,40}$" } }, errors: ["not_found"] }),
  noQuery(),
  async function syncOne(c) {
    const name = c.req.param("name");
    const runs = await maintainConnections(c.env, { only: name });
    if (runs.length === 0) fail("not_found", `${name} is not a managed connection this configuration turns on (ssf-<name> with manage, google)`);
    return c.json({ runs });
  },
);
