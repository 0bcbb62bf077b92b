// The browser that the status page's test (test/ui) and `npm run screenshot` drive through playwright-core,
// found without apt or a download, first match wins:
//   1. CHROMIUM_PATH, when set (it must exist: a wrong path is an error, never silently replaced);
//   2. a browser the system has: Debian's chromium, Google Chrome on Linux or macOS, Chromium on macOS
//      (not Ubuntu's /usr/bin/chromium-browser, a shim that asks to install the snap);
//   3. the Chromium inside the npm package @sparticuz/chromium (a devDependency; Linux x64), so that
//      `npm ci && npm test` passes on a machine that has no browser at all.
// Why @sparticuz/chromium: it is the maintained package that ships the browser inside the npm tarball
// itself (a brotli-compressed headless shell, no install script). The alternatives fetch a browser from
// a CDN instead: `playwright install`, @playwright/browser-chromium and puppeteer in an install script
// (which this project's allowScripts does not run, and which fails where only the npm registry is
// reachable), @sparticuz/chromium-min at run time. It needs libnss3 (Debian's libnss3 package).
// It is decompressed here rather than by the package's executablePath(), which writes /tmp/chromium,
// shared by every project and version, and launches whatever file is already there, even one half-written
// by a run that was interrupted. Here each version has its own directory under node_modules/.cache,
// written under a temporary name and renamed into place only when complete.
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { createBrotliDecompress } from "node:zlib";
import { chromium } from "playwright-core";

const SYSTEM_BROWSERS = [
  "/usr/bin/chromium",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];
const NPM_BROWSER = "@sparticuz/chromium";
const CACHE = fileURLToPath(new URL("../node_modules/.cache/access-revoker", import.meta.url));

/**
 * Where the browser is and where it came from ("CHROMIUM_PATH", "system", "npm @sparticuz/chromium 153.0.0").
 * @param {{ env?: Record<string, string | undefined>, systemBrowsers?: string[] }} [options]
 * @returns {Promise<{ executablePath: string, origin: string }>}
 */
export async function findChromium({ env = process.env, systemBrowsers = SYSTEM_BROWSERS } = {}) {
  if (env.CHROMIUM_PATH) {
    if (!existsSync(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH is ${env.CHROMIUM_PATH}, which does not exist`);
    return { executablePath: env.CHROMIUM_PATH, origin: "CHROMIUM_PATH" };
  }
  const system = systemBrowsers.find((path) => existsSync(path));
  if (system) return { executablePath: system, origin: "system" };
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`no Chrome or Chromium found (${NPM_BROWSER} ships Linux x64 only): install one, or set CHROMIUM_PATH to its executable`);
  }
  return unpackNpmChromium();
}

/** The installed package's folder and version (its exports hide package.json: found above its entry point). */
function npmPackage(name, entryPoint) {
  for (let directory = dirname(fileURLToPath(entryPoint)); directory !== dirname(directory); directory = dirname(directory)) {
    const manifest = join(directory, "package.json");
    const found = existsSync(manifest) ? JSON.parse(readFileSync(manifest, "utf8")) : null;
    if (found?.name === name) return { directory, version: found.version };
  }
  throw new Error(`${name} has no package.json above its entry point`);
}

async function unpackNpmChromium() {
  // The name written out, so that knip sees the dependency used.
  const npm = npmPackage(NPM_BROWSER, import.meta.resolve("@sparticuz/chromium"));
  const directory = join(CACHE, `chromium-${npm.version}`);
  const executablePath = join(directory, "chromium");
  const origin = `npm ${NPM_BROWSER} ${npm.version}`;
  if (existsSync(executablePath)) return { executablePath, origin };
  mkdirSync(CACHE, { recursive: true });
  const staging = mkdtempSync(`${directory}.partial-`);
  try {
    await pipeline(
      createReadStream(join(npm.directory, "bin", "chromium.br")),
      createBrotliDecompress(),
      createWriteStream(join(staging, "chromium"), { mode: 0o755 }),
    );
    renameSync(staging, directory);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another process (a parallel test run) unpacked the same version first: use its copy.
    if (!existsSync(executablePath)) throw error;
  }
  return { executablePath, origin };
}

/** Launches the browser headless, saying where it came from when it does not start. */
export async function launchChromium() {
  const { executablePath, origin } = await findChromium();
  try {
    return await chromium.launch({ executablePath });
  } catch (error) {
    throw new Error(`the browser at ${executablePath} (${origin}) did not start: ${error.message}`, { cause: error });
  }
}
