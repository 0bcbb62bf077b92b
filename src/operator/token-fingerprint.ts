// The operator token as the audit log names it: a fingerprint that tells the tokens of a rotation list apart
// and tells a reader of KV nothing about the token. HMAC-SHA256 of the token, the first 16 hex digits, keyed
// with AUDIT_FINGERPRINT_KEY (a Worker secret, which no one can read back) or, while that is unset, with a
// random key the ledger made once and keeps in its own storage (ledger/keys/fingerprint-key.ts). An unkeyed digest (what
// entries before issue #18 carry: 12 hex digits of SHA-256) lets anyone who reads KV test guessed tokens
// against it. A fingerprint compares only under one key: setting or changing the key changes them all.
import type { Config } from "../config";
import { keyedFingerprint } from "../crypto/hmac";
import { ledgerFor } from "../ledger/client";

const FINGERPRINT_HEX_DIGITS = 16;

/** The ledger's key, read once per isolate (it never changes once made). */
const ledgerKeys = new WeakMap<object, Promise<string>>();

function ledgerKey(env: Env): Promise<string> {
  let key = ledgerKeys.get(env);
  if (!key) {
    key = ledgerFor(env).fingerprintKey();
    ledgerKeys.set(env, key);
    key.catch(() => ledgerKeys.delete(env));
  }
  return key;
}

export async function operatorTokenFingerprint(env: Env, config: Pick<Config, "auditFingerprintKey">, token: string): Promise<string> {
  const key = config.auditFingerprintKey ?? (await ledgerKey(env));
  return keyedFingerprint(key, token, FINGERPRINT_HEX_DIGITS);
}
