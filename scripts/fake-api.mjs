// `npm run fake-api`: the local fake of the Cloudflare API (scripts/fake-cloudflare.ts) on 127.0.0.1,
// so pacing, 429 pauses, jobs and token holds can be tried without an account. It prints the command that
// points .dev.vars at it, then logs every call it answers until Ctrl-C.
// Usage: npm run fake-api [-- --port 8788] [--limit 1200] [--window-seconds 300] [--token TOKEN]
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { startFakeCloudflareApi } from "./fake-cloudflare-api.mjs";

const USAGE = "usage: npm run fake-api [-- --port 8788] [--limit 1200] [--window-seconds 300] [--token TOKEN]";
let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: "string", default: "8788" },
      limit: { type: "string", default: "1200" },
      "window-seconds": { type: "string", default: "300" },
      token: { type: "string", default: `fake-${randomBytes(12).toString("hex")}` },
    },
  }));
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
const [port, limit, windowSeconds] = [Number(values.port), Number(values.limit), Number(values["window-seconds"])];
if (![port, limit, windowSeconds].every((value) => Number.isFinite(value) && value > 0)) {
  console.error(`--port, --limit and --window-seconds must be positive numbers\n${USAGE}`);
  process.exit(2);
}
let fake;
try {
  fake = await startFakeCloudflareApi({ tokens: [values.token], port, rateLimit: { quota: limit, windowSeconds }, log: true });
} catch (error) {
  console.error(`cannot listen on 127.0.0.1:${port} (${error.code ?? error.message}): pass another --port`);
  process.exit(1);
}
console.log(`A fake Cloudflare API on ${fake.baseUrl}: ${limit} calls per ${windowSeconds} s, then 429 with Retry-After.
Point the Worker at it (this sets the three lines in .dev.vars), then restart npm start:
  npm run dev-vars -- ACCESS_API_BASE_URL=${fake.baseUrl} ACCESS_API_TOKEN=${values.token} DRY_RUN=false
A call with any other token is refused (403), which holds that target: try it with a wrong ACCESS_API_TOKEN.
Ctrl-C stops it.
`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => fake.close().finally(() => process.exit(0)));
