// Where the Worker is and which operator token to send. The URL: --url, then ACCESS_REVOKER_URL, then the
// address `npm start` serves. The token: --token, then ACCESS_REVOKER_TOKEN, then OPERATOR_TOKEN in
// ./.dev.vars (the file `npm start` writes). Contract: the token is never printed, nor put in a message.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Connection } from "./api.ts";
import { usageFailure } from "./errors.ts";

export const DEFAULT_URL = "http://127.0.0.1:8787";
const DEV_VARS = ".dev.vars";

export function resolveConnection(flags: { url?: string; token?: string }, env: Record<string, string | undefined>, cwd: string): Connection {
  const url = parseBaseUrl(flags.url ?? (env.ACCESS_REVOKER_URL || DEFAULT_URL));
  if (flags.token) return { url, token: flags.token, tokenSource: "--token" };
  if (env.ACCESS_REVOKER_TOKEN) return { url, token: env.ACCESS_REVOKER_TOKEN, tokenSource: "ACCESS_REVOKER_TOKEN" };
  const devVars = join(cwd, DEV_VARS);
  const token = existsSync(devVars) ? operatorTokenIn(readFileSync(devVars, "utf8")) : null;
  if (token) return { url, token, tokenSource: `OPERATOR_TOKEN in ${devVars}` };
  throw usageFailure(
    "no operator token: pass --token or set ACCESS_REVOKER_TOKEN, or run this where .dev.vars holds OPERATOR_TOKEN (npm start writes it)",
  );
}

function parseBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageFailure(`--url must be an http(s) address such as ${DEFAULT_URL}, not "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw usageFailure(`--url must start with http:// or https://, not "${raw}"`);
  return url.href.replace(/\/+$/, "");
}

/**
 * The first operator token in a .dev.vars text (KEY=value lines, as wrangler reads them). The Worker
 * accepts a list for rotation, written OPERATOR_TOKEN="new\nold" with a literal backslash-n: any token
 * of the list works, so the first is used.
 */
function operatorTokenIn(text: string): string | null {
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?OPERATOR_TOKEN\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    const value = match[1]!.replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
    const first = value
      .split("\\n")
      .map((token) => token.trim())
      .find((token) => token !== "");
    return first ?? null;
  }
  return null;
}
