// `npm run send-event -- someone@example.com`: sends a correctly signed canonical deprovisioning event
// (Standard Webhooks, signed by the official `standardwebhooks` library) to the local Worker.
// Options: --url (default http://127.0.0.1:8787), --dev-vars (default .dev.vars), --uid, --reason.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";
import { readDevVars } from "./dev-vars.mjs";

const USAGE = "usage: npm run send-event -- someone@example.com [--uid ID] [--reason TEXT] [--url URL] [--dev-vars PATH]";
let parsed;
try {
  parsed = parseArgs({
    options: {
      url: { type: "string", default: "http://127.0.0.1:8787" },
      "dev-vars": { type: "string", default: ".dev.vars" },
      uid: { type: "string" },
      reason: { type: "string", default: "sent by npm run send-event" },
    },
    allowPositionals: true,
  });
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = parsed;
const email = positionals[0];
if (!email) {
  console.error(USAGE);
  process.exit(2);
}
const devVarsPath = resolve(values["dev-vars"]);
if (!existsSync(devVarsPath)) {
  console.error(`${devVarsPath} does not exist: run \`npm start\` once (it creates it), or pass --dev-vars PATH`);
  process.exit(2);
}
const secret = (readDevVars(devVarsPath).WEBHOOK_SECRET_STANDARD ?? "").split(/\\n|\r?\n/)[0].trim();
if (!secret) {
  console.error(`WEBHOOK_SECRET_STANDARD is not set in ${values["dev-vars"]}`);
  process.exit(2);
}
const data = { email, reason: values.reason };
if (values.uid) data.user_uid = values.uid;
const body = JSON.stringify({ type: "user.deprovisioned", timestamp: new Date().toISOString(), data });
const id = `msg_${randomUUID()}`;
const now = new Date();
let response;
try {
  response = await fetch(`${values.url}/webhooks/standard`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, now, body),
    },
    body,
  });
} catch (error) {
  console.error(`cannot reach ${values.url} (${error.cause?.code ?? error.message}): is \`npm start\` running? (or pass --url)`);
  process.exit(3);
}
console.log(`${response.status} ${await response.text()}`);
process.exit(response.ok ? 0 : 1);
