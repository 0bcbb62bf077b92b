// The ledger's held SETs (src/ledger/held-sets.ts) on a scratch ledger's real SQLite: a redelivered token
// is the same held SET, a transmitter's holdings are bounded, a retry waits, a decided SET is forgotten.
// The route and the Cron Trigger around them are tested through the Worker in test/ssf/push.test.ts.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { dueHeldSets, HELD_SETS_PER_TRANSMITTER, heldSetsByTransmitter, holdSet, settleHeldSet } from "../../src/ledger/held-sets";

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

    const [first] = dueHeldSets(sql, t0 + 10_000, 1);
    expect(first).toMatchObject({ transmitter: "acme", token: "token-0", received_at: t0 - 5_000, attempts: 0 });
    settleHeldSet(sql, first!.id, 60_000, "JWKS: HTTP 503", t0 + 10_000);
    expect(dueHeldSets(sql, t0 + 10_000, 2000).map((set) => set.token)).not.toContain("token-0");
    expect(dueHeldSets(sql, t0 + 70_000, 1)[0]).toMatchObject({ token: "token-0", attempts: 1 });
    expect(heldSetsByTransmitter(sql).get("acme")).toEqual({
      count: HELD_SETS_PER_TRANSMITTER,
      oldest_received_at: new Date(t0 - 5_000).toISOString(),
      last_detail: "JWKS: HTTP 503",
    });

    settleHeldSet(sql, first!.id, null, null, t0 + 70_000);
    expect(holdSet(sql, "acme", "one-too-many", "digest-x", t0 + 70_000, t0 + 70_000)).toBe("held");
    expect(heldSetsByTransmitter(sql).get("acme")!.count).toBe(HELD_SETS_PER_TRANSMITTER);
  });
});
