// The OAuth client credentials grant for poll tokens (src/ssf/poll-token.ts) against the test transmitter's
// token endpoint (test/helpers/ssf-transmitter.ts), which checks the request as RFC 6749 §4.4 and §2.3.1
// describe it: grant_type=client_credentials, the client id and secret form-urlencoded, then HTTP Basic.
import { describe, expect, it } from "vitest";
import type { SsfFetch } from "../../src/ssf/fetch-json";
import { createPollTokenSource } from "../../src/ssf/poll-token";
import { TEST_SSF_CLIENT, TEST_SSF_TOKEN_URL } from "../helpers/bindings";
import { LocalTransmitter } from "../helpers/ssf-transmitter";

const credentials = { tokenEndpoint: TEST_SSF_TOKEN_URL, clientId: TEST_SSF_CLIENT.id, clientSecret: TEST_SSF_CLIENT.secret, scope: null };

async function setUp(fetch?: SsfFetch) {
  const clock = { now: 1_800_000_000_000 };
  const transmitter = await LocalTransmitter.create(clock);
  const source = createPollTokenSource(credentials, { fetch: fetch ?? transmitter.fetch, now: () => clock.now });
  return { clock, transmitter, source };
}

describe("poll tokens by the client credentials grant", () => {
  it("asks once with HTTP Basic and reuses the token until 30 s before it expires", async () => {
    const { clock, transmitter, source } = await setUp();
    const first = await source.authorization();
    expect(first).toEqual({ ok: true, authorization: expect.stringMatching(/^Bearer at-/), fresh: true });
    expect(transmitter.tokenRequests).toEqual([{ authorization: expect.stringMatching(/^Basic /), body: "grant_type=client_credentials" }]);
    clock.now += (300 - 31) * 1000;
    expect(await source.authorization()).toEqual({ ...first, fresh: false });
    expect(transmitter.tokenRequests).toHaveLength(1);
    clock.now += 2000;
    const second = await source.authorization();
    expect(second.ok && second.authorization).not.toBe(first.ok && first.authorization);
    expect(transmitter.tokenRequests).toHaveLength(2);
  });

  it("asks again after invalidate (the poll endpoint refused the token)", async () => {
    const { transmitter, source } = await setUp();
    await source.authorization();
    source.invalidate();
    await source.authorization();
    expect(transmitter.tokenRequests).toHaveLength(2);
  });

  it("sends the scope when configured", async () => {
    const clock = { now: 0 };
    const transmitter = await LocalTransmitter.create(clock);
    const source = createPollTokenSource({ ...credentials, scope: "ssf.read ssf.manage" }, { fetch: transmitter.fetch, now: () => clock.now });
    await source.authorization();
    expect(transmitter.tokenRequests[0]!.body).toBe("grant_type=client_credentials&scope=ssf.read+ssf.manage");
  });

  it.each([["a wrong secret", { clientSecret: "wrong" }, "token endpoint: HTTP 401 (invalid_client)"]])(
    "%s is a failure naming OAuth's error code, never the secret",
    async (_name, change, detail) => {
      const clock = { now: 0 };
      const transmitter = await LocalTransmitter.create(clock);
      const source = createPollTokenSource({ ...credentials, ...change }, { fetch: transmitter.fetch, now: () => clock.now });
      expect(await source.authorization()).toEqual({ ok: false, detail });
    },
  );

  it.each([
    ["a MAC token", { access_token: "t", token_type: "mac" }, "not a bearer token"],
    ["no access_token", { token_type: "Bearer" }, "not a token response"],
  ])("refuses %s", async (_name, body, detail) => {
    const { source } = await setUp(async () => Response.json(body));
    expect(await source.authorization()).toEqual({ ok: false, detail: expect.stringContaining(detail) });
  });

  it.each([
    ["absent", undefined, 3600],
    ["digits in a string", "120", 120],
    ["unreadable", "soon", 3600],
    ["zero", 0, 3600],
  ])("expires_in %s: the token is renewed shortly before %i s", async (_name, expiresIn, seconds) => {
    let issued = 0;
    const answer = () => Response.json({ access_token: `t${++issued}`, token_type: "bearer", expires_in: expiresIn });
    const { clock, source } = await setUp(async () => answer());
    expect(await source.authorization()).toMatchObject({ authorization: "Bearer t1", fresh: true });
    clock.now += (seconds - 31) * 1000;
    expect(await source.authorization()).toMatchObject({ authorization: "Bearer t1", fresh: false });
    clock.now += 2000;
    expect(await source.authorization()).toMatchObject({ authorization: "Bearer t2", fresh: true });
  });

  it("a lifetime shorter than the margin is still reused for half of it", async () => {
    let issued = 0;
    const { clock, source } = await setUp(async () => Response.json({ access_token: `t${++issued}`, token_type: "Bearer", expires_in: 20 }));
    await source.authorization();
    clock.now += 9_000;
    expect(await source.authorization()).toMatchObject({ authorization: "Bearer t1" });
    clock.now += 2_000;
    expect(await source.authorization()).toMatchObject({ authorization: "Bearer t2" });
  });

  it("keeps a token that has not expired when a new one cannot be obtained, and fails once it has", async () => {
    let up = true;
    const { clock, source } = await setUp(async () =>
      up ? Response.json({ access_token: "t1", token_type: "Bearer", expires_in: 300 }) : new Response("", { status: 503 }),
    );
    await source.authorization();
    up = false;
    clock.now += 290_000; // inside the 30 s before expiry: due for renewal, still valid
    expect(await source.authorization()).toEqual({ ok: true, authorization: "Bearer t1", fresh: false });
    clock.now += 20_000; // expired
    expect(await source.authorization()).toEqual({ ok: false, detail: "token endpoint: HTTP 503" });
  });
});
