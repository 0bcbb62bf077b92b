// The alert receiver's faults (test/helpers/alert-receiver.ts): down, slow, refusing (404 no_service), failing
// (503), redirecting (302) and answering garbage. None slows or blocks a revocation (asserted on the ledger's
// records while the alert is still unsent); each is a sentence in /v1/stats `alerts.last_error` and a /healthz
// note, retried with backoff under the same webhook-id until the receiver answers; after every retry the alert
// is failed for good and /healthz says so.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AlertsView } from "../../src/domain/views";
import worker from "../../src/index";
import { alertBackoffMs, MAX_ATTEMPTS } from "../../src/ledger/alerts/deliver";
import { AlertReceiver, type ReceiverMode } from "../helpers/alert-receiver";
import { TEST_ALERT_URL } from "../helpers/bindings";
import { ledgerClock } from "../helpers/clock";
import { apiError, envelope, useFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import { operatorFetch, settleLedger, uniqueEmail } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);
let receiver: AlertReceiver;

beforeEach(() => {
  // An hour apart: the hourly cap never counts another test's alerts.
  ledgerClock.advance(61 * 60_000);
  receiver = new AlertReceiver(TEST_ALERT_URL);
  fake().serveOtherOrigins(receiver.fetch);
  // Cloudflare refuses (for good) every email labelled "doomed".
  fake().setAnswer((call) =>
    String(call.body.email).startsWith("doomed-") ? apiError(400, 12130, "access.api.error.invalid_request") : envelope(true),
  );
});

// Whatever a test left unsent is delivered before the next (the outbox and its figures are the file's).
afterEach(async () => {
  receiver.mode = "up";
  for (let i = 0; i < 10 && (await alerts()).pending > 0; i++) {
    ledgerClock.advance(65 * 60_000);
    await runCron();
  }
  expect((await alerts()).pending).toBe(0);
});

async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function revoke(email: string): Promise<{ id: string; status: string }> {
  const response = await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email, reason: "left" }) });
  return (await response.json()) as { id: string; status: string };
}

const alerts = async () => ((await (await operatorFetch("/v1/stats")).json()) as { alerts: AlertsView }).alerts;
const healthNotes = async () => ((await (await operatorFetch("/healthz")).json()) as { notes: string[] }).notes;

/** The alert about `email` that reached the receiver, answered or not. */
const attemptsFor = (email: string) => receiver.received.filter((alert) => alert.raw.includes(email));

const FAULTS: { mode: ReceiverMode; error: string }[] = [
  { mode: "down", error: "unreachable (TypeError: Network connection lost.)" },
  { mode: "slow", error: "no answer within 10 s" },
  { mode: "refusing", error: "HTTP 404 (no_service)" },
  { mode: "failing", error: "HTTP 503" },
  { mode: "redirecting", error: "HTTP 302: redirects are not followed, check ALERT_WEBHOOK_URL" },
];

describe("a receiver that does not take the alert", () => {
  it.each(FAULTS)("$mode: revocations go on, the error is shown, and a retry delivers it under the same id", async ({ mode, error }) => {
    receiver.mode = mode;
    const doomed = uniqueEmail("doomed");
    expect((await revoke(doomed)).status).toBe("failed");
    await waitFor(async () => attemptsFor(doomed).length === 1, 10_000, "the first attempt");

    // While the alert is unsent (in flight, when the receiver is slow), another revocation is revoked.
    const other = await revoke(uniqueEmail("meanwhile"));
    expect(other.status).toBe("revoked");
    expect((await alerts()).pending).toBeGreaterThanOrEqual(1);

    const failing = await waitFor(async () => {
      const view = await alerts();
      return view.last_error === error && view;
    }, 15_000);
    expect(failing.pending).toBe(1);
    // The URL's path (a Slack webhook's credential) is never shown.
    expect(JSON.stringify(failing)).not.toContain("alert-path-credential");
    expect(await healthNotes()).toContainEqual(
      `ALERT_WEBHOOK_URL: alerts to alerts.test cannot be delivered (last at ${failing.last_error_at}: ${error}); 1 wait and are retried; see docs/operations.md#alerts-are-not-delivered`,
    );

    receiver.mode = "up";
    ledgerClock.advance(alertBackoffMs(1));
    await runCron();
    const attempts = attemptsFor(doomed);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.headers["webhook-id"]).toBe(attempts[0]!.headers["webhook-id"]);
    expect(attempts[1]!.raw).toBe(attempts[0]!.raw);
    expect(await alerts()).toMatchObject({ pending: 0, last_sent_at: expect.any(String) });
    expect((await healthNotes()).filter((note) => note.startsWith("ALERT_WEBHOOK_URL"))).toEqual([]);
  });

  it("garbage with a 2xx is delivered: any 2xx is", async () => {
    receiver.mode = "garbage";
    const doomed = uniqueEmail("doomed");
    await revoke(doomed);
    await waitFor(async () => (await alerts()).pending === 0 && attemptsFor(doomed).length === 1);
    expect((await healthNotes()).filter((note) => note.startsWith("ALERT_WEBHOOK_URL"))).toEqual([]);
  });

  it("is tried MAX_ATTEMPTS times with backoff, then the alert failed for good is a /healthz note", async () => {
    receiver.mode = "failing";
    const doomed = uniqueEmail("doomed");
    await revoke(doomed);
    await waitFor(async () => attemptsFor(doomed).length === 1);
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt++) {
      ledgerClock.advance(alertBackoffMs(attempt));
      await runCron();
      expect(attemptsFor(doomed)).toHaveLength(attempt + 1);
    }
    expect(await alerts()).toMatchObject({ pending: 0, failed: 1, last_error: "HTTP 503" });
    expect(await healthNotes()).toContainEqual(
      "ALERT_WEBHOOK_URL: 1 alert(s) could not be delivered after every retry in the last day; see docs/operations.md#alerts-are-not-delivered",
    );
    ledgerClock.advance(24 * 60 * 60_000);
    await runCron();
    expect(attemptsFor(doomed)).toHaveLength(MAX_ATTEMPTS);
  });
});
