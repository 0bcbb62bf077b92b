// SHA-256 over WebCrypto, in the two forms the project writes it: hex (de-duplication ids, what an
// Idempotency-Key was used for, a SET's digest) and a Content-Security-Policy hash-source (CSP Level 3
// §2.3.1: `'sha256-<base64 of the digest>'`), so a page's policy names exactly its inline blocks.
// Contract: pure but for WebCrypto's digest (asynchronous: a Worker computes it in a request, never at
// global scope).
import { toBase64, toHex, utf8 } from "./bytes";

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

/** The hex SHA-256 of some bytes: e.g. the de-duplication id of a delivery whose signed content carries none. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  return toHex(await sha256(data));
}

/** The CSP hash-source that allows exactly this inline script or style block: `'sha256-…'`, quotes included. */
export async function cspHashSource(block: string): Promise<string> {
  return `'sha256-${toBase64(await sha256(utf8(block)))}'`;
}
