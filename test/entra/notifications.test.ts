// Change notifications through the real Worker, from the local Graph fake (scripts/fake-graph.ts: the
// changeNotificationCollection Graph POSTs for a subscription on users, resource "Users/{id}"): committed before
// the 202, each named user then read from Graph (the user, else directory/deletedItems, else gone) and revoked
// once when disabled, soft-deleted or gone; an enabled user revokes no one; a forged notification nothing at all.
import { describe, expect, it } from "vitest";
import { TEST_ENTRA } from "../helpers/bindings";
import { cronRun, entraStats, useGraph } from "../helpers/entra";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import { operatorFetch, revocationsFor, revocationTotal, settleLedger, uniqueEmail, workerFetch } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);
const graph = useGraph();

/** The Cron run that creates the subscription and reads the (empty) tenant's baseline. */
async function subscribed() {
  await cronRun();
  return [...graph().subscriptions.values()][0]!;
}

const lookupsDone = () => waitFor(async () => (await entraStats()).lookups.pending === 0, 10_000, "every notified user read");

function post(items: unknown[]) {
  return workerFetch("/webhooks/entra", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ value: items }) });
}

describe("a notification Graph sent", () => {
  it("for a disabled user: 202 at once, then one revocation per target within a drain cycle", async () => {
    await subscribed();
    const email = uniqueEmail("entra-disabled");
    const user = graph().putUser({ mail: email });
    graph().updateUser(user.id, { accountEnabled: false });
    expect(await graph().notify(user.id, "updated")).toEqual([202]);
    const [record, ...others] = await revocationsFor(email);
    expect(others).toEqual([]);
    expect(record).toMatchObject({
      status: "revoked",
      source: "entra",
      assurance: "provider_read",
      subject_id: user.id,
      event_type: "user.disabled",
    });
    expect(fake().callsFor(email)).toHaveLength(2);
    const stats = await entraStats();
    expect(stats.last_notification_at).not.toBeNull();
    // The source's liveness (ledger/deliveries/), noted in the transaction that committed the notification.
    expect(stats.last_accepted_at).toBe(stats.last_notification_at);
    // And proves the managed connection alive.
    expect(stats.connection).toMatchObject({
      last_proof: "a change notification verified by its clientState",
      last_proof_at: stats.last_notification_at,
    });
  });

  it("for an enabled user: read, and nobody revoked", async () => {
    await subscribed();
    const email = uniqueEmail("entra-enabled");
    const user = graph().putUser({ mail: email });
    const before = await revocationTotal();
    expect(await graph().notify(user.id, "updated")).toEqual([202]);
    await lookupsDone();
    expect(graph().requests.some((request) => request.path === "/$batch")).toBe(true);
    expect(await revocationTotal()).toBe(before);
    expect(fake().callsFor(email)).toHaveLength(0);
  });

  it("for a soft-deleted user: read from deletedItems, revoked by every address (the renamed UPN's prefix taken off)", async () => {
    await subscribed();
    const [mail, upn] = [uniqueEmail("entra-soft-mail"), uniqueEmail("entra-soft-upn")];
    const user = graph().putUser({ mail, userPrincipalName: upn });
    graph().updateUser(user.id, { deleted: "soft" });
    expect(await graph().notify(user.id, "deleted")).toEqual([202]);
    for (const email of [mail, upn])
      expect(await revocationsFor(email)).toEqual([expect.objectContaining({ status: "revoked", event_type: "user.deleted" })]);
  });

  it("for a user deleted for good: revoked through the directory, which the baseline fed", async () => {
    const email = uniqueEmail("entra-purged");
    const user = graph().putUser({ mail: email });
    await subscribed();
    graph().updateUser(user.id, { deleted: "hard" });
    expect(await graph().notify(user.id, "deleted")).toEqual([202]);
    expect(await revocationsFor(email)).toEqual([
      expect.objectContaining({ status: "revoked", event_type: "user.deleted_permanently", subject_id: user.id }),
    ]);
  });

  it("repeated, or followed by the delta catch-up: still one revocation, and not a catch", async () => {
    await subscribed();
    const email = uniqueEmail("entra-once");
    const user = graph().putUser({ mail: email });
    graph().updateUser(user.id, { accountEnabled: false });
    await graph().notify(user.id, "updated");
    await revocationsFor(email);
    await graph().notify(user.id, "updated");
    await lookupsDone();
    expect(await graph().lifecycle("missed")).toEqual([202]);
    await waitFor(async () => (await entraStats()).delta.last_ok_at !== null, 10_000, "the delta round");
    await settleLedger();
    expect(await revocationsFor(email)).toHaveLength(1);
    expect((await entraStats()).caught_by_delta).toBe(0);
  });
});

describe("a notification that is not Graph's: 401, nothing read, nobody revoked", () => {
  async function forged(mutate: (item: Record<string, unknown>) => void) {
    const subscription = await subscribed();
    const user = graph().putUser({ mail: uniqueEmail("entra-forged"), accountEnabled: false });
    const item: Record<string, unknown> = {
      subscriptionId: subscription.id,
      clientState: subscription.clientState,
      tenantId: TEST_ENTRA.tenantId,
      changeType: "updated",
      resource: `Users/${user.id}`,
      resourceData: { "@odata.type": "#Microsoft.Graph.User", "@odata.id": `Users/${user.id}`, id: user.id, organizationId: TEST_ENTRA.tenantId },
    };
    mutate(item);
    return { item, user };
  }

  it.each([
    ["no clientState", (item: Record<string, unknown>) => delete item.clientState],
    ["a wrong clientState", (item: Record<string, unknown>) => (item.clientState = "guessed-client-state")],
    [
      "the clientState with one character changed",
      (item: Record<string, unknown>) => (item.clientState = `${String(item.clientState).slice(0, -1)}x`),
    ],
    ["an unknown subscription id", (item: Record<string, unknown>) => (item.subscriptionId = crypto.randomUUID())],
    ["another tenant", (item: Record<string, unknown>) => (item.tenantId = crypto.randomUUID())],
  ])("%s", async (_, mutate) => {
    const { item, user } = await forged(mutate);
    const before = await revocationTotal();
    const response = await post([item]);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: "invalid_signature", message: "the notification could not be verified" } });
    expect(graph().requests.some((request) => request.path === "/$batch")).toBe(false);
    expect((await entraStats()).lookups.pending).toBe(0);
    expect(await revocationTotal()).toBe(before);
    expect(fake().callsFor(user.mail!)).toHaveLength(0);
  });

  it("a batch mixing a forged item with a genuine one: 202, only the genuine one read", async () => {
    const { item, user } = await forged(() => {});
    const other = graph().putUser({ mail: uniqueEmail("entra-mixed"), accountEnabled: false });
    const response = await post([item, { ...item, clientState: "forged", resource: `Users/${other.id}`, resourceData: { id: other.id } }]);
    expect([response.status, await response.json()]).toEqual([202, { accepted: 1, refused: 1 }]);
    expect(await revocationsFor(user.mail!)).toHaveLength(1);
    await lookupsDone();
    expect(fake().callsFor(other.mail!)).toHaveLength(0);
  });

  it("bodies that are no notification collection: 400 or 413, never 5xx", async () => {
    await subscribed();
    const cases: [string, number][] = [
      ["{", 400],
      ["[]", 400],
      [JSON.stringify({ value: [] }), 400],
      [JSON.stringify({ value: Array.from({ length: 1001 }, () => ({})) }), 400],
      [JSON.stringify({ value: "x".repeat(300 * 1024) }), 413],
    ];
    for (const [body, status] of cases) {
      const response = await workerFetch("/webhooks/entra", { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(response.status, body.slice(0, 30)).toBe(status);
    }
    const garbage = await post([null, 7, "x", { subscriptionId: 1 }]);
    expect(garbage.status).toBe(401);
  });
});

describe("the directory the source feeds", () => {
  it("knows every Entra user's addresses from the baseline, under the source entra", async () => {
    const email = uniqueEmail("entra-directory");
    const user = graph().putUser({ mail: email, otherMails: ["Alias.Of.Them@Example.com"] });
    await subscribed();
    const entry = (await (await operatorFetch(`/v1/directory/entra/${user.id}`)).json()) as { emails: string[] };
    expect(entry.emails.sort()).toEqual([email, "alias.of.them@example.com"].sort());
  });
});
