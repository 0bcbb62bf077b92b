// The table keys/ alone writes: ledger_keys, random keys the ledger makes once and keeps
// (fingerprint-key.ts). Each entry below is this folder's part of one version of the ledger's ordered
// migrations (migrations.ts); never edit one that has shipped.

export const KEYS_MIGRATIONS = {
  // The operator token's fingerprint in the audit log is an HMAC keyed with AUDIT_FINGERPRINT_KEY, or, while
  // that is unset, with a random key kept here: never an unsalted digest a reader of KV could test guesses against.
  v11: `
CREATE TABLE IF NOT EXISTS ledger_keys (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`,
} as const;
