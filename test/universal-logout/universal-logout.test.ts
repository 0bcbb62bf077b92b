// POST /okta/universal-logout through the real Worker: tokens signed by a local stand-in for an Okta org's keys
// (test/helpers/okta-org.ts, shaped as the IETF draft "OAuth 2.0 Global Token Revocation" §3.5 and Okta's samples
// describe them), bodies as the draft (§3.2, `sub_id`) and Okta's guide ("Build Universal Logout for your app",
// `subject`) show them. The Worker's network is the only mock: the fake Cloudflare API and the org's JWKS.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { installUniversalLogoutDeps } from "../../src/universal-logout/okta-keys";
import { TEST_OKTA_ORG_URL } from "../helpers/bindings";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { LocalOktaOrg } from "../helpers/okta-org";
import { operatorFetch, revocationsFor, revocationTotal, settleLedger, uniqueEmail, workerFetch } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);
let org: LocalOktaOrg;

beforeEach(async () => {
  org ??= await LocalOktaOrg.create();
  org.jwksMode = "up";
  // A fresh key cache per test, so one test's refresh gate never decides another's.
  installUniversalLogoutDeps({});
  fake().serveOtherOrigins(org.fetch);
});

afterAll(() => installUniversalLogoutDeps(null));

function logout(token: string | null, body: unknown) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return workerFetch("/okta/universal-logout", { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
}

const byEmail = (email: string) => ({ sub_id: { format: "email", email } });

describe("a Universal Logout call Okta signed", () => {
  it("for an email subject: commits before answering 204, and revokes the person once per target", async () => {
    const email = uniqueEmail("ul-email");
    const response = await logout(await org.sign(org.claims()), byEmail(email));
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
    const [record, ...others] = await revocationsFor(email);
    expect(others).toEqual([]);
    expect(record).toMatchObject({ status: "revoked", source: "okta", assurance: "signed", event_type: "okta.universal_logout" });
    expect(fake().callsFor(email)).toHaveLength(2);
  });

  it("for an iss_sub subject: resolves the Okta user id through the directory under the source okta", async () => {
    const email = uniqueEmail("ul-iss-sub");
    const oktaUserId = `00u${crypto.randomUUID().replace(/-/g, "").slice(0, 17)}`;
    expect((await operatorFetch(`/v1/directory/okta/${oktaUserId}`, { method: "PUT", body: JSON.stringify({ email }) })).status).toBe(200);
    // Okta's guide shows the subject under `subject`, and the org's issuer with a trailing slash is the org too.
    const body = { subject: { format: "iss_sub", iss: `${TEST_OKTA_ORG_URL}/`, sub: oktaUserId } };
    expect((await logout(await org.sign(org.claims()), body)).status).toBe(204);
    const [record] = await revocationsFor(email);
    expect(record).toMatchObject({ status: "revoked", source: "okta", subject_id: oktaUserId });
  });

  it("reads an iss_sub from one of the org's authorization servers as an Okta user id, and another issuer's as unknown", async () => {
    const email = uniqueEmail("ul-auth-server");
    const oktaUserId = `00u${crypto.randomUUID().replace(/-/g, "").slice(0, 17)}`;
    await operatorFetch(`/v1/directory/okta/${oktaUserId}`, { method: "PUT", body: JSON.stringify({ email }) });
    const foreign = { sub_id: { format: "iss_sub", iss: "https://idp.example.com/", sub: oktaUserId } };
    expect((await logout(await org.sign(org.claims()), foreign)).status).toBe(404);
    const ours = { sub_id: { format: "iss_sub", iss: `${TEST_OKTA_ORG_URL}/oauth2/default`, sub: oktaUserId } };
    expect((await logout(await org.sign(org.claims()), ours)).status).toBe(204);
    expect(await revocationsFor(email)).toEqual([expect.objectContaining({ status: "revoked", subject_id: oktaUserId })]);
  });

  it("answers a replayed token 204 and revokes nothing more: its jti is the event id", async () => {
    const email = uniqueEmail("ul-replay");
    const token = await org.sign(org.claims());
    expect((await logout(token, byEmail(email))).status).toBe(204);
    await revocationsFor(email);
    const before = await revocationTotal();
    expect((await logout(token, byEmail(email))).status).toBe(204);
    expect(await revocationTotal()).toBe(before);
    expect(await revocationsFor(email)).toHaveLength(1);
    expect(fake().callsFor(email)).toHaveLength(2);
  });

  it("de-duplicates a token without a jti by its digest", async () => {
    const email = uniqueEmail("ul-no-jti");
    const token = await org.sign(org.claims({ jti: undefined }));
    expect((await logout(token, byEmail(email))).status).toBe(204);
    expect((await logout(token, byEmail(email))).status).toBe(204);
    const records = await revocationsFor(email);
    expect(records).toHaveLength(1);
    const [record] = (
      (await (await operatorFetch(`/v1/revocations?email=${encodeURIComponent(email)}`)).json()) as { records: { event_id: string }[] }
    ).records;
    expect(record?.event_id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("answers 404 for an Okta user the directory does not know, records it, and revokes once the directory learns it", async () => {
    const email = uniqueEmail("ul-later");
    const oktaUserId = `00u${crypto.randomUUID().replace(/-/g, "").slice(0, 17)}`;
    const response = await logout(await org.sign(org.claims()), { sub_id: { format: "opaque", id: oktaUserId } });
    expect(response.status).toBe(404);
    expect(fake().callsFor(email)).toHaveLength(0);
    const put = await operatorFetch(`/v1/directory/okta/${oktaUserId}`, { method: "PUT", body: JSON.stringify({ email }) });
    expect(await put.json()).toMatchObject({ resolved_revocations: 1 });
    expect(await revocationsFor(email)).toEqual([expect.objectContaining({ status: "revoked", subject_id: oktaUserId })]);
  });
});

describe("a call that does not prove it is Okta's: 401, nothing revoked", () => {
  const forgeries: [string, (email: string) => Promise<string | null>][] = [
    ["no token", async () => null],
    ["an unsigned token (alg none)", async () => org.unsigned(org.claims())],
    ["a token signed by a key the org never published", async () => org.signWithUnpublishedKey(org.claims())],
    ["HS256 keyed with the org's public key", async () => org.signHmacWithPublicKey(org.claims())],
    ["a token for another audience", async () => org.sign(org.claims({ aud: "https://other-app.example.com/global-token-revocation" }))],
    ["a token from another issuer", async () => org.sign(org.claims({ iss: "https://evil.okta.test" }))],
    ["an expired token", async () => org.sign(org.claims({ iat: Math.floor(Date.now() / 1000) - 900, exp: Math.floor(Date.now() / 1000) - 600 }))],
    ["a token without exp", async () => org.sign(org.claims({ exp: undefined }))],
    ["a token not valid yet (nbf)", async () => org.sign(org.claims({ nbf: Math.floor(Date.now() / 1000) + 600 }))],
    ["another kind of token (a SET)", async () => org.sign(org.claims(), { typ: "secevent+jwt" })],
    ["a token whose kid the org does not publish", async () => org.sign(org.claims(), { kid: "made-up" })],
  ];

  it.each(forgeries)("%s", async (_, forge) => {
    const email = uniqueEmail("ul-forged");
    const before = await revocationTotal();
    const response = await logout(await forge(email), byEmail(email));
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    expect(await response.json()).toEqual({ error: { code: "unauthorized", message: "the token could not be verified" } });
    expect(await revocationTotal()).toBe(before);
    expect(fake().callsFor(email)).toHaveLength(0);
  });

  it("a typ-less token, as the draft allows, is Okta's all the same", async () => {
    const email = uniqueEmail("ul-no-typ");
    expect((await logout(await org.sign(org.claims(), { typ: null }), byEmail(email))).status).toBe(204);
    await revocationsFor(email);
  });
});

describe("what the body names", () => {
  it.each([
    ["not JSON", "{", 400],
    ["no subject", {}, 400],
    ["a format the draft does not define here", { sub_id: { format: "phone_number", phone_number: "+12065550100" } }, 400],
    [
      "sub_id and subject naming two people",
      { sub_id: { format: "email", email: "a@example.com" }, subject: { format: "email", email: "b@example.com" } },
      400,
    ],
    ["an address that cannot be used", { sub_id: { format: "email", email: "not an address" } }, 400],
  ])("%s: answered %i, no call to Cloudflare", async (_, body, status) => {
    const calls = fake().requests.length;
    const response = await logout(await org.sign(org.claims()), body);
    expect(response.status).toBe(status);
    expect(fake().requests.length).toBe(calls);
  });
});

describe("Okta's keys out of reach", () => {
  it("answers 503 keys_unavailable with Retry-After, and revokes nothing until Okta calls again", async () => {
    org.jwksMode = "down";
    const email = uniqueEmail("ul-keys-down");
    const before = await revocationTotal();
    const response = await logout(await org.sign(org.claims()), byEmail(email));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("60");
    expect(await revocationTotal()).toBe(before);
  });

  it("still refuses at once a token whose claims no key could save (another audience)", async () => {
    org.jwksMode = "down";
    const response = await logout(await org.sign(org.claims({ aud: "https://elsewhere.test" })), byEmail(uniqueEmail("ul-down-forged")));
    expect(response.status).toBe(401);
  });
});
