// Reads and creates the local `.dev.vars` file (KEY=value lines). Read with dotenv's parser, the version
// wrangler itself reads it with, so a value means here what it means to the Worker: a single-quoted value is
// taken as written (a service account's JSON key with its \n escapes), a double-quoted one turns \n into a
// line break (a rotation list), and a comment or blank line is nothing.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parse } from "dotenv";

export function readDevVars(path) {
  return parse(readFileSync(path, "utf8"));
}

/** Every secret the Worker reads, in the order .dev.vars.example lists them. */
function secretNames() {
  return Object.keys(readDevVars(new URL("../.dev.vars.example", import.meta.url)));
}

/**
 * Creates `path` with random local secrets on first run. It stays in dry-run unless ACCESS_API_TOKEN and
 * ACCESS_ACCOUNT_ID (or ACCESS_ZONE_ID) are in the environment, in which case they are written and used.
 * Every secret of .dev.vars.example gets a line (blank: that source stays off), so wrangler's check of the
 * generated types finds the same names as `npm run types` used and prints no stale-types hint.
 */
export function ensureDevVars(path) {
  if (existsSync(path)) return { created: false, vars: readDevVars(path) };
  const realToken = process.env.ACCESS_API_TOKEN && (process.env.ACCESS_ACCOUNT_ID || process.env.ACCESS_ZONE_ID);
  const secrets = {
    OPERATOR_TOKEN: randomBytes(24).toString("base64url"),
    WEBHOOK_SECRET_STANDARD: `whsec_${randomBytes(32).toString("base64")}`,
    SCIM_TOKEN: randomBytes(24).toString("base64url"),
    ACCESS_API_TOKEN: realToken ? process.env.ACCESS_API_TOKEN : "",
  };
  const lines = [
    "# Local secrets for `npm start` (git-ignored). Created by scripts/start.mjs; edit freely.",
    '# A blank secret leaves its source off. Several values for rotation: NAME="old\\nnew".',
    ...secretNames().map((name) => `${name}=${secrets[name] ?? ""}`),
  ];
  if (realToken) {
    lines.push("DRY_RUN=false");
    if (process.env.ACCESS_ACCOUNT_ID) lines.push(`ACCESS_ACCOUNT_ID=${process.env.ACCESS_ACCOUNT_ID}`);
    if (process.env.ACCESS_ZONE_ID) lines.push(`ACCESS_ZONE_ID=${process.env.ACCESS_ZONE_ID}`);
  } else {
    lines.push(
      "# No ACCESS_API_TOKEN was in the environment, so nothing is sent to Cloudflare: every revocation is",
      "# recorded as dry_run with the request it would have sent. Set ACCESS_API_TOKEN, ACCESS_ACCOUNT_ID and",
      "# DRY_RUN=false here to revoke for real, or try the local fake API: npm run fake-api.",
      "DRY_RUN=true",
      `ACCESS_ACCOUNT_ID=${randomBytes(16).toString("hex")}`,
    );
  }
  writeFileSync(path, `${lines.join("\n")}\n`, { mode: 0o600 });
  return { created: true, vars: readDevVars(path) };
}
