// Runs the ledger's ordered migrations (migrations.ts): entry i brings the ledger from version i to i + 1,
// recorded in ledger_schema, the one table this folder writes. Runs in the Durable Object's constructor,
// inside one transaction, so a ledger is at one version or the next, never between.

/** Brings the ledger's SQLite to the newest schema. */
export function migrate(sql: SqlStorage, migrations: readonly string[]): void {
  sql.exec("CREATE TABLE IF NOT EXISTS ledger_schema (version INTEGER NOT NULL)");
  const row = sql.exec<{ version: number }>("SELECT version FROM ledger_schema").toArray()[0];
  const current = row?.version ?? 0;
  for (let version = current; version < migrations.length; version++) sql.exec(migrations[version]!);
  if (!row) sql.exec("INSERT INTO ledger_schema (version) VALUES (?)", migrations.length);
  else if (current < migrations.length) sql.exec("UPDATE ledger_schema SET version = ?", migrations.length);
}
