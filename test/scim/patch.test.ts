import { describe, expect, it } from "vitest";
import { applyPatch, ScimPatchError } from "../../src/domain/scim/patch";
import { coerceActive } from "../../src/domain/scim/resource";

const base = () => ({
  userName: "a@example.com",
  active: true,
  name: { givenName: "A", familyName: "B" },
  emails: [{ value: "a@example.com", type: "work", primary: true }],
});

describe("SCIM PATCH as IdPs send it", () => {
  it("Okta: path-less replace with an object", () => {
    expect(applyPatch(base(), [{ op: "replace", value: { active: false } }]).active).toBe(false);
  });

  it('Entra: capitalised op and "False" string, coerced to a boolean', () => {
    expect(coerceActive(applyPatch(base(), [{ op: "Replace", path: "active", value: "False" }])).active).toBe(false);
  });

  it("Entra: dotted keys and enterprise-extension URN paths", () => {
    const patched = applyPatch(base(), [
      { op: "Add", value: { "name.givenName": "Alice" } },
      { op: "add", path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", value: "42" },
      { op: "replace", path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", value: { value: "m-1" } },
    ]);
    expect(patched.name).toEqual({ givenName: "Alice", familyName: "B" });
    expect(patched["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]).toEqual({ employeeNumber: "42", manager: { value: "m-1" } });
  });

  it("value paths: replace a sub-attribute, create the element when missing, remove matching elements", () => {
    let patched = applyPatch(base(), [{ op: "replace", path: 'emails[type eq "work"].value', value: "new@example.com" }]);
    expect(patched.emails).toEqual([{ value: "new@example.com", type: "work", primary: true }]);
    patched = applyPatch(patched, [{ op: "add", path: 'emails[type eq "home"].value', value: "home@example.com" }]);
    expect(patched.emails).toHaveLength(2);
    patched = applyPatch(patched, [{ op: "remove", path: 'emails[type eq "home"]' }]);
    expect(patched.emails).toEqual([{ value: "new@example.com", type: "work", primary: true }]);
  });

  it("group members: add objects or bare strings without duplicates, remove by filter, remove all", () => {
    let group: Record<string, unknown> = { displayName: "G", members: [] };
    group = applyPatch(group, [{ op: "add", path: "members", value: [{ value: "u1" }, { value: "u2" }] }]);
    group = applyPatch(group, [
      { op: "add", path: "members", value: "u2" },
      { op: "add", path: "members", value: "u3" },
    ]);
    expect(group.members).toEqual([{ value: "u1" }, { value: "u2" }, { value: "u3" }]);
    group = applyPatch(group, [{ op: "remove", path: 'members[value eq "u2"]' }]);
    expect(group.members).toEqual([{ value: "u1" }, { value: "u3" }]);
    group = applyPatch(group, [{ op: "remove", path: "members" }]);
    expect(group).not.toHaveProperty("members");
  });

  it.each([
    [{ op: "move", path: "active", value: false }, "invalidSyntax"],
    [{ op: "remove" }, "noTarget"],
    [{ op: "replace", value: "not an object" }, "invalidValue"],
    [{ op: "replace", path: 'emails[type eq "work"', value: "x" }, "invalidPath"],
  ])("rejects %o as %s", (operation, scimType) => {
    try {
      applyPatch(base(), [operation]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ScimPatchError);
      expect((error as ScimPatchError).scimType).toBe(scimType);
    }
  });

  it("never mutates the stored resource", () => {
    const stored = base();
    applyPatch(stored, [{ op: "replace", path: "active", value: false }]);
    expect(stored.active).toBe(true);
  });
});
