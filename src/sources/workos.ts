// WorkOS Directory Sync webhooks.
// - Signature: `WorkOS-Signature: t=<unix ms>, v1=<hex HMAC-SHA256 of "<t>.<raw body>">` keyed with the
//   endpoint secret (workos.com/docs/events/data-syncing/webhooks; workos-node src/webhooks/webhooks.ts,
//   whose default tolerance is 180 s and whose timestamp is in milliseconds).
// - Body: {"id": "event_…", "event": "dsync.user.deleted", "data": {directory user}, "created_at"}; a
//   directory user has "id", "emails": [{"primary", "type", "value"}], newer payloads also "email", and
//   "state": "active" | "inactive" | "suspended" (workos.com/docs/reference/directory-sync/directory-user).
// - Acted on: dsync.user.deleted; dsync.user.updated with state "inactive" or "suspended". dsync.user.created and other
//   updates only feed the directory. dsync.group.user_removed ({"directory_id", "user": directory user,
//   "group": {"id", "name", …}}; workos.com/docs/directory-sync/understanding-events) revokes when
//   REVOKE_ON_GROUP_REMOVAL names the group (or is "*").
import * as z from "zod/mini";
import { groupRemoval } from "../domain/groups";
import { observedIdentity, payloadInstant, validEvents } from "../domain/identity-events";
import { type IdentitySource, parsed } from "./source";
import { verifyTimestampedHmac } from "./timestamped-hmac";

const DirectoryUserSchema = z.looseObject({
  id: z.string(),
  email: z.optional(z.nullable(z.string())),
  emails: z.optional(z.array(z.looseObject({ primary: z.optional(z.boolean()), value: z.optional(z.string()) }))),
  state: z.optional(z.string()),
});
const GroupRemovalSchema = z.looseObject({ user: DirectoryUserSchema, group: z.looseObject({ name: z.optional(z.nullable(z.string())) }) });
// created_at: when WorkOS says the event happened (ISO 8601), the record's event_at.
const EventSchema = z.looseObject({ id: z.string(), event: z.string(), data: z.unknown(), created_at: z.optional(z.unknown()) });
/** Directory user states that end access ("inactive"; "suspended", which some directories report). */
const INACTIVE_STATES = new Set(["inactive", "suspended"]);

function primaryEmail(user: z.infer<typeof DirectoryUserSchema>): string | undefined {
  return user.email ?? user.emails?.find((email) => email.primary)?.value ?? user.emails?.[0]?.value;
}

export const workosSource: IdentitySource = {
  name: "workos",
  assurance: "signed",
  verify: (delivery, context) => verifyTimestampedHmac({ header: "WorkOS-Signature", timestampUnit: "milliseconds" }, delivery, context),
  parse(json, context) {
    const event = EventSchema.safeParse(json);
    if (!event.success) return { kind: "invalid", message: "not a WorkOS event (needs id, event, data)" };
    const { id, event: type } = event.data;
    const eventAt = payloadInstant(event.data.created_at);
    if (type === "dsync.group.user_removed") {
      const removal = GroupRemovalSchema.safeParse(event.data.data);
      if (!removal.success) return { kind: "invalid", message: "data is not a group membership (needs user and group)" };
      const email = primaryEmail(removal.data.user);
      const observed = observedIdentity(id, removal.data.user.id, email);
      const group = groupRemoval(context.groupRemoval, removal.data.group.name);
      if (!group.revokes) return parsed([], observed, [group.ignored]);
      const ignored: string[] = [];
      const candidate = {
        event_id: id,
        event_type: type,
        email: email ?? undefined,
        subject_id: removal.data.user.id,
        reason: group.reason,
        event_at: eventAt,
      };
      return parsed(validEvents([candidate], ignored), observed, ignored);
    }
    if (!type.startsWith("dsync.user.")) return parsed([], [], [`event ${type} is not about a directory user`]);
    const user = DirectoryUserSchema.safeParse(event.data.data);
    if (!user.success) return { kind: "invalid", message: "data is not a directory user" };
    const email = primaryEmail(user.data);
    const observed = observedIdentity(id, user.data.id, email);
    const deprovisioned = type === "dsync.user.deleted" || (type === "dsync.user.updated" && INACTIVE_STATES.has(user.data.state ?? ""));
    if (!deprovisioned) return parsed([], observed, [`event ${type} does not deprovision`]);
    const ignored: string[] = [];
    const events = validEvents([{ event_id: id, event_type: type, email: email ?? undefined, subject_id: user.data.id, event_at: eventAt }], ignored);
    return parsed(events, observed, ignored);
  },
};
