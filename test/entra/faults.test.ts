// Microsoft's side failing, against the local Graph fake (scripts/fake-graph.ts, faults injected before its
// model): a token refused or expired, a permission missing (403), throttling (429 with Retry-After, for a batch
// or one request inside it), Graph down (5xx), the token endpoint down. None of them revokes anyone, answers
// Graph a 5xx, or stops another source or the Cron Trigger's other work; each is recorded and retried.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { graphError } from "../../scripts/fake-graph";
import worker from "../../src/index";
import { ledgerClock } from "../helpers/clock";
import { cronRun, entraStats, healthNotes, useGraph } from "../helpers/entra";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import {
  deprovisioned,
  revocationsFor,
  revocationTotal,
  sendStandardDelivery,
  settleLedger,
  signedStandardDelivery,
  uniqueEmail,
} from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);
const graph = useGraph();
const MINUTE_MS = 60_000;

/** A subscribed tenant with one disabled user Graph has notified; answers the user's address. */
async function notifiedLeaver(label: string): Promise<string> {
  await cronRun();
  const email = uniqueEmail(label);
  const user = graph().putUser({ mail: email });
  graph().updateUser(user.id, { accountEnabled: false });
  expect(await graph().notify(user.id, "updated")).toEqual([202]);
  return email;
}

const batches = () => graph().requests.filter((request) => request.path === "/$batch").length;
const readAttempted = (count: number) => waitFor(async () => batches() >= count, 10_000, `${count} batch read(s)`);
const failBatches = (answer: () => Response) => graph().setFault((request) => (request.path === "/$batch" ? answer() : null));

describe("a read of notified users that fails", () => {
  it("Graph answers 401 to a cached token (revoked, rotated): a new one is fetched once, and the read goes on", async () => {
    await cronRun();
    graph().revokeTokens();
    const email = uniqueEmail("entra-401-once");
    const user = graph().putUser({ mail: email, accountEnabled: false });
    await graph().notify(user.id, "updated");
    expect(await revocationsFor(email)).toEqual([expect.objectContaining({ status: "revoked" })]);
  });

  it("Graph answers 403 (no User.Read.All): nobody revoked, /healthz says why, and the read is retried after a backoff", async () => {
    failBatches(() => graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."));
    const email = await notifiedLeaver("entra-403");
    await readAttempted(1);
    await waitFor(async () => (await entraStats()).lookups.last_error !== null, 10_000, "the failure recorded");
    expect(await healthNotes()).toContainEqual(
      expect.stringMatching(/^entra: reading notified users from Graph failed: .*HTTP 403 \(Authorization_RequestDenied\).*User\.Read\.All/),
    );
    expect(fake().callsFor(email)).toHaveLength(0);
    await cronRun();
    expect(batches()).toBe(1);
    graph().setFault(null);
    ledgerClock.advance(MINUTE_MS);
    await cronRun();
    expect(await revocationsFor(email)).toEqual([expect.objectContaining({ status: "revoked" })]);
    expect((await entraStats()).lookups.last_error).toBeNull();
  });

  it("Graph answers 429 with Retry-After: every read pauses until then, then goes on", async () => {
    failBatches(() => graphError(429, "TooManyRequests", "Too many requests", { "Retry-After": "120" }));
    const email = await notifiedLeaver("entra-429");
    await readAttempted(1);
    await waitFor(async () => (await entraStats()).lookups.paused_until !== null, 10_000, "the pause recorded");
    expect(await healthNotes()).toContainEqual(expect.stringMatching(/^entra: Graph asked the Worker to wait \(429\) until /));
    graph().setFault(null);
    ledgerClock.advance(MINUTE_MS);
    await cronRun();
    expect(batches()).toBe(1);
    expect(fake().callsFor(email)).toHaveLength(0);
    ledgerClock.advance(2 * MINUTE_MS);
    await cronRun();
    expect(await revocationsFor(email)).toEqual([expect.objectContaining({ status: "revoked" })]);
  });

  it("one request inside the batch answered 429: that user waits out its Retry-After, the others are decided", async () => {
    await cronRun();
    const [throttled, other] = [uniqueEmail("entra-inner-429"), uniqueEmail("entra-inner-ok")];
    const [a, b] = [graph().putUser({ mail: throttled, accountEnabled: false }), graph().putUser({ mail: other, accountEnabled: false })];
    graph().setFault((request) =>
      request.path === `/users/${a.id}` ? graphError(429, "TooManyRequests", "slow down", { "Retry-After": "30" }) : null,
    );
    expect(await graph().notify([a.id, b.id], "updated")).toEqual([202]);
    expect(await revocationsFor(other)).toEqual([expect.objectContaining({ status: "revoked" })]);
    await waitFor(async () => (await entraStats()).lookups.pending === 1, 10_000, "the throttled user left waiting");
    expect(fake().callsFor(throttled)).toHaveLength(0);
    graph().setFault(null);
    ledgerClock.advance(MINUTE_MS);
    await cronRun();
    expect(await revocationsFor(throttled)).toEqual([expect.objectContaining({ status: "revoked" })]);
  });

  it("Graph down (503 without Retry-After, 500): retried after a backoff; nobody revoked until a read succeeds", async () => {
    failBatches(() => graphError(500, "InternalServerError", "boom"));
    const email = await notifiedLeaver("entra-5xx");
    await readAttempted(1);
    await waitFor(async () => (await entraStats()).lookups.last_error !== null, 10_000, "the failure recorded");
    expect((await entraStats()).lookups.last_error).toMatch(/^unavailable: HTTP 500/);
    expect(fake().callsFor(email)).toHaveLength(0);
    graph().setFault(null);
    ledgerClock.advance(MINUTE_MS);
    await cronRun();
    expect(await revocationsFor(email)).toEqual([expect.objectContaining({ status: "revoked" })]);
  });

  it("the token endpoint down: the notification is still answered 202 and kept, /healthz names it, other sources work, the Cron run completes", async () => {
    await cronRun();
    graph().revokeTokens();
    graph().setTokenEndpoint("down");
    const email = uniqueEmail("entra-login-down");
    const user = graph().putUser({ mail: email, accountEnabled: false });
    expect(await graph().notify(user.id, "updated")).toEqual([202]);
    await waitFor(async () => (await entraStats()).lookups.last_error !== null, 10_000, "the failure recorded");
    expect((await entraStats()).lookups).toMatchObject({ pending: 1, last_error: expect.stringMatching(/token endpoint: HTTP 503/) });
    // Another source meanwhile.
    const other = uniqueEmail("standard-while-entra-down");
    expect((await sendStandardDelivery(await signedStandardDelivery(deprovisioned(other)))).status).toBe(202);
    expect(await revocationsFor(other)).toEqual([expect.objectContaining({ status: "revoked" })]);
    // The whole scheduled handler, Entra failing inside it.
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(fake().callsFor(email)).toHaveLength(0);
    graph().setTokenEndpoint("up");
    ledgerClock.advance(5 * MINUTE_MS);
    await cronRun();
    expect(await revocationsFor(email)).toEqual([expect.objectContaining({ status: "revoked" })]);
  });
});

describe("the delta catch-up failing", () => {
  it("429 pauses it until Retry-After; 403 is recorded and retried in five minutes; nobody revoked meanwhile", async () => {
    const email = uniqueEmail("entra-delta-faults");
    const user = graph().putUser({ mail: email });
    await cronRun();
    graph().updateUser(user.id, { accountEnabled: false });
    const before = await revocationTotal();
    graph().setFault((request) => (request.path === "/users/delta" ? graphError(429, "TooManyRequests", "slow", { "Retry-After": "600" }) : null));
    ledgerClock.advance(16 * MINUTE_MS);
    await cronRun();
    expect((await entraStats()).delta.last_error).toMatch(/^throttled: HTTP 429/);
    const deltaCalls = () => graph().requests.filter((request) => request.path === "/users/delta").length;
    const calls = deltaCalls();
    ledgerClock.advance(5 * MINUTE_MS);
    await cronRun();
    expect(deltaCalls()).toBe(calls);
    graph().setFault((request) => (request.path === "/users/delta" ? graphError(403, "Authorization_RequestDenied", "no") : null));
    ledgerClock.advance(6 * MINUTE_MS);
    await cronRun();
    expect((await entraStats()).delta.last_error).toMatch(/^refused: HTTP 403/);
    expect(await revocationTotal()).toBe(before);
    graph().setFault(null);
    ledgerClock.advance(6 * MINUTE_MS);
    await cronRun();
    expect(await revocationsFor(email)).toEqual([expect.objectContaining({ status: "revoked" })]);
    expect((await entraStats()).delta.last_error).toBeNull();
  });

  it("a page with neither link, or a link off Graph's origin, stops the round without revoking", async () => {
    await cronRun();
    graph().setFault((request) =>
      request.path === "/users/delta" ? Response.json({ value: [], "@odata.nextLink": "https://evil.test/steal" }) : null,
    );
    ledgerClock.advance(16 * MINUTE_MS);
    await cronRun();
    await cronRun();
    expect((await entraStats()).delta.last_error).toMatch(/^malformed: the delta link is not on Graph's origin/);
    expect(graph().requests.every((request) => !request.path.includes("steal"))).toBe(true);
  });
});
