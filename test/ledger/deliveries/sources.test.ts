// Every source's liveness in GET /v1/stats (`sources`): each configured source listed, with nulls until it
// delivers; its last accepted delivery noted whether it committed (in its transaction) or not (a handshake, an
// ignored event, a SCIM read: reported in the background); its last refused one from the rejection counts.
// Deliveries are the documented shapes the provider tests use: Standard Webhooks' signed user.deprovisioned,
// Okta's event hook verification challenge (developer.okta.com/docs/concepts/event-hooks), RFC 7644 SCIM,
// an SSF 1.0 §8.1.4 verification SET (test/fixtures/ssf/README.md).
import { describe, expect, it } from "vitest";
import verification from "../../fixtures/ssf/ssf-verification.json";
import { TEST_SCIM_TOKEN, TEST_SECRETS } from "../../helpers/bindings";
import { useFakeCloudflare } from "../../helpers/fake-cloudflare";
import { LocalTransmitter } from "../../helpers/ssf-transmitter";
import { waitFor } from "../../helpers/wait";
import {
  deprovisioned,
  operatorFetch,
  sendStandardDelivery,
  sendWebhook,
  settleLedger,
  signedStandardDelivery,
  uniqueEmail,
  workerFetch,
} from "../../helpers/worker";

const fake = useFakeCloudflare(settleLedger);

type Source = { last_accepted_at: string | null; last_refused_at: string | null; silent: boolean; connection?: unknown };

async function sources(): Promise<Record<string, Source>> {
  return ((await (await operatorFetch("/v1/stats")).json()) as { sources: Record<string, Source> }).sources;
}

/** Waits until `source`'s `field` is at or after `since` (a background report lands within a moment). */
async function noted(source: string, field: "last_accepted_at" | "last_refused_at", since: number): Promise<string> {
  let seen: string | null = null;
  return waitFor(
    async () => {
      seen = (await sources())[source]?.[field] ?? null;
      return seen !== null && Date.parse(seen) >= since - 1000 && seen;
    },
    5_000,
    () => `${source}.${field} at or after ${new Date(since).toISOString()} (it is ${seen})`,
  );
}

describe("GET /v1/stats sources", () => {
  it("lists every configured source by the name its deliveries are recorded under, each with its two times", async () => {
    const listed = await sources();
    expect(Object.keys(listed).sort()).toEqual(
      [
        "clerk",
        "google",
        "hmac",
        "keycloak",
        "okta",
        "scim",
        "ssf-acme",
        "ssf-acme-cc",
        "ssf-guarded",
        "ssf-polled",
        "standard",
        "workos",
        "zitadel",
      ].sort(),
    );
    for (const view of Object.values(listed)) {
      expect(view).toMatchObject({ last_accepted_at: expect.toBeOneOf([null, expect.any(String)]), silent: false, silence_threshold_hours: null });
      expect(view).not.toHaveProperty("connection");
    }
  });

  it("notes a committed delivery in its own transaction", async () => {
    const before = Date.now();
    const response = await sendStandardDelivery(await signedStandardDelivery(deprovisioned(uniqueEmail("live"))));
    expect(response.status).toBe(202);
    // No wait: the commit and the note are one transaction, done before the 202.
    expect(Date.parse((await sources()).standard!.last_accepted_at!)).toBeGreaterThanOrEqual(before - 1000);
  });

  it("notes a verified delivery that commits nothing (Okta's verification challenge) in the background", async () => {
    const before = Date.now();
    const answer = await sendWebhook("okta", { Authorization: TEST_SECRETS.okta, "X-Okta-Verification-Challenge": "live-check" }, "", "GET");
    expect(answer.status).toBe(200);
    await noted("okta", "last_accepted_at", before);
  });

  it("notes a refused delivery from the rejection counts", async () => {
    const before = Date.now();
    const delivery = await signedStandardDelivery(deprovisioned(uniqueEmail("forged")), { secret: "whsec_d3JvbmcgdGVzdCBzZWNyZXQgb2YgMzIgYnl0ZXMh" });
    expect((await sendWebhook("workos", delivery.headers, delivery.body)).status).toBe(401);
    await noted("workos", "last_refused_at", before);
  });

  it("notes SCIM: a read accepted in the background, a wrong token refused", async () => {
    const before = Date.now();
    const read = await workerFetch("/scim/v2/Users?count=1", { headers: { Authorization: `Bearer ${TEST_SCIM_TOKEN}` } });
    expect(read.status).toBe(200);
    await noted("scim", "last_accepted_at", before);
    const refused = await workerFetch("/scim/v2/Users", { headers: { Authorization: "Bearer not-the-scim-token" } });
    expect(refused.status).toBe(401);
    await noted("scim", "last_refused_at", before);
  });

  it("notes an SSF transmitter's SET under ssf-<name>", async () => {
    const transmitter = await LocalTransmitter.create({ now: Date.now() });
    fake().serveOtherOrigins(transmitter.fetch);
    const before = Date.now();
    const set = await transmitter.sign(transmitter.claims({ sub_id: verification.sub_id, events: verification.events }));
    const pushed = await workerFetch("/ssf/acme", { method: "POST", headers: { "content-type": "application/secevent+jwt" }, body: set });
    expect(pushed.status).toBe(202);
    expect(Date.parse((await sources())["ssf-acme"]!.last_accepted_at!)).toBeGreaterThanOrEqual(before - 1000);
  });
});
