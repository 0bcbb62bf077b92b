// Each API token paced from its own budget (the "budgets" project: REVOKE_RATE_PER_SECOND=auto, the account
// and the zone each with its own token in ACCESS_API_TOKENS), against the one fake of the Cloudflare API
// enforcing a fixed window per token as Cloudflare documents it and reporting it in Ratelimit and
// Ratelimit-Policy on every answer. Windows are short (a few seconds, tens of calls) so each test takes
// seconds; the pace's arithmetic does not depend on Cloudflare's 1200 per 300 s. How much of the budget the
// drain uses is measured by the benchmark (npm run bench); here the bars are that nothing is refused and
// that the pace is the budget's, not the fallback's.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { Stats } from "../../src/domain/views";
import { TEST_ACCOUNT_ID, TEST_ACCOUNT_TOKEN, TEST_ZONE_ID, TEST_ZONE_TOKEN } from "../helpers/bindings";
import { installFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import { ledgerStub, operatorFetch, settleLedger, uniqueEmail } from "../helpers/worker";

const ACCOUNT = `accounts/${TEST_ACCOUNT_ID}`;
const ZONE = `zones/${TEST_ZONE_ID}`;
let cloudflare: ReturnType<typeof installFakeCloudflare> | undefined;

afterEach(async () => {
  await settleLedger();
  cloudflare?.restore();
  cloudflare = undefined;
});

function fakeWithBudget(quota: number, windowSeconds: number, tokens = [TEST_ACCOUNT_TOKEN, TEST_ZONE_TOKEN]) {
  cloudflare = installFakeCloudflare(undefined, { tokens, rateLimit: { quota, windowSeconds } });
  return cloudflare;
}

async function submitJob(count: number) {
  const emails = Array.from({ length: count }, () => uniqueEmail("budget"));
  const response = await operatorFetch("/v1/revocations/bulk", { method: "POST", body: emails.join("\n") });
  const job = (await response.json()) as { job_id: string; accepted: number };
  expect(job.accepted).toBe(count);
  return { jobId: job.job_id, emails };
}

/** Waits until every revocation of the job is final, without moving the clock: the pace must get there itself. */
async function finished(jobId: string, timeoutMs = 45_000) {
  return waitFor(
    async () => {
      const job = (await (await operatorFetch(`/v1/jobs/${jobId}`)).json()) as { by_status: Record<string, number> };
      return (job.by_status.queued ?? 0) + (job.by_status.unresolved ?? 0) === 0 && job.by_status;
    },
    timeoutMs,
    `job ${jobId} to finish`,
    250,
  );
}

async function stats(): Promise<Stats> {
  return (await (await operatorFetch("/v1/stats")).json()) as Stats;
}

const callsAt = (fake: NonNullable<typeof cloudflare>, target: string) => fake.calls.filter((call) => call.path.startsWith(`/${target}/`));

describe("REVOKE_RATE_PER_SECOND=auto", () => {
  it("spends what a second client leaves of the same token's budget, with no 429", async () => {
    const [quota, windowSeconds] = [30, 3];
    const fake = fakeWithBudget(quota, windowSeconds);
    // Another client of the account's token spends 30 % of its budget throughout, as the dashboard might.
    const other = setInterval(() => fake.spendBudget(TEST_ACCOUNT_TOKEN, 1), 1000 / ((0.3 * quota) / windowSeconds));
    try {
      const { jobId } = await submitJob(60);
      expect(await finished(jobId)).toEqual({ revoked: 60 });
    } finally {
      clearInterval(other);
    }
    expect(fake.rateLimitedCount()).toBe(0);
    // The windows the drain worked through from start to end (not its first, begun at the fallback pace, nor its last).
    const windows = fake.budgetWindows(TEST_ACCOUNT_TOKEN).filter((window) => window.admitted > 0);
    const full = windows.slice(1, -1);
    expect(full.length).toBeGreaterThan(0);
    const used = full.reduce((sum, window) => sum + window.admitted, 0) / full.reduce((sum, window) => sum + quota - window.byOthers, 0);
    // The fallback pace (2/s) would use under 30 % of what is left; the budget's pace, most of it.
    expect(used).toBeGreaterThan(0.5);
    expect(used).toBeLessThanOrEqual(1);
  });

  it("shows each token's budget in /v1/stats by a keyed fingerprint, never the token", async () => {
    const fake = fakeWithBudget(40, 10);
    const { jobId } = await submitJob(4);
    await finished(jobId);
    expect(callsAt(fake, ACCOUNT).map((call) => call.authorization)).toEqual(Array(4).fill(`Bearer ${TEST_ACCOUNT_TOKEN}`));
    expect(callsAt(fake, ZONE).map((call) => call.authorization)).toEqual(Array(4).fill(`Bearer ${TEST_ZONE_TOKEN}`));
    const answer = await stats();
    expect(answer.rate_setting).toBe("auto");
    expect(answer.budgets.map((budget) => budget.targets)).toEqual(expect.arrayContaining([[ACCOUNT], [ZONE]]));
    for (const budget of answer.budgets) {
      expect(budget.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(budget).toMatchObject({
        reported: { policy: "default", remaining: 36, quota: 40, window_seconds: 10, reset_at: expect.any(String), reported_at: expect.any(String) },
        pace: { why: "auto", per_second: expect.any(Number) },
        paused_until: null,
        rate_limited_last_hour: 0,
      });
    }
    expect(new Set(answer.budgets.map((budget) => budget.fingerprint)).size).toBe(2);
    expect(JSON.stringify(answer)).not.toMatch(new RegExp(`${TEST_ACCOUNT_TOKEN}|${TEST_ZONE_TOKEN}`));
  });
});

describe("a budget per token", () => {
  it("a token whose budget another client spent waits alone: the other token's targets drain meanwhile, and the pause outlives an eviction", async () => {
    const fake = fakeWithBudget(20, 4);
    // Someone else spent the account token's whole window: the first call there is refused.
    expect(fake.spendBudget(TEST_ACCOUNT_TOKEN, 20)).toBe(20);
    const { jobId } = await submitJob(10);
    await waitFor(async () => callsAt(fake, ZONE).length === 10, 20_000, "the zone's ten calls");
    const refused = callsAt(fake, ACCOUNT).filter((call) => call.status === 429);
    expect(refused).toHaveLength(1);
    // Nothing more went to the account until its window closed, while the zone's token went on.
    const lastZoneCall = Math.max(...callsAt(fake, ZONE).map((call) => call.at));
    expect(callsAt(fake, ACCOUNT).filter((call) => call.at > refused[0]!.at && call.at <= lastZoneCall)).toEqual([]);
    const account = (await stats()).budgets.find((budget) => budget.targets.includes(ACCOUNT))!;
    expect(account).toMatchObject({ paused_until: expect.any(String), rate_limited_last_hour: 1 });
    expect((await stats()).budgets.find((budget) => budget.targets.includes(ZONE))).toMatchObject({ paused_until: null, rate_limited_last_hour: 0 });
    await evictDurableObject(ledgerStub());
    expect((await stats()).budgets.find((budget) => budget.targets.includes(ACCOUNT))).toMatchObject({
      paused_until: account.paused_until,
      rate_limited_last_hour: 1,
    });
    expect(await finished(jobId)).toEqual({ revoked: 10 });
    expect(fake.rateLimitedCount()).toBe(1);
  });

  it("urgent calls still go first within a token", async () => {
    const fake = fakeWithBudget(20, 4);
    fake.spendBudget(TEST_ACCOUNT_TOKEN, 20);
    const { jobId } = await submitJob(20);
    await waitFor(async () => callsAt(fake, ZONE).length >= 3, 20_000, "the zone's first bulk calls");
    const email = uniqueEmail("urgent");
    expect([200, 202]).toContain((await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email }) })).status);
    await waitFor(async () => fake.callsFor(email).some((call) => call.path.startsWith(`/${ZONE}/`)), 20_000, "the urgent zone call");
    const urgentAt = fake.callsFor(email).find((call) => call.path.startsWith(`/${ZONE}/`))!.at;
    await finished(jobId);
    // At the zone's pace (about 4.5 calls/s) the bulk job had well over a second of calls left: the urgent one went before them.
    expect(callsAt(fake, ZONE).filter((call) => call.at > urgentAt && call.body.email !== email).length).toBeGreaterThanOrEqual(5);
  });

  // Regression: the switched-off check ran only on the first call chosen; the call sent instead, at a target
  // whose token had pace to spare, went out while its follow-up was off.
  it("skips a switched-off follow-up at another token's target while the first token waits", async () => {
    const fake = fakeWithBudget(20, 10);
    fake.spendBudget(TEST_ACCOUNT_TOKEN, 20);
    // Submitted as jobs (answered at once), so everything below happens while the account's token is paused.
    const [first] = (await submitJob(1)).emails as [string];
    await waitFor(async () => fake.callsFor(first).some((call) => call.status === 429), 20_000, "the account's token paused");
    // Verification went off (another token refused, so nothing brings it back) with one of its calls due at the zone.
    await runInDurableObject(ledgerStub(), (_instance, state) => {
      const { sql } = state.storage;
      const { seq } = sql.exec<{ seq: number }>("SELECT seq FROM revocations WHERE email = ?", first).one();
      sql.exec(
        "INSERT INTO calls (revocation_seq, target, kind, state, next_attempt_at, lane, grp) VALUES (?, ?, 'verify_lookup', 'pending', 0, 'follow_up', '')",
        seq,
        ZONE,
      );
      for (const [name, value] of [
        ["verify_refused_until", Date.now() + 3_600_000],
        ["verify_refused_since", Date.now()],
        ["verify_refused_token", 0],
      ] as const) {
        sql.exec("INSERT OR REPLACE INTO drain_state (name, number_value) VALUES (?, ?)", name, value);
      }
    });
    await evictDurableObject(ledgerStub());
    // A revocation due at the paused account is chosen first each time: the zone's calls go instead.
    await submitJob(1);
    const verification = await waitFor(
      () =>
        runInDurableObject(ledgerStub(), (_instance, state) => {
          const row = state.storage.sql
            .exec<{ state: string; attempts: number; result: string | null }>(
              "SELECT state, attempts, result FROM calls WHERE kind = 'verify_lookup' AND target = ?",
              ZONE,
            )
            .one();
          return (row.state !== "pending" || row.attempts > 0) && row;
        }),
      20_000,
      "the zone's verification call settled",
    );
    expect(verification.state).toBe("skipped");
    expect(JSON.parse(verification.result!).detail).toMatch(/^verification is off until /);
    expect(fake.requests.filter((request) => request.path.endsWith("/access/users"))).toEqual([]);
  });

  it("a refused token holds its own targets only", async () => {
    const fake = fakeWithBudget(40, 10, [TEST_ZONE_TOKEN]);
    const email = uniqueEmail("half-refused");
    const response = await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email }) });
    const { id } = (await response.json()) as { id: string };
    const record = await waitFor(
      async () => {
        const answer = (await (await operatorFetch(`/v1/revocations/${id}`)).json()) as {
          status: string;
          results: { target: string; state: string }[];
        };
        return answer.status !== "queued" && answer;
      },
      20_000,
      "the revocation to settle",
    );
    expect(Object.fromEntries(record.results.map((result) => [result.target, result.state]))).toEqual({ [ACCOUNT]: "failed", [ZONE]: "revoked" });
    const holds = (await (await operatorFetch("/v1/holds")).json()) as { holds: { target: string }[] };
    expect(holds.holds.map((hold) => hold.target)).toEqual([ACCOUNT]);
    expect(fake.callsFor(email).map((call) => [call.path.split("/").slice(1, 3).join("/"), call.status])).toEqual(
      expect.arrayContaining([
        [ACCOUNT, 403],
        [ZONE, 200],
      ]),
    );
    await operatorFetch(`/v1/holds/${ACCOUNT}`, { method: "DELETE" });
  });
});
