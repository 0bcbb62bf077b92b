// POST /v1/revocations/bulk and /v1/jobs: offboarding thousands of people at the API's pace.
// The Worker reads the upload (operator/upload.ts) and sends it in chunks; the ledger validates and
// commits each chunk in one transaction, so a 10,000-line job costs a dozen Durable Object calls (well
// inside the Free plan's 50 subrequests). Records are NDJSON ({"email", "user_uid"?, "reason"?}) or CSV
// (email[,user_uid[,reason]], header optional, RFC 4180 quoting).
// Idempotency: the same Idempotency-Key is the same job. Resubmitting the same body adds nothing (and
// completes a job whose first submission stopped part-way); a different body under a used key is 409.
import { Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../context";
import { utf8 } from "../crypto/bytes";
import { sha256Hex } from "../crypto/sha256";
import { JOB_ID_PATTERN, JobAnswerSchema, type JobCounts, parseJobCursor } from "../domain/bulk";
import { JobListSchema, JobRetrySchema, JobViewSchema } from "../domain/views";
import { limitBody } from "../http/body";
import { fail, HttpFailure } from "../http/errors";
import { onLedger } from "../http/ledger";
import { apiDoc } from "../http/openapi";
import { readUpload } from "../http/upload";
import { noQuery, validate } from "../http/validate";
import type { JobOpening } from "../ledger/jobs/submission";
import { logEvent } from "../log";
import { auditOperatorAction } from "./operator-actions";
import { limitParam } from "./query";

const MAX_BULK_BYTES = 5 * 1024 * 1024;
const MAX_BULK_LINES = 50_000;
const CHUNK_LINES = 1000;
const BULK_COLUMNS = ["email", "user_uid", "reason"] as const;

const JOB_ID = `:id{${JOB_ID_PATTERN}}`;
const JOB_ID_PARAM = { id: { pattern: `^${JOB_ID_PATTERN}$` } };
const IdempotencyKeySchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/));

export const bulkRoutes = new Hono<AppEnv>();

const JobsQuerySchema = z.strictObject({
  limit: limitParam(20, 100),
  cursor: z.optional(
    z.pipe(
      z.string().check(z.refine((raw) => parseJobCursor(raw) !== null, "not a cursor from a previous page")),
      z.transform((raw: string) => parseJobCursor(raw)!),
    ),
  ),
});

bulkRoutes.post(
  "/revocations/bulk",
  apiDoc({
    summary: "Offboard many people: one job, paced, in the bulk lane",
    description:
      'CSV (email[,user_uid[,reason]], header optional, RFC 4180) or NDJSON ({"email", "user_uid"?, "reason"?} per line); up to 50,000 records / 5 MiB. Send the file byte for byte (`curl --data-binary @file`). `Idempotency-Key` makes a resubmission the same job.',
    tag: "jobs",
    body: {
      mediaTypes: ["text/csv", "application/x-ndjson"],
      examples: {
        "text/csv": "email,user_uid,reason\nana@example.com,,left the company\nbo@example.com,00u1a2b3c4d5e6f7g8,contract ended\n",
        "application/x-ndjson":
          '{"email": "ana@example.com", "reason": "left the company"}\n{"email": "bo@example.com", "user_uid": "00u1a2b3c4d5e6f7g8"}\n',
      },
    },
    ok: {
      202: { description: "the job, committed", schema: JobAnswerSchema },
      200: { description: "the same body again under the same key: nothing added", schema: JobAnswerSchema },
    },
    errors: ["payload_too_large", "idempotency_conflict"],
  }),
  noQuery(),
  limitBody(MAX_BULK_BYTES),
  async function submitBulk(c) {
    const key = c.req.header("Idempotency-Key");
    if (key !== undefined && !IdempotencyKeySchema.safeParse(key).success)
      fail("invalid_request", "Idempotency-Key must be 1 to 64 of A-Z a-z 0-9 _ -");
    const jobId = `job_${key ?? crypto.randomUUID().replace(/-/g, "")}`;
    const text = await c.req.text();
    const upload = readUpload(text, BULK_COLUMNS);
    if (!upload.ok) fail("invalid_request", upload.problem);
    if (upload.rows.length > MAX_BULK_LINES) fail("payload_too_large", `at most ${MAX_BULK_LINES} records`);
    if (upload.rows.length === 0) fail("invalid_request", "no records to revoke");

    const digest = await sha256Hex(utf8(text));
    const opening = await onLedger(c.env, async (ledger): Promise<JobOpening> => ledger.jobs().open(jobId, digest), "the job");
    if (opening.state === "conflict") {
      fail("idempotency_conflict", `the Idempotency-Key was used for a different body (job ${jobId}, created ${opening.created_at})`, {
        job_id: jobId,
      });
    }
    if (opening.state === "complete") return c.json(answer(jobId, opening.counts, true), 200);
    let index = 0;
    try {
      for (; index * CHUNK_LINES < upload.rows.length; index++) {
        const chunk = upload.rows.slice(index * CHUNK_LINES, (index + 1) * CHUNK_LINES);
        await onLedger(c.env, (ledger) => ledger.jobs().commitChunk(jobId, index, chunk));
      }
    } catch (error) {
      if (!(error instanceof HttpFailure)) throw error;
      // What was committed stays committed; resubmitting the same body with the same key completes the job.
      fail("ledger_unavailable", `the ledger failed after ${index * CHUNK_LINES} records; resubmit the same body with the same Idempotency-Key`, {
        job_id: jobId,
      });
    }
    const counts = await onLedger(c.env, (ledger) => ledger.jobs().complete(jobId), "the job");
    logEvent("bulk.accepted", { job_id: jobId, lines: counts.lines, accepted: counts.accepted, rejected: counts.rejected });
    return c.json(answer(jobId, counts, false), 202);
  },
);

function answer(jobId: string, counts: JobCounts, duplicate: boolean) {
  return { job_id: jobId, ...counts, ...(duplicate ? { duplicate: true } : {}) };
}

bulkRoutes.get(
  "/jobs",
  apiDoc({
    summary: "Bulk jobs, newest first",
    tag: "jobs",
    ok: { 200: { description: "one page", schema: JobListSchema } },
  }),
  validate("query", JobsQuerySchema),
  async function listJobs(c) {
    const { limit, cursor } = c.req.valid("query");
    return c.json(await onLedger(c.env, (ledger) => ledger.jobs().list(limit, cursor)));
  },
);

bulkRoutes.get(
  `/jobs/${JOB_ID}`,
  apiDoc({
    summary: "One job's progress",
    pathParams: JOB_ID_PARAM,
    description:
      "Percent done, completed_at, the rate over the last minute, an ETA at the configured pace, and why it waits when it does (a 429 pause, a token hold, urgent calls first).",
    tag: "jobs",
    ok: { 200: { description: "the job", schema: JobViewSchema } },
    errors: ["not_found"],
  }),
  noQuery(),
  async function showJob(c) {
    const job = await onLedger(c.env, (ledger) => ledger.jobs().status(c.req.param("id")));
    return job ? c.json(job) : fail("not_found", "no job with that id");
  },
);

bulkRoutes.post(
  `/jobs/${JOB_ID}/retry`,
  apiDoc({
    summary: "Re-drive a job's failed revocations",
    pathParams: JOB_ID_PARAM,
    description: "Each failed revocation of the job is re-queued with a fresh retry budget; token holds are lifted.",
    tag: "jobs",
    ok: { 202: { description: "how many were re-queued", schema: JobRetrySchema } },
    errors: ["not_found"],
  }),
  noQuery(),
  async function retryJob(c) {
    const jobId = c.req.param("id");
    const requeued = await onLedger(c.env, (ledger) => ledger.jobs().retry(jobId), "the retry");
    if (requeued === null) fail("not_found", "no job with that id");
    // A retry that found nothing failed changed nothing (the holds stay too): nothing to audit.
    if (requeued > 0) {
      auditOperatorAction(c, {
        action: "job_retried",
        target: jobId,
        detail: `${requeued} failed revocation(s) re-queued with a fresh retry budget; every token hold lifted`,
      });
    }
    return c.json({ job_id: jobId, requeued }, 202);
  },
);
