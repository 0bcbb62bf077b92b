// /v1: the operator API. authenticate → validate at the edge → one ledger call → answer.
// Failures are raised (http/errors.ts) and rendered once by this sub-app's error handler.
import { Hono } from "hono";
import * as z from "zod/mini";
import { listAuditTrail } from "../audit/audit-log";
import type { AppEnv } from "../context";
import { RevocationStatusSchema, TERMINAL_STATUSES } from "../domain/revocation";
import { describeIssues, EmailSchema } from "../domain/validation";
import { requireBearer } from "../http/bearer-auth";
import { limitBody, readJson } from "../http/body";
import { answerJsonError, fail, renderFailure } from "../http/errors";
import { onLedger } from "../http/ledger";
import { validate } from "../http/validate";
import { sha256Hex, utf8 } from "../sources/hmac";
import { bulkRoutes } from "./bulk-routes";
import { directoryRoutes } from "./directory-routes";

const MAX_OPERATOR_BODY_BYTES = 64 * 1024;
/** POST /v1/revocations waits this long for the outcome before answering 202. */
const OPERATOR_WAIT_MS = 10_000;

const RevokeRequestSchema = z.strictObject({
  email: EmailSchema,
  user_uid: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  devices: z.optional(z.boolean()),
  warp_session_reauth: z.optional(z.boolean()),
  reason: z.optional(z.string().check(z.maxLength(500))),
});

const limitParam = (fallback: number, max: number) => z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(max)), fallback);

const ListQuerySchema = z.object({
  email: z.optional(EmailSchema),
  status: z.optional(RevocationStatusSchema),
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

operatorRoutes.onError(answerJsonError);
operatorRoutes.use(
  "*",
  requireBearer({
    realm: "access-revoker",
    tokens: (c) => c.get("config").operatorTokens,
    unauthorized: (c) => renderFailure(c, { code: "unauthorized", message: "a valid operator bearer token is required" }),
  }),
);
operatorRoutes.route("/directory", directoryRoutes);
operatorRoutes.route("/", bulkRoutes);

function revocationId(raw: string): string {
  const id = IdSchema.safeParse(raw);
  return id.success ? id.data : fail("not_found", "no revocation with that id");
}

operatorRoutes.post("/revocations", limitBody(MAX_OPERATOR_BODY_BYTES), async function requestRevocation(c) {
  const parsed = RevokeRequestSchema.safeParse(await readJson(c));
  if (!parsed.success) fail("invalid_request", describeIssues(parsed.error));
  const idempotencyKey = c.req.header("Idempotency-Key");
  if (idempotencyKey !== undefined && !IdempotencyKeySchema.safeParse(idempotencyKey).success) {
    fail("invalid_request", "Idempotency-Key must be 1 to 200 characters");
  }
  const request = {
    email: parsed.data.email,
    user_uid: parsed.data.user_uid ?? null,
    reason: parsed.data.reason ?? null,
    devices: parsed.data.devices,
    warp_session_reauth: parsed.data.warp_session_reauth,
  };
  // What this key is used for: the same key with another body must not pass as a repeat.
  const fingerprint = await sha256Hex(
    utf8(JSON.stringify([request.email, request.user_uid, request.reason, request.devices ?? null, request.warp_session_reauth ?? null])),
  );
  const [committed] = await onLedger(
    c.env,
    (ledger) =>
      ledger.commit([
        {
          source: "operator",
          assurance: "operator",
          event_id: idempotencyKey ?? crypto.randomUUID(),
          event_type: "operator.revoke",
          ...request,
          fingerprint,
        },
      ]),
    "the revocation",
  );
  if (!committed) throw new Error("the ledger answered no receipt");
  if (committed.conflict) {
    fail(
      "idempotency_conflict",
      `the Idempotency-Key was already used for a different request: revocation ${committed.id} of ${committed.conflict.email ?? "an unresolved subject"}`,
      { used_for: { id: committed.id, email: committed.conflict.email } },
    );
  }
  // The record once terminal, or as it stands when the wait ends (null only for an unknown id).
  const record = await onLedger(c.env, (ledger) => ledger.waitForOutcome(committed.id, OPERATOR_WAIT_MS));
  if (!record) throw new Error(`revocation ${committed.id} was committed but cannot be read`);
  return c.json(committed.duplicate ? { ...record, duplicate: true } : record, TERMINAL_STATUSES.has(record.status) ? 200 : 202);
});

operatorRoutes.get("/revocations", validate("query", ListQuerySchema), async function listRevocations(c) {
  const page = await onLedger(c.env, (ledger) => ledger.list(c.req.valid("query")));
  return c.json({ records: page.records, cursor: page.cursor === null ? null : String(page.cursor) });
});

operatorRoutes.get("/revocations/:id", async function showRevocation(c) {
  const id = revocationId(c.req.param("id"));
  const record = await onLedger(c.env, (ledger) => ledger.get(id));
  return record ? c.json(record) : fail("not_found", "no revocation with that id");
});

operatorRoutes.post("/revocations/:id/retry", limitBody(MAX_OPERATOR_BODY_BYTES), async function retryRevocation(c) {
  const id = revocationId(c.req.param("id"));
  const result = await onLedger(c.env, (ledger) => ledger.retry(id), "the retry");
  if (!result.record) fail("not_found", "no revocation with that id");
  if (!result.ok) fail("not_retryable", `only a failed revocation can be retried; this one is ${result.record.status}`);
  return c.json(result.record, 202);
});

operatorRoutes.get("/stats", async function showStats(c) {
  return c.json(await onLedger(c.env, (ledger) => ledger.stats()));
});

operatorRoutes.get("/audit", validate("query", AuditQuerySchema), async function listAudit(c) {
  const query = c.req.valid("query");
  const listing = await listAuditTrail(c.env.AUDIT_LOG, {
    email: query.email,
    rejected: query.rejected === "true",
    limit: query.limit,
    cursor: query.cursor,
  });
  return c.json(listing);
});
