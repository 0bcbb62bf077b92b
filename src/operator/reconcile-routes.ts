// The reconciliation sweep's operator routes (issue #23): start a sweep now, and acknowledge a return it
// found once the operator acted in the identity provider (until then /healthz and the page note it). Both
// are operator actions, written to the audit log with the token's keyed fingerprint (operator-actions.ts).
import { Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../context";
import { RevocationRecordSchema } from "../domain/revocation";
import { describeIssues } from "../domain/validation";
import { ReconcileViewSchema } from "../domain/views";
import { limitBody, readJson } from "../http/body";
import { fail } from "../http/errors";
import { onLedger } from "../http/ledger";
import { apiDoc } from "../http/openapi";
import { noQuery } from "../http/validate";
import { auditOperatorAction } from "./operator-actions";

const MAX_BODY_BYTES = 8 * 1024;
const REVOCATION_ID = ":id{rev_[0-9a-f]{32}}";

const AcknowledgeSchema = z.strictObject({ reason: z.string().check(z.trim(), z.minLength(1, "a reason is required"), z.maxLength(500)) });
const SweepStartedSchema = z.object({ started: z.boolean(), reconcile: ReconcileViewSchema });

export const reconcileRoutes = new Hono<AppEnv>();

reconcileRoutes.post(
  "/reconcile",
  apiDoc({
    summary: "Start a reconciliation sweep now",
    description:
      "Pages through every account's Access users in the follow-up lane (leftover pace only) and finds anyone revoked who signed in again, or holds a seat again with REMOVE_SEATS; with RECONCILE_REVOKE_RETURNS they are revoked once more. Starts even while scheduled sweeps are off after a refused token. `started: false` when one is running already. Audited.",
    tag: "drain",
    ok: {
      202: { description: "started", schema: SweepStartedSchema },
      200: { description: "a sweep is running already: where it stands", schema: SweepStartedSchema },
    },
    errors: ["dry_run"],
  }),
  noQuery(),
  limitBody(MAX_BODY_BYTES),
  async function startSweep(c) {
    if (c.get("config").dryRun) fail("dry_run", "DRY_RUN is on: a sweep would send nothing to Cloudflare");
    const answer = await onLedger(c.env, (ledger) => ledger.sweep().start(), "the sweep");
    const sweep = answer.reconcile.running ?? answer.reconcile.last;
    if (answer.started && sweep) {
      auditOperatorAction(c, {
        action: "sweep_started",
        target: String(sweep.id),
        detail: `reconciliation sweep ${sweep.id} started by an operator`,
      });
    }
    return c.json(answer, answer.started ? 202 : 200);
  },
);

reconcileRoutes.post(
  `/revocations/${REVOCATION_ID}/acknowledge`,
  apiDoc({
    summary: "Acknowledge that a revoked person came back",
    pathParams: { id: { pattern: "^rev_[0-9a-f]{32}$" } },
    description:
      "For a return the reconciliation sweep found (`returned_at`), once you acted in the identity provider: /healthz and the page stop noting it. The reason is kept on the record and written to the audit log with the token's fingerprint.",
    tag: "revocations",
    body: {
      schema: AcknowledgeSchema,
      mediaTypes: ["application/json"],
      examples: { "application/json": { reason: "disabled in Okta, ticket 4711" } },
    },
    ok: { 200: { description: "acknowledged", schema: RevocationRecordSchema } },
    errors: ["malformed_json", "payload_too_large", "not_found", "not_acknowledgeable"],
  }),
  noQuery(),
  limitBody(MAX_BODY_BYTES),
  async function acknowledgeReturn(c) {
    const parsed = AcknowledgeSchema.safeParse(await readJson(c));
    if (!parsed.success) fail("invalid_request", describeIssues(parsed.error));
    const id = c.req.param("id");
    const { answer, record } = await onLedger(c.env, (ledger) => ledger.acknowledgeReturn(id, parsed.data.reason), "the acknowledgement");
    if (!answer.ok) {
      if (answer.reason === "not_found") fail("not_found", "no revocation with that id");
      fail(
        "not_acknowledgeable",
        answer.reason === "no_return"
          ? "the sweep found no return after this revocation"
          : `this return was acknowledged at ${answer.at ?? "an earlier time"}`,
      );
    }
    auditOperatorAction(c, { action: "return_acknowledged", target: id, detail: `return acknowledged: ${parsed.data.reason}` });
    return c.json(record);
  },
);
