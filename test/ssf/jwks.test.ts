// The JWKS cache: discovery, the refresh gate, rotation, expiry and a misbehaving key endpoint.
// The clock is injected and moved by hand; only the timeout tests wait (tens of milliseconds) in real time.
import { beforeEach, describe, expect, it } from "vitest";
import type { SsfFetch } from "../../src/ssf/fetch-json";
import { createJwksCache, type JwksCacheOptions, ssfConfigurationUrl } from "../../src/ssf/jwks";
import { verifySet } from "../../src/ssf/verify-set";
import { TEST_SSF_JWKS_URI } from "../helpers/bindings";
import { type EndpointMode, LocalTransmitter } from "../helpers/ssf-transmitter";

const START = 1_800_000_000_000;
const INTERVAL = 60_000;
let clock: { now: number };
let transmitter: LocalTransmitter;

beforeEach(async () => {
  clock = { now: START };
  transmitter = await LocalTransmitter.create(clock);
});

function cache(overrides: Partial<JwksCacheOptions> = {}) {
  return createJwksCache({
    transmitter: transmitter.config(),
    fetch: transmitter.fetch,
    now: () => clock.now,
    minRefreshIntervalMs: INTERVAL,
    ...overrides,
  });
}

async function verifyWith(jwks: ReturnType<typeof cache>, token: string) {
  return verifySet(token, { transmitter: transmitter.config(), jwks, now: clock.now });
}

describe("ssfConfigurationUrl (SSF 1.0 §7.2)", () => {
  it.each([
    ["https://tr.example.com", "https://tr.example.com/.well-known/ssf-configuration"],
    ["https://tr.example.com/", "https://tr.example.com/.well-known/ssf-configuration"],
    ["https://tr.example.com/issuer1", "https://tr.example.com/.well-known/ssf-configuration/issuer1"],
    ["https://tr.example.com/issuer1/", "https://tr.example.com/.well-known/ssf-configuration/issuer1"],
    ["http://127.0.0.1:8787/t", "http://127.0.0.1:8787/.well-known/ssf-configuration/t"],
  ])("%s → %s", (issuer, url) => {
    expect(ssfConfigurationUrl(issuer)).toBe(url);
  });
});

describe("where the keys come from", () => {
  it("discovers jwks_uri from the configuration metadata when none is configured", async () => {
    const jwks = cache();
    expect((await verifyWith(jwks, await transmitter.sign(transmitter.claims()))).ok).toBe(true);
    expect([transmitter.configurationRequests, transmitter.jwksRequests]).toEqual([1, 1]);
  });

  it("uses the configured jwks_uri without discovery", async () => {
    const jwks = cache({ transmitter: transmitter.config({ jwksUri: TEST_SSF_JWKS_URI }) });
    expect((await verifyWith(jwks, await transmitter.sign(transmitter.claims()))).ok).toBe(true);
    expect([transmitter.configurationRequests, transmitter.jwksRequests]).toEqual([0, 1]);
  });

  it.each([
    ["names another issuer", { issuer: "https://impostor.test", jwks_uri: TEST_SSF_JWKS_URI }, "names another issuer"],
    ["points at plain http", { issuer: "https://transmitter.test/tenant-1", jwks_uri: "http://transmitter.test/keys/jwks.json" }, "not https"],
    ["has no jwks_uri", { issuer: "https://transmitter.test/tenant-1" }, "no issuer and jwks_uri"],
  ])("refuses metadata that %s (SSF 1.0 §7.2.4)", async (_name, metadata, detail) => {
    const fetch: SsfFetch = async (url, init) =>
      url === ssfConfigurationUrl(transmitter.issuer) ? Response.json(metadata) : transmitter.fetch(url, init);
    const resolution = await cache({ fetch }).resolveKey({ alg: "RS256", kid: "rsa-1" });
    expect(resolution).toMatchObject({ ok: false, reason: "keys_unavailable", detail: expect.stringContaining(detail) });
    expect(transmitter.jwksRequests).toBe(0);
  });
});

describe("the refresh gate", () => {
  it("an unknown kid costs one refresh, then invalid_key", async () => {
    const jwks = cache();
    await verifyWith(jwks, await transmitter.sign(transmitter.claims()));
    clock.now += INTERVAL;
    const result = await verifyWith(jwks, await transmitter.signWithUnknownKey(transmitter.claims()));
    expect(result).toMatchObject({ ok: false, err: "invalid_key", transient: false });
    expect(transmitter.jwksRequests).toBe(2);
  });

  it("50 SETs with made-up kids cost at most one JWKS fetch per interval", async () => {
    const jwks = cache();
    await verifyWith(jwks, await transmitter.sign(transmitter.claims()));
    expect(transmitter.jwksRequests).toBe(1);

    clock.now += INTERVAL;
    const flood = await Promise.all(
      Array.from({ length: 50 }, async () => verifyWith(jwks, await transmitter.signWithUnknownKey(transmitter.claims()))),
    );
    expect(flood.map((result) => !result.ok && result.err)).toEqual(Array(50).fill("invalid_key"));
    expect(transmitter.jwksRequests).toBe(2);

    clock.now += INTERVAL - 1;
    for (let i = 0; i < 50; i++) await verifyWith(jwks, await transmitter.signWithUnknownKey(transmitter.claims()));
    expect(transmitter.jwksRequests).toBe(2);

    clock.now += 1;
    await verifyWith(jwks, await transmitter.signWithUnknownKey(transmitter.claims()));
    expect(transmitter.jwksRequests).toBe(3);
  });

  it("concurrent first loads share one fetch", async () => {
    // A zero interval disables the rate limit, so only the shared in-flight promise can keep this at one fetch.
    const jwks = cache({ minRefreshIntervalMs: 0 });
    const token = await transmitter.sign(transmitter.claims());
    const results = await Promise.all(Array.from({ length: 50 }, () => verifyWith(jwks, token)));
    expect(results.every((result) => result.ok)).toBe(true);
    expect(results).toHaveLength(50);
    expect(transmitter.jwksRequests).toBe(1);
  });

  it("an attempt that never settles (its request was cancelled) is given up after its bound, not waited on forever", async () => {
    // workerd drops a cancelled request's fetch and timers: its attempt never settles. An hour-long timeout stands in.
    const timeoutMs = 3_600_000;
    const jwks = cache({ timeoutMs, transmitter: transmitter.config({ jwksUri: TEST_SSF_JWKS_URI }) });
    transmitter.jwksMode = "hang";
    void jwks.resolveKey({ alg: "RS256", kid: "rsa-1" });
    await Promise.resolve();
    expect(transmitter.jwksRequests).toBe(1);

    transmitter.jwksMode = "up";
    clock.now += 2 * timeoutMs + 1000;
    expect(await jwks.resolveKey({ alg: "RS256", kid: "rsa-1" })).toMatchObject({ ok: true });
    expect(transmitter.jwksRequests).toBe(2);
  });

  it("a known kid never refreshes within the keys' max age", async () => {
    const jwks = cache({ maxAgeMs: 3_600_000 });
    for (let i = 0; i < 5; i++) {
      expect((await verifyWith(jwks, await transmitter.sign(transmitter.claims()))).ok).toBe(true);
      clock.now += 600_000;
    }
    expect(transmitter.jwksRequests).toBe(1);
  });

  it("keys older than their max age are fetched again on next use", async () => {
    const jwks = cache({ maxAgeMs: 3_600_000 });
    await verifyWith(jwks, await transmitter.sign(transmitter.claims()));
    clock.now += 3_600_000;
    expect((await verifyWith(jwks, await transmitter.sign(transmitter.claims()))).ok).toBe(true);
    expect(transmitter.jwksRequests).toBe(2);
  });
});

describe("key rotation", () => {
  it("is picked up by the same cache once the interval allows a refresh; the retired key stops working", async () => {
    const jwks = cache();
    const before = await transmitter.sign(transmitter.claims());
    expect((await verifyWith(jwks, before)).ok).toBe(true);

    const kid = await transmitter.rotate();
    const after = await transmitter.sign(transmitter.claims());
    clock.now += 1_000;
    // Within the interval no fetch is allowed, but the keys held predate the SET: the new kid may exist, so
    // the failure is transient (the route holds the SET), never a refusal for good (issue #18).
    expect(await verifyWith(jwks, after)).toMatchObject({
      ok: false,
      err: "invalid_key",
      transient: true,
      description: "the SET is signed with a key the receiver has not fetched yet",
      detail: expect.stringContaining("the next fetch is allowed in 59 s"),
    });
    expect(transmitter.jwksRequests).toBe(1);

    clock.now += INTERVAL;
    expect(await verifyWith(jwks, after)).toMatchObject({ ok: true });
    expect(kid).toBe("rsa-2");
    expect(transmitter.jwksRequests).toBe(2);
    expect(await verifyWith(jwks, before)).toMatchObject({ ok: false, err: "invalid_key" });
  });
});

describe("a kid the keys held do not have (issue #18)", () => {
  it("is pending when they were fetched before the SET arrived, unknown when fetched at or after", async () => {
    const jwks = cache();
    expect(await jwks.resolveKey({ alg: "RS256", kid: "rsa-1" })).toMatchObject({ ok: true });
    const fetchedAt = clock.now;
    clock.now += 10_000;
    expect(await jwks.resolveKey({ alg: "RS256", kid: "rsa-9" })).toMatchObject({ ok: false, reason: "key_pending" });
    // A held SET checked later, as of when it arrived: the same keys still predate it.
    expect(await jwks.resolveKey({ alg: "RS256", kid: "rsa-9" }, fetchedAt + 1)).toMatchObject({ ok: false, reason: "key_pending" });
    // One that arrived no later than the keys were fetched is decided: the transmitter had not published it.
    expect(await jwks.resolveKey({ alg: "RS256", kid: "rsa-9" }, fetchedAt)).toMatchObject({ ok: false, reason: "unknown_key" });
    // Once the interval allows a fetch, the fresh keys decide for every SET that arrived before them.
    clock.now = fetchedAt + INTERVAL;
    expect(await jwks.resolveKey({ alg: "RS256", kid: "rsa-9" }, fetchedAt + 1)).toMatchObject({ ok: false, reason: "unknown_key" });
    expect(transmitter.jwksRequests).toBe(2);
  });
});

describe("a SET without kid", () => {
  it("is tried against every published key that fits the alg (a rotation overlap)", async () => {
    const jwks = cache();
    await transmitter.rotate({ keepOld: true });
    expect((await verifyWith(jwks, await transmitter.sign(transmitter.claims(), { kid: null }))).ok).toBe(true);
    expect((await verifyWith(jwks, await transmitter.signWithRetiredKey(transmitter.claims(), { kid: null }))).ok).toBe(true);
    expect(await verifyWith(jwks, await transmitter.signWithUnknownKey(transmitter.claims(), null))).toMatchObject({
      ok: false,
      err: "authentication_failed",
    });
  });
});

describe("a JWKS endpoint that misbehaves", () => {
  const failures: [EndpointMode, string][] = [
    ["down", "HTTP 503"],
    ["unreachable", "network connection lost"],
    ["slow", "no answer within 30 ms"],
    ["hang", "no answer within 30 ms"],
    ["garbage", "not JSON"],
  ];

  it.each(failures)("%s, with no keys held: a transient invalid_key, not a throw", async (mode, detail) => {
    transmitter.jwksMode = mode;
    const result = await verifyWith(cache({ timeoutMs: 30 }), await transmitter.sign(transmitter.claims()));
    expect(result).toMatchObject({ ok: false, err: "invalid_key", transient: true, detail: expect.stringContaining(detail) });
  });

  it.each(failures)("%s, with keys held: the keys held keep verifying, even past their max age", async (mode) => {
    const jwks = cache({ timeoutMs: 30, maxAgeMs: 3_600_000 });
    expect((await verifyWith(jwks, await transmitter.sign(transmitter.claims()))).ok).toBe(true);
    transmitter.jwksMode = mode;
    clock.now += 3_600_000;
    expect(await verifyWith(jwks, await transmitter.sign(transmitter.claims()))).toMatchObject({ ok: true });
    expect(transmitter.jwksRequests).toBe(2);
  });

  it("down while a SET names an unknown kid: transient until a refresh succeeds, and the next attempt waits for the interval", async () => {
    const jwks = cache();
    await verifyWith(jwks, await transmitter.sign(transmitter.claims()));
    transmitter.jwksMode = "down";
    clock.now += INTERVAL;
    const unknown = await transmitter.signWithUnknownKey(transmitter.claims());
    expect(await verifyWith(jwks, unknown)).toMatchObject({ ok: false, err: "invalid_key", transient: true });
    // Not refreshed again within the interval, and the last refresh failed: the kid may be a key published
    // during the outage (a rotation), so it is still not known to be unknown.
    expect(await verifyWith(jwks, unknown)).toMatchObject({ ok: false, err: "invalid_key", transient: true });
    expect(transmitter.jwksRequests).toBe(2);

    // Back up: the refresh succeeds and the kid is not in the set. Now it is a refusal.
    transmitter.jwksMode = "up";
    clock.now += INTERVAL;
    expect(await verifyWith(jwks, unknown)).toMatchObject({ ok: false, err: "invalid_key", transient: false });
    expect(await verifyWith(jwks, unknown)).toMatchObject({ ok: false, err: "invalid_key", transient: false });
    expect(transmitter.jwksRequests).toBe(3);
  });

  it("a rotation during an outage: a SET with the new kid stays transient until the new keys can be fetched", async () => {
    const jwks = cache();
    await verifyWith(jwks, await transmitter.sign(transmitter.claims()));
    await transmitter.rotate();
    transmitter.jwksMode = "down";
    clock.now += INTERVAL;
    const rotated = [await transmitter.sign(transmitter.claims()), await transmitter.sign(transmitter.claims())];
    for (const token of rotated) expect(await verifyWith(jwks, token)).toMatchObject({ ok: false, transient: true });
    transmitter.jwksMode = "up";
    clock.now += INTERVAL;
    for (const token of rotated) expect(await verifyWith(jwks, token)).toMatchObject({ ok: true });
  });

  it.each([
    ["keys that is not a list", { keys: "rsa-1" }, "not a key set"],
    ["an empty key set", { keys: [] }, "no public keys"],
    ["only a symmetric key", { keys: [{ kty: "oct", k: "c2VjcmV0", kid: "rsa-1", alg: "HS256" }] }, "no public keys"],
    ["only private keys", { keys: [{ kty: "EC", crv: "P-256", x: "AA", y: "AA", d: "AA", kid: "ec-1" }] }, "no public keys"],
  ])("refuses %s, keeping nothing", async (_name, body, detail) => {
    const fetch: SsfFetch = async (url, init) => (url === TEST_SSF_JWKS_URI ? Response.json(body) : transmitter.fetch(url, init));
    const resolution = await cache({ fetch }).resolveKey({ alg: "RS256", kid: "rsa-1" });
    expect(resolution).toMatchObject({ ok: false, reason: "keys_unavailable", detail: expect.stringContaining(detail) });
  });

  it("an oversized key set is refused before parsing", async () => {
    const fetch: SsfFetch = async (url, init) =>
      url === TEST_SSF_JWKS_URI ? new Response(`{"keys":[],"pad":"${"x".repeat(300_000)}"}`) : transmitter.fetch(url, init);
    expect(await cache({ fetch }).resolveKey({ alg: "RS256", kid: "rsa-1" })).toMatchObject({
      ok: false,
      detail: expect.stringContaining("larger than"),
    });
  });
});
