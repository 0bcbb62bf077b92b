// /v1/audit: the KV trail. The listing answers key summaries (metadata only, one KV operation a page);
// the export answers full entries between two instants as NDJSON or CSV (audit/export.ts).
import { Hono } from "hono";
import * as z from "zod/mini";
import { listAuditTrail } from "../audit/audit-log";
import { exportAudit, exportCsv, exportNdjson } from "../audit/export";
import type { AppEnv } from "../context";
import { EmailSchema } from "../domain/validation";
import { fail } from "../http/errors";
import { apiDoc } from "../http/openapi";
import { validate } from "../http/validate";
import { instantParam, limitParam } from "./query";

const AuditQuerySchema = z.strictObject({
  email: z.optional(EmailSchema),
  rejected: z.optional(z.enum(["true", "false"])),
  actions: z.optional(z.enum(["true", "false"])),
  connections: z.optional(z.enum(["true", "false"])),
  limit: limitParam(100, 1000),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2000))),
});

const ExportQuerySchema = z.strictObject({
  from: instantParam,
  to: z.optional(instantParam),
  format: z._default(z.enum(["ndjson", "csv"]), "ndjson"),
  kind: z._default(z.enum(["outcomes", "rejected", "actions", "connections"]), "outcomes"),
  limit: limitParam(500, 1000),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2000))),
});

const AuditListingSchema = z.object({
  entries: z.array(
    z.looseObject({
      key: z.string(),
      kind: z.enum(["outcome", "outcome_batch", "rejected", "action", "connection"]),
      at: z.string(),
      source: z.string(),
      status: z.string(),
    }),
  ),
  cursor: z.nullable(z.string()),
});

export const auditRoutes = new Hono<AppEnv>();

auditRoutes.get(
  "/",
  apiDoc({
    summary: "The audit trail's entries, newest first (summaries)",
    description:
      "Outcomes (all, or `email=` for one person), `rejected=true` for refused deliveries per hour, `actions=true` for operator actions, `connections=true` for changes of managed connections.",
    tag: "audit",
    ok: { 200: { description: "one page", schema: AuditListingSchema } },
  }),
  validate("query", AuditQuerySchema),
  async function listAudit(c) {
    const query = c.req.valid("query");
    const kinds = [query.rejected, query.actions, query.connections].filter((flag) => flag === "true").length;
    if (query.email && kinds > 0) fail("invalid_request", "email= lists outcomes; it cannot be combined with rejected=, actions= or connections=");
    if (kinds > 1) fail("invalid_request", "rejected=, actions= and connections= each list one kind of entry: use one");
    return c.json(
      await listAuditTrail(c.env.AUDIT_LOG, {
        email: query.email,
        rejected: query.rejected === "true",
        actions: query.actions === "true",
        connections: query.connections === "true",
        limit: query.limit,
        cursor: query.cursor,
      }),
    );
  },
);

auditRoutes.get(
  "/export",
  apiDoc({
    summary: "Export full audit entries between two instants",
    description:
      "NDJSON: one KV entry per line with its key. CSV: one row per outcome (a bulk batch entry gives one row per person). One request reads up to `limit` keys; `X-Next-Cursor` carries on.",
    tag: "audit",
    ok: {
      200: {
        description: "the entries",
        mediaType: "application/x-ndjson",
        headers: {
          "X-Next-Cursor": { description: "present when there are more entries in the range: pass it as `cursor`", schema: { type: "string" } },
        },
      },
    },
  }),
  validate("query", ExportQuerySchema),
  async function exportTrail(c) {
    const query = c.req.valid("query");
    const to = query.to ?? Date.now();
    if (to < query.from) fail("invalid_request", "to is before from");
    const page = await exportAudit(c.env.AUDIT_LOG, { kind: query.kind, from: query.from, to, limit: query.limit, cursor: query.cursor });
    if (page.cursor) c.header("X-Next-Cursor", page.cursor);
    c.header("Cache-Control", "no-store");
    if (query.format === "csv") {
      c.header("Content-Type", "text/csv; charset=utf-8");
      return c.body(exportCsv(page.entries, query.cursor === undefined));
    }
    c.header("Content-Type", "application/x-ndjson");
    return c.body(exportNdjson(page.entries));
  },
);
