import { runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { LEDGER_MIGRATIONS, migrateLedger } from "../../src/ledger/schema";
import { ledgerStub } from "../helpers/worker";

it("records the schema version and migrates idempotently (a restarted object re-runs nothing)", async () => {
  await runInDurableObject(ledgerStub(), async (_instance, state) => {
    const version = () => state.storage.sql.exec<{ version: number }>("SELECT version FROM ledger_schema").one().version;
    expect(version()).toBe(LEDGER_MIGRATIONS.length);
    migrateLedger(state.storage.sql);
    migrateLedger(state.storage.sql);
    expect(version()).toBe(LEDGER_MIGRATIONS.length);
    expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM ledger_schema").one().n).toBe(1);
  });
});
