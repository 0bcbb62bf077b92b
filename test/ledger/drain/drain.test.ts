// The ledger's drain against a scripted Cloudflare API: each answer class, pacing, eviction, the reconciler.
import { createExecutionContext, createScheduledController, evictDurableObject, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { RevocationRequest } from "../../../src/domain/revocation";
import worker from "../../../src/index";
import type { RevocationLedger } from "../../../src/ledger/ledger";
import { TEST_RATE_PER_SECOND } from "../../helpers/bindings";
import { apiError, envelope, hang, useFakeCloudflare } from "../../helpers/fake-cloudflare";
import { waitFor } from "../../helpers/wait";
import { drainOnceNow, fastForwardLedger, ledgerStub, settleLedger, uniqueEmail } from "../../helpers/worker";

const ledger = ledgerStub;

/**
 * /v1/stats straight from the ledger. The RPC target's stub is disposed at once: a stub left open in the
 * test's long-lived context keeps the object from being evicted (the durability tests below evict it).
 */
async function drainStats() {
  const drain = await ledger().drain();
  try {
    return await drain.stats();
  } finally {
    drain[Symbol.dispose]();
  }
}
const fastForward = fastForwardLedger;

function request(email: string, overrides: Partial<RevocationRequest> = {}): RevocationRequest {
  return { source: "test", assurance: "signed", event_id: crypto.randomUUID(), event_type: "user.deprovisioned", email, ...overrides };
}

async function commitOne(email: string) {
  const [result] = await ledger().commit([request(email)]);
  return result!;
}

async function settled(id: string, timeoutMs = 10_000) {
  return waitFor(
    async () => {
      const record = await ledger().get(id);
      return record && record.status !== "queued" && record;
    },
    timeoutMs,
    `revocation ${id} to settle`,
  );
}

const fake = useFakeCloudflare(settleLedger);

describe("answer classes", () => {
  it("records not_found when Cloudflare answers result: false, and does not retry", async () => {
    fake().setAnswer(() => envelope(false));
    const email = uniqueEmail("absent");
    const record = await settled((await commitOne(email)).id);
    expect(record.status).toBe("not_found");
    expect(record.attempts).toBe(2);
    expect(fake().callsFor(email)).toHaveLength(2);
  });

  // Regression: success: true with any result but true was recorded not_found, terminal, with no last_error.
  // revoke_user documents result true or false (the SDKs: OrganizationRevokeUsersResponse = true | false).
  it.each([
    ["null", null, "null"],
    ['the string "true"', "true", '"true"'],
    ["an object", { revoked: true }, '{"revoked":true}'],
    ["no result at all", undefined, "nothing"],
  ])("retries success: true with result %s, saying what Cloudflare answered, and ends revoked", async (_case, result, shown) => {
    let odd = 0;
    fake().setAnswer(() => (odd++ < 2 ? Response.json({ success: true, result, errors: [], messages: [] }) : envelope(true)));
    const { id } = await commitOne(uniqueEmail("odd-result"));
    await waitFor(async () => odd >= 2);
    const pending = await ledger().get(id);
    expect(pending).toMatchObject({
      status: "queued",
      last_error: `revoke_user answered success with result ${shown}, not the documented true or false`,
    });
    expect(pending!.results.flatMap((target) => target.history.map((attempt) => attempt.outcome))).toContain("retry");
    await fastForward();
    expect(await settled(id)).toMatchObject({ status: "revoked", last_error: null });
  });

  it("fails visibly when Cloudflare keeps answering an undocumented result past the retry budget", async () => {
    fake().setAnswer(() => Response.json({ success: true, result: null, errors: [] }));
    const { id } = await commitOne(uniqueEmail("odd-forever"));
    await waitFor(async () => (await ledger().get(id))?.last_error !== null);
    await fastForward(25 * 60 * 60_000);
    const record = await settled(id);
    expect(record).toMatchObject({
      status: "failed",
      last_error: expect.stringMatching(/^gave up after the 24 h retry budget: revoke_user answered success with result null/),
    });
    fake().setAnswer(() => envelope(true));
  });

  it.each([400, 404, 422])("fails at once on HTTP %i with the reason, no retry", async (status) => {
    fake().setAnswer(() => apiError(status, 12000 + status, "bad request"));
    const email = uniqueEmail(`http${status}`);
    const record = await settled((await commitOne(email)).id);
    expect(record.status).toBe("failed");
    expect(record.last_error).toContain(`HTTP ${status}`);
    expect(record.results[0]!.errors).toEqual([{ code: 12000 + status, message: "bad request" }]);
    expect(fake().callsFor(email)).toHaveLength(2);
  });

  it.each([401, 403])("fails at once on HTTP %i and holds the drain instead of burning the budget", async (status) => {
    fake().setAnswer(() => apiError(status, 10000, "Authentication error"));
    const first = await commitOne(uniqueEmail("denied"));
    const record = await settled(first.id);
    expect(record.status).toBe("failed");
    expect(record.last_error).toContain("refused the API token");
    const held = uniqueEmail("held");
    const second = await commitOne(held);
    // Run the drain to the end of a slice, now: it has looked at the held calls and sent none.
    await drainOnceNow();
    expect(fake().callsFor(held)).toHaveLength(0);
    expect(await ledger().get(second.id)).toMatchObject({ status: "queued", attempts: 0 });
    const stats = await drainStats();
    expect(stats.holds.map((hold) => hold.reason)).toEqual([expect.stringContaining(`HTTP ${status}`), expect.stringContaining(`HTTP ${status}`)]);
    // An operator retry lifts the hold; the token works again.
    fake().setAnswer(() => envelope(true));
    await ledger().retry(first.id);
    expect((await settled(first.id)).status).toBe("revoked");
    expect((await settled(second.id)).status).toBe("revoked");
  });

  it.each([
    ["HTTP 500", () => apiError(500, 0, "internal")],
    ["HTTP 503", () => new Response("<html>bad gateway</html>", { status: 503 })],
    ["HTTP 408", () => new Response("", { status: 408 })],
    ["a 200 that is not the API envelope", () => new Response("<html>", { status: 200 })],
    ["a network error", () => Promise.reject(new Error("connection reset"))],
  ])("retries after %s and ends revoked", async (_case, fault) => {
    let faults = 0;
    fake().setAnswer(() => (faults++ < 2 ? fault() : envelope(true)));
    const { id } = await commitOne(uniqueEmail("transient"));
    await waitFor(async () => faults >= 2);
    const pending = await ledger().get(id);
    expect(pending!.status).toBe("queued");
    expect(pending!.last_error).not.toBeNull();
    await fastForward();
    expect((await settled(id)).status).toBe("revoked");
  });

  it("times out a hung call and retries it", async () => {
    let hung = 0;
    fake().setAnswer((_call) => (hung++ === 0 ? hang(undefined) : envelope(true)));
    const { id } = await commitOne(uniqueEmail("hung"));
    await waitFor(async () => (await ledger().get(id))!.last_error?.includes("timed out"), 5000, "a timeout");
    await fastForward();
    expect((await settled(id)).status).toBe("revoked");
  });

  it("pauses the whole drain on 429 for Retry-After, then completes everything", async () => {
    let limited = false;
    fake().setAnswer(() => {
      if (!limited) {
        limited = true;
        return apiError(429, 10429, "rate limited", { "Retry-After": "2" });
      }
      return envelope(true);
    });
    const emails = [uniqueEmail("burst-a"), uniqueEmail("burst-b"), uniqueEmail("burst-c")];
    const committed = await ledger().commit(emails.map((email) => request(email)));
    await waitFor(async () => limited);
    const stats = await drainStats();
    const rateLimitedAt = fake().calls[0]!.at;
    expect(Date.parse(stats.drain.paused_until ?? "")).toBeGreaterThanOrEqual(rateLimitedAt + 2000);
    const records = await Promise.all(committed.map(({ id }) => settled(id, 15_000)));
    expect(records.map((record) => record.status)).toEqual(["revoked", "revoked", "revoked"]);
    // Nothing at all went out while the drain was paused: the 429 paused every item, not just its own.
    const later = fake().calls.slice(1);
    expect(later).toHaveLength(6);
    for (const call of later) expect(call.at - rateLimitedAt).toBeGreaterThanOrEqual(1990);
  });
});

describe("records", () => {
  it("a success after failures clears last_error and keeps every attempt in each target's history", async () => {
    let faults = 0;
    fake().setAnswer(() => (faults++ < 2 ? apiError(502, 0, "bad gateway") : envelope(true)));
    const { id } = await commitOne(uniqueEmail("history"));
    await waitFor(async () => faults >= 2);
    await fastForward();
    const record = await settled(id);
    expect(record.status).toBe("revoked");
    expect(record.last_error).toBeNull();
    const outcomes = record.results.flatMap((result) => result.history.map((attempt) => attempt.outcome));
    expect(outcomes.filter((outcome) => outcome === "retry")).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome === "revoked")).toHaveLength(2);
    const retried = record.results.flatMap((result) => result.history).find((attempt) => attempt.outcome === "retry");
    expect(retried).toMatchObject({ http_status: 502, error: expect.stringContaining("HTTP 502") });
  });

  it("never follows a redirect: a 3xx with a success envelope fails the call instead of counting as revoked", async () => {
    fake().setAnswer(() =>
      Response.json({ success: true, result: true, errors: [] }, { status: 301, headers: { Location: "https://elsewhere.test/" } }),
    );
    const email = uniqueEmail("redirected");
    const record = await settled((await commitOne(email)).id);
    expect(record.status).toBe("failed");
    expect(record.last_error).toContain("redirect");
    const redirects = fake()
      .callsFor(email)
      .map((call) => call.redirect);
    expect(redirects).toEqual(["manual", "manual"]);
  });
});

describe("lanes", () => {
  const indexesOf = (email: string) => fake().calls.flatMap((call, index) => (call.body.email === email ? [index] : []));

  it("sends an urgent revocation before a bulk job committed earlier (within the calls already in flight)", async () => {
    const job = `job_lanes_${crypto.randomUUID().slice(0, 6)}`;
    await ledger().commit(Array.from({ length: 30 }, (_, i) => request(uniqueEmail(`bulk-${i}`), { source: "bulk", job_id: job })));
    await waitFor(async () => fake().calls.length > 0);
    const sentBefore = fake().calls.length;
    const urgent = uniqueEmail("urgent");
    const { id } = await commitOne(urgent);
    expect((await settled(id)).status).toBe("revoked");
    // Its two calls came right after the six that may already have been in flight, not after 60 bulk ones.
    expect(Math.max(...indexesOf(urgent))).toBeLessThan(sentBefore + 6 + 2 + 1);
    expect(await ledger().get(id)).toMatchObject({ lane: "urgent", time_to_revoke_ms: expect.any(Number) });
  });

  it("takes turns between bulk jobs: a small job submitted after a large one finishes first", async () => {
    const [big, small] = [`job_big_${crypto.randomUUID().slice(0, 6)}`, `job_small_${crypto.randomUUID().slice(0, 6)}`];
    const bigEmails = Array.from({ length: 30 }, (_, i) => uniqueEmail(`big-${i}`));
    const smallEmails = Array.from({ length: 3 }, (_, i) => uniqueEmail(`small-${i}`));
    const bigCommitted = await ledger().commit(bigEmails.map((email) => request(email, { source: "bulk", job_id: big })));
    await waitFor(async () => fake().calls.length > 0);
    const sentBefore = fake().calls.length;
    const committed = await ledger().commit(smallEmails.map((email) => request(email, { source: "bulk", job_id: small })));
    await Promise.all(committed.map(({ id }) => settled(id, 20_000)));
    const lastSmall = Math.max(...smallEmails.flatMap(indexesOf));
    // Six calls: alternating with the big job, they are done within about twice that after the in-flight ones.
    expect(lastSmall).toBeLessThan(sentBefore + 6 + 2 * 6 + 1);
    await Promise.all(bigCommitted.map(({ id }) => settled(id, 20_000)));
    expect(Math.max(...bigEmails.flatMap(indexesOf))).toBeGreaterThan(lastSmall);
  });

  it("takes turns between sources in the urgent lane: one large batch does not starve a single delivery", async () => {
    await ledger().commit(Array.from({ length: 30 }, (_, i) => request(uniqueEmail(`batch-${i}`), { source: "okta" })));
    await waitFor(async () => fake().calls.length > 0);
    const sentBefore = fake().calls.length;
    const single = uniqueEmail("single");
    const { id } = await commitOne(single);
    expect((await settled(id)).status).toBe("revoked");
    // Turns: okta, test, okta, test … so its two calls come within a few slots, not after 60 okta calls.
    expect(Math.max(...indexesOf(single))).toBeLessThan(sentBefore + 6 + 2 * 2 + 1);
  });
});

describe("pacing", () => {
  it(`never sends more than REVOKE_RATE_PER_SECOND (${TEST_RATE_PER_SECOND}) calls in any second`, async () => {
    const committed = await ledger().commit(Array.from({ length: 30 }, (_, i) => request(uniqueEmail(`paced-${i}`))));
    await Promise.all(committed.map(({ id }) => settled(id, 20_000)));
    const times = fake()
      .calls.map((call) => call.at)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(60);
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(TEST_RATE_PER_SECOND);
    }
    // …and stays close to it: 60 calls at 20/s take about 3 s.
    expect(times[times.length - 1]! - times[0]!).toBeLessThan(4000);
  });
});

describe("durability", () => {
  it("keeps an in-flight call through an eviction and completes it after the lease", async () => {
    fake().setAnswer(() => hang(undefined));
    const { id } = await commitOne(uniqueEmail("evicted"));
    await waitFor(async () => fake().calls.length > 0);
    await evictDurableObject(ledger());
    const afterEviction = await ledger().get(id);
    expect(afterEviction!.status).toBe("queued");
    fake().setAnswer(() => envelope(true));
    await fastForward();
    expect((await settled(id)).status).toBe("revoked");
  });

  it("drains from the alarm on a fresh instance after an eviction", async () => {
    let faults = 0;
    fake().setAnswer(() => (faults++ < 2 ? apiError(502, 0, "bad gateway") : envelope(true)));
    const { id } = await commitOne(uniqueEmail("alarm"));
    await waitFor(async () => faults >= 2);
    await evictDurableObject(ledger());
    // No fast-forward: the persisted alarm alone must finish it (backoff is 1–2 s for the first retry).
    expect((await settled(id, 15_000)).status).toBe("revoked");
  });

  it("the Cron Trigger re-arms a drain whose alarm was lost", async () => {
    fake().setAnswer(() => apiError(503, 0, "unavailable"));
    const email = uniqueEmail("stalled");
    const { id } = await commitOne(email);
    await waitFor(async () => fake().callsFor(email).length >= 2);
    fake().setAnswer(() => envelope(true));
    const alarm = await runInDurableObject(ledger(), async (_instance: RevocationLedger, state) => {
      await state.storage.deleteAlarm();
      state.storage.sql.exec("UPDATE calls SET next_attempt_at = 0 WHERE state = 'pending'");
      return state.storage.getAlarm();
    });
    // No alarm: nothing but the Cron Trigger can wake the drain now.
    expect(alarm).toBeNull();
    expect((await ledger().get(id))!.status).toBe("queued");
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect((await settled(id)).status).toBe("revoked");
  });

  // Regression: the re-arm ran after the Cron's other ledger steps, so one that threw left the drain stalled.
  it("the Cron Trigger re-arms a drain whose alarm was lost even when a step before it throws", async () => {
    fake().setAnswer(() => apiError(503, 0, "unavailable"));
    const email = uniqueEmail("stalled-throw");
    const { id } = await commitOne(email);
    await waitFor(async () => fake().callsFor(email).length >= 2);
    fake().setAnswer(() => envelope(true));
    // No alarm, and the closed hours of refused deliveries cannot be read (their table is gone).
    await runInDurableObject(ledger(), async (_instance: RevocationLedger, state) => {
      await state.storage.deleteAlarm();
      state.storage.sql.exec("UPDATE calls SET next_attempt_at = 0 WHERE state = 'pending'");
      state.storage.sql.exec("ALTER TABLE rejections RENAME TO rejections_away");
    });
    const log = vi.spyOn(console, "log");
    try {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
      await waitOnExecutionContext(ctx);
      expect(log.mock.calls.map(([line]) => String(line)).find((line) => line.includes('"drain.reconcile_failed"'))).toMatch(
        /no such table: rejections/,
      );
    } finally {
      log.mockRestore();
      await runInDurableObject(ledger(), (_instance: RevocationLedger, state) => {
        state.storage.sql.exec("ALTER TABLE rejections_away RENAME TO rejections");
      });
    }
    expect((await settled(id)).status).toBe("revoked");
  });

  it("fails a revocation whose retry budget ran out, and an operator retry revives it", async () => {
    fake().setAnswer(() => apiError(503, 0, "unavailable"));
    const email = uniqueEmail("budget");
    const { id } = await commitOne(email);
    await waitFor(async () => fake().callsFor(email).length >= 2);
    // A day passes on the ledger's clock while the API keeps failing.
    await fastForward(25 * 60 * 60_000);
    const failed = await settled(id);
    expect(failed.status).toBe("failed");
    expect(failed.last_error).toContain("retry budget");
    fake().setAnswer(() => envelope(true));
    const retried = await ledger().retry(id);
    expect(retried.ok).toBe(true);
    expect((await settled(id)).status).toBe("revoked");
  });

  it("keeps events whose ids would have collided when keys were concatenated apart, and never fails a commit on a key clash", async () => {
    // "src:a#b@example.com" was both (event "a#b@example.com") and (event "a", second email b@example.com).
    const [primary, alias] = [uniqueEmail("clash-primary"), uniqueEmail("clash-alias")];
    await ledger().directory().put("clash", "subject-1", [primary, alias]);
    const [fanned] = await ledger().commit([request("", { source: "clash", event_id: "a", email: null, subject_id: "subject-1" })]);
    const fannedOut = [primary, alias].sort()[1]!; // the directory's second email gets its own row
    const [lookalike] = await ledger().commit([request(uniqueEmail("clash-other"), { source: "clash", event_id: `a#${fannedOut}` })]);
    expect(fanned!.duplicate).toBe(false);
    expect(lookalike!.duplicate).toBe(false);
    // The same two again are duplicates, and a resolution that re-derives the fan-out key does not throw.
    expect((await ledger().commit([request("", { source: "clash", event_id: "a", email: null, subject_id: "subject-1" })]))[0]!.duplicate).toBe(true);
    await ledger().directory().put("clash", "subject-1", [primary, alias]);
    await settled(fanned!.id);
    await settled(lookalike!.id);
  });

  it("de-duplicates by source and event id inside one commit and across commits", async () => {
    const email = uniqueEmail("dedupe");
    const event = request(email, { event_id: "evt-1" });
    const [first, again] = await ledger().commit([event, event]);
    const [later] = await ledger().commit([event]);
    const [otherSource] = await ledger().commit([{ ...event, source: "other" }]);
    expect(first!.duplicate).toBe(false);
    expect(again).toEqual({ id: first!.id, status: "queued", duplicate: true });
    expect(later).toMatchObject({ id: first!.id, duplicate: true });
    expect(otherSource!.duplicate).toBe(false);
    await settled(otherSource!.id);
    await settled(first!.id);
    expect(fake().callsFor(email)).toHaveLength(4);
  });
});
