// The benchmark's startup phase (issue #22): the Worker's startup CPU as `wrangler check startup` profiles it
// (the script's evaluation in a local workerd), beside a minimal Hono Worker's measured the same way in the
// same run, built in a temp dir from the installed hono package (one route, the same compatibility date and
// minify). The figure is the profile's active time (sampled time less idle, garbage collection included),
// the median of BENCH_STARTUP_RUNS runs of each, taken in turns; Cloudflare's own limit and figure are on its
// machines, so the ratio is what to watch as the code grows.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 3);
const root = fileURLToPath(new URL("..", import.meta.url));

/** Active milliseconds of a V8 CPU profile: every sample's time but the idle ones. */
function activeMs(profilePath) {
  const profile = JSON.parse(readFileSync(profilePath, "utf8"));
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === "(idle)").map((node) => node.id));
  let active = 0;
  profile.samples.forEach((sample, i) => {
    if (!idle.has(sample)) active += profile.timeDeltas[i];
  });
  return active / 1000;
}

const wrangler = join(root, "node_modules", ".bin", "wrangler");

/**
 * One `wrangler check startup` of the Worker configured in `cwd`; answers its active CPU ms. It bundles and
 * profiles locally; no account, no token, and no metrics sent (WRANGLER_SEND_METRICS=false).
 */
function checkStartup(cwd, profilePath) {
  execFileSync(wrangler, ["check", "startup", "--cwd", cwd, "--outfile", profilePath], {
    cwd: root,
    stdio: "ignore",
    env: { ...process.env, CLOUDFLARE_API_TOKEN: "", CF_API_TOKEN: "", WRANGLER_SEND_METRICS: "false" },
  });
  return activeMs(profilePath);
}

/** A Worker of one Hono route, in `dir`, importing the installed hono by its path. */
function minimalHonoWorker(dir) {
  mkdirSync(dir, { recursive: true });
  const hono = createRequire(join(root, "package.json"))
    .resolve("hono")
    .replace(/[/\\]cjs[/\\]index\.js$/, "/index.js");
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(readFileSync(join(root, "wrangler.toml"), "utf8"))[1];
  writeFileSync(
    join(dir, "index.js"),
    `import { Hono } from ${JSON.stringify(hono)};\nconst app = new Hono();\napp.get("/", (c) => c.text("ok"));\nexport default app;\n`,
  );
  writeFileSync(join(dir, "wrangler.toml"), `name = "minimal-hono"\nmain = "index.js"\ncompatibility_date = "${compatibilityDate}"\nminify = true\n`);
  return dir;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/** `context`: { dir (the bench's temp dir), log }. */
export function startupCpu({ dir, log }) {
  const hono = minimalHonoWorker(join(dir, "minimal-hono"));
  const runs = { worker: [], hono: [] };
  for (let run = 0; run < RUNS; run++) {
    runs.worker.push(checkStartup(root, join(dir, `worker-${run}.cpuprofile`)));
    runs.hono.push(checkStartup(hono, join(dir, `hono-${run}.cpuprofile`)));
  }
  const result = { runs: RUNS, workerMs: median(runs.worker), honoMs: median(runs.hono), workerRuns: runs.worker, honoRuns: runs.hono };
  result.ratio = result.workerMs / result.honoMs;
  log(
    `startup CPU (wrangler check startup, median of ${RUNS}): the Worker ${result.workerMs.toFixed(1)} ms, a minimal Hono Worker ${result.honoMs.toFixed(1)} ms (${result.ratio.toFixed(2)}×); runs: the Worker ${runs.worker.map((ms) => ms.toFixed(1)).join(", ")}, Hono ${runs.hono.map((ms) => ms.toFixed(1)).join(", ")}`,
  );
  return result;
}
