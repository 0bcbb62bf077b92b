// /v1/alerts: a test alert, so an operator sees ALERT_WEBHOOK_URL work (and its signature check, with
// ALERT_WEBHOOK_SECRET) before a real one is needed. It goes through the ledger's outbox like every alert and
// the answer waits for its first attempt: 200 when it was delivered, 202 when it was not (`last_error` says
// why; it is retried like any alert).
import { Hono } from "hono";
import type { AppEnv } from "../context";
import { AlertTestSchema } from "../domain/views";
import { fail } from "../http/errors";
import { onLedger } from "../http/ledger";
import { apiDoc } from "../http/openapi";
import { noQuery } from "../http/validate";

export const alertRoutes = new Hono<AppEnv>();

alertRoutes.post(
  "/test",
  apiDoc({
    summary: "Send a test alert",
    description:
      "Queues a test alert for ALERT_WEBHOOK_URL and waits for its first attempt (at most 10 s). 200: delivered; 202: not yet (`last_error` says why; it is retried with backoff). 409 `alerts_off` when ALERT_WEBHOOK_URL is unset.",
    tag: "alerts",
    ok: {
      200: { description: "delivered", schema: AlertTestSchema },
      202: { description: "queued, not delivered yet", schema: AlertTestSchema },
    },
    errors: ["alerts_off"],
  }),
  noQuery(),
  async function sendTestAlert(c) {
    const answer = await onLedger(c.env, (ledger) => ledger.alerts().test(), "the test alert");
    if (!answer) fail("alerts_off", "ALERT_WEBHOOK_URL is not set: there is nowhere to send alerts");
    return c.json(answer, answer.state === "sent" ? 200 : 202);
  },
);
