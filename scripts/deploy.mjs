// `npm run deploy`: a preflight, then `wrangler deploy`. It refuses to deploy a Worker that could revoke
// nothing (no account or zone id), refuses while this shell exports CF_API_TOKEN / CF_ACCOUNT_ID (wrangler
// would log in with them: once this project's own names, now ACCESS_*), and recommends DRY_RUN = "true"
// for a first deploy. Arguments after `--` go to wrangler deploy.
// Reads wrangler.toml with a line scanner for the [vars] it checks (only `NAME = "value"` lines matter).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

function tomlVars(text) {
  const vars = {};
  let inVars = false;
  for (const line of text.split(/\r?\n/)) {
    const section = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (section) inVars = section[1].trim() === "vars";
    const entry = inVars && /^\s*([A-Z0-9_]+)\s*=\s*"([^"]*)"/.exec(line);
    if (entry) vars[entry[1]] = entry[2];
  }
  return vars;
}

const args = process.argv.slice(2);
// wrangler's own --config (-c), passed on to it as well.
const configAt = args.findIndex((arg) => arg === "--config" || arg === "-c");
const configPath = configAt >= 0 && args[configAt + 1] ? args[configAt + 1] : new URL("../wrangler.toml", import.meta.url);
let vars;
try {
  vars = tomlVars(readFileSync(configPath, "utf8"));
} catch (error) {
  console.error(`cannot read ${configPath}: ${error.message}`);
  process.exit(2);
}
const problems = [];
const targets = [vars.ACCESS_ACCOUNT_ID, vars.ACCESS_ZONE_ID, vars.CF_ACCOUNT_ID, vars.CF_ZONE_ID].filter((value) => value?.trim());
if (targets.length === 0) {
  problems.push(
    'wrangler.toml sets no ACCESS_ACCOUNT_ID or ACCESS_ZONE_ID under [vars]: the Worker would revoke nowhere. Set the account id(s) to revoke in, e.g. ACCESS_ACCOUNT_ID = "0123…cdef".',
  );
}
for (const name of ["CF_API_TOKEN", "CF_ACCOUNT_ID"]) {
  if (process.env[name]) {
    problems.push(
      `${name} is set in this shell: wrangler would use it for its own login. If it is this Worker's Access token, unset it (the Worker's token is the secret ACCESS_API_TOKEN); log wrangler in with \`wrangler login\` or CLOUDFLARE_API_TOKEN.`,
    );
  }
}
if (problems.length > 0) {
  console.error(`Not deploying:\n${problems.map((problem) => `- ${problem}`).join("\n")}`);
  process.exit(1);
}
if (vars.DRY_RUN !== "true") {
  console.log(
    'Deploying with DRY_RUN = "false": revocations will call the Cloudflare API. For a first deploy, set DRY_RUN = "true" in wrangler.toml, check GET /healthz and one revocation (status dry_run shows the request it would send), then set it back and deploy again.',
  );
}
const wrangler = spawn("wrangler", ["deploy", ...args], { stdio: "inherit" });
wrangler.on("error", (error) => {
  console.error(`cannot run wrangler (${error.message}): run \`npm install\` first`);
  process.exit(1);
});
wrangler.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
