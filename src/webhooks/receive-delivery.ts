// POST /webhooks/{source}: body limit → find the source → read the raw body → verify (before any JSON
// parse) → parse into identity events → commit to the ledger → answer.
// Trust boundary: nothing from the body is read before the signature verifies; a refused delivery gets
// a deliberately vague 401 while the precise reason goes to the audit log and the request log.
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { recordRejection } from "../audit/audit-log";
import type { AppEnv } from "../context";
import { jsonError } from "../errors";
import { ledgerFor } from "../ledger/client";
import type { RevocationRequest } from "../ledger/ledger";
import { logEvent } from "../log";
import { enabledSource } from "../sources/registry";
import type { IdentityEvent, IdentitySource, VerificationFailure } from "../sources/source";

export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;
/** One rejection audit entry per source and reason per isolate per minute: forged floods cannot spend KV writes. */
const REJECTION_AUDIT_INTERVAL_MS = 60_000;
const lastRejectionAudit = new Map<string, number>();

export const webhookRoutes = new Hono<AppEnv>();

webhookRoutes.post(
  "/:source",
  bodyLimit({
    maxSize: MAX_WEBHOOK_BODY_BYTES,
    onError: (c) => jsonError(c, 413, "payload_too_large", `body exceeds ${MAX_WEBHOOK_BODY_BYTES} bytes`),
  }),
  async function receiveDelivery(c) {
    const config = c.get("config");
    const name = c.req.param("source");
    const enabled = enabledSource(name, config);
    if (!enabled) return jsonError(c, 404, "not_found", "unknown webhook source");
    const { source, secrets } = enabled;

    const body = new Uint8Array(await c.req.arrayBuffer());
    const now = Date.now();
    const verification = await source.verify(
      { method: c.req.method, headers: c.req.raw.headers, body },
      { secrets, now, toleranceSeconds: config.signatureToleranceSeconds },
    );
    if (!verification.ok) {
      auditRejection(c, source.name, verification, now);
      return jsonError(c, 401, "invalid_signature", "the delivery could not be verified");
    }

    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
    } catch {
      return jsonError(c, 400, "malformed_json", "the body is not valid UTF-8 JSON");
    }
    const parsed = source.parse(json, verification.deliveryId);
    if (parsed.kind === "invalid") return jsonError(c, 400, "invalid_request", parsed.message);
    if (parsed.kind === "ignored") {
      logEvent("webhook.ignored", { source: source.name, delivery_id: verification.deliveryId, reason: parsed.reason });
      return c.json({ ignored: true, reason: parsed.reason }, 200);
    }
    return commitEvents(c, source, parsed.events);
  },
);

async function commitEvents(c: Context<AppEnv>, source: IdentitySource, events: IdentityEvent[]) {
  const requests = toRequests(source, events);
  let results;
  try {
    results = await ledgerFor(c.env).commit(requests);
  } catch (error) {
    logEvent("ledger.commit_failed", { source: source.name, error: String(error) });
    return jsonError(c, 503, "ledger_unavailable", "the revocation could not be recorded; retry the delivery");
  }
  const answers = results.map(({ record, duplicate }) =>
    duplicate ? { id: record.id, status: record.status, duplicate: true } : { id: record.id, status: record.status },
  );
  const allDuplicates = results.every((result) => result.duplicate);
  if (answers.length === 1) return c.json(answers[0], allDuplicates ? 200 : 202);
  return c.json({ revocations: answers }, allDuplicates ? 200 : 202);
}

function toRequests(source: IdentitySource, events: IdentityEvent[]): RevocationRequest[] {
  return events.map((event) => ({
    source: source.name,
    assurance: source.assurance,
    event_id: event.event_id,
    event_type: event.event_type,
    email: event.email,
    user_uid: event.user_uid ?? null,
    reason: event.reason ?? null,
  }));
}

function auditRejection(c: Context<AppEnv>, source: string, failure: VerificationFailure, now: number): void {
  const { reason, ...detail } = failure;
  logEvent("webhook.rejected", { source, reason, ...detail });
  const throttleKey = `${source}:${reason}`;
  if (now - (lastRejectionAudit.get(throttleKey) ?? 0) < REJECTION_AUDIT_INTERVAL_MS) return;
  lastRejectionAudit.set(throttleKey, now);
  const write = recordRejection(
    c.env.AUDIT_LOG,
    { source, reason, detail: { ...detail, ip: c.req.header("cf-connecting-ip") ?? null } },
    { retentionDays: c.get("config").auditRetentionDays, now },
  ).catch((error) => logEvent("audit.write_failed", { source, error: String(error) }));
  c.executionCtx.waitUntil(write);
}
