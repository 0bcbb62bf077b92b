// HMAC over WebCrypto: the verifier every signed source uses, its signer (the test signers that ship
// beside each verifier, npm run send-event), and keyed fingerprints (the audit log names tokens by one).
// Contract: pure apart from WebCrypto; never throws on malformed input (an empty secret or signature is
// skipped, so a malformed one is a failed verification).
// - crypto.subtle.verify("HMAC", …) compares in constant time (WebCrypto spec; octokit/webhooks-methods web.ts).
import { toHex, utf8 } from "./bytes";

export type HmacHash = "SHA-1" | "SHA-256" | "SHA-512";

const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: Uint8Array, hash: HmacHash): Promise<CryptoKey> {
  const cacheKey = `${hash}:${toHex(secret)}`;
  let key = keyCache.get(cacheKey);
  if (!key) {
    key = crypto.subtle.importKey("raw", secret, { name: "HMAC", hash }, false, ["sign", "verify"]);
    keyCache.set(cacheKey, key);
  }
  return key;
}

/** True when any signature matches the message under any of the secrets (rotation). */
export async function verifyHmac(options: {
  secrets: Uint8Array[];
  hash: HmacHash;
  message: Uint8Array;
  signatures: Uint8Array[];
}): Promise<boolean> {
  for (const secret of options.secrets) {
    if (secret.length === 0) continue;
    const key = await hmacKey(secret, options.hash);
    for (const signature of options.signatures) {
      if (signature.length === 0) continue;
      if (await crypto.subtle.verify("HMAC", key, signature, options.message)) return true;
    }
  }
  return false;
}

/** Computes an HMAC; used by the test signers that ship beside each verifier. */
export async function signHmac(secret: Uint8Array, hash: HmacHash, message: Uint8Array): Promise<Uint8Array> {
  const key = await hmacKey(secret, hash);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}

/**
 * The first `hexDigits` hex digits of HMAC-SHA256(key, value): tells values apart and, without the key, tells
 * a reader nothing about them (an unkeyed digest of a weak token falls to a dictionary).
 */
export async function keyedFingerprint(key: string, value: string, hexDigits: number): Promise<string> {
  return toHex(await signHmac(utf8(key), "SHA-256", utf8(value))).slice(0, hexDigits);
}
