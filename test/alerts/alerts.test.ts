// Alerts through the real Worker (the "alerts" project: ALERT_WEBHOOK_URL and ALERT_WEBHOOK_SECRET set, one
// account target, verification on, SOURCE_SILENCE_HOURS {"zitadel": 24}, 400 calls/s): each event a person
// must hear of reaches the receiver (test/helpers/alert-receiver.ts) once, signed the Standard Webhooks way
// (checked with the standardwebhooks package), naming who or what, what happened and the runbook section; a
// 500-person job's failures are one summary; past the hourly cap alerts are counted in one summary instead.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { installConnectionDeps } from "../../src/connections/deps";
import worker from "../../src/index";
import { CAP_PER_HOUR } from "../../src/ledger/alerts/deliver";
import { JOB_QUIET_MS } from "../../src/ledger/alerts/queue";
import { AlertReceiver, type ReceivedAlert } from "../helpers/alert-receiver";
import { TEST_ACCOUNT_ID, TEST_ALERT_SECRET, TEST_ALERT_URL } from "../helpers/bindings";
import { ledgerClock } from "../helpers/clock";
import { apiError, envelope, useFakeCloudflare } from "../helpers/fake-cloudflare";
import { FakeConnectionKind, fails, succeeds } from "../helpers/fake-connection";
import { waitFor } from "../helpers/wait";
import { fastForwardLedger, operatorFetch, revocationsFor, settleLedger, uniqueEmail } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);
let receiver: AlertReceiver;

beforeEach(() => {
  receiver = new AlertReceiver(TEST_ALERT_URL);
  fake().serveOtherOrigins(receiver.fetch);
});

async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function revoke(email: string) {
  const response = await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email, reason: "left" }) });
  return (await response.json()) as { id: string; status: string };
}

/** Cloudflare refuses to revoke these emails for good (HTTP 400: not a retryable answer). */
function failFor(match: (email: string) => boolean) {
  fake().setAnswer((call) => (match(String(call.body.email)) ? apiError(400, 12130, "access.api.error.invalid_request") : envelope(true)));
}

/** The Standard Webhooks reference library's verdict, at the ledger's clock (which signed the timestamp). */
function verifySigned(alert: ReceivedAlert): unknown {
  const now = vi.spyOn(Date, "now").mockReturnValue(ledgerClock.now());
  try {
    return new Webhook(TEST_ALERT_SECRET).verify(alert.raw, alert.headers);
  } finally {
    now.mockRestore();
  }
}

const waitForAlerts = (kind: string, count: number, subject?: string) =>
  waitFor(
    async () => {
      const alerts = receiver.ofKind(kind).filter((alert) => subject === undefined || alert.body.alert.subject === subject);
      return alerts.length >= count && alerts;
    },
    10_000,
    () => `${count} ${kind} alert(s) ${subject ?? ""}; the receiver has ${JSON.stringify(receiver.received.map((alert) => alert.body.alert.kind))}`,
  );

describe("one alert for each event a person must hear of", () => {
  it("a revocation that fails for good: signed, naming the person, what happened and the next step", async () => {
    const email = uniqueEmail("fails");
    failFor((candidate) => candidate === email);
    const record = await revoke(email);
    expect(record.status).toBe("failed");

    const [alert] = await waitForAlerts("revocation_failed", 1);
    // The Standard Webhooks reference library accepts it.
    expect(verifySigned(alert!)).toMatchObject({ alert: { kind: "revocation_failed" } });
    expect(alert!.headers["webhook-id"]).toBe(alert!.body.alert.id);
    expect(alert!.body.text).toMatch(
      new RegExp(`^access-revoker: The revocation of ${email} \\(${record.id}, from operator\\) failed for good: HTTP 400`),
    );
    expect(alert!.body.text).toContain(`Next: Read its last_error (access-revoker status ${record.id})`);
    expect(alert!.body.text).toContain("Runbook: docs/operations.md#re-driving-failures");
    expect(alert!.body.alert).toMatchObject({ subject: email, runbook: "docs/operations.md#re-driving-failures", worker: "https://revoker.test" });
    // The URL (a Slack webhook's credential) and the secret appear nowhere the operator API shows.
    const stats = await (await operatorFetch("/v1/stats")).text();
    expect(stats).not.toContain("alert-path-credential");
    expect(JSON.parse(stats).alerts).toMatchObject({ destination: "alerts.test", signed: true, last_sent_at: expect.any(String) });
  });

  it("a target held because Cloudflare refused the token: once, however many revocations it refuses", async () => {
    const [first, second] = [uniqueEmail("held-a"), uniqueEmail("held-b")];
    fake().setAnswer(() => apiError(403, 10000, "Authentication error"));
    await revoke(first);
    await revoke(second);
    const [held] = await waitForAlerts("target_held", 1);
    expect(held!.body.alert.subject).toBe(`accounts/${TEST_ACCOUNT_ID}`);
    expect(held!.body.text).toMatch(
      new RegExp(`^access-revoker: Revocations at accounts/${TEST_ACCOUNT_ID} are held until .*Z: Cloudflare refused the API token \\(HTTP 403\\)`),
    );
    expect(held!.body.alert.runbook).toBe("docs/operations.md#the-api-token-was-revoked-or-rotated");
    // The probe after the hold is refused too: the target is held again, and told once in HELD_WINDOW_MS.
    await fastForwardLedger();
    await runCron();
    await waitFor(async () => fake().calls.length >= 2, 10_000, "the hold's probe");
    expect(receiver.ofKind("target_held")).toHaveLength(1);
    fake().setAnswer(() => envelope(true));
    expect((await operatorFetch(`/v1/holds/accounts/${TEST_ACCOUNT_ID}`, { method: "DELETE" })).status).toBe(200);
    // What the hold failed is re-queued and revoked: its failure was the hold's alert, not one of its own.
    for (const email of [first, second]) expect((await revocationsFor(email))[0]!.status).toBe("revoked");
    await fastForwardLedger(61_000);
    expect(receiver.ofKind("revocation_failed")).toEqual([]);
  });

  it("a verification that finds the person still active", async () => {
    const email = uniqueEmail("sticky");
    fake().keepSessions(email, 2);
    await revoke(email);
    await fastForwardLedger(61_000);
    const [alert] = await waitForAlerts("still_active", 1, email);
    expect(alert!.body.text).toContain(`${email} is still active at accounts/${TEST_ACCOUNT_ID} after the revocation`);
    expect(alert!.body.text).toContain("2 active session(s)");
    expect(alert!.body.alert.runbook).toBe("docs/operations.md#still_active-verification-found-a-session");
  });

  it("a managed connection that starts failing, then recovers", async () => {
    const name = `fake-${crypto.randomUUID().slice(0, 6)}`;
    const kind = new FakeConnectionKind([name]).set(name, fails("the management API answered HTTP 401"));
    installConnectionDeps({ kinds: [kind.kind] });
    try {
      await runCron();
      await runCron();
      const [failing] = await waitForAlerts("connection_failing", 1);
      expect(failing!.body.text).toContain(`The managed connection ${name} (test-channel) is failing: the management API answered HTTP 401`);
      kind.set(name, succeeds({ proof: "verification round trip" }));
      await runCron();
      const [recovered] = await waitForAlerts("connection_recovered", 1);
      expect(recovered!.body.alert.subject).toBe(name);
      expect(receiver.ofKind("connection_failing")).toHaveLength(1);
    } finally {
      installConnectionDeps(null);
    }
  });

  it("a source silent past its threshold, once per silence", async () => {
    await runCron(); // the Cron first sees zitadel configured: its silence counts from now
    ledgerClock.advance(25 * 60 * 60_000);
    await runCron();
    const [silent] = await waitForAlerts("source_silent", 1);
    expect(silent!.body.text).toMatch(/^access-revoker: zitadel has delivered nothing accepted since .* \(its threshold is 24 h\)\./);
    const health = (await (await operatorFetch("/healthz")).json()) as { notes: string[] };
    expect(health.notes).toContainEqual(expect.stringMatching(/^SOURCE_SILENCE_HOURS: zitadel has delivered nothing accepted since /));
    const sources = ((await (await operatorFetch("/v1/stats")).json()) as { sources: Record<string, unknown> }).sources;
    expect(sources.zitadel).toMatchObject({ silent: true, silence_threshold_hours: 24, silent_since: expect.any(String) });
    await runCron();
    expect(receiver.ofKind("source_silent")).toHaveLength(1);
  });
});

describe("POST /v1/alerts/test", () => {
  it("sends a signed test alert now and answers 200 when it was delivered", async () => {
    const response = await operatorFetch("/v1/alerts/test", { method: "POST" });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { id: string };
    expect(answer).toEqual({ id: expect.stringMatching(/^alrt_/), state: "sent", destination: "alerts.test", attempts: 1, last_error: null });
    const [alert] = receiver.ofKind("test");
    expect(alert!.headers["webhook-id"]).toBe(answer.id);
    expect(verifySigned(alert!)).toMatchObject({ alert: { kind: "test" } });
    expect(alert!.body.text).toMatch(/^access-revoker: A test alert, asked for at .*: alerts reach this channel\./);
  });

  it("answers 202 with the receiver's error when it was not, and retries it", async () => {
    receiver.mode = "refusing";
    const response = await operatorFetch("/v1/alerts/test", { method: "POST" });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ state: "pending", attempts: 1, last_error: "HTTP 404 (no_service)" });
    receiver.mode = "up";
    ledgerClock.advance(31_000);
    await runCron();
    expect(receiver.ofKind("test")).toHaveLength(1);
  });
});

describe("a bulk job's failures", () => {
  it("are one summary for a 500-person job, not one alert per person", async () => {
    const tag = crypto.randomUUID().slice(0, 6);
    const emails = Array.from({ length: 500 }, (_, i) => `job-${tag}-${i % 13 === 0 ? "refused" : "ok"}-${i}@example.com`);
    failFor((email) => email.includes(`job-${tag}-refused`));
    const submitted = await operatorFetch("/v1/revocations/bulk", {
      method: "POST",
      body: emails.join("\n"),
      headers: { "Content-Type": "text/csv" },
    });
    const { job_id } = (await submitted.json()) as { job_id: string };
    await waitFor(
      async () => ((await (await operatorFetch(`/v1/jobs/${job_id}`)).json()) as { percent_done: number }).percent_done === 100,
      30_000,
      "the job to finish",
    );
    ledgerClock.advance(JOB_QUIET_MS + 1000);
    await runCron();
    const [summary] = await waitForAlerts("job_failures", 1);
    expect(summary!.body.text).toMatch(
      new RegExp(`^access-revoker: Bulk job ${job_id}: 39 of 500 failed for good \\(among them job-${tag}-refused-0@example.com`),
    );
    expect(summary!.body.text).toContain(`retry --job ${job_id}`);
    expect(receiver.delivered().filter((alert) => alert.raw.includes(`job-${tag}-`))).toHaveLength(1);
  });
});

describe("the hourly cap", () => {
  afterAll(() => ledgerClock.advance(61 * 60_000));

  it("sends at most the cap in an hour, then one alert counting what it suppressed", async () => {
    ledgerClock.advance(61 * 60_000); // an hour with nothing sent yet
    const emails = Array.from({ length: CAP_PER_HOUR + 10 }, () => uniqueEmail("storm"));
    failFor((email) => email.startsWith("storm-"));
    for (const email of emails) await revoke(email);
    await waitFor(async () => {
      const alerts = ((await (await operatorFetch("/v1/stats")).json()) as { alerts: { pending: number; suppressed: number } }).alerts;
      return alerts.pending === 0 && alerts.suppressed === 11;
    });
    expect(receiver.ofKind("revocation_failed")).toHaveLength(CAP_PER_HOUR - 1);

    ledgerClock.advance(16 * 60_000);
    await runCron();
    const [summary] = await waitForAlerts("suppressed", 1);
    expect(summary!.body.text).toMatch(/^access-revoker: 11 alert\(s\) since .* were not sent, past the cap of 30 an hour: 11 revocation_failed\./);
    expect(receiver.delivered()).toHaveLength(CAP_PER_HOUR);
  });
});
