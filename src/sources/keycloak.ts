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
// - admin.GROUP_MEMBERSHIP-DELETE (Keycloak's ResourceType GROUP_MEMBERSHIP; resourcePath
//   "users/<user id>/groups/<group id>", representation the group {"id", "name", "path"}) revokes the user,
//   resolved through the directory, when REVOKE_ON_GROUP_REMOVAL names the group by name or path.
import * as z from "zod/mini";
import { fromHex, utf8 } from "../crypto/bytes";
import { verifyHmac } from "../crypto/hmac";
import { type GroupRemovalPolicy, groupRemoval } from "../domain/groups";
import { type IdentityEvent, observedIdentity, payloadInstant, validEvents } from "../domain/identity-events";
import { type IdentitySource, type ParseResult, parsed } from "./source";

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

const GROUP_REMOVAL = "admin.GROUP_MEMBERSHIP-DELETE";
const GroupSchema = z.looseObject({ name: z.optional(z.nullable(z.string())), path: z.optional(z.nullable(z.string())) });

function jsonOf(representation: string | null | undefined): unknown {
  if (!representation) return undefined;
  try {
    return JSON.parse(representation);
  } catch {
    // An unreadable representation is treated as absent; a delete needs none.
    return undefined;
  }
}

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
    if (type === GROUP_REMOVAL) return parseGroupRemoval(event.data, refusal, context.groupRemoval);
    if (type !== "admin.USER-UPDATE" && type !== "admin.USER-DELETE" && type !== "admin.USER-CREATE") {
      return parsed([], [], [`event ${type} is not a user admin event`]);
    }
    const subject = subjectOf(event.data);
    const candidate = RepresentationSchema.safeParse(jsonOf(event.data.representation));
    const representation: z.infer<typeof RepresentationSchema> = candidate.success ? candidate.data : {};
    // A refused event still teaches nothing: its age is the very thing in doubt.
    const observed = refusal ? [] : observedIdentity(event.data.uid, subject ?? representation.id, representation.email);
    const deprovisioned = type === "admin.USER-DELETE" || (type === "admin.USER-UPDATE" && representation.enabled === false);
    if (!deprovisioned) return parsed([], observed, [`event ${type} does not disable the user${refusal ? `, and ${refusal}` : ""}`]);
    const ignored: string[] = [];
    const events = validEvents(
      [
        {
          event_id: event.data.uid,
          event_type: type,
          email: representation.email,
          subject_id: subject ?? representation.id,
          reason: type === "admin.USER-DELETE" ? "deleted" : "disabled",
          event_at: payloadInstant(event.data.time),
        },
      ],
      ignored,
    );
    return parsed(refused(events, refusal), observed, ignored);
  },
};

function refused(events: IdentityEvent[], refusal: string | null): IdentityEvent[] {
  return refusal ? events.map((found) => ({ ...found, refusal: { status: "refused", detail: refusal } })) : events;
}

/** A user left a group: revoked (by subject id, through the directory) when the policy names the group. */
function parseGroupRemoval(event: z.infer<typeof EventSchema>, refusal: string | null, policy: GroupRemovalPolicy): ParseResult {
  const subject = /^users\/([^/]+)\/groups\/[^/]+$/.exec(event.resourcePath ?? "")?.[1];
  const group = GroupSchema.safeParse(jsonOf(event.representation));
  const names = group.success ? [group.data.name, group.data.path] : [];
  const removal = groupRemoval(policy, ...names);
  if (!removal.revokes) return parsed([], [], [removal.ignored]);
  if (subject === undefined)
    return parsed([], [], [`${GROUP_REMOVAL} ${event.uid} names no user (resourcePath ${JSON.stringify(event.resourcePath ?? "")})`]);
  const ignored: string[] = [];
  const events = validEvents(
    [{ event_id: event.uid, event_type: event.type, subject_id: subject, reason: removal.reason, event_at: payloadInstant(event.time) }],
    ignored,
  );
  return parsed(refused(events, refusal), [], ignored);
}
