// SETs in the shapes real transmitter code and the specifications' own examples produce, pushed through the
// Worker (issue #18): Keycloak's stream-updated (its StreamStatus object) and credential-change (always
// `update`), SGNL's secevent-js (a stream-updated without status, a credential `create`), RFC 8417's two
// events about one person, and a SET whose sub_id and event subject name different people. The fixtures'
// sources are in test/fixtures/ssf/README.md; the local transmitter signs them (test/helpers/ssf-transmitter.ts).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CAEP_CREDENTIAL_CHANGE, CAEP_SESSION_REVOKED, RISC_ACCOUNT_DISABLED } from "../../src/domain/ssf/event-types";
import { installSsfDeps } from "../../src/ssf/jwks-registry";
import caepComplexSessionUserTenant from "../fixtures/ssf/caep-session-revoked.complex-session-user-tenant.json";
import caepComplexUserDeviceTenant from "../fixtures/ssf/caep-session-revoked.complex-user-device-tenant.json";
import caepOpaque from "../fixtures/ssf/caep-session-revoked.opaque.json";
import keycloakOtpUpdate from "../fixtures/ssf/keycloak-credential-change.otp.json";
import keycloakPasswordUpdate from "../fixtures/ssf/keycloak-credential-change.password.json";
import keycloakStreamUpdated from "../fixtures/ssf/keycloak-stream-updated.json";
import twoEvents from "../fixtures/ssf/rfc8417-two-events.json";
import seceventCredentialCreate from "../fixtures/ssf/secevent-js-credential-change.create.json";
import seceventStreamUpdated from "../fixtures/ssf/secevent-js-stream-updated.json";
import streamUpdated from "../fixtures/ssf/ssf-stream-updated.json";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { LocalTransmitter } from "../helpers/ssf-transmitter";
import { waitFor } from "../helpers/wait";
import { drainOnceNow, operatorFetch, revocationsFor, revocationTotal, settleLedger, uniqueEmail, workerFetch } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);
const clock = { now: Date.now() };
let transmitter: LocalTransmitter;

beforeAll(async () => {
  transmitter = await LocalTransmitter.create(clock);
});

beforeEach(() => {
  clock.now = Date.now();
  installSsfDeps({ now: () => clock.now });
  fake().serveOtherOrigins(transmitter.fetch);
});

afterAll(() => installSsfDeps(null));

const unique = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`;

function push(token: string, name = "acme") {
  return workerFetch(`/ssf/${name}`, { method: "POST", headers: { "content-type": "application/secevent+jwt" }, body: token });
}

type Stream = { status: string | null; reason: string | null; status_unreadable: { issued_at: string; received_at: string; detail: string } | null };
const streamOf = async (name: string) =>
  ((await (await operatorFetch("/v1/stats")).json()) as { ssf_streams: Record<string, Stream> }).ssf_streams[name]!;
// /healthz names what the ledger notes only to the operator token (test/http/health.test.ts).
const healthNotes = async () => ((await (await operatorFetch("/healthz")).json()) as { notes?: string[] }).notes ?? [];

describe("stream-updated in the forms transmitters send", () => {
  it("Keycloak's StreamStatus object is read: the stream shows paused in /v1/stats and /healthz", async () => {
    const iat = Math.floor(clock.now / 1000);
    expect(await push(await transmitter.sign(transmitter.claimsFrom(keycloakStreamUpdated, { jti: unique("kc") })))).toMatchObject({ status: 202 });
    expect(await streamOf("acme")).toMatchObject({ status: "paused", reason: "Paused by a realm administrator", status_unreadable: null });
    expect(await healthNotes()).toContainEqual(expect.stringContaining(`acme's stream is paused since ${new Date(iat * 1000).toISOString()}`));
  });

  it("secevent-js's, without a status: recorded, answered 400 invalid_request, shown until a readable status issued later arrives", async () => {
    const before = await revocationTotal();
    const iat = Math.floor(clock.now / 1000) + 10;
    const response = await push(await transmitter.sign(transmitter.claimsFrom(seceventStreamUpdated, { jti: unique("sej"), iat })));
    expect(response.status).toBe(400);
    expect(response.headers.get("content-language")).toBe("en");
    expect(await response.json()).toEqual({ err: "invalid_request", description: expect.stringContaining("status is missing") });
    expect((await streamOf("acme")).status_unreadable).toEqual({
      issued_at: new Date(iat * 1000).toISOString(),
      received_at: expect.any(String),
      detail: "the stream-updated event's status is missing (SSF 1.0 §8.1.5 requires it)",
    });
    expect(await healthNotes()).toContainEqual(
      `SSF_TRANSMITTERS: acme said its stream changed status at ${new Date(iat * 1000).toISOString()}, but the stream-updated event's status is missing (SSF 1.0 §8.1.5 requires it); it may be paused or disabled: check it at the transmitter`,
    );
    const rejections = (await (await operatorFetch("/v1/stats")).json()) as { rejections: { by_reason: { source: string; reason: string }[] } };
    expect(rejections.rejections.by_reason).toContainEqual(expect.objectContaining({ source: "ssf-acme", reason: "invalid_request" }));

    // An older readable status does not hide it; one issued after it does.
    const [type] = Object.keys(streamUpdated.events);
    const older = transmitter.claimsFrom(streamUpdated, { jti: unique("old"), iat: iat - 5, events: { [type!]: { status: "enabled" } } });
    expect((await push(await transmitter.sign(older))).status).toBe(202);
    expect((await streamOf("acme")).status_unreadable).not.toBeNull();
    const newer = transmitter.claimsFrom(streamUpdated, { jti: unique("new"), iat: iat + 1, events: { [type!]: { status: "enabled" } } });
    expect((await push(await transmitter.sign(newer))).status).toBe(202);
    expect(await streamOf("acme")).toMatchObject({ status: "enabled", status_unreadable: null });
    expect((await healthNotes()).filter((note) => note.includes("acme said its stream"))).toEqual([]);
    expect(await revocationTotal()).toBe(before);
  });
});

describe("CAEP credential-change revokes on a lost credential only (transmitter acme-cc)", () => {
  it.each([
    ["Keycloak's password update", keycloakPasswordUpdate, 1],
    ["Keycloak's OTP update", keycloakOtpUpdate, 0],
    ["secevent-js's credential create (an enrolled passkey)", seceventCredentialCreate, 0],
  ])("%s", async (_name, fixture, revocations) => {
    // The documented event, about a person of this test: in sub_id (Keycloak) or in the event's subject (secevent-js).
    const email = uniqueEmail("ssf-cc");
    const event = fixture.events[CAEP_CREDENTIAL_CHANGE] as Record<string, unknown>;
    const claims = transmitter.claimsFrom(fixture, {
      jti: unique("cc"),
      events: { [CAEP_CREDENTIAL_CHANGE]: event.subject ? { ...event, subject: { format: "email", email } } : event },
      ...("sub_id" in fixture ? { sub_id: { format: "email", email } } : {}),
    });
    const before = await revocationTotal();
    expect((await push(await transmitter.sign(claims), "acme-cc")).status).toBe(202);
    await drainOnceNow();
    expect(await revocationTotal()).toBe(before + revocations);
    expect(fake().callsFor(email)).toHaveLength(2 * revocations);
  });
});

describe("who a SET names", () => {
  it("two events about one person (RFC 8417 §2.2): one revocation, naming both events", async () => {
    const email = uniqueEmail("ssf-two-events");
    const claims = transmitter.claimsFrom(twoEvents, { jti: unique("two"), sub_id: { format: "email", email } });
    expect((await push(await transmitter.sign(claims))).status).toBe(202);
    const records = await revocationsFor(email);
    expect(records).toEqual([
      expect.objectContaining({
        status: "revoked",
        event_id: claims.jti,
        event_type: RISC_ACCOUNT_DISABLED,
        reason: "RISC account-disabled, CAEP session-revoked from acme",
      }),
    ]);
    expect(fake().callsFor(email)).toHaveLength(2);
  });

  it("sub_id and the event's subject naming two people: both revoked, each record saying why", async () => {
    const [first, second] = [uniqueEmail("ssf-sub-id"), uniqueEmail("ssf-subject")];
    const claims = transmitter.claims({
      jti: unique("two-people"),
      sub_id: { format: "email", email: first },
      events: { [RISC_ACCOUNT_DISABLED]: { subject: { format: "email", email: second }, reason: "hijacking" } },
    });
    expect((await push(await transmitter.sign(claims))).status).toBe(202);
    for (const [email, n] of [
      [first, 1],
      [second, 2],
    ] as const) {
      expect(await revocationsFor(email)).toEqual([
        expect.objectContaining({
          status: "revoked",
          event_id: `${claims.jti}#${n}`,
          reason:
            "RISC account-disabled from acme (the SET's sub_id and its event's subject do not name the same person: each is revoked): hijacking",
        }),
      ]);
    }
  });
});

describe("a jti reused for a SET that says something else (issue #18)", () => {
  type Listed = { id: string; status: string; event_id: string; reason: string | null; email: string | null };
  const withJti = async (jti: string) =>
    ((await (await operatorFetch("/v1/revocations?limit=100")).json()) as { records: Listed[] }).records.filter((record) =>
      record.event_id.startsWith(jti),
    );
  const conflictsOf = async () =>
    ((await (await operatorFetch("/v1/stats")).json()) as { ssf_streams: Record<string, { jti_conflicts: unknown }> }).ssf_streams.acme!
      .jti_conflicts;

  it("CAEP 1.0 §3.1.2's three session-revoked examples share one jti: each is acted on, the reuse recorded and counted", async () => {
    const jti = unique(caepOpaque.jti);
    const [second, third] = [uniqueEmail("caep-example-2"), uniqueEmail("caep-example-3")];
    const examples = [caepOpaque, caepComplexSessionUserTenant, caepComplexUserDeviceTenant].map((fixture) =>
      transmitter.claimsFrom(fixture, { jti }),
    );
    await putDirectory("ssf-acme", caepComplexSessionUserTenant.sub_id.user.sub, second);
    await putDirectory("ssf-acme", caepComplexUserDeviceTenant.sub_id.user.sub, third);
    const before = await conflictsOf();
    const tokens = await Promise.all(examples.map((claims) => transmitter.sign(claims)));
    for (const token of tokens) expect((await push(token)).status).toBe(202);

    // The first is the session id alone (nobody the directory knows); the two others revoke their user.
    expect(await revocationsFor(second)).toEqual([
      expect.objectContaining({
        status: "revoked",
        event_type: CAEP_SESSION_REVOKED,
        event_id: expect.stringMatching(new RegExp(`^${jti}#[0-9a-f]{16}$`)),
      }),
    ]);
    expect(await revocationsFor(third)).toHaveLength(1);
    const records = await withJti(jti);
    expect(records.map((record) => record.event_id).sort()).toEqual([jti, expect.stringMatching(/#/), expect.stringMatching(/#/)].sort());
    expect(records.find((record) => record.event_id === jti)).toMatchObject({ status: "unresolved" });

    const conflicts = (await conflictsOf()) as { count: number; last: { jti: string; first_digest: string; digest: string } };
    expect(conflicts).toMatchObject({ count: ((before as { count: number } | null)?.count ?? 0) + 2, last: { jti } });
    expect(conflicts.last.first_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(conflicts.last.digest).not.toBe(conflicts.last.first_digest);
    const thirdRecord = records.find((record) => record.email === third)!;
    expect(thirdRecord.reason).toBe(
      `CAEP session-revoked from acme: Policy violation: device no longer compliant (jti ${jti} was first used by a SET saying something else: sha256 ${conflicts.last.first_digest}, this one ${conflicts.last.digest})`,
    );
    expect(thirdRecord.event_id).toBe(`${jti}#${conflicts.last.digest.slice(0, 16)}`);

    // The audit log keeps the record with that reason.
    const audited = await waitFor(async () => {
      const lines = (
        await (await operatorFetch(`/v1/audit/export?from=${new Date(Date.now() - 120_000).toISOString()}&to=2100-01-01T00:00:00Z`)).text()
      )
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { id: string; reason: string });
      return lines.find((line) => line.id === thirdRecord.id);
    });
    expect(audited.reason).toContain(conflicts.last.digest);

    // Redelivering any of them is a duplicate: no new record, no new conflict.
    for (const token of tokens) expect((await push(token)).status).toBe(202);
    expect(await withJti(jti)).toHaveLength(3);
    expect(await conflictsOf()).toMatchObject({ count: conflicts.count });
  });

  it("the same SET signed again (a new iat and signature) is a redelivery, not a conflict", async () => {
    const email = uniqueEmail("ssf-resigned");
    const jti = unique("resigned");
    const claims = transmitter.claims({ jti, sub_id: { format: "email", email }, events: { [CAEP_SESSION_REVOKED]: {} } });
    expect((await push(await transmitter.sign(claims))).status).toBe(202);
    const before = await conflictsOf();
    clock.now += 5_000;
    expect((await push(await transmitter.sign({ ...claims, iat: Math.floor(clock.now / 1000) }, { key: "ec" }))).status).toBe(202);
    expect(await revocationsFor(email)).toHaveLength(1);
    expect(await conflictsOf()).toEqual(before);
  });
});

async function putDirectory(source: string, subject: string, email: string) {
  const response = await operatorFetch(`/v1/directory/${source}/${encodeURIComponent(subject)}`, { method: "PUT", body: JSON.stringify({ email }) });
  expect(response.status).toBe(200);
}
