// Where the UI tests' browser comes from (scripts/chromium.mjs): `npm ci && npm test` must pass on a
// machine without a system Chromium, so the npm package's browser is launched here whatever this machine has.
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { findChromium } from "../../scripts/chromium.mjs";

describe("findChromium", () => {
  it("takes CHROMIUM_PATH first, and refuses one that does not exist instead of looking elsewhere", async () => {
    await expect(findChromium({ env: { CHROMIUM_PATH: "/nonexistent/chromium" } })).rejects.toThrow(
      "CHROMIUM_PATH is /nonexistent/chromium, which does not exist",
    );
    expect(await findChromium({ env: { CHROMIUM_PATH: process.execPath } })).toEqual({ executablePath: process.execPath, origin: "CHROMIUM_PATH" });
  });

  it("takes a system browser before the npm one", async () => {
    expect(await findChromium({ env: {}, systemBrowsers: ["/nonexistent/chrome", process.execPath] })).toEqual({
      executablePath: process.execPath,
      origin: "system",
    });
  });

  it.runIf(process.platform === "linux" && process.arch === "x64")(
    "without either, unpacks the Chromium that @sparticuz/chromium ships and it runs a page headless",
    async () => {
      const found = await findChromium({ env: {}, systemBrowsers: [] });
      expect(found.origin).toMatch(/^npm @sparticuz\/chromium \d+\.\d+\.\d+$/);
      const browser = await chromium.launch({ executablePath: found.executablePath });
      try {
        const page = await browser.newPage();
        await page.setContent("<p id=answer></p><script>document.getElementById('answer').textContent = String(6 * 7)</script>");
        expect(await page.textContent("#answer")).toBe("42");
      } finally {
        await browser.close();
      }
    },
  );
});
