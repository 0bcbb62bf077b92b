// The delta catch-up against the local Graph fake (scripts/fake-graph.ts: users/delta with $select, pages linked
// by @odata.nextLink, rounds by @odata.deltaLink, "@removed" entries, an expired token answered 410 or
// syncStateNotFound): the first round reads the whole tenant and revokes no one; a later round revokes, once,
// whoever it finds disabled or removed that no notification brought, and counts them as caught_by_delta.
import { describe, expect, it } from "vitest";
import { ledgerClock } from "../helpers/clock";
import { cronRun, entraStats, healthNotes, useGraph } from "../helpers/entra";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { revocationsFor, revocationTotal, settleLedger, uniqueEmail } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);
const graph = useGraph({ pageSize: 2 });
const MINUTE_MS = 60_000;

const deltaCalls = () => graph().requests.filter((request) => request.path === "/users/delta");

describe("the first round (the baseline)", () => {
  it("reads every page of the tenant with $select, and revokes no one, not even those already disabled", async () => {
    const disabled = [uniqueEmail("entra-old-leaver"), uniqueEmail("entra-old-leaver")];
    for (const mail of disabled) graph().putUser({ mail, accountEnabled: false });
    graph().putUser({ mail: uniqueEmail("entra-staff") });
    const before = await revocationTotal();
    await cronRun();
    const calls = deltaCalls();
    expect(calls).toHaveLength(2);
    expect(new URLSearchParams(calls[0]!.search).get("$select")).toBe("id,accountEnabled,mail,userPrincipalName,otherMails");
    expect(new URLSearchParams(calls[1]!.search).get("$skiptoken")).not.toBeNull();
    expect(await revocationTotal()).toBe(before);
    expect((await entraStats()).delta).toMatchObject({ baseline: "done", last_error: null, last_ok_at: expect.any(String) });
    // Nor does a later change to one of them revoke them: they were decided by the baseline.
    graph().updateUser([...graph().users.values()].find((user) => user.mail === disabled[0])!.id, { otherMails: ["x@example.com"] });
    ledgerClock.advance(16 * MINUTE_MS);
    await cronRun();
    expect(await revocationTotal()).toBe(before);
    expect((await entraStats()).caught_by_delta).toBe(0);
  });

  it("spreads a large tenant over several Cron runs, eight pages each", async () => {
    for (let i = 0; i < 20; i++) graph().putUser({ mail: uniqueEmail("entra-many") });
    await cronRun();
    expect(deltaCalls()).toHaveLength(8);
    expect((await entraStats()).delta.baseline).toBe("running");
    await cronRun();
    expect(deltaCalls()).toHaveLength(10);
    expect((await entraStats()).delta.baseline).toBe("done");
  });
});

describe("a later round", () => {
  it("revokes a user disabled while the notification was lost, once, and counts it as caught_by_delta", async () => {
    const email = uniqueEmail("entra-caught");
    const user = graph().putUser({ mail: email });
    await cronRun();
    graph().updateUser(user.id, { accountEnabled: false });
    // Not yet due: the round waits ENTRA_DELTA_EVERY_MINUTES.
    await cronRun();
    expect(fake().callsFor(email)).toHaveLength(0);
    ledgerClock.advance(16 * MINUTE_MS);
    await cronRun();
    const [record] = await revocationsFor(email);
    expect(record).toMatchObject({ status: "revoked", source: "entra", event_type: "user.disabled" });
    expect(record!.reason).toContain("caught by the delta catch-up");
    expect((await entraStats()).caught_by_delta).toBe(1);
    // The next round lists nothing new; the one after a replay of the same user revokes nothing more.
    ledgerClock.advance(16 * MINUTE_MS);
    graph().updateUser(user.id, { otherMails: ["again@example.com"] });
    await cronRun();
    await settleLedger();
    expect(await revocationsFor(email)).toHaveLength(1);
    expect((await entraStats()).caught_by_delta).toBe(1);
  });

  it("revokes a user removed for good (an @removed entry) through the directory, and one soft-deleted", async () => {
    const [gone, soft] = [uniqueEmail("entra-removed"), uniqueEmail("entra-soft")];
    const [a, b] = [graph().putUser({ mail: gone }), graph().putUser({ mail: soft })];
    await cronRun();
    graph().updateUser(a.id, { deleted: "hard" });
    graph().updateUser(b.id, { deleted: "soft" });
    ledgerClock.advance(16 * MINUTE_MS);
    await cronRun();
    expect(await revocationsFor(gone)).toEqual([expect.objectContaining({ status: "revoked", event_type: "user.deleted_permanently" })]);
    expect(await revocationsFor(soft)).toEqual([expect.objectContaining({ status: "revoked", event_type: "user.deleted" })]);
    expect((await entraStats()).caught_by_delta).toBe(2);
  });

  it("revokes again after a re-enable and a second disablement", async () => {
    const email = uniqueEmail("entra-twice");
    const user = graph().putUser({ mail: email });
    await cronRun();
    for (const accountEnabled of [false, true, false]) {
      graph().updateUser(user.id, { accountEnabled });
      ledgerClock.advance(16 * MINUTE_MS);
      await cronRun();
    }
    await settleLedger();
    expect(await revocationsFor(email)).toHaveLength(2);
  });

  it("runs at once after a `missed` lifecycle notification", async () => {
    const email = uniqueEmail("entra-missed");
    const user = graph().putUser({ mail: email });
    await cronRun();
    graph().updateUser(user.id, { accountEnabled: false });
    expect(await graph().lifecycle("missed")).toEqual([202]);
    expect(await revocationsFor(email)).toEqual([expect.objectContaining({ status: "revoked" })]);
  });
});

describe("a delta link Graph no longer takes", () => {
  it.each(["410", "syncStateNotFound"] as const)(
    "(%s): starts a full read and says so; the resync revokes who was disabled meanwhile",
    async (answer) => {
      const [staff, leaver] = [uniqueEmail("entra-resync-staff"), uniqueEmail("entra-resync-leaver")];
      graph().putUser({ mail: staff });
      const user = graph().putUser({ mail: leaver });
      await cronRun();
      graph().expireDeltaTokens(answer);
      graph().updateUser(user.id, { accountEnabled: false });
      ledgerClock.advance(16 * MINUTE_MS);
      await cronRun();
      expect(await healthNotes()).toContainEqual(
        expect.stringMatching(
          /^entra: the delta catch-up failed: the delta link was refused \(HTTP (410|400) .*a new full read starts; see docs\/providers\.md#microsoft-entra-id$/,
        ),
      );
      expect((await entraStats()).delta.last_reset).toMatchObject({ reason: expect.stringMatching(/HTTP (410|400)/) });
      await cronRun();
      expect(await revocationsFor(leaver)).toEqual([expect.objectContaining({ status: "revoked" })]);
      expect(fake().callsFor(staff)).toHaveLength(0);
      expect(await healthNotes()).toContainEqual(expect.stringMatching(/^entra: Graph refused the delta link at .*; a new full read was started/));
    },
  );
});
