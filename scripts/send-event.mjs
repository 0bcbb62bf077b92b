// `npm run send-event -- someone@example.com`: sends a correctly signed canonical deprovisioning event
// (Standard Webhooks, signed by the official `standardwebhooks` library) to the local Worker.
// Options: --url (default http://127.0.0.1:8787), --dev-vars (default .dev.vars), --uid, --reason.
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";
import { readDevVars } from "./dev-vars.mjs";

const { values, positionals } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:8787" },
    "dev-vars": { type: "string", default: ".dev.vars" },
    uid: { type: "string" },
    reason: { type: "string", default: "sent by npm run send-event" },
  },
  allowPositionals: true,
});
const email = positionals[0];
if (!email) {
  console.error("usage: npm run send-event -- someone@example.com [--uid ID] [--reason TEXT] [--url URL]");
  process.exit(2);
}
const secret = (readDevVars(resolve(values["dev-vars"])).WEBHOOK_SECRET_STANDARD ?? "").split(/\r?\n/)[0].trim();
if (!secret) {
  console.error(`WEBHOOK_SECRET_STANDARD is not set in ${values["dev-vars"]}`);
  process.exit(2);
}
const data = { email, reason: values.reason };
if (values.uid) data.user_uid = values.uid;
const body = JSON.stringify({ type: "user.deprovisioned", timestamp: new Date().toISOString(), data });
const id = `msg_${randomUUID()}`;
const now = new Date();
const response = await fetch(`${values.url}/webhooks/standard`, {
  method: "POST",
  headers: {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, now, body),
  },
  body,
});
console.log(`${response.status} ${await response.text()}`);
process.exit(response.ok ? 0 : 1);
