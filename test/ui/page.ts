// How the UI tests open and read the status page: a fresh browser context per tab (its own session
// storage), in a locale and time zone that are not UTC so that the page's UTC times are its own doing,
// recording every CSP violation, script error, 404 and request the page sends to /v1.
import type { Browser, Locator, Page } from "playwright-core";

export const TOKEN_KEY = "access-revoker.operator-token";

/** As the page (and the CLI) write a time: "2026-05-01 12:00:03 UTC". */
export const clock = (value: string | number) => `${new Date(value).toISOString().slice(0, 19).replace("T", " ")} UTC`;
export const duration = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

export async function openStatusPage(browser: Browser, url: string, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ locale: "en-US", timezoneId: "America/New_York", viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  const sent: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|CSP violation|Trusted Type/i.test(message.text())) problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("response", (response) => {
    if (response.status() === 404) problems.push(`404: ${response.url()}`);
  });
  page.on("request", (request) => {
    if (new URL(request.url()).pathname.startsWith("/v1/")) sent.push(`${request.method()} ${new URL(request.url()).pathname}`);
  });
  // Injected by the browser, outside the page's policy: reports what the policy blocked.
  await page.addInitScript(() =>
    document.addEventListener("securitypolicyviolation", (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`)),
  );
  const response = await page.goto(`${url}/ui`);
  return { page, problems, sent, response, close: () => context.close() };
}

export async function signIn(page: Page, token: string) {
  await page.getByLabel("Paste an operator token").fill(token);
  await page.getByRole("button", { name: "Show status" }).click();
}

/** The text of the <dd> a <dt> names. */
export const described = (scope: Page | Locator, term: string) =>
  scope.locator("dt", { hasText: new RegExp(`^${term}$`) }).locator("xpath=following-sibling::dd[1]");
/** The rows of a table one of whose cells (or row header) reads exactly `text`. */
export const rowOf = (page: Page | Locator, text: string) =>
  page.getByRole("row").filter({ has: page.getByRole("cell", { name: text, exact: true }) });
export const laneRow = (page: Page, lane: string) => page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: lane, exact: true }) });
export const cellsOf = (row: Locator) => row.locator("th, td").allTextContents();
export const backgroundOf = (locator: Locator) => locator.evaluate((element) => getComputedStyle(element).backgroundColor);
/** The rows of the Revocations table, each as its cells' texts. */
export const revocationRows = (page: Page) =>
  page.locator("#revocations tr").evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent ?? "")));

export function operatorApi(url: string, token: string) {
  return async function operator<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await fetch(`${url}/v1${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, ...init.headers } });
    return (await response.json()) as T;
  };
}
