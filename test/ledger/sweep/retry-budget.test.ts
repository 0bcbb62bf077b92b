// A sweep page past the drain's 24 h retry budget, on a scratch ledger's real SQLite and drain (the "workers"
// project's account and token) against the fake Cloudflare API: a page due for more than a day (it waited
// behind revocations and jobs, in the lowest lane) that is answered 503 ends its account's part of the sweep.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { startSweep } from "../../../src/ledger/sweep/runs";
import { TEST_ACCOUNT_ID } from "../../helpers/bindings";
import { ledgerClock } from "../../helpers/clock";
import { apiError, useFakeCloudflare } from "../../helpers/fake-cloudflare";
import { waitFor } from "../../helpers/wait";
import { settleLedger } from "../../helpers/worker";

const ACCOUNT = `accounts/${TEST_ACCOUNT_ID}`;

const fake = useFakeCloudflare(settleLedger);

// Regression: the retry budget took the page for a revocation's follow-up (followUpsDone of revocation 0), the
// drain then threw reading revocation 0's record, and the sweep stayed running for good.
it("fails the account of a sweep page that ran out of the retry budget, and the sweep finishes", async () => {
  fake().setFollowUpAnswer(() => apiError(503, 0, "unavailable"));
  const ledger = env.LEDGER.get(env.LEDGER.idFromName(`sweep-budget-${crypto.randomUUID()}`));
  await runInDurableObject(ledger, async (_instance, state) => {
    const { sql } = state.storage;
    const now = ledgerClock.now();
    state.storage.transactionSync(() => startSweep(sql, [ACCOUNT], "operator", now));
    sql.exec("UPDATE calls SET next_attempt_at = ? WHERE kind = 'sweep_page'", now - 25 * 3_600_000);
    await state.storage.setAlarm(Date.now());
  });
  const sweep = await waitFor(
    () =>
      runInDurableObject(ledger, (_instance, state) => {
        const sql = state.storage.sql;
        const run = sql.exec<{ status: string }>("SELECT status FROM sweeps").one();
        const account = sql.exec<{ state: string; detail: string | null }>("SELECT state, detail FROM sweep_accounts").one();
        return run.status !== "running" && { status: run.status, account: account.state, detail: account.detail };
      }),
    10_000,
    "the sweep finished",
  );
  expect(sweep).toEqual({
    status: "failed",
    account: "failed",
    detail: expect.stringMatching(/^page 1 could not be read: gave up after the 24 h retry budget: .*503/),
  });
});
