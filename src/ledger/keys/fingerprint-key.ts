// Random keys the ledger makes once and keeps in its own storage (table ledger_keys). Today one: the key of
// the operator token fingerprints the audit log carries when AUDIT_FINGERPRINT_KEY is unset
// (operator/token-fingerprint.ts). Kept in the Durable Object, never in KV, so a reader of the audit log
// cannot test guessed tokens against the fingerprints.
// Contract: synchronous SQLite; the caller runs it in a transaction, so two first uses make one key.
import { toHex } from "../../crypto/bytes";

const FINGERPRINT_KEY = "audit_token_fingerprint";

/** The fingerprint key (64 hex digits of randomness), made on first use. */
export function fingerprintKey(sql: SqlStorage): string {
  const kept = sql.exec<{ value: string }>("SELECT value FROM ledger_keys WHERE name = ?", FINGERPRINT_KEY).toArray()[0];
  if (kept) return kept.value;
  const value = toHex(crypto.getRandomValues(new Uint8Array(32)));
  sql.exec("INSERT INTO ledger_keys (name, value) VALUES (?, ?)", FINGERPRINT_KEY, value);
  return value;
}
