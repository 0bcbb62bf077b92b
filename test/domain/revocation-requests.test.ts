// The one mapping from identity events to revocation requests: every field the ledger records reaches it, from
// whichever source. Its two former copies had drifted (issue #19): Shared Signals' dropped user_uid, the
// spelling received, unusable addresses and refusals.
import { describe, expect, it } from "vitest";
import type { IdentityEvent } from "../../src/domain/identity-events";
import { observations, revocationRequests } from "../../src/domain/revocation-requests";

const full: IdentityEvent = {
  event_id: "evt_1",
  event_type: "user.deleted",
  email: "ana@example.com",
  email_as_received: "Ana@Example.com",
  subject_id: "u1",
  user_uid: "uid-1",
  reason: "left",
  unusable_email: "not an address",
  refusal: { status: "refused", detail: "too old" },
  event_at: Date.parse("2026-11-27T10:00:00Z"),
};

describe("revocationRequests", () => {
  it.each([
    { source: "workos", assurance: "signed" as const },
    { source: "okta", assurance: "static_secret" as const },
    { source: "ssf-acme", assurance: "signed" as const },
  ])("carries every field of the event for $source", (origin) => {
    expect(revocationRequests(origin, [full])).toEqual([{ ...origin, ...full }]);
  });

  it("names the address itself as received when normalising did not change it, and null for what the event lacks", () => {
    expect(revocationRequests({ source: "ssf-acme", assurance: "signed" }, [{ event_id: 7, event_type: "t", email: "bo@example.com" }])).toEqual([
      {
        source: "ssf-acme",
        assurance: "signed",
        event_id: 7,
        event_type: "t",
        email: "bo@example.com",
        email_as_received: "bo@example.com",
        subject_id: null,
        user_uid: null,
        reason: null,
        unusable_email: null,
        refusal: null,
        event_at: null,
      },
    ]);
  });
});

describe("observations", () => {
  it("learns each identity under the source that names it, keeping its event id", () => {
    expect(observations("ssf-acme", [{ event_id: "jti-1", subject_id: "u1", email: "ana@example.com" }])).toEqual([
      { source: "ssf-acme", event_id: "jti-1", subject_id: "u1", email: "ana@example.com" },
    ]);
  });
});
