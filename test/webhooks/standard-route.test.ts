import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TEST_ACCOUNT_ID, TEST_CF_API_TOKEN, TEST_STANDARD_SECRET_NEXT, TEST_ZONE_ID } from "../helpers/bindings";
import { installFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import {
  deprovisioned,
  operatorFetch,
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
    const response = await sendStandardDelivery(
      await signedStandardDelivery({ type: "user.created", data: { email: "new@example.com" } }),
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ignored: true, reason: "event type user.created is not user.deprovisioned" });
  });

  it.each([
    ["not JSON", "{not json", "malformed_json"],
    ["no type", JSON.stringify({ data: { email: "a@example.com" } }), "invalid_request"],
    ["no email", JSON.stringify({ type: "user.deprovisioned", data: {} }), "invalid_request"],
    ["bad email", JSON.stringify({ type: "user.deprovisioned", data: { email: "not-an-email" } }), "invalid_request"],
    ["data not an object", JSON.stringify({ type: "user.deprovisioned", data: "x" }), "invalid_request"],
  ])("answers 400 for a signed body with %s, and calls nothing", async (_case, body, code) => {
    const response = await sendStandardDelivery(await signedStandardDelivery(null, { body }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
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

  it("answers 401 with a generic message and records the precise reason in the audit log", async () => {
    const delivery = await signedStandardDelivery(deprovisioned(uniqueEmail("forged")), { secret: "whsec_d3Jvbmcgc2VjcmV0" });
    const response = await sendStandardDelivery(delivery);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: { code: "invalid_signature", message: "the delivery could not be verified" },
    });
    const rejected = await waitFor(async () => {
      const listed = await env.AUDIT_LOG.list({ prefix: "rejected:" });
      return listed.keys.find((key) => (key.metadata as { status: string }).status === "signature_mismatch");
    });
    expect(rejected.metadata).toMatchObject({ kind: "rejected", source: "standard" });
    expect(cloudflare.calls).toHaveLength(0);
  });
});
