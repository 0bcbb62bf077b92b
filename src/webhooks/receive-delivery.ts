// POST /webhooks/{source}: body limit → find the source → read the raw body → verify (before any JSON
// parse) → parse into identity events → commit to the ledger → answer. GET /webhooks/{source} serves only
// a source's verification handshake (Okta), after the same authentication.
// Trust boundary: nothing from the body is read before the delivery verifies; a refused delivery gets
// a deliberately vague 401 while the precise reason goes to the request log and the ledger's hourly
// rejection counts (http/delivery-report.ts). A verified delivery is the source's last accepted one: noted
// in its commit's transaction, or reported in the background when it commits nothing (a handshake, an
// ignored event).
import { type Context, Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../context";
import type { IdentityEvent, ObservedIdentity } from "../domain/identity-events";
import { RevocationStatusSchema } from "../domain/revocation";
import { observations, revocationRequests } from "../domain/revocation-requests";
import { limitBody } from "../http/body";
import { reportAcceptance, reportRejection } from "../http/delivery-report";
import { answerJsonError, fail } from "../http/errors";
import { onLedger } from "../http/ledger";
import { apiDoc } from "../http/openapi";
import { logEvent } from "../log";
import { findSource, type IdentitySource, type VerificationFailure } from "../sources/registry";
import { verifyOnChannel } from "./channel-tokens";

const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

export const webhookRoutes = new Hono<AppEnv>();

webhookRoutes.onError(answerJsonError);
const ReceiptSchema = z.object({ id: z.string(), status: RevocationStatusSchema, duplicate: z.optional(z.literal(true)) });
const DeliveryAnswerSchema = z.union([
  ReceiptSchema,
  z.object({ revocations: z.array(ReceiptSchema), ignored: z.array(z.string()) }),
  z.object({ ignored: z.literal(true), reason: z.string(), directory_updated: z.optional(z.number()) }),
  // A handshake: Okta's verification challenge answered, Google's sync message acknowledged.
  z.object({ verification: z.string() }),
  z.object({ ok: z.literal(true), sync: z.literal(true) }),
]);

webhookRoutes.on(
  ["GET", "POST"],
  "/:source",
  apiDoc({
    summary: "A provider's signed delivery (GET only for Okta's verification challenge)",
    description:
      "`source` is one of standard, workos, okta, clerk, zitadel, keycloak, google, hmac; a source is on when its WEBHOOK_SECRET_<SOURCE> is set. The body is the provider's own event; it is verified before it is read.",
    tag: "webhooks",
    auth: "none",
    body: { mediaTypes: ["application/json"], description: "the provider's event, byte for byte as signed" },
    ok: {
      202: { description: "accepted and committed (Okta: 200, as Okta asks)", schema: DeliveryAnswerSchema },
      200: { description: "a duplicate, an ignored event, or a handshake", schema: DeliveryAnswerSchema },
    },
    errors: [
      "invalid_signature",
      "malformed_json",
      "invalid_request",
      "payload_too_large",
      "not_found",
      "refused",
      "ledger_unavailable",
      "method_not_allowed",
    ],
  }),
  limitBody(MAX_WEBHOOK_BODY_BYTES),
  async function receiveDelivery(c) {
    const config = c.get("config");
    const found = findSource(c.req.param("source"), config);
    // The list of sources is public (this code); saying which secret turns one on tells an attacker nothing.
    if (found.state === "off") fail("not_found", `the ${c.req.param("source")} source is off: set ${found.variable} to turn it on`);
    if (found.state === "unknown") fail("not_found", "unknown webhook source");
    const { source } = found;
    if (c.req.method === "GET" && !source.handshake) fail("method_not_allowed", "use POST", undefined, { Allow: "POST" });

    const body = new Uint8Array(await c.req.arrayBuffer());
    const delivery = { method: c.req.method, headers: c.req.raw.headers, body };
    const now = Date.now();
    const verifyWith = (secrets: string[]) => source.verify(delivery, { secrets, now, toleranceSeconds: config.signatureToleranceSeconds });
    // A channel the Worker keeps: the tokens of its channels (the current, the one it replaced until stopped, the next).
    const verification = found.channel === undefined ? await verifyWith(found.secrets) : await verifyOnChannel(c.env, found.channel, now, verifyWith);
    if (!verification.ok) {
      auditRejection(c, source.name, verification, now);
      fail("invalid_signature", "the delivery could not be verified");
    }

    const handshake = source.handshake?.(delivery);
    if (handshake) {
      reportAcceptance(c, source.name, now);
      return c.json(handshake.body, handshake.status);
    }
    if (c.req.method === "GET") fail("invalid_request", "not a verification request");

    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
    } catch {
      fail("malformed_json", "the body is not valid UTF-8 JSON");
    }
    const result = source.parse(json, {
      deliveryId: verification.deliveryId,
      now,
      toleranceSeconds: config.signatureToleranceSeconds,
      maxEventAgeSeconds: config.keycloakMaxEventAgeSeconds,
      groupRemoval: config.groupRemoval,
    });
    if (result.kind === "invalid") fail("invalid_request", result.message);
    if (result.ignored.length > 0) {
      logEvent("webhook.ignored", { source: source.name, delivery_id: verification.deliveryId, reasons: result.ignored });
    }
    if (result.events.length === 0 && result.observed.length === 0) {
      reportAcceptance(c, source.name, now);
      return c.json({ ignored: true, reason: result.ignored.join("; ") || "no deprovisioning event" }, 200);
    }
    return commitEvents(c, source, result.events, result.observed, result.ignored);
  },
);

async function commitEvents(c: Context<AppEnv>, source: IdentitySource, events: IdentityEvent[], observed: ObservedIdentity[], ignored: string[]) {
  const learning = observations(source.name, observed);
  if (events.length === 0) {
    // Only identities to learn, each once per event: a replay updates nothing (directory_updated 0).
    const learned = await onLedger(c.env, (ledger) => ledger.observe(learning), "the delivery");
    return c.json({ ignored: true, reason: ignored.join("; ") || "no deprovisioning event", directory_updated: learned }, 200);
  }
  const requests = revocationRequests({ source: source.name, assurance: source.assurance }, events);
  const results = await onLedger(c.env, (ledger) => ledger.commit(requests, learning), "the delivery");
  const answers = results.map(({ id, status, duplicate }) => (duplicate ? { id, status, duplicate: true } : { id, status }));
  // A refused event is recorded, and answered as a failure so the sender's own log shows it too.
  if (results.some((result) => result.status === "refused")) {
    fail("refused", "the event was recorded but refused; see the revocation record", { revocations: answers, ignored });
  }
  const allDuplicates = results.every((result) => result.duplicate);
  const status = allDuplicates ? 200 : (source.acceptedStatus ?? 202);
  if (answers.length === 1 && ignored.length === 0) return c.json(answers[0], status);
  return c.json({ revocations: answers, ignored }, status);
}

function auditRejection(c: Context<AppEnv>, source: string, failure: VerificationFailure, now: number): void {
  const { reason, ...detail } = failure;
  logEvent("webhook.rejected", { source, reason, ...detail, ip: c.req.header("cf-connecting-ip") ?? null });
  reportRejection(c, source, reason, now);
}
