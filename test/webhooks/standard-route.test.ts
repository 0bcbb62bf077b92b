import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TEST_ACCOUNT_ID, TEST_CF_API_TOKEN, TEST_STANDARD_SECRET_NEXT, TEST_ZONE_ID } from "../helpers/bindings";
import { installFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import {
  deprovisioned,
  ledgerStub,
  operatorFetch,
  revocationTotal,
  sendStandardDelivery,
  signedStandardDelivery,
  uniqueEmail,
  waitForIdleLedger,
  workerFetch,
} from "../helpers/worker";

let cloudflare: ReturnType<typeof installFakeCloudflare>;
beforeEach(() => {
  cloudflare = installFakeCloudflare();
});
afterEach(async () => {
  await waitForIdleLedger();
  cloudflare.restore();
});

async function recordOf(id: string) {
  const response = await operatorFetch(`/v1/revocations/${id}`);
  return (await response.json()) as { status: string; results: { target: string; http_status: number }[] };
}

describe("POST /webhooks/standard", () => {
  it("revokes a signed deprovisioning event once per configured target and records it revoked", async () => {
    const email = uniqueEmail("leaver");
    const response = await sendStandardDelivery(await signedStandardDelivery(deprovisioned(email, { user_uid: "u-1" })));
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { id: string; status: string };
    expect(accepted.status).toBe("queued");
    expect(accepted.id).toMatch(/^rev_[0-9a-f]{32}$/);

    const record = await waitFor(async () => {
      const current = await recordOf(accepted.id);
      return current.status === "revoked" && current;
    });
    expect(record.results.map((result) => [result.target, result.http_status])).toEqual([
      [`accounts/${TEST_ACCOUNT_ID}`, 200],
      [`zones/${TEST_ZONE_ID}`, 200],
    ]);
    const calls = cloudflare.callsFor(email);
    expect(calls.map((call) => call.path).sort()).toEqual([
      `/accounts/${TEST_ACCOUNT_ID}/access/organizations/revoke_user`,
      `/zones/${TEST_ZONE_ID}/access/organizations/revoke_user`,
    ]);
    for (const call of calls) {
      expect(call.devices).toBe("true");
      expect(call.body).toEqual({ email, user_uid: "u-1" });
      expect(call.authorization).toBe(`Bearer ${TEST_CF_API_TOKEN}`);
    }

    const audit = await waitFor(async () => {
      const listed = await env.AUDIT_LOG.list({ prefix: `email:${email}:` });
      return listed.keys.length > 0 && listed;
    });
    expect(audit.keys[0]!.metadata).toMatchObject({ status: "revoked", id: accepted.id, source: "standard" });
  });

  // Emails are lower-cased whole, local part included: the record keeps the address as the sender spelled it.
  it("sends and keys the lower-cased address, and keeps the one received beside it in the record and the audit entry", async () => {
    const email = uniqueEmail("mixed-case");
    const spelled = ` ${email.replace("mixed-case", "Mixed-Case").replace("example.com", "Example.COM")} `;
    const response = await sendStandardDelivery(await signedStandardDelivery(deprovisioned(spelled)));
    const { id } = (await response.json()) as { id: string };
    const record = await waitFor(async () => {
      const current = (await (await operatorFetch(`/v1/revocations/${id}`)).json()) as { status: string; email: string; email_as_received: string };
      return current.status === "revoked" && current;
    });
    expect(record).toMatchObject({ email, email_as_received: spelled.trim() });
    expect(cloudflare.callsFor(email).map((call) => call.body.email)).toEqual([email, email]);
    const entry = await waitFor(async () => {
      const listed = await env.AUDIT_LOG.list({ prefix: `email:${email}:` });
      return listed.keys[0] && (await env.AUDIT_LOG.get(listed.keys[0].name, "json"));
    });
    expect(entry).toMatchObject({ id, email, email_as_received: spelled.trim() });
  });

  it("keeps the address an operator typed beside the lower-cased one", async () => {
    const email = uniqueEmail("operator-case");
    const typed = email.toUpperCase();
    const response = await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email: typed }) });
    expect(await response.json()).toMatchObject({ email, email_as_received: typed });
  });

  it("answers a replayed webhook-id with the same id, duplicate: true, and no second revocation", async () => {
    const email = uniqueEmail("replayed");
    const delivery = await signedStandardDelivery(deprovisioned(email));
    const first = (await (await sendStandardDelivery(delivery)).json()) as { id: string };
    await waitFor(async () => (await recordOf(first.id)).status === "revoked");
    const again = await sendStandardDelivery(delivery);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ id: first.id, status: "revoked", duplicate: true });
    expect(cloudflare.callsFor(email)).toHaveLength(2);
  });

  it("accepts the Svix header names and a rotated secret", async () => {
    const email = uniqueEmail("svix");
    const delivery = await signedStandardDelivery(deprovisioned(email), { secret: TEST_STANDARD_SECRET_NEXT });
    const headers = {
      "content-type": "application/json",
      "svix-id": delivery.headers["webhook-id"]!,
      "svix-timestamp": delivery.headers["webhook-timestamp"]!,
      "svix-signature": delivery.headers["webhook-signature"]!,
    };
    const response = await sendStandardDelivery({ body: delivery.body, headers });
    expect(response.status).toBe(202);
  });

  it("ignores other signed event types with 200", async () => {
    const response = await sendStandardDelivery(await signedStandardDelivery({ type: "user.created", data: { email: "new@example.com" } }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ignored: true, reason: "event type user.created is not user.deprovisioned" });
  });

  it.each([
    ["not JSON", "{not json", "malformed_json"],
    ["no type", JSON.stringify({ data: { email: "a@example.com" } }), "invalid_request"],
    ["no email", JSON.stringify({ type: "user.deprovisioned", data: {} }), "invalid_request"],
    ["data not an object", JSON.stringify({ type: "user.deprovisioned", data: "x" }), "invalid_request"],
  ])("answers 400 for a signed body with %s, and records nothing", async (_case, body, code) => {
    const before = await revocationTotal();
    const response = await sendStandardDelivery(await signedStandardDelivery(null, { body }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    expect(await revocationTotal()).toBe(before);
  });

  // Regression: an unusable address was answered 400 and left nothing in the ledger, while hmac and
  // Google record invalid_email and WorkOS unresolved; a verified delivery naming someone is always recorded.
  it.each([
    ["an address that is no email", "Not-An-Email", "not-an-email", "Not-An-Email"],
    ["a number", 42, "42", "42"],
  ])("records a signed event whose email is %s as invalid_email, listed with the address as sent", async (_case, email, recorded, asReceived) => {
    const response = await sendStandardDelivery(await signedStandardDelivery(deprovisioned(email as string)));
    expect(response.status).toBe(202);
    const receipt = (await response.json()) as { id: string; status: string };
    expect(receipt.status).toBe("invalid_email");
    const record = (await (await operatorFetch(`/v1/revocations/${receipt.id}`)).json()) as Record<string, unknown>;
    expect(record).toMatchObject({
      source: "standard",
      status: "invalid_email",
      email: recorded,
      email_as_received: asReceived,
      last_error: expect.stringContaining("cannot be used"),
    });
    expect(cloudflare.calls).toHaveLength(0);
  });

  it("answers 413 for a body over 64 KiB before verifying it", async () => {
    const body = JSON.stringify({ type: "user.deprovisioned", data: { email: "big@example.com" }, pad: "x".repeat(70_000) });
    const response = await sendStandardDelivery(await signedStandardDelivery(null, { body }));
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
  });

  it("answers 404 for an unknown source", async () => {
    const response = await workerFetch("/webhooks/nosuchidp", { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "unknown webhook source" } });
  });

  it("answers 401 with a generic message and counts the precise reason in the ledger, not one KV write per forgery", async () => {
    const kvWrites = vi.spyOn(env.AUDIT_LOG, "put");
    const stats = async () =>
      ((await (await operatorFetch("/v1/stats")).json()) as { rejections: { by_reason: { source: string; reason: string; count: number }[] } })
        .rejections.by_reason;
    const countOf = async () => (await stats()).find((row) => row.source === "standard" && row.reason === "signature_mismatch")?.count ?? 0;
    const before = await countOf();
    try {
      for (let i = 0; i < 25; i++) {
        const delivery = await signedStandardDelivery(deprovisioned(uniqueEmail("forged")), { secret: "whsec_d3Jvbmcgc2VjcmV0" });
        const response = await sendStandardDelivery(delivery);
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({ error: { code: "invalid_signature", message: "the delivery could not be verified" } });
      }
      // The first refusal of a reason is reported at once; later ones ride with the isolate's next report.
      await waitFor(async () => (await countOf()) > before, 5000, "the rejection count");
      expect(kvWrites).not.toHaveBeenCalled();
    } finally {
      kvWrites.mockRestore();
    }
  });

  it("writes one audit entry per closed hour of refusals, with counts by source and reason", async () => {
    const hourAgo = Math.floor((Date.now() - 3_600_000) / 3_600_000) * 3_600_000;
    await runInDurableObject(ledgerStub(), async (_instance, state) => {
      state.storage.sql.exec(
        "INSERT INTO rejections (period_start, source, reason, count, first_at, last_at) VALUES (?, 'standard', 'stale_timestamp', 41000, ?, ?)",
        hourAgo,
        hourAgo + 1,
        hourAgo + 2,
      );
    });
    await ledgerStub().reconcile();
    const listed = (await (await operatorFetch("/v1/audit?rejected=true")).json()) as { entries: { key: string; at: string; status: string }[] };
    const entry = listed.entries.find((candidate) => candidate.at === new Date(hourAgo).toISOString());
    expect(entry).toMatchObject({ status: expect.stringContaining("stale_timestamp:41000") });
    const value = (await env.AUDIT_LOG.get(entry!.key, "json")) as { total: number };
    expect(value.total).toBeGreaterThanOrEqual(41000);
    // Written once: a second reconcile adds no entry for that hour.
    await ledgerStub().reconcile();
    const again = (await (await operatorFetch("/v1/audit?rejected=true")).json()) as { entries: { at: string }[] };
    expect(again.entries.filter((candidate) => candidate.at === new Date(hourAgo).toISOString())).toHaveLength(1);
  });
});
