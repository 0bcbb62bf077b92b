// The audit chain's id (issue #23): 32 hex digits of randomness the ledger makes once and keeps (table
// ledger_keys). The first entry of the chain links to a hash of it (domain/audit-chain.ts: genesisHash), so
// an export from another deployment is told apart from this one's. Not a secret: /v1/stats and every chain
// export show it.
// Contract: synchronous SQLite; the caller runs it in a transaction, so two first uses make one id.
import { toHex } from "../../crypto/bytes";

const CHAIN_ID = "audit_chain_id";

/** This deployment's audit chain id, made on first use. */
export function auditChainId(sql: SqlStorage): string {
  const kept = sql.exec<{ value: string }>("SELECT value FROM ledger_keys WHERE name = ?", CHAIN_ID).toArray()[0];
  if (kept) return kept.value;
  const value = toHex(crypto.getRandomValues(new Uint8Array(16)));
  sql.exec("INSERT INTO ledger_keys (name, value) VALUES (?, ?)", CHAIN_ID, value);
  return value;
}
