// Constant-time comparison of a presented secret (a bearer token, a static webhook header, a stream's
// credential) with a rotation list of configured ones.
// - crypto.subtle.timingSafeEqual is a Workers extension; it requires equal lengths, so both sides are
//   hashed first and the digests compared, which also hides the secret's length.
// - Every listed secret is compared whatever the outcome: the loop never exits early.
// Contract: never throws on malformed input; an empty value never matches.
import { utf8 } from "./bytes";
import { sha256 } from "./sha256";

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
