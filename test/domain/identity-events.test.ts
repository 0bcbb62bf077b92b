// Every source's events held to the same bounds and read the same way (domain/identity-events.ts): one bad
// element is reported, never a failed batch; an address is normalised and its spelling kept when that changed
// it; an unusable address is recorded, resolved through the subject id when there is one, refused when not.
import { describe, expect, it } from "vitest";
import { observedIdentity, payloadInstant, validEvents } from "../../src/domain/identity-events";

const event = { event_id: "evt_1", event_type: "user.deleted" };

describe("validEvents", () => {
  it("normalises the address and keeps the spelling received only when normalising changed it", () => {
    expect(
      validEvents(
        [
          { ...event, email: " Ana@Example.com " },
          { ...event, event_id: "evt_2", email: "bo@example.com" },
        ],
        [],
      ),
    ).toEqual([
      { ...event, email: "ana@example.com", email_as_received: "Ana@Example.com" },
      { ...event, event_id: "evt_2", email: "bo@example.com" },
    ]);
  });

  it("keeps an unusable address for the record: resolved through the subject id, or refused as invalid_email", () => {
    const ignored: string[] = [];
    expect(validEvents([{ ...event, email: "not an address", subject_id: "u1" }], ignored)).toEqual([
      { ...event, subject_id: "u1", unusable_email: "not an address" },
    ]);
    expect(ignored).toEqual([expect.stringContaining("resolving subject u1 through the directory instead")]);
    expect(validEvents([{ ...event, email: "not an address" }], [])).toEqual([
      { ...event, unusable_email: "not an address", refusal: { status: "invalid_email", detail: expect.stringContaining('"not an address"') } },
    ]);
  });

  it("reports what names no person or breaks the shared bounds, and keeps the rest of the batch", () => {
    const ignored: string[] = [];
    const kept = validEvents([{ ...event }, { ...event, event_id: "", email: "a@example.com" }, { ...event, subject_id: "u2" }], ignored);
    expect(kept).toEqual([{ ...event, subject_id: "u2" }]);
    expect(ignored).toEqual([expect.stringContaining("names no person"), expect.stringContaining("not usable")]);
  });
});

describe("observedIdentity", () => {
  it("pairs a subject id with a usable address under the event's id, and nothing else", () => {
    expect(observedIdentity("evt_1", "u1", "Ana@Example.com")).toEqual([{ event_id: "evt_1", subject_id: "u1", email: "ana@example.com" }]);
    expect(observedIdentity("evt_1", "u1", "not an address")).toEqual([]);
    expect(observedIdentity("evt_1", "", "ana@example.com")).toEqual([]);
    expect(observedIdentity("evt_1", 7, "ana@example.com")).toEqual([]);
  });
});

// The IdP's own event time, kept on the record for the offboarding report (issue #23).
describe("payloadInstant", () => {
  const at = Date.parse("2026-11-27T10:00:00.000Z");
  it.each([
    ["ISO 8601 (Okta published, WorkOS created_at)", "2026-11-27T10:00:00.000Z", "ms", at],
    ["ISO 8601 with microseconds (ZITADEL)", "2026-11-27T10:00:00.000000Z", "ms", at],
    ["epoch ms (Keycloak time, Clerk timestamp)", at, "ms", at],
    ["epoch seconds (a SET's iat)", at / 1000, "s", at],
    ["absent", undefined, "ms", undefined],
    ["not a time", "yesterday", "ms", undefined],
    ["seconds read as ms (before 2000: a unit mistaken)", at / 1000, "ms", undefined],
    ["ms read as seconds (after 2200)", at, "s", undefined],
  ] as const)("%s", (_name, value, unit, expected) => {
    expect(payloadInstant(value, unit)).toBe(expected);
  });
});
