// receiveSet: one valid push delivery, then exactly one thing changed per test; every documented SET shape
// signed and sent end to end; and hostile bodies and claims, property-based, never throwing.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { extractSetEvents } from "../../src/ssf/events";
import { createJwksCache, type JwksCache } from "../../src/ssf/jwks";
import { type ReceiveSetInput, receiveSet } from "../../src/ssf/receive-set";
import { setDigest } from "../../src/ssf/set-digest";
import type { VerifiedSet } from "../../src/ssf/verify-set";
import { LocalTransmitter } from "../helpers/ssf-transmitter";

const RUNS = Number((env as unknown as { FUZZ_RUNS?: string }).FUZZ_RUNS ?? "60");
const NOW = 1_800_000_000_000;
const clock = { now: NOW };
const SECRET = "ssf-push-credential-0001";
const NEXT_SECRET = "ssf-push-credential-0002";
let transmitter: LocalTransmitter;
let jwks: JwksCache;

// Vite's import.meta.glob (Vitest transforms it), typed here as test/architecture.test.ts does.
type Glob = (pattern: string, options: { eager: true }) => Record<string, { default: Record<string, unknown> }>;
const fixtures = (import.meta as ImportMeta & { glob: Glob }).glob("../fixtures/ssf/*.json", { eager: true });

beforeAll(async () => {
  transmitter = await LocalTransmitter.create(clock);
  jwks = createJwksCache({ transmitter: transmitter.config(), fetch: transmitter.fetch, now: () => clock.now });
});

const utf8 = (text: string) => new TextEncoder().encode(text);

async function delivery(overrides: Partial<ReceiveSetInput> = {}): Promise<ReceiveSetInput> {
  return {
    body: utf8(await transmitter.sign(transmitter.claims({ jti: "push-1" }))),
    contentType: "application/secevent+jwt",
    authorization: `Bearer ${SECRET}`,
    transmitterName: "acme",
    transmitter: transmitter.config(),
    authSecrets: [SECRET, NEXT_SECRET],
    jwks,
    now: NOW,
    ...overrides,
  };
}

describe("receiveSet accepts (RFC 8935 §2.2: 202)", () => {
  it("a valid SET, with its identity event", async () => {
    expect(await receiveSet(await delivery())).toEqual({
      kind: "accepted",
      status: 202,
      jti: "push-1",
      iat: NOW / 1000,
      digest: expect.stringMatching(/^[0-9a-f]{64}$/),
      unreadable: null,
      events: [
        {
          event_id: "push-1",
          event_type: "https://schemas.openid.net/secevent/caep/event-type/session-revoked",
          email: "leaver@example.com",
          reason: "CAEP session-revoked from acme",
          // No event_timestamp: the SET's iat.
          event_at: NOW,
        },
      ],
      observed: [],
      stream: [],
      ignored: [],
      unresolved: [],
    });
  });

  it.each([
    ["a bare credential", SECRET],
    ["the rotated credential", `Bearer ${NEXT_SECRET}`],
    ["another scheme name", `bearer ${SECRET}`],
  ])("%s in Authorization", async (_name, authorization) => {
    expect((await receiveSet(await delivery({ authorization }))).kind).toBe("accepted");
  });

  it("a credential configured as the whole header value, scheme included", async () => {
    const authSecrets = [`Bearer ${SECRET}`];
    expect((await receiveSet(await delivery({ authorization: `Bearer ${SECRET}`, authSecrets }))).kind).toBe("accepted");
    expect((await receiveSet(await delivery({ authorization: `Basic ${SECRET}`, authSecrets }))).kind).toBe("rejected");
  });

  // A Keycloak version that prepends "Bearer " to the stream's authorization header, given "Bearer <token>" by
  // an operator following docs/ssf.md, sends "Bearer Bearer <token>" (issue #18).
  it.each([
    ["the token, configured with its scheme", [`Bearer ${SECRET}`], SECRET],
    ["Bearer Bearer <token>, configured bare", [SECRET], `Bearer Bearer ${SECRET}`],
    ["Bearer Bearer <token>, configured with its scheme", [`Bearer ${SECRET}`], `Bearer Bearer ${SECRET}`],
    ["bearer BEARER <token>, any case and spacing", [`BEARER  ${SECRET}`], `bearer BEARER\t${SECRET}`],
  ])("the Bearer scheme on either side, or twice: %s", async (_name, authSecrets, authorization) => {
    expect((await receiveSet(await delivery({ authorization, authSecrets }))).kind).toBe("accepted");
  });

  it.each([
    ["a prefix of the token", [`Bearer ${SECRET}`], `Bearer Bearer ${SECRET.slice(0, -1)}`],
    ["the token with a suffix", [`Bearer ${SECRET}`], `Bearer Bearer ${SECRET}x`],
    ["the last word of a passphrase", ["Bearer correct horse battery staple"], "Bearer staple"],
    ["the passphrase behind another scheme word", ["correct horse battery staple"], "Basic horse battery staple"],
    ["Bearer alone", [`Bearer ${SECRET}`], "Bearer Bearer"],
  ])("but never less than the whole credential: %s is refused", async (_name, authSecrets, authorization) => {
    expect(await receiveSet(await delivery({ authorization, authSecrets }))).toMatchObject({ kind: "rejected", status: 401 });
  });

  it("no Authorization when no credential is configured", async () => {
    expect((await receiveSet(await delivery({ authorization: null, authSecrets: [] }))).kind).toBe("accepted");
  });

  it.each(["application/secevent+jwt; charset=utf-8", "Application/SecEvent+JWT"])("Content-Type %s", async (contentType) => {
    expect((await receiveSet(await delivery({ contentType }))).kind).toBe("accepted");
  });

  it("a body with a trailing newline", async () => {
    const body = utf8(`${await transmitter.sign(transmitter.claims())}\r\n`);
    expect((await receiveSet(await delivery({ body }))).kind).toBe("accepted");
  });

  it("the same SET twice: both accepted with the same event id and digest (replay is the caller's, by jti)", async () => {
    const input = await delivery();
    const [first, second] = [await receiveSet(input), await receiveSet(input)];
    expect(first.kind === "accepted" && second.kind === "accepted" && [first.events[0]?.event_id, second.events[0]?.event_id]).toEqual([
      "push-1",
      "push-1",
    ]);
    expect(first.kind === "accepted" && second.kind === "accepted" && first.digest === second.digest).toBe(true);
  });
});

describe("setDigest: what a SET says, whatever its signature, iat or member order (RFC 8785 ordering)", () => {
  const set = { sub_id: { format: "email", email: "a@example.com" }, events: { "urn:x": { reason: "r", n: 1.5 } } };
  it("is the same for the same statement", async () => {
    const reordered = { events: { "urn:x": { n: 1.5, reason: "r" } }, sub_id: { email: "a@example.com", format: "email" }, iat: 1, txn: "t" };
    expect(await setDigest(reordered)).toBe(await setDigest(set));
  });

  it.each([
    ["another subject", { ...set, sub_id: { format: "email", email: "b@example.com" } }],
    ["no subject", { events: set.events }],
    ["another event", { ...set, events: { "urn:y": {} } }],
    ["another value", { ...set, events: { "urn:x": { reason: "r", n: 2 } } }],
  ])("differs for %s", async (_name, other) => {
    expect(await setDigest(other)).not.toBe(await setDigest(set));
  });
});

describe("receiveSet refuses the caller (RFC 8935 §3, RFC 9110 §15.5.2: 401)", () => {
  it.each([
    ["no Authorization", null],
    ["an empty Authorization", ""],
    ["a wrong credential", "Bearer not-the-credential"],
    ["a prefix of the credential", `Bearer ${SECRET.slice(0, -1)}`],
    ["the credential with a suffix", `Bearer ${SECRET}x`],
    ["the scheme alone", "Bearer"],
  ])("%s", async (_name, authorization) => {
    expect(await receiveSet(await delivery({ authorization }))).toMatchObject({
      kind: "rejected",
      status: 401,
      body: { err: "authentication_failed", description: "authorization required" },
      headers: { "WWW-Authenticate": 'Bearer realm="ssf"', "Content-Language": "en" },
    });
  });

  it("before anything else: a wrong credential with a wrong Content-Type is a 401, not a 415", async () => {
    expect(await receiveSet(await delivery({ authorization: "Bearer wrong", contentType: "text/plain" }))).toMatchObject({ status: 401 });
  });
});

describe("receiveSet refuses the media type (RFC 8935 §2.1: 415)", () => {
  it.each([null, "", "application/json", "application/jwt", "text/plain", "application/secevent+jwt-ish"])("Content-Type %s", async (contentType) => {
    expect(await receiveSet(await delivery({ contentType }))).toMatchObject({
      kind: "rejected",
      status: 415,
      body: { err: "invalid_request", description: "Content-Type must be application/secevent+jwt" },
      headers: { "Content-Language": "en" },
    });
  });
});

describe("receiveSet refuses the SET (RFC 8935 §2.3: 400 with an §2.4 err)", () => {
  it.each([
    ["a wrong iss", () => transmitter.sign(transmitter.claims({ iss: "https://impostor.test" })), "invalid_issuer"],
    ["a wrong aud", () => transmitter.sign(transmitter.claims({ aud: "https://elsewhere.test" })), "invalid_audience"],
    ["an unknown kid", () => transmitter.signWithUnknownKey(transmitter.claims()), "invalid_key"],
    ["alg none", async () => transmitter.signUnsecured(transmitter.claims()), "invalid_key"],
    ["HS256 keyed with the public key", () => transmitter.signHmacWithPublicKey(transmitter.claims()), "invalid_key"],
    ["another key under our kid", () => transmitter.signWithUnknownKey(transmitter.claims(), transmitter.currentRsaKid), "authentication_failed"],
    ["an iat a day and a second old", () => transmitter.sign(transmitter.claims({ iat: NOW / 1000 - 86_401 })), "invalid_request"],
    ["an iat six minutes ahead", () => transmitter.sign(transmitter.claims({ iat: NOW / 1000 + 360 })), "invalid_request"],
    ["no jti", () => transmitter.sign(transmitter.claims({ jti: undefined })), "invalid_request"],
    ["typ JWT", () => transmitter.sign(transmitter.claims(), { typ: "JWT" }), "invalid_request"],
    ["JSON instead of a JWS", async () => JSON.stringify(transmitter.claims()), "invalid_request"],
  ])("%s", async (_name, token, err) => {
    const result = await receiveSet(await delivery({ body: utf8(await token()) }));
    expect(result).toMatchObject({ kind: "rejected", status: 400, body: { err }, headers: { "Content-Language": "en" } });
  });

  it("a stream-updated without a status (secevent-js): accepted to be recorded, with status 400 and why", async () => {
    const claims = transmitter.claims({ events: { "https://schemas.openid.net/secevent/ssf/event-type/stream-updated": { effective_time: 1 } } });
    expect(await receiveSet(await delivery({ body: utf8(await transmitter.sign(claims)) }))).toMatchObject({
      kind: "accepted",
      status: 400,
      unreadable: "the stream-updated event's status is missing (SSF 1.0 §8.1.5 requires it)",
      stream: [{ kind: "stream_unreadable" }],
    });
  });

  it("a body that is not UTF-8", async () => {
    expect(await receiveSet(await delivery({ body: new Uint8Array([0xff, 0xfe, 0x2e, 0x2e]) }))).toMatchObject({
      status: 400,
      body: { err: "invalid_request" },
    });
  });

  it("a JWKS endpoint that is down, with no keys held: 400 invalid_key carrying the token to hold, not a throw", async () => {
    const down = await LocalTransmitter.create(clock);
    down.jwksMode = "down";
    const input = await delivery({
      jwks: createJwksCache({ transmitter: down.config(), fetch: down.fetch, now: () => clock.now }),
      transmitter: down.config(),
      body: utf8(await down.sign(down.claims())),
    });
    const token = await down.sign(down.claims());
    expect(await receiveSet({ ...input, body: utf8(token) })).toMatchObject({
      kind: "rejected",
      status: 400,
      body: { err: "invalid_key" },
      unverifiedToken: token,
    });
  });

  it("the description is for the sender and the detail for the log", async () => {
    const result = await receiveSet(await delivery({ body: utf8(await transmitter.signWithUnknownKey(transmitter.claims(), "kid-from-attacker")) }));
    expect(result).toMatchObject({
      body: { description: "the SET is signed with a key the receiver does not know" },
      detail: expect.stringContaining("kid-from-attacker"),
      // With the keys held, an unknown kid is decided now: nothing to hold for a later check.
      unverifiedToken: null,
    });
    expect(JSON.stringify(result.kind === "rejected" && result.body)).not.toContain("kid-from-attacker");
  });
});

describe("every documented SET shape, signed and pushed end to end", () => {
  it.each(Object.entries(fixtures).map(([path, module]) => [path.split("/").pop(), module.default] as const))("%s", async (_name, fixture) => {
    const claims = { ...fixture, iat: Math.floor(NOW / 1000) };
    const config = transmitter.config({ issuer: String(fixture.iss), audiences: [String(fixture.aud)] });
    const jwksFor = createJwksCache({
      transmitter: { issuer: config.issuer, jwksUri: "https://transmitter.test/keys/jwks.json" },
      fetch: transmitter.fetch,
      now: () => clock.now,
    });
    const result = await receiveSet(await delivery({ transmitter: config, jwks: jwksFor, body: utf8(await transmitter.sign(claims)) }));
    const extracted = extractSetEvents(claims as unknown as VerifiedSet, { transmitterName: "acme", transmitter: config });
    const unreadable = extracted.stream.find((event) => event.kind === "stream_unreadable")?.detail ?? null;
    expect(result).toEqual({
      kind: "accepted",
      status: unreadable ? 400 : 202,
      jti: fixture.jti,
      iat: claims.iat,
      digest: await setDigest(claims as unknown as VerifiedSet),
      unreadable,
      ...extracted,
    });
  });
});

describe("hostile input never throws", () => {
  it("random bytes and dotted strings: always a 400 answer", async () => {
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .array(fc.oneof(fc.base64String({ maxLength: 60 }), fc.string({ maxLength: 20 })), { minLength: 1, maxLength: 6 })
        .map((parts) => utf8(parts.join("."))),
    );
    await fc.assert(
      fc.asyncProperty(body, async (bytes) => {
        const result = await receiveSet(await delivery({ body: bytes }));
        expect(result).toMatchObject({ kind: "rejected", status: 400 });
      }),
      { numRuns: RUNS },
    );
  });

  it("validly signed SETs with arbitrary claims: accepted or a 400, never a throw", async () => {
    const claims = fc.record(
      {
        jti: fc.oneof(fc.string({ maxLength: 300 }), fc.anything()),
        iat: fc.oneof(fc.constant(NOW / 1000), fc.anything()),
        sub_id: fc.anything(),
        events: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.object(), fc.anything())), fc.anything()),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(claims, async (overrides) => {
        const token = await transmitter.sign(transmitter.claims(JSON.parse(JSON.stringify(overrides ?? {})) as Record<string, unknown>));
        const result = await receiveSet(await delivery({ body: utf8(token) }));
        expect(result.kind === "accepted" || result.status === 400).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
