// GET /v1/reports/offboarding through the real Worker: a period with single revocations, a bulk job, a
// failure left failed, a failure retried by an operator, and a person the reconciliation sweep found back
// (revoked once more). Each must show in JSON, CSV and HTML, and the summary must match the ledger's records.
import { csvParse } from "d3-dsv";
import { describe, expect, it } from "vitest";
import type { OffboardingReport, OffboardingRow } from "../../src/domain/offboarding-report";
import type { RevocationRecord } from "../../src/domain/revocation";
import type { Stats } from "../../src/domain/views";
import { ledgerClock } from "../helpers/clock";
import { apiError, envelope, useFakeCloudflare } from "../helpers/fake-cloudflare";
import { waitFor } from "../helpers/wait";
import { operatorFetch, settleLedger, uniqueEmail, waitForIdleLedger } from "../helpers/worker";

const fake = useFakeCloudflare(settleLedger);

async function revoke(email: string): Promise<RevocationRecord> {
  return (await (await operatorFetch("/v1/revocations", { method: "POST", body: JSON.stringify({ email }) })).json()) as RevocationRecord;
}
const show = async (id: string) => (await (await operatorFetch(`/v1/revocations/${id}`)).json()) as RevocationRecord;
const stats = async () => (await (await operatorFetch("/v1/stats")).json()) as Stats;

/** The period's revocations, built as the test goes; the report must show exactly these. */
type Period = { from: string; to: string; ids: Record<string, string>; jobIds: string[]; againId: string };

async function buildPeriod(): Promise<Period> {
  // A day on: this file's period holds only what this test revokes.
  ledgerClock.advance(86_400_000);
  const from = new Date(ledgerClock.now() - 1000).toISOString();
  const single = await revoke(uniqueEmail("single"));
  expect(single.status).toBe("revoked");

  const bulk = Array.from({ length: 3 }, (_, i) => uniqueEmail(`bulk-${i}`));
  const submitted = await operatorFetch("/v1/revocations/bulk", { method: "POST", body: bulk.join("\n"), headers: { "Content-Type": "text/csv" } });
  expect(submitted.status).toBe(202);
  await waitForIdleLedger();

  const stuck = uniqueEmail("stuck");
  const retried = uniqueEmail("retried");
  fake().setAnswer((call) => (call.body.email === stuck || call.body.email === retried ? apiError(400, 12000, "bad request") : envelope(true)));
  const failed = await revoke(stuck);
  const failedThenRetried = await revoke(retried);
  expect([failed.status, failedThenRetried.status]).toEqual(["failed", "failed"]);
  fake().setAnswer(() => envelope(true));
  expect((await operatorFetch(`/v1/revocations/${failedThenRetried.id}/retry`, { method: "POST" })).status).toBe(202);
  await waitFor(async () => (await show(failedThenRetried.id)).status === "revoked");

  const backEmail = uniqueEmail("back");
  const back = await revoke(backEmail);
  ledgerClock.advance(60_000);
  fake().changeAccessUser(backEmail, { last_successful_login: new Date(Date.parse(back.completed_at!) + 30_000).toISOString() });
  expect((await operatorFetch("/v1/reconcile", { method: "POST" })).status).toBe(202);
  const again = await waitFor(async () => {
    const id = (await show(back.id)).return?.revoked_again;
    return id && (await show(id)).status === "revoked" && id;
  });
  await waitFor(async () => (await stats()).reconcile.running === null);

  const jobIds = (await (await operatorFetch(`/v1/revocations?email=${bulk[0]}`)).json()) as { records: RevocationRecord[] };
  const all = await Promise.all(
    bulk.map(
      async (email) => ((await (await operatorFetch(`/v1/revocations?email=${email}`)).json()) as { records: RevocationRecord[] }).records[0]!.id,
    ),
  );
  expect(jobIds.records[0]?.job_id).not.toBeNull();
  return {
    from,
    // An hour ahead: a revocation made while the report is read falls inside the period but after its through_seq.
    to: new Date(ledgerClock.now() + 3_600_000).toISOString(),
    ids: { single: single.id, stuck: failed.id, retried: failedThenRetried.id, back: back.id },
    jobIds: all,
    againId: again,
  };
}

async function report(period: Period, query = ""): Promise<Response> {
  return operatorFetch(`/v1/reports/offboarding?from=${period.from}&to=${period.to}${query}`);
}

/** Nearest rank, as the ledger's percentiles (the value at ⌈p·n⌉). */
function nearestRank(sorted: number[], share: number): number {
  return sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)]!;
}

describe("GET /v1/reports/offboarding", () => {
  it("shows a bulk job, single revocations, a failure, a retried failure and a return in JSON, CSV and HTML, its summary matching the ledger", async () => {
    const period = await buildPeriod();
    const expectedIds = [period.ids.single!, ...period.jobIds, period.ids.stuck!, period.ids.retried!, period.ids.back!, period.againId];

    const json = await report(period, "&threshold=5m");
    expect(json.status).toBe(200);
    const first = (await json.json()) as OffboardingReport;
    const { summary, rows } = first;
    expect(rows.map((row) => row.id)).toEqual(expectedIds);
    expect(first.next_cursor).toBeNull();

    // Every figure as the ledger's records have it.
    const records = await Promise.all(expectedIds.map(show));
    const ttrs = records
      .map((record) => record.time_to_revoke_ms)
      .filter((ms): ms is number => ms !== null)
      .sort((a, b) => a - b);
    expect(summary).toMatchObject({
      count: 8,
      people: 7,
      by_status: { revoked: 7, failed: 1 },
      threshold_ms: 300_000,
      within_threshold: ttrs.filter((ms) => ms <= 300_000).length,
      time_to_revoke: { count: 7, p50_ms: nearestRank(ttrs, 0.5), p95_ms: nearestRank(ttrs, 0.95), max_ms: ttrs[ttrs.length - 1] },
      failures: { unresolved: 1, resolved_after_retry: 1, unresolved_ids: [period.ids.stuck] },
      returns: { found: 1, acknowledged: 0, revoked_again: 1 },
    });
    const chain = (await stats()).audit_chain;
    expect(summary.audit_chain.chain_id).toBe(chain.chain_id);
    expect(summary.audit_chain.head?.seq).toBeGreaterThan(0);
    expect(Date.parse(summary.generated_at)).toBeGreaterThan(Date.parse(period.from));

    const byId = new Map(rows.map((row) => [row.id, row] as [string, OffboardingRow]));
    expect(byId.get(period.ids.single!)!.targets).toEqual([
      expect.objectContaining({ target: expect.stringMatching(/^accounts\//), state: "revoked", http_status: 200 }),
      expect.objectContaining({ target: expect.stringMatching(/^zones\//), state: "revoked", http_status: 200 }),
    ]);
    expect(byId.get(period.jobIds[0]!)!.job_id).not.toBeNull();
    expect(byId.get(period.ids.stuck!)).toMatchObject({ status: "failed" });
    expect(byId.get(period.ids.stuck!)!.targets[0]).toMatchObject({
      state: "failed",
      http_status: 400,
      errors: [{ code: 12000, message: "bad request" }],
    });
    expect(byId.get(period.ids.retried!)).toMatchObject({ status: "revoked" });
    expect(byId.get(period.ids.retried!)!.targets[0]!.attempts).toBe(2);
    expect(byId.get(period.ids.back!)).toMatchObject({
      returned_at: expect.any(String),
      revoked_again: period.againId,
      return_acknowledged_at: null,
    });
    expect(byId.get(period.againId)).toMatchObject({ source: "reconcile", revokes_return_of: period.ids.back });

    // Paginated: three rows a page, every page the same report, even while revocations arrive.
    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = (await (await report(period, `&limit=3${cursor ? `&cursor=${cursor}` : ""}`)).json()) as OffboardingReport;
      expect(page.summary.through_seq).toBe(summary.through_seq);
      expect(page.summary.count).toBe(8);
      paged.push(...page.rows.map((row) => row.id));
      cursor = page.next_cursor;
      if (pages++ === 0) await revoke(uniqueEmail("after-the-first-page"));
    } while (cursor);
    expect(paged).toEqual(expectedIds);

    // CSV: by format= or by Accept; the summary in # lines, one row per revocation, a closing count.
    const csv = await report(period, "&format=csv");
    expect(csv.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    const text = await csv.text();
    const lines = text.trimEnd().split("\n");
    expect(lines.at(-1)).toBe("# end of report: 9 rows");
    expect(text).toContain(`# audit chain: ${summary.audit_chain.chain_id}, head seq `);
    expect(text).toContain("# failures: 1 unresolved");
    const table = csvParse(lines.filter((line) => !line.startsWith("#")).join("\n"));
    // The period's to is an hour ahead: the revocation made while paging is in it now.
    expect(table.map((row) => row.revocation_id).slice(0, 8)).toEqual(expectedIds);
    const stuckRow = table.find((row) => row.revocation_id === period.ids.stuck)!;
    expect(stuckRow.status).toBe("failed");
    expect(stuckRow.targets).toMatch(/^accounts\/\w+: failed HTTP 400 .*\(12000 bad request\)/);
    expect(table.find((row) => row.revocation_id === period.againId)?.revokes_return_of).toBe(period.ids.back);
    const byAccept = await operatorFetch(`/v1/reports/offboarding?from=${period.from}&to=${period.to}`, { headers: { Accept: "text/csv" } });
    expect(byAccept.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    await byAccept.body?.cancel();

    // HTML: printable, nothing it could run, every row and the chain head.
    const html = await operatorFetch(`/v1/reports/offboarding?from=${period.from}&to=${period.to}`, { headers: { Accept: "text/html" } });
    expect(html.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(html.headers.get("Content-Security-Policy")).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const page = await html.text();
    for (const id of expectedIds) expect(page).toContain(id);
    expect(page).toContain(summary.audit_chain.chain_id);
    expect(page).not.toContain("<script");
    expect(page.trimEnd()).toMatch(/<p>End of report: 9 rows\.<\/p><\/body><\/html>$/);
  });

  it("refuses a period that ends before it starts, a threshold it cannot read, and a JSON cursor on CSV", async () => {
    const bad = async (query: string) => (await operatorFetch(`/v1/reports/offboarding?${query}`)).status;
    expect(await bad("from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z")).toBe(400);
    expect(await bad("from=2026-12-01T00:00:00Z&threshold=5 minutes")).toBe(400);
    expect(await bad("from=2026-12-01T00:00:00Z&format=csv&cursor=1.2.3")).toBe(400);
    expect(await bad("to=2026-12-01T00:00:00Z")).toBe(400);
  });
});
