// ZITADEL Actions v2 event executions delivered to a REST target.
// - Signature: `ZITADEL-Signature: t=<unix s>,v1=<hex>[,v1=…]`, hex HMAC-SHA256 of "<t>.<raw body>" keyed
//   with the target's signingKey, 300 s tolerance (zitadel-go pkg/actions ValidateRequestPayload;
//   zitadel.com/docs/guides/integrate/actions/usage "Sent information Event").
// - Body: {"aggregateID", "aggregateType": "user", "resourceOwner", "instanceID", "version", "sequence",
//   "event_type", "created_at", "userID", "event_payload"}. The subject is aggregateID; userID is the
//   actor who made the change, never the person to revoke. event_payload is the event's data: an object, or
//   in earlier versions its JSON as base64 (a Go []byte); both are accepted.
// - Acted on: user.deactivated, user.locked, user.removed (ids only: resolved through the directory).
//   user.human.added / user.human.email.changed / …verified carry the email in event_payload and feed it.
import * as z from "zod/mini";
import { fromBase64 } from "../crypto/bytes";
import { observedIdentity, payloadInstant, validEvents } from "../domain/identity-events";
import { type IdentitySource, parsed } from "./source";
import { verifyTimestampedHmac } from "./timestamped-hmac";

const DEPROVISIONING = new Set(["user.deactivated", "user.locked", "user.removed"]);

const EventSchema = z.looseObject({
  aggregateID: z.string(),
  aggregateType: z.optional(z.string()),
  event_type: z.string(),
  sequence: z.optional(z.union([z.number(), z.string()])),
  created_at: z.optional(z.string()),
  event_payload: z.optional(z.unknown()),
});
const PayloadEmailSchema = z.looseObject({ email: z.optional(z.unknown()), emailAddress: z.optional(z.unknown()) });

/**
 * event_payload is an object in newer ZITADEL versions (json.RawMessage) and a base64 string in earlier
 * ones (a Go []byte, which encoding/json marshals as standard base64): both are read.
 */
function decodePayload(payload: unknown): unknown {
  if (typeof payload !== "string") return payload;
  const bytes = fromBase64(payload);
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    return undefined;
  }
}

export const zitadelSource: IdentitySource = {
  name: "zitadel",
  assurance: "signed",
  verify: (delivery, context) => verifyTimestampedHmac({ header: "ZITADEL-Signature", timestampUnit: "seconds" }, delivery, context),
  parse(json) {
    const event = EventSchema.safeParse(json);
    if (!event.success) return { kind: "invalid", message: "not a ZITADEL event (needs aggregateID, event_type)" };
    const { aggregateID, event_type: type } = event.data;
    if (event.data.aggregateType !== undefined && event.data.aggregateType !== "user") {
      return parsed([], [], [`aggregate ${event.data.aggregateType} is not a user`]);
    }
    const payload = PayloadEmailSchema.safeParse(decodePayload(event.data.event_payload));
    const email = payload.success ? (payload.data.email ?? payload.data.emailAddress) : undefined;
    const eventId = `${aggregateID}:${event.data.sequence ?? event.data.created_at ?? type}:${type}`;
    const observed = observedIdentity(eventId, aggregateID, email);
    if (!DEPROVISIONING.has(type)) return parsed([], observed, [`event ${type} does not deprovision`]);
    const ignored: string[] = [];
    return parsed(
      validEvents([{ event_id: eventId, event_type: type, subject_id: aggregateID, event_at: payloadInstant(event.data.created_at) }], ignored),
      observed,
      ignored,
    );
  },
};
