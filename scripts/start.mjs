// `npm start`: runs the Worker under `wrangler dev` on local KV and Durable Objects.
// Usage: npm start [-- --port N] [--dev-vars PATH] [-- wrangler dev options]
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ensureDevVars } from "./dev-vars.mjs";

const USAGE = "usage: npm start [-- --port N] [--dev-vars PATH] [-- wrangler dev options]";

let parsed;
try {
  parsed = parseArgs({
    options: { "dev-vars": { type: "string", default: ".dev.vars" }, port: { type: "string", default: "8787" } },
    allowPositionals: true,
  });
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = parsed;
const port = values.port;
if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
  console.error(`--port must be a port number (1–65535), not ${JSON.stringify(port)}\n${USAGE}`);
  process.exit(2);
}
const devVarsPath = resolve(values["dev-vars"]);
let devVars;
try {
  devVars = ensureDevVars(devVarsPath);
} catch (error) {
  console.error(`cannot read or create ${devVarsPath}: ${error.message}`);
  process.exit(2);
}
const { created, vars } = devVars;
const base = `http://127.0.0.1:${port}`;
const urlFlag = port === "8787" ? "" : ` --url ${base}`;
const token = (vars.OPERATOR_TOKEN ?? "").split(/\r?\n/)[0];

console.log(created ? `Created ${devVarsPath} with random local secrets.` : `Using ${devVarsPath}.`);
// Unset in the dev-vars file, DRY_RUN is wrangler.toml's, which ships "true".
const dryRun = ["true", "1", "yes"].includes((vars.DRY_RUN ?? "true").trim().toLowerCase());
const apiBase = vars.ACCESS_API_BASE_URL || vars.CF_API_BASE_URL;
const apiNamed = apiBase ? `${apiBase} (ACCESS_API_BASE_URL)` : "the Cloudflare API, https://api.cloudflare.com/client/v4";
console.log(dryRun ? "DRY_RUN=true: nothing is sent to Cloudflare." : `DRY_RUN is off: revocations call ${apiNamed}.`);
console.log(`
Try it once the server is ready:
  W=${base}; H="Authorization: Bearer ${token}"
  curl $W/healthz
  npm run send-event --${urlFlag} someone@example.com
  curl -H "$H" $W/v1/revocations
  npm run cli --${urlFlag} stats
  open $W/ui (the status page) and $W/reference (the API)
`);

// wrangler reads ./.dev.vars by itself. Another file is passed with --env-file, which wrangler also loads
// into its own environment (it then mentions any CF_* variable, harmlessly: --local makes no API call).
const envFile = devVarsPath === resolve(".dev.vars") ? [] : ["--env-file", devVarsPath];
const wrangler = spawn(
  "wrangler",
  ["dev", "--local", "--ip", "127.0.0.1", "--port", port, ...envFile, "--show-interactive-dev-session=false", ...positionals],
  { stdio: ["inherit", "pipe", "pipe"] },
);
wrangler.on("error", (error) => {
  console.error(`cannot run wrangler (${error.message}): run \`npm install\` first`);
  process.exit(1);
});
// wrangler dev compares worker-configuration.d.ts with types it builds from .dev.vars, but the project's
// types are built from .dev.vars.example (`npm run types`): any .dev.vars that sets a [vars] entry (the
// generated one sets DRY_RUN) makes that comparison fail. So its hint is checked the project's way
// (`wrangler types --check` against .dev.vars.example, as `npm run typecheck` does) and shown only when
// the types really are out of date; its own advice would regenerate them from your local secrets.
const TYPES_HINT = /^.*Your types might be out of date\..*\n?/m;
let typesChecked = false;
function checkTypes() {
  if (typesChecked) return;
  typesChecked = true;
  const check = spawn("wrangler", ["types", "--check", "--strict-vars=false", "--env-file", ".dev.vars.example"], { stdio: "ignore" });
  check.on("error", () => {}); // wrangler itself is running, so this is not expected; the hint is only a hint
  check.on("exit", (code) => {
    if (code !== 0) console.log("\u2753 Your types are out of date: run `npm run types` (not `wrangler types`).");
  });
}
const relay = (out) => (chunk) => {
  const text = chunk.toString();
  if (!TYPES_HINT.test(text)) return out.write(text);
  checkTypes();
  out.write(text.replace(TYPES_HINT, ""));
};
wrangler.stdout.on("data", relay(process.stdout));
wrangler.stderr.on("data", relay(process.stderr));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
