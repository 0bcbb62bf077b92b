// `npm run screenshot`: docs/ui.png, the status page as an operator sees it during an offboarding (the
// same state as the browser test: scripts/status-page-demo.mjs), in the browser scripts/chromium.mjs finds.
// Starts and stops its own servers.
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.mjs";
import { startStatusPageDemo } from "./status-page-demo.mjs";

const output = fileURLToPath(new URL("../docs/ui.png", import.meta.url));
const demo = await startStatusPageDemo();
let browser;
try {
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, locale: "en-GB", timezoneId: "UTC" });
  await page.goto(`${demo.url}/ui`);
  await page.getByLabel("Paste an operator token").fill(demo.token);
  await page.getByRole("button", { name: "Show status" }).click();
  await page.getByRole("progressbar", { name: `${demo.created.finishedJob}: 100 % done` }).waitFor();
  await page.getByRole("cell", { name: demo.heldTarget, exact: true }).waitFor();
  await page.getByText(/^Waiting \(held\)/).waitFor();
  // The follow-ups (seat removal, verification after 2 s, one person still active) belong in the picture.
  await page.getByText("still active 1: act in the IdP").waitFor({ timeout: 30_000 });
  await page.screenshot({ path: output, fullPage: true });
  console.log(`wrote ${output}`);
} finally {
  await browser?.close();
  await demo.stop();
}
