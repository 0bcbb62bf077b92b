// The Graph subscription the Worker keeps, against the local Graph fake (scripts/fake-graph.ts: the subscription
// resource type, Graph's validation of the notification URL, lifecycle notifications): created by the first Cron
// run after a validation handshake on both URLs, renewed well before it expires, created anew when Graph removed
// it, renewed when Graph asks for reauthorization; every failure recorded and shown in /healthz.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { TEST_ENTRA, TEST_PUBLIC_URL } from "../helpers/bindings";
import { ledgerClock } from "../helpers/clock";
import { cronRun, entraStats, healthNotes, useGraph } from "../helpers/entra";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import { operatorFetch, settleLedger, workerFetch } from "../helpers/worker";

useFakeCloudflare(settleLedger);
const graph = useGraph();
const DAY_MS = 86_400_000;

const subscriptionCalls = () => graph().requests.filter((request) => request.path.startsWith("/subscriptions"));

describe("the subscription", () => {
  it("is created by the first Cron run, on users, both URLs validated, with a clientState Graph keeps and the ledger too", async () => {
    // The whole scheduled handler, as `wrangler dev`'s /__scheduled or the platform runs it.
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const [subscription, ...others] = [...graph().subscriptions.values()];
    expect(others).toEqual([]);
    expect(subscription).toMatchObject({
      resource: "users",
      changeType: "updated,deleted",
      notificationUrl: `${TEST_PUBLIC_URL}/webhooks/entra`,
      lifecycleNotificationUrl: `${TEST_PUBLIC_URL}/webhooks/entra`,
    });
    expect(subscription!.clientState).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stats = await entraStats();
    expect(stats.subscription).toMatchObject({ id: subscription!.id, expires_at: subscription!.expirationDateTime, last_error: null });
    expect(Date.parse(stats.subscription.expires_at!) - ledgerClock.now()).toBeGreaterThan(28 * DAY_MS);
    // Kept as the managed connection `entra`, whose record the framework shows beside the source's liveness.
    expect(stats.connection).toMatchObject({
      kind: "graph-subscription",
      status: "ok",
      last_proof: "Graph created the subscription",
      last_proof_at: expect.any(String),
      created_at: expect.any(String),
      last_error: null,
      details: { subscription_id: subscription!.id, expires_at: new Date(subscription!.expirationDateTime).toISOString() },
    });
    // Its clientState is what every notification is checked against: nowhere in /v1/stats.
    expect(await (await operatorFetch("/v1/stats")).text()).not.toContain(subscription!.clientState);
    // Graph's validation requests were deliveries accepted (in the background: http/delivery-report.ts).
    await waitFor(async () => (await entraStats()).last_accepted_at !== null, 10_000, "the validation noted as a delivery");
    expect(stats.caught_by_delta).toBe(0);
    // A second run changes nothing.
    await cronRun();
    expect(subscriptionCalls()).toHaveLength(1);
  });

  it("is renewed once less than half its life is left, and not before", async () => {
    await cronRun();
    const [subscription] = [...graph().subscriptions.values()];
    const firstExpiry = Date.parse(subscription!.expirationDateTime);
    ledgerClock.advance(10 * DAY_MS);
    await cronRun();
    expect(subscriptionCalls().map((call) => call.method)).toEqual(["POST"]);
    ledgerClock.advance(5 * DAY_MS);
    await cronRun();
    expect(subscriptionCalls().map((call) => call.method)).toEqual(["POST", "PATCH"]);
    const renewed = Date.parse(graph().subscriptions.get(subscription!.id)!.expirationDateTime);
    expect(renewed - firstExpiry).toBeGreaterThanOrEqual(15 * DAY_MS - 60_000);
    expect((await entraStats()).subscription).toMatchObject({ id: subscription!.id, last_renewal_at: expect.any(String), last_error: null });
    expect((await entraStats()).connection?.details).toEqual({ subscription_id: subscription!.id, expires_at: new Date(renewed).toISOString() });
  });

  it("is created anew after Graph's subscriptionRemoved, at once, and notifications for the removed one still count a while", async () => {
    await cronRun();
    const [removed] = [...graph().subscriptions.values()];
    expect(await graph().lifecycle("subscriptionRemoved")).toEqual([202]);
    const replacement = await waitFor(() => Promise.resolve([...graph().subscriptions.values()][0]), 10_000, "a new subscription");
    expect(replacement.id).not.toBe(removed!.id);
    expect(replacement.clientState).not.toBe(removed!.clientState);
    expect((await entraStats()).subscription.id).toBe(replacement.id);
    // Sent before the removal, delivered after: still Graph's, for an hour.
    const late = {
      subscriptionId: removed!.id,
      clientState: removed!.clientState,
      tenantId: TEST_ENTRA.tenantId,
      changeType: "updated",
      resource: `Users/${crypto.randomUUID()}`,
    };
    const response = await workerFetch("/webhooks/entra", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ value: [late] }),
    });
    expect([response.status, await response.json()]).toEqual([202, { accepted: 1, refused: 0 }]);
  });

  it("is renewed when Graph asks for reauthorization", async () => {
    await cronRun();
    expect(await graph().lifecycle("reauthorizationRequired")).toEqual([202]);
    await waitFor(async () => subscriptionCalls().some((call) => call.method === "PATCH"), 10_000, "a renewal");
    await waitFor(async () => (await entraStats()).subscription.last_renewal_at !== null, 10_000, "the renewal recorded");
  });

  it("is created anew when Graph no longer has it (the renewal answered 404)", async () => {
    await cronRun();
    graph().subscriptions.clear();
    ledgerClock.advance(15 * DAY_MS);
    await cronRun();
    expect(subscriptionCalls().map((call) => call.method)).toEqual(["POST", "PATCH", "POST"]);
    expect(graph().subscriptions.size).toBe(1);
    expect((await entraStats()).subscription.id).toBe([...graph().subscriptions.keys()][0]);
  });

  it("records a refused creation, and /healthz names it, until a run succeeds", async () => {
    graph().setTokenEndpoint("refuse");
    await cronRun();
    expect(graph().subscriptions.size).toBe(0);
    const stats = await entraStats();
    expect(stats.subscription.id).toBeNull();
    expect(stats.subscription.last_error).toMatch(/^creating: .*token endpoint: HTTP 401 \(invalid_client\).*Microsoft refused the app/);
    expect(await healthNotes()).toContainEqual(
      expect.stringMatching(/^entra: keeping the Graph subscription failed at .*: creating: .*invalid_client/),
    );
    // The managed connection is failing, and /healthz says so as it does for every connection.
    expect(stats.connection).toMatchObject({ status: "failing", last_error: expect.stringMatching(/^creating: .*invalid_client/) });
    expect(await healthNotes()).toContainEqual(
      expect.stringMatching(/^managed connection entra \(graph-subscription\) failing since .*invalid_client/),
    );
    graph().setTokenEndpoint("up");
    // The delta catch-up, refused too, waits five minutes before it tries again.
    ledgerClock.advance(6 * 60_000);
    await cronRun();
    expect((await entraStats()).subscription).toMatchObject({ id: expect.any(String), last_error: null });
    expect((await entraStats()).connection).toMatchObject({ status: "ok", last_proof_at: expect.any(String) });
    expect((await healthNotes()).filter((note) => note.startsWith("entra:") || note.includes("connection entra"))).toEqual([]);
  });

  it("notes in /healthz a subscription that expired because every renewal failed", async () => {
    await cronRun();
    graph().setFault((request) => (request.method === "PATCH" ? Response.json({ error: { code: "ServiceUnavailable" } }, { status: 503 }) : null));
    ledgerClock.advance(30 * DAY_MS);
    // The subscription has expired: the run creates a new one, which the fake refuses too.
    graph().setFault(() => Response.json({ error: { code: "ServiceUnavailable" } }, { status: 503 }));
    await cronRun();
    const notes = await healthNotes();
    expect(notes).toContainEqual(
      expect.stringMatching(
        /^entra: the Graph subscription expired at .*the delta catch-up still runs\); see docs\/providers\.md#microsoft-entra-id$/,
      ),
    );
    expect(notes).toContainEqual(expect.stringMatching(/^entra: keeping the Graph subscription failed at .*: creating: unavailable: HTTP 503/));
  });
});

describe("Graph's validation of the notification URL", () => {
  const validate = (query: string) =>
    workerFetch(`/webhooks/entra?${query}`, { method: "POST", headers: { "content-type": "text/plain; charset=utf-8" } });

  it("answers the token as sent, URL-decoded, as text/plain and nothing else", async () => {
    const token = "Validation: Testing client application reachability for subscription Request-Id: 1e0c7b0e";
    const response = await validate(`validationToken=${encodeURIComponent(token)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await response.text()).toBe(token);
  });

  it("answers a hostile token only as inert text, and refuses one too long or with control characters", async () => {
    const script = "<script>alert(document.cookie)</script>";
    const inert = await validate(`validationToken=${encodeURIComponent(script)}`);
    expect([inert.status, inert.headers.get("content-type"), await inert.text()]).toEqual([200, "text/plain; charset=utf-8", script]);
    for (const hostile of ["a".repeat(1025), "line\r\nSet-Cookie: x=1", "zero\u0000byte", "ünïcödé"]) {
      const response = await validate(`validationToken=${encodeURIComponent(hostile)}`);
      expect(response.status, hostile.slice(0, 20)).toBe(400);
      expect(await response.text()).not.toContain(hostile.slice(0, 10));
    }
    expect((await validate("validationToken=ok&other=1")).status).toBe(400);
  });
});
