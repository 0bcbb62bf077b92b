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
import oktaCredentialChange from "../fixtures/ssf/okta-credential-change.json";
import oktaSessionRevoked from "../fixtures/ssf/okta-session-revoked.json";
import twoEvents from "../fixtures/ssf/rfc8417-two-events.json";
import aliases from "../fixtures/ssf/rfc9493-aliases.account-purged.json";
import riscAccountDisabled from "../fixtures/ssf/risc-account-disabled.iss-sub.json";
import riscAccountPurged from "../fixtures/ssf/risc-account-purged.email.json";
import googleSubjectType from "../fixtures/ssf/risc-google-subject-type.account-disabled.json";
import phoneNumber from "../fixtures/ssf/ssf-account-disabled.phone-number.json";
import accountEnabled from "../fixtures/ssf/ssf-account-enabled.email.json";
import complexUserEmail from "../fixtures/ssf/ssf-complex-user-email.account-disabled.json";
import complexUserIssSub from "../fixtures/ssf/ssf-complex-user-iss-sub.session-revoked.json";
import streamUpdated from "../fixtures/ssf/ssf-stream-updated.json";
import tokenClaimsChange from "../fixtures/ssf/ssf-token-claims-change.proprietary.json";
import verification from "../fixtures/ssf/ssf-verification.json";

type Fixture = { iss: string; jti: string; events: object; sub_id?: unknown };

function extract(fixture: Fixture, events: readonly string[] = DEFAULT_DEPROVISIONING_EVENTS, issuer = fixture.iss): SetEvents {
  return extractSetEvents(fixture as unknown as VerifiedSet, { transmitterName: "acme", transmitter: { issuer, events: [...events] } });
}

const nothing: SetEvents = { events: [], observed: [], stream: [], ignored: [], unresolved: [] };

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
      "email, lower-cased (RISC account-purged)",
      riscAccountPurged,
      { event_type: RISC_ACCOUNT_PURGED, email: "former.employee@example.com", reason: "RISC account-purged from acme" },
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
    expect(extract(fixture)).toEqual({ ...nothing, events: [{ event_id: fixture.jti, ...expected }] });
  });

  it("aliases (RFC 9493): the email and the id together, and the pair is an observed identity", () => {
    expect(extract(aliases)).toEqual({
      ...nothing,
      events: [
        {
          event_id: aliases.jti,
          event_type: RISC_ACCOUNT_PURGED,
          email: "alias.user@example.com",
          subject_id: "u-77801",
          reason: "RISC account-purged from acme",
        },
      ],
      observed: [{ subject_id: "u-77801", email: "alias.user@example.com" }],
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

  it("a SET with two events (RFC 8417 §2.2) yields one identity event per event type, ids jti#type", () => {
    expect(extract(twoEvents).events).toEqual([
      {
        event_id: `${twoEvents.jti}#${RISC_ACCOUNT_DISABLED}`,
        event_type: RISC_ACCOUNT_DISABLED,
        email: "two.events@example.com",
        reason: "RISC account-disabled from acme",
      },
      {
        event_id: `${twoEvents.jti}#${CAEP_SESSION_REVOKED}`,
        event_type: CAEP_SESSION_REVOKED,
        email: "two.events@example.com",
        reason: "CAEP session-revoked from acme",
      },
    ]);
  });

  it("credential-change deprovisions only when the transmitter opts in", () => {
    expect(extract(caepCredentialChange)).toEqual({
      ...nothing,
      ignored: [`CAEP credential-change does not deprovision (jti ${caepCredentialChange.jti})`],
    });
    expect(extract(oktaCredentialChange, [...DEFAULT_DEPROVISIONING_EVENTS, CAEP_CREDENTIAL_CHANGE]).events).toEqual([
      {
        event_id: oktaCredentialChange.jti,
        event_type: CAEP_CREDENTIAL_CHANGE,
        subject_id: "00u1leaver0000000x7",
        reason: "CAEP credential-change from acme: Password reset by an administrator",
      },
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
      observed: [{ subject_id: "u-1", email: "merged@example.com" }],
    });
  });

  it("an unsupported sub_id does not hide a usable event subject", () => {
    const result = extract({ ...both, sub_id: { format: "phone_number", phone_number: "+1 206 555 0100" } });
    expect(result.events.map((event) => [event.email, event.subject_id])).toEqual([[undefined, "u-1"]]);
  });

  it("a non-deprovisioning event still feeds the directory", () => {
    expect(
      extract({ ...both, events: { "https://schemas.openid.net/secevent/risc/event-type/account-enabled": both.events[RISC_ACCOUNT_DISABLED] } })
        .observed,
    ).toEqual([{ subject_id: "u-1", email: "merged@example.com" }]);
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

  it("stream-updated without a known status is ignored, with the reason", () => {
    const result = extract({
      ...streamUpdated,
      events: { "https://schemas.openid.net/secevent/ssf/event-type/stream-updated": { status: "on-fire" } },
    });
    expect(result).toEqual({ ...nothing, ignored: [expect.stringContaining("without a status of enabled, paused or disabled")] });
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
    ["an email subject with no valid email", { format: "email", email: "not-an-email" }, {}, "the email subject has no valid email"],
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
