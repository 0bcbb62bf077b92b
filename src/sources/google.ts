// Google Workspace Admin SDK Reports API push notifications for the "admin" application
// (developers.google.com/admin-sdk/reports/v1/guides/push; activities.watch).
// - Authenticity: the channel's `X-Goog-Channel-Token`, a static token chosen when the channel was
//   created; compared in constant time. Lower assurance (records carry assurance "static_secret").
// - The channel's first message has `X-Goog-Resource-State: sync` and no body: answered 200.
// - Body: an activity {"kind": "admin#reports#activity", "id": {"time", "uniqueQualifier", "applicationName",
//   "customerId"}, "actor": {"email" (the admin: never revoked)}, "events": [{"type", "name", "parameters":
//   [{"name", "value"}]}]}.
// - Acted on: events named SUSPEND_USER or DELETE_USER; the person is the USER_EMAIL parameter.
//   REMOVE_GROUP_MEMBER (Admin SDK "Group settings" events: USER_EMAIL the member, GROUP_EMAIL the group)
//   revokes when REVOKE_ON_GROUP_REMOVAL names the group's email (or is "*").
import * as z from "zod/mini";
import { groupRemoval } from "../domain/groups";
import { payloadInstant, validEvents } from "../domain/identity-events";
import { type IdentitySource, parsed, verifyStaticSecretHeader } from "./source";

const TOKEN_HEADER = "X-Goog-Channel-Token";
const DEPROVISIONING = new Set(["SUSPEND_USER", "DELETE_USER"]);

const ActivitySchema = z.looseObject({
  id: z.looseObject({ time: z.optional(z.string()), uniqueQualifier: z.union([z.string(), z.number()]) }),
  events: z.array(
    z.looseObject({
      name: z.optional(z.string()),
      parameters: z.optional(z.array(z.looseObject({ name: z.optional(z.string()), value: z.optional(z.unknown()) }))),
    }),
  ),
});

export const googleSource: IdentitySource = {
  name: "google",
  assurance: "static_secret",
  verify: (delivery, context) => verifyStaticSecretHeader(TOKEN_HEADER, delivery, context),
  handshake(delivery) {
    if (delivery.headers.get("X-Goog-Resource-State") === "sync") return { status: 200, body: { ok: true, sync: true } };
    return null;
  },
  parse(json, context) {
    const activity = ActivitySchema.safeParse(json);
    if (!activity.success) return { kind: "invalid", message: "not an Admin SDK activity (needs id, events[])" };
    const ignored: string[] = [];
    const candidates: unknown[] = [];
    const { id } = activity.data;
    for (const [index, event] of activity.data.events.entries()) {
      const parameter = (name: string) => event.parameters?.find((candidate) => candidate.name === name)?.value;
      let reason: string | undefined;
      if (event.name === "REMOVE_GROUP_MEMBER") {
        const groupEmail = parameter("GROUP_EMAIL");
        const removal = groupRemoval(context.groupRemoval, typeof groupEmail === "string" ? groupEmail : null);
        if (!removal.revokes) {
          ignored.push(`events[${index}]: ${removal.ignored}`);
          continue;
        }
        reason = removal.reason;
      } else if (!event.name || !DEPROVISIONING.has(event.name)) {
        ignored.push(`events[${index}]: ${event.name ?? "unnamed"} does not deprovision`);
        continue;
      }
      candidates.push({
        event_id: `${id.time ?? ""}:${id.uniqueQualifier}:${index}`,
        event_type: event.name,
        email: parameter("USER_EMAIL"),
        reason,
        event_at: payloadInstant(id.time),
      });
    }
    return parsed(validEvents(candidates, ignored), [], ignored);
  },
};
