import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { dedupeKey } from "../../src/ledger/revocations/insert";
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

it("v2 rewrites concatenated dedupe keys as JSON arrays, so existing replays stay duplicates", async () => {
  const scratch = env.LEDGER.get(env.LEDGER.idFromName("migration-v1-to-v2"));
  await runInDurableObject(scratch, async (_instance, state) => {
    const sql = state.storage.sql;
    // Back to a v1 store holding rows keyed the old way: "source:event" and "source:event#email".
    for (const { name } of sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'")
      .toArray()) {
      sql.exec(`DROP TABLE ${name}`);
    }
    sql.exec("CREATE TABLE ledger_schema (version INTEGER NOT NULL)");
    sql.exec(LEDGER_MIGRATIONS[0]!);
    sql.exec("INSERT INTO ledger_schema (version) VALUES (1)");
    const insert = (seq: number, key: string, eventId: string, email: string) =>
      sql.exec(
        `INSERT INTO revocations (seq, id, dedupe_key, source, assurance, event_id, event_type, email, devices, warp_session_reauth, status, received_at, queued_at)
         VALUES (?, ?, ?, 'okta', 'signed', ?, 'x', ?, 1, 0, 'revoked', 0, 0)`,
        seq,
        `rev_${seq}`,
        key,
        eventId,
        email,
      );
    insert(1, "okta:evt:1", "evt:1", "a@example.com");
    insert(2, "okta:evt:1#b@example.com", "evt:1", "b@example.com");
    migrateLedger(sql);
    const keys = sql.exec<{ seq: number; dedupe_key: string }>("SELECT seq, dedupe_key FROM revocations ORDER BY seq").toArray();
    expect(keys).toEqual([
      { seq: 1, dedupe_key: dedupeKey("okta", "evt:1") },
      { seq: 2, dedupe_key: dedupeKey("okta", "evt:1", "b@example.com") },
    ]);
    expect(sql.exec<{ version: number }>("SELECT version FROM ledger_schema").one().version).toBe(LEDGER_MIGRATIONS.length);
  });
});

it("v16 marks the revoke calls a refused token failed, so lifting their hold re-queues them", async () => {
  const scratch = env.LEDGER.get(env.LEDGER.idFromName("migration-v15-to-v16"));
  await runInDurableObject(scratch, async (_instance, state) => {
    const sql = state.storage.sql;
    for (const { name } of sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'")
      .toArray()) {
      sql.exec(`DROP TABLE ${name}`);
    }
    sql.exec("CREATE TABLE ledger_schema (version INTEGER NOT NULL)");
    for (const migration of LEDGER_MIGRATIONS.slice(0, 15)) sql.exec(migration);
    sql.exec("INSERT INTO ledger_schema (version) VALUES (15)");
    const call = (seq: number, target: string, state: string, httpStatus: number | null) =>
      sql.exec(
        "INSERT INTO calls (revocation_seq, target, kind, state, next_attempt_at, http_status) VALUES (?, ?, 'revoke', ?, 0, ?)",
        seq,
        target,
        state,
        httpStatus,
      );
    call(1, "zones/z", "failed", 403);
    call(2, "zones/z", "failed", 401);
    call(3, "zones/z", "failed", 400);
    call(4, "zones/z", "revoked", 200);
    migrateLedger(sql);
    const marked = sql
      .exec<{ revocation_seq: number; hold_failed: number }>("SELECT revocation_seq, hold_failed FROM calls ORDER BY revocation_seq")
      .toArray();
    expect(marked).toEqual([
      { revocation_seq: 1, hold_failed: 1 },
      { revocation_seq: 2, hold_failed: 1 },
      { revocation_seq: 3, hold_failed: 0 },
      { revocation_seq: 4, hold_failed: 0 },
    ]);
  });
});
