import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { connectionViews } from "../../src/ledger/connections/record";
import { LEDGER_MIGRATIONS, migrateLedger } from "../../src/ledger/migrations";
import { dedupeKey } from "../../src/ledger/revocations/insert";
import { ledgerStub } from "../helpers/worker";

/**
 * SHA-256 of sqlite_master (type, name, table, SQL of every table and index, by type and name) after versions
 * 1..v, as each version shipped. Computed from the migrations before the ledger was cut into feature folders
 * (issue #19), whose parts of a version now live in each table's folder: they must build the same schema.
 */
const SHIPPED_SCHEMAS = [
  "2e0375176e92ace4c8a46984480851c94252412e9cadf19525594c842f868c28",
  "4a32933b0778cc36f01fa93e37b8054531915866d41fbbeb57713b4f7edbd8fd",
  "d998f875c164ca33a3f4a40569cdd1792a853e774592e4bbd6a97438b831027c",
  "978295201c04b9de50b6764f4b3cce074af80943789088b30029dc59361d045e",
  "2e592af50811dac5b3936379355b62d3989ee41650e35ce54045296dab877b00",
  "f3bb0dcee2026bf5986a91691b42447f9213dc172d1e6a87bb40d880dda40899",
  "9bb586be366a3b437f5baa0c0f220d75d83ac22f458259d07ccc3db9db2cd463",
  "4b8ee35d0174389b14fd7a1a8b2ba3fdbe86850bcf02cfdca745058b00d7a664",
  "479290b149e0793c23262d302a6db981f3254206226e46e57df2d2446692c7c1",
  "b019bdcc2c633d08f7ba91be7b3f9d081d36b36f11130e5e4f3d08ac2467fb8b",
  "d43bc9539ef581c0a3b69343d47604a5aa9fd16f3e14425832891c657b85e62c",
  "2414b42afe4a0285334967684ea6308661a6748bddb600ed4e91d84a142d0993",
  "f9cf2d2736f81c244524ddeae0b0c6598e9bb5d0127aa54b197191d3f3e3d25c",
  "2e5aaed0ce9048c5859fcfb8f9262bf8c12d77e45e03dc3a5aeb4e1c55410760",
  "ae09b1c09d4f3efeeace9812a1941d3a6a9805f782bfb3fb885919f03a5f7e07",
  "960de1bbaded9b4f39e10f397dfbcf58025491f42380ecdd6263108637b01f75",
  // v17–v23 as they shipped, pinned with v24 (issue #20: managed_connections.details).
  "d06cd28a4b39b458c3cd6a0e2386e1788e17d3564f52b4c650e6b17ab77db1a4",
  "4314cbafb35524fa23f715f9f720914d23308cd3d7974085ff0baafc9a5f8520",
  "319c3a2f1ca60729f2938b121266cf3597075204140af3b8f558b01b95c4e9ca",
  "ec5ac5a8bdc7374c916a435cac451b671e6ef22d14e2029d601091e5524f7631",
  "d68eb25c5aa72f61dc40c12217c4334f032c9fca8e727c5d8cd24b0e91c8a5c9",
  "b056b98a158b9b4ed0358fe6fa5d3a3316cd34c538cbf0939cd7f6387e825f26",
  "ac4ee2aed9e5b56eb2c781849167985da16249a0c5e96541534dbcda2d5cc9e3",
  "1aeb810698f24756e3dd81cb208ed68353241acd76fd7de057851553eb70926d",
];

/** Drops every table of a scratch ledger, so a test can build it from version 0. */
function dropAll(sql: SqlStorage): void {
  for (const { name } of sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'")
    .toArray()) {
    sql.exec(`DROP TABLE ${name}`);
  }
}

async function schemaDigest(sql: SqlStorage): Promise<string> {
  const rows = sql
    .exec("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY type, name")
    .toArray();
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(rows)));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

it("builds, version by version, the schema each shipped version built (a ledger at any version migrates as before)", async () => {
  expect(LEDGER_MIGRATIONS.length).toBeGreaterThanOrEqual(SHIPPED_SCHEMAS.length);
  const scratch = env.LEDGER.get(env.LEDGER.idFromName(`migration-digests-${crypto.randomUUID()}`));
  await runInDurableObject(scratch, async (_instance, state) => {
    const sql = state.storage.sql;
    const built: string[] = [];
    for (let version = 1; version <= SHIPPED_SCHEMAS.length; version++) {
      dropAll(sql);
      for (const migration of LEDGER_MIGRATIONS.slice(0, version)) sql.exec(migration);
      built.push(await schemaDigest(sql));
    }
    expect(built).toEqual(SHIPPED_SCHEMAS);
  });
});

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
    dropAll(sql);
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
    dropAll(sql);
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

it("v24 gives managed connections their details, keeping every row a v23 ledger had (none shown until a run answers some)", async () => {
  const scratch = env.LEDGER.get(env.LEDGER.idFromName("migration-v23-to-v24"));
  await runInDurableObject(scratch, async (_instance, state) => {
    const sql = state.storage.sql;
    dropAll(sql);
    sql.exec("CREATE TABLE ledger_schema (version INTEGER NOT NULL)");
    for (const migration of LEDGER_MIGRATIONS.slice(0, 23)) sql.exec(migration);
    sql.exec("INSERT INTO ledger_schema (version) VALUES (23)");
    sql.exec(
      "INSERT INTO managed_connections (name, kind, status, state, first_seen_at, created_at) VALUES ('ssf-okta', 'ssf-stream', 'ok', '{\"stream_id\":\"s-1\"}', 1, 2)",
    );
    migrateLedger(sql);
    expect(sql.exec("SELECT name, kind, state, created_at, details FROM managed_connections").toArray()).toEqual([
      { name: "ssf-okta", kind: "ssf-stream", state: '{"stream_id":"s-1"}', created_at: 2, details: null },
    ]);
    expect(connectionViews(sql).get("ssf-okta")).not.toHaveProperty("details");
  });
});
