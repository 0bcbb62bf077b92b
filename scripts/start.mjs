// `npm start`: runs the Worker under `wrangler dev` on local KV and Durable Objects.
// Usage: node scripts/start.mjs [--dev-vars PATH] [-- wrangler dev options]
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ensureDevVars } from "./dev-vars.mjs";

const { values, positionals } = parseArgs({
  options: { "dev-vars": { type: "string", default: ".dev.vars" }, port: { type: "string", default: "8787" } },
  allowPositionals: true,
});
const devVarsPath = resolve(values["dev-vars"]);
const { created, vars } = ensureDevVars(devVarsPath);
const port = values.port;
const base = `http://127.0.0.1:${port}`;

console.log(created ? `Created ${devVarsPath} with random local secrets.` : `Using ${devVarsPath}.`);
console.log(vars.DRY_RUN === "true" ? "DRY_RUN=true: nothing is sent to Cloudflare." : "DRY_RUN is off: revocations call the Cloudflare API.");
console.log(`
Try it once the server is ready:
  curl ${base}/healthz
  npm run send-event -- someone@example.com
  curl -H "Authorization: Bearer ${vars.OPERATOR_TOKEN}" ${base}/v1/revocations
  curl -X POST -H "Authorization: Bearer ${vars.OPERATOR_TOKEN}" -H "Content-Type: application/json" \\
       -d '{"email":"someone@example.com","reason":"offboarding"}' ${base}/v1/revocations
`);

// wrangler reads ./.dev.vars by itself. Another file is passed with --env-file, which wrangler also loads
// into its own environment (it then mentions CF_API_TOKEN, harmlessly: --local makes no API call).
const envFile = devVarsPath === resolve(".dev.vars") ? [] : ["--env-file", devVarsPath];
const wrangler = spawn(
  "wrangler",
  ["dev", "--local", "--ip", "127.0.0.1", "--port", port, ...envFile, "--show-interactive-dev-session=false", ...positionals],
  { stdio: "inherit" },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
