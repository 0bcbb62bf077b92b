// Standard Webhooks' signature (standardwebhooks.com, spec/standard-webhooks.md): HMAC-SHA256 over
// "<webhook-id>.<webhook-timestamp>.<body>" keyed with the base64 after "whsec_", sent as "v1,<base64>".
// The verifier is sources/standard.ts's; the signer is here because the Worker also signs: its alerts
// (ALERT_WEBHOOK_SECRET), and the test signers and `npm run send-event` sign deliveries with it.
// Contract: pure apart from WebCrypto.
import { fromBase64, toBase64, utf8 } from "./bytes";
import { signHmac } from "./hmac";

/** The key bytes of a `whsec_…` secret (a secret without the prefix is taken as bare base64, as the reference does). */
export function standardSecretKey(secret: string): Uint8Array | null {
  return fromBase64(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
}

/** The `webhook-signature` value for one secret: "v1,<base64>". */
export async function signStandardDelivery(secret: string, id: string, timestampSeconds: number, body: string): Promise<string> {
  const key = standardSecretKey(secret);
  if (!key) throw new Error("secret is not base64");
  const mac = await signHmac(key, "SHA-256", utf8(`${id}.${timestampSeconds}.${body}`));
  return `v1,${toBase64(mac)}`;
}
