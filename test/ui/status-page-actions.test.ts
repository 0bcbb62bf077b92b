// What an operator in an offboarding does on the status page, in Chromium against a real `wrangler dev`
// holding scripts/status-page-demo.mjs's state (its own, apart from status-page.test.ts, since these
// tests change it): find revocations by email and status, page past the newest 20 with the API's cursor,
// read one record's targets, attempts and verification, retry a failed revocation and clear a token hold,
// each only once confirmed, through the same /v1 routes as the CLI. Every server is stopped by pid.
import { readFileSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../scripts/chromium.mjs";
import { startStatusPageDemo } from "../../scripts/status-page-demo.mjs";
import { clock, described, openStatusPage as openTab, operatorApi, revocationRows, rowOf, signIn } from "./page";

type Demo = Awaited<ReturnType<typeof startStatusPageDemo>>;
type Attempt = { at: string; http_status: number | null; outcome: string; error: string | null };
type Verification = { state: string; verified_at: string | null; active_sessions: number | null };
type TargetResult = { target: string; state: string; history: Attempt[]; verification: Verification | null };
type RevocationRecord = { id: string; email: string; status: string; attempts: number; results: TargetResult[] };
type Page = { records: RevocationRecord[]; cursor: string | null };
type AuditListing = { entries: { status: string; id: string; at: string }[] };

let demo: Demo;
let browser: Browser;
let operator: ReturnType<typeof operatorApi>;

beforeAll(async () => {
  demo = await startStatusPageDemo();
  browser = await launchChromium();
  operator = operatorApi(demo.url, demo.token);
});
afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

async function signedInPage() {
  const tab = await openTab(browser, demo.url);
  await signIn(tab.page, demo.token);
  await rowOf(tab.page, "ivo@example.com").waitFor();
  return tab;
}

const emailsOf = async (page: Awaited<ReturnType<typeof signedInPage>>["page"]) => (await revocationRows(page)).map((cells) => cells[1]);

describe("finding revocations", () => {
  it("by email, then by status, then all again", async () => {
    const { page, problems, close } = await signedInPage();
    const search = page.getByRole("search", { name: "Find revocations" });
    await search.getByRole("textbox", { name: "Email" }).fill("ivo@example.com");
    await search.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => emailsOf(page)).toEqual(["ivo@example.com"]);
    expect(await page.getByText(/^Page 1, newest first, 20 a page; only ivo@example\.com\.$/).count()).toBe(1);

    await search.getByRole("textbox", { name: "Email" }).fill("");
    await search.getByRole("combobox", { name: "Status" }).selectOption({ label: "still active" });
    await search.getByRole("button", { name: "Search" }).click();
    // Verified 2 s after its revocation (VERIFY_AFTER_SECONDS): the search follows it as the page refreshes.
    await expect.poll(() => emailsOf(page), { timeout: 20_000 }).toEqual(["max@example.com"]);

    await search.getByRole("textbox", { name: "Email" }).fill("nobody@example.com");
    await search.getByRole("combobox", { name: "Status" }).selectOption({ label: "any" });
    await search.getByRole("button", { name: "Search" }).click();
    await page.getByText("No revocation matches (nobody@example.com).").waitFor();

    await search.getByRole("button", { name: "Show all" }).click();
    const all = (await operator<Page>("/revocations?limit=20")).records.map((record) => record.email);
    await expect.poll(() => emailsOf(page)).toEqual(all);
    expect(problems).toEqual([]);
    await close();
  });

  it("past the newest 20, a page at a time with the API's cursor", async () => {
    // Ten more people (their zone calls wait behind the hold; their records exist from the upload on).
    const lines = Array.from({ length: 10 }, (_, index) => `pager-${index}@example.com`);
    await operator("/revocations/bulk", {
      method: "POST",
      headers: { "content-type": "text/csv", "Idempotency-Key": "status-page-paging" },
      body: lines.join("\n"),
    });
    const first = await operator<Page>("/revocations?limit=20");
    const second = await operator<Page>(`/revocations?limit=20&cursor=${first.cursor}`);
    expect(first.cursor).not.toBeNull();
    expect(second.records.length).toBeGreaterThan(0);

    const { page, problems, close } = await signedInPage();
    const pager = page.getByRole("navigation", { name: "Pages of revocations" });
    await expect.poll(() => emailsOf(page)).toEqual(first.records.map((record) => record.email));
    expect(await pager.getByRole("button", { name: "Newer" }).isDisabled()).toBe(true);

    await pager.getByRole("button", { name: "Older" }).click();
    await expect.poll(() => emailsOf(page)).toEqual(second.records.map((record) => record.email));
    expect(await page.getByText(/^Page 2, newest first/).count()).toBe(1);
    expect(await pager.getByRole("button", { name: "Older" }).isDisabled()).toBe(second.cursor === null);

    await pager.getByRole("button", { name: "Newer" }).click();
    await expect.poll(() => emailsOf(page)).toEqual(first.records.map((record) => record.email));
    expect(problems).toEqual([]);
    await close();
  });
});

describe("one revocation's record", () => {
  it("shows its targets, each one's attempts, seat and verification", async () => {
    const [max] = (await operator<Page>("/revocations?email=max@example.com")).records;
    await expect.poll(async () => (await operator<RevocationRecord>(`/revocations/${max!.id}`)).status, { timeout: 20_000 }).toBe("still_active");
    const record = await operator<RevocationRecord>(`/revocations/${max!.id}`);
    const account = record.results.find((result) => result.target.startsWith("accounts/"))!;

    const { page, problems, close } = await signedInPage();
    await page.getByRole("button", { name: "max@example.com" }).click();
    const dialog = page.getByRole("dialog", { name: "max@example.com still active" });
    await dialog.waitFor();
    expect(await described(dialog, "Id").textContent()).toBe(record.id);
    expect(await dialog.getByRole("heading", { level: 3 }).allTextContents()).toEqual(
      record.results.map((result) => `${result.target} ${result.state.replace(/_/g, " ")}`),
    );
    const accountSection = dialog.locator("section", { has: page.getByRole("heading", { name: account.target }) });
    expect(await described(accountSection, "Verification").textContent()).toMatch(
      new RegExp(`^still active at ${clock(account.verification!.verified_at!)}; ${account.verification!.active_sessions} active sessions`),
    );
    const attempts = await accountSection.locator("tbody tr").evaluateAll((rows) => rows.map((row) => row.textContent));
    expect(attempts).toEqual(
      account.history.map((attempt) => `${clock(attempt.at)}${attempt.http_status}${attempt.outcome.replace(/_/g, " ")}${attempt.error ?? ""}`),
    );
    // Revoked, not failed: nothing to retry.
    expect(await dialog.getByRole("button", { name: "Retry this revocation…" }).isVisible()).toBe(false);
    await dialog.getByRole("button", { name: "Close" }).click();
    expect(await dialog.isVisible()).toBe(false);
    expect(problems).toEqual([]);
    await close();
  });
});

describe("changes, each only once confirmed", () => {
  it("retries a failed revocation: Cancel sends nothing; confirmed, the API re-queues it and the page says so", async () => {
    const [ivo] = (await operator<Page>("/revocations?email=ivo@example.com")).records;
    expect(ivo?.status).toBe("failed");
    const { page, problems, sent, close } = await signedInPage();
    await page.getByRole("button", { name: "ivo@example.com" }).click();
    const dialog = page.getByRole("dialog", { name: /^ivo@example\.com/ });
    await dialog.getByRole("button", { name: "Retry this revocation…" }).click();
    const confirm = page.getByRole("dialog", { name: "Retry the revocation of ivo@example.com?" });
    expect(await confirm.getByRole("button", { name: "Cancel" }).evaluate((button) => button === document.activeElement)).toBe(true);
    await confirm.getByRole("button", { name: "Cancel" }).click();
    expect(await confirm.isVisible()).toBe(false);
    expect(sent.filter((request) => request.startsWith("POST"))).toEqual([]);

    await dialog.getByRole("button", { name: "Retry this revocation…" }).click();
    await confirm.getByRole("button", { name: "Retry revocation" }).click();
    await dialog.getByRole("status").filter({ hasText: "Re-queued: the API answered queued." }).waitFor();
    expect(sent.filter((request) => request.startsWith("POST"))).toEqual([`POST /v1/revocations/${ivo!.id}/retry`]);
    // The ledger's record: re-queued, or already sent again (and refused again: the fake still refuses the zone).
    const lastAttempt = (record: RevocationRecord) =>
      Math.max(...record.results.flatMap((result) => result.history.map((attempt) => Date.parse(attempt.at))));
    const record = await operator<RevocationRecord>(`/revocations/${ivo!.id}`);
    expect(record.status === "queued" || lastAttempt(record) > lastAttempt(ivo!)).toBe(true);
    expect(problems).toEqual([]);
    await close();
  });

  it("shows whatever else the API answers beside the cleared hold", async () => {
    const { page, problems, close } = await signedInPage();
    // The answer as a later API may give it (one that also re-drives what the hold failed), over the wire.
    await page.route("**/v1/holds/**", (route) =>
      route.fulfill({
        contentType: "application/json",
        body: JSON.stringify({
          cleared: { target: demo.heldTarget, until: "2026-05-01T12:05:03.000Z", reason: "refused" },
          requeued: 2,
          revocations: ["rev_1", "rev_2"],
        }),
      }),
    );
    const clear = page.getByRole("button", { name: `Clear the hold on ${demo.heldTarget}` });
    await clear.click();
    await page
      .getByRole("dialog", { name: `Clear the hold on ${demo.heldTarget}?` })
      .getByRole("button", { name: "Clear the hold" })
      .click();
    await page
      .getByRole("status")
      .filter({ hasText: `Cleared the hold on ${demo.heldTarget} (it held calls until 2026-05-01 12:05:03 UTC). requeued: 2; revocations: 2 items.` })
      .waitFor();
    expect(problems).toEqual([]);
    await close();
  });

  it("clears a token hold: Cancel sends nothing; confirmed, the API clears it and writes the audit log", async () => {
    const { page, problems, sent, close } = await signedInPage();
    const clear = page.getByRole("button", { name: `Clear the hold on ${demo.heldTarget}` });
    await clear.waitFor();
    await clear.click();
    const confirm = page.getByRole("dialog", { name: `Clear the hold on ${demo.heldTarget}?` });
    await confirm.getByRole("button", { name: "Cancel" }).click();
    expect(sent.filter((request) => request.startsWith("DELETE"))).toEqual([]);

    await clear.click();
    await confirm.getByRole("button", { name: "Clear the hold" }).click();
    await page
      .getByRole("status")
      // The hold the retry above set again: its end is whatever the API answers.
      .filter({
        hasText: new RegExp(`^Cleared the hold on ${demo.heldTarget} \\(it held calls until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)\\.`),
      })
      .waitFor();
    expect(sent.filter((request) => request.startsWith("DELETE"))).toEqual([`DELETE /v1/holds/${demo.heldTarget}`]);
    await expect
      .poll(async () => (await operator<AuditListing>("/audit?actions=true")).entries.map((entry) => [entry.status, entry.id]))
      .toContainEqual(["hold_cleared", demo.heldTarget]);
    expect(problems).toEqual([]);
    await close();
  });
});

describe("the offboarding report", () => {
  it("saves the period's report as printable HTML, with the period's revocations, the chain head and the Reconcile line", async () => {
    const { page, problems, close } = await signedInPage();
    expect(await described(page, "Reconcile").textContent()).toMatch(/^(no sweep yet|sweep \d+ )/);
    const form = page.getByRole("form", { name: "Offboarding report" });
    const saving = page.waitForEvent("download");
    await form.getByRole("button", { name: "Download" }).click();
    const saved = await saving;
    expect(saved.suggestedFilename()).toMatch(/^offboarding-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.html$/);
    const html = readFileSync(await saved.path(), "utf8");
    const ivo = (await operator<Page>("/revocations?email=ivo@example.com")).records[0]!;
    const chain = (await operator<{ audit_chain: { chain_id: string } }>("/stats")).audit_chain;
    expect(html).toContain(ivo.id);
    expect(html).toContain(chain.chain_id);
    expect(html).toMatch(/<p>End of report: \d+ rows\.<\/p><\/body><\/html>\n$/);
    await page.getByText(/^Saved offboarding-.+\.html\.$/).waitFor();
    expect(problems).toEqual([]);
    await close();
  });
});

// Last: it switches verification and seat removal off in this demo's ledger.
describe("follow-ups the API refuses", () => {
  type Stats = {
    drain: { paused_until: string | null; verification_off_until: string | null };
    follow_ups: { seats: Record<string, number>; verification: Record<string, number> };
  };

  it("are counted failed and skipped, and a follow-up switched off is said under Follow-ups, not as a 429 pause", async () => {
    const refused = () =>
      new Response(JSON.stringify({ success: false, errors: [{ code: 10000, message: "Authentication error" }], messages: [], result: null }), {
        status: 403,
        headers: { "content-type": "application/json" },
      });
    demo.cloudflare.setFollowUpAnswer(refused);
    await operator("/revocations/bulk", {
      method: "POST",
      headers: { "content-type": "text/csv", "Idempotency-Key": "follow-ups-refused" },
      body: ["quinn@example.com", "rosa@example.com", "sam@example.com"].join("\n"),
    });
    const switchedOff = (current: Stats) => current.drain.verification_off_until !== null && (current.follow_ups.seats.skipped ?? 0) > 0;
    await expect.poll(async () => switchedOff(await operator<Stats>("/stats")), { timeout: 20_000 }).toBe(true);
    const stats = await operator<Stats>("/stats");
    const { page, problems, close } = await signedInPage();
    // Regression (#18): the line read "verified 38, verification pending 0; still active 0" beside failed 22 and
    // skipped 70, and verification switched off showed as the 429 pause.
    const followUps = described(page, "Follow-ups");
    await expect
      .poll(() => followUps.textContent())
      .toContain(`seats: removed ${stats.follow_ups.seats.removed ?? 0}, failed ${stats.follow_ups.seats.failed ?? 0}`);
    const text = (await followUps.textContent()) ?? "";
    expect(text).toMatch(
      /^seat removal off until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(in \d+ min \d+ s\); verification off until .+: the API token was refused for them\. /,
    );
    expect(text).toMatch(/seats: removed \d+, failed \d+, .*skipped [1-9]\d*/);
    expect(text).toMatch(/verification: verified \d+, pending \d+, failed \d+/);
    expect(await described(page, "429 pause").textContent()).not.toMatch(/seat removal|verification/);
    demo.cloudflare.setFollowUpAnswer(() => null);
    expect(problems).toEqual([]);
    await close();
  });
});
