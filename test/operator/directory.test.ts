// The identity directory and unresolved revocations: an id-only deprovisioning event is never dropped.
import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../src/crypto/bytes";
import { signHmac } from "../../src/crypto/hmac";
import keycloakDelete from "../fixtures/keycloak/admin.USER-DELETE.json";
import { TEST_SECRETS } from "../helpers/bindings";
import { useFakeCloudflare } from "../helpers/fake-cloudflare";
import { operatorFetch, revocationsFor, sendWebhook, settleLedger, uniqueEmail } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);

type Listed = { records: { id: string; status: string; email: string | null; subject_id: string | null }[] };

async function keycloakDeleteFor(subject: string) {
  const body = JSON.stringify({ ...keycloakDelete, time: Date.now(), uid: crypto.randomUUID(), resourcePath: `users/${subject}` });
  const signature = toHex(await signHmac(utf8(TEST_SECRETS.keycloak), "SHA-256", utf8(body)));
  return sendWebhook("keycloak", { "X-Keycloak-Signature": signature }, body);
}

describe("id-only deprovisioning", () => {
  it("resolves through an operator's directory entry", async () => {
    const subject = crypto.randomUUID();
    const email = uniqueEmail("kc-known");
    const put = await operatorFetch(`/v1/directory/keycloak/${subject}`, { method: "PUT", body: JSON.stringify({ email }) });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ source: "keycloak", subject_id: subject, emails: [email], resolved_revocations: 0 });
    expect((await keycloakDeleteFor(subject)).status).toBe(202);
    const [record] = await revocationsFor(email);
    expect(record).toMatchObject({ status: "revoked", subject_id: subject });
    expect(fake().callsFor(email)).toHaveLength(2);
  });

  it("stays unresolved (listed, never dropped) until an import maps it, then revokes", async () => {
    const subject = crypto.randomUUID();
    const email = uniqueEmail("kc-later");
    const answer = (await (await keycloakDeleteFor(subject)).json()) as { id: string; status: string };
    expect(answer.status).toBe("unresolved");
    const listed = (await (await operatorFetch("/v1/revocations?status=unresolved&limit=100")).json()) as Listed;
    // Unresolved: no email, and no call to make until the directory knows the subject.
    expect(listed.records.find((record) => record.id === answer.id)).toMatchObject({ email: null, subject_id: subject, targets: [] });

    const csv = `subject_id,email\n${subject},${email}\nbroken-line-without-comma\n,missing@example.com\n`;
    const imported = await operatorFetch("/v1/directory/keycloak/import", { method: "POST", body: csv, headers: { "Content-Type": "text/csv" } });
    expect(await imported.json()).toEqual({
      imported: 1,
      rejected: 2,
      rejections: [
        { line: 3, reason: expect.stringContaining("email") },
        { line: 4, reason: expect.stringContaining("subject_id") },
      ],
      resolved_revocations: 1,
    });
    const [record] = await revocationsFor(email);
    expect(record).toMatchObject({ id: answer.id, status: "revoked" });
  });

  it("imports NDJSON and revokes every email a subject maps to", async () => {
    const subject = crypto.randomUUID();
    const [work, personal] = [uniqueEmail("nd-work"), uniqueEmail("nd-alias")];
    const answer = (await (await keycloakDeleteFor(subject)).json()) as { status: string };
    expect(answer.status).toBe("unresolved");
    const ndjson = [JSON.stringify({ subject_id: subject, email: work }), JSON.stringify({ subject_id: subject, email: personal }), "{not json"].join(
      "\n",
    );
    const imported = (await (await operatorFetch("/v1/directory/keycloak/import", { method: "POST", body: ndjson })).json()) as {
      imported: number;
      rejected: number;
    };
    expect(imported).toMatchObject({ imported: 2, rejected: 1 });
    expect((await revocationsFor(work))[0]!.status).toBe("revoked");
    expect((await revocationsFor(personal))[0]!.status).toBe("revoked");
  });
});

describe("/v1/directory", () => {
  it("PUT, GET and DELETE one subject; 404 after delete", async () => {
    const path = `/v1/directory/okta/00u${crypto.randomUUID().slice(0, 8)}`;
    const emails = [uniqueEmail("a"), uniqueEmail("b")].sort();
    expect((await operatorFetch(path, { method: "PUT", body: JSON.stringify({ emails }) })).status).toBe(200);
    expect(await (await operatorFetch(path)).json()).toMatchObject({ emails });
    expect((await operatorFetch(path, { method: "DELETE" })).status).toBe(204);
    expect((await operatorFetch(path)).status).toBe(404);
    expect((await operatorFetch(path, { method: "DELETE" })).status).toBe(404);
  });

  it.each([
    ["no email", {}],
    ["a bad email", { email: "nope" }],
    ["an extra field", { email: "a@example.com", admin: true }],
  ])("answers 400 to a PUT with %s", async (_case, body) => {
    const response = await operatorFetch("/v1/directory/okta/00uabc", { method: "PUT", body: JSON.stringify(body) });
    expect(response.status).toBe(400);
  });

  it("needs the operator token", async () => {
    const response = await operatorFetch("/v1/directory/okta/00uabc", {}, "wrong");
    expect(response.status).toBe(401);
  });
});
