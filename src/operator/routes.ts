// /v1: the operator API. authenticate → validate at the edge → one ledger call → answer.
import { Hono } from "hono";
import { listAuditTrail } from "../audit/audit-log";
import type { AppEnv } from "../context";
import { jsonError } from "../errors";
import { ledgerFor } from "../ledger/client";
import { TERMINAL_STATUSES } from "../ledger/record";
import { logEvent } from "../log";
import * as z from "zod/mini";
import { describeIssues, EmailSchema } from "../validation";
import { requireOperator } from "./auth";
import { sha256Hex, utf8 } from "../sources/hmac";
import { operatorBodyLimit, readJsonBody } from "./body";
import { bulkRoutes } from "./bulk-routes";
import { directoryRoutes } from "./directory-routes";

const MAX_OPERATOR_BODY_BYTES = 64 * 1024;
/** POST /v1/revocations waits this long for the outcome before answering 202. */
export const OPERATOR_WAIT_MS = 10_000;

const RevokeRequestSchema = z.strictObject({
  email: EmailSchema,
  user_uid: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  devices: z.optional(z.boolean()),
  warp_session_reauth: z.optional(z.boolean()),
  reason: z.optional(z.string().check(z.maxLength(500))),
});

const StatusSchema = z.enum(["unresolved", "queued", "revoked", "not_found", "failed", "dry_run", "invalid_email", "refused"]);

const limitParam = (fallback: number, max: number) =>
  z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(max)), fallback);

const ListQuerySchema = z.object({
  email: z.optional(EmailSchema),
  status: z.optional(StatusSchema),
  limit: limitParam(50, 100),
  cursor: z.optional(
    z.pipe(
      z.string().check(z.regex(/^\d{1,15}$/, "not a cursor from a previous page")),
      z.transform((cursor: string) => Number(cursor)),
    ),
  ),
});

const AuditQuerySchema = z.object({
  email: z.optional(EmailSchema),
  rejected: z.optional(z.enum(["true", "false"])),
  limit: limitParam(100, 1000),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2000))),
});

const IdSchema = z.string().check(z.regex(/^rev_[0-9a-f]{32}$/));
const IdempotencyKeySchema = z.string().check(z.minLength(1), z.maxLength(200));

export const operatorRoutes = new Hono<AppEnv>();

operatorRoutes.use("*", requireOperator);
operatorRoutes.route("/directory", directoryRoutes);
operatorRoutes.route("/", bulkRoutes);

operatorRoutes.post("/revocations", operatorBodyLimit(MAX_OPERATOR_BODY_BYTES), async function requestRevocation(c) {
  const body = await readJsonBody(c);
  if (!body.ok) return body.response;
  const parsed = RevokeRequestSchema.safeParse(body.value);
  if (!parsed.success) return jsonError(c, 400, "invalid_request", describeIssues(parsed.error));
  const idempotencyKey = c.req.header("Idempotency-Key");
  if (idempotencyKey !== undefined && !IdempotencyKeySchema.safeParse(idempotencyKey).success) {
    return jsonError(c, 400, "invalid_request", "Idempotency-Key must be 1 to 200 characters");
  }
  const ledger = ledgerFor(c.env);
  const request = {
    email: parsed.data.email,
    user_uid: parsed.data.user_uid ?? null,
    reason: parsed.data.reason ?? null,
    devices: parsed.data.devices,
    warp_session_reauth: parsed.data.warp_session_reauth,
  };
  let committed;
  try {
    [committed] = await ledger.commit([
      {
        source: "operator",
        assurance: "operator",
        event_id: idempotencyKey ?? crypto.randomUUID(),
        event_type: "operator.revoke",
        ...request,
        // What this key is used for: the same key with another body must not pass as a repeat.
        fingerprint: await sha256Hex(utf8(JSON.stringify([request.email, request.user_uid, request.reason, request.devices ?? null, request.warp_session_reauth ?? null]))),
      },
    ]);
  } catch (error) {
    logEvent("ledger.commit_failed", { source: "operator", error: String(error) });
    return jsonError(c, 503, "ledger_unavailable", "the revocation could not be recorded; retry");
  }
  if (committed!.conflict) {
    return jsonError(
      c,
      409,
      "idempotency_conflict",
      `the Idempotency-Key was already used for a different request: revocation ${committed!.id} of ${committed!.conflict.email ?? "an unresolved subject"}`,
      { used_for: { id: committed!.id, email: committed!.conflict.email } },
    );
  }
  // The record once terminal, or as it stands when the wait ends (null only for an unknown id).
  const record = await ledger.waitForOutcome(committed!.id, OPERATOR_WAIT_MS);
  if (!record) throw new Error(`revocation ${committed!.id} was committed but cannot be read`);
  const answer = committed!.duplicate ? { ...record, duplicate: true } : record;
  return c.json(answer, TERMINAL_STATUSES.has(record.status) ? 200 : 202);
});

operatorRoutes.get("/revocations", async function listRevocations(c) {
  const query = ListQuerySchema.safeParse(c.req.query());
  if (!query.success) return jsonError(c, 400, "invalid_request", describeIssues(query.error));
  const page = await ledgerFor(c.env).list(query.data);
  return c.json({ records: page.records, cursor: page.cursor === null ? null : String(page.cursor) });
});

operatorRoutes.get("/revocations/:id", async function showRevocation(c) {
  const id = IdSchema.safeParse(c.req.param("id"));
  const record = id.success ? await ledgerFor(c.env).get(id.data) : null;
  if (!record) return jsonError(c, 404, "not_found", "no revocation with that id");
  return c.json(record);
});

operatorRoutes.post("/revocations/:id/retry", operatorBodyLimit(MAX_OPERATOR_BODY_BYTES), async function retryRevocation(c) {
  const id = IdSchema.safeParse(c.req.param("id"));
  if (!id.success) return jsonError(c, 404, "not_found", "no revocation with that id");
  const result = await ledgerFor(c.env).retry(id.data);
  if (result.ok) return c.json(result.record, 202);
  if (!result.record) return jsonError(c, 404, "not_found", "no revocation with that id");
  return jsonError(c, 409, "not_retryable", `only a failed revocation can be retried; this one is ${result.record.status}`);
});

operatorRoutes.get("/stats", async function showStats(c) {
  return c.json(await ledgerFor(c.env).stats());
});

operatorRoutes.get("/audit", async function listAudit(c) {
  const query = AuditQuerySchema.safeParse(c.req.query());
  if (!query.success) return jsonError(c, 400, "invalid_request", describeIssues(query.error));
  const listing = await listAuditTrail(c.env.AUDIT_LOG, {
    email: query.data.email,
    rejected: query.data.rejected === "true",
    limit: query.data.limit,
    cursor: query.data.cursor,
  });
  return c.json(listing);
});
