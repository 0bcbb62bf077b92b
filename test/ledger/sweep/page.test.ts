// One page of the reconciliation sweep (src/ledger/sweep/page.ts) on a scratch ledger's real SQLite, with
// RECONCILE_REVOKE_RETURNS off, where nothing revokes the person again: the return is recorded once, and a
// later sweep that sees the same login again counts nobody (regression guard: without the revocation the
// sweep would ask for, only the record's returned_at stops a second count).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import type { AccessUsersPage } from "../../../src/cloudflare/access-users";
import { dueHead } from "../../../src/ledger/calls/queue";
import { commitRequest } from "../../../src/ledger/revocations/commit";
import type { CommitContext } from "../../../src/ledger/store/context";
import { sweepPageRead } from "../../../src/ledger/sweep/page";
import { startSweep } from "../../../src/ledger/sweep/runs";

const ACCOUNT = "accounts/0123456789abcdef0123456789abcdef";
const settings = { revokeReturns: false, removeSeats: false, retentionMs: 90 * 86_400_000 };

it("counts a return once across sweeps when RECONCILE_REVOKE_RETURNS is off, and asks for no revocation", async () => {
  const scratch = env.LEDGER.get(env.LEDGER.idFromName(`sweep-page-${crypto.randomUUID()}`));
  const now = 1_800_000_000_000;
  await runInDurableObject(scratch, async (_instance, state) => {
    const sql = state.storage.sql;
    const context: CommitContext = {
      sql,
      now,
      settings: { targets: [{ kind: "accounts", id: ACCOUNT.slice(9) }], revokeDevices: true, warpSessionReauth: false },
      newId: () => `rev_${crypto.randomUUID().replace(/-/g, "")}`,
    };
    const receipt = commitRequest(context, {
      source: "operator",
      assurance: "operator",
      event_id: "e1",
      event_type: "operator",
      email: "back@example.com",
    });
    // Its revoke_user call succeeded at `now`.
    sql.exec("UPDATE calls SET state = 'revoked', completed_at = ? WHERE kind = 'revoke'", now);
    const page: AccessUsersPage = {
      users: [{ id: "u-back", email: "back@example.com", last_successful_login: new Date(now + 60_000).toISOString() }],
      perPage: 100,
      totalCount: 1,
    };
    const answer = { httpStatus: 200, errors: [] };

    const sweepOnce = (at: number) => {
      startSweep(sql, [ACCOUNT], "operator", at);
      const call = dueHead(sql, "follow_up", "sweep", at, new Set());
      expect(call).not.toBeNull();
      return sweepPageRead({ ...context, now: at }, call!, page, settings, answer);
    };
    sweepOnce(now + 120_000);
    sweepOnce(now + 86_400_000);

    const sweeps = sql.exec<{ returns_found: number; revoked_again: number; status: string }>("SELECT * FROM sweeps ORDER BY id").toArray();
    expect(sweeps.map(({ status, returns_found, revoked_again }) => ({ status, returns_found, revoked_again }))).toEqual([
      { status: "done", returns_found: 1, revoked_again: 0 },
      { status: "done", returns_found: 0, revoked_again: 0 },
    ]);
    const record = sql.exec<{ returned_at: number; return_revocation_id: string | null }>("SELECT * FROM revocations WHERE id = ?", receipt.id).one();
    expect(record).toMatchObject({ returned_at: now + 60_000, return_revocation_id: null });
    expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM revocations").one().n).toBe(1);
  });
});
