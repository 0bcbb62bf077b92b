// Okta Event Hooks (developer.okta.com/docs/concepts/event-hooks; …/guides/event-hook-implementation).
// - Authenticity: a static secret only, no HMAC. Okta sends the configured header (by default
//   `Authorization`) whose whole value is the secret, compared whole in constant time. Okta's guide sets it
//   to `Basic <base64 of user:password>` (developer.okta.com/docs/guides/secure-hooks), space included. Lower assurance: a leaked
//   secret lets anyone post events, so records carry assurance "static_secret".
// - One-time verification: GET with `X-Okta-Verification-Challenge`, answered {"verification": <value>}.
// - Body: {"eventType": "com.okta.event_hook", "eventId", "data": {"events": [LogEvent…]}}; each LogEvent has
//   "uuid", "eventType", "outcome": {"result"}, "actor" (the admin: never revoked) and "target": [{"id",
//   "type", "alternateId" (the login, usually the email), "displayName"}].
// - Acted on: user.lifecycle.deactivate, user.lifecycle.suspend, user.lifecycle.delete.initiated,
//   user.account.lock, with outcome SUCCESS, for target entries of type "User". Every element stands alone:
//   Okta retries a failed batch only once, so one malformed element must not fail the rest.
// - group.user_membership.remove (System Log: targets are the User and the UserGroup, whose displayName is
//   the group's name) revokes when REVOKE_ON_GROUP_REMOVAL names that group (or is "*").
// - Answer: 200 (Okta asks for 200 or 204), not 202.
import * as z from "zod/mini";
import { groupRemoval } from "../domain/groups";
import { observedIdentity, payloadInstant, validEvents } from "../domain/identity-events";
import { type IdentitySource, parsed, verifyStaticSecretHeader } from "./source";

const DEPROVISIONING = new Set(["user.lifecycle.deactivate", "user.lifecycle.suspend", "user.lifecycle.delete.initiated", "user.account.lock"]);
const GROUP_REMOVAL = "group.user_membership.remove";
const VERIFICATION_HEADER = "X-Okta-Verification-Challenge";

const HookSchema = z.looseObject({ data: z.looseObject({ events: z.array(z.unknown()) }) });
const LogEventSchema = z.looseObject({
  uuid: z.string(),
  eventType: z.string(),
  // When the event happened (ISO 8601): the record's event_at.
  published: z.optional(z.unknown()),
  outcome: z.optional(z.nullable(z.looseObject({ result: z.optional(z.string()) }))),
  target: z.optional(
    z.nullable(
      z.array(
        z.looseObject({
          id: z.optional(z.string()),
          type: z.optional(z.string()),
          alternateId: z.optional(z.nullable(z.string())),
          displayName: z.optional(z.nullable(z.string())),
        }),
      ),
    ),
  ),
});

export function oktaSource(authHeader: string): IdentitySource {
  return {
    name: "okta",
    assurance: "static_secret",
    // "Your service must return 200 or 204" (Okta, Event Hooks: Your service's responsibilities).
    acceptedStatus: 200,
    verify: (delivery, context) => verifyStaticSecretHeader(authHeader, delivery, context),
    handshake(delivery) {
      const challenge = delivery.headers.get(VERIFICATION_HEADER);
      if (delivery.method === "GET" && challenge) return { status: 200, body: { verification: challenge } };
      return null;
    },
    parse(json, context) {
      const hook = HookSchema.safeParse(json);
      if (!hook.success) return { kind: "invalid", message: "not an Okta event hook (needs data.events[])" };
      const candidates: unknown[] = [];
      const ignored: string[] = [];
      const observed = [];
      for (const [index, element] of hook.data.data.events.entries()) {
        const logEvent = LogEventSchema.safeParse(element);
        if (!logEvent.success) {
          ignored.push(`events[${index}] is not an Okta log event`);
          continue;
        }
        const { uuid, eventType, outcome, target } = logEvent.data;
        const eventAt = payloadInstant(logEvent.data.published);
        const users = (target ?? []).filter((entry) => entry.type === "User" && entry.id);
        for (const user of users) observed.push(...observedIdentity(`${uuid}:${user.id}`, user.id, user.alternateId));
        let reason: string | undefined;
        if (eventType === GROUP_REMOVAL) {
          const group = (target ?? []).find((entry) => entry.type === "UserGroup");
          const removal = groupRemoval(context.groupRemoval, group?.displayName);
          if (!removal.revokes) {
            ignored.push(`events[${index}]: ${removal.ignored}`);
            continue;
          }
          reason = removal.reason;
        } else if (!DEPROVISIONING.has(eventType)) {
          ignored.push(`events[${index}]: ${eventType} does not deprovision`);
          continue;
        }
        if (outcome?.result !== "SUCCESS") {
          ignored.push(`events[${index}]: outcome is ${outcome?.result ?? "missing"}, not SUCCESS`);
          continue;
        }
        // The login as sent: one that is no usable address is kept on the record while the id resolves the person.
        for (const user of users) {
          candidates.push({
            event_id: `${uuid}:${user.id}`,
            event_type: eventType,
            email: user.alternateId,
            subject_id: user.id,
            reason,
            event_at: eventAt,
          });
        }
      }
      return parsed(validEvents(candidates, ignored), observed, ignored);
    },
  };
}
