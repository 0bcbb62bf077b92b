// Each identity provider, end to end through the real Worker: a correctly signed delivery of the provider's
// documented shape revokes the right person exactly once per target; every forgery gets 401 and no call.
import { Webhook as SvixWebhook } from "svix";
import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../src/crypto/bytes";
import { signHmac } from "../../src/crypto/hmac";
import { signConfigurableHmac } from "../../src/sources/configurable-hmac";
import { signTimestampedHmac } from "../../src/sources/timestamped-hmac";
import clerkDeleted from "../fixtures/clerk/user.deleted.json";
import clerkUpdated from "../fixtures/clerk/user.updated.json";
import googleSuspend from "../fixtures/google/suspend-user.json";
import hmacOffboarded from "../fixtures/hmac/user.offboarded.json";
import keycloakDelete from "../fixtures/keycloak/admin.USER-DELETE.json";
import keycloakUpdate from "../fixtures/keycloak/admin.USER-UPDATE.json";
import oktaBatch from "../fixtures/okta/event-hook-batch.json";
import workosDeleted from "../fixtures/workos/dsync.user.deleted.json";
import zitadelDeactivated from "../fixtures/zitadel/user.deactivated.json";
import zitadelAdded from "../fixtures/zitadel/user.human.added.json";
import { TEST_HMAC_CONFIG, TEST_SECRETS } from "../helpers/bindings";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { operatorFetch, revocationsFor, sendWebhook, settleLedger, uniqueEmail, waitForIdleLedger } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);

/** The fixture as JSON with its documented values swapped for this test's unique ones. */
function fixture(json: unknown, replacements: Record<string, string>): string {
  let text = JSON.stringify(json);
  for (const [from, to] of Object.entries(replacements)) text = text.split(from).join(to);
  return text;
}
const unique = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The ledger's records for an email, as they stand now (no waiting). */
async function listedFor(email: string): Promise<{ id: string; status: string; last_error: string | null }[]> {
  return (
    (await (await operatorFetch(`/v1/revocations?email=${encodeURIComponent(email)}`)).json()) as {
      records: { id: string; status: string; last_error: string | null }[];
    }
  ).records;
}

async function expectRevokedOnce(email: string, source: string, assurance = "signed") {
  const records = await revocationsFor(email);
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ status: "revoked", source, assurance });
  expect(fake().callsFor(email)).toHaveLength(2); // one account + one zone
}

describe("workos", () => {
  async function delivery(body: string, secret = TEST_SECRETS.workos, at = Date.now()) {
    return { "WorkOS-Signature": (await signTimestampedHmac(secret, at, body)).replace(",", ", ") };
  }

  it("revokes the directory user of dsync.user.deleted", async () => {
    const email = uniqueEmail("workos");
    const body = fixture(workosDeleted, { "marcelina.davis@example.com": email, event_01E1JJS7GH8GM1A5QMFXQ9BNZ7: unique("event") });
    expect((await sendWebhook("workos", await delivery(body), body)).status).toBe(202);
    await expectRevokedOnce(email, "workos");
    // The event's own created_at, for the offboarding report (issue #23).
    expect((await revocationsFor(email))[0]).toMatchObject({ event_at: "2021-06-25T19:07:33.155Z" });
  });

  it("revokes on dsync.user.updated with state inactive, and only feeds the directory when active", async () => {
    const email = uniqueEmail("workos-upd");
    const subject = unique("directory_user");
    const active = fixture(
      { ...workosDeleted, event: "dsync.user.updated" },
      { "marcelina.davis@example.com": email, directory_user_01E1JJHG3BFJ3FY8ZQ9PS9ABCD: subject, event_01E1JJS7GH8GM1A5QMFXQ9BNZ7: unique("event") },
    );
    const activeAnswer = await sendWebhook("workos", await delivery(active), active);
    expect(await activeAnswer.json()).toMatchObject({ ignored: true, directory_updated: 1 });
    const inactive = active.replace('"state":"active"', '"state":"inactive"').replace(/event_[^"]+/, unique("event"));
    expect((await sendWebhook("workos", await delivery(inactive), inactive)).status).toBe(202);
    await expectRevokedOnce(email, "workos");
  });

  it("revokes on dsync.user.updated with state suspended, like inactive", async () => {
    const email = uniqueEmail("workos-suspended");
    const body = fixture(
      { ...workosDeleted, event: "dsync.user.updated" },
      {
        "marcelina.davis@example.com": email,
        '"state":"active"': '"state":"suspended"',
        directory_user_01E1JJHG3BFJ3FY8ZQ9PS9ABCD: unique("directory_user"),
        event_01E1JJS7GH8GM1A5QMFXQ9BNZ7: unique("event"),
      },
    );
    expect((await sendWebhook("workos", await delivery(body), body)).status).toBe(202);
    await expectRevokedOnce(email, "workos");
  });

  it("revokes through the directory when the payload's email is unusable but its subject id is known", async () => {
    const known = uniqueEmail("workos-known");
    const subject = unique("directory_user");
    await operatorFetch(`/v1/directory/workos/${subject}`, { method: "PUT", body: JSON.stringify({ email: known }) });
    const body = fixture(workosDeleted, {
      "marcelina.davis@example.com": "jörg@localhost", // a non-ASCII local part, and no dot in the domain
      directory_user_01E1JJHG3BFJ3FY8ZQ9PS9ABCD: subject,
      event_01E1JJS7GH8GM1A5QMFXQ9BNZ7: unique("event"),
    });
    expect((await sendWebhook("workos", await delivery(body), body)).status).toBe(202);
    await expectRevokedOnce(known, "workos");
  });

  it.each([
    ["a wrong secret", async (body: string) => delivery(body, "not-the-secret")],
    ["a stale timestamp (milliseconds)", async (body: string) => delivery(body, TEST_SECRETS.workos, Date.now() - 301_000)],
    ["a future timestamp", async (body: string) => delivery(body, TEST_SECRETS.workos, Date.now() + 301_000)],
    [
      "seconds where milliseconds are expected",
      async (body: string) => ({ "WorkOS-Signature": await signTimestampedHmac(TEST_SECRETS.workos, nowSeconds(), body) }),
    ],
    ["no header", async () => ({})],
  ])("refuses %s with 401 and no call", async (_case, headersFor) => {
    const email = uniqueEmail("workos-forged");
    const body = fixture(workosDeleted, { "marcelina.davis@example.com": email });
    expect((await sendWebhook("workos", await headersFor(body), body)).status).toBe(401);
    expect(await listedFor(email)).toEqual([]);
  });

  it("refuses a body changed after signing", async () => {
    const body = fixture(workosDeleted, {});
    const headers = await delivery(body);
    const tampered = body.replace("marcelina.davis@example.com", "ceo@example.com");
    expect((await sendWebhook("workos", headers, tampered)).status).toBe(401);
    expect(await listedFor("ceo@example.com")).toEqual([]);
  });
});

describe("okta", () => {
  const auth = { Authorization: TEST_SECRETS.okta };

  it("answers the one-time verification GET with the challenge", async () => {
    const response = await sendWebhook("okta", { ...auth, "X-Okta-Verification-Challenge": "t3sTcHaLlEnGe" }, "", "GET");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ verification: "t3sTcHaLlEnGe" });
  });

  it("refuses the verification GET without the secret", async () => {
    const response = await sendWebhook("okta", { Authorization: "wrong", "X-Okta-Verification-Challenge": "x" }, "", "GET");
    expect(response.status).toBe(401);
  });

  it("revokes exactly the deactivated target of a batch with a login and a malformed element, answering 200 as Okta asks", async () => {
    const leaver = uniqueEmail("okta-leaver");
    const stayer = uniqueEmail("okta-stayer");
    const admin = uniqueEmail("okta-admin");
    const body = fixture(oktaBatch, {
      "leaver@example.com": leaver,
      "stayer@example.com": stayer,
      "it-admin@example.com": admin,
      "7d5bd0a1-0b6d-11ee-8d0b-3f7f5d8a1111": unique("uuid"),
    });
    const response = await sendWebhook("okta", auth, body);
    // Okta: "your service must return 200 or 204" (Event Hooks, Your service's responsibilities).
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { revocations: unknown[]; ignored: string[] };
    expect(answer.revocations).toHaveLength(1);
    expect(answer.ignored).toHaveLength(2);
    await expectRevokedOnce(leaver, "okta", "static_secret");
    // The log event's own published time, for the offboarding report (issue #23).
    expect((await revocationsFor(leaver))[0]).toMatchObject({ event_at: "2026-11-27T09:59:58.000Z" });
    expect(await listedFor(stayer)).toEqual([]);
    expect(await listedFor(admin)).toEqual([]);
  });

  // Okta's alternateId is the login, not always an address: the record waits for the directory and says so.
  it("records a deactivated user whose login is no usable email as unresolved, naming the login", async () => {
    const login = unique("leaver-login");
    const body = fixture(oktaBatch, {
      "leaver@example.com": login,
      "00uleaver000000000x7": unique("00u"),
      "7d5bd0a1-0b6d-11ee-8d0b-3f7f5d8a1111": unique("uuid"),
    });
    const response = await sendWebhook("okta", auth, body);
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { revocations: { id: string; status: string }[]; ignored: string[] };
    expect(answer.revocations).toEqual([{ id: expect.any(String), status: "unresolved" }]);
    const record = (await (await operatorFetch(`/v1/revocations/${answer.revocations[0]!.id}`)).json()) as Record<string, unknown>;
    expect(record).toMatchObject({
      source: "okta",
      status: "unresolved",
      email: null,
      last_error: expect.stringContaining(`the email "${login}" cannot be used`),
    });
  });

  it("ignores a deactivation whose outcome is not SUCCESS", async () => {
    const leaver = uniqueEmail("okta-failed");
    const body = fixture(oktaBatch, { "leaver@example.com": leaver, '"result":"SUCCESS","reason":null': '"result":"FAILURE"' });
    const response = await sendWebhook("okta", auth, body);
    expect(response.status).toBe(200);
    expect(await listedFor(leaver)).toEqual([]);
  });

  it.each([
    ["a wrong secret", { Authorization: "nope" }],
    ["no header", {}],
    ["a Bearer-prefixed secret", { Authorization: `Bearer ${TEST_SECRETS.okta}` }],
    // Fragments of the documented `Basic <base64>` secret: a list split on spaces accepted each of these.
    ["only the scheme word", { Authorization: "Basic" }],
    ["only the base64 part", { Authorization: TEST_SECRETS.okta.split(" ")[1]! }],
    ["an empty value", { Authorization: "" }],
    ["the secret with a character missing", { Authorization: TEST_SECRETS.okta.slice(0, -1) }],
  ])("refuses %s with 401 and records nothing", async (_case, headers) => {
    const leaver = uniqueEmail("okta-forged");
    const body = fixture(oktaBatch, { "leaver@example.com": leaver, "7d5bd0a1-0b6d-11ee-8d0b-3f7f5d8a1111": unique("uuid") });
    expect((await sendWebhook("okta", headers, body)).status).toBe(401);
    // The commit is synchronous: a refused delivery has left no record by the time it is answered.
    expect(await listedFor(leaver)).toEqual([]);
  });
});

describe("clerk", () => {
  function svixHeaders(body: string, secret = TEST_SECRETS.clerk, at = new Date()) {
    const id = `msg_${crypto.randomUUID()}`;
    return { "svix-id": id, "svix-timestamp": String(Math.floor(at.getTime() / 1000)), "svix-signature": new SvixWebhook(secret).sign(id, at, body) };
  }

  it("revokes a banned user (signed with the official svix package)", async () => {
    const email = uniqueEmail("clerk-banned");
    const body = fixture(clerkUpdated, { "example@example.org": email, user_29w83sxmDNGwOuEthce5gg56FcC: unique("user") });
    expect((await sendWebhook("clerk", svixHeaders(body), body)).status).toBe(202);
    await expectRevokedOnce(email, "clerk");
  });

  it("resolves an id-only user.deleted through the directory that user.updated fed", async () => {
    const email = uniqueEmail("clerk-deleted");
    const subject = unique("user");
    const created = fixture({ ...clerkUpdated, type: "user.created" }, { "example@example.org": email, user_29w83sxmDNGwOuEthce5gg56FcC: subject });
    expect((await sendWebhook("clerk", svixHeaders(created), created)).status).toBe(200);
    const deleted = fixture(clerkDeleted, { user_29wBMCtzATuFJut8jO2VNTVekS4: subject });
    expect((await sendWebhook("clerk", svixHeaders(deleted), deleted)).status).toBe(202);
    await expectRevokedOnce(email, "clerk");
  });

  it("refuses a wrong secret and a stale timestamp", async () => {
    const email = uniqueEmail("clerk-forged");
    const body = fixture(clerkUpdated, { "example@example.org": email });
    expect((await sendWebhook("clerk", svixHeaders(body, "whsec_d3Jvbmcgc2VjcmV0IGZvciBjbGVyaw=="), body)).status).toBe(401);
    expect((await sendWebhook("clerk", svixHeaders(body, TEST_SECRETS.clerk, new Date(Date.now() - 400_000)), body)).status).toBe(401);
    expect(await listedFor(email)).toEqual([]);
  });
});

describe("zitadel", () => {
  async function headers(body: string, secret = TEST_SECRETS.zitadel, at = nowSeconds()) {
    return { "ZITADEL-Signature": await signTimestampedHmac(secret, at, body) };
  }

  it("revokes the aggregate (the subject), never the acting userID, through the directory", async () => {
    const email = uniqueEmail("zitadel");
    const actorEmail = uniqueEmail("zitadel-admin");
    const subject = unique("3364948099");
    const added = fixture(zitadelAdded, { "minnie@example.com": email, "336494809936035843": subject });
    expect((await sendWebhook("zitadel", await headers(added), added)).status).toBe(200);
    // The actor is known to the directory too: it must not be the one revoked.
    await operatorFetch(`/v1/directory/zitadel/336392597046230531`, { method: "PUT", body: JSON.stringify({ email: actorEmail }) });
    const deactivated = fixture(zitadelDeactivated, { "336494809936035843": subject });
    expect((await sendWebhook("zitadel", await headers(deactivated), deactivated)).status).toBe(202);
    await expectRevokedOnce(email, "zitadel");
    expect(await listedFor(actorEmail)).toEqual([]);
  });

  it("reads event_payload sent as base64, as ZITADEL's Go []byte marshals it, so a real user.human.added feeds the directory", async () => {
    const email = uniqueEmail("zitadel-b64");
    const subject = unique("3364948099");
    // encoding/json marshals a []byte as standard base64 with padding (RFC 4648 §4): what earlier ZITADEL
    // versions sent as event_payload (internal/execution ContextInfoEvent.EventPayload).
    const payload = { ...zitadelAdded.event_payload, email };
    const added = JSON.stringify({ ...zitadelAdded, aggregateID: subject, event_payload: btoa(JSON.stringify(payload)) });
    expect(await (await sendWebhook("zitadel", await headers(added), added)).json()).toMatchObject({ ignored: true, directory_updated: 1 });
    const deactivated = fixture(zitadelDeactivated, { "336494809936035843": subject });
    expect((await sendWebhook("zitadel", await headers(deactivated), deactivated)).status).toBe(202);
    await expectRevokedOnce(email, "zitadel");
  });

  it("accepts a header listing several v1 signatures (key rotation)", async () => {
    const subject = unique("rot");
    const body = fixture({ ...zitadelDeactivated, event_type: "user.locked" }, { "336494809936035843": subject });
    const t = nowSeconds();
    const good = await signTimestampedHmac(TEST_SECRETS.zitadel, t, body);
    const other = (await signTimestampedHmac("old-key", t, body)).split(",")[1];
    const response = await sendWebhook("zitadel", { "ZITADEL-Signature": `t=${t},${other},${good.split(",")[1]}` }, body);
    expect(response.status).toBe(202);
  });

  it.each([
    ["a wrong key", async (body: string) => headers(body, "wrong")],
    ["a stale timestamp", async (body: string) => headers(body, TEST_SECRETS.zitadel, nowSeconds() - 301)],
    ["no t=", async (body: string) => ({ "ZITADEL-Signature": (await headers(body))["ZITADEL-Signature"].split(",")[1]! })],
  ])("refuses %s with 401", async (_case, headersFor) => {
    const body = fixture(zitadelDeactivated, {});
    expect((await sendWebhook("zitadel", await headersFor(body), body)).status).toBe(401);
  });
});

describe("keycloak", () => {
  async function sign(body: string, secret = TEST_SECRETS.keycloak) {
    return { "X-Keycloak-Signature": toHex(await signHmac(utf8(secret), "SHA-256", utf8(body))) };
  }
  const fresh = (json: { time: number }) => ({ ...json, time: Date.now() });

  it("revokes a user disabled by admin.USER-UPDATE (the representation's email, not the admin's)", async () => {
    const email = uniqueEmail("kc-disabled");
    const body = fixture(fresh(keycloakUpdate), { "kc.leaver@example.com": email, "8d4f2c3e-6d7a-4f3e-9a91-7b4b8a8e1c01": unique("uid") });
    expect((await sendWebhook("keycloak", await sign(body), body)).status).toBe(202);
    await expectRevokedOnce(email, "keycloak");
  });

  it("accepts a sha256= prefixed signature", async () => {
    const email = uniqueEmail("kc-prefixed");
    const body = fixture(fresh(keycloakUpdate), { "kc.leaver@example.com": email, "8d4f2c3e-6d7a-4f3e-9a91-7b4b8a8e1c01": unique("uid") });
    const headers = { "X-Keycloak-Signature": `sha256=${(await sign(body))["X-Keycloak-Signature"]}` };
    expect((await sendWebhook("keycloak", headers, body)).status).toBe(202);
  });

  it("accepts keycloak-events' retry of a delivery 30 minutes after the event (same body, original time)", async () => {
    const email = uniqueEmail("kc-retried");
    const body = fixture(
      { ...keycloakUpdate, time: Date.now() - 30 * 60_000 },
      { "kc.leaver@example.com": email, "8d4f2c3e-6d7a-4f3e-9a91-7b4b8a8e1c01": unique("uid") },
    );
    expect((await sendWebhook("keycloak", await sign(body), body)).status).toBe(202);
    await expectRevokedOnce(email, "keycloak");
  });

  it.each([
    ["older than KEYCLOAK_MAX_EVENT_AGE_SECONDS", -3_700_000, "KEYCLOAK_MAX_EVENT_AGE_SECONDS"],
    ["from the future beyond the tolerance", 400_000, "SIGNATURE_TOLERANCE_SECONDS"],
  ])("records an event %s as refused, answers a failure status, and never revokes", async (_case, offset, variable) => {
    const email = uniqueEmail("kc-refused");
    const body = fixture(
      { ...keycloakUpdate, time: Date.now() + offset },
      { "kc.leaver@example.com": email, "8d4f2c3e-6d7a-4f3e-9a91-7b4b8a8e1c01": unique("uid") },
    );
    const response = await sendWebhook("keycloak", await sign(body), body);
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("refused");
    const [record, ...others] = await listedFor(email);
    expect(others).toEqual([]);
    expect(record).toMatchObject({ status: "refused", last_error: expect.stringContaining(variable) });
    // The sender's retry gets the same failure, and still nothing is sent to Cloudflare.
    expect((await sendWebhook("keycloak", await sign(body), body)).status).toBe(422);
    await waitForIdleLedger();
    expect(fake().callsFor(email)).toHaveLength(0);
    expect(await listedFor(email)).toEqual([expect.objectContaining({ status: "refused", targets: [] })]);
  });

  // Regression: directory-only events were not de-duplicated, so a replay of a signed USER-UPDATE re-taught a
  // mapping an operator had just deleted, and a later id-only deprovisioning revoked that address.
  it("learns from an event once: a replayed update does not re-teach a mapping the operator deleted", async () => {
    const email = uniqueEmail("kc-relearned");
    const subject = unique("kc-user");
    const update = fixture(fresh(keycloakUpdate), {
      "kc.leaver@example.com": email,
      "5e3f0c36-1c5b-4a52-8b7a-2f3b0e4d9a77": subject,
      '"enabled\\":false': '"enabled\\":true',
      "8d4f2c3e-6d7a-4f3e-9a91-7b4b8a8e1c01": unique("uid"),
    });
    expect(await (await sendWebhook("keycloak", await sign(update), update)).json()).toMatchObject({ ignored: true, directory_updated: 1 });
    expect((await operatorFetch(`/v1/directory/keycloak/${subject}`, { method: "DELETE" })).status).toBe(204);

    const replay = await sendWebhook("keycloak", await sign(update), update);
    expect(await replay.json()).toMatchObject({ ignored: true, directory_updated: 0 });
    expect((await operatorFetch(`/v1/directory/keycloak/${subject}`)).status).toBe(404);
    const deleted = fixture(fresh(keycloakDelete), {
      "5e3f0c36-1c5b-4a52-8b7a-2f3b0e4d9a77": subject,
      "8d4f2c3e-6d7a-4f3e-9a91-7b4b8a8e1c02": unique("uid"),
    });
    const answer = (await (await sendWebhook("keycloak", await sign(deleted), deleted)).json()) as { status: string };
    expect(answer.status).toBe("unresolved");
    expect(await listedFor(email)).toEqual([]);
  });

  it("de-duplicates a replayed uid", async () => {
    const email = uniqueEmail("kc-replay");
    const body = fixture(fresh(keycloakUpdate), { "kc.leaver@example.com": email, "8d4f2c3e-6d7a-4f3e-9a91-7b4b8a8e1c01": unique("uid") });
    expect((await sendWebhook("keycloak", await sign(body), body)).status).toBe(202);
    expect((await sendWebhook("keycloak", await sign(body), body)).status).toBe(200);
    await expectRevokedOnce(email, "keycloak");
  });

  it("refuses a wrong secret and a tampered body", async () => {
    const body = fixture(fresh(keycloakUpdate), {});
    expect((await sendWebhook("keycloak", await sign(body, "wrong"), body)).status).toBe(401);
    expect((await sendWebhook("keycloak", await sign(body), body.replace("false", "true"))).status).toBe(401);
  });
});

describe("google", () => {
  const token = { "X-Goog-Channel-Token": TEST_SECRETS.google, "X-Goog-Channel-ID": "channel-1", "X-Goog-Resource-State": "SUSPEND_USER" };

  it("answers the channel's sync message 200 without a body", async () => {
    const response = await sendWebhook("google", { ...token, "X-Goog-Resource-State": "sync" }, "");
    expect(response.status).toBe(200);
  });

  it("revokes the USER_EMAIL of SUSPEND_USER, never the admin actor, and ignores other events", async () => {
    const leaver = uniqueEmail("g-leaver");
    const stayer = uniqueEmail("g-stayer");
    const admin = uniqueEmail("g-admin");
    const body = fixture(googleSuspend, {
      "g.leaver@example.com": leaver,
      "g.stayer@example.com": stayer,
      "workspace-admin@example.com": admin,
      "-6234576287652131928": unique("q"),
    });
    expect((await sendWebhook("google", token, body)).status).toBe(202);
    await expectRevokedOnce(leaver, "google", "static_secret");
    expect(await listedFor(stayer)).toEqual([]);
    expect(await listedFor(admin)).toEqual([]);
  });

  it("records an unusable USER_EMAIL as invalid_email (answered and listed, never a bare 200)", async () => {
    const body = fixture(googleSuspend, { "g.leaver@example.com": "g.leaver@localhost", "-6234576287652131928": unique("q") });
    const response = await sendWebhook("google", token, body);
    expect(response.status).toBe(202);
    const answer = (await response.json()) as { revocations: { id: string; status: string }[] };
    expect(answer.revocations).toEqual([{ id: expect.any(String), status: "invalid_email" }]);
    const listed = (await (await operatorFetch("/v1/revocations?status=invalid_email&limit=100")).json()) as {
      records: { id: string; email: string; last_error: string }[];
    };
    expect(listed.records.find((record) => record.id === answer.revocations[0]!.id)).toMatchObject({
      email: "g.leaver@localhost",
      last_error: expect.stringContaining("cannot be used"),
    });
  });

  it.each([
    ["a wrong channel token", "guess"],
    ["a word of the configured token", TEST_SECRETS.google.split(" ")[0]!],
  ])("refuses %s", async (_case, presented) => {
    const leaver = uniqueEmail("g-fragment");
    const body = fixture(googleSuspend, { "g.leaver@example.com": leaver, "-6234576287652131928": unique("q") });
    expect((await sendWebhook("google", { ...token, "X-Goog-Channel-Token": presented }, body)).status).toBe(401);
    expect(await listedFor(leaver)).toEqual([]);
  });

  it("refuses a wrong channel token", async () => {
    const leaver = uniqueEmail("g-forged");
    const body = fixture(googleSuspend, { "g.leaver@example.com": leaver });
    expect((await sendWebhook("google", { ...token, "X-Goog-Channel-Token": "guess" }, body)).status).toBe(401);
    expect(await listedFor(leaver)).toEqual([]);
  });
});

describe("hmac (configurable)", () => {
  const config = {
    header: TEST_HMAC_CONFIG.HMAC_SIGNATURE_HEADER,
    prefix: "sha256=",
    hash: "SHA-256" as const,
    encoding: "hex" as const,
    timestampHeader: TEST_HMAC_CONFIG.HMAC_TIMESTAMP_HEADER,
    eventIdPath: "delivery",
    eventTypePath: "action",
    emailPath: "user.email",
    subjectPath: "user.id",
    deprovisionEvents: ["user.offboarded"],
  };
  async function headers(body: string, secret = TEST_SECRETS.hmac, at = nowSeconds()) {
    return { [config.header]: await signConfigurableHmac(config, secret, body, String(at)), [config.timestampHeader]: String(at) };
  }

  it("reproduces GitHub's documented known-answer vector", async () => {
    const github = { ...config, timestampHeader: null };
    // docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!"
    expect(await signConfigurableHmac(github, "It's a Secret to Everybody", "Hello, World!", null)).toBe(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });

  it("revokes the email at the configured path for a configured event type, never the actor", async () => {
    const email = uniqueEmail("hmac");
    const actor = uniqueEmail("hmac-actor");
    const body = fixture(hmacOffboarded, { "hr.leaver@example.com": email, "hr-admin@example.com": actor, dlv_0001: unique("dlv") });
    expect((await sendWebhook("hmac", await headers(body), body)).status).toBe(202);
    await expectRevokedOnce(email, "hmac");
    expect(await listedFor(actor)).toEqual([]);
  });

  it("de-duplicates a signed body without an id by its digest: replaying it under any unsigned header revokes nothing more", async () => {
    const email = uniqueEmail("hmac-noid");
    const { delivery: _dropped, ...withoutId } = hmacOffboarded;
    const body = fixture(withoutId, { "hr.leaver@example.com": email });
    const first = await sendWebhook("hmac", { ...(await headers(body)), "X-GitHub-Delivery": crypto.randomUUID() }, body);
    expect(first.status).toBe(202);
    for (let i = 0; i < 3; i++) {
      const replay = await sendWebhook("hmac", { ...(await headers(body)), "X-GitHub-Delivery": crypto.randomUUID() }, body);
      expect(replay.status).toBe(200);
      expect(await replay.json()).toMatchObject({ duplicate: true });
    }
    await expectRevokedOnce(email, "hmac");
  });

  // Regression: {"delivery": 12345} and {"delivery": "12345"} were one event id, so the second, a
  // different event, was answered 200 duplicate and its person never revoked.
  it("keeps a numeric id apart from its string twin; a replay of either is still a duplicate", async () => {
    const id = Math.floor(Math.random() * 1e12);
    const [numbered, quoted] = [uniqueEmail("hmac-number-id"), uniqueEmail("hmac-string-id")];
    const asNumber = fixture(hmacOffboarded, { "hr.leaver@example.com": numbered, '"dlv_0001"': String(id) });
    const asString = fixture(hmacOffboarded, { "hr.leaver@example.com": quoted, dlv_0001: String(id) });
    expect(JSON.parse(asNumber).delivery).toBe(id);
    expect((await sendWebhook("hmac", await headers(asNumber), asNumber)).status).toBe(202);
    const second = await sendWebhook("hmac", await headers(asString), asString);
    expect(second.status).toBe(202);
    expect(await second.json()).not.toHaveProperty("duplicate");
    await expectRevokedOnce(numbered, "hmac");
    await expectRevokedOnce(quoted, "hmac");
    for (const body of [asNumber, asString])
      expect(await (await sendWebhook("hmac", await headers(body), body)).json()).toMatchObject({ duplicate: true });
    expect((await revocationsFor(numbered))[0]).toMatchObject({ event_id: String(id) });
  });

  it("keeps them apart when both wait for the directory and resolve to several emails", async () => {
    const id = Math.floor(Math.random() * 1e12);
    const subject = unique("emp");
    const emails = [uniqueEmail("hmac-fan-a"), uniqueEmail("hmac-fan-b")];
    for (const quotedId of [String(id), `"${id}"`]) {
      const body = fixture(hmacOffboarded, { "hr.leaver@example.com": "leaver@localhost", "emp-1001": subject, '"dlv_0001"': quotedId });
      const answer = (await (await sendWebhook("hmac", await headers(body), body)).json()) as { revocations: unknown[] };
      expect(answer.revocations).toEqual([{ id: expect.any(String), status: "unresolved" }]);
    }
    await operatorFetch(`/v1/directory/hmac/${subject}`, { method: "PUT", body: JSON.stringify({ emails }) });
    for (const email of emails) expect(await revocationsFor(email)).toHaveLength(2);
  });

  it("identifies two events whose numeric ids JSON cannot tell apart (past 2^53) by their bodies", async () => {
    const emails = [uniqueEmail("hmac-big-id-a"), uniqueEmail("hmac-big-id-b")];
    // Two different ids as the sender wrote them; JSON.parse reads both as 9007199254740992.
    const bodies = ["9007199254740993", "9007199254740992"].map((id, index) =>
      fixture(hmacOffboarded, { "hr.leaver@example.com": emails[index]!, '"dlv_0001"': id }),
    );
    expect(bodies.map((body) => JSON.parse(body).delivery)).toEqual([9007199254740992, 9007199254740992]);
    for (const body of bodies) expect((await sendWebhook("hmac", await headers(body), body)).status).toBe(202);
    for (const email of emails) await expectRevokedOnce(email, "hmac");
  });

  it("ignores an event type not configured to deprovision", async () => {
    const body = fixture({ ...hmacOffboarded, action: "user.promoted" }, {});
    const response = await sendWebhook("hmac", await headers(body), body);
    expect(response.status).toBe(200);
  });

  it.each([
    ["a wrong secret", async (body: string) => headers(body, "wrong")],
    ["a stale timestamp", async (body: string) => headers(body, TEST_SECRETS.hmac, nowSeconds() - 301)],
    [
      "a missing prefix",
      async (body: string) => {
        const signed = await headers(body);
        return { ...signed, [config.header]: signed[config.header]!.slice("sha256=".length) };
      },
    ],
  ])("refuses %s with 401", async (_case, headersFor) => {
    const email = uniqueEmail("hmac-forged");
    const body = fixture(hmacOffboarded, { "hr.leaver@example.com": email });
    expect((await sendWebhook("hmac", await headersFor(body), body)).status).toBe(401);
    expect(await listedFor(email)).toEqual([]);
  });
});
