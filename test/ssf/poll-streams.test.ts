// Poll delivery (RFC 8936) through the real Worker's Cron Trigger step (src/ssf/poll-streams.ts): the test
// transmitter (test/helpers/ssf-transmitter.ts) queues SETs at its poll endpoint, which hands them out
// maxEvents at a time until acknowledged, as RFC 8936 §2.4 describes; the Worker's network is the only mock.
// Fixture: RISC 1.0 §2.3 account-disabled as SSF 1.0 §5 carries it (test/fixtures/ssf/README.md), with an
// email subject (RFC 9493 §3.2.2).
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { installSsfDeps } from "../../src/ssf/jwks-registry";
import { pollTransmitters } from "../../src/ssf/poll-streams";
import riscDisabled from "../fixtures/ssf/risc-account-disabled.iss-sub.json";
import seceventStreamUpdated from "../fixtures/ssf/secevent-js-stream-updated.json";
import {
  TEST_SSF_AUDIENCE,
  TEST_SSF_CLIENT,
  TEST_SSF_ISSUER,
  TEST_SSF_JWKS_URI,
  TEST_SSF_POLL_AUTH,
  TEST_SSF_POLL_URL,
  TEST_SSF_TOKEN_URL,
} from "../helpers/bindings";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { LocalTransmitter } from "../helpers/ssf-transmitter";
import { drainOnceNow, operatorFetch, revocationsFor, revocationTotal, settleLedger, uniqueEmail } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);
const clock = { now: Date.now() };
let transmitter: LocalTransmitter;

beforeAll(async () => {
  transmitter = await LocalTransmitter.create(clock);
});

beforeEach(() => {
  clock.now = Date.now();
  installSsfDeps({ now: () => clock.now, timeoutMs: 200 });
  transmitter.jwksMode = "up";
  transmitter.pollFailure = null;
  transmitter.pollQueue.clear();
  transmitter.pollRequests.length = 0;
  transmitter.tokenRequests.length = 0;
  transmitter.validTokens.clear();
  fake().serveOtherOrigins(transmitter.fetch);
});

afterAll(() => installSsfDeps(null));

const [RISC_DISABLED, payload] = Object.entries(riscDisabled.events)[0]!;

/** A queued account-disabled SET for `email`; answers its jti. */
async function queueDisabled(email: string, sign = (claims: Record<string, unknown>) => transmitter.sign(claims)): Promise<string> {
  const claims = transmitter.claims({ events: { [RISC_DISABLED]: payload }, sub_id: { format: "email", email } });
  transmitter.queueForPoll(await sign(claims), String(claims.jti));
  return String(claims.jti);
}

async function pollState() {
  const stats = (await (await operatorFetch("/v1/stats")).json()) as { ssf_streams: Record<string, { poll: unknown }> };
  return stats.ssf_streams.polled!.poll;
}

describe("the Cron Trigger polls transmitters configured with poll", () => {
  it("revokes every polled SET once, acknowledges each after it is in the ledger, and drains the queue", async () => {
    const emails = [uniqueEmail("poll-a"), uniqueEmail("poll-b"), uniqueEmail("poll-c")];
    const jtis = [];
    for (const email of emails) jtis.push(await queueDisabled(email));

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    for (const [index, email] of emails.entries()) {
      const records = await revocationsFor(email);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ status: "revoked", source: "ssf-polled", assurance: "signed", event_id: jtis[index] });
    }
    expect(transmitter.pollQueue.size).toBe(0);
    // Two at a time (max_events 2), each batch acknowledged by the next request; the last only acknowledges.
    expect(transmitter.pollRequests).toEqual([
      { authorization: `Bearer ${TEST_SSF_POLL_AUTH}`, ack: [], setErrs: {}, maxEvents: 2, returnImmediately: true },
      { authorization: `Bearer ${TEST_SSF_POLL_AUTH}`, ack: jtis.slice(0, 2), setErrs: {}, maxEvents: 2, returnImmediately: true },
      { authorization: `Bearer ${TEST_SSF_POLL_AUTH}`, ack: jtis.slice(2), setErrs: {}, maxEvents: 0, returnImmediately: true },
    ]);
    expect(await pollState()).toMatchObject({ last_error: null, last_ok_at: expect.any(String) });
  });

  it("reports forged SETs in setErrs and never revokes on them", async () => {
    const forgedEmail = uniqueEmail("poll-forged");
    const goodEmail = uniqueEmail("poll-good");
    const forged = await queueDisabled(forgedEmail, (claims) => transmitter.signWithUnknownKey(claims, transmitter.currentRsaKid));
    const wrongAudience = await queueDisabled(forgedEmail, (claims) => transmitter.sign({ ...claims, aud: "https://someone-else.example" }));
    const good = await queueDisabled(goodEmail);
    const before = await revocationTotal();

    const [run] = await pollTransmitters(env);
    expect(run).toMatchObject({ received: 3, acknowledged: 1, refused: 2, kept: 0, error: null });
    expect(await revocationsFor(goodEmail)).toHaveLength(1);
    await drainOnceNow();
    expect(await revocationTotal()).toBe(before + 1);
    expect(fake().callsFor(forgedEmail)).toHaveLength(0);
    const reported = Object.assign({}, ...transmitter.pollRequests.map((request) => request.setErrs));
    expect(reported).toEqual({
      [forged]: { err: "authentication_failed", description: expect.any(String) },
      [wrongAudience]: { err: "invalid_audience", description: expect.any(String) },
    });
    expect(transmitter.pollRequests.flatMap((request) => request.ack)).toEqual([good]);
  });

  it("records a polled stream-updated whose status cannot be read (secevent-js's) and reports it in setErrs", async () => {
    const claims = transmitter.claimsFrom(seceventStreamUpdated, { jti: `sej-${crypto.randomUUID()}` });
    transmitter.queueForPoll(await transmitter.sign(claims), String(claims.jti));
    const [run] = await pollTransmitters(env);
    expect(run).toMatchObject({ received: 1, acknowledged: 0, refused: 1, error: null });
    expect(Object.assign({}, ...transmitter.pollRequests.map((request) => request.setErrs))).toEqual({
      [String(claims.jti)]: { err: "invalid_request", description: expect.stringContaining("status is missing") },
    });
    const stats = (await (await operatorFetch("/v1/stats")).json()) as { ssf_streams: Record<string, { status_unreadable: unknown }> };
    expect(stats.ssf_streams.polled!.status_unreadable).toMatchObject({ detail: expect.stringContaining("status is missing") });
  });

  it("keeps a SET it cannot check while the keys are unreachable, and revokes when they are back", async () => {
    const email = uniqueEmail("poll-outage");
    const jti = await queueDisabled(email);
    transmitter.jwksMode = "down";
    const before = await revocationTotal();
    expect(await pollTransmitters(env)).toMatchObject([
      { received: 1, acknowledged: 0, refused: 0, kept: 1, error: expect.stringMatching(/^1 SET\(s\) could not be checked/) },
    ]);
    expect(await pollState()).toMatchObject({ last_error: expect.stringMatching(/^1 SET\(s\) could not be checked/) });
    expect(transmitter.pollQueue.has(jti)).toBe(true);
    await drainOnceNow();
    expect(await revocationTotal()).toBe(before);

    transmitter.jwksMode = "up";
    clock.now += 60_000; // past the JWKS refresh interval
    expect(await pollTransmitters(env)).toMatchObject([{ received: 1, acknowledged: 1, kept: 0, error: null }]);
    expect(await pollState()).toMatchObject({ last_error: null });
    expect(await revocationsFor(email)).toHaveLength(1);
    expect(transmitter.pollQueue.size).toBe(0);
  });

  it("a redelivery after a lost acknowledgement is the same revocation", async () => {
    const email = uniqueEmail("poll-redelivered");
    const jti = await queueDisabled(email);
    const token = transmitter.pollQueue.get(jti)!;
    await pollTransmitters(env);
    expect(await revocationsFor(email)).toHaveLength(1);
    transmitter.queueForPoll(token, jti); // as if the acknowledgement had been lost
    expect(await pollTransmitters(env)).toMatchObject([{ received: 1, acknowledged: 1 }]);
    expect(await revocationsFor(email)).toHaveLength(1);
  });

  it("a refused credential is recorded for /v1/stats and acknowledges nothing", async () => {
    const email = uniqueEmail("poll-401");
    await queueDisabled(email);
    transmitter.pollFailure = 401;
    const before = await revocationTotal();
    expect(await pollTransmitters(env)).toMatchObject([{ received: 0, error: "poll: HTTP 401 (authentication_failed)" }]);
    expect(await pollState()).toMatchObject({ last_error: "poll: HTTP 401 (authentication_failed)" });
    const health = (await (await operatorFetch("/healthz")).json()) as { notes?: string[] };
    expect(health.notes).toContainEqual(expect.stringMatching(/^SSF_TRANSMITTERS: polling polled failed at .*: poll: HTTP 401/));
    await drainOnceNow();
    expect(await revocationTotal()).toBe(before);
  });

  it("a SET delivered under another jti than its own is refused", async () => {
    const email = uniqueEmail("poll-mismatch");
    const claims = transmitter.claims({ events: { [RISC_DISABLED]: payload }, sub_id: { format: "email", email } });
    transmitter.queueForPoll(await transmitter.sign(claims), "not-its-jti");
    expect(await pollTransmitters(env)).toMatchObject([{ received: 1, refused: 1, acknowledged: 0 }]);
    expect(transmitter.pollRequests.at(-1)!.setErrs).toEqual({ "not-its-jti": { err: "invalid_request", description: expect.any(String) } });
  });

  it("a transmitter with token_endpoint polls with an OAuth access token, and gets a new one once when it is refused", async () => {
    const email = uniqueEmail("poll-oauth");
    await queueDisabled(email);
    // The same transmitter, configured for the client credentials grant instead of a static credential.
    const vars = {
      SSF_TRANSMITTERS: JSON.stringify({
        "polled-oauth": {
          issuer: TEST_SSF_ISSUER,
          audience: TEST_SSF_AUDIENCE,
          jwks_uri: TEST_SSF_JWKS_URI,
          poll: { endpoint: TEST_SSF_POLL_URL, token_endpoint: TEST_SSF_TOKEN_URL, client_id: TEST_SSF_CLIENT.id },
        },
      }),
      SSF_POLL_AUTH_POLLED: "",
      SSF_POLL_CLIENT_SECRET_POLLED_OAUTH: TEST_SSF_CLIENT.secret,
    };
    const oauthEnv = { ...env, ...vars } as Env;
    expect(await pollTransmitters(oauthEnv)).toMatchObject([{ transmitter: "polled-oauth", received: 1, acknowledged: 1, error: null }]);
    const records = await revocationsFor(email);
    expect(records).toMatchObject([{ status: "revoked", source: "ssf-polled-oauth" }]);
    expect(transmitter.tokenRequests).toHaveLength(1);
    const used = transmitter.pollRequests.map((request) => request.authorization);
    expect(new Set(used)).toEqual(new Set([`Bearer ${[...transmitter.validTokens][0]}`]));

    // The transmitter revokes the token before it expires: the next run's first poll carries the cached token
    // and is refused; one new token, and the run still succeeds.
    const [cached] = [...transmitter.validTokens];
    transmitter.validTokens.clear();
    transmitter.pollRequests.length = 0;
    await queueDisabled(uniqueEmail("poll-oauth-2"));
    expect(await pollTransmitters(oauthEnv)).toMatchObject([{ received: 1, acknowledged: 1, error: null }]);
    expect(transmitter.tokenRequests).toHaveLength(2);
    const [renewed] = [...transmitter.validTokens];
    expect(transmitter.pollRequests.map((request) => request.authorization).slice(0, 2)).toEqual([`Bearer ${cached}`, `Bearer ${renewed}`]);

    // No token cached, and the endpoint refuses the one just issued: that is its verdict on these
    // credentials, not a revocation, so the run does not ask again. One token request, one poll.
    installSsfDeps({ now: () => clock.now, timeoutMs: 200 });
    transmitter.pollFailure = 401;
    transmitter.validTokens.clear();
    transmitter.pollRequests.length = 0;
    transmitter.tokenRequests.length = 0;
    expect(await pollTransmitters(oauthEnv)).toMatchObject([{ received: 0, error: "poll: HTTP 401 (authentication_failed)" }]);
    expect([transmitter.tokenRequests.length, transmitter.pollRequests.length]).toEqual([1, 1]);
    transmitter.pollFailure = null;

    // The token endpoint is down and no token is held: no poll is sent, and the run says why.
    transmitter.pollRequests.length = 0;
    const down = { ...env, ...vars, SSF_POLL_CLIENT_SECRET_POLLED_OAUTH: "wrong-secret" } as Env;
    expect(await pollTransmitters(down)).toMatchObject([{ error: "poll: token endpoint: HTTP 401 (invalid_client)" }]);
    expect(transmitter.pollRequests).toHaveLength(0);

    // Without its client secret it cannot poll, and says why.
    expect(await pollTransmitters({ ...env, ...vars, SSF_POLL_CLIENT_SECRET_POLLED_OAUTH: "" } as Env)).toMatchObject([
      { received: 0, error: "SSF_POLL_CLIENT_SECRET_POLLED_OAUTH is not set: no poll token can be obtained" },
    ]);
  });
});
