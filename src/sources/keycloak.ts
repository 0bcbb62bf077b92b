// Keycloak admin events through the keycloak-events extension (p2-inc/keycloak-events), its
// `ext-event-webhook` listener (the webhook whose payload carries a "uid"; the separate `ext-event-http`
// listener sends no uid and is not supported): `X-Keycloak-Signature` is the hex HMAC-SHA256 of the raw
// body keyed with the webhook's secret (some deployments prefix "sha256="). There is no timestamp header.
// - Replays are bounded by de-duplicating on the event's "uid" (forever: the ledger keeps every id).
// - The event's own "time" (unix ms) bounds its age. keycloak-events retries a failed delivery with the
//   same body and the original time for up to 900 s by default (longer if configured), so the maximum
//   age is KEYCLOAK_MAX_EVENT_AGE_SECONDS (default 3600 s), not the 300 s signature tolerance; an event
//   from the future beyond SIGNATURE_TOLERANCE_SECONDS is refused too. A refused deprovisioning event is
//   recorded (status "refused") and answered with a failure status, never dropped silently.
// - Body: {"uid", "time", "realmId", "type": "admin.USER-UPDATE", "operationType", "resourcePath": "users/<id>",
//   "resourceId"?, "representation": "<the user as a JSON string>", "authDetails": {the admin}}.
// - Acted on: admin.USER-UPDATE whose representation has enabled: false; admin.USER-DELETE (id only →
//   directory). admin.USER-CREATE / -UPDATE feed the directory with representation.email.
import * as z from "zod/mini";
import { fromHex, utf8, verifyHmac } from "./hmac";
import { type IdentitySource, observedIdentity, parsed, validEvents } from "./source";

const HEADER = "X-Keycloak-Signature";

const EventSchema = z.looseObject({
  uid: z.string(),
  time: z.number(),
  type: z.string(),
  realmId: z.optional(z.string()),
  resourcePath: z.optional(z.string()),
  resourceId: z.optional(z.string()),
  representation: z.optional(z.nullable(z.string())),
});
const RepresentationSchema = z.looseObject({
  id: z.optional(z.string()),
  email: z.optional(z.string()),
  enabled: z.optional(z.boolean()),
});

function subjectOf(event: z.infer<typeof EventSchema>): string | undefined {
  if (event.resourceId) return event.resourceId;
  const match = /^users\/([^/]+)$/.exec(event.resourcePath ?? "");
  return match?.[1];
}

export const keycloakSource: IdentitySource = {
  name: "keycloak",
  assurance: "signed",
  async verify(delivery, context) {
    const header = delivery.headers.get(HEADER);
    if (!header) return { ok: false, reason: "missing_header", header: HEADER };
    const signature = fromHex(header.trim().replace(/^sha256=/i, ""));
    if (!signature) return { ok: false, reason: "signature_mismatch" };
    const matched = await verifyHmac({ secrets: context.secrets.map(utf8), hash: "SHA-256", message: delivery.body, signatures: [signature] });
    return matched ? { ok: true, deliveryId: null } : { ok: false, reason: "signature_mismatch" };
  },
  parse(json, context) {
    const event = EventSchema.safeParse(json);
    if (!event.success) return { kind: "invalid", message: "not a keycloak-events event (needs uid, time, type)" };
    const ageSeconds = Math.round((context.now - event.data.time) / 1000);
    const refusal =
      ageSeconds > context.maxEventAgeSeconds
        ? `the event is ${ageSeconds} s old, beyond KEYCLOAK_MAX_EVENT_AGE_SECONDS (${context.maxEventAgeSeconds} s)`
        : -ageSeconds > context.toleranceSeconds
          ? `the event time is ${-ageSeconds} s in the future, beyond SIGNATURE_TOLERANCE_SECONDS (${context.toleranceSeconds} s)`
          : null;
    const { type } = event.data;
    if (type !== "admin.USER-UPDATE" && type !== "admin.USER-DELETE" && type !== "admin.USER-CREATE") {
      return parsed([], [], [`event ${type} is not a user admin event`]);
    }
    const subject = subjectOf(event.data);
    let representation: z.infer<typeof RepresentationSchema> = {};
    if (event.data.representation) {
      try {
        const candidate = RepresentationSchema.safeParse(JSON.parse(event.data.representation));
        if (candidate.success) representation = candidate.data;
      } catch {
        // An unreadable representation is treated as absent; a delete needs none.
      }
    }
    // A refused event still teaches nothing: its age is the very thing in doubt.
    const observed = refusal ? [] : observedIdentity(subject ?? representation.id, representation.email);
    const deprovisioned = type === "admin.USER-DELETE" || (type === "admin.USER-UPDATE" && representation.enabled === false);
    if (!deprovisioned) return parsed([], observed, [`event ${type} does not disable the user${refusal ? `, and ${refusal}` : ""}`]);
    const ignored: string[] = [];
    const candidate = {
      event_id: event.data.uid,
      event_type: type,
      email: representation.email,
      subject_id: subject ?? representation.id,
      reason: type === "admin.USER-DELETE" ? "deleted" : "disabled",
    };
    const events = validEvents([candidate], ignored);
    return parsed(refusal ? events.map((found) => ({ ...found, refusal: { status: "refused", detail: refusal } })) : events, observed, ignored);
  },
};
