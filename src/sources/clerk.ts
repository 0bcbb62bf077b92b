// Clerk webhooks, delivered by Svix: headers svix-id, svix-timestamp, svix-signature and a whsec_ secret,
// verified exactly like Standard Webhooks (clerk.com/docs/webhooks/overview and /webhooks/sync-data).
// - Body: {"type", "object": "event", "data", "timestamp", "instance_id"}.
// - user.deleted carries only {"id", "deleted": true, "object": "user"}: resolved through the directory.
// - user.updated with banned or locked true deprovisions; user.created / user.updated feed the directory
//   with the primary email (email_addresses[] matched by primary_email_address_id).
import * as z from "zod/mini";
import { observedIdentity, payloadInstant, validEvents } from "../domain/identity-events";
import { type IdentitySource, parsed } from "./source";
import { verifyStandardDelivery } from "./standard";

// timestamp: when Clerk says the event happened (epoch ms), the record's event_at.
const EventSchema = z.looseObject({ type: z.string(), data: z.looseObject({ id: z.optional(z.string()) }), timestamp: z.optional(z.unknown()) });
const UserSchema = z.looseObject({
  id: z.string(),
  banned: z.optional(z.boolean()),
  locked: z.optional(z.boolean()),
  primary_email_address_id: z.optional(z.nullable(z.string())),
  email_addresses: z.optional(z.array(z.looseObject({ id: z.optional(z.string()), email_address: z.optional(z.string()) }))),
});

export const clerkSource: IdentitySource = {
  name: "clerk",
  assurance: "signed",
  verify: verifyStandardDelivery,
  parse(json, context) {
    const event = EventSchema.safeParse(json);
    if (!event.success) return { kind: "invalid", message: "not a Clerk event (needs type, data)" };
    const { type, data } = event.data;
    const eventId = context.deliveryId ?? "";
    const eventAt = payloadInstant(event.data.timestamp);
    if (type === "user.deleted") {
      const ignored: string[] = [];
      return parsed(validEvents([{ event_id: eventId, event_type: type, subject_id: data.id, event_at: eventAt }], ignored), [], ignored);
    }
    if (type !== "user.updated" && type !== "user.created") return parsed([], [], [`event ${type} is not about a user`]);
    const user = UserSchema.safeParse(data);
    if (!user.success) return { kind: "invalid", message: "data is not a Clerk user" };
    const addresses = user.data.email_addresses ?? [];
    const email = (addresses.find((address) => address.id === user.data.primary_email_address_id) ?? addresses[0])?.email_address;
    const observed = observedIdentity(eventId, user.data.id, email);
    if (type === "user.created" || !(user.data.banned || user.data.locked)) {
      return parsed([], observed, [`event ${type} does not ban or lock the user`]);
    }
    const ignored: string[] = [];
    const reason = user.data.banned ? "banned" : "locked";
    return parsed(
      validEvents([{ event_id: eventId, event_type: type, email, subject_id: user.data.id, reason, event_at: eventAt }], ignored),
      observed,
      ignored,
    );
  },
};
