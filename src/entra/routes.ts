// POST /webhooks/entra: Microsoft Graph's change notifications and lifecycle notifications for the subscription
// the Worker keeps on `users` (subscription.ts), and Graph's validation of that URL.
// - Validation (`?validationToken=…`, sent when the subscription is created, for the notification and the
//   lifecycle URL, which are this one URL): 200, text/plain, the token as sent (URL-decoded), nothing else; at
//   most MAX_VALIDATION_TOKEN_CHARS printable characters (Graph's are far shorter), else 400. Answered without
//   the ledger, well within Graph's 10 s. Answering it proves only that this is the URL: it grants nothing.
// - A notification: body limit → the collection read item by item, each verified by its clientState against the
//   subscription's (notifications.ts; the clientStates kept a minute per isolate, known-secrets.ts) → the
//   accepted ones committed to the ledger → 202, within Graph's 3 s: the users are read from Graph afterwards
//   (lookups.ts, in this invocation's waitUntil and, for any left, by the Cron Trigger). A batch of which no
//   item verifies is answered 401 and commits nothing (Graph delivers again what was genuine); refusals are
//   counted per reason with every source's (http/delivery-report.ts).
// - The ledger out of reach: 503, so Graph delivers again (for up to 4 hours), as its guide asks for a
//   notification that was not persisted.
// Trust boundary: nothing a notification says is believed beyond "look at this user": what revokes is the
// Worker's own read of the user from Graph.
import { type Context, Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../context";
import { limitBody, readJson } from "../http/body";
import { reportAcceptance, reportRejection } from "../http/delivery-report";
import { answerJsonError, fail } from "../http/errors";
import { onLedger } from "../http/ledger";
import { apiDoc } from "../http/openapi";
import { validate } from "../http/validate";
import { logEvent } from "../log";
import { knownSecrets, rereadSecrets } from "./known-secrets";
import { readNotifications } from "./notifications";
import { afterNotifications } from "./run";

const MAX_BODY_BYTES = 256 * 1024;
const MAX_VALIDATION_TOKEN_CHARS = 1024;
const SOURCE = "entra";

const QuerySchema = z.strictObject({
  validationToken: z.optional(
    z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(MAX_VALIDATION_TOKEN_CHARS),
        z.regex(/^[\x20-\x7e]+$/, "must be printable ASCII (Graph's validation tokens are)"),
      ),
  ),
});
const AnswerSchema = z.object({ accepted: z.number(), refused: z.number() });

export const entraRoutes = new Hono<AppEnv>();

entraRoutes.onError(answerJsonError);

entraRoutes.post(
  "/",
  apiDoc({
    summary: "Microsoft Graph change and lifecycle notifications for Entra ID users, and Graph's URL validation",
    description:
      "The Worker's own Graph subscription on `users` notifies here (on when ENTRA_TENANT_ID, ENTRA_CLIENT_ID, a credential and PUBLIC_URL are set). `?validationToken=` is answered 200 text/plain with the token. A notification is verified item by item by its clientState and committed before the 202; the users are then read from Graph. See docs/providers.md.",
    tag: "webhooks",
    auth: "none",
    body: { mediaTypes: ["application/json", "text/plain"], description: "a changeNotificationCollection; empty for a validation request" },
    ok: {
      200: { description: "the validation token, as sent", mediaType: "text/plain" },
      202: { description: "accepted and committed: how many items were, and how many were refused", schema: AnswerSchema },
    },
    errors: ["not_found", "invalid_request", "malformed_json", "invalid_signature", "payload_too_large", "ledger_unavailable"],
  }),
  validate("query", QuerySchema),
  limitBody(MAX_BODY_BYTES),
  async function receiveGraphNotification(c) {
    const entra = c.get("config").entra;
    if (entra === null) fail("not_found", "the entra source is off: set ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET and PUBLIC_URL");
    const token = c.req.valid("query").validationToken;
    if (token !== undefined) {
      reportAcceptance(c, SOURCE, Date.now());
      return c.text(token, 200, { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store" });
    }

    const json = await readJson(c);
    const now = Date.now();
    const context = { tenantId: entra.tenantId, secrets: await knownSecrets(c.env, now) };
    let read = await readNotifications(json, context);
    if (!read.ok) {
      refusal(c, "malformed", now);
      fail("invalid_request", read.detail);
    }
    // A clientState not among those kept may be a subscription's created a moment ago: read them again (gated).
    const reread = read.refused.some((reason) => reason === "unknown_subscription" || reason === "client_state_mismatch")
      ? rereadSecrets(c.env, now)
      : null;
    if (reread !== null) read = await readNotifications(json, { ...context, secrets: await reread });
    if (!read.ok) fail("invalid_request", read.detail);
    for (const reason of new Set(read.refused)) refusal(c, reason, now);
    if (read.changes.length + read.lifecycle.length === 0) fail("invalid_signature", "the notification could not be verified");
    const work = await onLedger(c.env, (ledger) => ledger.entra().receive({ changes: read.changes, lifecycle: read.lifecycle }), "the notification");
    logEvent("entra.notified", { users: read.changes.length, lifecycle: read.lifecycle, refused: read.refused.length });
    c.executionCtx.waitUntil(
      afterNotifications(c.env, { lookups: work.lookups, lifecycle: read.lifecycle }).catch((error: unknown) =>
        logEvent("entra.after_notification_failed", { error: String(error).slice(0, 200) }),
      ),
    );
    return c.json({ accepted: read.changes.length + read.lifecycle.length, refused: read.refused.length }, 202);
  },
);

function refusal(c: Context<AppEnv>, reason: string, now: number): void {
  logEvent("entra.rejected", { reason, ip: c.req.header("cf-connecting-ip") ?? null });
  reportRejection(c, SOURCE, reason, now);
}
