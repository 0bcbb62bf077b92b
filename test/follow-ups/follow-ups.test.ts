// Seat removal, verification and group-removal revocation through the real Worker (the "follow-ups"
// project: REMOVE_SEATS=true, VERIFY_AFTER_SECONDS=60, REVOKE_ON_GROUP_REMOVAL naming two groups and a
// Google group email; one account and one zone target). The fake Cloudflare API keeps a model of Access
// users (sessions end when revoke_user succeeds, unless a test keeps them), so a verification finds what
// the API would; it enforces the shapes of Cloudflare's "List Access users", "Update a user seat" and
// "Get active sessions" endpoints (test/helpers/fake-cloudflare.ts).
// Fixtures, written from each provider's documentation (ids and emails are swapped per test):
// - okta/group-membership-remove.json: an Event Hook delivery (developer.okta.com/docs/concepts/event-hooks)
//   carrying a System Log event group.user_membership.remove, whose targets are the User and the UserGroup
//   (developer.okta.com/docs/reference/api/event-types, "group.user_membership.remove").
// - workos/dsync.group.user_removed.json: WorkOS's sample event (workos.com/docs/events/directory-sync,
//   "Directory group user removed": data {directory_id, user: directory user, group: directory group}).
// - keycloak/admin.GROUP_MEMBERSHIP-DELETE.json: a keycloak-events admin event of resource type
//   GROUP_MEMBERSHIP, operation DELETE, resourcePath users/<id>/groups/<id>, the group as representation.
// - google/remove-group-member.json: an Admin SDK Reports activity with the Group settings event
//   REMOVE_GROUP_MEMBER and its USER_EMAIL and GROUP_EMAIL parameters
//   (developers.google.com/admin-sdk/reports/v1/appendix/activity/admin-group-settings).
// SCIM group changes follow Okta's (PATCH remove with a members[value eq "…"] path, PUT with the member
// list) and Entra ID's (PATCH Remove with a value list) documented requests.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../src/crypto/bytes";
import { signHmac } from "../../src/crypto/hmac";
import { apiTokenId } from "../../src/ledger/drain/state";
import { signTimestampedHmac } from "../../src/sources/timestamped-hmac";
import googleRemoveMember from "../fixtures/google/remove-group-member.json";
import keycloakGroupDelete from "../fixtures/keycloak/admin.GROUP_MEMBERSHIP-DELETE.json";
import oktaGroupRemove from "../fixtures/okta/group-membership-remove.json";
import workosGroupRemoved from "../fixtures/workos/dsync.group.user_removed.json";
import { TEST_ACCOUNT_ID, TEST_CF_API_TOKEN, TEST_SCIM_TOKEN, TEST_SECRETS, TEST_ZONE_ID } from "../helpers/bindings";
import { ledgerClock } from "../helpers/clock";
import { apiError, envelope, useFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import {
  fastForwardLedger,
  ledgerStub,
  operatorFetch,
  revocationTotal,
  sendWebhook,
  settleLedger,
  uniqueEmail,
  workerFetch,
} from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);

const ACCOUNT = `accounts/${TEST_ACCOUNT_ID}`;
const ZONE = `zones/${TEST_ZONE_ID}`;
const VERIFY_AFTER_MS = 60_000;

type Seat = { state: string; at: string | null; detail: string | null };
type Verification = {
  state: string;
  verified_at: string | null;
  active_sessions: number | null;
  last_successful_login: string | null;
  re_revocation: string | null;
  detail: string | null;
};
type Result = { target: string; state: string; seat: Seat | null; verification: Verification | null };
type RevocationRecord = { id: string; status: string; email: string; reason: string | null; source: string; event_type: string; results: Result[] };

async function revoke(email: string): Promise<RevocationRecord> {
  const response = await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email, reason: "left" }) });
  expect(response.status).toBe(200);
  return (await response.json()) as RevocationRecord;
}

const show = async (id: string) => (await (await operatorFetch(`/v1/revocations/${id}`)).json()) as RevocationRecord;
const resultOn = (record: RevocationRecord, target: string) => record.results.find((result) => result.target === target)!;

async function listed(email: string): Promise<RevocationRecord[]> {
  return ((await (await operatorFetch(`/v1/revocations?email=${encodeURIComponent(email)}`)).json()) as { records: RevocationRecord[] }).records;
}

/** Waits until the record's account result satisfies `ready`, and returns the record. */
function recordWhen(id: string, ready: (account: Result, record: RevocationRecord) => boolean, what: string) {
  let last: RevocationRecord | undefined;
  return waitFor(
    async () => {
      last = await show(id);
      return ready(resultOn(last, ACCOUNT), last) && last;
    },
    10_000,
    () => `${what}: ${JSON.stringify(last)}`,
  );
}

/** Steps the ledger's clock past the verification delay and lets the drain run the verification. */
async function passVerificationDelay() {
  await fastForwardLedger(VERIFY_AFTER_MS + 1000);
}

describe("seat removal (REMOVE_SEATS)", () => {
  it("finds the Access user by email and sets both of its seats to false, on the account only", async () => {
    const email = uniqueEmail("seat");
    const seatUid = fake().accessUser(email)!.seat_uid;
    const record = await revoke(email);
    expect(record.status).toBe("revoked");
    const done = await recordWhen(record.id, (account) => account.seat?.state === "removed", "the seat removed");
    expect(resultOn(done, ACCOUNT).seat).toMatchObject({ state: "removed", detail: `seat ${seatUid}` });
    expect(resultOn(done, ZONE).seat).toMatchObject({ state: "not_applicable" });

    const lookup = fake().requests.find((request) => request.method === "GET" && request.path === `/${ACCOUNT}/access/users`);
    expect(lookup).toBeDefined();
    const patches = fake().requests.filter((request) => request.method === "PATCH" && request.body.items !== undefined);
    const patch = patches.find((request) => JSON.stringify(request.body.items).includes(seatUid));
    expect(patch?.path).toBe(`/${ACCOUNT}/access/seats`);
    expect(patch?.body.items).toEqual([{ access_seat: false, gateway_seat: false, seat_uid: seatUid }]);
    expect(patch?.status).toBe(200);
    expect(fake().accessUser(email)).toMatchObject({ access_seat: false, gateway_seat: false });
  });

  it("records no_access_user when the person never used Access, without a seat call", async () => {
    const email = uniqueEmail("no-user");
    fake().withoutAccessUser(email);
    const record = await revoke(email);
    const done = await recordWhen(record.id, (account) => account.seat?.state === "no_access_user", "no Access user");
    expect(resultOn(done, ACCOUNT).seat?.detail).toContain("no Access user");
    expect(fake().requests.filter((request) => request.method === "PATCH")).toEqual([]);
  });

  it("retries a seat update the API answers 503, then records it removed", async () => {
    const email = uniqueEmail("seat-503");
    let failures = 0;
    fake().setFollowUpAnswer((call) => (call.method === "PATCH" && failures++ === 0 ? apiError(503, 10000, "temporarily unavailable") : null));
    const record = await revoke(email);
    await fastForwardLedger(5000);
    const done = await recordWhen(record.id, (account) => account.seat?.state === "removed", "the seat removed after a retry");
    expect(resultOn(done, ACCOUNT).seat?.state).toBe("removed");
    expect(
      fake()
        .requests.filter((request) => request.method === "PATCH")
        .map((request) => request.status),
    ).toEqual([503, 200]);
  });
});

describe("verification (VERIFY_AFTER_SECONDS)", () => {
  it("looks VERIFY_AFTER_SECONDS after the revocation and records verified with no session left", async () => {
    const email = uniqueEmail("verify");
    const record = await revoke(email);
    const revokedAt = fake()
      .callsFor(email)
      .find((call) => call.path.startsWith(`/${ACCOUNT}`))!.at;
    // Seats are done at once; verification waits for its delay.
    await recordWhen(record.id, (account) => account.seat?.state === "removed", "the seat removed");
    expect(resultOn(await show(record.id), ACCOUNT).verification?.state).toBe("pending");

    await passVerificationDelay();
    const done = await recordWhen(record.id, (account) => account.verification?.state === "verified", "verified");
    const verification = resultOn(done, ACCOUNT).verification!;
    expect(verification).toMatchObject({ state: "verified", active_sessions: 0, re_revocation: null });
    expect(Date.parse(verification.verified_at!)).toBeGreaterThanOrEqual(revokedAt + VERIFY_AFTER_MS);
    expect(resultOn(done, ZONE).verification?.state).toBe("not_applicable");
    // Two lookups of the person: the seat's at once, the verification's only after the delay.
    const lookups = fake().requests.filter((request) => request.path === `/${ACCOUNT}/access/users` && request.query.email === email);
    expect(lookups).toHaveLength(2);
    expect(lookups[0]!.at - revokedAt).toBeLessThan(VERIFY_AFTER_MS);
    expect(lookups[1]!.at).toBeGreaterThanOrEqual(revokedAt + VERIFY_AFTER_MS);
    const user = fake().accessUser(email)!;
    const sessionReads = fake().requests.filter((request) => request.path === `/${ACCOUNT}/access/users/${user.id}/active_sessions`);
    expect(sessionReads).toHaveLength(1);
    expect(sessionReads[0]!.at).toBeGreaterThanOrEqual(revokedAt + VERIFY_AFTER_MS);
    expect(done.status).toBe("revoked");
  });

  it("marks a person whose sessions survive still_active, revokes once more (urgent) and tells the operator", async () => {
    const email = uniqueEmail("sticky");
    fake().keepSessions(email, 2);
    const record = await revoke(email);
    await passVerificationDelay();
    const done = await recordWhen(record.id, (account) => account.verification?.re_revocation === "revoked", "a re-revocation");
    expect(done.status).toBe("still_active");
    expect(resultOn(done, ACCOUNT).verification).toMatchObject({ state: "still_active", active_sessions: 2, detail: "2 active session(s)" });
    // One revocation on each target, and exactly one more on the account.
    expect(
      fake()
        .callsFor(email)
        .filter((call) => call.path.startsWith(`/${ACCOUNT}`)),
    ).toHaveLength(2);
    expect(
      fake()
        .callsFor(email)
        .filter((call) => call.path.startsWith(`/${ZONE}`)),
    ).toHaveLength(1);

    const stats = (await (await operatorFetch("/v1/stats")).json()) as {
      by_status: Record<string, number>;
      follow_ups: { verification: Record<string, number> };
    };
    expect(stats.by_status.still_active).toBeGreaterThanOrEqual(1);
    expect(stats.follow_ups.verification.still_active).toBeGreaterThanOrEqual(1);
    const audit = await waitFor(async () => {
      const entries = ((await (await operatorFetch(`/v1/audit?email=${encodeURIComponent(email)}`)).json()) as { entries: { status: string }[] })
        .entries;
      return entries.some((entry) => entry.status === "still_active") && entries;
    });
    expect(audit.map((entry) => entry.status)).toContain("revoked");
  });

  it("marks still_active when the person logged in after the revocation, even with no session left", async () => {
    const email = uniqueEmail("relogin");
    const record = await revoke(email);
    fake().accessUser(email)!.last_successful_login = new Date(ledgerClock.now() + 1000).toISOString();
    await passVerificationDelay();
    const done = await recordWhen(record.id, (account) => account.verification?.state === "still_active", "still active");
    expect(resultOn(done, ACCOUNT).verification).toMatchObject({ active_sessions: 0, detail: "a login after the revocation" });
  });

  it("follows up every person of a bulk job, and the job view counts what the follow-ups came to", async () => {
    const emails = [uniqueEmail("job-a"), uniqueEmail("job-b"), uniqueEmail("job-c")];
    const submitted = await operatorFetch("/v1/revocations/bulk", {
      method: "POST",
      body: emails.join("\n"),
      headers: { "Content-Type": "text/csv" },
    });
    expect(submitted.status).toBe(202);
    const { job_id } = (await submitted.json()) as { job_id: string };
    type JobView = { completed_at: string | null; follow_ups: { seats: Record<string, number>; verification: Record<string, number> } };
    let view: JobView | undefined;
    const jobWhen = (ready: (job: JobView) => boolean) =>
      waitFor(
        async () => {
          view = (await (await operatorFetch(`/v1/jobs/${job_id}`)).json()) as JobView;
          return ready(view) && view;
        },
        10_000,
        () => `the job: ${JSON.stringify(view)}`,
      );
    // The job completes when its revocations do; verification comes VERIFY_AFTER_SECONDS later.
    expect((await jobWhen((job) => job.completed_at !== null && job.follow_ups.seats.removed === 3)).follow_ups.verification).toEqual({ pending: 3 });
    await passVerificationDelay();
    const job = await jobWhen((job) => job.follow_ups.verification.verified === 3);
    expect(job.follow_ups).toEqual({ seats: { removed: 3 }, verification: { verified: 3 } });
  });
});

describe("leftover pace", () => {
  it("sends a job's follow-ups only once every revocation of it went out, while its records say pending", async () => {
    const emails = Array.from({ length: 30 }, (_, i) => uniqueEmail(`pace-${i}`));
    // The first person's user lookup fails (503, retried) until the record has been read, so "pending" is
    // what the record must say then, however fast the drain ran.
    let lookupsFailing = true;
    fake().setFollowUpAnswer((call) => (lookupsFailing && call.query.email === emails[0] ? apiError(503, 10000, "temporarily unavailable") : null));
    const submitted = await operatorFetch("/v1/revocations/bulk", {
      method: "POST",
      body: emails.join("\n"),
      headers: { "Content-Type": "text/csv" },
    });
    const { job_id } = (await submitted.json()) as { job_id: string };
    // Mid-drain: the first person is revoked on the account, and their seat removal is owed, not sent.
    const first = await waitFor(async () => {
      const [record] = ((await (await operatorFetch(`/v1/revocations?email=${emails[0]}`)).json()) as { records: RevocationRecord[] }).records;
      return record && resultOn(record, ACCOUNT).state === "revoked" && record;
    });
    expect(resultOn(first, ACCOUNT).seat).toMatchObject({ state: "pending" });
    lookupsFailing = false;
    await waitFor(async () => {
      await fastForwardLedger();
      return fake().requests.filter((request) => request.method === "PATCH").length >= 30;
    }, 20_000);
    const job = (await (await operatorFetch(`/v1/jobs/${job_id}`)).json()) as { percent_done: number };
    expect(job.percent_done).toBe(100);
    const mine = new Set(emails);
    // Each revocation's first attempt (a retry after a timeout may come later, with pace no one waits for).
    const firstAttempts = new Map<string, number>();
    for (const call of fake().calls.filter((candidate) => mine.has(candidate.body.email as string))) {
      const key = `${call.path} ${call.body.email}`;
      firstAttempts.set(key, Math.min(firstAttempts.get(key) ?? Number.POSITIVE_INFINITY, call.at));
    }
    const revokes = [...firstAttempts.values()];
    const lookups = fake()
      .requests.filter((request) => request.path.endsWith("/access/users") && mine.has(request.query.email ?? ""))
      .map((request) => request.at);
    expect(revokes).toHaveLength(60);
    expect(lookups.length).toBeGreaterThanOrEqual(30);
    // Follow-ups are planned only once no revocation call is left to send: the ones still in flight then (at
    // most the drain's six) may reach the fake a moment after the first lookup, never more.
    const firstLookup = Math.min(...lookups);
    expect(revokes.filter((at) => at > firstLookup).length).toBeLessThanOrEqual(6);
  });
});

describe("group removal (REVOKE_ON_GROUP_REMOVAL)", () => {
  function scim(path: string, method: string, json?: unknown) {
    const headers: Record<string, string> = { Authorization: `Bearer ${TEST_SCIM_TOKEN}` };
    if (json !== undefined) headers["Content-Type"] = "application/scim+json";
    return workerFetch(`/scim/v2${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  }
  async function scimUser(email: string): Promise<string> {
    const created = await scim("/Users", "POST", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName: email,
      emails: [{ primary: true, value: email }],
      active: true,
    });
    expect(created.status).toBe(201);
    return ((await created.json()) as { id: string }).id;
  }
  async function scimGroup(displayName: string, members: string[]): Promise<string> {
    const created = await scim("/Groups", "POST", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName,
      members: members.map((value) => ({ value })),
    });
    expect(created.status).toBe(201);
    return ((await created.json()) as { id: string }).id;
  }
  const patchOp = (Operations: unknown[]) => ({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations });

  async function revokedFor(email: string) {
    let records: RevocationRecord[] = [];
    await waitFor(
      async () => {
        records = await listed(email);
        return records.length > 0 && records.every((record) => record.status !== "queued");
      },
      10_000,
      () => `revocations for ${email}: ${JSON.stringify(records)}`,
    );
    return records;
  }

  it("revokes a member Okta removes from a named group (PATCH remove with a members[value eq] path), and only them", async () => {
    const [leaving, staying] = [uniqueEmail("okta-grp-out"), uniqueEmail("okta-grp-in")];
    const [leavingId, stayingId] = [await scimUser(leaving), await scimUser(staying)];
    const group = await scimGroup("Engineering", [leavingId, stayingId]);
    const patched = await scim(`/Groups/${group}`, "PATCH", patchOp([{ op: "remove", path: `members[value eq "${leavingId}"]` }]));
    expect(patched.status).toBe(204);
    const records = await revokedFor(leaving);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      status: "revoked",
      source: "scim",
      event_type: "scim.group_remove",
      reason: "removed from group Engineering over SCIM",
    });
    expect(await listed(staying)).toEqual([]);
    // A repeat of the same PATCH removes nobody more.
    const before = await revocationTotal();
    expect((await scim(`/Groups/${group}`, "PATCH", patchOp([{ op: "remove", path: `members[value eq "${leavingId}"]` }]))).status).toBe(204);
    expect(await revocationTotal()).toBe(before);
  });

  it("revokes members Entra ID removes with a value list, members dropped from a PUT, and every member of a deleted group", async () => {
    const emails = [uniqueEmail("entra-a"), uniqueEmail("entra-b"), uniqueEmail("put-c"), uniqueEmail("del-d"), uniqueEmail("del-e")];
    const ids = await Promise.all(emails.map(scimUser));
    const group = await scimGroup("contractors", ids);
    // Entra ID: {"op": "Remove", "path": "members", "value": [{"value": id}]}.
    expect(
      (await scim(`/Groups/${group}`, "PATCH", patchOp([{ op: "Remove", path: "members", value: [{ value: ids[0] }, { value: ids[1] }] }]))).status,
    ).toBe(204);
    // Okta pushes a group by PUT with the full member list.
    const put = await scim(`/Groups/${group}`, "PUT", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      displayName: "contractors",
      members: [{ value: ids[3] }, { value: ids[4] }],
    });
    expect(put.status).toBe(200);
    expect((await scim(`/Groups/${group}`, "DELETE")).status).toBe(204);
    for (const email of emails) {
      const records = await revokedFor(email);
      expect(records, email).toHaveLength(1);
      expect(records[0]!.reason).toBe("removed from group contractors over SCIM");
    }
  });

  it("revokes nothing for a group the policy does not name, nor for a member already deactivated", async () => {
    const [other, inactive] = [uniqueEmail("other-grp"), uniqueEmail("inactive")];
    const [otherId, inactiveId] = [await scimUser(other), await scimUser(inactive)];
    const sales = await scimGroup("Sales", [otherId]);
    const engineering = await scimGroup("Engineering", [inactiveId]);
    expect((await scim(`/Users/${inactiveId}`, "PATCH", patchOp([{ op: "replace", value: { active: false } }]))).status).toBe(204);
    await revokedFor(inactive);
    const before = await revocationTotal();
    // SCIM commits a group change's revocations in the same transaction as the change: the total is final here.
    expect((await scim(`/Groups/${sales}`, "PATCH", patchOp([{ op: "remove", path: "members" }]))).status).toBe(204);
    expect((await scim(`/Groups/${engineering}`, "PATCH", patchOp([{ op: "remove", path: "members" }]))).status).toBe(204);
    expect(await revocationTotal()).toBe(before);
    expect(await listed(other)).toEqual([]);
    expect((await listed(inactive)).map((record) => record.event_type)).toEqual(["scim.deactivate"]);
  });

  it("revokes on Okta's group.user_membership.remove for a named group", async () => {
    const email = uniqueEmail("okta-hook-grp");
    const body = JSON.stringify(oktaGroupRemove)
      .replace("member@example.com", email)
      .replace("8e6ce1b2-1c7e-11ee-9e1c-4080e6b92333", crypto.randomUUID());
    const response = await sendWebhook("okta", { Authorization: TEST_SECRETS.okta }, body);
    expect(response.status).toBe(200);
    const records = await revokedFor(email);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      status: "revoked",
      source: "okta",
      event_type: "group.user_membership.remove",
      reason: "removed from group Engineering",
    });
  });

  it("ignores Okta's group.user_membership.remove for another group (answered, recorded as ignored)", async () => {
    const email = uniqueEmail("okta-hook-other");
    const body = JSON.stringify(oktaGroupRemove)
      .replace("member@example.com", email)
      .replace('"displayName":"Engineering"', '"displayName":"Marketing"')
      .replace("8e6ce1b2-1c7e-11ee-9e1c-4080e6b92333", crypto.randomUUID());
    const before = await revocationTotal();
    const response = await sendWebhook("okta", { Authorization: TEST_SECRETS.okta }, body);
    expect(response.status).toBe(200);
    expect(JSON.stringify(await response.json())).toContain('removal from group \\"Marketing\\" does not revoke');
    expect(await revocationTotal()).toBe(before);
  });

  it("revokes on WorkOS's dsync.group.user_removed for a named group", async () => {
    const email = uniqueEmail("workos-grp");
    const body = JSON.stringify(workosGroupRemoved)
      .replaceAll("eric.schneider@example.com", email)
      .replace("event_01E1JJS7GH8GM1A5QMFXQ9GRP1", `event_${crypto.randomUUID()}`);
    const signature = (await signTimestampedHmac(TEST_SECRETS.workos, Date.now(), body)).replace(",", ", ");
    expect((await sendWebhook("workos", { "WorkOS-Signature": signature }, body)).status).toBe(202);
    const records = await revokedFor(email);
    expect(records[0]).toMatchObject({ status: "revoked", source: "workos", reason: "removed from group Contractors" });
  });

  it("revokes on Keycloak's admin.GROUP_MEMBERSHIP-DELETE through the directory (the event carries only the user id)", async () => {
    const email = uniqueEmail("kc-grp");
    const subject = crypto.randomUUID();
    expect((await operatorFetch(`/v1/directory/keycloak/${subject}`, { method: "PUT", body: JSON.stringify({ email }) })).status).toBe(200);
    const body = JSON.stringify({ ...keycloakGroupDelete, time: Date.now(), uid: crypto.randomUUID() }).replace(
      "5e3f0c36-1c5b-4a52-8b7a-2f3b0e4d9a78",
      subject,
    );
    const signature = toHex(await signHmac(utf8(TEST_SECRETS.keycloak), "SHA-256", utf8(body)));
    expect((await sendWebhook("keycloak", { "X-Keycloak-Signature": signature }, body)).status).toBe(202);
    const records = await revokedFor(email);
    expect(records[0]).toMatchObject({ status: "revoked", source: "keycloak", subject_id: subject, reason: "removed from group Engineering" });
  });

  it("revokes on Google's REMOVE_GROUP_MEMBER for a named group email", async () => {
    const email = uniqueEmail("g-grp");
    const body = JSON.stringify(googleRemoveMember).replace("g.member@example.com", email).replace("-7345687398763242039", crypto.randomUUID());
    const headers = { "X-Goog-Channel-Token": TEST_SECRETS.google, "X-Goog-Resource-State": "REMOVE_GROUP_MEMBER" };
    expect((await sendWebhook("google", headers, body)).status).toBe(202);
    const records = await revokedFor(email);
    expect(records[0]).toMatchObject({ status: "revoked", source: "google", reason: "removed from group contractors@example.com" });
  });
});

// Last: a refused token switches follow-ups off for an hour of the ledger's clock; the test steps past it.
describe("a token without the follow-up permissions", () => {
  it("fails the follow-ups, never the revocations, says so in /healthz, and skips the next ones until it is tried again", async () => {
    const email = uniqueEmail("no-perm");
    fake().setFollowUpAnswer(() => apiError(403, 10000, "Authentication error"));
    const first = await revoke(email);
    expect(first.status).toBe("revoked");
    await passVerificationDelay();
    const failed = await recordWhen(
      first.id,
      (account) => account.seat?.state === "failed" && account.verification?.state === "failed",
      "follow-ups failed",
    );
    expect(failed.status).toBe("revoked");
    expect(resultOn(failed, ACCOUNT).seat?.detail).toContain("403");
    const health = (await (await operatorFetch("/healthz")).json()) as { ok: boolean; notes?: string[] };
    expect(health.ok).toBe(true);
    expect(health.notes?.join("\n")).toMatch(/REMOVE_SEATS: off until .*Zero Trust: Seats Write/);
    expect(health.notes?.join("\n")).toMatch(/VERIFY_AFTER_SECONDS: off until/);

    const requestsBefore = fake().requests.length;
    const second = await revoke(uniqueEmail("no-perm-next"));
    expect(second.status).toBe("revoked");
    await passVerificationDelay();
    const skipped = await recordWhen(
      second.id,
      (account) => account.seat?.state === "skipped" && account.verification?.state === "skipped",
      "follow-ups skipped",
    );
    expect(resultOn(skipped, ACCOUNT).seat?.detail).toContain("seat removal is off until");
    // Only the two revoke_user calls went out for the second person.
    expect(
      fake()
        .requests.slice(requestsBefore)
        .map((request) => request.path),
    ).toEqual([expect.stringContaining("revoke_user"), expect.stringContaining("revoke_user")]);

    // An hour on, a follow-up is tried again.
    fake().setFollowUpAnswer(() => null);
    await fastForwardLedger(61 * 60_000);
    const third = await revoke(uniqueEmail("perm-back"));
    await recordWhen(third.id, (account) => account.seat?.state === "removed", "seat removal back on");
  });
});

// A refused token is not always a missing permission, and a switched-off follow-up comes back once its cause
// is gone (src/ledger/follow-ups/switch.ts). Each test ends with both follow-ups back on.
describe("a follow-up switched off, and back (#18)", () => {
  const refused = () => apiError(403, 10000, "Authentication error");
  const stats = async () =>
    (await (await operatorFetch("/v1/stats")).json()) as { drain: { seats_off_until: string | null; verification_off_until: string | null } };
  const healthNotes = async () => ((await (await operatorFetch("/healthz")).json()) as { notes?: string[] }).notes?.join("\n") ?? "";
  const lookupsOf = (email: string) =>
    fake().requests.filter((request) => request.path === `/${ACCOUNT}/access/users` && request.query.email === email);

  it("sends none of the calls already queued once it is off: they are recorded skipped, and an answered call after the hour re-drives them", async () => {
    const emails = Array.from({ length: 12 }, (_, i) => uniqueEmail(`off-queued-${i}`));
    fake().setFollowUpAnswer(refused);
    const submitted = await operatorFetch("/v1/revocations/bulk", {
      method: "POST",
      body: emails.join("\n"),
      headers: { "Content-Type": "text/csv" },
    });
    expect(submitted.status).toBe(202);
    const seats = async () => Promise.all(emails.map(async (email) => resultOn((await listed(email))[0]!, ACCOUNT).seat));
    const settled = await waitFor(async () => {
      const states = await seats();
      return states.every((seat) => seat?.state === "failed" || seat?.state === "skipped") && states;
    });
    // Regression: every queued seat lookup went out and was refused, each switching seat removal off again.
    // Only those in flight when the first refusal came back (at most the drain's six) may have been sent.
    const sent = emails.flatMap(lookupsOf);
    expect(sent.length).toBeLessThanOrEqual(6);
    expect(sent.every((request) => request.status === 403)).toBe(true);
    const skipped = settled.filter((seat) => seat?.state === "skipped");
    expect(skipped.length).toBe(12 - sent.length);
    expect(skipped[0]?.detail).toMatch(/^seat removal is off until .*: the API token was refused reading users or writing seats$/);

    // The permission is granted; an hour on, the first seat call tried is answered: seat removal is back,
    // and the twelve it refused or skipped are removed after all.
    fake().setFollowUpAnswer(() => null);
    await fastForwardLedger(61 * 60_000);
    const next = await revoke(uniqueEmail("off-queued-next"));
    await recordWhen(next.id, (account) => account.seat?.state === "removed", "seat removal back on");
    await waitFor(async () => (await seats()).every((seat) => seat?.state === "removed"), 10_000, "the refused and skipped seats removed");
    expect((await stats()).drain.seats_off_until).toBeNull();
  });

  it("does not switch off a follow-up refused where revocations are refused too: it waits behind the hold, and runs when the hold is lifted", async () => {
    const before = uniqueEmail("held-before");
    const first = await revoke(before);
    await recordWhen(first.id, (account) => account.seat?.state === "removed", "the seat removed");
    // The token goes wrong (README's hold walk-through): every call is refused.
    fake().setAnswer(refused);
    fake().setFollowUpAnswer(refused);
    const held = await revoke(uniqueEmail("held-refused"));
    expect(held.status).toBe("failed");
    // The first person's verification comes due while the account is held, then probes when the hold runs out.
    await passVerificationDelay();
    await fastForwardLedger(5 * 60_000);
    await waitFor(async () => lookupsOf(before).some((request) => request.status === 403), 10_000, "the verification refused");
    // Regression: this switched verification off for an hour ("give it Access: Audit Logs Read").
    expect((await stats()).drain.verification_off_until).toBeNull();
    expect(await healthNotes()).not.toContain("VERIFY_AFTER_SECONDS");
    expect(resultOn(await show(first.id), ACCOUNT).verification?.state).toBe("pending");
    const holds = ((await (await operatorFetch("/v1/holds")).json()) as { holds: { target: string }[] }).holds.map((hold) => hold.target);
    expect(holds).toContain(ACCOUNT);

    // The token is fixed and the holds cleared: nobody is left unrevoked, and the verification runs.
    fake().setAnswer(() => envelope(true));
    fake().setFollowUpAnswer(() => null);
    // The zone's hold ran out meanwhile with nothing sent there since: clearing it still re-drives what it failed.
    for (const target of [ACCOUNT, ZONE]) expect((await operatorFetch(`/v1/holds/${target}`, { method: "DELETE" })).status).toBe(200);
    await recordWhen(first.id, (account) => account.verification?.state === "verified", "verified once the hold is lifted");
    await recordWhen(held.id, (account, record) => record.status === "revoked" && account.seat?.state === "removed", "the refused person revoked");
  });

  it("brings verification back when a revocation is refused too, after a wrong token switched it off first, and verifies what it refused once the hold is lifted", async () => {
    const email = uniqueEmail("off-then-held");
    const first = await revoke(email);
    await recordWhen(first.id, (account) => account.seat?.state === "removed", "the seat removed");
    fake().setAnswer(refused);
    fake().setFollowUpAnswer(refused);
    await passVerificationDelay();
    await recordWhen(first.id, (account) => account.verification?.state === "failed", "the verification refused");
    expect(await healthNotes()).toMatch(/VERIFY_AFTER_SECONDS: off until/);
    const held = await revoke(uniqueEmail("off-then-held-refused"));
    expect(held.status).toBe("failed");
    // Regression (README's hold walk-through): /healthz kept asking for Access: Audit Logs Read while the
    // token itself was refused, and verification stayed off for the hour.
    expect((await stats()).drain.verification_off_until).toBeNull();
    expect(await healthNotes()).not.toContain("VERIFY_AFTER_SECONDS");

    fake().setAnswer(() => envelope(true));
    fake().setFollowUpAnswer(() => null);
    expect((await operatorFetch(`/v1/holds/${ACCOUNT}`, { method: "DELETE" })).status).toBe(200);
    expect((await stats()).drain.verification_off_until).toBeNull();
    await recordWhen(first.id, (account) => account.verification?.state === "verified", "verified after the hold was lifted");
    expect((await operatorFetch(`/v1/holds/${ZONE}`, { method: "DELETE" })).status).toBe(200);
    await recordWhen(held.id, (_, record) => record.status === "revoked", "the refused person revoked");
  });

  // Regression: an operator's retry lifted every hold without bringing a switched-off follow-up back, as lifting one hold does.
  it.each(["revocation", "job"] as const)(
    "brings verification back when an operator's retry of a %s lifts the holds, and verifies what it refused",
    async (what) => {
      const first = await revoke(uniqueEmail("retry-lifts"));
      await recordWhen(first.id, (account) => account.seat?.state === "removed", "the seat removed");
      // The zone refuses the token (a hold there); then the account refuses verification (no hold there): it goes off.
      fake().setAnswer((call) => (call.path.startsWith(`/${ZONE}/`) ? refused() : envelope(true)));
      const heldEmail = uniqueEmail(`retry-lifts-${what}`);
      let retryPath: string;
      if (what === "revocation") {
        const held = await revoke(heldEmail);
        expect(held.status).toBe("failed");
        retryPath = `/v1/revocations/${held.id}/retry`;
      } else {
        const submitted = await operatorFetch("/v1/revocations/bulk", { method: "POST", body: heldEmail, headers: { "Content-Type": "text/csv" } });
        retryPath = `/v1/jobs/${((await submitted.json()) as { job_id: string }).job_id}/retry`;
        await waitFor(async () => (await listed(heldEmail))[0]?.status === "failed", 10_000, "the job's revocation failed");
      }
      fake().setFollowUpAnswer((call) => (call.path.startsWith(`/${ACCOUNT}/`) ? refused() : null));
      await passVerificationDelay();
      await recordWhen(first.id, (account) => account.verification?.state === "failed", "the verification refused");
      expect((await stats()).drain.verification_off_until).not.toBeNull();

      fake().setAnswer(() => envelope(true));
      fake().setFollowUpAnswer(() => null);
      expect((await operatorFetch(retryPath, { method: "POST" })).status).toBeLessThan(300);
      expect((await stats()).drain.verification_off_until).toBeNull();
      await recordWhen(first.id, (account) => account.verification?.state === "verified", "verified once the retry lifted the holds");
      await waitFor(async () => (await listed(heldEmail))[0]?.status === "revoked", 10_000, "the retried person revoked");
    },
  );

  it("brings verification back when the ledger sends with another token than the one refused, and verifies what it refused", async () => {
    const email = uniqueEmail("token-changed");
    const first = await revoke(email);
    await recordWhen(first.id, (account) => account.seat?.state === "removed", "the seat removed");
    fake().setFollowUpAnswer(refused);
    await passVerificationDelay();
    await recordWhen(first.id, (account) => account.verification?.state === "failed", "the verification refused");
    expect((await stats()).drain.verification_off_until).not.toBeNull();
    // Regression: the refused tokens' id was keyed with the operator token fingerprints' key (the audit's),
    // not the API tokens'. The tokens the drain sends with are one set: every target's (here ACCESS_API_TOKEN for both), by target.
    const { refusedId, keys } = await runInDurableObject(ledgerStub(), (_instance, state) => {
      const { sql } = state.storage;
      return {
        refusedId: sql.exec<{ number_value: number }>("SELECT number_value FROM drain_state WHERE name = 'verify_refused_token'").one().number_value,
        keys: Object.fromEntries(
          sql
            .exec<{ name: string; value: string }>("SELECT name, value FROM ledger_keys")
            .toArray()
            .map((row) => [row.name, row.value]),
        ),
      };
    });
    const tokens = JSON.stringify([
      [ACCOUNT, TEST_CF_API_TOKEN],
      [ZONE, TEST_CF_API_TOKEN],
    ]);
    expect(refusedId).toBe(await apiTokenId(keys.cloudflare_token_fingerprint!, tokens));
    expect(refusedId).not.toBe(await apiTokenId(keys.audit_token_fingerprint!, tokens));
    // What a secret put or a restart with a fixed .dev.vars looks like to the ledger: a new instance whose
    // token is not the one refused (here the refused one is recorded as another's).
    await runInDurableObject(ledgerStub(), (_instance, state) => {
      state.storage.sql.exec("UPDATE drain_state SET number_value = 1 WHERE name = 'verify_refused_token'");
    });
    await evictDurableObject(ledgerStub());
    fake().setFollowUpAnswer(() => null);
    // Regression: verification stayed off for the hour whatever the token.
    expect((await stats()).drain.verification_off_until).toBeNull();
    await recordWhen(first.id, (account) => account.verification?.state === "verified", "verified with the new token");
  });
});
