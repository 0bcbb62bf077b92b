// Fault survival (the "bulk" project: one account target, REVOKE_RATE_PER_SECOND=400). For each injected
// fault the invariant is the same: every accepted revocation reaches exactly one terminal state, none is
// lost, no person is successfully revoked twice, and the pace is never exceeded.
import { evictDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { apiError, envelope, hang, installFakeCloudflare, type Answer } from "../helpers/fake-cloudflare";
import { sleep, waitFor } from "../helpers/wait";
import { deprovisioned, fastForwardLedger, ledgerStub, operatorFetch, sendStandardDelivery, signedStandardDelivery, waitForIdleLedger } from "../helpers/worker";

const RATE = 400;
let cloudflare: ReturnType<typeof installFakeCloudflare>;
const succeeded = new Map<string, number>();

/** Wraps a fault script: records which calls really succeeded, so double revocations are visible. */
function scripted(answer: Answer): Answer {
  return async (call, index) => {
    const response = await answer(call, index);
    if (response.status === 200) succeeded.set(call.body.email as string, (succeeded.get(call.body.email as string) ?? 0) + 1);
    return response;
  };
}

beforeEach(() => {
  succeeded.clear();
  cloudflare = installFakeCloudflare(scripted(() => envelope(true)));
});
afterEach(async () => {
  cloudflare.setAnswer(scripted(() => envelope(true)));
  await fastForwardLedger();
  await waitForIdleLedger(30_000);
  cloudflare.restore();
});

async function submitJob(count: number) {
  const tag = crypto.randomUUID().slice(0, 6);
  const emails = Array.from({ length: count }, (_, i) => `fault-${tag}-${i}@example.com`);
  const response = await operatorFetch("/v1/revocations/bulk", { method: "POST", body: emails.join("\n") });
  const job = (await response.json()) as { job_id: string; accepted: number };
  expect(job.accepted).toBe(count);
  return { jobId: job.job_id, emails };
}

/** Drives the drain past backoff (fast-forwarding time it would otherwise wait) until the job is terminal. */
async function drainJob(jobId: string, count: number, timeoutMs = 30_000) {
  return waitFor(async () => {
    const progress = (await (await operatorFetch(`/v1/jobs/${jobId}`)).json()) as { by_status: Record<string, number> };
    const open = (progress.by_status.queued ?? 0) + (progress.by_status.unresolved ?? 0);
    if (open === 0) return progress.by_status;
    await fastForwardLedger();
    await sleep(250);
    expect(Object.values(progress.by_status).reduce((a, b) => a + b, 0)).toBe(count);
    return null;
  }, timeoutMs, `job ${jobId} to finish`);
}

function expectInvariants(emails: string[], byStatus: Record<string, number>, terminal: Record<string, number>) {
  expect(byStatus).toEqual(terminal);
  for (const email of emails) expect(succeeded.get(email) ?? 0).toBeLessThanOrEqual(1);
  const times = cloudflare.calls.map((call) => call.at).sort((a, b) => a - b);
  for (let i = 0; i < times.length; i++) {
    expect(times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length).toBeLessThanOrEqual(RATE);
  }
}

describe("fault survival", () => {
  it("the Cloudflare API down for a stretch, then back: every revocation completes", async () => {
    const downUntil = Date.now() + 2000;
    cloudflare.setAnswer(scripted(() => (Date.now() < downUntil ? apiError(503, 0, "service unavailable") : envelope(true))));
    const { jobId, emails } = await submitJob(60);
    const byStatus = await drainJob(jobId, 60);
    expectInvariants(emails, byStatus, { revoked: 60 });
    expect(cloudflare.calls.length).toBeGreaterThan(60);
  });

  it("a 429 storm with Retry-After pauses the drain and loses nothing", async () => {
    let storm = 10;
    cloudflare.setAnswer(scripted(() => (storm-- > 0 ? apiError(429, 10429, "rate limited", { "Retry-After": "1" }) : envelope(true))));
    const { jobId, emails } = await submitJob(50);
    const byStatus = await drainJob(jobId, 50);
    expectInvariants(emails, byStatus, { revoked: 50 });
  });

  it("5xx bursts and hung connections (timed out by the client) end revoked", async () => {
    cloudflare.setAnswer(scripted((_call, index) => {
      if (index % 5 === 1) return hang(undefined);
      if (index % 3 === 0 && index < 120) return apiError(index % 2 === 0 ? 500 : 502, 0, "upstream");
      return envelope(true);
    }));
    const { jobId, emails } = await submitJob(60);
    const byStatus = await drainJob(jobId, 60);
    expectInvariants(emails, byStatus, { revoked: 60 });
  });

  it("the Durable Object evicted again and again mid-drain loses nothing", async () => {
    cloudflare.setAnswer(scripted(async () => {
      await sleep(20);
      return envelope(true);
    }));
    const { jobId, emails } = await submitJob(80);
    let evictions = 0;
    for (let i = 0; i < 20 && evictions < 5; i++) {
      await sleep(40);
      try {
        await evictDurableObject(ledgerStub());
        evictions++;
      } catch {
        // Not running at this instant (between alarms): nothing to evict.
      }
    }
    expect(evictions).toBeGreaterThan(0);
    const byStatus = await drainJob(jobId, 80);
    expectInvariants(emails, byStatus, { revoked: 80 });
  });

  it("duplicate and out-of-order deliveries revoke each person once", async () => {
    const deliveries = await Promise.all(
      Array.from({ length: 20 }, (_, i) => signedStandardDelivery(deprovisioned(`ooo-${crypto.randomUUID().slice(0, 6)}-${i}@example.com`))),
    );
    const shuffled = [...deliveries, ...deliveries, ...deliveries].sort(() => Math.random() - 0.5);
    const answers = await Promise.all(shuffled.map((delivery) => sendStandardDelivery(delivery)));
    expect(answers.every((answer) => answer.status === 200 || answer.status === 202)).toBe(true);
    expect(answers.filter((answer) => answer.status === 202)).toHaveLength(20);
    await waitForIdleLedger(20_000);
    for (const delivery of deliveries) {
      const email = (JSON.parse(delivery.body) as { data: { email: string } }).data.email;
      expect(succeeded.get(email)).toBe(1);
    }
  });

  it("a token that starts answering 403 holds the target with an operator-visible reason instead of burning the budget", async () => {
    let allowed = 10;
    cloudflare.setAnswer(scripted(() => (allowed-- > 0 ? envelope(true) : apiError(403, 10000, "Authentication error"))));
    const { jobId } = await submitJob(100);
    const stats = await waitFor(async () => {
      const current = (await (await operatorFetch("/v1/stats")).json()) as { holds: { target: string; reason: string }[] };
      return current.holds.length > 0 && current;
    }, 10_000, "a token hold");
    expect(stats.holds[0]!.reason).toContain("refused the API token (HTTP 403)");
    await sleep(500);
    // Only the calls already in flight when the first 403 came back were spent (at most six).
    expect(cloudflare.calls.length).toBeLessThanOrEqual(10 + 6);
    const progress = (await (await operatorFetch(`/v1/jobs/${jobId}`)).json()) as { by_status: Record<string, number> };
    expect(progress.by_status.queued).toBeGreaterThanOrEqual(100 - 16);
    expect(progress.by_status.failed ?? 0).toBeGreaterThanOrEqual(1);
    // The operator fixes the token and retries the failed ones; the hold lifts and the job completes.
    cloudflare.setAnswer(scripted(() => envelope(true)));
    const failed = (await (await operatorFetch("/v1/revocations?status=failed&limit=100")).json()) as { records: { id: string; job_id: string }[] };
    for (const record of failed.records.filter((r) => r.job_id === jobId)) {
      expect((await operatorFetch(`/v1/revocations/${record.id}/retry`, { method: "POST" })).status).toBe(202);
    }
    const byStatus = await drainJob(jobId, 100);
    expect(byStatus).toEqual({ revoked: 100 });
  });
});

describe("Ratelimit header", () => {
  it("pauses before a 429 when Cloudflare says the budget is spent", async () => {
    let first = true;
    cloudflare.setAnswer(scripted(() => {
      if (first) {
        first = false;
        return envelope(true, 200, { Ratelimit: '"default";r=0;t=1' });
      }
      return envelope(true);
    }));
    const { jobId, emails } = await submitJob(5);
    await waitFor(async () => cloudflare.calls.length > 0);
    const pausedAt = cloudflare.calls[0]!.at;
    const byStatus = await drainJob(jobId, 5);
    expectInvariants(emails, byStatus, { revoked: 5 });
    for (const call of cloudflare.calls.slice(1)) expect(call.at - pausedAt).toBeGreaterThanOrEqual(0);
  });
});
