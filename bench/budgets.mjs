// The benchmark's budget phases (issue #22): the Worker at REVOKE_RATE_PER_SECOND=auto against the fake
// Cloudflare API enforcing a fixed window per token (as Cloudflare documents `t`: "the time next window
// resets") and reporting it in Ratelimit and Ratelimit-Policy on every answer.
//  - share: one token, and a second client spending BENCH_OTHER_SHARE (30 %) of the same budget throughout:
//    the share of what it left that the drain used, window by window, and the 429s.
//  - tokens: two accounts, each with its own token (ACCESS_API_TOKENS): one bulk job over both, drained at
//    the sum of the two budgets, and the 429s.
// Windows are short (BENCH_QUOTA calls per BENCH_WINDOW_SECONDS, 200 per 10 s) so each phase takes a minute
// or two: the pace's arithmetic is the same at Cloudflare's 1200 per 300 s. Seat removal and verification
// are off, so every call is a revocation.
import { randomUUID } from "node:crypto";
import { startFakeCloudflareApi } from "../scripts/fake-cloudflare-api.mjs";

export const QUOTA = Number(process.env.BENCH_QUOTA ?? 200);
export const WINDOW_SECONDS = Number(process.env.BENCH_WINDOW_SECONDS ?? 10);
export const OTHER_SHARE = Number(process.env.BENCH_OTHER_SHARE ?? 0.3);
/** Enough people for about eight windows of what the second client leaves. */
const SHARE_BULK = Number(process.env.BENCH_SHARE_BULK ?? Math.round(QUOTA * (1 - OTHER_SHARE) * 8));
/** Enough people for about five windows of both budgets (each person is a call on each account). */
const TOKENS_BULK = Number(process.env.BENCH_TOKENS_BULK ?? QUOTA * 5);

const ACCOUNTS = ["0123456789abcdef0123456789abcdef", "00112233445566778899aabbccddeeff"];
const TOKENS = ["bench-budget-token-one", "bench-budget-token-two"];
const OPERATOR = "bench-operator-token";

/** Submits a bulk job of `count` and waits until every revocation is final; answers the job's figures. */
async function drainJob(url, count, label, log) {
  const auth = { Authorization: `Bearer ${OPERATOR}` };
  const emails = Array.from({ length: count }, (_, i) => `${label}-${i}-${randomUUID().slice(0, 8)}@example.com`);
  const job = await (
    await fetch(`${url}/v1/revocations/bulk`, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: emails.join("\n") })
  ).json();
  log(`${label}: bulk job of ${job.accepted} accepted`);
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    const progress = await (await fetch(`${url}/v1/jobs/${job.job_id}`, { headers: auth })).json();
    if (progress.percent_done === 100 || Date.now() > deadline)
      return { progress, stats: await (await fetch(`${url}/v1/stats`, { headers: auth })).json() };
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/**
 * The drain's use of one token's budget over its windows, leaving out the first (begun at the fallback pace,
 * before any answer) and the last (the job ran out in it): the calls it made ÷ what the others left.
 */
function windowShare(fake, token) {
  const windows = fake.budgetWindows(token).filter((window) => window.admitted > 0);
  const full = windows.slice(1, -1);
  const used = full.reduce((sum, window) => sum + window.admitted, 0);
  const left = full.reduce((sum, window) => sum + QUOTA - window.byOthers, 0);
  const others = full.reduce((sum, window) => sum + window.byOthers, 0);
  return {
    windows: full.length,
    /** Each window: the drain's calls/the second client's, and how long after the last one closed it opened. */
    detail: windows.map((window, i) => `${window.admitted}/${window.byOthers}${i > 0 ? ` +${window.opensAt - windows[i - 1].closesAt} ms` : ""}`),
    used,
    left,
    share: left > 0 ? used / left : null,
    othersShare: full.length > 0 ? others / (QUOTA * full.length) : null,
  };
}

const workerVars = (fake, extra) => ({
  OPERATOR_TOKEN: OPERATOR,
  ACCESS_API_BASE_URL: fake.baseUrl,
  REVOKE_RATE_PER_SECOND: "auto",
  REMOVE_SEATS: "false",
  VERIFY_AFTER_SECONDS: "0",
  DRY_RUN: "false",
  ...extra,
});

/** `context`: { worker(name, vars), log, cleanups }. */
export async function shareOfBudget({ worker, log, cleanups }) {
  const fake = await startFakeCloudflareApi({ tokens: [TOKENS[0]], rateLimit: { quota: QUOTA, windowSeconds: WINDOW_SECONDS } });
  cleanups.push(fake.close);
  const live = await worker("budget-share", workerVars(fake, { ACCESS_ACCOUNT_ID: ACCOUNTS[0], ACCESS_API_TOKEN: TOKENS[0] }));
  // The second client: OTHER_SHARE of the budget, spread evenly for as long as the drain runs (by the clock,
  // so a late timer on a busy machine spends its calls late rather than not at all).
  let refusedOthers = 0;
  let spent = 0;
  const started = Date.now();
  const perMs = (QUOTA * OTHER_SHARE) / (WINDOW_SECONDS * 1000);
  const other = setInterval(() => {
    for (; spent < Math.floor((Date.now() - started) * perMs); spent++) if (fake.spendBudget(TOKENS[0], 1) === 0) refusedOthers++;
  }, 50);
  let drained;
  try {
    drained = await drainJob(live.url, SHARE_BULK, "budget-share", log);
  } finally {
    clearInterval(other);
  }
  const result = {
    bulk: SHARE_BULK,
    revoked: drained.progress.by_status.revoked ?? 0,
    rateLimited: fake.rateLimitedCount(),
    refusedOthers,
    ...windowShare(fake, TOKENS[0]),
    budget: drained.stats.budgets[0],
  };
  log(
    `budget share: ${result.revoked}/${SHARE_BULK} revoked; over ${result.windows} full windows the second client spent ${(result.othersShare * 100).toFixed(1)} % and the drain used ${result.used} of the ${result.left} calls it left (${(result.share * 100).toFixed(1)} %); ${result.rateLimited} × 429 (the second client's refused: ${refusedOthers}); windows (drain/other): ${result.detail.join(", ")}`,
  );
  await live.stop();
  await fake.close();
  return result;
}

export async function twoTokens({ worker, log, cleanups }) {
  const fake = await startFakeCloudflareApi({ tokens: TOKENS, rateLimit: { quota: QUOTA, windowSeconds: WINDOW_SECONDS } });
  cleanups.push(fake.close);
  const live = await worker(
    "budget-tokens",
    workerVars(fake, {
      ACCESS_ACCOUNT_ID: ACCOUNTS.join(","),
      ACCESS_API_TOKENS: JSON.stringify(Object.fromEntries(ACCOUNTS.map((account, i) => [`accounts/${account}`, TOKENS[i]]))),
    }),
  );
  const drained = await drainJob(live.url, TOKENS_BULK, "budget-tokens", log);
  const admitted = fake.calls.filter((call) => call.status === 200).map((call) => call.at);
  const seconds = (Math.max(...admitted) - Math.min(...admitted)) / 1000;
  const sumOfBudgets = (2 * QUOTA) / WINDOW_SECONDS;
  const result = {
    bulk: TOKENS_BULK,
    calls: admitted.length,
    revoked: drained.progress.by_status.revoked ?? 0,
    rateLimited: fake.rateLimitedCount(),
    seconds,
    rate: (admitted.length - 1) / seconds,
    sumOfBudgets,
    perToken: TOKENS.map((token) => windowShare(fake, token)),
    budgets: drained.stats.budgets,
  };
  log(
    `two tokens: ${result.revoked}/${TOKENS_BULK} revoked, ${result.calls} calls in ${seconds.toFixed(1)} s = ${result.rate.toFixed(1)}/s of the two budgets' ${sumOfBudgets}/s (${((result.rate / sumOfBudgets) * 100).toFixed(1)} %); per token, share of each full window: ${result.perToken.map((share) => `${(share.share * 100).toFixed(1)} %`).join(", ")}; ${result.rateLimited} × 429; windows (drain): ${result.perToken.map((share) => share.detail.join(", ")).join(" | ")}`,
  );
  await live.stop();
  await fake.close();
  return result;
}
