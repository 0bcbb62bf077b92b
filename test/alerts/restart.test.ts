// Alerts survive a restart: one queued (its first attempt failed) before the ledger's Durable Object is evicted
// is sent by the next instance, without the Cron Trigger (the constructor starts a pass). Its own file: an
// eviction needs an object no earlier test holds a reference to.
import { evictDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import type { AlertsView } from "../../src/domain/views";
import { alertBackoffMs } from "../../src/ledger/alerts/deliver";
import { AlertReceiver } from "../helpers/alert-receiver";
import { TEST_ALERT_URL } from "../helpers/bindings";
import { ledgerClock } from "../helpers/clock";
import { apiError, useFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import { ledgerStub, operatorFetch, settleLedger, uniqueEmail } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);

it("loses no alert: one queued before the Durable Object is evicted is sent by the next instance", async () => {
  const receiver = new AlertReceiver(TEST_ALERT_URL);
  fake().serveOtherOrigins(receiver.fetch);
  fake().setAnswer(() => apiError(400, 12130, "access.api.error.invalid_request"));
  receiver.mode = "down";
  const doomed = uniqueEmail("doomed");
  await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email: doomed, reason: "left" }) });
  // Its first attempt is recorded failed (then retried in 30 s): the outbox has it.
  await waitFor(async () => ((await (await operatorFetch("/v1/stats")).json()) as { alerts: AlertsView }).alerts.last_error !== null);
  await evictDurableObject(ledgerStub());

  receiver.mode = "up";
  ledgerClock.advance(alertBackoffMs(1));
  // No Cron: the new instance, made by the next request, sends what is due.
  await operatorFetch("/v1/stats");
  const delivered = await waitFor(
    async () => receiver.delivered().find((alert) => alert.raw.includes(doomed)),
    10_000,
    "the alert from the new instance",
  );
  expect(delivered.headers["webhook-id"]).toBe(receiver.received[0]!.headers["webhook-id"]);
});
