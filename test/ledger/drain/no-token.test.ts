// A call queued at a target that has no API token (the target left ACCESS_ACCOUNT_ID/ACCESS_ZONE_ID while
// its calls were queued, or a retry re-queued one there), on a scratch ledger's real SQLite and drain: the
// "workers" project configures one account and one zone, so any other target has no token. DRY_RUN is off.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { commitRequest } from "../../../src/ledger/revocations/commit";
import type { CommitContext } from "../../../src/ledger/store/context";
import { startSweep } from "../../../src/ledger/sweep/runs";
import { ledgerClock } from "../../helpers/clock";
import { useFakeCloudflare } from "../../helpers/fake-cloudflare";
import { waitFor } from "../../helpers/wait";
import { settleLedger } from "../../helpers/worker";

/** An account no configuration names. */
const GONE = "accounts/99999999999999999999999999999999";

const fake = useFakeCloudflare(settleLedger);

const scratchLedger = () => env.LEDGER.get(env.LEDGER.idFromName(`no-token-${crypto.randomUUID()}`));

// Regression: the call was settled dry_run with nothing sent, so the revocation ended dry_run (or revoked) silently.
it("fails a revocation whose target has no API token, saying so, and sends nothing", async () => {
  const ledger = scratchLedger();
  const id = await runInDurableObject(ledger, async (_instance, state) => {
    const context: CommitContext = {
      sql: state.storage.sql,
      now: ledgerClock.now(),
      settings: { targets: [{ kind: "accounts", id: GONE.slice("accounts/".length) }], revokeDevices: true, warpSessionReauth: false },
      newId: () => `rev_${crypto.randomUUID().replace(/-/g, "")}`,
    };
    const receipt = state.storage.transactionSync(() =>
      commitRequest(context, { source: "operator", assurance: "operator", event_id: "gone", event_type: "operator", email: "gone@example.com" }),
    );
    await state.storage.setAlarm(Date.now());
    return receipt.id;
  });
  const settled = await waitFor(
    () =>
      runInDurableObject(ledger, (_instance, state) => {
        const sql = state.storage.sql;
        const record = sql.exec<{ status: string; last_error: string | null }>("SELECT status, last_error FROM revocations WHERE id = ?", id).one();
        const call = sql.exec<{ state: string }>("SELECT state FROM calls WHERE target = ? AND kind = 'revoke'", GONE).one();
        return record.status !== "queued" && { ...record, call: call.state };
      }),
    10_000,
    "the revocation settled",
  );
  expect(settled).toEqual({ status: "failed", last_error: `no API token is configured for ${GONE}`, call: "failed" });
  expect(fake().calls).toEqual([]);
});

// Regression: the sweep page was settled dry_run, never reached sweepPageFailed, and the sweep stayed running.
it("ends a sweep's account whose target has no API token, so the sweep finishes", async () => {
  const ledger = scratchLedger();
  await runInDurableObject(ledger, async (_instance, state) => {
    state.storage.transactionSync(() => startSweep(state.storage.sql, [GONE], "operator", ledgerClock.now()));
    await state.storage.setAlarm(Date.now());
  });
  const sweep = await waitFor(
    () =>
      runInDurableObject(ledger, (_instance, state) => {
        const sql = state.storage.sql;
        const run = sql.exec<{ status: string }>("SELECT status FROM sweeps").one();
        const account = sql.exec<{ state: string; detail: string | null }>("SELECT * FROM sweep_accounts").one();
        return run.status !== "running" && { status: run.status, account: account.state, detail: account.detail };
      }),
    10_000,
    "the sweep finished",
  );
  expect(sweep).toMatchObject({ account: "failed", detail: `page 1 could not be read: no API token is configured for ${GONE}` });
  expect(sweep.status).not.toBe("running");
  expect(fake().calls).toEqual([]);
});
