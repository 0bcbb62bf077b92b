// The one HMAC and secret-comparison core every source uses.
// Contract: pure apart from WebCrypto; never throws on malformed input (a malformed signature or
// encoding is a failed verification); every comparison is constant-time.
// - crypto.subtle.verify("HMAC", …) compares in constant time (WebCrypto spec; octokit/webhooks-methods web.ts).
// - crypto.subtle.timingSafeEqual is a Workers extension; it requires equal lengths, so static secrets are
//   hashed first and the digests compared, which also hides the secret's length.

export type HmacHash = "SHA-1" | "SHA-256" | "SHA-512";

/**
 * At most this many signatures are taken from one header: providers list one, or two during a key
 * rotation. A header listing more is refused before any MAC is computed, so a forged delivery cannot
 * make verification cost grow with its size (8,000 signatures over 64 KiB took ~23× one).
 */
export const MAX_SIGNATURES = 8;

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

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
 * Constant-time membership test of a presented static secret against a rotation list: the presented
 * value is compared whole (after trimming the whitespace HTTP strips from header values anyway) with
 * each whole configured value; an empty value never matches.
 */
export async function matchesAnySecret(presented: string | null | undefined, secrets: string[]): Promise<boolean> {
  presented = presented?.trim();
  if (!presented) return false;
  const presentedDigest = await sha256(utf8(presented));
  let matched = false;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const digest = await sha256(utf8(secret));
    // No early exit: every listed secret is compared whatever the outcome.
    if (crypto.subtle.timingSafeEqual(presentedDigest, digest)) matched = true;
  }
  return matched;
}

/** The hex SHA-256 of a body: the de-duplication id of a delivery whose signed content carries none. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await sha256(data)));
}

async function sha256(data: Uint8Array): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", data);
}

export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Standard or URL-safe base64, padding optional; null when it is not base64 at all. */
export function fromBase64(text: string): Uint8Array | null {
  const normalized = text.replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized)) return null;
  const padded = normalized + "=".repeat((4 - (normalized.length % 4)) % 4);
  try {
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}
