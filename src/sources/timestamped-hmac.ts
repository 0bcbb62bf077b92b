// The "t=<timestamp>,v1=<hex>" signature header shared by WorkOS and ZITADEL: hex HMAC-SHA256 of
// "<t>.<raw body>" keyed with the secret's UTF-8 bytes; several v1 entries may be listed (key rotation).
// Contract: pure apart from WebCrypto, `now` passed in, never throws.
import { concatBytes, fromHex, toHex, utf8 } from "../crypto/bytes";
import { signHmac, verifyHmac } from "../crypto/hmac";
import { type Delivery, MAX_SIGNATURES, type Verification, type VerifyContext } from "./source";
import { checkTimestamp } from "./timestamp";

export type TimestampedHmacScheme = { header: string; timestampUnit: "seconds" | "milliseconds" };

export async function verifyTimestampedHmac(scheme: TimestampedHmacScheme, delivery: Delivery, context: VerifyContext): Promise<Verification> {
  const header = delivery.headers.get(scheme.header);
  if (!header) return { ok: false, reason: "missing_header", header: scheme.header };
  const parts = header.split(",");
  // t= plus the signatures: anything longer is refused before any MAC work.
  if (parts.length > MAX_SIGNATURES + 1) return { ok: false, reason: "malformed_header", header: scheme.header };
  let timestamp: string | null = null;
  const signatures: Uint8Array[] = [];
  for (const part of parts) {
    const [key, value] = part.trim().split("=", 2);
    if (key === "t" && value) timestamp = value;
    if (key === "v1" && value) {
      const bytes = fromHex(value);
      if (bytes) signatures.push(bytes);
    }
  }
  if (!timestamp || !/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: "malformed_header", header: scheme.header };
  const seconds = scheme.timestampUnit === "milliseconds" ? Number(timestamp) / 1000 : Number(timestamp);
  const outside = checkTimestamp(seconds, context.now, context.toleranceSeconds);
  if (outside) return { ok: false, ...outside };
  const message = concatBytes(utf8(`${timestamp}.`), delivery.body);
  const matched = await verifyHmac({ secrets: context.secrets.map(utf8), hash: "SHA-256", message, signatures });
  return matched ? { ok: true, deliveryId: null } : { ok: false, reason: "signature_mismatch" };
}

/** The test signer beside the verifier. */
export async function signTimestampedHmac(secret: string, timestamp: number, body: string): Promise<string> {
  return `t=${timestamp},v1=${toHex(await signHmac(utf8(secret), "SHA-256", utf8(`${timestamp}.${body}`)))}`;
}
