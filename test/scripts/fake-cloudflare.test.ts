// The one fake of the Cloudflare API (scripts/fake-cloudflare.ts) behaves as the API reference says the API
// does, since every test project and the benchmark trust it: budgets per token reported in Ratelimit and
// Ratelimit-Policy (developers.cloudflare.com/fundamentals/api/reference/limits), refusals in the v4 envelope,
// and the Access users model that revoke_user, seats and sessions share.
import { describe, expect, it } from "vitest";
import { createFakeCloudflare } from "../../scripts/fake-cloudflare";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const BASE = "https://api.example.test/client/v4";

function revoke(token: string, body: unknown = { email: "ana@example.com" }) {
  return new Request(`${BASE}/accounts/${ACCOUNT}/access/organizations/revoke_user?devices=true`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}
const get = (path: string, token = "t") => new Request(`${BASE}/accounts/${ACCOUNT}${path}`, { headers: { Authorization: `Bearer ${token}` } });
const errorCode = async (response: Response) => ((await response.json()) as { errors: { code: number }[] }).errors[0]?.code;

describe("rate limits", () => {
  it("answer 429 past a token's budget, with Retry-After and the Ratelimit headers, and count each token apart", async () => {
    let now = 1_000_000;
    const fake = createFakeCloudflare({ now: () => now, rateLimit: { quota: 2, windowSeconds: 60 } });
    for (const _ of [1, 2]) expect((await fake.handle(revoke("a"))).status).toBe(200);
    now += 10_000;
    const refused = await fake.handle(revoke("a"));
    expect(refused.status).toBe(429);
    expect(await errorCode(refused)).toBe(10429);
    expect(Object.fromEntries(["retry-after", "ratelimit", "ratelimit-policy"].map((name) => [name, refused.headers.get(name)]))).toEqual({
      "retry-after": "50",
      ratelimit: '"default";r=0;t=50',
      "ratelimit-policy": '"default";q=2;w=60',
    });
    expect((await fake.handle(revoke("b"))).status).toBe(200);
    now += 50_000;
    expect((await fake.handle(revoke("a"))).status).toBe(200);
    expect(fake.rateLimitedCount()).toBe(1);
  });

  it("report the budget on every answer, as Cloudflare does, unless told not to", async () => {
    const fake = createFakeCloudflare({ now: () => 0, rateLimit: { quota: 1200, windowSeconds: 300 } });
    const answered = await fake.handle(revoke("a"));
    expect(answered.headers.get("Ratelimit")).toBe('"default";r=1199;t=300');
    expect(answered.headers.get("Ratelimit-Policy")).toBe('"default";q=1200;w=300');
    const silent = createFakeCloudflare({ rateLimit: { quota: 1200, windowSeconds: 300 }, reportRateLimit: false });
    expect((await silent.handle(revoke("a"))).headers.get("Ratelimit")).toBeNull();
  });

  it("count a fixed window, as Cloudflare documents t: it opens with the first call after the last closed and refills whole", async () => {
    let now = 0;
    const fake = createFakeCloudflare({ now: () => now, rateLimit: { quota: 3, windowSeconds: 10 } });
    for (const at of [0, 9_000, 9_500]) {
      now = at;
      expect((await fake.handle(revoke("a"))).status).toBe(200);
    }
    now = 9_900;
    expect((await fake.handle(revoke("a"))).headers.get("Retry-After")).toBe("1");
    now = 10_000;
    const next = await fake.handle(revoke("a"));
    // A sliding window would still count the calls at 9.0 and 9.5 s: the fixed one starts afresh.
    expect([next.status, next.headers.get("Ratelimit")]).toEqual([200, '"default";r=2;t=10']);
    expect(fake.budgetWindows("a")).toEqual([
      { opensAt: 0, closesAt: 10_000, admitted: 3, byOthers: 0 },
      { opensAt: 10_000, closesAt: 20_000, admitted: 1, byOthers: 0 },
    ]);
  });

  it("count a sliding window when asked: no more than the quota in any window", async () => {
    let now = 0;
    const fake = createFakeCloudflare({ now: () => now, rateLimit: { quota: 2, windowSeconds: 10, window: "sliding" } });
    for (const at of [0, 9_000]) {
      now = at;
      expect((await fake.handle(revoke("a"))).status).toBe(200);
    }
    now = 10_000;
    expect((await fake.handle(revoke("a"))).headers.get("Ratelimit")).toBe('"default";r=0;t=9');
    now = 18_999;
    expect((await fake.handle(revoke("a"))).status).toBe(429);
    now = 19_000;
    expect((await fake.handle(revoke("a"))).status).toBe(200);
  });

  it("let a second client spend the same token's budget, which the Worker's next answer reports", async () => {
    let now = 0;
    const fake = createFakeCloudflare({ now: () => now, rateLimit: { quota: 10, windowSeconds: 60 } });
    expect((await fake.handle(revoke("a"))).headers.get("Ratelimit")).toBe('"default";r=9;t=60');
    now = 1000;
    expect(fake.spendBudget("a", 7)).toBe(7);
    expect(fake.spendBudget("b", 2)).toBe(2);
    expect((await fake.handle(revoke("a"))).headers.get("Ratelimit")).toBe('"default";r=1;t=59');
    expect(fake.spendBudget("a", 3)).toBe(1);
    expect((await fake.handle(revoke("a"))).status).toBe(429);
    expect(fake.rateLimitedCount()).toBe(1);
    expect(fake.budgetWindows("a")).toEqual([{ opensAt: 0, closesAt: 60_000, admitted: 2, byOthers: 8 }]);
  });
});

describe("refusals", () => {
  it("refuse a token it does not know, and every call at a target whose permission the token lost, with 403 and code 10000", async () => {
    const fake = createFakeCloudflare({ tokens: ["t"] });
    const unknown = await fake.handle(revoke("other"));
    expect([unknown.status, await errorCode(unknown)]).toEqual([403, 10000]);
    expect((await fake.handle(revoke("t"))).status).toBe(200);
    fake.refuseTarget(`accounts/${ACCOUNT}`);
    expect((await fake.handle(revoke("t"))).status).toBe(403);
    expect((await fake.handle(get("/access/users?email=ana@example.com"))).status).toBe(403);
  });

  it.each([
    ["an unknown field", revoke("t", { email: "ana@example.com", devices: true }), 400],
    ["an unknown query parameter", get("/access/users?email=ana@example.com&filter=x"), 400],
    ["a wrong method", get("/access/organizations/revoke_user"), 405],
    ["an unknown route", get("/access/groups"), 404],
  ])("refuse %s as the API does", async (_, request, status) => {
    expect((await createFakeCloudflare().handle(request)).status).toBe(status);
  });
});

describe("the Access users model", () => {
  it("ends a person's sessions at revoke_user, unless a test keeps them", async () => {
    const fake = createFakeCloudflare();
    const [user] = ((await (await fake.handle(get("/access/users?email=ana@example.com"))).json()) as { result: { id: string }[] }).result;
    const sessions = async () =>
      ((await (await fake.handle(get(`/access/users/${user!.id}/active_sessions`))).json()) as { result: unknown[] }).result.length;
    expect(await sessions()).toBe(1);
    await fake.handle(revoke("t"));
    expect(await sessions()).toBe(0);
    fake.keepSessions("ana@example.com", 2);
    await fake.handle(revoke("t"));
    expect(await sessions()).toBe(2);
    expect(fake.callsFor("ana@example.com").map((call) => [call.path, call.devices, call.status])).toEqual([
      [`/accounts/${ACCOUNT}/access/organizations/revoke_user`, "true", 200],
      [`/accounts/${ACCOUNT}/access/organizations/revoke_user`, "true", 200],
    ]);
  });
});
