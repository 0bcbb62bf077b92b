// The status page in a real browser: Chromium (scripts/chromium.mjs finds one) driven by playwright-core,
// against a real `wrangler dev` and the local fake Cloudflare API, holding what scripts/status-page-demo.mjs
// created through /v1 (a finished bulk job, revoked, still active and failed revocations, a held zone and a
// job waiting behind it). The assertions read the page the way an operator does: by labels, headings,
// rows and colours, on a desktop and on a phone. What the page changes is in status-page-actions.test.ts.
// Every server is stopped by pid in afterAll.
import { createHash } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../scripts/chromium.mjs";
import { RATE_PER_SECOND, startStatusPageDemo } from "../../scripts/status-page-demo.mjs";
import {
  backgroundOf,
  cellsOf,
  clock,
  described,
  duration,
  laneRow,
  openStatusPage as openTab,
  operatorApi,
  revocationRows,
  rowOf,
  signIn,
  TOKEN_KEY,
} from "./page";

type Demo = Awaited<ReturnType<typeof startStatusPageDemo>>;
type Stats = { holds: { target: string; until: string }[]; budgets: { fingerprint: string; targets: string[] }[] };
type RevocationRecord = { id: string; email: string; received_at: string; time_to_revoke_ms: number };

let demo: Demo;
let browser: Browser;
let operatorGet: ReturnType<typeof operatorApi>;

beforeAll(async () => {
  demo = await startStatusPageDemo();
  browser = await launchChromium();
  operatorGet = operatorApi(demo.url, demo.token);
});
afterAll(async () => {
  await browser?.close();
  await demo?.stop();
});

const openStatusPage = (viewport?: { width: number; height: number }) => openTab(browser, demo.url, viewport);

describe("GET /ui", () => {
  it("is one document with its style and script inline, allowed by hash and nothing else", async () => {
    const response = await fetch(`${demo.url}/ui`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html; charset=utf-8/i);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const html = await response.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    const styles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/g)];
    expect([scripts.length, styles.length]).toEqual([1, 1]);
    expect(html).not.toMatch(/\s(src|href|style)=/i);
    const hash = (block: string) => `'sha256-${createHash("sha256").update(block).digest("base64")}'`;
    const policy = Object.fromEntries(
      (response.headers.get("content-security-policy") ?? "").split(";").map((directive) => {
        const [name, ...values] = directive.trim().split(/\s+/);
        return [name, values.join(" ")];
      }),
    );
    expect(policy).toEqual({
      "default-src": "'none'",
      "script-src": hash(scripts[0]![1]!),
      "style-src": hash(styles[0]![1]!),
      "connect-src": "'self'",
      "img-src": "'self' data:",
      "base-uri": "'none'",
      "form-action": "'none'",
      "frame-ancestors": "'none'",
      "require-trusted-types-for": "'script'",
      "trusted-types": "'none'",
    });
  });

  it("is in the OpenAPI document, as an HTML page that needs no token", async () => {
    const document = (await (await fetch(`${demo.url}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { security: unknown[]; responses: Record<string, { content?: Record<string, unknown> }> } }>;
    };
    const page = document.paths["/ui"]?.get;
    expect(page?.security).toEqual([]);
    expect(Object.keys(page?.responses["200"]?.content ?? {})).toEqual(["text/html"]);
  });
});

describe("GET /favicon.ico", () => {
  it("answers 204 No Content (there is no icon, and no 404 either), as the OpenAPI document says", async () => {
    const response = await fetch(`${demo.url}/favicon.ico`);
    expect([response.status, await response.text()]).toEqual([204, ""]);
    expect(response.headers.get("cache-control")).toBe("public, max-age=86400");
    const document = (await (await fetch(`${demo.url}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { security: unknown[]; responses: Record<string, unknown> } }>;
    };
    expect(document.paths["/favicon.ico"]?.get?.security).toEqual([]);
    expect(Object.keys(document.paths["/favicon.ico"]?.get?.responses ?? {})).toContain("204");
  });
});

/** How far the page, each card and the open dialog reach past their own width (0 each when nothing scrolls sideways). */
function overflow(page: Page) {
  return page.evaluate(() => {
    const past = (element: Element) => Math.max(0, element.scrollWidth - element.clientWidth);
    const root = document.documentElement;
    const cards = [...document.querySelectorAll("section, dialog[open]")].map((card) => {
      const box = card.getBoundingClientRect();
      const widest = Math.max(0, ...[...card.querySelectorAll("table, p, dl, form")].map((child) => child.getBoundingClientRect().right - box.right));
      return { card: card.id || card.getAttribute("aria-labelledby"), past: Math.max(past(card), Math.round(widest)) };
    });
    return { page: past(root), cards: cards.filter((card) => card.past > 0) };
  });
}

describe("the status page on a phone and on a desktop", () => {
  it.each([390, 1280])("at %i px nothing scrolls sideways, the revocations stay rows and a record fits its dialog", async (width) => {
    const { page, problems, close } = await openStatusPage({ width, height: 900 });
    await signIn(page, demo.token);
    await rowOf(page, "ivo@example.com").waitFor();
    await page.getByRole("button", { name: `Clear the hold on ${demo.heldTarget}` }).waitFor();
    expect(await overflow(page)).toEqual({ page: 0, cards: [] });
    // Regression (#18): times to revoke of minutes ("2 min 44 s", README's hold walk-through) pushed the
    // lanes table's last column out of its card at 390 px. Measured before the next refresh redraws it.
    const lanesPast = await page.evaluate(() => {
      for (const cell of document.querySelectorAll("#lanes td:nth-of-type(2), #lanes td:nth-of-type(3)")) cell.textContent = "12 min 44 s";
      const table = document.getElementById("lanes-table")!;
      return Math.round(table.getBoundingClientRect().right - table.closest("section")!.getBoundingClientRect().right);
    });
    expect(lanesPast).toBeLessThanOrEqual(0);
    // Stacked on a phone, still a table row with its cells to an operator's assistive technology.
    expect(await cellsOf(rowOf(page, "ivo@example.com"))).toEqual([
      expect.stringMatching(/ UTC$/),
      "ivo@example.com",
      "operator",
      "failed",
      "—",
      expect.stringContaining("HTTP 403"),
    ]);

    // Regression (#18): at 390 px the emails broke inside a word ("hana@example.co" / "m"), and at 1280 px
    // a longer one did: each fits on one line of its row.
    const emailLines = await page
      .locator("#revocations td.email button")
      .evaluateAll((buttons) =>
        buttons.map((button) => [
          button.textContent,
          Math.round(button.getBoundingClientRect().height / Number.parseFloat(getComputedStyle(button).lineHeight)),
        ]),
      );
    expect(emailLines.filter(([, lines]) => lines !== 1)).toEqual([]);
    // Regression: at 390 px the Pace line broke "REVOKE_RATE_PER_SECOND=auto" inside the word: its lines.
    const setting = await page.locator("#pace").evaluate((pace) => {
      const walker = document.createTreeWalker(pace, NodeFilter.SHOW_TEXT);
      for (let text = walker.nextNode(); text; text = walker.nextNode()) {
        const at = text.textContent!.indexOf("REVOKE_RATE_PER_SECOND=");
        if (at < 0) continue;
        const word = /^\S+?(?=\)|$)/.exec(text.textContent!.slice(at))![0];
        const range = document.createRange();
        range.setStart(text, at);
        range.setEnd(text, at + word.length);
        return [word, new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size];
      }
      return null;
    });
    expect(setting).toEqual([expect.stringMatching(/^REVOKE_RATE_PER_SECOND=\w+$/), 1]);

    // Regression (#18): the confirmation's title, which names the target, was cut off at 390 px.
    await page.getByRole("button", { name: `Clear the hold on ${demo.heldTarget}` }).click();
    const confirm = page.getByRole("dialog", { name: `Clear the hold on ${demo.heldTarget}?` });
    await confirm.waitFor();
    expect(await overflow(page)).toEqual({ page: 0, cards: [] });
    await confirm.getByRole("button", { name: "Cancel" }).click();

    await page.getByRole("button", { name: "ivo@example.com" }).click();
    const dialog = page.getByRole("dialog", { name: /^ivo@example\.com/ });
    await dialog.getByRole("heading", { name: demo.heldTarget }).waitFor();
    expect(await overflow(page)).toEqual({ page: 0, cards: [] });
    expect(problems).toEqual([]);
    await close();
  });

  it("writes every time in UTC as the CLI does, whatever the browser's locale and time zone (en-US, New York here)", async () => {
    const { page, close } = await openStatusPage();
    await signIn(page, demo.token);
    await rowOf(page, "fay@example.com").waitFor();
    const [fay] = (await operatorGet<{ records: RevocationRecord[] }>("/revocations?email=fay@example.com")).records;
    expect((await cellsOf(rowOf(page, "fay@example.com")))[0]).toBe(clock(fay!.received_at));
    for (const [received] of await revocationRows(page)) expect(received).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(await described(page, "Pace").textContent()).toMatch(/; last call \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(await page.getByRole("status").first().textContent()).toMatch(/^Updated \d\d:\d\d:\d\d UTC; refreshing every 3 s\.$/);
    // Regression (#18): the times inside the API's messages (a job's wait, a follow-up's detail) were ISO 8601.
    await page
      .getByText(/^Waiting \(held\)/)
      .first()
      .waitFor();
    expect(await page.locator("main").textContent()).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    await close();
  });
});

describe("the status page in Chromium", () => {
  it("asks for the token, keeps it in session storage only, and shows the drain, holds and revocations", async () => {
    const { page, problems, response, close } = await openStatusPage();
    expect(response?.headers()["content-security-policy"]).toContain("default-src 'none'");
    await page.getByRole("heading", { name: "Operator token" }).waitFor();
    await signIn(page, demo.token);
    await page.getByRole("heading", { name: "Drain" }).waitFor();

    expect(await page.getByLabel("Paste an operator token").inputValue()).toBe("");
    expect(page.url()).toBe(`${demo.url}/ui`);
    expect(await page.evaluate((key) => [sessionStorage.getItem(key), localStorage.length], TOKEN_KEY)).toEqual([demo.token, 0]);

    const pace = (await described(page, "Pace").textContent()) ?? "";
    expect(pace).toMatch(
      new RegExp(
        `^${RATE_PER_SECOND} calls/s in use \\(${RATE_PER_SECOND * 60} a minute; REVOKE_RATE_PER_SECOND=${RATE_PER_SECOND}\\); \\d+ calls in the last minute`,
      ),
    );
    const [budget] = (await operatorGet<Stats>("/stats")).budgets;
    expect(await cellsOf(rowOf(page, budget!.fingerprint))).toEqual([
      budget!.fingerprint,
      budget!.targets.join(", "),
      `${RATE_PER_SECOND} calls/s, the ceiling`,
      "none reported yet",
      "0",
    ]);
    expect(Number(/(\d+) calls in the last minute/.exec(pace)![1])).toBeGreaterThan(0);
    expect(await described(page, "429 pause").textContent()).toBe("Not paused");

    // The held job's three zone calls wait in the bulk lane; the four single revocations that succeeded were urgent.
    await expect.poll(() => cellsOf(laneRow(page, "bulk")), { timeout: 20_000 }).toEqual(["bulk", "3", expect.any(String), expect.any(String), "5"]);
    expect(await cellsOf(laneRow(page, "urgent"))).toEqual(["urgent", "0", expect.stringMatching(/ m?s$/), expect.stringMatching(/ m?s$/), "4"]);

    const [hold] = (await operatorGet<Stats>("/stats")).holds;
    expect(hold?.target).toBe(demo.heldTarget);
    const holdCells = await cellsOf(rowOf(page, demo.heldTarget));
    expect(holdCells).toEqual([
      demo.heldTarget,
      expect.stringContaining("refused the API token (HTTP 403)"),
      expect.stringMatching(new RegExp(`^${clock(hold!.until)} \\(in [1-5] min \\d+ s\\)$`)),
      "Clear hold…",
    ]);

    for (const record of demo.created.revoked as RevocationRecord[]) {
      const row = rowOf(page, record.email);
      expect(await cellsOf(row)).toEqual([clock(record.received_at), record.email, "operator", "revoked", duration(record.time_to_revoke_ms), ""]);
      expect(await backgroundOf(row.getByText("revoked", { exact: true }))).toBe("rgb(220, 245, 227)");
    }
    const failed = rowOf(page, "ivo@example.com");
    expect(await cellsOf(failed)).toEqual([expect.any(String), "ivo@example.com", "operator", "failed", "—", expect.stringContaining("HTTP 403")]);
    expect(await backgroundOf(failed.getByText("failed", { exact: true }))).toBe("rgb(253, 225, 225)");

    // max@example.com kept a session through the revocation: once verified, act in the IdP.
    const followUps = described(page, "Follow-ups");
    await expect
      .poll(() => followUps.textContent(), { timeout: 20_000 })
      .toMatch(/^seats: removed [1-9]\d*, failed 0.*; verification: verified \d+, pending \d+, failed 0.*; still active 1: act in the IdP$/);
    expect(await followUps.getByText("still active 1: act in the IdP").evaluate((element) => getComputedStyle(element).color)).toBe(
      "rgb(140, 22, 22)",
    );
    const stillActive = rowOf(page, "max@example.com");
    await expect
      .poll(() => cellsOf(stillActive))
      .toEqual([expect.any(String), "max@example.com", "operator", "still active", expect.any(String), expect.any(String)]);
    expect(await backgroundOf(stillActive.getByText("still active", { exact: true }))).toBe("rgb(253, 225, 225)");
    expect(problems).toEqual([]);
    await close();
  });

  it("shows the Sources card: each configured source's last deliveries and silence, and where alerts go", async () => {
    const { page, problems, close } = await openStatusPage();
    await signIn(page, demo.token);
    await page.getByRole("heading", { name: "Sources" }).waitFor();
    const sources = page.getByRole("table", { name: "Sources" });
    const standard = sources.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "standard", exact: true }) });
    expect(await cellsOf(standard)).toEqual([
      "standard",
      expect.stringMatching(/^(never|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)$/),
      expect.stringMatching(/^(never|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)$/),
      "no (threshold 72 h)",
      "—",
    ]);
    expect(await described(page, "Alerts").textContent()).toBe("Off: ALERT_WEBHOOK_URL is not set.");
    expect(problems).toEqual([]);
    await close();
  });

  it("shows each job's progress: a finished one at 100 %, one waiting behind the held zone", async () => {
    const { page, problems, close } = await openStatusPage();
    await signIn(page, demo.token);
    const finished = page.getByRole("progressbar", { name: `${demo.created.finishedJob}: 100 % done` });
    expect(await finished.evaluate((element: HTMLProgressElement) => [element.value, element.max])).toEqual([100, 100]);
    const finishedItem = page.getByRole("listitem").filter({ has: finished });
    expect(await finishedItem.textContent()).toMatch(/5 revoked, 0 failed of 5 accepted \(1 line rejected\); created .*; completed \d/);

    const held = page.getByRole("progressbar", { name: `${demo.created.heldJob}: 0 % done` });
    expect(await held.evaluate((element: HTMLProgressElement) => element.value)).toBe(0);
    const heldItem = page.getByRole("listitem").filter({ has: held });
    // The API's estimate counts from the hold's end (#18): the page shows it, as the CLI does.
    const view = await operatorGet<{ estimated_completion: string; waiting: { until: string } }>(`/jobs/${demo.created.heldJob}`);
    expect(Date.parse(view.estimated_completion)).toBeGreaterThan(Date.parse(view.waiting.until));
    expect(await heldItem.textContent()).toMatch(
      new RegExp(
        `ETA ${clock(view.estimated_completion).slice(0, 16)}:\\d\\d UTC \\(in [1-5] min \\d+ s\\); \\d+\\.\\d calls/s over the last minute`,
      ),
    );
    expect(await heldItem.getByText(/^Waiting \(held\) until \d.*: .*refused the token for zones\//).count()).toBe(1);
    expect(problems).toEqual([]);
    await close();
  });

  it("refreshes by itself: a revocation made elsewhere appears without a reload", async () => {
    const { page, close } = await openStatusPage();
    await signIn(page, demo.token);
    await rowOf(page, "fay@example.com").waitFor();
    const email = "late@example.com";
    // Its zone call waits behind the hold, so the request itself answers 202 only after a 10 s wait: the
    // row must appear while it is still waiting.
    const request = fetch(`${demo.url}/v1/revocations`, {
      method: "POST",
      headers: { Authorization: `Bearer ${demo.token}`, "content-type": "application/json" },
      body: JSON.stringify({ email }),
    });
    await rowOf(page, email).waitFor({ timeout: 8000 });
    expect(await cellsOf(rowOf(page, email))).toEqual([expect.any(String), email, "operator", "queued", "—", expect.any(String)]);
    expect((await request).status).toBe(202);
    await close();
  });

  it("says a wrong token was not accepted and asks again, keeping nothing", async () => {
    const { page, problems, close } = await openStatusPage();
    await signIn(page, "not-the-operator-token");
    await page.getByRole("alert").filter({ hasText: "That token was not accepted. Paste the operator token again." }).waitFor();
    expect(await page.getByLabel("Paste an operator token").isVisible()).toBe(true);
    expect(await page.getByRole("heading", { name: "Drain" }).isVisible()).toBe(false);
    expect(await page.evaluate((key) => [sessionStorage.getItem(key), localStorage.length], TOKEN_KEY)).toEqual([null, 0]);
    expect(problems).toEqual([]);
    await close();
  });

  it("says when the API cannot be reached, and recovers by itself once it can", async () => {
    const { page, close } = await openStatusPage();
    await page.route("**/v1/**", (route) => route.abort("connectionrefused"));
    await signIn(page, demo.token);
    await page
      .getByRole("status")
      .filter({ hasText: /^The API could not be reached/ })
      .waitFor();
    await page.unroute("**/v1/**");
    await page
      .getByRole("status")
      .filter({ hasText: /^Updated / })
      .waitFor({ timeout: 10_000 });
    await close();
  });
});
