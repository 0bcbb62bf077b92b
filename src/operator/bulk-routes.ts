// POST /v1/revocations/bulk and GET /v1/jobs/{id}: offboarding thousands of people at the API's pace.
// The Worker only splits the body into chunks; the ledger validates and commits each chunk in one
// transaction, so a 10,000-line job costs ten Durable Object calls (well inside the Free plan's 50
// subrequests) and almost no Worker CPU. Lines are NDJSON ({"email", "user_uid"?, "reason"?}) or CSV
// (email[,user_uid[,reason]], header optional).
import { Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../context";
import { jsonError } from "../errors";
import { ledgerFor } from "../ledger/client";
import type { JobCounts } from "../ledger/bulk";
import { logEvent } from "../log";
import { operatorBodyLimit } from "./body";

export const MAX_BULK_BYTES = 5 * 1024 * 1024;
export const MAX_BULK_LINES = 50_000;
const CHUNK_LINES = 1000;

const JobIdSchema = z.string().check(z.regex(/^job_[A-Za-z0-9_-]{1,64}$/));
const IdempotencyKeySchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/));

export const bulkRoutes = new Hono<AppEnv>();

bulkRoutes.post("/revocations/bulk", operatorBodyLimit(MAX_BULK_BYTES), async function submitBulk(c) {
  const key = c.req.header("Idempotency-Key");
  if (key !== undefined && !IdempotencyKeySchema.safeParse(key).success) {
    return jsonError(c, 400, "invalid_request", "Idempotency-Key must be 1 to 64 of A-Z a-z 0-9 _ -");
  }
  // The same key is the same job: a retried submission adds nothing new (lines de-duplicate by email).
  const jobId = `job_${key ?? crypto.randomUUID().replace(/-/g, "")}`;
  const lines = (await c.req.text()).split(/\r?\n/);
  if (lines.length > MAX_BULK_LINES) return jsonError(c, 413, "payload_too_large", `at most ${MAX_BULK_LINES} lines`);
  const ledger = ledgerFor(c.env);
  const total: JobCounts = { lines: 0, accepted: 0, duplicates: 0, rejected: 0, rejections: [] };
  for (let start = 0; start < lines.length; start += CHUNK_LINES) {
    let counts: JobCounts;
    try {
      counts = await ledger.bulkCommit(jobId, lines.slice(start, start + CHUNK_LINES), start + 1);
    } catch (error) {
      logEvent("ledger.commit_failed", { source: "bulk", job_id: jobId, committed_lines: start, error: String(error) });
      // What was committed stays committed; resubmitting with the same Idempotency-Key completes the job.
      return jsonError(c, 503, "ledger_unavailable", `committed ${start} lines before the ledger failed; resubmit with the same Idempotency-Key`, { job_id: jobId });
    }
    total.lines += counts.lines;
    total.accepted += counts.accepted;
    total.duplicates += counts.duplicates;
    total.rejected += counts.rejected;
    total.rejections.push(...counts.rejections);
  }
  if (total.lines === 0) return jsonError(c, 400, "invalid_request", "no lines to revoke");
  logEvent("bulk.accepted", { job_id: jobId, lines: total.lines, accepted: total.accepted, rejected: total.rejected });
  return c.json({ job_id: jobId, ...total, rejections: total.rejections.slice(0, 100) }, 202);
});

bulkRoutes.get("/jobs/:id", async function showJob(c) {
  const id = JobIdSchema.safeParse(c.req.param("id"));
  const job = id.success ? await ledgerFor(c.env).jobStatus(id.data) : null;
  if (!job) return jsonError(c, 404, "not_found", "no job with that id");
  return c.json(job);
});
