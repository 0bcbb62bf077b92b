// extractSetEvents on the documented SET shapes (test/fixtures/ssf/README.md says where each comes from).
// The fixtures are handed over as verified claims; receive-set.test.ts signs them and sends them end to end.
import { describe, expect, it } from "vitest";
import {
  CAEP_CREDENTIAL_CHANGE,
  CAEP_SESSION_REVOKED,
  DEFAULT_DEPROVISIONING_EVENTS,
  RISC_ACCOUNT_DISABLED,
  RISC_ACCOUNT_PURGED,
} from "../../src/domain/ssf/event-types";
import { extractSetEvents, type SetEvents } from "../../src/ssf/events";
import type { VerifiedSet } from "../../src/ssf/verify-set";
import caepCredentialChange from "../fixtures/ssf/caep-credential-change.iss-sub.json";
import caepComplexSessionUserTenant from "../fixtures/ssf/caep-session-revoked.complex-session-user-tenant.json";
import caepOpaque from "../fixtures/ssf/caep-session-revoked.opaque.json";
import keycloakOtpUpdate from "../fixtures/ssf/keycloak-credential-change.otp.json";
import keycloakPasswordUpdate from "../fixtures/ssf/keycloak-credential-change.password.json";
import keycloakStreamUpdated from "../fixtures/ssf/keycloak-stream-updated.json";
import oktaCredentialChange from "../fixtures/ssf/okta-credential-change.json";
import oktaSessionRevoked from "../fixtures/ssf/okta-session-revoked.json";
import twoEvents from "../fixtures/ssf/rfc8417-two-events.json";
import aliases from "../fixtures/ssf/rfc9493-aliases.account-purged.json";
import riscAccountDisabled from "../fixtures/ssf/risc-account-disabled.iss-sub.json";
import riscAccountPurged from "../fixtures/ssf/risc-account-purged.email.json";
import googleSubjectType from "../fixtures/ssf/risc-google-subject-type.account-disabled.json";
import seceventCredentialCreate from "../fixtures/ssf/secevent-js-credential-change.create.json";
import seceventSessionRevoked from "../fixtures/ssf/secevent-js-session-revoked.json";
import seceventStreamUpdated from "../fixtures/ssf/secevent-js-stream-updated.json";
import phoneNumber from "../fixtures/ssf/ssf-account-disabled.phone-number.json";
import accountEnabled from "../fixtures/ssf/ssf-account-enabled.email.json";
import complexUserEmail from "../fixtures/ssf/ssf-complex-user-email.account-disabled.json";
import complexUserIssSub from "../fixtures/ssf/ssf-complex-user-iss-sub.session-revoked.json";
import streamUpdated from "../fixtures/ssf/ssf-stream-updated.json";
import tokenClaimsChange from "../fixtures/ssf/ssf-token-claims-change.proprietary.json";
import verification from "../fixtures/ssf/ssf-verification.json";

type Fixture = { iss: string; jti: string; iat?: number; events: object; sub_id?: unknown };

function extract(fixture: Fixture, events: readonly string[] = DEFAULT_DEPROVISIONING_EVENTS, issuer = fixture.iss): SetEvents {
  return extractSetEvents(fixture as unknown as VerifiedSet, { transmitterName: "acme", transmitter: { issuer, events: [...events] } });
}

const nothing: SetEvents = { events: [], observed: [], stream: [], ignored: [], unresolved: [] };

/**
 * The event's time as the receiver reads it: CAEP's event_timestamp (seconds; Okta's fixture documents
 * milliseconds) of the first event carrying one, else the SET's iat (seconds).
 */
function eventAt(fixture: { iat?: number; events: object }): number | undefined {
  const stamped = Object.values(fixture.events as Record<string, { event_timestamp?: number }>).find(
    (event) => typeof event.event_timestamp === "number",
  );
  if (stamped?.event_timestamp !== undefined) return stamped.event_timestamp > 1e11 ? stamped.event_timestamp : stamped.event_timestamp * 1000;
  return fixture.iat === undefined ? undefined : fixture.iat * 1000;
}

describe("deprovisioning events become identity events, one per subject format", () => {
  it.each([
    [
      "complex subject whose user is iss_sub (SSF 1.0 §5): the sub, never guessed to be an email",
      complexUserIssSub,
      {
        event_type: CAEP_SESSION_REVOKED,
        subject_id: "jane.doe@example.com",
        reason: "CAEP session-revoked from acme: Policy violation: device posture",
      },
    ],
    [
      "opaque (CAEP 1.0 §3.1.2)",
      caepOpaque,
      { event_type: CAEP_SESSION_REVOKED, subject_id: "sess|4411.0|77.3", reason: "CAEP session-revoked from acme" },
    ],
    [
      "complex session + user + tenant (CAEP 1.0 §3.1.2): the user; reason_admin in the only language given",
      caepComplexSessionUserTenant,
      {
        event_type: CAEP_SESSION_REVOKED,
        subject_id: "8f14e45f-ceea-467e-a1c6-1f9b2c3d4e5f",
        reason: "CAEP session-revoked from acme: Zugriff aus mehreren Regionen",
      },
    ],
    [
      "iss_sub (RISC 1.0 §2.3)",
      riscAccountDisabled,
      { event_type: RISC_ACCOUNT_DISABLED, subject_id: "u-55120", reason: "RISC account-disabled from acme: hijacking" },
    ],
    [
      "email, lower-cased, its spelling kept beside it (RISC account-purged)",
      riscAccountPurged,
      {
        event_type: RISC_ACCOUNT_PURGED,
        email: "former.employee@example.com",
        email_as_received: "Former.Employee@Example.com",
        reason: "RISC account-purged from acme",
      },
    ],
    [
      "complex subject whose user is email (SSF 1.0 §3.3)",
      complexUserEmail,
      { event_type: RISC_ACCOUNT_DISABLED, email: "contractor@example.com", reason: "RISC account-disabled from acme: bulk-account" },
    ],
    [
      "Okta: the event's subject, a complex subject without format",
      oktaSessionRevoked,
      { event_type: CAEP_SESSION_REVOKED, subject_id: "00u1leaver0000000x7", reason: "CAEP session-revoked from acme: User session ended" },
    ],
    [
      "Google: subject_type iss-sub",
      googleSubjectType,
      { event_type: RISC_ACCOUNT_DISABLED, subject_id: "109876543210987654321", reason: "RISC account-disabled from acme: hijacking" },
    ],
  ])("%s", (_name, fixture, expected) => {
    expect(extract(fixture)).toEqual({ ...nothing, events: [{ event_id: fixture.jti, event_at: eventAt(fixture), ...expected }] });
  });

  it("aliases (RFC 9493): the email and the id together, and the pair is an observed identity", () => {
    expect(extract(aliases)).toEqual({
      ...nothing,
      events: [
        {
          event_id: aliases.jti,
          event_at: eventAt(aliases),
          event_type: RISC_ACCOUNT_PURGED,
          email: "alias.user@example.com",
          subject_id: "u-77801",
          reason: "RISC account-purged from acme",
        },
      ],
      observed: [{ event_id: aliases.jti, subject_id: "u-77801", email: "alias.user@example.com" }],
    });
  });

  it("an iss_sub from another issuer keeps its issuer in the subject id", () => {
    const result = extract(riscAccountDisabled, DEFAULT_DEPROVISIONING_EVENTS, "https://another-issuer.example.com/");
    expect(result.events.map((event) => event.subject_id)).toEqual(["https://idp.example.com/|u-55120"]);
  });

  it("the event id is the jti: a replayed SET yields the same id for the caller to dedupe", () => {
    expect(extract(riscAccountDisabled).events[0]?.event_id).toBe("d2f5b7c9314e4a7f9b8c0d2e4f6a8b02");
    expect(extract(riscAccountDisabled)).toEqual(extract(riscAccountDisabled));
  });

  it("secevent-js: the event's subject an email, its reason a plain string", () => {
    expect(extract(seceventSessionRevoked).events).toEqual([
      {
        event_id: seceventSessionRevoked.jti,
        event_at: eventAt(seceventSessionRevoked),
        event_type: CAEP_SESSION_REVOKED,
        email: "signed.out@example.com",
        reason: "CAEP session-revoked from acme: Session terminated by policy",
      },
    ]);
  });

  it("credential-change deprovisions only when the transmitter opts in", () => {
    expect(extract(caepCredentialChange)).toEqual({
      ...nothing,
      ignored: [`CAEP credential-change does not deprovision (jti ${caepCredentialChange.jti}): not among the transmitter's deprovisioning events`],
    });
    expect(extract(oktaCredentialChange, [...DEFAULT_DEPROVISIONING_EVENTS, CAEP_CREDENTIAL_CHANGE]).events).toEqual([
      {
        event_id: oktaCredentialChange.jti,
        event_at: eventAt(oktaCredentialChange),
        event_type: CAEP_CREDENTIAL_CHANGE,
        subject_id: "00u1leaver0000000x7",
        reason: "CAEP credential-change from acme: Password reset by an administrator",
      },
    ]);
  });
});

describe("CAEP credential-change revokes only on a lost credential (CAEP 1.0 §3.3; issue #18)", () => {
  const withCredentialChange = [...DEFAULT_DEPROVISIONING_EVENTS, CAEP_CREDENTIAL_CHANGE];
  const change = (payload: Record<string, unknown>) => ({
    iss: "https://idp.example.com/",
    jti: "cc-1",
    sub_id: { format: "email", email: "holder@example.com" },
    events: { [CAEP_CREDENTIAL_CHANGE]: { credential_type: "fido2-roaming", ...payload } },
  });

  it.each([
    ["revoke", { change_type: "revoke" }],
    ["delete", { change_type: "delete" }],
    ["update of a password (a reset)", { change_type: "update", credential_type: "password" }],
    ["update of a PIN", { change_type: "update", credential_type: "pin" }],
    ["REVOKE, in capitals", { change_type: "REVOKE" }],
  ])("%s revokes", (_name, payload) => {
    expect(extract(change(payload), withCredentialChange).events).toHaveLength(1);
  });

  it.each([
    ["create (enrolling an authenticator)", { change_type: "create" }, 'change_type "create" of credential_type "fido2-roaming"'],
    ["update of a FIDO2 key", { change_type: "update" }, 'change_type "update" of credential_type "fido2-roaming"'],
    ["a change type CAEP does not name", { change_type: "rotate" }, 'change_type "rotate"'],
    ["no change type", {}, "change_type null"],
  ])("%s is ignored, with the reason", (_name, payload, reason) => {
    expect(extract(change(payload), withCredentialChange)).toEqual({
      ...nothing,
      ignored: [expect.stringContaining(reason)],
    });
  });

  it("Keycloak's password update revokes; its OTP update does not (its transmitter sends every change as update)", () => {
    expect(extract(keycloakPasswordUpdate, withCredentialChange).events).toEqual([
      {
        event_id: keycloakPasswordUpdate.jti,
        event_at: eventAt(keycloakPasswordUpdate),
        event_type: CAEP_CREDENTIAL_CHANGE,
        subject_id: "7a1c3e5f-9b2d-4f6a-8c0e-1d3f5a7c9e2b",
        reason: "CAEP credential-change from acme",
      },
    ]);
    expect(extract(keycloakOtpUpdate, withCredentialChange)).toEqual({
      ...nothing,
      ignored: [expect.stringContaining('change_type "update" of credential_type "otp" is not a lost credential')],
    });
  });

  it("secevent-js's create (an enrolled passkey) does not revoke", () => {
    expect(extract(seceventCredentialCreate, withCredentialChange)).toEqual({ ...nothing, ignored: [expect.stringContaining('"create"')] });
  });
});

describe("one revocation per person per delivery (issue #18)", () => {
  it("a SET with two events (RFC 8417 §2.2) about one person yields one identity event naming both, id the jti", () => {
    expect(extract(twoEvents).events).toEqual([
      {
        event_id: twoEvents.jti,
        event_at: eventAt(twoEvents),
        event_type: RISC_ACCOUNT_DISABLED,
        email: "two.events@example.com",
        reason: "RISC account-disabled, CAEP session-revoked from acme",
      },
    ]);
  });

  it("the same person named by sub_id in one event and by the event's subject in the other is one person", () => {
    const set = {
      iss: "https://idp.example.com/",
      jti: "one-person",
      events: {
        [RISC_ACCOUNT_DISABLED]: { subject: { format: "email", email: "same@example.com" }, reason: "hijacking" },
        [CAEP_SESSION_REVOKED]: { subject: { format: "email", email: "same@example.com" }, reason_admin: { en: "ended" } },
      },
    };
    expect(extract(set).events).toEqual([
      {
        event_id: "one-person",
        event_type: RISC_ACCOUNT_DISABLED,
        email: "same@example.com",
        reason: "RISC account-disabled, CAEP session-revoked from acme: hijacking; ended",
      },
    ]);
  });

  it("two events about two people: one identity event each, ids jti#1 and jti#2", () => {
    const set = {
      iss: "https://idp.example.com/",
      jti: "two-people",
      events: {
        [RISC_ACCOUNT_DISABLED]: { subject: { format: "email", email: "first@example.com" } },
        [CAEP_SESSION_REVOKED]: { subject: { format: "iss_sub", iss: "https://idp.example.com/", sub: "u-2" } },
      },
    };
    expect(extract(set).events.map((event) => [event.event_id, event.email, event.subject_id])).toEqual([
      ["two-people#1", "first@example.com", undefined],
      ["two-people#2", undefined, "u-2"],
    ]);
  });
});

describe("sub_id and the event's subject name one principal (SSF 1.0 §3.1.1)", () => {
  const both = {
    iss: "https://idp.example.com/",
    jti: "merge-1",
    sub_id: { format: "email", email: "merged@example.com" },
    events: { [RISC_ACCOUNT_DISABLED]: { subject: { format: "iss_sub", iss: "https://idp.example.com/", sub: "u-1" } } },
  };

  it("their identifiers are merged, and an email with an id is observed", () => {
    expect(extract(both)).toEqual({
      ...nothing,
      events: [
        {
          event_id: "merge-1",
          event_type: RISC_ACCOUNT_DISABLED,
          email: "merged@example.com",
          subject_id: "u-1",
          reason: "RISC account-disabled from acme",
        },
      ],
      observed: [{ event_id: "merge-1", subject_id: "u-1", email: "merged@example.com" }],
    });
  });

  it("an unsupported sub_id does not hide a usable event subject", () => {
    const result = extract({ ...both, sub_id: { format: "phone_number", phone_number: "+1 206 555 0100" } });
    expect(result.events.map((event) => [event.email, event.subject_id])).toEqual([[undefined, "u-1"]]);
  });

  it.each([
    [
      "two emails",
      { format: "email", email: "one@example.com" },
      { format: "email", email: "other@example.com" },
      [
        ["one@example.com", undefined],
        ["other@example.com", undefined],
      ],
    ],
    [
      "two ids",
      { format: "opaque", id: "sess|4411" },
      { format: "iss_sub", iss: "https://idp.example.com/", sub: "u-9" },
      [
        [undefined, "sess|4411"],
        [undefined, "u-9"],
      ],
    ],
  ])("when they name different people (%s), each is revoked with the reason, and nothing is observed (issue #18)", (_name, subId, subject, named) => {
    const result = extract({ ...both, sub_id: subId, events: { [RISC_ACCOUNT_DISABLED]: { subject, reason: "hijacking" } } });
    expect(result.observed).toEqual([]);
    expect(result.events.map((event) => [event.email, event.subject_id])).toEqual(named);
    expect(result.events.map((event) => event.event_id)).toEqual(["merge-1#1", "merge-1#2"]);
    for (const event of result.events) {
      expect(event.reason).toBe(
        "RISC account-disabled from acme (the SET's sub_id and its event's subject do not name the same person: each is revoked): hijacking",
      );
    }
  });

  it("the same email in both, with an id in one, is one person", () => {
    const result = extract({
      ...both,
      events: {
        [RISC_ACCOUNT_DISABLED]: {
          subject: { format: "aliases", identifiers: [{ format: "email", email: "MERGED@example.com" }, both.events[RISC_ACCOUNT_DISABLED].subject] },
        },
      },
    });
    expect(result.events.map((event) => [event.event_id, event.email, event.subject_id])).toEqual([["merge-1", "merged@example.com", "u-1"]]);
  });

  it("a non-deprovisioning event still feeds the directory", () => {
    expect(
      extract({ ...both, events: { "https://schemas.openid.net/secevent/risc/event-type/account-enabled": both.events[RISC_ACCOUNT_DISABLED] } })
        .observed,
    ).toEqual([{ event_id: "merge-1", subject_id: "u-1", email: "merged@example.com" }]);
  });

  it("each event of a SET observes under an id of its own, so one lesson does not hide the next", () => {
    const subject = both.events[RISC_ACCOUNT_DISABLED].subject;
    const enabled = "https://schemas.openid.net/secevent/risc/event-type/account-enabled";
    expect(
      extract({ ...both, events: { [enabled]: { subject }, [CAEP_SESSION_REVOKED]: { subject } } }).observed.map((seen) => seen.event_id),
    ).toEqual([`merge-1#${enabled}`, `merge-1#${CAEP_SESSION_REVOKED}`]);
  });
});

describe("stream events are returned apart (SSF 1.0 §8.1.4, §8.1.5)", () => {
  it("verification, with its state and the stream id", () => {
    expect(extract(verification)).toEqual({
      ...nothing,
      stream: [{ kind: "verification", event_id: verification.jti, stream_id: "stream-5e1c0d2f", state: "c3RhdGUtZnJvbS10aGUtcmVjZWl2ZXI" }],
    });
  });

  it("verification without state", () => {
    const result = extract({ ...verification, events: { "https://schemas.openid.net/secevent/ssf/event-type/verification": {} } });
    expect(result.stream).toEqual([{ kind: "verification", event_id: verification.jti, stream_id: "stream-5e1c0d2f", state: null }]);
  });

  it("stream-updated, with status and reason", () => {
    expect(extract(streamUpdated)).toEqual({
      ...nothing,
      stream: [
        { kind: "stream_updated", event_id: streamUpdated.jti, stream_id: "stream-5e1c0d2f", status: "paused", reason: "Receiver endpoint failing" },
      ],
    });
  });

  it.each(["enabled", "disabled"])("stream-updated to %s", (status) => {
    const result = extract({ ...streamUpdated, events: { "https://schemas.openid.net/secevent/ssf/event-type/stream-updated": { status } } });
    expect(result.stream).toEqual([{ kind: "stream_updated", event_id: streamUpdated.jti, stream_id: "stream-5e1c0d2f", status, reason: null }]);
  });

  it("Keycloak's stream-updated: the status inside its StreamStatus object, with the reason beside it", () => {
    expect(extract(keycloakStreamUpdated).stream).toEqual([
      {
        kind: "stream_updated",
        event_id: keycloakStreamUpdated.jti,
        stream_id: "5d3c2b1a-0f9e-4d8c-b7a6-958473625140",
        status: "paused",
        reason: "Paused by a realm administrator",
      },
    ]);
  });

  it("a StreamStatus object also names the stream when sub_id does not, and its own reason is read", () => {
    const type = "https://schemas.openid.net/secevent/ssf/event-type/stream-updated";
    const result = extract({
      iss: "https://idp.example.com/",
      jti: "kc-2",
      events: { [type]: { status: { stream_id: "s-9", status: "Disabled", reason: "gone" } } },
    });
    expect(result.stream).toEqual([{ kind: "stream_updated", event_id: "kc-2", stream_id: "s-9", status: "disabled", reason: "gone" }]);
  });

  it.each([
    ["secevent-js's, with no status", seceventStreamUpdated.events, "is missing (SSF 1.0 §8.1.5 requires it)"],
    ["an unknown status", { "https://schemas.openid.net/secevent/ssf/event-type/stream-updated": { status: "on-fire" } }, '"on-fire" is not enabled'],
    ["a number", { "https://schemas.openid.net/secevent/ssf/event-type/stream-updated": { status: 2 } }, "is a number"],
    [
      "an object without a status",
      { "https://schemas.openid.net/secevent/ssf/event-type/stream-updated": { status: { stream_id: "s-1" } } },
      "is an object without a status string",
    ],
  ])("stream-updated whose status cannot be read (%s) is returned as unreadable, with the reason", (_name, events, detail) => {
    const result = extract({ ...streamUpdated, events });
    expect(result).toEqual({
      ...nothing,
      stream: [{ kind: "stream_unreadable", event_id: streamUpdated.jti, stream_id: "stream-5e1c0d2f", detail: expect.stringContaining(detail) }],
    });
  });
});

// As every source's (domain/identity-events.ts): before issue #19 a SET's unusable address was dropped, or the
// event recorded as unresolved without it.
describe("an unusable address is kept for the record", () => {
  const set = (subId: unknown) => ({ iss: "https://idp.example.com/", jti: "bad-1", sub_id: subId, events: { [RISC_ACCOUNT_DISABLED]: {} } });
  const aliased = (...identifiers: object[]) => set({ format: "aliases", identifiers });

  it("alone, the event is refused as invalid_email with the address", () => {
    expect(extract(set({ format: "email", email: " Not-An-Email " }))).toEqual({
      ...nothing,
      events: [
        {
          event_id: "bad-1",
          event_type: RISC_ACCOUNT_DISABLED,
          reason: "RISC account-disabled from acme",
          unusable_email: "Not-An-Email",
          refusal: { status: "invalid_email", detail: expect.stringContaining('"Not-An-Email" cannot be used') },
        },
      ],
    });
  });

  it("beside an id, the id resolves the person and the address is kept", () => {
    const result = extract(aliased({ format: "email", email: "Not-An-Email" }, { format: "opaque", id: "u-3" }));
    expect(result.events).toEqual([
      {
        event_id: "bad-1",
        event_type: RISC_ACCOUNT_DISABLED,
        subject_id: "u-3",
        reason: "RISC account-disabled from acme",
        unusable_email: "Not-An-Email",
      },
    ]);
    expect(result.ignored).toEqual([expect.stringContaining("resolving subject u-3 through the directory instead")]);
    expect(result.observed).toEqual([]);
  });

  it("beside a usable one, the usable one names the person", () => {
    const result = extract(aliased({ format: "email", email: "Not-An-Email" }, { format: "email", email: "Ok@Example.com" }));
    expect(result.events).toEqual([expect.objectContaining({ email: "ok@example.com", email_as_received: "Ok@Example.com" })]);
    expect(result.events[0]).not.toHaveProperty("unusable_email");
  });
});

describe("nothing is dropped silently", () => {
  it.each([
    ["account-enabled (SSF 1.0 §5)", accountEnabled, "RISC account-enabled does not deprovision"],
    ["token-claims-change with a proprietary subject (SSF 1.0 §5)", tokenClaimsChange, "CAEP token-claims-change does not deprovision"],
  ])("%s is ignored, with the reason", (_name, fixture, reason) => {
    expect(extract(fixture)).toEqual({ ...nothing, ignored: [expect.stringContaining(reason)] });
  });

  it("a phone-number subject (SSF 1.0 §5) is unresolved, with the reason", () => {
    expect(extract(phoneNumber)).toEqual({
      ...nothing,
      unresolved: [{ event_id: phoneNumber.jti, event_type: RISC_ACCOUNT_DISABLED, reason: 'subject format "phone_number" is not supported' }],
    });
  });

  it.each([
    ["no subject at all", undefined, {}, "the SET has no sub_id and the event no subject"],
    [
      "a complex subject without a user",
      { format: "complex", device: { format: "opaque", id: "d-1" } },
      {},
      "the complex subject has no user member",
    ],
    [
      "a complex subject whose user is a phone number",
      { format: "complex", user: { format: "phone_number", phone_number: "+1 206 555 0100" } },
      {},
      'the complex subject\'s user: subject format "phone_number" is not supported',
    ],
    ["an email subject without an email", { format: "email", email: 7 }, {}, "the email subject has no email"],
    ["an iss_sub without sub", { format: "iss_sub", iss: "https://idp.example.com/" }, {}, "the iss_sub subject needs iss and sub strings"],
    ["an opaque id of 201 characters", { format: "opaque", id: "x".repeat(201) }, {}, "the subject id is longer than 200 characters"],
    ["a subject that is a string", "leaver@example.com", {}, "the subject is not an object"],
    ["a format that is not a string", { format: 7 }, {}, "subject format 7 is not supported"],
    [
      "an event subject of an unknown format",
      undefined,
      { subject: { format: "did", url: "did:example:123" } },
      'subject format "did" is not supported',
    ],
  ])("%s is unresolved, with the reason", (_name, subId, payload, reason) => {
    const set = {
      iss: "https://idp.example.com/",
      jti: "u-1",
      ...(subId === undefined ? {} : { sub_id: subId }),
      events: { [RISC_ACCOUNT_DISABLED]: payload },
    };
    expect(extract(set)).toEqual({ ...nothing, unresolved: [{ event_id: "u-1", event_type: RISC_ACCOUNT_DISABLED, reason }] });
  });
});
