// pollSets (RFC 8936) against a scripted poll endpoint: the request it sends, the answers it understands.
import { describe, expect, it } from "vitest";
import type { SsfFetch } from "../../src/ssf/fetch-json";
import { createJwksCache } from "../../src/ssf/jwks";
import { type PollRequest, pollSets } from "../../src/ssf/poll";
import { verifySet } from "../../src/ssf/verify-set";
import { LocalTransmitter } from "../helpers/ssf-transmitter";

const ENDPOINT = "https://transmitter.test/ssf/poll/stream-1";

type Seen = { url: string; method: string | undefined; headers: Headers; body: unknown };

function endpoint(answer: () => Response | Promise<Response>): { fetch: SsfFetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetch: SsfFetch = async (url, init) => {
    seen.push({ url, method: init.method, headers: new Headers(init.headers), body: JSON.parse(String(init.body)) });
    return answer();
  };
  return { fetch, seen };
}

function request(fetch: SsfFetch, overrides: Partial<PollRequest> = {}): PollRequest {
  return { endpoint: ENDPOINT, fetch, authorization: "Bearer poll-token", ack: [], ...overrides };
}

describe("the poll request (RFC 8936 §2.2, §2.4)", () => {
  it("POSTs JSON with the acks, maxEvents and returnImmediately, and the Authorization header", async () => {
    const { fetch, seen } = endpoint(() => Response.json({ sets: {} }));
    await pollSets(request(fetch, { ack: ["jti-1", "jti-2"] }));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ url: ENDPOINT, method: "POST", body: { ack: ["jti-1", "jti-2"], maxEvents: 20, returnImmediately: true } });
    expect(seen[0]?.body).not.toHaveProperty("setErrs");
    expect([seen[0]?.headers.get("authorization"), seen[0]?.headers.get("content-type")]).toEqual(["Bearer poll-token", "application/json"]);
  });

  it("reports refused SETs in setErrs and honours maxEvents", async () => {
    const { fetch, seen } = endpoint(() => Response.json({ sets: {} }));
    const setErrs = { "jti-3": { err: "invalid_key" as const, description: "the SET is signed with a key the receiver does not know" } };
    await pollSets(request(fetch, { setErrs, maxEvents: 5 }));
    expect(seen[0]?.body).toEqual({ ack: [], maxEvents: 5, returnImmediately: true, setErrs });
  });

  it("sends no Authorization header when there is none", async () => {
    const { fetch, seen } = endpoint(() => Response.json({ sets: {} }));
    await pollSets(request(fetch, { authorization: null }));
    expect(seen[0]?.headers.has("authorization")).toBe(false);
  });
});

describe("the poll response (RFC 8936 §2.3, §2.5)", () => {
  it("returns the sets by jti and moreAvailable", async () => {
    const { fetch } = endpoint(() => Response.json({ sets: { "jti-1": "a.b.c", "jti-2": "d.e.f" }, moreAvailable: true }));
    expect(await pollSets(request(fetch))).toEqual({
      ok: true,
      sets: new Map([
        ["jti-1", "a.b.c"],
        ["jti-2", "d.e.f"],
      ]),
      moreAvailable: true,
    });
  });

  it("an empty sets object means nothing waits; moreAvailable defaults to false", async () => {
    const { fetch } = endpoint(() => Response.json({ sets: {} }));
    expect(await pollSets(request(fetch))).toEqual({ ok: true, sets: new Map(), moreAvailable: false });
  });

  it("hands back SETs that verify like pushed ones", async () => {
    const clock = { now: 1_800_000_000_000 };
    const transmitter = await LocalTransmitter.create(clock);
    const token = await transmitter.sign(transmitter.claims({ jti: "polled-1" }));
    const { fetch } = endpoint(() => Response.json({ sets: { "polled-1": token } }));
    const polled = await pollSets(request(fetch));
    const jwks = createJwksCache({ transmitter: transmitter.config(), fetch: transmitter.fetch, now: () => clock.now });
    const verified = await verifySet(polled.ok ? (polled.sets.get("polled-1") ?? "") : "", {
      transmitter: transmitter.config(),
      jwks,
      now: clock.now,
    });
    expect(verified).toMatchObject({ ok: true, set: { jti: "polled-1" } });
  });

  it.each([
    ["a 401", () => new Response("", { status: 401 }), { reason: "http_error", status: 401, detail: "HTTP 401" }],
    [
      "a 400 with an RFC 8936 error body",
      () => Response.json({ err: "invalid_request", description: "bad ack" }, { status: 400 }),
      { reason: "http_error", status: 400, detail: "HTTP 400 (invalid_request)" },
    ],
    ["HTML", () => new Response("<html></html>"), { reason: "malformed", detail: "not JSON" }],
    ["sets that is a list", () => Response.json({ sets: ["a.b.c"] }), { reason: "malformed" }],
    ["a SET that is not a string", () => Response.json({ sets: { "jti-1": { token: "a.b.c" } } }), { reason: "malformed" }],
    ["no sets", () => Response.json({ moreAvailable: false }), { reason: "malformed" }],
    ["a network failure", () => Promise.reject(new TypeError("connection reset")), { reason: "unreachable", detail: "TypeError: connection reset" }],
  ])("%s is a tagged failure, not a throw", async (_name, answer, failure) => {
    const { fetch } = endpoint(answer);
    expect(await pollSets(request(fetch))).toMatchObject({ ok: false, ...failure });
  });

  it("an endpoint that never answers times out", async () => {
    const { fetch } = endpoint(() => new Promise<Response>(() => {}));
    expect(await pollSets(request(fetch, { timeoutMs: 30 }))).toMatchObject({ ok: false, reason: "timeout" });
  });
});
