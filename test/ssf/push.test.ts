// POST /ssf/{transmitter} through the real Worker: the local transmitter (test/helpers/ssf-transmitter.ts)
// signs SETs and serves its configuration metadata and JWKS; the only thing mocked is the network (the fake
// Cloudflare API, which also serves the transmitter's origin). The SSF clock is stepped to cross the JWKS
// refresh interval; nothing else is faked.
// Where the shapes come from (test/fixtures/ssf/README.md has one line per fixture):
// - event payloads: RISC 1.0 §2.3 Account Disabled ({"reason": "hijacking"}); RISC 1.0 account-purged as
//   SSF 1.0 §5's simple-subject example carries it; CAEP 1.0 §3.1 Session Revoked as SSF 1.0 §5's
//   complex-subject example carries it; CAEP 1.0 §3.3 Credential Change; SSF 1.0 §8.1.4 verification and
//   §8.1.5 stream-updated.
// - subjects: the RFC 9493 formats SSF 1.0 §3 uses (email, iss_sub, opaque), the SSF 1.0 §3.3 complex subject
//   with a `user` member, and Okta's documented SET payloads (developer.okta.com/docs/reference/
//   ssf-transmitter-sets): a complex subject without `format` in the event's own `subject` member.
// - answers: RFC 8935 §2.2 (202, empty), §2.3/§2.4 (400 {"err", "description"}); a JWKS outage is a 400
//   invalid_key too, and the SET is held for the Cron Trigger to verify (src/ssf/held-sets.ts).
import { createExecutionContext, createScheduledController, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CAEP_CREDENTIAL_CHANGE, CAEP_SESSION_REVOKED, RISC_ACCOUNT_DISABLED, RISC_ACCOUNT_PURGED } from "../../src/domain/ssf/event-types";
import worker from "../../src/index";
import { HELD_SETS_PER_TRANSMITTER } from "../../src/ledger/ssf/held-sets";
import { verifyHeldSets } from "../../src/ssf/held-sets";
import { installSsfDeps } from "../../src/ssf/jwks-registry";
import oktaCredentialChange from "../fixtures/ssf/okta-credential-change.json";
import oktaSessionRevoked from "../fixtures/ssf/okta-session-revoked.json";
import riscDisabledIssSub from "../fixtures/ssf/risc-account-disabled.iss-sub.json";
import riscPurgedEmail from "../fixtures/ssf/risc-account-purged.email.json";
import phoneNumberSubject from "../fixtures/ssf/ssf-account-disabled.phone-number.json";
import accountEnabled from "../fixtures/ssf/ssf-account-enabled.email.json";
import complexSessionRevoked from "../fixtures/ssf/ssf-complex-user-iss-sub.session-revoked.json";
import streamUpdated from "../fixtures/ssf/ssf-stream-updated.json";
import verification from "../fixtures/ssf/ssf-verification.json";
import { TEST_SSF_AUTH, TEST_SSF_ISSUER } from "../helpers/bindings";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { LocalTransmitter } from "../helpers/ssf-transmitter";
import {
  drainOnceNow,
  fastForwardLedger,
  ledgerStub,
  operatorFetch,
  revocationsFor,
  revocationTotal,
  settleLedger,
  uniqueEmail,
  workerFetch,
} from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);

const INTERVAL_MS = 60_000;
let offset = 0;
const clock = {
  get now() {
    return Date.now() + offset;
  },
};
let transmitter: LocalTransmitter;

beforeAll(async () => {
  transmitter = await LocalTransmitter.create(clock);
});

beforeEach(() => {
  offset = 0;
  // A fresh JWKS cache per test, a clock the test can step, and a short timeout for the slow-endpoint tests.
  installSsfDeps({ now: () => clock.now, timeoutMs: 200 });
  transmitter.jwksMode = "up";
  transmitter.jwksRequests = 0;
  fake().serveOtherOrigins(transmitter.fetch);
});

afterAll(() => installSsfDeps(null));

const unique = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

function push(token: string, name = "acme", headers: Record<string, string> = {}) {
  return workerFetch(`/ssf/${name}`, { method: "POST", headers: { "content-type": "application/secevent+jwt", ...headers }, body: token });
}

async function putDirectory(source: string, subject: string, email: string) {
  const response = await operatorFetch(`/v1/directory/${source}/${encodeURIComponent(subject)}`, { method: "PUT", body: JSON.stringify({ email }) });
  expect(response.status).toBe(200);
  return (await response.json()) as { resolved_revocations: number };
}

/** The one event of a documented SET: its type and payload. */
function eventOf(fixture: { events: Record<string, unknown> }): [string, Record<string, unknown>] {
  const [entry] = Object.entries(fixture.events);
  return [entry![0], entry![1] as Record<string, unknown>];
}

async function listedFor(email: string): Promise<unknown[]> {
  return ((await (await operatorFetch(`/v1/revocations?email=${encodeURIComponent(email)}`)).json()) as { records: unknown[] }).records;
}

/** The held-SET check the Cron Trigger runs every minute, run now. */
const checkHeldSets = () => verifyHeldSets(env);

/** The Cron Trigger itself, run now; its effects are asserted on the ledger. */
async function runCron() {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function heldFor(name: string) {
  const stats = (await (await operatorFetch("/v1/stats")).json()) as { ssf_streams: Record<string, { held_sets: unknown }> };
  return stats.ssf_streams[name]!.held_sets;
}

/** The refused SET committed nothing: no record, and a drain that ran sent no call. */
async function expectNothingCommitted(before: number, email: string) {
  await drainOnceNow();
  expect(await revocationTotal()).toBe(before);
  expect(await listedFor(email)).toEqual([]);
  expect(fake().calls).toHaveLength(0);
}

async function expectRevokedOnce(email: string, jti: string, eventType: string, source = "ssf-acme") {
  const records = await revocationsFor(email);
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ status: "revoked", source, assurance: "signed", event_id: jti, event_type: eventType });
  expect(fake().callsFor(email)).toHaveLength(2); // one account + one zone
}

type Subject = { sub_id?: unknown; subject?: unknown };
const SUBJECTS: [name: string, viaDirectory: boolean, form: (email: string, id: string) => Subject][] = [
  ["email", false, (email) => ({ sub_id: { format: "email", email } })],
  ["iss_sub, through the directory", true, (_email, id) => ({ sub_id: { format: "iss_sub", iss: TEST_SSF_ISSUER, sub: id } })],
  ["opaque, through the directory", true, (_email, id) => ({ sub_id: { format: "opaque", id } })],
  [
    "complex with an email user",
    false,
    (email) => ({
      sub_id: { format: "complex", user: { format: "email", email }, tenant: { format: "iss_sub", iss: TEST_SSF_ISSUER, sub: "tenant-3" } },
    }),
  ],
  [
    "complex with an iss_sub user in the event, Okta's form",
    true,
    (_email, id) => ({ subject: { user: { format: "iss_sub", iss: TEST_SSF_ISSUER, sub: id } } }),
  ],
];
const EVENTS: [name: string, event: [string, Record<string, unknown>]][] = [
  ["RISC account-disabled", eventOf(riscDisabledIssSub)],
  ["RISC account-purged", eventOf(riscPurgedEmail)],
  ["CAEP session-revoked", eventOf(complexSessionRevoked)],
];

/** RFC 9493 aliases: one principal under an email and an opaque id. */
const aliases = (email: string, id: string) => ({
  format: "aliases",
  identifiers: [
    { format: "email", email },
    { format: "opaque", id },
  ],
});

/** A SET that deprovisions nobody (RISC account-enabled, SSF 1.0 §5's example event) about `subject`. */
function enabledClaims(subject: unknown, overrides: Record<string, unknown> = {}) {
  const [type, payload] = eventOf(accountEnabled);
  return transmitter.claims({ sub_id: subject, events: { [type]: payload }, ...overrides });
}

const directoryOf = async (id: string) =>
  (await (await operatorFetch(`/v1/directory/ssf-acme/${encodeURIComponent(id)}`)).json()) as { emails: string[] };

/** A SET for one event about one subject, issued now by the test transmitter. */
function claimsFor([type, payload]: [string, Record<string, unknown>], subject: Subject, overrides: Record<string, unknown> = {}) {
  const claims = transmitter.claims({ events: { [type]: { ...payload, ...(subject.subject ? { subject: subject.subject } : {}) } }, ...overrides });
  if (subject.sub_id === undefined) delete claims.sub_id;
  else claims.sub_id = subject.sub_id;
  return claims;
}

describe("a signed deprovisioning SET revokes exactly once per target", () => {
  it("the event types are the ones the transmitter deprovisions on by default", () => {
    expect(EVENTS.map(([, [type]]) => type)).toEqual([RISC_ACCOUNT_DISABLED, RISC_ACCOUNT_PURGED, CAEP_SESSION_REVOKED]);
  });

  it.each(
    EVENTS.flatMap(([eventName, event]) =>
      SUBJECTS.map(([subjectName, viaDirectory, form]) => [eventName, subjectName, event, viaDirectory, form] as const),
    ),
  )("%s about %s", async (_eventName, _subjectName, event, viaDirectory, form) => {
    const email = uniqueEmail("ssf");
    const id = unique("00u");
    if (viaDirectory) await putDirectory("ssf-acme", id, email);
    const claims = claimsFor(event, form(email, id));
    const response = await push(await transmitter.sign(claims));
    expect(response.status).toBe(202);
    expect(await response.text()).toBe("");
    await expectRevokedOnce(email, String(claims.jti), event[0]);
  });

  it("Okta's session-revoked SET as documented, its user resolved through the directory", async () => {
    const email = uniqueEmail("okta-ssf");
    const sub = unique("00u");
    await putDirectory("ssf-acme", sub, email);
    const documented = JSON.parse(
      JSON.stringify(oktaSessionRevoked).replaceAll("https://example.okta.com", TEST_SSF_ISSUER).replaceAll("00u1leaver0000000x7", sub),
    );
    const claims = transmitter.claims({ events: documented.events });
    delete claims.sub_id;
    expect((await push(await transmitter.sign(claims))).status).toBe(202);
    await expectRevokedOnce(email, String(claims.jti), CAEP_SESSION_REVOKED);
    expect((await revocationsFor(email))[0]).toMatchObject({ reason: "CAEP session-revoked from acme: User session ended" });
  });

  it("CAEP credential-change (Okta's documented SET) revokes where the transmitter is configured for it, and only there", async () => {
    const email = uniqueEmail("okta-cc");
    const sub = unique("00u");
    await putDirectory("ssf-acme-cc", sub, email);
    await putDirectory("ssf-acme", sub, email);
    const documented = JSON.parse(
      JSON.stringify(oktaCredentialChange).replaceAll("https://example.okta.com", TEST_SSF_ISSUER).replaceAll("00u1leaver0000000x7", sub),
    );
    const sign = () => {
      const claims = transmitter.claims({ events: documented.events });
      delete claims.sub_id;
      return { claims, token: transmitter.sign(claims) };
    };

    const before = await revocationTotal();
    const ignored = sign();
    expect((await push(await ignored.token, "acme")).status).toBe(202);
    await drainOnceNow();
    expect(await revocationTotal()).toBe(before);
    expect(fake().calls).toHaveLength(0);

    const configured = sign();
    expect((await push(await configured.token, "acme-cc")).status).toBe(202);
    await expectRevokedOnce(email, String(configured.claims.jti), CAEP_CREDENTIAL_CHANGE, "ssf-acme-cc");
  });

  it("a SET whose subject the directory does not know yet waits as unresolved, and revokes once an operator names it", async () => {
    const email = uniqueEmail("ssf-later");
    const id = unique("00u");
    const claims = claimsFor(EVENTS[0]![1], { sub_id: { format: "iss_sub", iss: TEST_SSF_ISSUER, sub: id } });
    expect((await push(await transmitter.sign(claims))).status).toBe(202);
    await drainOnceNow();
    expect(fake().calls).toHaveLength(0);
    expect(await putDirectory("ssf-acme", id, email)).toMatchObject({ resolved_revocations: 1 });
    await expectRevokedOnce(email, String(claims.jti), RISC_ACCOUNT_DISABLED);
  });

  it("an email and an id seen together in a SET that deprovisions nobody feed the directory, so a later id-only SET resolves", async () => {
    const email = uniqueEmail("ssf-observed");
    const id = unique("00u");
    const before = await revocationTotal();
    expect((await push(await transmitter.sign(enabledClaims(aliases(email, id))))).status).toBe(202);
    expect(await revocationTotal()).toBe(before);
    expect(await directoryOf(id)).toMatchObject({ emails: [email] });

    const revoked = claimsFor(EVENTS[2]![1], { sub_id: { format: "opaque", id } });
    expect((await push(await transmitter.sign(revoked))).status).toBe(202);
    await expectRevokedOnce(email, String(revoked.jti), CAEP_SESSION_REVOKED);
  });

  it("a subject no directory can name (a phone number, SSF 1.0 §5) is recorded as unresolved with the reason, never dropped", async () => {
    const claims = transmitter.claims({ sub_id: phoneNumberSubject.sub_id, events: phoneNumberSubject.events });
    const before = await revocationTotal();
    expect((await push(await transmitter.sign(claims))).status).toBe(202);
    await drainOnceNow();
    expect(await revocationTotal()).toBe(before + 1);
    expect(fake().calls).toHaveLength(0);
    const listed = (await (await operatorFetch("/v1/revocations?status=unresolved&limit=100")).json()) as { records: { event_id: string }[] };
    expect(listed.records.find((record) => record.event_id === claims.jti)).toMatchObject({
      status: "unresolved",
      source: "ssf-acme",
      email: null,
      subject_id: null,
      last_error: expect.stringContaining('subject format "phone_number" is not supported'),
    });
  });
});

// A SET's events reach the ledger through the one mapping every source uses (domain/revocation-requests.ts):
// before it, SSF dropped the address as spelled, unusable addresses and the observations' event ids.
describe("a SET is recorded as a webhook event would be (issue #19)", () => {
  type Recorded = {
    event_id: string;
    status: string;
    email: string | null;
    email_as_received: string | null;
    subject_id: string | null;
    last_error: string | null;
  };
  async function recordOf(jti: unknown, status: string): Promise<Recorded | undefined> {
    const listed = (await (await operatorFetch(`/v1/revocations?status=${status}&limit=100`)).json()) as { records: Recorded[] };
    return listed.records.find((record) => record.event_id === jti);
  }

  it("keeps the address as the SET spelled it beside the lower-cased one it revokes", async () => {
    const email = uniqueEmail("ssf-spelled");
    const spelled = `Ssf.${email.slice(0, 1).toUpperCase()}${email.slice(1, email.indexOf("@"))}@Example.COM`;
    const claims = claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email: spelled } });
    expect((await push(await transmitter.sign(claims))).status).toBe(202);
    const [record] = await revocationsFor(spelled.toLowerCase());
    expect(record).toMatchObject({ status: "revoked", email: spelled.toLowerCase(), email_as_received: spelled });
  });

  it("an unusable address beside an id is kept for the record, and the id resolves through the directory", async () => {
    const id = unique("00u");
    const unusable = `not an address ${id}`;
    const claims = claimsFor(EVENTS[0]![1], { sub_id: aliases(unusable, id) });
    expect((await push(await transmitter.sign(claims))).status).toBe(202);
    expect(await recordOf(claims.jti, "unresolved")).toMatchObject({
      subject_id: id,
      email_as_received: unusable,
      last_error: expect.stringContaining(`the email "${unusable}" cannot be used`),
    });
    const email = uniqueEmail("ssf-unusable-resolved");
    expect(await putDirectory("ssf-acme", id, email)).toMatchObject({ resolved_revocations: 1 });
    await expectRevokedOnce(email, String(claims.jti), RISC_ACCOUNT_DISABLED);
  });

  it("an unusable address alone is recorded as invalid_email with the address, and revokes nobody", async () => {
    const unusable = `Not An Address ${unique("x")}`;
    const claims = claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email: unusable } });
    expect((await push(await transmitter.sign(claims))).status).toBe(202);
    await drainOnceNow();
    expect(await recordOf(claims.jti, "invalid_email")).toMatchObject({
      email: unusable.toLowerCase(),
      email_as_received: unusable,
      subject_id: null,
    });
    expect(fake().calls).toHaveLength(0);
  });

  it("a replayed SET teaches the directory nothing more: an operator's correction since stands", async () => {
    const [email, corrected] = [uniqueEmail("ssf-taught"), uniqueEmail("ssf-corrected")];
    const id = unique("00u");
    const token = await transmitter.sign(enabledClaims(aliases(email, id)));
    expect((await push(token)).status).toBe(202);
    expect(await directoryOf(id)).toMatchObject({ emails: [email] });
    await putDirectory("ssf-acme", id, corrected);
    expect((await push(token)).status).toBe(202);
    expect(await directoryOf(id)).toMatchObject({ emails: [corrected] });
  });

  it("a jti reused for another pair still teaches it, as a reused jti still revokes", async () => {
    const jti = unique("jti");
    const taught = async (email: string, id: string) => {
      expect((await push(await transmitter.sign(enabledClaims(aliases(email, id), { jti })))).status).toBe(202);
      return directoryOf(id);
    };
    const [first, second] = [uniqueEmail("ssf-jti-first"), uniqueEmail("ssf-jti-second")];
    expect(await taught(first, unique("00u"))).toMatchObject({ emails: [first] });
    expect(await taught(second, unique("00u"))).toMatchObject({ emails: [second] });
  });
});

describe("replay", () => {
  it("the same SET pushed again is accepted and revokes nothing more (the ledger de-duplicates its jti)", async () => {
    const email = uniqueEmail("ssf-replay");
    const claims = claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email } });
    const token = await transmitter.sign(claims);
    expect((await push(token)).status).toBe(202);
    await expectRevokedOnce(email, String(claims.jti), RISC_ACCOUNT_DISABLED);
    const total = await revocationTotal();
    for (let i = 0; i < 3; i++) expect((await push(token)).status).toBe(202);
    await drainOnceNow();
    expect(await revocationTotal()).toBe(total);
    expect(fake().callsFor(email)).toHaveLength(2);
  });

  it("a new SET reusing a jti for someone else is not a replay: it revokes them too, as a recorded conflict (issue #18)", async () => {
    const email = uniqueEmail("ssf-jti");
    const jti = unique("jti");
    expect((await push(await transmitter.sign(claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email } }, { jti })))).status).toBe(202);
    await expectRevokedOnce(email, jti, RISC_ACCOUNT_DISABLED);
    const other = uniqueEmail("ssf-jti-other");
    expect((await push(await transmitter.sign(claimsFor(EVENTS[1]![1], { sub_id: { format: "email", email: other } }, { jti })))).status).toBe(202);
    expect(await revocationsFor(other)).toEqual([
      expect.objectContaining({ status: "revoked", event_id: expect.stringMatching(new RegExp(`^${jti}#[0-9a-f]{16}$`)) }),
    ]);
    expect(await revocationsFor(email)).toHaveLength(1);
  });
});

describe("forged or malformed SETs get RFC 8935's answer and revoke nobody", () => {
  const nowSeconds = () => Math.floor(clock.now / 1000);
  const cases: [name: string, forge: (claims: Record<string, unknown>) => Promise<string>, err: string][] = [
    ["a wrong iss", (claims) => transmitter.sign({ ...claims, iss: "https://impostor.test/tenant-1" }), "invalid_issuer"],
    ["a wrong aud", (claims) => transmitter.sign({ ...claims, aud: "https://someone-else.test/ssf/acme" }), "invalid_audience"],
    ["an iat two days old", (claims) => transmitter.sign({ ...claims, iat: nowSeconds() - 2 * 86_400 }), "invalid_request"],
    ["an iat an hour ahead", (claims) => transmitter.sign({ ...claims, iat: nowSeconds() + 3600 }), "invalid_request"],
    ["alg none", async (claims) => transmitter.signUnsecured(claims), "invalid_key"],
    ["HS256 keyed with the transmitter's public key", (claims) => transmitter.signHmacWithPublicKey(claims), "invalid_key"],
    ["a key nobody published, under an unknown kid", (claims) => transmitter.signWithUnknownKey(claims), "invalid_key"],
    ["a key nobody published, under the transmitter's kid", (claims) => transmitter.signWithUnknownKey(claims, "rsa-1"), "authentication_failed"],
    [
      "a payload changed after signing",
      async (claims) => {
        const [header, , signature] = (await transmitter.sign(claims)).split(".");
        const forged = btoa(JSON.stringify({ ...claims, sub_id: { format: "email", email: "ceo@example.com" } }))
          .replace(/\+/g, "-")
          .replace(/\//g, "_")
          .replace(/=+$/, "");
        return `${header}.${forged}.${signature}`;
      },
      "authentication_failed",
    ],
    ["no typ header", (claims) => transmitter.sign(claims, { typ: null }), "invalid_request"],
    ["a JSON body", async (claims) => JSON.stringify(claims), "invalid_request"],
  ];

  it.each(cases.map(([name, forge, err]) => [name, err, forge] as const))("%s: 400 %s", async (_name, err, forge) => {
    const email = uniqueEmail("ssf-forged");
    const before = await revocationTotal();
    const response = await push(await forge(claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email } })));
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ err, description: expect.any(String) });
    await expectNothingCommitted(before, email);
  });

  it("a Content-Type other than application/secevent+jwt: 415", async () => {
    const email = uniqueEmail("ssf-media");
    const before = await revocationTotal();
    const token = await transmitter.sign(claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email } }));
    const response = await push(token, "acme", { "content-type": "application/jwt" });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ err: "invalid_request" });
    await expectNothingCommitted(before, email);
  });

  it.each([
    ["no Authorization", {}],
    ["a wrong credential", { authorization: "Bearer not-the-stream-credential" }],
  ])("a stream with SSF_AUTH_<NAME> refuses %s with 401, and accepts its credential", async (_name, headers) => {
    const email = uniqueEmail("ssf-guarded");
    const before = await revocationTotal();
    const token = await transmitter.sign(claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email } }));
    const refused = await push(token, "guarded", headers);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(await refused.json()).toMatchObject({ err: "authentication_failed" });
    await expectNothingCommitted(before, email);
    expect((await push(token, "guarded", { authorization: `Bearer ${TEST_SSF_AUTH}` })).status).toBe(202);
    expect(await revocationsFor(email)).toHaveLength(1);
  });

  it("a Keycloak stream whose header was entered as `Bearer <token>` arrives as `Bearer Bearer <token>` and is accepted", async () => {
    const email = uniqueEmail("ssf-double-bearer");
    const claims = claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email } });
    const response = await push(await transmitter.sign(claims), "guarded", { authorization: `Bearer Bearer ${TEST_SSF_AUTH}` });
    expect(response.status).toBe(202);
    await expectRevokedOnce(email, String(claims.jti), RISC_ACCOUNT_DISABLED, "ssf-guarded");
  });

  it.each(["down", "slow", "garbage", "unreachable"] as const)(
    "a JWKS endpoint that is %s: 400 invalid_key, never a 5xx; the SET is held and revokes once the keys can be fetched",
    async (mode) => {
      const email = uniqueEmail("ssf-outage");
      const before = await revocationTotal();
      transmitter.jwksMode = mode;
      const claims = claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email } });
      const token = await transmitter.sign(claims);
      const response = await push(token);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ err: "invalid_key", description: expect.stringContaining("held") });
      await expectNothingCommitted(before, email);
      expect(await heldFor("acme")).toMatchObject({ count: 1, last_detail: null });

      // Still down at the next check: kept, with the reason.
      offset += INTERVAL_MS;
      await fastForwardLedger(INTERVAL_MS);
      expect(await checkHeldSets()).toMatchObject({ waiting: 1, verified: 0 });
      expect(await heldFor("acme")).toMatchObject({ count: 1, last_detail: expect.stringContaining("JWKS") });
      const health = (await (await operatorFetch("/healthz")).json()) as { notes?: string[] };
      expect(health.notes).toContainEqual(expect.stringMatching(/^SSF_TRANSMITTERS: 1 SET\(s\) from acme held since /));
      expect(await revocationTotal()).toBe(before);

      // Back up: the next check verifies it as it arrived, and it revokes once; a redelivery is its duplicate.
      transmitter.jwksMode = "up";
      offset += INTERVAL_MS;
      await fastForwardLedger(INTERVAL_MS);
      await runCron();
      await expectRevokedOnce(email, String(claims.jti), EVENTS[0]![1][0]);
      expect(await heldFor("acme")).toBeNull();
      expect((await push(token)).status).toBe(202);
      expect(await revocationsFor(email)).toHaveLength(1);
    },
  );

  it("forged SETs pushed during a JWKS outage: what no key could save is refused at once, the rest held and refused at the check", async () => {
    const email = uniqueEmail("ssf-outage-forged");
    const before = await revocationTotal();
    transmitter.jwksMode = "down";
    const subject = { sub_id: { format: "email", email } };
    const signedByNobody = await transmitter.signWithUnknownKey(claimsFor(EVENTS[0]![1], subject), transmitter.currentRsaKid);
    expect((await push(signedByNobody)).status).toBe(400);
    // The same token twice is one held SET.
    expect((await push(signedByNobody)).status).toBe(400);
    // Claims a valid signature would not save, and a kid no key set carries, are judged before holding (issue #18).
    const refusedAtOnce: [string, string][] = [
      [await transmitter.sign(claimsFor(EVENTS[1]![1], subject, { aud: "https://someone-else.example" })), "invalid_audience"],
      [await transmitter.sign(claimsFor(EVENTS[2]![1], subject, { iss: "https://forger.example" })), "invalid_issuer"],
      [await transmitter.sign(claimsFor(EVENTS[2]![1], subject, { iat: Math.floor(clock.now / 1000) - 2 * 86_400 })), "invalid_request"],
      [await transmitter.signWithUnknownKey(claimsFor(EVENTS[0]![1], subject), "k".repeat(257)), "invalid_key"],
      [await transmitter.signWithUnknownKey(claimsFor(EVENTS[0]![1], subject), "a kid"), "invalid_key"],
    ];
    for (const [token, err] of refusedAtOnce) {
      const response = await push(token);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ err, description: expect.not.stringContaining("held") });
    }
    expect(await heldFor("acme")).toMatchObject({ count: 1 });

    transmitter.jwksMode = "up";
    offset += INTERVAL_MS;
    await fastForwardLedger(INTERVAL_MS);
    expect(await checkHeldSets()).toMatchObject({ verified: 0, refused: 1 });
    expect(await heldFor("acme")).toBeNull();
    await expectNothingCommitted(before, email);
  });

  it("a valid SET held behind 150 forgeries is decided in the first check after recovery, not a minute per hundred (issue #18)", async () => {
    const email = uniqueEmail("ssf-behind-forgeries");
    transmitter.jwksMode = "down";
    for (let i = 0; i < 150; i++) {
      const forged = await transmitter.signWithUnknownKey(
        transmitter.claims({ sub_id: { format: "email", email: uniqueEmail("forged") } }),
        transmitter.currentRsaKid,
      );
      expect((await push(forged)).status).toBe(400);
    }
    const claims = claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email } });
    expect((await push(await transmitter.sign(claims))).status).toBe(400);
    expect(await heldFor("acme")).toMatchObject({ count: 151 });

    transmitter.jwksMode = "up";
    offset += INTERVAL_MS;
    await fastForwardLedger(INTERVAL_MS);
    expect(await checkHeldSets()).toMatchObject({ verified: 1, refused: 150, waiting: 0 });
    await expectRevokedOnce(email, String(claims.jti), RISC_ACCOUNT_DISABLED);
    expect(await heldFor("acme")).toBeNull();
  });

  it("a transmitter that is polled does not accept pushes: 404 before anything is read or held (issue #18)", async () => {
    transmitter.jwksMode = "down";
    const response = await push(await transmitter.sign(transmitter.claims()), "polled");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: expect.stringContaining("polled, not pushed to") } });
    expect(await heldFor("polled")).toBeNull();
    expect(transmitter.jwksRequests).toBe(0);
  });

  it("when the hold is full, a SET that cannot be verified is answered 503 with Retry-After, to be delivered again", async () => {
    const email = uniqueEmail("ssf-outage-full");
    const before = await revocationTotal();
    await runInDurableObject(ledgerStub(), async (_instance, state) => {
      for (let i = 0; i < HELD_SETS_PER_TRANSMITTER; i++) {
        state.storage.sql.exec(
          "INSERT INTO held_sets (transmitter, digest, token, received_at, next_attempt_at) VALUES ('acme', ?, 'x.y.z', 0, ?)",
          `filler-${i}`,
          Number.MAX_SAFE_INTEGER,
        );
      }
    });
    try {
      transmitter.jwksMode = "down";
      const response = await push(await transmitter.sign(claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email } })));
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe(String(INTERVAL_MS / 1000));
      expect(await response.json()).toMatchObject({ error: { code: "keys_unavailable" } });
      await expectNothingCommitted(before, email);
    } finally {
      await runInDurableObject(ledgerStub(), async (_instance, state) => {
        state.storage.sql.exec("DELETE FROM held_sets WHERE digest LIKE 'filler-%'");
      });
    }
  });

  it("a held SET whose keys stay unreachable for a day is given up, counted, and revokes nobody", async () => {
    const email = uniqueEmail("ssf-outage-day");
    const before = await revocationTotal();
    transmitter.jwksMode = "down";
    const token = await transmitter.sign(claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email } }));
    expect((await push(token)).status).toBe(400);
    offset += 25 * 60 * INTERVAL_MS;
    await fastForwardLedger(25 * 60 * INTERVAL_MS);
    expect(await checkHeldSets()).toMatchObject({ expired: 1 });
    expect(await heldFor("acme")).toBeNull();
    await expectNothingCommitted(before, email);
  });

  it("an unknown transmitter: 404 in the shape of an unknown webhook source", async () => {
    const response = await push(await transmitter.sign(transmitter.claims()), "nobody");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "unknown SSF transmitter" } });
    expect(transmitter.jwksRequests).toBe(0);
  });

  it.each(["GET", "PUT", "DELETE"])("%s: 405 with Allow: POST, like every route", async (method) => {
    const response = await workerFetch("/ssf/acme", { method });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect(await response.json()).toMatchObject({ error: { code: "method_not_allowed" } });
  });

  it("a body over 64 KiB: 413 before anything is read", async () => {
    const response = await push("a".repeat(64 * 1024 + 1));
    expect(response.status).toBe(413);
    expect(transmitter.jwksRequests).toBe(0);
  });
});

describe("the transmitter's keys", () => {
  it("rotate without a restart: a SET under a kid published after the last fetch is held, not refused, and revokes at the next check without a redelivery (issue #18)", async () => {
    const before = await transmitter.sign(claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email: uniqueEmail("ssf-rot0") } }));
    expect((await push(before)).status).toBe(202);
    expect(transmitter.jwksRequests).toBe(1);

    await transmitter.rotate();
    const email = uniqueEmail("ssf-rotated");
    const claims = claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email } });
    const after = await transmitter.sign(claims);
    // Within the interval no fetch is allowed (the flood limit), so the SET waits for the next one.
    offset += 1_000;
    const held = await push(after);
    expect(held.status).toBe(400);
    expect(await held.json()).toEqual({
      err: "invalid_key",
      description: "the SET is signed with a key the receiver has not fetched yet; the SET is held and will be verified once its key can be fetched",
    });
    expect(await heldFor("acme")).toMatchObject({ count: 1 });
    expect(transmitter.jwksRequests).toBe(1);

    offset += INTERVAL_MS;
    await fastForwardLedger(INTERVAL_MS);
    await runCron();
    await expectRevokedOnce(email, String(claims.jti), RISC_ACCOUNT_DISABLED);
    expect(await heldFor("acme")).toBeNull();
    expect(transmitter.jwksRequests).toBe(2);
    // The transmitter's own redelivery is the same revocation.
    expect((await push(after)).status).toBe(202);
    expect(await revocationsFor(email)).toHaveLength(1);
    // The withdrawn key no longer verifies.
    const stale = await transmitter.signWithRetiredKey(claimsFor(EVENTS[0]![1], { sub_id: { format: "email", email: uniqueEmail("ssf-stale") } }));
    expect(await (await push(stale)).json()).toMatchObject({ err: "invalid_key" });
  });

  it("a flood of SETs with made-up kids costs at most one JWKS fetch per interval, across requests", async () => {
    const flood = (n: number) =>
      Promise.all(Array.from({ length: n }, async () => (await push(await transmitter.signWithUnknownKey(transmitter.claims()))).status));
    expect((await push(await transmitter.sign(transmitter.claims({ sub_id: { format: "email", email: uniqueEmail("ssf-flood") } })))).status).toBe(
      202,
    );
    expect(transmitter.jwksRequests).toBe(1);

    offset += INTERVAL_MS;
    expect(await flood(20)).toEqual(Array(20).fill(400));
    expect(transmitter.jwksRequests).toBe(2);

    offset += INTERVAL_MS - 1_000;
    expect(await flood(20)).toEqual(Array(20).fill(400));
    expect(transmitter.jwksRequests).toBe(2);

    offset += 1_000;
    expect(await flood(5)).toEqual(Array(5).fill(400));
    expect(transmitter.jwksRequests).toBe(3);

    // Those whose kid was missing from keys fetched before they arrived wait for the next fetch allowed (at
    // least the second flood's 20), which then decides them all at the check: still one fetch per interval.
    const held = (await heldFor("acme")) as { count: number };
    expect(held.count).toBeGreaterThanOrEqual(20);
    offset += INTERVAL_MS;
    await fastForwardLedger(INTERVAL_MS);
    expect(await checkHeldSets()).toMatchObject({ refused: held.count, verified: 0, waiting: 0 });
    expect(transmitter.jwksRequests).toBe(4);
    expect(await heldFor("acme")).toBeNull();
  });
});

describe("stream events", () => {
  type Stream = {
    status: string | null;
    reason: string | null;
    status_at: string | null;
    verifications: number;
    last_verified_at: string | null;
    stream_id: string | null;
  };
  const streams = async () => ((await (await operatorFetch("/v1/stats")).json()) as { ssf_streams: Record<string, Stream> }).ssf_streams;

  it("verification is recorded and answered 202; stream-updated sets the stream's status in /v1/stats, newest iat wins", async () => {
    const before = await revocationTotal();
    expect(await streams()).toMatchObject({ guarded: { status: null, status_at: null, verifications: 0, last_verified_at: null } });
    const count = (await streams()).acme!.verifications;

    const verify = transmitter.claims({ sub_id: verification.sub_id, events: verification.events });
    expect((await push(await transmitter.sign(verify))).status).toBe(202);
    expect((await streams()).acme).toMatchObject({
      verifications: count + 1,
      last_verified_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      stream_id: "stream-5e1c0d2f",
    });

    const iat = Math.floor(clock.now / 1000);
    const paused = transmitter.claims({ iat, sub_id: streamUpdated.sub_id, events: streamUpdated.events });
    expect((await push(await transmitter.sign(paused))).status).toBe(202);
    expect((await streams()).acme).toMatchObject({
      status: "paused",
      reason: "Receiver endpoint failing",
      status_at: new Date(iat * 1000).toISOString(),
    });

    const [type] = eventOf(streamUpdated);
    const older = transmitter.claims({ iat: iat - 60, sub_id: streamUpdated.sub_id, events: { [type]: { status: "enabled" } } });
    expect((await push(await transmitter.sign(older))).status).toBe(202);
    expect((await streams()).acme).toMatchObject({ status: "paused" });

    const disabled = transmitter.claims({
      iat: iat + 1,
      sub_id: streamUpdated.sub_id,
      events: { [type]: { status: "disabled", reason: "Receiver deleted" } },
    });
    expect((await push(await transmitter.sign(disabled))).status).toBe(202);
    expect((await streams()).acme).toMatchObject({
      status: "disabled",
      reason: "Receiver deleted",
      status_at: new Date((iat + 1) * 1000).toISOString(),
    });
    // A stream that delivers nothing is said where an operator looks first.
    const health = (await (await operatorFetch("/healthz")).json()) as { notes?: string[] };
    expect(health.notes).toContain(
      `SSF_TRANSMITTERS: acme's stream is disabled since ${new Date((iat + 1) * 1000).toISOString()} (Receiver deleted); it delivers no events until it is enabled again`,
    );

    const enabled = transmitter.claims({ iat: iat + 2, sub_id: streamUpdated.sub_id, events: { [type]: { status: "enabled" } } });
    expect((await push(await transmitter.sign(enabled))).status).toBe(202);
    const healed = (await (await operatorFetch("/healthz")).json()) as { notes?: string[] };
    expect((healed.notes ?? []).filter((note) => note.includes("acme's stream"))).toEqual([]);

    await drainOnceNow();
    expect(await revocationTotal()).toBe(before);
    expect(fake().calls).toHaveLength(0);
  });
});
