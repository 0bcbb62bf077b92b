// requeueRefusedFollowUps (calls/follow-up-calls.ts), on a ledger of its own that nothing else drives: which
// calls a follow-up's return queues again, and that it answers how many calls, not how many rows and index
// entries SQLite wrote (the log line drain.follow_up_on said "requeued":150 for 40 calls in README's tour).
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { requeueRefusedFollowUps } from "../../../src/ledger/calls/follow-up-calls";

const VERIFY = ["verify_lookup", "verify_sessions"];
const T = Date.parse("2026-12-07T12:00:00Z");

describe("requeueRefusedFollowUps", () => {
  it("queues again the refused and skipped calls of its kinds since `from`, and answers how many calls", async () => {
    const ledger = env.LEDGER.get(env.LEDGER.idFromName("follow-up-calls-test"));
    await runInDurableObject(ledger, (_instance, state) => {
      const sql = state.storage.sql;
      const call = (seq: number, kind: string, callState: string, httpStatus: number | null, completedAt: number) =>
        sql.exec(
          "INSERT INTO calls (revocation_seq, target, kind, state, next_attempt_at, http_status, completed_at, lane) VALUES (?, 'accounts/a', ?, ?, ?, ?, ?, 'follow_up')",
          seq,
          kind,
          callState,
          T,
          httpStatus,
          completedAt,
        );
      call(-1, "verify_lookup", "failed", 403, T + 1); // refused: queued again
      call(-2, "verify_lookup", "skipped", null, T + 2); // skipped: queued again
      call(-3, "verify_sessions", "failed", 401, T + 3); // refused: queued again
      call(-4, "verify_lookup", "failed", 500, T + 4); // failed otherwise: stays
      call(-5, "seat_lookup", "failed", 403, T + 5); // another follow-up: stays
      call(-6, "verify_lookup", "failed", 403, T - 1); // before `from`: stays
      expect(requeueRefusedFollowUps(sql, VERIFY, T, T + 10)).toBe(3);
      const pending = sql
        .exec<{ seq: number }>("SELECT revocation_seq AS seq FROM calls WHERE revocation_seq < 0 AND state = 'pending' ORDER BY seq DESC")
        .toArray();
      expect(pending.map((row) => row.seq)).toEqual([-1, -2, -3]);
      sql.exec("DELETE FROM calls WHERE revocation_seq < 0");
    });
  });
});
