// `npm run deploy`: a preflight, then `wrangler deploy`. It refuses to deploy a Worker that could revoke
// nothing (no account or zone id), refuses while this shell exports CF_API_TOKEN / CF_ACCOUNT_ID (wrangler
// would log in with them: once this project's own names, now ACCESS_*), refuses while wrangler is not
// logged in (`wrangler deploy` would then open a browser login and wait, or, without a terminal, suggest
// `--temporary`, a throwaway preview account that is no place for this Worker), and says whether the
// deploy is a dry run (DRY_RUN, README's Deploy steps). Arguments after `--` go to wrangler deploy.
// Reads wrangler.toml with a line scanner for the [vars] it checks (only `NAME = "value"` lines matter).
import { spawn, spawnSync } from "node:child_process";
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

/**
 * Why wrangler cannot deploy without asking for a login, or null. An API token in the environment is
 * wrangler's non-interactive login (its use is checked by the deploy itself); otherwise `wrangler whoami
 * --json` says whether a `wrangler login` is stored, without prompting and, when none is, without a call.
 */
function loginProblem() {
  if (process.env.CLOUDFLARE_API_TOKEN || (process.env.CLOUDFLARE_API_KEY && process.env.CLOUDFLARE_EMAIL)) return null;
  const whoami = spawnSync("wrangler", ["whoami", "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
  if (whoami.error) return `cannot run wrangler (${whoami.error.message}): run \`npm install\` first`;
  // Its answer is one JSON document on stdout: {"loggedIn":false}, or {"loggedIn":true,"email":…,"accounts":…}.
  let loggedIn = null;
  try {
    loggedIn = JSON.parse(whoami.stdout.slice(whoami.stdout.indexOf("{"), whoami.stdout.lastIndexOf("}") + 1)).loggedIn;
  } catch {}
  if (loggedIn === true) return null;
  const how =
    'log wrangler in with `npx wrangler login` (opens a browser), or, where there is none (CI, a server), set CLOUDFLARE_API_TOKEN to an API token that may edit Workers, KV and Durable Objects in the account (the dashboard\'s "Edit Cloudflare Workers" template). Not `--temporary`: that deploys to a throwaway preview account';
  if (loggedIn === false) return `wrangler is not logged in: ${how}.`;
  const said = `${whoami.stdout}${whoami.stderr}`.trim().split("\n").slice(-3).join(" ");
  return `could not confirm wrangler's login (\`wrangler whoami\` said: ${said || `exit code ${whoami.status}`}): ${how}.`;
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
// `wrangler deploy --dry-run` needs no account.
const login = args.includes("--dry-run") ? null : loginProblem();
if (login) problems.push(login);
if (problems.length > 0) {
  console.error(`Not deploying:\n${problems.map((problem) => `- ${problem}`).join("\n")}`);
  process.exit(1);
}
console.log(
  vars.DRY_RUN === "true"
    ? 'Deploying with DRY_RUN = "true": nothing is sent to Cloudflare. Once GET /healthz and one revocation look right (status dry_run shows the request it would send), set DRY_RUN = "false" in wrangler.toml and deploy again.'
    : 'Deploying with DRY_RUN = "false": revocations will call the Cloudflare API. For a first deploy, set DRY_RUN = "true" in wrangler.toml, check GET /healthz and one revocation, then set it back and deploy again.',
);
const wrangler = spawn("wrangler", ["deploy", ...args], { stdio: "inherit" });
wrangler.on("error", (error) => {
  console.error(`cannot run wrangler (${error.message}): run \`npm install\` first`);
  process.exit(1);
});
wrangler.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
