import { describe, expect, it } from "vitest";
import { matchesFilter, parseFilter, ScimFilterError } from "../../src/domain/scim/filter";

const user = {
  id: "2819c223",
  externalId: "Ext-1",
  userName: "Bjensen@Example.com",
  active: true,
  name: { familyName: "Jensen", givenName: "Barbara" },
  emails: [
    { value: "bjensen@example.com", type: "work", primary: true },
    { value: "babs@jensen.org", type: "home" },
  ],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { employeeNumber: "701984", manager: { value: "26118915" } },
  meta: { created: "2026-01-23T04:56:22Z", lastModified: "2026-05-13T04:42:34Z" },
};

describe("SCIM filters (RFC 7644 §3.4.2.2)", () => {
  it.each([
    ['userName eq "bjensen@example.com"', true],
    ['USERNAME EQ "BJENSEN@EXAMPLE.COM"', true],
    ['userName ne "bjensen@example.com"', false],
    ['userName co "jensen"', true],
    ['userName sw "bj"', true],
    ['userName ew "example.com"', true],
    ["userName sw O", false],
    ["name.FamilyName eq Jensen", true],
    ['name.familyName eq "jensen" and (emails.value co example.org or emails.value co jensen.org)', true],
    ['emails[type eq "work" and value co "@example.com"]', true],
    ['emails[type eq "work"].value eq "babs@jensen.org"', false],
    ['emails[type eq "home"].value eq "babs@jensen.org"', true],
    ["title pr", false],
    ["name pr", true],
    ['not (userName eq "x")', true],
    ["active eq true", true],
    ['active eq "True"', true],
    ["meta.Created gt 2015-10-10T14:38:21.8617979-07:00", true],
    ['meta.lastModified lt "2026-01-01T00:00:00Z"', false],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"', true],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915"', true],
    ['externalId eq "ext-1"', false], // caseExact
    ['externalId eq "Ext-1"', true],
    ['id eq "2819C223"', false],
  ])("%s → %s", (filter, expected) => {
    expect(matchesFilter(user, parseFilter(filter))).toBe(expected);
  });

  it.each([
    "userName eq",
    'userName zz "x"',
    '(userName eq "x"',
    'userName eq "x" and',
    'emails[type eq "work"',
    '"x" eq userName',
    "",
    'userName eq "unterminated',
  ])("rejects %j", (filter) => {
    expect(() => parseFilter(filter)).toThrow(ScimFilterError);
  });
});
