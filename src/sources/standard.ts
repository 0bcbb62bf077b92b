// Standard Webhooks (standardwebhooks.com, spec/standard-webhooks.md; reference verifier
// standard-webhooks/libraries/javascript/src/index.ts) and its Svix-named twin.
// - Headers webhook-id, webhook-timestamp (unix seconds), webhook-signature; Svix sends svix-* with the same meaning.
// - The signature header is a space-separated list of "<version>,<base64>"; only "v1" (HMAC-SHA256) is ours.
// - Signed content is "<id>.<timestamp>.<raw body>"; the key is the base64 after "whsec_".
// - Timestamps are refused when too old and when too new (the spec's replay defence).
// Contract: verify is pure apart from WebCrypto, `now` is passed in, and it never throws.
import * as z from "zod/mini";
import { concatBytes, fromBase64, utf8 } from "../crypto/bytes";
import { verifyHmac } from "../crypto/hmac";
import { standardSecretKey } from "../crypto/standard-webhooks";
import { payloadInstant, validEvents } from "../domain/identity-events";
import { describeIssues } from "../domain/validation";
import {
  type Delivery,
  type IdentitySource,
  MAX_SIGNATURES,
  type ParseContext,
  type ParseResult,
  parsed,
  type Verification,
  type VerifyContext,
} from "./source";
import { checkTimestamp } from "./timestamp";

const DEPROVISIONED_EVENT_TYPE = "user.deprovisioned";

const HEADER_NAMES = {
  id: ["webhook-id", "svix-id"],
  timestamp: ["webhook-timestamp", "svix-timestamp"],
  signature: ["webhook-signature", "svix-signature"],
} as const;

function firstHeader(headers: Headers, names: readonly string[]): string | null {
  for (const name of names) {
    const value = headers.get(name);
    if (value !== null) return value;
  }
  return null;
}

/**
 * Verifies a Standard Webhooks delivery. Also used by sources that sign the same way (Clerk uses Svix).
 */
export async function verifyStandardDelivery(delivery: Delivery, context: VerifyContext): Promise<Verification> {
  const id = firstHeader(delivery.headers, HEADER_NAMES.id);
  const timestamp = firstHeader(delivery.headers, HEADER_NAMES.timestamp);
  const signatureHeader = firstHeader(delivery.headers, HEADER_NAMES.signature);
  if (!id) return { ok: false, reason: "missing_header", header: "webhook-id" };
  if (!timestamp) return { ok: false, reason: "missing_header", header: "webhook-timestamp" };
  if (!signatureHeader) return { ok: false, reason: "missing_header", header: "webhook-signature" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "malformed_header", header: "webhook-timestamp" };

  const outside = checkTimestamp(Number(timestamp), context.now, context.toleranceSeconds);
  if (outside) return { ok: false, ...outside };

  const entries = signatureHeader.split(" ");
  if (entries.length > MAX_SIGNATURES) return { ok: false, reason: "malformed_header", header: "webhook-signature" };
  const signatures: Uint8Array[] = [];
  for (const entry of entries) {
    const [version, encoded] = entry.split(",", 2);
    if (version !== "v1" || !encoded) continue;
    const bytes = fromBase64(encoded);
    if (bytes) signatures.push(bytes);
  }
  const secrets = context.secrets.map(standardSecretKey).filter((key): key is Uint8Array => key !== null);
  const message = concatBytes(utf8(`${id}.${timestamp}.`), delivery.body);
  const matched = await verifyHmac({ secrets, hash: "SHA-256", message, signatures });
  return matched ? { ok: true, deliveryId: id } : { ok: false, reason: "signature_mismatch" };
}

/** The test signer beside the verifier (crypto/standard-webhooks.ts, where the Worker's alerts are signed too). */
export { signStandardDelivery } from "../crypto/standard-webhooks";

/** The product's own documented event. Unknown fields are allowed so senders can add context. */
const CanonicalEventSchema = z.object({
  type: z.string().check(z.minLength(1), z.maxLength(200)),
  data: z.optional(z.unknown()),
  // Standard Webhooks' payload `timestamp`: when the event occurred (ISO 8601), the record's event_at.
  timestamp: z.optional(z.unknown()),
});

/**
 * The person: any email value is taken here and checked by validEvents, so an address that cannot be used
 * is recorded as invalid_email like every source's, never answered 400 and lost (a verified delivery that
 * names someone is always recorded). An event naming nobody is the sender's mistake: 400.
 */
const DeprovisionedDataSchema = z.object({
  email: z.unknown().check(z.refine((email) => email !== undefined && email !== null && email !== "", "required")),
  user_uid: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
  reason: z.optional(z.string().check(z.maxLength(500))),
});

function parseCanonicalEvent(json: unknown, context: ParseContext): ParseResult {
  const event = CanonicalEventSchema.safeParse(json);
  if (!event.success) return { kind: "invalid", message: describeIssues(event.error) };
  if (event.data.type !== DEPROVISIONED_EVENT_TYPE) {
    return parsed([], [], [`event type ${event.data.type} is not ${DEPROVISIONED_EVENT_TYPE}`]);
  }
  const data = DeprovisionedDataSchema.safeParse(event.data.data);
  if (!data.success) return { kind: "invalid", message: `data: ${describeIssues(data.error)}` };
  const ignored: string[] = [];
  return parsed(
    validEvents(
      [{ event_id: context.deliveryId ?? "", event_type: event.data.type, ...data.data, event_at: payloadInstant(event.data.timestamp) }],
      ignored,
    ),
    [],
    ignored,
  );
}

export const standardSource: IdentitySource = {
  name: "standard",
  assurance: "signed",
  verify: verifyStandardDelivery,
  parse: parseCanonicalEvent,
};
