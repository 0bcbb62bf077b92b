// /v1/directory: the identity directory an id-only deprovisioning event resolves through.
// PUT/GET/DELETE one subject; POST …/import takes NDJSON ({"subject_id", "email"} per line) or CSV
// (subject_id,email; a header line is allowed; RFC 4180 quoting) and answers counts with the reason for
// each rejected record.
import { Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../context";
import { jsonError } from "../errors";
import { ledgerFor } from "../ledger/client";
import { describeIssues, EmailSchema } from "../validation";
import { operatorBodyLimit, readJsonBody } from "./body";
import { readUpload } from "./upload";

const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
const MAX_IMPORT_LINES = 50_000;
/** Rows per ledger call: keeps each Durable Object transaction small. */
const IMPORT_CHUNK = 1000;
const MAX_REPORTED_REJECTIONS = 100;
const IMPORT_COLUMNS = ["subject_id", "email"] as const;

const SourceSchema = z.string().check(z.regex(/^[a-z0-9_-]{1,32}$/, "a source name is 1–32 of a-z 0-9 _ -"));
const SubjectSchema = z.string().check(z.minLength(1), z.maxLength(200));
const PutSchema = z.union([
  z.strictObject({ email: EmailSchema }),
  z.strictObject({ emails: z.array(EmailSchema).check(z.minLength(1), z.maxLength(20)) }),
]);
const LineSchema = z.object({ subject_id: SubjectSchema, email: EmailSchema });

export const directoryRoutes = new Hono<AppEnv>();

directoryRoutes.put("/:source/:subject", operatorBodyLimit(64 * 1024), async function putIdentity(c) {
  const source = SourceSchema.safeParse(c.req.param("source"));
  const subject = SubjectSchema.safeParse(c.req.param("subject"));
  if (!source.success || !subject.success) return jsonError(c, 400, "invalid_request", "bad source or subject id");
  const body = await readJsonBody(c);
  if (!body.ok) return body.response;
  const parsed = PutSchema.safeParse(body.value);
  if (!parsed.success) return jsonError(c, 400, "invalid_request", describeIssues(parsed.error));
  const emails = "email" in parsed.data ? [parsed.data.email] : parsed.data.emails;
  const { entry, resolved } = await ledgerFor(c.env).putIdentity(source.data, subject.data, emails);
  return c.json({ ...entry, resolved_revocations: resolved });
});

directoryRoutes.get("/:source/:subject", async function getIdentity(c) {
  const entry = await ledgerFor(c.env).getIdentity(c.req.param("source"), c.req.param("subject"));
  if (!entry) return jsonError(c, 404, "not_found", "no directory entry for that subject");
  return c.json(entry);
});

directoryRoutes.delete("/:source/:subject", async function deleteIdentity(c) {
  const deleted = await ledgerFor(c.env).deleteIdentity(c.req.param("source"), c.req.param("subject"));
  if (!deleted) return jsonError(c, 404, "not_found", "no directory entry for that subject");
  return c.body(null, 204);
});

directoryRoutes.post("/:source/import", operatorBodyLimit(MAX_IMPORT_BYTES), async function importIdentities(c) {
  const source = SourceSchema.safeParse(c.req.param("source"));
  if (!source.success) return jsonError(c, 400, "invalid_request", describeIssues(source.error));
  const upload = readUpload(await c.req.text(), IMPORT_COLUMNS);
  if (!upload.ok) return jsonError(c, 400, "invalid_request", upload.problem);
  if (upload.rows.length > MAX_IMPORT_LINES) return jsonError(c, 413, "payload_too_large", `at most ${MAX_IMPORT_LINES} records`);
  const accepted: { subject_id: string; email: string }[] = [];
  const rejections: { line: number; reason: string }[] = [];
  let rejected = 0;
  for (const row of upload.rows) {
    const entry = "error" in row ? null : LineSchema.safeParse(row.value);
    if (entry?.success) {
      accepted.push(entry.data);
      continue;
    }
    rejected++;
    if (rejections.length < MAX_REPORTED_REJECTIONS) {
      rejections.push({ line: row.line, reason: "error" in row ? row.error : describeIssues(entry!.error) });
    }
  }
  let resolved = 0;
  const ledger = ledgerFor(c.env);
  for (let start = 0; start < accepted.length; start += IMPORT_CHUNK) {
    resolved += (await ledger.importIdentities(source.data, accepted.slice(start, start + IMPORT_CHUNK))).resolved;
  }
  return c.json({ imported: accepted.length, rejected, rejections, resolved_revocations: resolved });
});
