// GET /v1/reports/offboarding (issue #23): the offboarding evidence report of a period, every figure from the
// ledger. The format is `format=` (json, csv, html) when given, else the Accept header's text/csv or
// text/html, else JSON. JSON is paginated: `limit` rows a page (default 500), the summary on every page, and
// `next_cursor` (also X-Next-Cursor) for the next; the cursor carries the first page's through_seq, so every
// page belongs to the same report. CSV and HTML are streamed: the summary, then the period's rows read from
// the ledger ROWS_PER_READ at a time, so a period of years never sits in memory, then a line with the count
// (a report cut short by a ledger failure midway lacks it). `threshold` (seconds, or with s/m/h; default 5m)
// is the time to revoke the summary counts within.
import { Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../context";
import { OffboardingReportSchema, type OffboardingSummary } from "../domain/offboarding-report";
import { fail } from "../http/errors";
import { onLedger } from "../http/ledger";
import { apiDoc } from "../http/openapi";
import { validate } from "../http/validate";
import { ledgerFor } from "../ledger/client";
import { logEvent } from "../log";
import { csvEnd, csvHead, csvRows, HTML_CSP, htmlEnd, htmlHead, htmlRows } from "./offboarding-render";
import { instantParam, limitParam } from "./query";

const ROWS_PER_READ = 500;
const DEFAULT_THRESHOLD_MS = 5 * 60_000;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;
/** through_seq.received_at.seq of the last row answered. */
const CURSOR = /^(\d{1,15})\.(\d{1,15})\.(\d{1,15})$/;

const thresholdParam = z.pipe(
  z.string().check(z.regex(/^\d{1,7}[smh]?$/, "seconds, or a number with s, m or h (300, 5m)")),
  z.transform((raw: string) => {
    const unit = /[smh]$/.test(raw) ? (raw.slice(-1) as keyof typeof UNIT_MS) : "s";
    return Number.parseInt(raw, 10) * UNIT_MS[unit];
  }),
);

const ReportQuerySchema = z.strictObject({
  from: instantParam,
  to: z.optional(instantParam),
  threshold: z.optional(thresholdParam),
  format: z.optional(z.enum(["json", "csv", "html"])),
  limit: limitParam(ROWS_PER_READ, 1000),
  cursor: z.optional(z.string().check(z.regex(CURSOR, "not a cursor from a previous page of this report"))),
});

type Format = "json" | "csv" | "html";

function formatOf(asked: Format | undefined, accept: string | undefined): Format {
  if (asked) return asked;
  if (/\btext\/csv\b/i.test(accept ?? "")) return "csv";
  if (/\btext\/html\b/i.test(accept ?? "")) return "html";
  return "json";
}

export const reportRoutes = new Hono<AppEnv>();

reportRoutes.get(
  "/offboarding",
  apiDoc({
    summary: "The offboarding evidence report of a period",
    description:
      "One row per revocation received in [from, to) (default to: now): source, the IdP's own event time where its payload carries one, received, revoked per account and zone with Cloudflare's answer, time to revoke, seats removed, verification, any return the reconciliation sweep found; and a summary (count, p50/p95/max time to revoke, how many within `threshold`, failures and how they were resolved, returns), with when it was generated and the audit chain head it covers. `format` json|csv|html, else by Accept, else JSON. JSON is paginated (`limit`, `next_cursor`); CSV and HTML stream the whole period.",
    tag: "audit",
    ok: {
      200: {
        description: "the report (a page of it in JSON)",
        schema: OffboardingReportSchema,
        alsoAs: ["text/csv", "text/html"],
        headers: { "X-Next-Cursor": { description: "JSON: present when the period has more rows: pass it as `cursor`", schema: { type: "string" } } },
      },
    },
  }),
  validate("query", ReportQuerySchema),
  async function offboardingReport(c) {
    const query = c.req.valid("query");
    const to = query.to ?? Date.now();
    if (to <= query.from) fail("invalid_request", "to is not after from");
    const thresholdMs = query.threshold ?? DEFAULT_THRESHOLD_MS;
    const format = formatOf(query.format, c.req.header("Accept"));
    const cursor = query.cursor ? CURSOR.exec(query.cursor) : null;
    if (cursor && format !== "json") fail("invalid_request", "cursor pages the JSON report; CSV and HTML answer the whole period");
    const range = { from: query.from, to, ...(cursor ? { throughSeq: Number(cursor[1]) } : {}) };
    const summary = await onLedger(c.env, (ledger) => ledger.reports().summary(range, thresholdMs), "the report");
    const period = { from: query.from, to, throughSeq: summary.through_seq };
    c.header("Cache-Control", "no-store");

    if (format === "json") {
      const after = cursor ? { receivedAt: Number(cursor[2]), seq: Number(cursor[3]) } : null;
      const page = await onLedger(c.env, (ledger) => ledger.reports().rows(period, after, query.limit), "the report");
      const next = page.next && `${period.throughSeq}.${page.next.receivedAt}.${page.next.seq}`;
      if (next) c.header("X-Next-Cursor", next);
      return c.json({ summary, rows: page.rows, next_cursor: next });
    }
    const render = format === "csv" ? { head: csvHead, rows: csvRows, end: csvEnd } : { head: htmlHead, rows: htmlRows, end: htmlEnd };
    c.header("Content-Type", format === "csv" ? "text/csv; charset=utf-8" : "text/html; charset=utf-8");
    if (format === "html") c.header("Content-Security-Policy", HTML_CSP);
    return c.body(streamReport(c.env, summary, period, render));
  },
);

type Render = {
  head: (summary: OffboardingSummary) => string;
  rows: (rows: Parameters<typeof csvRows>[0]) => string;
  end: (written: number) => string;
};

/** The summary, the rows page by page as the reader takes them, and the closing count. */
function streamReport(env: Env, summary: OffboardingSummary, period: { from: number; to: number; throughSeq: number }, render: Render) {
  const encoder = new TextEncoder();
  let after: { receivedAt: number; seq: number } | null = null;
  let written = 0;
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(render.head(summary)));
    },
    async pull(controller) {
      if (done) return;
      try {
        const page = await ledgerFor(env).reports().rows(period, after, ROWS_PER_READ);
        written += page.rows.length;
        if (page.rows.length > 0) controller.enqueue(encoder.encode(render.rows(page.rows)));
        after = page.next;
        if (after === null) {
          done = true;
          controller.enqueue(encoder.encode(render.end(written)));
          controller.close();
        }
      } catch (error) {
        // The answer has begun: the missing closing line is what says it is incomplete.
        logEvent("ledger.unavailable", { what: "the report's rows", error: String(error) });
        done = true;
        controller.error(error);
      }
    },
  });
}
