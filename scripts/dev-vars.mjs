// Reads and creates the local `.dev.vars` file (KEY=value lines, as wrangler reads it).
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export function readDevVars(path) {
  const vars = {};
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (!match) continue;
    vars[match[1]] = match[2].replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

/**
 * Creates `path` with random local secrets on first run. It stays in dry-run unless CF_API_TOKEN and
 * CF_ACCOUNT_ID (or CF_ZONE_ID) are in the environment, in which case they are written and used.
 */
export function ensureDevVars(path) {
  if (existsSync(path)) return { created: false, vars: readDevVars(path) };
  const realToken = process.env.CF_API_TOKEN && (process.env.CF_ACCOUNT_ID || process.env.CF_ZONE_ID);
  const lines = [
    "# Local secrets for `npm start` (git-ignored). Created by scripts/start.mjs; edit freely.",
    `OPERATOR_TOKEN=${randomBytes(24).toString("base64url")}`,
    `WEBHOOK_SECRET_STANDARD=whsec_${randomBytes(32).toString("base64")}`,
  ];
  if (realToken) {
    lines.push(`CF_API_TOKEN=${process.env.CF_API_TOKEN}`, "DRY_RUN=false");
    if (process.env.CF_ACCOUNT_ID) lines.push(`CF_ACCOUNT_ID=${process.env.CF_ACCOUNT_ID}`);
    if (process.env.CF_ZONE_ID) lines.push(`CF_ZONE_ID=${process.env.CF_ZONE_ID}`);
  } else {
    lines.push(
      "# No CF_API_TOKEN was in the environment, so nothing is sent to Cloudflare: every revocation is",
      "# recorded as dry_run with the request it would have sent. Set CF_API_TOKEN, CF_ACCOUNT_ID and",
      "# DRY_RUN=false here to revoke for real.",
      "DRY_RUN=true",
      `CF_ACCOUNT_ID=${randomBytes(16).toString("hex")}`,
    );
  }
  writeFileSync(path, `${lines.join("\n")}\n`, { mode: 0o600 });
  return { created: true, vars: readDevVars(path) };
}
