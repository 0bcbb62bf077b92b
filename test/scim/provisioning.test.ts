// The provisioning conversations Okta and Microsoft Entra ID have with a SCIM app, step by step, against
// the real Worker and ledger; deactivations must revoke exactly once per email per target.
import { describe, expect, it } from "vitest";
import { TEST_SCIM_TOKEN } from "../helpers/bindings";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { operatorFetch, revocationsFor, revocationTotal, settleLedger, uniqueEmail, waitForIdleLedger, workerFetch } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);

type Scim = Record<string, unknown> & { id: string };

function scim(path: string, init: RequestInit & { json?: unknown } = {}, token = TEST_SCIM_TOKEN) {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${token}`);
  if (init.json !== undefined) headers.set("Content-Type", "application/scim+json");
  return workerFetch(`/scim/v2${path}`, { ...init, headers, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
}

function newUser(email: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName: email,
    name: { givenName: "Test", familyName: "Person" },
    emails: [{ primary: true, value: email, type: "work" }],
    displayName: "Test Person",
    active: true,
    password: "never-stored-1!",
    ...extra,
  };
}

/** Lets the drain run, then returns how many Cloudflare calls went out for the email. */
async function callsAfterDrain(email: string) {
  await waitForIdleLedger();
  return fake().callsFor(email).length;
}

describe("Okta's provisioning sequence (custom SCIM app)", () => {
  it("check the user does not exist → create → get → update by PUT → deactivate by PUT → second identical PUT → reactivate", async () => {
    const email = uniqueEmail("okta-scim");
    // 1. Okta looks the user up by userName before creating.
    const lookup = await scim(`/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}&startIndex=1&count=100`);
    expect(lookup.status).toBe(200);
    expect(lookup.headers.get("Content-Type")).toContain("application/scim+json");
    expect(await lookup.json()).toMatchObject({ totalResults: 0, Resources: [] });

    // 2. Create: 201 with Location; the password is neither stored nor echoed.
    const created = await scim("/Users", { method: "POST", json: newUser(email) });
    expect(created.status).toBe(201);
    const user = (await created.json()) as Scim;
    expect(created.headers.get("Location")).toBe(`https://revoker.test/scim/v2/Users/${user.id}`);
    expect(JSON.stringify(user)).not.toContain("never-stored");

    // 3. Get by id.
    expect(((await (await scim(`/Users/${user.id}`)).json()) as Scim).userName).toBe(email);

    // 4. Profile update by PUT (Okta's wizard updates only by PUT).
    const updated = await scim(`/Users/${user.id}`, {
      method: "PUT",
      json: newUser(email, { name: { givenName: "Renamed", familyName: "Person" } }),
    });
    expect(updated.status).toBe(200);
    expect(await callsAfterDrain(email)).toBe(0);

    // 5. Deactivate by PUT active: false → exactly one revocation per target.
    expect((await scim(`/Users/${user.id}`, { method: "PUT", json: newUser(email, { active: false }) })).status).toBe(200);
    const [revocation] = await revocationsFor(email);
    expect(revocation).toMatchObject({ source: "scim", status: "revoked", subject_id: user.id, event_type: "scim.deactivate" });
    expect(await callsAfterDrain(email)).toBe(2);

    // 6. The same deactivation again causes none.
    expect((await scim(`/Users/${user.id}`, { method: "PUT", json: newUser(email, { active: false }) })).status).toBe(200);
    expect(await callsAfterDrain(email)).toBe(2);

    // 7. Reactivation never un-revokes, and revokes nothing.
    expect((await scim(`/Users/${user.id}`, { method: "PUT", json: newUser(email, { active: true }) })).status).toBe(200);
    expect(await callsAfterDrain(email)).toBe(2);
    expect(await revocationsFor(email)).toHaveLength(1);
  });

  it("deactivates with a path-less PATCH (Okta's PATCH form) and revokes userName too when it is a different email", async () => {
    const [email, login] = [uniqueEmail("okta-primary"), uniqueEmail("okta-login")];
    const user = (await (
      await scim("/Users", { method: "POST", json: newUser(login, { emails: [{ primary: true, value: email, type: "work" }] }) })
    ).json()) as Scim;
    const patched = await scim(`/Users/${user.id}`, {
      method: "PATCH",
      json: { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { active: false } }] },
    });
    expect(patched.status).toBe(204);
    expect((await revocationsFor(email))[0]!.status).toBe("revoked");
    expect((await revocationsFor(login))[0]!.status).toBe("revoked");
    expect(await callsAfterDrain(email)).toBe(2);
    expect(await callsAfterDrain(login)).toBe(2);
  });
});

describe("field fixes (issue #9)", () => {
  const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

  it.each([
    ["a URN-qualified path", [{ op: "replace", path: "urn:ietf:params:scim:schemas:core:2.0:User:active", value: false }]],
    ["a path-less value keyed by the core URN", [{ op: "replace", value: { "urn:ietf:params:scim:schemas:core:2.0:User": { active: false } } }]],
    ["a path-less value with a URN-qualified key", [{ op: "replace", value: { "urn:ietf:params:scim:schemas:core:2.0:User:active": false } }]],
  ])("deactivates through %s (RFC 7644 §3.10 attribute notation), revoking once", async (_case, operations) => {
    const email = uniqueEmail("scim-urn");
    const user = (await (await scim("/Users", { method: "POST", json: newUser(email) })).json()) as Scim;
    const patched = await scim(`/Users/${user.id}`, { method: "PATCH", json: { schemas: [PATCH_OP], Operations: operations } });
    expect(patched.status).toBe(204);
    expect((await (await scim(`/Users/${user.id}`)).json()) as Scim).toMatchObject({ active: false });
    expect((await revocationsFor(email))[0]!.status).toBe("revoked");
    expect(await callsAfterDrain(email)).toBe(2);
  });

  it("finds a user by a URN-qualified filter attribute", async () => {
    const email = uniqueEmail("scim-urn-filter");
    await scim("/Users", { method: "POST", json: newUser(email) });
    const filter = `urn:ietf:params:scim:schemas:core:2.0:User:userName eq "${email}"`;
    expect(await (await scim(`/Users?filter=${encodeURIComponent(filter)}`)).json()).toMatchObject({ totalResults: 1 });
  });

  it("revokes every email the directory holds for the user, including an address changed earlier, each once", async () => {
    const [old, current] = [uniqueEmail("scim-old-address"), uniqueEmail("scim-new-address")];
    const user = (await (await scim("/Users", { method: "POST", json: newUser(old) })).json()) as Scim;
    const moved = await scim(`/Users/${user.id}`, { method: "PUT", json: newUser(current) });
    expect(moved.status).toBe(200);
    const deactivated = await scim(`/Users/${user.id}`, {
      method: "PATCH",
      json: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] },
    });
    expect(deactivated.status).toBe(204);
    expect((await revocationsFor(old)).map((record) => record.status)).toEqual(["revoked"]);
    expect((await revocationsFor(current)).map((record) => record.status)).toEqual(["revoked"]);
    expect(await callsAfterDrain(old)).toBe(2);
    expect(await callsAfterDrain(current)).toBe(2);
  });

  it("leaves an invalid_email record when a deactivated user has no usable email", async () => {
    const login = `no-email-${crypto.randomUUID().slice(0, 8)}`;
    const user = (await (
      await scim("/Users", {
        method: "POST",
        json: { ...newUser("x@example.com"), userName: login, emails: [{ primary: true, value: "not an address" }] },
      })
    ).json()) as Scim;
    expect((await scim(`/Users/${user.id}`, { method: "DELETE" })).status).toBe(204);
    const listed = (await (await operatorFetch("/v1/revocations?status=invalid_email&limit=100")).json()) as {
      records: { subject_id: string; source: string; last_error: string }[];
    };
    expect(listed.records.find((record) => record.subject_id === user.id)).toMatchObject({
      source: "scim",
      last_error: expect.stringContaining("no usable email"),
    });
  });

  it.each([
    ["a top-level password", { password: "leak-1" }],
    ["a URN-qualified password", { "urn:ietf:params:scim:schemas:core:2.0:User:password": "leak-2" }],
    ["a password nested under the core URN", { "urn:ietf:params:scim:schemas:core:2.0:User": { password: "leak-3" } }],
  ])("never stores or echoes %s, whether created, replaced or patched", async (_case, secret) => {
    const email = uniqueEmail("scim-password");
    const created = await scim("/Users", { method: "POST", json: { ...newUser(email), ...secret } });
    const user = (await created.json()) as Scim;
    expect(JSON.stringify(user)).not.toContain("leak-");
    const replaced = await scim(`/Users/${user.id}`, { method: "PUT", json: { ...newUser(email), ...secret } });
    expect(await replaced.text()).not.toContain("leak-");
    const [[path, value]] = Object.entries(secret) as [[string, unknown]];
    for (const operation of [
      { op: "replace", path, value },
      { op: "replace", value: secret },
      { op: "add", value: { "urn:ietf:params:scim:schemas:core:2.0:User": { password: "leak-4" } } },
    ]) {
      const patched = await scim(`/Users/${user.id}?attributes=userName,password`, {
        method: "PATCH",
        json: { schemas: [PATCH_OP], Operations: [operation] },
      });
      expect(patched.status).toBe(200);
      expect(await patched.text()).not.toContain("leak-");
    }
    expect(await (await scim(`/Users/${user.id}`)).text()).not.toContain("leak-");
  });

  it.each([
    [
      "thousands of nested parentheses",
      () => scim(`/Users?filter=${encodeURIComponent(`${"(".repeat(3000)}userName eq "x"${")".repeat(3000)}`)}`),
      "invalidFilter",
    ],
    ["a filter longer than 4 KiB", () => scim(`/Users?filter=${encodeURIComponent(`userName eq "${"x".repeat(5000)}"`)}`), "invalidFilter"],
    [
      "very deep JSON",
      () =>
        scim("/Users", { method: "POST", body: `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`, headers: { "Content-Type": "application/scim+json" } }),
      "invalidSyntax",
    ],
    [
      "deep JSON in a PATCH value",
      async () => {
        const user = (await (await scim("/Users", { method: "POST", json: newUser(uniqueEmail("deep")) })).json()) as Scim;
        return scim(`/Users/${user.id}`, {
          method: "PATCH",
          body: `{"Operations":[{"op":"add","path":"x","value":${"[".repeat(3000)}${"]".repeat(3000)}}]}`,
          headers: { "Content-Type": "application/scim+json" },
        });
      },
      "invalidSyntax",
    ],
    [
      "a deep PATCH path",
      async () => {
        const user = (await (await scim("/Users", { method: "POST", json: newUser(uniqueEmail("deep-path")) })).json()) as Scim;
        return scim(`/Users/${user.id}`, {
          method: "PATCH",
          json: { Operations: [{ op: "replace", path: Array.from({ length: 2000 }, () => "a").join("."), value: 1 }] },
        });
      },
      "invalidPath",
    ],
  ])("answers %s with a 400 SCIM error, never a 500", async (_case, send, scimType) => {
    const response = await send();
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "400", scimType });
  });

  it("answers a startIndex past the end with an empty page that echoes it, not a 500", async () => {
    const response = await scim(`/Users?startIndex=${Number.MAX_SAFE_INTEGER}&count=5`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ Resources: [], itemsPerPage: 0, startIndex: Number.MAX_SAFE_INTEGER });
  });

  // RFC 7644 §3.4.2.4: below 1 is read as 1, a negative count as 0 (totalResults only).
  it.each([
    ["startIndex=-5&count=1", { startIndex: 1, itemsPerPage: 1 }],
    ["startIndex=0&count=1", { startIndex: 1, itemsPerPage: 1 }],
    ["startIndex=%2B1&count=1", { startIndex: 1, itemsPerPage: 1 }],
    ["count=-3", { startIndex: 1, itemsPerPage: 0, Resources: [] }],
  ])("reads the page parameters %s as RFC 7644 says", async (query, expected) => {
    await scim("/Users", { method: "POST", json: newUser(uniqueEmail("paging")) });
    const response = await scim(`/Users?${query}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject(expected);
  });

  // Regression: a startIndex past 2^53 (or "12abc") was read as 1 (or 12) and answered with page 1.
  it.each([
    ["startIndex", "1 and 400 zeros", `1${"0".repeat(400)}`],
    ["startIndex", "10^20", "100000000000000000000"],
    ["startIndex", "2^53 + 1", "9007199254740993"],
    ["startIndex", "12abc", "12abc"],
    ["startIndex", "1.5", "1.5"],
    ["startIndex", "empty", ""],
    ["count", "-1 and 400 zeros", `-1${"0".repeat(400)}`],
    ["count", "ten", "ten"],
    ["count", "1e3", "1e3"],
  ])("answers %s %s, which is no representable integer, with 400 invalidValue", async (name, _label, value) => {
    const response = await scim(`/Users?${name}=${encodeURIComponent(value)}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ status: "400", scimType: "invalidValue", detail: expect.stringContaining(name) });
  });
});

describe("Microsoft Entra ID's provisioning sequence (non-gallery app)", () => {
  it("Test Connection: a filter on a random GUID answers 200 with an empty list", async () => {
    const response = await scim(`/Users?filter=${encodeURIComponent(`userName eq "${crypto.randomUUID()}"`)}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });

  it('create → PATCH "False" string with aadOptscim062020 → second PATCH causes none → reactivate causes none', async () => {
    const email = uniqueEmail("entra");
    const created = await scim("/users?aadOptscim062020", { method: "POST", json: newUser(email, { externalId: "entra-ext-1", active: "True" }) });
    expect(created.status).toBe(201);
    const user = (await created.json()) as Scim;
    expect(user.active).toBe(true);
    const body = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "Replace", path: "active", value: "False" }] };
    expect((await scim(`/Users/${user.id}/?aadOptscim062020`, { method: "PATCH", json: body })).status).toBe(204);
    expect((await revocationsFor(email))[0]!.status).toBe("revoked");
    expect(await callsAfterDrain(email)).toBe(2);
    expect((await scim(`/Users/${user.id}?aadOptscim062020`, { method: "PATCH", json: body })).status).toBe(204);
    expect(await callsAfterDrain(email)).toBe(2);
    expect(
      (await scim(`/Users/${user.id}`, { method: "PATCH", json: { ...body, Operations: [{ op: "Replace", path: "active", value: "True" }] } }))
        .status,
    ).toBe(204);
    expect(await callsAfterDrain(email)).toBe(2);
  });

  it("deactivates with a boolean PATCH (aadOptscim062020 fixed behaviour)", async () => {
    const email = uniqueEmail("entra-bool");
    const user = (await (await scim("/Users", { method: "POST", json: newUser(email) })).json()) as Scim;
    const patched = await scim(`/Users/${user.id}?aadOptscim062020`, {
      method: "PATCH",
      json: { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] },
    });
    expect(patched.status).toBe(204);
    expect((await revocationsFor(email))[0]!.status).toBe("revoked");
    expect(await callsAfterDrain(email)).toBe(2);
  });

  it("DELETE revokes an active user once, then answers 404; deleting an already-deactivated user revokes nothing more", async () => {
    const email = uniqueEmail("entra-delete");
    const user = (await (await scim("/Users", { method: "POST", json: newUser(email) })).json()) as Scim;
    expect((await scim(`/Users/${user.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await scim(`/Users/${user.id}`)).status).toBe(404);
    expect((await revocationsFor(email))[0]).toMatchObject({ status: "revoked", event_type: "scim.delete" });
    expect(await callsAfterDrain(email)).toBe(2);

    const other = uniqueEmail("entra-deactivated-then-deleted");
    const second = (await (await scim("/Users", { method: "POST", json: newUser(other) })).json()) as Scim;
    expect(
      (await scim(`/Users/${second.id}`, { method: "PATCH", json: { Operations: [{ op: "Replace", path: "active", value: false }] } })).status,
    ).toBe(204);
    expect((await scim(`/Users/${second.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await callsAfterDrain(other)).toBe(2);
  });

  it("groups: create, filter by displayName, PATCH members, exclude members, delete; removal from a group revokes nothing", async () => {
    const email = uniqueEmail("grouped");
    const user = (await (await scim("/Users", { method: "POST", json: newUser(email) })).json()) as Scim;
    const name = `Group ${crypto.randomUUID()}`;
    const group = (await (
      await scim("/Groups", { method: "POST", json: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: name } })
    ).json()) as Scim;
    const add = {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "Add", path: "members", value: [{ value: user.id }] }],
    };
    expect((await scim(`/Groups/${group.id}`, { method: "PATCH", json: add })).status).toBe(204);
    const found = (await (await scim(`/Groups?filter=${encodeURIComponent(`displayName eq "${name}"`)}&excludedAttributes=members`)).json()) as {
      Resources: Scim[];
    };
    expect(found.Resources).toHaveLength(1);
    expect(found.Resources[0]).not.toHaveProperty("members");
    expect(((await (await scim(`/Groups/${group.id}`)).json()) as { members: unknown[] }).members).toEqual([{ value: user.id }]);
    expect(
      (await scim(`/Groups/${group.id}`, { method: "PATCH", json: { Operations: [{ op: "Remove", path: `members[value eq "${user.id}"]` }] } }))
        .status,
    ).toBe(204);
    expect(((await (await scim(`/Groups/${group.id}`)).json()) as { members: unknown[] }).members).toEqual([]);
    expect((await scim(`/Groups/${group.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await callsAfterDrain(email)).toBe(0);
  });
});

describe("SCIM errors", () => {
  it.each([
    ["no token", undefined],
    ["a wrong token", "wrong"],
  ])("answers 401 in the SCIM error shape to %s, and never revokes", async (_case, token) => {
    const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
    const response = await workerFetch("/scim/v2/Users", {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/scim+json" },
      body: JSON.stringify(newUser(uniqueEmail("x"))),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "401", detail: expect.any(String) });
  });

  it("409 uniqueness for a duplicate userName in another case", async () => {
    const email = uniqueEmail("dupe");
    expect((await scim("/Users", { method: "POST", json: newUser(email) })).status).toBe(201);
    const again = await scim("/Users", { method: "POST", json: newUser(email.toUpperCase()) });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ status: "409", scimType: "uniqueness" });
  });

  it.each([
    ["malformed JSON", "{", 400, "invalidSyntax"],
    ["no userName", JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], active: true }), 400, "invalidValue"],
    ["an array", "[]", 400, "invalidSyntax"],
  ])("answers %s with 400", async (_case, body, status, scimType) => {
    const response = await scim("/Users", { method: "POST", body, headers: { "Content-Type": "application/json" } });
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ status: String(status), scimType });
  });

  it("400 invalidFilter for a malformed filter, and no revocation from any of these", async () => {
    const before = await revocationTotal();
    const response = await scim(`/Users?filter=${encodeURIComponent('userName eq "x" and')}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ scimType: "invalidFilter" });
    expect(await revocationTotal()).toBe(before);
  });

  it("400 for a PATCH without Operations and for an unknown op; 404 for an unknown user; 405 on discovery writes", async () => {
    const user = (await (await scim("/Users", { method: "POST", json: newUser(uniqueEmail("patchy")) })).json()) as Scim;
    expect((await scim(`/Users/${user.id}`, { method: "PATCH", json: { schemas: [] } })).status).toBe(400);
    expect((await scim(`/Users/${user.id}`, { method: "PATCH", json: { Operations: [{ op: "explode", path: "active" }] } })).status).toBe(400);
    expect((await scim(`/Users/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await scim("/Schemas", { method: "POST", json: {} })).status).toBe(405);
  });

  it("serves discovery documents", async () => {
    const config = (await (await scim("/ServiceProviderConfig")).json()) as { patch: { supported: boolean } };
    expect(config.patch.supported).toBe(true);
    const types = (await (await scim("/ResourceTypes")).json()) as { Resources: { endpoint: string }[] };
    expect(types.Resources.map((type) => type.endpoint)).toEqual(["/Users", "/Groups"]);
    expect(await (await scim("/Schemas")).text()).toContain("User Account");
  });

  it("paginates with integer totalResults and itemsPerPage in creation order: page 2 starts at item 3", async () => {
    for (let i = 0; i < 5; i++) expect((await scim("/Users", { method: "POST", json: newUser(uniqueEmail(`page-${i}`)) })).status).toBe(201);
    const everyone = (await (await scim("/Users?startIndex=1&count=200")).json()) as { totalResults: number; Resources: Scim[] };
    expect(everyone.totalResults).toBeGreaterThanOrEqual(5);
    const first = (await (await scim("/Users?startIndex=1&count=2")).json()) as {
      totalResults: number;
      itemsPerPage: number;
      startIndex: number;
      Resources: Scim[];
    };
    const second = (await (await scim("/Users?startIndex=3&count=2")).json()) as { startIndex: number; itemsPerPage: number; Resources: Scim[] };
    expect(first).toMatchObject({ totalResults: everyone.totalResults, itemsPerPage: 2, startIndex: 1 });
    expect(second).toMatchObject({ itemsPerPage: 2, startIndex: 3 });
    expect(first.Resources.map((user) => user.id)).toEqual(everyone.Resources.slice(0, 2).map((user) => user.id));
    expect(second.Resources.map((user) => user.id)).toEqual(everyone.Resources.slice(2, 4).map((user) => user.id));
  });
});
