// Random keys the ledger makes once and keeps in its own storage (table ledger_keys): the key of the operator
// token fingerprints the audit log carries when AUDIT_FINGERPRINT_KEY is unset (operator/token-fingerprint.ts);
// and the key of the Cloudflare API token fingerprints the drain names each token's budget by
// (drain/token-paces.ts; issue #22) and of the API tokens' id it keeps beside a switched-off follow-up
// (drain/state.ts), one key per kind of token so no operator token's fingerprint can be matched against an
// API token's. Kept in the Durable Object, never in
// KV, so a reader of the audit log or of /v1/stats cannot test guessed tokens against the fingerprints.
// Contract: synchronous SQLite; the caller runs it in a transaction, so two first uses make one key.
import { toHex } from "../../crypto/bytes";

const FINGERPRINT_KEY = "audit_token_fingerprint";
const API_TOKEN_KEY = "cloudflare_token_fingerprint";

/** The key named `name` (64 hex digits of randomness), made on first use. */
function ledgerKey(sql: SqlStorage, name: string): string {
  const kept = sql.exec<{ value: string }>("SELECT value FROM ledger_keys WHERE name = ?", name).toArray()[0];
  if (kept) return kept.value;
  const value = toHex(crypto.getRandomValues(new Uint8Array(32)));
  sql.exec("INSERT INTO ledger_keys (name, value) VALUES (?, ?)", name, value);
  return value;
}

/** The operator token fingerprints' key. */
export function fingerprintKey(sql: SqlStorage): string {
  return ledgerKey(sql, FINGERPRINT_KEY);
}

/** The Cloudflare API token fingerprints' key. */
export function apiTokenKey(sql: SqlStorage): string {
  return ledgerKey(sql, API_TOKEN_KEY);
}
