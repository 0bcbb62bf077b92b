// The managed Shared Signals stream (src/connections/ssf-stream/) against the local transmitter's stream
// management API (test/helpers/ssf-stream-management.ts, SSF 1.0 §7.1): the first Cron run creates the
// stream and asks for verification; the verification event carrying that state is the round trip, one
// carrying another state counts for nothing; drift (endpoint, pause, deletion) is repaired and said so; every
// fault of the transmitter is a failing connection with a sentence, never a thrown run.
// The configuration is a variant of the tests' own (a managed transmitter under a fresh name per test),
// handed to the Worker's handlers directly, so no other test's Cron run sees a managed stream.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { exportPKCS8, generateKeyPair, type JWTPayload } from "jose";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import { installConnectionDeps } from "../../src/connections/deps";
import { maintainConnections } from "../../src/connections/runner";
import { VERIFICATION_WINDOW_MS } from "../../src/connections/ssf-stream/stream-kind";
import { installSsfDeps } from "../../src/ssf/jwks-registry";
import { TEST_OPERATOR_TOKEN, TEST_SSF_AUDIENCE, TEST_SSF_CLIENT, TEST_SSF_ISSUER, TEST_SSF_TOKEN_URL } from "../helpers/bindings";
import { ledgerClock } from "../helpers/clock";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { type ManagedStream, TEST_SSF_MANAGE_AUTH, verificationClaims } from "../helpers/ssf-stream-management";
import { LocalTransmitter } from "../helpers/ssf-transmitter";
import { auditWritten, settleLedger } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);
const clock = {
  get now() {
    return ledgerClock.now();
  },
};
let transmitter: LocalTransmitter;
let name: string;
let managedEnv: Env;
const PUSH_AUTH = "Bearer managed-stream-push-credential";
const HOUR = 3_600_000;

beforeAll(async () => {
  transmitter = await LocalTransmitter.create(clock);
});

beforeEach(() => {
  transmitter.management.streams.clear();
  transmitter.management.requests.length = 0;
  transmitter.management.verifications.length = 0;
  transmitter.management.mode = "up";
  transmitter.metadataIssuer = null;
  installSsfDeps({ now: () => ledgerClock.now(), timeoutMs: 500 });
  installConnectionDeps({ now: () => ledgerClock.now(), callTimeoutMs: 500, runDeadlineMs: 5_000 });
  fake().serveOtherOrigins(transmitter.fetch);
  useManaged({ bearer: true });
});

afterEach(() => {
  installConnectionDeps(null);
  installSsfDeps(null);
});

/** A configuration with one managed transmitter under a fresh name; `secrets` beside it. */
function useManaged(manage: Record<string, unknown>, secrets: Record<string, string> = {}) {
  name = `m${crypto.randomUUID().slice(0, 8)}`;
  const upper = name.toUpperCase();
  managedEnv = {
    ...env,
    SSF_TRANSMITTERS: JSON.stringify({ [name]: { issuer: TEST_SSF_ISSUER, audience: TEST_SSF_AUDIENCE, manage } }),
    [`SSF_AUTH_${upper}`]: PUSH_AUTH,
    [`SSF_MANAGE_AUTH_${upper}`]: TEST_SSF_MANAGE_AUTH,
    ...Object.fromEntries(Object.entries(secrets).map(([prefix, value]) => [`${prefix}${upper}`, value])),
  } as Env;
}

async function runCron() {
  const runs = await maintainConnections(managedEnv);
  return runs.find((run) => run.name === `ssf-${name}`)!;
}

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`https://revoker.test${path}`, init), managedEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

const operator = (path: string) => call(path, { headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } });

async function connection() {
  const stats = (await (await operator("/v1/stats")).json()) as { sources: Record<string, { connection?: Record<string, unknown> }> };
  return stats.sources[`ssf-${name}`]?.connection;
}

async function audit(): Promise<{ status: string; detail: string }[]> {
  await auditWritten();
  const listing = (await (await operator("/v1/audit?connections=true&limit=1000")).json()) as {
    entries: { source: string; status: string; detail: string }[];
  };
  return listing.entries.filter((entry) => entry.source === `ssf-${name}`).map(({ status, detail }) => ({ status, detail }));
}

async function pushVerification(streamId: string, state: string, overrides: JWTPayload = {}) {
  const token = await transmitter.sign(transmitter.claims({ ...verificationClaims(streamId, state), ...overrides }));
  return call(`/ssf/${name}`, { method: "POST", headers: { "content-type": "application/secevent+jwt", authorization: PUSH_AUTH }, body: token });
}

/** The transmitter sends the verification event it was last asked for, and the next run sees it. */
async function answerVerification() {
  const asked = transmitter.management.lastVerification();
  expect((await pushVerification(asked.stream_id, asked.state)).status).toBe(202);
  await runCron();
}

function stream(): ManagedStream {
  return transmitter.management.only();
}

describe("a managed SSF stream", () => {
  it("is created by the first Cron run, pushing to PUBLIC_URL/ssf/<name> with its credential, and verified by a round trip", async () => {
    expect((await runCron()).verdict).toBe("ok");
    expect(stream()).toMatchObject({
      delivery: { method: "urn:ietf:rfc:8935", endpoint_url: `https://revoker.test/ssf/${name}`, authorization_header: PUSH_AUTH },
      events_requested: expect.arrayContaining(transmitter.config().events),
      status: "enabled",
    });
    expect(await audit()).toEqual([{ status: "created", detail: expect.stringContaining(`stream ${stream().stream_id} created`) }]);
    const asked = transmitter.management.lastVerification();
    expect(asked.stream_id).toBe(stream().stream_id);
    expect(asked.state).toMatch(/^[A-Za-z0-9_-]{22}$/);

    ledgerClock.advance(1_500);
    expect((await pushVerification(asked.stream_id, asked.state)).status).toBe(202);
    expect((await runCron()).verdict).toBe("ok");
    const record = await connection();
    expect(record).toMatchObject({
      kind: "ssf-stream",
      status: "ok",
      last_proof: expect.stringMatching(/^verification event returned in \d+\.\d s/),
    });
    // The 1.5 s the clock was stepped, plus however long the push took on a loaded machine.
    expect(Number(/in (\d+\.\d) s/.exec(String(record?.last_proof))?.[1])).toBeGreaterThanOrEqual(1.5);

    // Idle until verify_every_seconds has passed; then it checks and asks again, with a fresh state.
    ledgerClock.advance(30 * 60_000);
    expect((await runCron()).calls).toBe(0);
    ledgerClock.advance(31 * 60_000);
    await runCron();
    expect(transmitter.management.verifications).toHaveLength(2);
    expect(transmitter.management.lastVerification().state).not.toBe(asked.state);
    expect(transmitter.management.streams.size).toBe(1);
  });

  it("shows in /v1/stats its stream id, status and verification times and round trip, never the state it asked for", async () => {
    const before = ledgerClock.now();
    await runCron();
    const asked = transmitter.management.lastVerification();
    const pending = (await connection())?.details as Record<string, unknown>;
    expect(pending).toEqual({
      stream_id: stream().stream_id,
      status: "enabled",
      status_read_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      verification_requested_at: pending.status_read_at,
      verification_received_at: null,
      round_trip_ms: null,
    });
    expect(Date.parse(String(pending.status_read_at))).toBeGreaterThanOrEqual(before);
    // The pending state is a secret until the transmitter sends it back: nowhere in /v1/stats.
    expect(await (await operator("/v1/stats")).text()).not.toContain(asked.state);

    ledgerClock.advance(1_500);
    await answerVerification();
    const verified = (await connection())?.details as Record<string, unknown>;
    expect(verified).toMatchObject({
      stream_id: stream().stream_id,
      status: "enabled",
      verification_requested_at: pending.verification_requested_at,
    });
    expect(verified.round_trip_ms).toBeGreaterThanOrEqual(1_500);
    expect(Date.parse(String(verified.verification_received_at)) - Date.parse(String(verified.verification_requested_at))).toBe(
      verified.round_trip_ms,
    );
  });

  // Regression: a pushed SET's 202 waited for the check of its verification event (two ledger calls, best effort).
  it("answers a verification SET without waiting for its proof of life to be checked", async () => {
    expect((await runCron()).verdict).toBe("ok");
    const asked = transmitter.management.lastVerification();
    // A ledger whose connections never answer: the check of the proof hangs, the SET's commit does not.
    const never = new Promise<never>(() => {});
    const LEDGER = {
      idFromName: (ledger: string) => env.LEDGER.idFromName(ledger),
      get: (id: DurableObjectId) =>
        new Proxy(env.LEDGER.get(id), {
          get: (stub, property) => (property === "connections" ? () => ({ state: () => never, proof: () => never }) : Reflect.get(stub, property)),
        }),
    };
    const token = await transmitter.sign(transmitter.claims(verificationClaims(asked.stream_id, asked.state)));
    const request = new Request(`https://revoker.test/ssf/${name}`, {
      method: "POST",
      headers: { "content-type": "application/secevent+jwt", authorization: PUSH_AUTH },
      body: token,
    });
    const answer = Promise.resolve(app.fetch(request, { ...managedEnv, LEDGER } as unknown as Env, createExecutionContext()));
    const noAnswer = new Promise<string>((resolve) => setTimeout(() => resolve("no answer within 10 s"), 10_000));
    expect(await Promise.race([answer.then((response) => response.status), noAnswer])).toBe(202);
  });

  it("does not count a verification event with a state it did not ask for, and fails when the right one never comes", async () => {
    await runCron();
    const asked = transmitter.management.lastVerification();
    // Accepted as a SET (statements, not commands), but no proof of life.
    expect((await pushVerification(asked.stream_id, "b3RoZXItc3RhdGUtbm90LWFza2Vk")).status).toBe(202);
    ledgerClock.advance(60_000);
    expect((await runCron()).verdict).toBe("idle");
    expect((await connection())?.last_proof_at).toBeNull();

    ledgerClock.advance(VERIFICATION_WINDOW_MS);
    const run = await runCron();
    expect(run).toMatchObject({ verdict: "failing", error: expect.stringContaining("did not arrive within 5 minutes") });
    expect(await audit()).toContainEqual({ status: "verification_missed", detail: expect.stringContaining(asked.stream_id) });
    const health = (await (await operator("/healthz")).json()) as { notes?: string[] };
    expect(health.notes).toContainEqual(expect.stringContaining(`managed connection ssf-${name} (ssf-stream) failing`));

    // The state it asked for, replayed after it was given up on, counts for nothing either.
    await pushVerification(asked.stream_id, asked.state);
    ledgerClock.advance(60_000);
    await runCron();
    expect((await connection())?.last_proof_at).toBeNull();
  });

  it("repairs a stream whose endpoint was changed behind its back", async () => {
    await runCron();
    await answerVerification();
    stream().delivery.endpoint_url = "https://elsewhere.test/ssf";
    ledgerClock.advance(HOUR + 60_000);
    expect((await runCron()).verdict).toBe("ok");
    expect(stream().delivery.endpoint_url).toBe(`https://revoker.test/ssf/${name}`);
    expect(await audit()).toContainEqual({ status: "repaired", detail: expect.stringContaining("it pushed to https://elsewhere.test/ssf") });
    expect(transmitter.management.streams.size).toBe(1);
  });

  it("re-enables a stream paused behind its back, and says so", async () => {
    await runCron();
    await answerVerification();
    Object.assign(stream(), { status: "paused", reason: "paused by an admin" });
    ledgerClock.advance(HOUR + 60_000);
    const run = await runCron();
    expect(run.error).toBeNull();
    expect(run.verdict).toBe("ok");
    expect(stream().status).toBe("enabled");
    expect(await audit()).toContainEqual({
      status: "repaired",
      detail: expect.stringMatching(/was paused \(reason: paused by an admin\), which the Worker did not ask for: re-enabled/),
    });
  });

  it("recreates a stream deleted behind its back", async () => {
    await runCron();
    await answerVerification();
    const first = stream().stream_id;
    transmitter.management.streams.clear();
    ledgerClock.advance(HOUR + 60_000);
    expect((await runCron()).verdict).toBe("ok");
    expect(stream().stream_id).not.toBe(first);
    expect(await audit()).toContainEqual({ status: "created", detail: expect.stringContaining(`stream ${first} no longer existed there`) });
  });

  it("adopts the stream already pushing to it rather than creating a second one", async () => {
    await runCron();
    const first = stream().stream_id;
    useManaged({ bearer: true });
    transmitter.management.streams.get(first)!.delivery.endpoint_url = `https://revoker.test/ssf/${name}`;
    await runCron();
    expect([...transmitter.management.streams.keys()]).toEqual([first]);
  });

  it("obtains its token by private_key_jwt (RFC 7523) when configured so", async () => {
    const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
    transmitter.clientKey = publicKey;
    useManaged(
      { token_endpoint: TEST_SSF_TOKEN_URL, client_id: TEST_SSF_CLIENT.id, auth: "private_key_jwt", kid: "revoker-1", scope: "ssf.manage ssf.read" },
      { SSF_MANAGE_PRIVATE_KEY_: await exportPKCS8(privateKey) },
    );
    expect((await runCron()).verdict).toBe("ok");
    const form = new URLSearchParams(transmitter.tokenRequests.at(-1)!.body);
    expect([form.get("grant_type"), form.get("scope"), form.get("client_assertion_type")]).toEqual([
      "client_credentials",
      "ssf.manage ssf.read",
      "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    ]);
    expect(JSON.parse(atob(form.get("client_assertion")!.split(".")[0]!))).toMatchObject({ alg: "RS256", kid: "revoker-1" });
    expect(transmitter.management.requests.at(-1)!.authorization).toMatch(/^Bearer at-/);
  });
});

describe("connections sync (POST /v1/connections/{name}/sync)", () => {
  it("checks the stream now, though its schedule would wait, and answers each run", async () => {
    await runCron();
    await answerVerification();
    Object.assign(stream(), { status: "disabled" });
    const post = (path: string) => call(path, { method: "POST", headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } });
    const synced = await post(`/v1/connections/ssf-${name}/sync`);
    expect(synced.status).toBe(200);
    expect(await synced.json()).toEqual({ runs: [{ name: `ssf-${name}`, kind: "ssf-stream", verdict: "ok", error: null, calls: 5 }] });
    expect(stream().status).toBe("enabled");
    expect(transmitter.management.verifications).toHaveLength(2);
    expect((await post("/v1/connections/ssf-nobody/sync")).status).toBe(404);
    // Regression: syncing every connection forces their runs too, not only a named one.
    await answerVerification();
    const all = (await (await post("/v1/connections/sync")).json()) as { runs: { name: string; calls: number }[] };
    expect(all.runs.find((run) => run.name === `ssf-${name}`)?.calls).toBe(4);
  });
});

describe("a managed SSF stream's faults", () => {
  it("fails without creating anything when the metadata names another issuer", async () => {
    transmitter.metadataIssuer = "https://impostor.test/";
    expect(await runCron()).toMatchObject({ verdict: "failing", error: expect.stringContaining("names another issuer") });
    expect(transmitter.management.requests).toHaveLength(0);
    expect(await connection()).toMatchObject({ status: "failing", last_error: expect.stringContaining("another issuer") });
  });

  it.each([
    ["down", "HTTP 503"],
    ["refusing", "HTTP 401 (invalid_token)"],
    ["garbage", "not JSON"],
  ] as const)("records a management API that is %s as failing, and recovers the next run", async (mode, said) => {
    transmitter.management.mode = mode;
    expect(await runCron()).toMatchObject({ verdict: "failing", error: `listing streams: ${said}` });
    transmitter.management.mode = "up";
    ledgerClock.advance(60_000);
    expect((await runCron()).verdict).toBe("ok");
    expect((await audit()).map((entry) => entry.status).sort()).toEqual(["created", "failing", "recovered"]);
    expect(await audit()).toContainEqual({ status: "failing", detail: `listing streams: ${said}` });
  });

  it("records a token endpoint that refuses the client, naming OAuth's error code", async () => {
    useManaged(
      { token_endpoint: TEST_SSF_TOKEN_URL, client_id: TEST_SSF_CLIENT.id, auth: "client_secret_basic" },
      { SSF_MANAGE_CLIENT_SECRET_: "wrong" },
    );
    expect(await runCron()).toMatchObject({ verdict: "failing", error: "token endpoint: HTTP 401 (invalid_client)" });
  });

  it("names the missing secret without calling anyone", async () => {
    useManaged({ token_endpoint: TEST_SSF_TOKEN_URL, client_id: TEST_SSF_CLIENT.id, auth: "private_key_jwt" });
    expect(await runCron()).toMatchObject({
      verdict: "failing",
      calls: 0,
      error: expect.stringContaining(`SSF_MANAGE_PRIVATE_KEY_${name.toUpperCase()} is not set`),
    });
  });
});
