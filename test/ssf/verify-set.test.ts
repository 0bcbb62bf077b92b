// verifySet: one valid SET from the local transmitter, then exactly one thing changed per test.
import { errors, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { SsfTransmitter } from "../../src/domain/ssf/transmitters";
import { createJwksCache, type JwksCache } from "../../src/ssf/jwks";
import { type VerifySetContext, verifySet } from "../../src/ssf/verify-set";
import { TEST_SSF_AUDIENCE } from "../helpers/bindings";
import { LocalTransmitter } from "../helpers/ssf-transmitter";

const NOW = 1_800_000_000_000;
const clock = { now: NOW };
let transmitter: LocalTransmitter;
let config: SsfTransmitter;
let jwks: JwksCache;

beforeAll(async () => {
  transmitter = await LocalTransmitter.create(clock);
  config = transmitter.config();
  jwks = createJwksCache({ transmitter: config, fetch: transmitter.fetch, now: () => clock.now, minRefreshIntervalMs: 0 });
});

function context(overrides: Partial<VerifySetContext> = {}): VerifySetContext {
  return { transmitter: config, jwks, now: NOW, ...overrides };
}

describe("verifySet accepts", () => {
  it("a SET signed with the transmitter's RSA key, and returns its claims", async () => {
    const claims = transmitter.claims({ jti: "set-1" });
    const result = await verifySet(await transmitter.sign(claims), context());
    expect(result).toEqual({ ok: true, set: expect.objectContaining({ jti: "set-1", iss: transmitter.issuer, events: claims.events }) });
  });

  it("a SET signed with the EC key", async () => {
    expect((await verifySet(await transmitter.sign(transmitter.claims(), { key: "ec" }), context())).ok).toBe(true);
  });

  it.each(["secevent+jwt", "application/secevent+jwt", "Application/SecEvent+JWT"])("typ %s", async (typ) => {
    expect((await verifySet(await transmitter.sign(transmitter.claims(), { typ }), context())).ok).toBe(true);
  });

  it("an aud array that contains the configured audience", async () => {
    const token = await transmitter.sign(transmitter.claims({ aud: ["https://other.test", TEST_SSF_AUDIENCE] }));
    expect((await verifySet(token, context())).ok).toBe(true);
  });

  it("a SET without kid when exactly one published key fits the alg", async () => {
    expect((await verifySet(await transmitter.sign(transmitter.claims(), { kid: null }), context())).ok).toBe(true);
  });

  it("iat at the edges of the window (a day old, five minutes ahead)", async () => {
    const seconds = NOW / 1000;
    for (const iat of [seconds - 86_400, seconds + 300]) {
      expect((await verifySet(await transmitter.sign(transmitter.claims({ iat })), context())).ok).toBe(true);
    }
  });
});

describe("verifySet refuses", () => {
  it.each([
    ["a wrong iss", { iss: "https://impostor.test" }, "invalid_issuer"],
    ["a missing iss", { iss: undefined }, "invalid_issuer"],
    ["a wrong aud", { aud: "https://someone-else.test" }, "invalid_audience"],
    ["an aud array without ours", { aud: ["https://a.test", "https://b.test"] }, "invalid_audience"],
    ["a missing aud", { aud: undefined }, "invalid_audience"],
    ["a missing jti", { jti: undefined }, "invalid_request"],
    ["an empty jti", { jti: "" }, "invalid_request"],
    ["a jti of 257 characters", { jti: "j".repeat(257) }, "invalid_request"],
    ["a missing iat", { iat: undefined }, "invalid_request"],
    ["an iat that is a string", { iat: "1800000000" }, "invalid_request"],
    ["an iat more than a day old", { iat: NOW / 1000 - 86_401 }, "invalid_request"],
    ["an iat more than five minutes ahead", { iat: NOW / 1000 + 301 }, "invalid_request"],
    ["an expired exp", { exp: NOW / 1000 - 1 }, "invalid_request"],
    ["events that is not an object", { events: "session-revoked" }, "invalid_request"],
    ["events with no event", { events: {} }, "invalid_request"],
    [
      "an event payload that is not an object",
      { events: { "https://schemas.openid.net/secevent/caep/event-type/session-revoked": [] } },
      "invalid_request",
    ],
  ])("%s", async (_name, change, err) => {
    const token = await transmitter.sign(transmitter.claims(change));
    expect(await verifySet(token, context())).toMatchObject({ ok: false, err, transient: false });
  });

  it("iat more than the configured max age old", async () => {
    const token = await transmitter.sign(transmitter.claims({ iat: NOW / 1000 - 61 }));
    expect(await verifySet(token, context({ maxAgeSeconds: 60 }))).toMatchObject({
      ok: false,
      err: "invalid_request",
      description: "the SET was issued too long ago (iat)",
    });
  });

  it.each([
    ["typ JWT", "JWT"],
    ["no typ", null],
    ["typ of an access token", "at+jwt"],
  ])("%s (SSF 1.0 §4.1.1 requires explicit typing)", async (_name, typ) => {
    const result = await verifySet(await transmitter.sign(transmitter.claims(), { typ }), context());
    expect(result).toMatchObject({ ok: false, err: "invalid_request", description: "the SET is not explicitly typed secevent+jwt" });
  });

  it("alg none", async () => {
    const result = await verifySet(transmitter.signUnsecured(transmitter.claims()), context());
    expect(result).toMatchObject({ ok: false, err: "invalid_key", detail: expect.stringContaining('alg "none"') });
  });

  it("HS256 keyed with the transmitter's public key (algorithm confusion)", async () => {
    const result = await verifySet(await transmitter.signHmacWithPublicKey(transmitter.claims()), context());
    expect(result).toMatchObject({ ok: false, err: "invalid_key", detail: expect.stringContaining('alg "HS256"') });
  });

  it("an algorithm outside the transmitter's allowlist even when the key is good", async () => {
    const result = await verifySet(await transmitter.sign(transmitter.claims()), context({ transmitter: { ...config, algorithms: ["ES256"] } }));
    expect(result).toMatchObject({ ok: false, err: "invalid_key", detail: expect.stringContaining('alg "RS256"') });
  });

  it("a SET signed by an unpublished key under an unknown kid", async () => {
    const result = await verifySet(await transmitter.signWithUnknownKey(transmitter.claims()), context());
    expect(result).toMatchObject({ ok: false, err: "invalid_key", description: "the SET is signed with a key the receiver does not know" });
  });

  it("a SET signed by another key under a published kid (the signature does not verify)", async () => {
    const token = await transmitter.signWithUnknownKey(transmitter.claims(), transmitter.currentRsaKid);
    expect(await verifySet(token, context())).toMatchObject({ ok: false, err: "authentication_failed" });
  });

  it("a payload changed after signing", async () => {
    const [header, , signature] = (await transmitter.sign(transmitter.claims())).split(".");
    const forged = btoa(JSON.stringify(transmitter.claims({ sub_id: { format: "email", email: "ceo@example.com" } })))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    expect(await verifySet(`${header}.${forged}.${signature}`, context())).toMatchObject({ ok: false, err: "authentication_failed" });
  });

  it.each([
    ["an empty body", ""],
    ["two parts", "abc.def"],
    ["a JWE (five parts)", "a.b.c.d.e"],
    ["JSON", '{"events":{}}'],
    ["a header that is not JSON", "bm90IGpzb24.e30.c2ln"],
    ["a header that is JSON but not an object", `${btoa("[1]").replace(/=+$/, "")}.e30.c2ln`],
    ["a header without alg", `${btoa('{"typ":"secevent+jwt"}').replace(/=+$/, "")}.e30.c2ln`],
    ["64 KiB and more", "a".repeat(64 * 1024 + 1)],
  ])("%s as invalid_request, without throwing", async (_name, token) => {
    expect(await verifySet(token, context())).toMatchObject({ ok: false, err: "invalid_request" });
  });
});

describe("jose itself, as configured here", () => {
  // The control behind "HS256 keyed with the public key": the token is a valid HMAC under the PEM bytes, so a
  // verifier that let the header pick the algorithm would accept it. Pinning `algorithms` is what refuses it.
  it("accepts the confused token only when HS256 is allowed, and refuses it with our allowlist", async () => {
    const token = await transmitter.signHmacWithPublicKey(transmitter.claims());
    const pemBytes = new TextEncoder().encode(await transmitter.publicKeyPem());
    await expect(jwtVerify(token, pemBytes, { algorithms: ["HS256"] })).resolves.toMatchObject({ protectedHeader: { alg: "HS256" } });
    await expect(jwtVerify(token, pemBytes, { algorithms: config.algorithms })).rejects.toBeInstanceOf(errors.JOSEAlgNotAllowed);
  });
});

describe("claims the receiver does not use", () => {
  it("are ignored, whatever their type (SSF 1.0 §4.2.3)", async () => {
    const token = await transmitter.sign(transmitter.claims({ txn: 8675309, toe: "yesterday", sub: "someone", extra: { nested: [1, 2] } }));
    expect((await verifySet(token, context())).ok).toBe(true);
  });
});
