// /v1: the operator API. authenticate → validate at the edge → one ledger call → answer.
// Failures are raised (http/errors.ts) and rendered once by this sub-app's error handler. Every route
// carries its description for the OpenAPI document (http/openapi.ts). Ids in paths are pattern-bound, so
// a path that is no id (GET /v1/revocations/bulk) reaches the app's 405/404 handling, not a lookup.
import { Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../context";
import { utf8 } from "../crypto/bytes";
import { sha256Hex } from "../crypto/sha256";
import { JOB_ID_PATTERN } from "../domain/bulk";
import { AnsweredRecordSchema, RecordPageSchema, RevocationRecordSchema, RevocationStatusSchema, TERMINAL_STATUSES } from "../domain/revocation";
import { describeIssues, EmailSchema } from "../domain/validation";
import { requireBearer } from "../http/bearer-auth";
import { limitBody, readJson } from "../http/body";
import { answerJsonError, fail, renderFailure } from "../http/errors";
import { onLedger } from "../http/ledger";
import { apiDoc } from "../http/openapi";
import { noQuery, validate } from "../http/validate";
import { alertRoutes } from "./alert-routes";
import { auditRoutes } from "./audit-routes";
import { bulkRoutes } from "./bulk-routes";
import { connectionRoutes } from "./connection-routes";
import { directoryRoutes } from "./directory-routes";
import { drainRoutes } from "./drain-routes";
import { auditOperatorAction } from "./operator-actions";
import { limitParam } from "./query";
import { reconcileRoutes } from "./reconcile-routes";
import { reportRoutes } from "./report-routes";

const MAX_OPERATOR_BODY_BYTES = 64 * 1024;
/** POST /v1/revocations waits this long for the outcome before answering 202. */
const OPERATOR_WAIT_MS = 10_000;
const REVOCATION_ID = ":id{rev_[0-9a-f]{32}}";
const REVOCATION_ID_PARAM = { id: { pattern: "^rev_[0-9a-f]{32}$" } };

const RevokeRequestSchema = z.strictObject({
  email: EmailSchema,
  user_uid: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  devices: z.optional(z.boolean()),
  warp_session_reauth: z.optional(z.boolean()),
  reason: z.optional(z.string().check(z.maxLength(500))),
});

const ListQuerySchema = z.strictObject({
  email: z.optional(EmailSchema),
  status: z.optional(RevocationStatusSchema),
  job_id: z.optional(z.string().check(z.regex(new RegExp(`^${JOB_ID_PATTERN}$`), "not a job id"))),
  limit: limitParam(50, 100),
  cursor: z.optional(
    z.pipe(
      z.string().check(z.regex(/^\d{1,15}$/, "not a cursor from a previous page")),
      z.transform((cursor: string) => Number(cursor)),
    ),
  ),
});

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
operatorRoutes.route("/audit", auditRoutes);
operatorRoutes.route("/reports", reportRoutes);
operatorRoutes.route("/", bulkRoutes);
operatorRoutes.route("/", drainRoutes);
operatorRoutes.route("/", reconcileRoutes);
operatorRoutes.route("/alerts", alertRoutes);
operatorRoutes.route("/", connectionRoutes);

operatorRoutes.post(
  "/revocations",
  apiDoc({
    summary: "Revoke one person now",
    description:
      "Commits the revocation (urgent lane) and waits up to 10 s for its outcome. `Idempotency-Key` makes a repeat the same revocation; the same key with a different body is 409.",
    tag: "revocations",
    body: {
      schema: RevokeRequestSchema,
      mediaTypes: ["application/json"],
      examples: { "application/json": { email: "ana@example.com", reason: "left the company" } },
    },
    ok: {
      200: { description: "finished within 10 s (any final status)", schema: AnsweredRecordSchema },
      202: { description: "committed, still queued", schema: AnsweredRecordSchema },
    },
    errors: ["malformed_json", "payload_too_large", "idempotency_conflict"],
  }),
  noQuery(),
  limitBody(MAX_OPERATOR_BODY_BYTES),
  async function requestRevocation(c) {
    const body = await readJson(c);
    const parsed = RevokeRequestSchema.safeParse(body);
    if (!parsed.success) fail("invalid_request", describeIssues(parsed.error));
    const idempotencyKey = c.req.header("Idempotency-Key");
    if (idempotencyKey !== undefined && !IdempotencyKeySchema.safeParse(idempotencyKey).success) {
      fail("invalid_request", "Idempotency-Key must be 1 to 200 characters");
    }
    const request = {
      email: parsed.data.email,
      email_as_received: String((body as { email: unknown }).email).trim(),
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
  },
);

operatorRoutes.get(
  "/revocations",
  apiDoc({
    summary: "List revocations, newest first",
    description: "Filter by email, status or bulk job; `cursor` from the previous page pages on.",
    tag: "revocations",
    ok: { 200: { description: "one page", schema: RecordPageSchema } },
  }),
  validate("query", ListQuerySchema),
  async function listRevocations(c) {
    const page = await onLedger(c.env, (ledger) => ledger.list(c.req.valid("query")));
    return c.json({ records: page.records, cursor: page.cursor === null ? null : String(page.cursor) });
  },
);

operatorRoutes.get(
  `/revocations/${REVOCATION_ID}`,
  apiDoc({
    summary: "One revocation, with every target's attempts, seat and verification",
    pathParams: REVOCATION_ID_PARAM,
    tag: "revocations",
    ok: { 200: { description: "the record", schema: RevocationRecordSchema } },
    errors: ["not_found"],
  }),
  noQuery(),
  async function showRevocation(c) {
    const id = c.req.param("id");
    const record = await onLedger(c.env, (ledger) => ledger.get(id));
    return record ? c.json(record) : fail("not_found", "no revocation with that id");
  },
);

operatorRoutes.post(
  `/revocations/${REVOCATION_ID}/retry`,
  apiDoc({
    summary: "Re-queue a failed revocation",
    pathParams: REVOCATION_ID_PARAM,
    description: "Its failed targets get a fresh 24 h retry budget; token holds are lifted.",
    tag: "revocations",
    ok: { 202: { description: "re-queued", schema: RevocationRecordSchema } },
    errors: ["not_found", "not_retryable"],
  }),
  noQuery(),
  limitBody(MAX_OPERATOR_BODY_BYTES),
  async function retryRevocation(c) {
    const id = c.req.param("id");
    const result = await onLedger(c.env, (ledger) => ledger.retry(id), "the retry");
    if (!result.record) fail("not_found", "no revocation with that id");
    if (!result.ok) fail("not_retryable", `only a failed revocation can be retried; this one is ${result.record.status}`);
    auditOperatorAction(c, {
      action: "revocation_retried",
      target: id,
      detail: "failed revocation re-queued with a fresh retry budget at its failed targets; every token hold lifted",
    });
    return c.json(result.record, 202);
  },
);
