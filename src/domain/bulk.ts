// Bulk offboarding records: one uploaded record (as operator/upload.ts reads it), its validation, and the
// counts a job answers. Contract: pure.
import * as z from "zod/mini";
import { describeIssues, EmailSchema } from "./validation";

const BulkLineSchema = z.object({
  email: EmailSchema,
  user_uid: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  reason: z.optional(z.string().check(z.maxLength(500))),
});
export type BulkLine = z.infer<typeof BulkLineSchema>;

/** One record of an upload: its fields as an object, or why it could not be read. `line` counts from 1. */
export type UploadRow = { line: number; value: unknown } | { line: number; error: string };

/** One record of an upload, validated: an email, optionally a user uid and a reason. */
export function validateBulkRow(row: UploadRow): { ok: true; value: BulkLine } | { ok: false; reason: string } {
  if ("error" in row) return { ok: false, reason: row.error };
  const parsed = BulkLineSchema.safeParse(row.value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: describeIssues(parsed.error) };
}

export const JobCountsSchema = z.object({
  lines: z.number(),
  accepted: z.number(),
  duplicates: z.number(),
  rejected: z.number(),
  rejections: z.array(z.object({ line: z.number(), reason: z.string() })),
});
export type JobCounts = z.infer<typeof JobCountsSchema>;

/** The answer to POST /v1/revocations/bulk; `duplicate` when the same body came again under the same key. */
export const JobAnswerSchema = z.extend(JobCountsSchema, { job_id: z.string(), duplicate: z.optional(z.literal(true)) });
export type JobAnswer = z.infer<typeof JobAnswerSchema>;

/** A bulk job's id: "job_" and the Idempotency-Key it was submitted with (or a generated one). */
export const JOB_ID_PATTERN = "job_[A-Za-z0-9_-]{1,64}";

/** Where a page of GET /v1/jobs ends: the last job's creation time and id, written `<ms>.<job id>`. */
export type JobCursor = { created_at: number; id: string };
export const jobCursorText = (cursor: JobCursor) => `${cursor.created_at}.${cursor.id}`;
const JOB_CURSOR = new RegExp(`^(\\d{1,15})\\.(${JOB_ID_PATTERN})$`);

/** A jobs-list cursor read back (at the edge); null when it is not one. */
export function parseJobCursor(raw: string): JobCursor | null {
  const match = JOB_CURSOR.exec(raw);
  return match ? { created_at: Number(match[1]), id: match[2]! } : null;
}

export const emptyCounts = (): JobCounts => ({ lines: 0, accepted: 0, duplicates: 0, rejected: 0, rejections: [] });
