// The reconciliation sweep through the real Worker (the "reconcile" project: RECONCILE_EVERY_HOURS=24,
// REMOVE_SEATS=true, one account target and no zone, 400 calls/s so thousands of users read in seconds). The
// fake Cloudflare API lists its Access users a page at a time with result_info, as "Get users" documents
// (developers.cloudflare.com/api/resources/zero_trust/subresources/access/subresources/users/methods/list:
// page, per_page; result_info {page, per_page, count, total_count}); a test signs someone in again by giving
// them a later last_successful_login, or gives them a seat back. The Cron Trigger's call is ledger.reconcile().
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ReconcileView, Stats } from "../../src/domain/views";
import { TEST_ACCOUNT_ID } from "../helpers/bindings";
import { ledgerClock } from "../helpers/clock";
import { apiError, envelope, useFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import { fastForwardLedger, ledgerStub, operatorFetch, settleLedger, uniqueEmail } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);
const ACCOUNT = `accounts/${TEST_ACCOUNT_ID}`;

type Return = {
  found_at: string;
  target: string;
  last_successful_login: string | null;
  holds_seat: boolean;
  detail: string;
  revoked_again: string | null;
  acknowledged_at: string | null;
  acknowledgement: string | null;
};
type RevocationRecord = {
  id: string;
  status: string;
  email: string;
  source: string;
  completed_at: string | null;
  returned_at: string | null;
  return: Return | null;
  revokes_return_of: string | null;
  results: { target: string; seat: { state: string } | null }[];
};

async function revoke(email: string): Promise<RevocationRecord> {
  const response = await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email }) });
  expect(response.status).toBe(200);
  return (await response.json()) as RevocationRecord;
}

const show = async (id: string) => (await (await operatorFetch(`/v1/revocations/${id}`)).json()) as RevocationRecord;
const reconcile = async () => ((await (await operatorFetch("/v1/stats")).json()) as Stats).reconcile;
const notes = async () => ((await (await operatorFetch("/healthz")).json()) as { notes?: string[] }).notes ?? [];
const pageCalls = () => fake().requests.filter((request) => request.path.endsWith("/access/users") && request.query.email === undefined);

/** Starts a sweep as an operator and waits until it finished; answers it. */
async function sweep(): Promise<NonNullable<ReconcileView["last"]>> {
  const before = (await reconcile()).last?.id ?? 0;
  const started = await operatorFetch("/v1/reconcile", { method: "POST" });
  expect(started.status).toBe(202);
  return waitFor(
    async () => {
      const view = await reconcile();
      return view.last !== null && view.last.id > before && view.running === null && view.last;
    },
    30_000,
    "the sweep to finish",
  );
}

/** A revoked person, who then signs in again after the revocation. */
async function revokedThenBack(label: string): Promise<{ email: string; record: RevocationRecord; login: string }> {
  const email = uniqueEmail(label);
  const record = await revoke(email);
  expect(record.status).toBe("revoked");
  // Two minutes on, they signed in a minute after the revocation.
  ledgerClock.advance(120_000);
  const login = new Date(Date.parse(record.completed_at!) + 60_000).toISOString();
  fake().changeAccessUser(email, { last_successful_login: login, active_device_count: 1 });
  return { email, record, login };
}

describe("the reconciliation sweep", () => {
  it("records a revoked person who signed in again, notes it until acknowledged, revokes them once more, and touches nobody else", async () => {
    const stayed = await revoke(uniqueEmail("stayed-out"));
    const { email, record, login } = await revokedThenBack("came-back");
    const revokeCallsBefore = fake().calls.length;

    const finished = await sweep();
    expect(finished).toMatchObject({ status: "done", trigger: "operator", returns_found: 1, revoked_again: 1 });
    expect(finished.accounts).toEqual([expect.objectContaining({ target: ACCOUNT, state: "done" })]);

    const back = await show(record.id);
    expect(back.returned_at).toBe(login);
    expect(back.return).toMatchObject({ target: ACCOUNT, last_successful_login: login, acknowledged_at: null });
    expect(back.return?.detail).toContain(`signed in at ${login}`);
    // Revoked once more, through the ordinary commit: its own record, linked to the first, paced and sent.
    const again = await waitFor(async () => {
      const shown = await show(back.return!.revoked_again!);
      return shown.status === "revoked" && shown;
    });
    expect(again).toMatchObject({ email, source: "reconcile", revokes_return_of: record.id });
    expect(
      fake()
        .calls.slice(revokeCallsBefore)
        .map((call) => call.body.email),
    ).toEqual([email]);
    // Nobody else is touched.
    expect((await show(stayed.id)).returned_at).toBeNull();

    // Noted in /healthz and /v1/stats until an operator acknowledges it.
    expect((await notes()).join("\n")).toContain(record.id);
    expect((await reconcile()).returns.oldest.map((open) => open.id)).toContain(record.id);
    const refused = await operatorFetch(`/v1/revocations/${stayed.id}/acknowledge`, { method: "POST", body: JSON.stringify({ reason: "n/a" }) });
    expect(refused.status).toBe(409);
    const acknowledged = await operatorFetch(`/v1/revocations/${record.id}/acknowledge`, {
      method: "POST",
      body: JSON.stringify({ reason: "disabled in the IdP, ticket 4711" }),
    });
    expect(acknowledged.status).toBe(200);
    expect(((await acknowledged.json()) as RevocationRecord).return).toMatchObject({ acknowledgement: "disabled in the IdP, ticket 4711" });
    expect((await notes()).join("\n")).not.toContain(record.id);

    // The audit log has the return (the record under "returned"), the sweep, and the acknowledgement.
    const audit = await waitFor(async () => {
      const listed = await env.AUDIT_LOG.list({ prefix: `email:${email}:` });
      return listed.keys.find((key) => key.name.endsWith(`${record.id}:returned`));
    });
    expect(audit).toBeDefined();
    const actions = await waitFor(async () => {
      const listed = (await (await operatorFetch("/v1/audit?actions=true")).json()) as { entries: { status: string; id: string }[] };
      return listed.entries.find((entry) => entry.status === "return_acknowledged" && entry.id === record.id);
    });
    expect(actions).toBeDefined();

    // A second sweep finds the same login again: counted once, never revoked a third time.
    const second = await sweep();
    expect(second).toMatchObject({ status: "done", returns_found: 0, revoked_again: 0 });
  });

  it("runs on the Cron Trigger every RECONCILE_EVERY_HOURS, one sweep at a time", async () => {
    const latest = (await reconcile()).last;
    // Another sweep is due unless one ran within the day: step past it.
    if (latest) ledgerClock.advance(24 * 3_600_000);
    expect((await ledgerStub().reconcile()).sweep_started).toBe(true);
    expect((await ledgerStub().reconcile()).sweep_started).toBe(false);
    await waitFor(async () => (await reconcile()).running === null);
    expect((await ledgerStub().reconcile()).sweep_started).toBe(false);
    const next = Date.parse((await reconcile()).next_at!);
    ledgerClock.advance(next - ledgerClock.now() + 1000);
    expect((await ledgerStub().reconcile()).sweep_started).toBe(true);
    const scheduled = await waitFor(async () => {
      const view = await reconcile();
      return view.running === null && view.last;
    });
    expect(scheduled).toMatchObject({ trigger: "schedule", status: "done" });
  });

  // Regression: a finished sweep's audit entry (sweep:) was written, but no listing or export could read it.
  it("is listed by GET /v1/audit?sweeps=true and exported with kind=sweeps", async () => {
    const finished = await sweep();
    const listed = await waitFor(
      async () => {
        const listing = (await (await operatorFetch("/v1/audit?sweeps=true&limit=1000")).json()) as {
          entries: { kind: string; id: string; status: string; source: string }[];
        };
        return listing.entries.find((entry) => entry.id === String(finished.id));
      },
      10_000,
      "the sweep's audit entry",
    );
    expect(listed).toMatchObject({ kind: "sweep", status: "done", source: finished.trigger });

    const range = "from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&limit=1000";
    const ndjson = await (await operatorFetch(`/v1/audit/export?kind=sweeps&${range}`)).text();
    const entries = ndjson
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.every((entry) => entry.kind === "sweep")).toBe(true);
    expect(entries).toContainEqual(expect.objectContaining({ sweep_id: finished.id, status: "done", trigger: finished.trigger }));
    const csv = await (await operatorFetch(`/v1/audit/export?kind=sweeps&format=csv&${range}`)).text();
    const row = csv.split("\n").find((line) => new RegExp(`,sweep:\\d{13}:${finished.id},`).test(line));
    expect(row).toMatch(/^[^,]+,sweep,done,/);

    const refused = await operatorFetch("/v1/audit?sweeps=true&actions=true");
    expect(refused.status).toBe(400);
  });

  it("counts a revoked person who holds a seat again once their seat was removed (REMOVE_SEATS)", async () => {
    const email = uniqueEmail("seat-again");
    const record = await revoke(email);
    await waitFor(async () => (await show(record.id)).results[0]?.seat?.state === "removed");
    fake().changeAccessUser(email, { access_seat: true });
    const finished = await sweep();
    expect(finished.returns_found).toBe(1);
    expect((await show(record.id)).return).toMatchObject({ holds_seat: true, detail: expect.stringContaining("seat again") });
  });

  it("never delays a revocation: its pages wait while a bulk job drains", async () => {
    const emails = Array.from({ length: 200 }, (_, i) => uniqueEmail(`layoff-${i}`));
    const submitted = await operatorFetch("/v1/revocations/bulk", {
      method: "POST",
      body: emails.join("\n"),
      headers: { "Content-Type": "text/csv" },
    });
    expect(submitted.status).toBe(202);
    const pagesBefore = pageCalls().length;
    await operatorFetch("/v1/reconcile", { method: "POST" });
    await waitFor(async () => (await reconcile()).running === null, 30_000);
    const mine = new Set(emails);
    const lastRevoke = Math.max(
      ...fake()
        .calls.filter((call) => mine.has(call.body.email as string))
        .map((call) => call.at),
    );
    const firstPage = Math.min(
      ...pageCalls()
        .slice(pagesBefore)
        .map((call) => call.at),
    );
    // The follow-up lane goes last: the sweep's first page leaves once the job's last call has (up to the six in flight).
    const revokesAfter = fake().calls.filter((call) => mine.has(call.body.email as string) && call.at > firstPage).length;
    expect(revokesAfter).toBeLessThanOrEqual(6);
    expect(firstPage).toBeGreaterThan(lastRevoke - 1000);
  });
});

describe("faults", () => {
  it("switches itself off for an hour when the API refuses the token for users, and says so", async () => {
    fake().setFollowUpAnswer((call) =>
      call.query.email === undefined && call.path.endsWith("/access/users") ? apiError(403, 10000, "Authentication error") : null,
    );
    const failed = await sweep();
    expect(failed).toMatchObject({ status: "failed" });
    expect(failed.accounts[0]?.detail).toContain("Access: Audit Logs Read");
    const view = await reconcile();
    expect(Date.parse(view.off_until!)).toBeGreaterThan(ledgerClock.now() + 59 * 60_000);
    expect((await notes()).join("\n")).toMatch(/RECONCILE_EVERY_HOURS: the sweep is off until .*Access: Audit Logs Read/);
    // Within the hour the Cron Trigger starts none; after it, one.
    expect((await ledgerStub().reconcile()).sweep_started).toBe(false);
    fake().setFollowUpAnswer(() => null);
    ledgerClock.advance(61 * 60_000);
    expect((await ledgerStub().reconcile()).sweep_started).toBe(true);
    await waitFor(async () => (await reconcile()).last?.status === "done");
    expect((await notes()).join("\n")).not.toContain("the sweep is off");
  });

  it("rides out a 429 (the drain pauses), a 503 and an answer that is no users list, and still finds the return", async () => {
    const { record } = await revokedThenBack("through-faults");
    let faults = 0;
    fake().setFollowUpAnswer((call) => {
      if (call.query.email !== undefined || !call.path.endsWith("/access/users")) return null;
      faults++;
      if (faults === 1) return apiError(429, 10429, "Rate limited", { "Retry-After": "1" });
      if (faults === 2) return apiError(503, 0, "unavailable");
      if (faults === 3) return envelope({ not: "a list" });
      return null;
    });
    const started = await operatorFetch("/v1/reconcile", { method: "POST" });
    expect(started.status).toBe(202);
    const finished = await waitFor(async () => {
      await fastForwardLedger();
      const view = await reconcile();
      return view.running === null && view.last;
    }, 30_000);
    expect(faults).toBeGreaterThanOrEqual(4);
    expect(finished.status).toBe("done");
    expect((await show(record.id)).returned_at).not.toBeNull();
  });

  it("reads a page again when the list shrank between pages, so nobody moved up onto a page already read is skipped", async () => {
    const tag = crypto.randomUUID().slice(0, 6);
    fake().addAccessUsers(250, `shrink-${tag}-`);
    // Sorted by email, the returner is 151st: on page 2 of 100. As page 2 is asked for, 60 people before them
    // leave, which moves them up onto page 1, already read.
    const { record } = await revokedThenBack(`shrink-${tag}-000150`);
    let removed = false;
    fake().setFollowUpAnswer((call) => {
      if (!removed && call.query.page === "2" && call.query.email === undefined) {
        removed = true;
        for (let n = 0; n < 60; n++) fake().withoutAccessUser(`shrink-${tag}-${String(n).padStart(6, "0")}@example.com`);
      }
      return null;
    });
    const finished = await sweep();
    expect(removed).toBe(true);
    expect(finished).toMatchObject({ status: "done", list_changed: true, returns_found: 1 });
    expect((await show(record.id)).returned_at).not.toBeNull();
  });

  it("resumes from its cursor after an eviction mid-sweep and counts each return once", async () => {
    const tag = crypto.randomUUID().slice(0, 6);
    fake().addAccessUsers(500, `evict-${tag}-`);
    const { record } = await revokedThenBack(`evict-${tag}-000050`);
    let pages = 0;
    let evicted = false;
    fake().setFollowUpAnswer((call) => {
      if (call.query.email === undefined && call.path.endsWith("/access/users")) pages++;
      // Pages stop answering (a hung connection's timeout: retried) until the ledger was evicted.
      return pages > 3 && !evicted ? apiError(503, 0, "unavailable") : null;
    });
    await operatorFetch("/v1/reconcile", { method: "POST" });
    await waitFor(async () => pages > 3);
    expect((await reconcile()).running?.accounts[0]).toMatchObject({ pages_read: 3, returns_found: 1 });
    await evictDurableObject(ledgerStub());
    evicted = true;
    const finished = await waitFor(async () => {
      await fastForwardLedger();
      const view = await reconcile();
      return view.running === null && view.last;
    }, 30_000);
    expect(finished).toMatchObject({ status: "done", returns_found: 1, revoked_again: 1 });
    expect(finished.accounts[0]).toMatchObject({ pages_read: 6 });
    const again = await show((await show(record.id)).return!.revoked_again!);
    expect(again.revokes_return_of).toBe(record.id);
  });

  it("reads tens of thousands of users a page at a time, holding one call row per account", async () => {
    const tag = crypto.randomUUID().slice(0, 6);
    fake().addAccessUsers(20_000, `many-${tag}-`);
    const { record } = await revokedThenBack(`many-${tag}-zz`);
    const before = pageCalls().length;
    const finished = await sweep();
    expect(finished.status).toBe("done");
    expect(finished.users_seen).toBeGreaterThanOrEqual(20_000);
    expect(pageCalls().length - before).toBe(Math.ceil(fake().accessUserCount() / 100));
    expect(finished.returns_found).toBe(1);
    expect((await show(record.id)).returned_at).not.toBeNull();
    // The ledger never held the list: one call row for the account, queued again page after page.
    const rows = await runInDurableObject(
      ledgerStub(),
      async (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM calls WHERE kind = 'sweep_page'").one().n,
    );
    expect(rows).toBe(1);
  }, 120_000);
});
