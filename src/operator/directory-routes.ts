// /v1/directory: the identity directory an id-only deprovisioning event resolves through.
// PUT/GET/DELETE one subject; POST …/import takes NDJSON ({"subject_id", "email"} per line) or CSV
// (subject_id,email; a header line is allowed; RFC 4180 quoting) and answers counts with the reason for
// each rejected record.
import { Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../context";
import { describeIssues, EmailSchema } from "../domain/validation";
import { DirectoryEntrySchema, ImportAnswerSchema } from "../domain/views";
import { limitBody, readJson } from "../http/body";
import { fail } from "../http/errors";
import { onLedger } from "../http/ledger";
import { apiDoc } from "../http/openapi";
import { readUpload } from "../http/upload";
import { noQuery, validate } from "../http/validate";
import { DIRECTORY_SOURCES, isDirectorySource } from "../sources/registry";

const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
const MAX_IMPORT_LINES = 50_000;
/** Rows per ledger call: keeps each Durable Object transaction small. */
const IMPORT_CHUNK = 1000;
const MAX_REPORTED_REJECTIONS = 100;
const IMPORT_COLUMNS = ["subject_id", "email"] as const;

const SubjectParamsSchema = z.object({
  source: z
    .string()
    .check(z.refine(isDirectorySource, `not a source whose ids the directory holds (one of ${DIRECTORY_SOURCES.join(", ")}, or ssf-<transmitter>)`)),
  subject: z.string().check(z.minLength(1), z.maxLength(200)),
});
const SourceParamsSchema = z.pick(SubjectParamsSchema, { source: true });
const PutSchema = z.union([
  z.strictObject({ email: EmailSchema }),
  z.strictObject({ emails: z.array(EmailSchema).check(z.minLength(1), z.maxLength(20)) }),
]);
const LineSchema = z.object({ subject_id: z.string().check(z.minLength(1), z.maxLength(200)), email: EmailSchema });
const PutAnswerSchema = z.extend(DirectoryEntrySchema, { resolved_revocations: z.number() });
const ERRORS_OF_SUBJECT = ["not_found", "malformed_json", "payload_too_large"] as const;

export const directoryRoutes = new Hono<AppEnv>();

directoryRoutes.put(
  "/:source/:subject",
  apiDoc({
    summary: "Set the emails a subject id stands for",
    description: "Revocations waiting for this subject (status unresolved) are queued at once.",
    tag: "directory",
    body: {
      schema: PutSchema,
      mediaTypes: ["application/json"],
      examples: { "application/json": { emails: ["ana@example.com", "ana.lopez@example.com"] } },
    },
    ok: { 200: { description: "the entry, and how many waiting revocations it resolved", schema: PutAnswerSchema } },
    errors: [...ERRORS_OF_SUBJECT],
  }),
  noQuery(),
  limitBody(64 * 1024),
  validate("param", SubjectParamsSchema),
  async function putIdentity(c) {
    const { source, subject } = c.req.valid("param");
    const parsed = PutSchema.safeParse(await readJson(c));
    if (!parsed.success) fail("invalid_request", describeIssues(parsed.error));
    const emails = "email" in parsed.data ? [parsed.data.email] : parsed.data.emails;
    const { entry, resolved } = await onLedger(c.env, (ledger) => ledger.directory().put(source, subject, emails), "the directory write");
    return c.json({ ...entry, resolved_revocations: resolved });
  },
);

directoryRoutes.get(
  "/:source/:subject",
  apiDoc({
    summary: "A subject's directory entry",
    tag: "directory",
    ok: { 200: { description: "the entry", schema: DirectoryEntrySchema } },
    errors: ["not_found"],
  }),
  noQuery(),
  validate("param", SubjectParamsSchema),
  async function getIdentity(c) {
    const { source, subject } = c.req.valid("param");
    const entry = await onLedger(c.env, (ledger) => ledger.directory().get(source, subject));
    return entry ? c.json(entry) : fail("not_found", "no directory entry for that subject");
  },
);

directoryRoutes.delete(
  "/:source/:subject",
  apiDoc({ summary: "Forget a subject", tag: "directory", ok: { 204: { description: "forgotten" } }, errors: ["not_found"] }),
  noQuery(),
  validate("param", SubjectParamsSchema),
  async function deleteIdentity(c) {
    const { source, subject } = c.req.valid("param");
    const deleted = await onLedger(c.env, (ledger) => ledger.directory().remove(source, subject), "the directory delete");
    return deleted ? c.body(null, 204) : fail("not_found", "no directory entry for that subject");
  },
);

directoryRoutes.post(
  "/:source/import",
  apiDoc({
    summary: "Import subject ids and emails",
    description:
      'CSV (subject_id,email; header optional) or NDJSON ({"subject_id", "email"} per line), up to 50,000 records / 5 MiB; send the file byte for byte (`--data-binary`).',
    tag: "directory",
    body: {
      mediaTypes: ["text/csv", "application/x-ndjson"],
      examples: {
        "text/csv": "subject_id,email\n00u1a2b3c4d5e6f7g8,ana@example.com\n00u9h8g7f6e5d4c3b2,bo@example.com\n",
        "application/x-ndjson": '{"subject_id": "00u1a2b3c4d5e6f7g8", "email": "ana@example.com"}\n',
      },
    },
    ok: { 200: { description: "the counts, with the reason for each rejected record", schema: ImportAnswerSchema } },
    errors: ["payload_too_large"],
  }),
  noQuery(),
  limitBody(MAX_IMPORT_BYTES),
  validate("param", SourceParamsSchema),
  async function importIdentities(c) {
    const { source } = c.req.valid("param");
    const upload = readUpload(await c.req.text(), IMPORT_COLUMNS);
    if (!upload.ok) fail("invalid_request", upload.problem);
    if (upload.rows.length > MAX_IMPORT_LINES) fail("payload_too_large", `at most ${MAX_IMPORT_LINES} records`);
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
      if (rejections.length < MAX_REPORTED_REJECTIONS)
        rejections.push({ line: row.line, reason: "error" in row ? row.error : describeIssues(entry!.error) });
    }
    let resolved = 0;
    for (let start = 0; start < accepted.length; start += IMPORT_CHUNK) {
      const chunk = accepted.slice(start, start + IMPORT_CHUNK);
      resolved += (await onLedger(c.env, (ledger) => ledger.directory().import(source, chunk), `the import (after ${start} records)`)).resolved;
    }
    return c.json({ imported: accepted.length, rejected, rejections, resolved_revocations: resolved });
  },
);
