// Fault survival (the "faults" project: one account target, REVOKE_RATE_PER_SECOND=25, so every job spans
// several one-second windows and the pace check has something to check). For each injected fault the
// invariant is the same: every accepted revocation reaches exactly one terminal state, none is lost, no
// person is successfully revoked twice, and the pace is never exceeded.
import { evictDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Answer, apiError, envelope, hang, installFakeCloudflare } from "../helpers/fake-cloudflare";
import { sleep, waitFor } from "../helpers/wait";
import {
  deprovisioned,
  drainOnceNow,
  fastForwardLedger,
  ledgerStub,
  operatorFetch,
  sendStandardDelivery,
  signedStandardDelivery,
  waitForIdleLedger,
} from "../helpers/worker";

const RATE = 25;
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

/** Waits until the job is terminal; with `fastForward`, advances the ledger's clock past backoff meanwhile. */
async function drainJob(jobId: string, count: number, { fastForward = true, timeoutMs = 30_000 } = {}) {
  return waitFor(
    async () => {
      const progress = (await (await operatorFetch(`/v1/jobs/${jobId}`)).json()) as { by_status: Record<string, number> };
      expect(Object.values(progress.by_status).reduce((a, b) => a + b, 0)).toBe(count);
      const open = (progress.by_status.queued ?? 0) + (progress.by_status.unresolved ?? 0);
      if (open === 0) return progress.by_status;
      if (fastForward) await fastForwardLedger(60_000);
      return null;
    },
    timeoutMs,
    `job ${jobId} to finish`,
    250,
  );
}

/** The most calls that arrived in any one second (ledger clock). */
function busiestSecond(times: number[]): number {
  let busiest = 0;
  for (const start of times) busiest = Math.max(busiest, times.filter((t) => t >= start && t < start + 1000).length);
  return busiest;
}

function expectInvariants(emails: string[], byStatus: Record<string, number>, terminal: Record<string, number>) {
  expect(byStatus).toEqual(terminal);
  for (const email of emails) expect(succeeded.get(email) ?? 0).toBeLessThanOrEqual(1);
  const times = cloudflare.calls.map((call) => call.at).sort((a, b) => a - b);
  expect(busiestSecond(times)).toBeLessThanOrEqual(RATE);
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

  it("keeps to the pace and uses it: a job of 100 fills one-second windows to the configured rate, never past it", async () => {
    const { jobId, emails } = await submitJob(100);
    const byStatus = await drainJob(jobId, 100, { fastForward: false });
    expectInvariants(emails, byStatus, { revoked: 100 });
    // The check above is not vacuous: some second really carried close to RATE calls.
    expect(busiestSecond(cloudflare.calls.map((call) => call.at))).toBeGreaterThanOrEqual(RATE * 0.6);
  });

  it("a 429 storm with Retry-After pauses the whole drain each time and loses nothing", async () => {
    let storm = 3;
    cloudflare.setAnswer(scripted(() => (storm-- > 0 ? apiError(429, 10429, "rate limited", { "Retry-After": "1" }) : envelope(true))));
    const { jobId, emails } = await submitJob(50);
    // No fast-forward: the pauses are waited out for real, so they can be seen.
    const byStatus = await drainJob(jobId, 50, { fastForward: false });
    expectInvariants(emails, byStatus, { revoked: 50 });
    const limited = cloudflare.calls.filter((call) => call.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    // After a 429 nothing is sent for Retry-After (1 s): at 25/s that second would otherwise carry ~25 calls.
    // (Calls already sent before its answer came back may arrive in its first instants.)
    for (const rateLimited of limited) {
      const during = cloudflare.calls.filter((call) => call.at > rateLimited.at + 100 && call.at < rateLimited.at + 1000);
      expect(during).toEqual([]);
    }
  });

  it("5xx bursts and hung connections (timed out by the client) end revoked", async () => {
    cloudflare.setAnswer(
      scripted((_call, index) => {
        if (index % 5 === 1) return hang(undefined);
        if (index % 3 === 0 && index < 120) return apiError(index % 2 === 0 ? 500 : 502, 0, "upstream");
        return envelope(true);
      }),
    );
    const { jobId, emails } = await submitJob(60);
    const byStatus = await drainJob(jobId, 60);
    expectInvariants(emails, byStatus, { revoked: 60 });
  });

  it("the Durable Object evicted again and again mid-drain loses nothing", async () => {
    cloudflare.setAnswer(
      scripted(async () => {
        await sleep(20);
        return envelope(true);
      }),
    );
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
    expect(answers.filter((answer) => answer.status !== 200 && answer.status !== 202)).toEqual([]);
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
    const stats = await waitFor(
      async () => {
        const current = (await (await operatorFetch("/v1/stats")).json()) as { holds: { target: string; reason: string }[] };
        return current.holds.length > 0 && current;
      },
      10_000,
      "a token hold",
    );
    expect(stats.holds[0]!.reason).toContain("refused the API token (HTTP 403)");
    // Let the drain look again, now: the held target gets nothing more. Only the calls already in
    // flight when the first 403 came back were spent (at most six).
    await drainOnceNow();
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
  it("pauses before a 429 when Cloudflare says the budget is spent, for the reset it names", async () => {
    let first = true;
    cloudflare.setAnswer(
      scripted(() => {
        if (first) {
          first = false;
          return envelope(true, 200, { Ratelimit: '"default";r=0;t=1' });
        }
        return envelope(true);
      }),
    );
    const { jobId, emails } = await submitJob(5);
    // No fast-forward: the pause must hold on its own clock.
    const byStatus = await drainJob(jobId, 5, { fastForward: false });
    expectInvariants(emails, byStatus, { revoked: 5 });
    const [spent, ...later] = [...cloudflare.calls].sort((a, b) => a.at - b.at);
    expect(later).toHaveLength(4);
    // The calls after the one that spent the budget waited for its reset (1 s); at most one that was
    // already sent before the header came back may have arrived sooner. Unpaused, all four arrive within
    // ~160 ms (25/s).
    expect(later.filter((call) => call.at - spent!.at < 1000).length).toBeLessThanOrEqual(1);
  });
});
