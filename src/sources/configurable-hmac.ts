// The configurable HMAC source, for senders that sign GitHub-style: an HMAC of the raw body (or of
// "<timestamp>.<body>" when a timestamp header is configured) in a header, optionally behind a prefix
// such as "sha256=", hex or base64, SHA-256 or SHA-512. Which payload fields hold the event id, type,
// email and subject id are JSON paths in configuration (HMAC_* variables; see README). The event id is
// read from the signed body (HMAC_EVENT_ID_PATH) or, when the body has none, is the body's SHA-256:
// never an unsigned header, which a replayer could change at will.
// Contract: verify is pure apart from WebCrypto and never throws; parse is pure.
import type { HmacSourceConfig } from "../config";
import { concatBytes, fromBase64, fromHex, toBase64, toHex, utf8 } from "../crypto/bytes";
import { signHmac, verifyHmac } from "../crypto/hmac";
import { sha256Hex } from "../crypto/sha256";
import { observedIdentity, validEvents } from "../domain/identity-events";
import { type IdentitySource, parsed } from "./source";
import { checkTimestamp } from "./timestamp";

/** Reads "a.b.0.c" from parsed JSON; undefined when any step is missing. */
function readPath(json: unknown, path: string): unknown {
  let current: unknown = json;
  for (const step of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    if (!Object.hasOwn(current, step)) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

function scalar(value: unknown): string | undefined {
  if (typeof value === "string" && value.length > 0) return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * The event id as the signed body has it: a string, or an integer kept a number (so 12345 and "12345" are
 * two events). A number past 2^53 is read inexactly by JSON.parse (two different ids can read alike), so it
 * is no id: the body's digest identifies the event instead.
 */
function eventIdOf(value: unknown): string | number | undefined {
  if (typeof value === "string" && value.length > 0) return value;
  return typeof value === "number" && Number.isSafeInteger(value) ? value : undefined;
}

function signedContent(timestamp: string | null, body: Uint8Array): Uint8Array {
  return timestamp === null ? body : concatBytes(utf8(`${timestamp}.`), body);
}

/** The test signer beside the verifier: the signature header's value. */
export async function signConfigurableHmac(config: HmacSourceConfig, secret: string, body: string, timestamp: string | null) {
  const mac = await signHmac(utf8(secret), config.hash, signedContent(timestamp, utf8(body)));
  return `${config.prefix}${config.encoding === "hex" ? toHex(mac) : toBase64(mac)}`;
}

export function configurableHmacSource(config: HmacSourceConfig): IdentitySource {
  return {
    name: "hmac",
    assurance: "signed",
    async verify(delivery, context) {
      const header = delivery.headers.get(config.header);
      if (!header) return { ok: false, reason: "missing_header", header: config.header };
      let timestamp: string | null = null;
      if (config.timestampHeader) {
        timestamp = delivery.headers.get(config.timestampHeader);
        if (!timestamp) return { ok: false, reason: "missing_header", header: config.timestampHeader };
        if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "malformed_header", header: config.timestampHeader };
        const outside = checkTimestamp(Number(timestamp), context.now, context.toleranceSeconds);
        if (outside) return { ok: false, ...outside };
      }
      const value = header.trim();
      const prefixed = config.prefix === "" || value.toLowerCase().startsWith(config.prefix.toLowerCase());
      const encoded = value.slice(config.prefix.length);
      const signature = prefixed ? (config.encoding === "hex" ? fromHex(encoded) : fromBase64(encoded)) : null;
      if (!signature) return { ok: false, reason: "signature_mismatch" };
      const matched = await verifyHmac({
        secrets: context.secrets.map(utf8),
        hash: config.hash,
        message: signedContent(timestamp, delivery.body),
        signatures: [signature],
      });
      if (!matched) return { ok: false, reason: "signature_mismatch" };
      // The fallback de-duplication id is the signed body's digest: a byte-identical body is the same
      // delivery whatever unsigned header accompanies it (never an id from an unsigned header).
      return { ok: true, deliveryId: `sha256:${await sha256Hex(delivery.body)}` };
    },
    parse(json, context) {
      const ignored: string[] = [];
      const rawId = readPath(json, config.eventIdPath);
      if (typeof rawId === "number" && eventIdOf(rawId) === undefined) {
        ignored.push(`the id at ${config.eventIdPath} is a number JSON cannot carry exactly; the body's SHA-256 identifies the event instead`);
      }
      const eventId = eventIdOf(rawId) ?? context.deliveryId;
      const eventType = scalar(readPath(json, config.eventTypePath));
      if (eventId === null || eventId === "") return { kind: "invalid", message: `no event id at ${config.eventIdPath}` };
      if (!eventType) return { kind: "invalid", message: `no event type at ${config.eventTypePath}` };
      const email = scalar(readPath(json, config.emailPath));
      const subject = config.subjectPath ? scalar(readPath(json, config.subjectPath)) : undefined;
      const observed = observedIdentity(eventId, subject, email);
      if (!config.deprovisionEvents.includes(eventType))
        return parsed([], observed, [...ignored, `event type ${eventType} is not configured to deprovision`]);
      return parsed(validEvents([{ event_id: eventId, event_type: eventType, email, subject_id: subject }], ignored), observed, ignored);
    },
  };
}
