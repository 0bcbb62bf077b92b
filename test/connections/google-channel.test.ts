// The Google Workspace channel the Worker keeps (src/connections/google-channel/) against the local Google fake
// (test/helpers/google-fake.ts): created on the Cron's runs, renewed before it expires with a new channel
// first and the old one stopped after, so a delivery is accepted on some channel at every moment; a delivery
// on a token that is neither the current nor the replaced channel's (or the replaced one's after its stop)
// is refused; faults are failing runs with a sentence.
// The configuration is a variant of the tests' own handed to the Worker's handlers directly, so no other
// test's Cron run keeps a channel.
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { installConnectionDeps } from "../../src/connections/deps";
import { maintainConnections } from "../../src/connections/runner";
import { forgetChannelTokens } from "../../src/webhooks/channel-tokens";
import { TEST_OPERATOR_TOKEN } from "../helpers/bindings";
import { ledgerClock } from "../helpers/clock";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { type FakeChannel, GOOGLE_ADMIN, GOOGLE_API_BASE, GOOGLE_TOKEN_URL, GoogleFake, suspension } from "../helpers/google-fake";
import { waitFor } from "../helpers/wait";
import { auditWritten, ledgerStub, settleLedger, uniqueEmail } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);
const clock = {
  get now() {
    return ledgerClock.now();
  },
};
const HOUR = 3_600_000;
let google: GoogleFake;
let managedEnv: Env;

beforeAll(async () => {
  google = await GoogleFake.create(clock);
  managedEnv = {
    ...env,
    GOOGLE_SERVICE_ACCOUNT_KEY: google.keyFile,
    GOOGLE_ADMIN_EMAIL: GOOGLE_ADMIN,
    GOOGLE_OAUTH_TOKEN_URL: GOOGLE_TOKEN_URL,
    GOOGLE_ADMIN_API_BASE_URL: GOOGLE_API_BASE,
  } as Env;
});

beforeEach(async () => {
  google.channels.clear();
  google.tokenMode = "up";
  google.expirationInPast = false;
  google.onWatch = null;
  installConnectionDeps({ now: () => ledgerClock.now(), callTimeoutMs: 500, runDeadlineMs: 5_000 });
  forgetChannelTokens();
  fake().serveOtherOrigins(google.fetch);
  await runInDurableObject(ledgerStub(), async (_instance, state) => {
    state.storage.sql.exec("DELETE FROM managed_connections WHERE name = 'google'");
  });
});

afterEach(() => installConnectionDeps(null));

async function runCron() {
  const runs = await maintainConnections(managedEnv);
  return runs.find((run) => run.name === "google")!;
}

async function call(path: string, init: RequestInit = {}, target = managedEnv): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`https://revoker.test${path}`, init), target, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const operator = (path: string) => call(path, { headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } });

function deliver(
  channel: Pick<FakeChannel, "id" | "token" | "resourceId" | "expiration">,
  body: unknown,
  state = "SUSPEND_USER",
  target = managedEnv,
) {
  const headers = google.notificationHeaders({ ...channel, address: "", stopped: false }, state);
  return call("/webhooks/google", { method: "POST", headers, body: body === null ? "" : JSON.stringify(body) }, target);
}

/** The Worker's env with a ledger binding that counts the calls made through it. */
function countingLedger(): { env: Env; calls: () => number } {
  let calls = 0;
  const LEDGER = {
    idFromName: (name: string) => env.LEDGER.idFromName(name),
    get: (id: DurableObjectId) => {
      calls += 1;
      return env.LEDGER.get(id);
    },
  };
  return { env: { ...managedEnv, LEDGER } as unknown as Env, calls: () => calls };
}

async function audit(): Promise<{ status: string; detail: string }[]> {
  await auditWritten();
  const listing = (await (await operator("/v1/audit?connections=true&limit=1000")).json()) as {
    entries: { source: string; status: string; detail: string }[];
  };
  return listing.entries.filter((entry) => entry.source === "google").map(({ status, detail }) => ({ status, detail }));
}

/** What /v1/stats shows of the channel (`sources.google.connection.details`). */
async function details(): Promise<unknown> {
  const stats = (await (await operator("/v1/stats")).json()) as { sources: Record<string, { connection?: { details?: unknown } }> };
  return stats.sources.google?.connection?.details;
}

/** Runs the Cron until the channel exists (one run prepares it, the next creates it). */
async function created(): Promise<FakeChannel> {
  expect(await runCron()).toMatchObject({ verdict: "idle", calls: 0 });
  expect(await runCron()).toMatchObject({ verdict: "ok", calls: 2 });
  const [channel] = google.live();
  return channel!;
}

describe("the Google channel the Worker keeps", () => {
  it("is created pointing at PUBLIC_URL/webhooks/google with a fresh token, and accepts its sync message and deliveries", async () => {
    // Google sends the sync message as it creates the channel, before the run that asked has recorded it.
    const syncs: number[] = [];
    google.onWatch = async (channel) => {
      syncs.push((await deliver(channel, null, "sync")).status);
    };
    const channel = await created();
    expect(syncs).toEqual([200]);
    expect(channel.address).toBe("https://revoker.test/webhooks/google");
    expect(channel.token).toMatch(/^[0-9a-f]{64}$/);
    expect(google.tokenClaims.at(-1)).toMatchObject({
      sub: GOOGLE_ADMIN,
      scope: "https://www.googleapis.com/auth/admin.reports.audit.readonly",
      kid: "key-1",
    });
    expect(await audit()).toContainEqual({ status: "created", detail: expect.stringContaining(`channel ${channel.id} watches admin activities`) });
    expect((await deliver(channel, null, "sync")).status).toBe(200);
    expect((await deliver(channel, suspension(uniqueEmail("suspended"), crypto.randomUUID()))).status).toBe(202);
    // WEBHOOK_SECRET_GOOGLE (set in the tests' configuration) is not a channel token here.
    expect((await deliver({ ...channel, token: "google test channel token, with spaces" }, suspension(uniqueEmail("x"), "q"))).status).toBe(401);
    const stats = (await (await operator("/v1/stats")).json()) as { sources: Record<string, { connection?: Record<string, unknown> }> };
    expect(stats.sources.google?.connection).toMatchObject({
      kind: "google-channel",
      status: "ok",
      last_proof: expect.stringContaining(channel.id),
      details: { channel_id: channel.id, expires_at: new Date(channel.expiration).toISOString(), previous_channel_id: null },
    });
  });

  it("renews before expiry with a new channel first, stops the old one after, and then refuses the old token", async () => {
    const first = await created();
    const event = suspension(uniqueEmail("renewal"), crypto.randomUUID());

    // Not yet half its life: nothing to do.
    ledgerClock.advance(2 * HOUR);
    expect(await runCron()).toMatchObject({ verdict: "idle", calls: 0 });

    ledgerClock.advance(1.5 * HOUR);
    expect(await runCron()).toMatchObject({ verdict: "idle", calls: 0 }); // prepares the next channel
    expect((await deliver(first, suspension(uniqueEmail("during"), crypto.randomUUID()))).status).toBe(202);
    expect(await runCron()).toMatchObject({ verdict: "ok", calls: 2 }); // creates it
    expect(google.live()).toHaveLength(2);
    const second = google.live().find((channel) => channel.id !== first.id)!;
    expect(second.token).not.toBe(first.token);
    // Both deliver, and the same activity on both is one revocation.
    expect((await deliver(first, event)).status).toBe(202);
    const again = await deliver(second, event);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });

    // /v1/stats shows both channels by id while the old one is not stopped; neither token, anywhere.
    expect(await details()).toEqual({ channel_id: second.id, expires_at: new Date(second.expiration).toISOString(), previous_channel_id: first.id });
    const stats = await (await operator("/v1/stats")).text();
    expect(stats).not.toContain(first.token);
    expect(stats).not.toContain(second.token);

    expect(await runCron()).toMatchObject({ verdict: "ok", calls: 2 }); // stops the old one
    expect(google.channels.get(first.id)?.stopped).toBe(true);
    expect(await details()).toEqual({ channel_id: second.id, expires_at: new Date(second.expiration).toISOString(), previous_channel_id: null });
    expect((await deliver(first, suspension(uniqueEmail("late"), crypto.randomUUID()))).status).toBe(401);
    expect((await deliver(second, suspension(uniqueEmail("on-new"), crypto.randomUUID()))).status).toBe(202);
    // Newest first (the audit log outlives the ledger row this file resets between tests).
    expect((await audit()).slice(0, 3).map((entry) => entry.status)).toEqual(["stopped", "renewed", "created"]);
  });

  it("refuses a delivery whose token is no channel's", async () => {
    const channel = await created();
    expect((await deliver({ ...channel, token: "f".repeat(64) }, suspension(uniqueEmail("forged"), "q1"))).status).toBe(401);
  });

  it("reads the ledger at most once every few seconds for a flood of forged tokens, and still accepts a channel recorded since", async () => {
    const channel = await created();
    const counting = countingLedger();
    const started = Date.now();
    for (let i = 0; i < 30; i++) {
      const forged = { ...channel, token: crypto.randomUUID().replaceAll("-", "") };
      expect((await deliver(forged, suspension(uniqueEmail("flood"), `q${i}`), "SUSPEND_USER", counting.env)).status).toBe(401);
    }
    // One read a gate interval (5 s), plus the isolate's report of the refusals (http/delivery-report.ts).
    expect(counting.calls()).toBeLessThanOrEqual(1 + Math.ceil((Date.now() - started) / 5_000) + 1);

    // A channel the kind records now (its next, as one run before Google is asked): accepted once a read is due.
    const next = { id: "revoker-recorded-since", token: "e".repeat(64) };
    await runInDurableObject(ledgerStub(), async (_instance, state) => {
      state.storage.sql.exec("UPDATE managed_connections SET state = json_set(state, '$.next', json(?)) WHERE name = 'google'", JSON.stringify(next));
    });
    await waitFor(
      async () => (await deliver({ ...channel, ...next }, null, "sync", counting.env)).status === 200,
      15_000,
      "the token of a channel recorded after the last read",
      500,
    );
  });
});

describe("the Google channel's faults", () => {
  it("fails when Google grants an expiration already past, and retries with a new channel", async () => {
    google.expirationInPast = true;
    await runCron();
    expect(await runCron()).toMatchObject({ verdict: "failing", error: expect.stringContaining("with an expiration already past") });
    const health = (await (await operator("/healthz")).json()) as { notes?: string[] };
    expect(health.notes).toContainEqual(expect.stringContaining("managed connection google (google-channel) failing"));
    google.expirationInPast = false;
    expect(await runCron()).toMatchObject({ verdict: "ok", calls: 2 });
    expect(google.live()).toHaveLength(1);
  });

  it("fails when its channel expired before it could be renewed (the Cron did not run), then creates a new one", async () => {
    const first = await created();
    ledgerClock.advance(7 * HOUR);
    expect(await runCron()).toMatchObject({ verdict: "failing", error: expect.stringContaining(`channel ${first.id} expired at`) });
    expect(await runCron()).toMatchObject({ verdict: "ok", calls: 2 });
    const [second] = google.live();
    expect(second?.id).not.toBe(first.id);
    // The expired one is not stopped (nothing to stop) and its token is refused.
    expect(await runCron()).toMatchObject({ verdict: "idle", calls: 0 });
    expect((await deliver(first, suspension(uniqueEmail("expired"), crypto.randomUUID()))).status).toBe(401);
  });

  it("refuses the token of a channel that has expired though no run has dropped it yet", async () => {
    const channel = await created();
    expect((await deliver(channel, suspension(uniqueEmail("live"), crypto.randomUUID()))).status).toBe(202);
    // The ledger still names it as the current channel; its expiration (as Google answered it) is past for the route.
    await runInDurableObject(ledgerStub(), async (_instance, state) => {
      state.storage.sql.exec(
        "UPDATE managed_connections SET state = json_set(state, '$.current.expiration', ?) WHERE name = 'google'",
        Date.now() - 1000,
      );
    });
    expect((await deliver(channel, suspension(uniqueEmail("expired"), crypto.randomUUID()))).status).toBe(401);
  });

  it.each([
    ["refusing", "token endpoint: HTTP 400 (invalid_grant)"],
    ["down", "token endpoint: HTTP 503"],
    ["slow", expect.stringMatching(/^token endpoint: .*(timed out|no answer within)/)],
  ] as const)("records a token endpoint that is %s, and creates nothing", async (mode, said) => {
    google.tokenMode = mode;
    await runCron();
    expect(await runCron()).toMatchObject({ verdict: "failing", error: said });
    expect(google.channels.size).toBe(0);
  });
});
