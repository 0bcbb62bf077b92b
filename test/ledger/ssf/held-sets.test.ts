// The ledger's held SETs (src/ledger/ssf/held-sets.ts) on a scratch ledger's real SQLite: a redelivered token
// is the same held SET, a transmitter's holdings are bounded, a retry waits, a decided SET is forgotten.
// The route and the Cron Trigger around them are tested through the Worker in test/ssf/push.test.ts.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import {
  dueHeldSets,
  HELD_BYTES_PER_TRANSMITTER,
  HELD_SETS_PER_TRANSMITTER,
  heldSetsByTransmitter,
  holdSet,
  settleHeldSets,
} from "../../../src/ledger/ssf/held-sets";

const scratch = () => env.LEDGER.get(env.LEDGER.idFromName(`held-sets-${crypto.randomUUID()}`));

it("holds a token once, bounds each transmitter, keeps when it arrived, and schedules and forgets by the ledger's clock", async () => {
  await runInDurableObject(scratch(), async (_instance, state) => {
    const sql = state.storage.sql;
    const t0 = 1_800_000_000_000;
    // Received at t0 - 5 s by the receiver's clock, held at t0 by the ledger's.
    expect(holdSet(sql, "acme", "token-0", "digest-0", t0 - 5_000, t0)).toBe("held");
    expect(holdSet(sql, "acme", "token-0", "digest-0", t0 + 1, t0 + 1)).toBe("already_held");
    for (let i = 1; i < HELD_SETS_PER_TRANSMITTER; i++) expect(holdSet(sql, "acme", `token-${i}`, `digest-${i}`, t0 + i, t0 + i)).toBe("held");
    expect(holdSet(sql, "acme", "one-too-many", "digest-x", t0 + 5_000, t0 + 5_000)).toBe("full");
    // The bound is per transmitter: another one's SETs are still held.
    expect(holdSet(sql, "other", "other-token", "digest-0", t0 + 5_000, t0 + 5_000)).toBe("held");

    const [first] = dueHeldSets(sql, t0 + 10_000, 1, HELD_BYTES_PER_TRANSMITTER);
    expect(first).toMatchObject({ transmitter: "acme", token: "token-0", received_at: t0 - 5_000, attempts: 0 });
    settleHeldSets(sql, [{ id: first!.id, retryInMs: 60_000, detail: "JWKS: HTTP 503" }], t0 + 10_000);
    expect(dueHeldSets(sql, t0 + 10_000, 2000, HELD_BYTES_PER_TRANSMITTER).map((set) => set.token)).not.toContain("token-0");
    expect(dueHeldSets(sql, t0 + 70_000, 1, HELD_BYTES_PER_TRANSMITTER)[0]).toMatchObject({ token: "token-0", attempts: 1 });
    expect(heldSetsByTransmitter(sql).get("acme")).toEqual({
      count: HELD_SETS_PER_TRANSMITTER,
      oldest_received_at: new Date(t0 - 5_000).toISOString(),
      last_detail: "JWKS: HTTP 503",
    });

    settleHeldSets(sql, [{ id: first!.id, retryInMs: null, detail: null }], t0 + 70_000);
    expect(holdSet(sql, "acme", "one-too-many", "digest-x", t0 + 70_000, t0 + 70_000)).toBe("held");
    expect(heldSetsByTransmitter(sql).get("acme")!.count).toBe(HELD_SETS_PER_TRANSMITTER);
  });
});

it("bounds each transmitter's bytes as well as its count: 64 KiB forgeries fill 4 MiB, not 63 MB (issue #18)", async () => {
  await runInDurableObject(scratch(), async (_instance, state) => {
    const sql = state.storage.sql;
    const big = (i: number) => `${i}.`.padEnd(64 * 1024, "x");
    const fits = Math.floor(HELD_BYTES_PER_TRANSMITTER / (64 * 1024));
    for (let i = 0; i < fits; i++) expect(holdSet(sql, "acme", big(i), `big-${i}`, i, i)).toBe("held");
    expect(holdSet(sql, "acme", big(fits), "big-x", fits, fits)).toBe("full");
    // Far under the count bound: the bytes decided.
    expect(heldSetsByTransmitter(sql).get("acme")!.count).toBe(fits);
    const stored = sql.exec<{ bytes: number }>("SELECT SUM(LENGTH(token)) AS bytes FROM held_sets WHERE transmitter = 'acme'").one().bytes;
    expect(stored).toBeLessThanOrEqual(HELD_BYTES_PER_TRANSMITTER);
    // Another transmitter has its own budget.
    expect(holdSet(sql, "other", big(0), "big-0", 0, 0)).toBe("held");
  });
});

it("deals due SETs round robin across transmitters, each one's oldest first, so a flood delays no other transmitter (issue #18)", async () => {
  await runInDurableObject(scratch(), async (_instance, state) => {
    const sql = state.storage.sql;
    for (let i = 0; i < 500; i++) holdSet(sql, "flooded", `forgery-${i}`, `f-${i}`, 1_000 + i, 1_000 + i);
    holdSet(sql, "quiet", "real-1", "r-1", 2_000, 2_000);
    holdSet(sql, "quiet", "real-2", "r-2", 2_001, 2_001);
    const due = dueHeldSets(sql, 10_000, 4, HELD_BYTES_PER_TRANSMITTER).map((set) => set.token);
    expect(due).toEqual(["forgery-0", "real-1", "forgery-1", "real-2"]);
  });
});

it("answers about maxBytes of due SETs, the one that crosses it last, and always one", async () => {
  await runInDurableObject(scratch(), async (_instance, state) => {
    const sql = state.storage.sql;
    for (let i = 0; i < 5; i++) holdSet(sql, "acme", `${i}`.padEnd(100, "x"), `d-${i}`, i, i);
    expect(dueHeldSets(sql, 10, 1_000, 250)).toHaveLength(3);
    expect(dueHeldSets(sql, 10, 1_000, 300)).toHaveLength(3);
    expect(dueHeldSets(sql, 10, 1_000, 301)).toHaveLength(4);
    expect(dueHeldSets(sql, 10, 1_000, 1)).toHaveLength(1);
  });
});
