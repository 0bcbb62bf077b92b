// Drives the real Worker (exports from cloudflare:workers) the way a sender or an operator would.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { GLOBAL_LEDGER } from "../../src/ledger/ledger";
import { signStandardDelivery } from "../../src/sources/standard";
import { TEST_OPERATOR_TOKEN, TEST_STANDARD_SECRET } from "./bindings";
import { ledgerClock } from "./clock";
import { checkAgainstDocument } from "./openapi-check";
import { waitFor } from "./wait";

const ORIGIN = "https://revoker.test";

/** The Worker's answer; every answer is also checked against the Worker's OpenAPI document. */
export async function workerFetch(path: string, init?: RequestInit): Promise<Response> {
  const request = new Request(`${ORIGIN}${path}`, init);
  const response = await exports.default.fetch(request.clone());
  await checkAgainstDocument(request, response);
  return response;
}

export function operatorFetch(path: string, init: RequestInit = {}, token = TEST_OPERATOR_TOKEN) {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${token}`);
  if (init.body !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  return workerFetch(path, { ...init, headers });
}

/**
 * The audit chain writes each entry's KV copy in the background, after the transaction that appended it
 * (ledger/audit/chain-writer.ts): waits until every entry appended so far is in KV, so a listing of the
 * audit log reads what the ledger recorded.
 */
export async function auditWritten(): Promise<void> {
  await waitFor(
    async () => ((await (await operatorFetch("/v1/stats")).json()) as { audit_chain: { unwritten: number } }).audit_chain.unwritten === 0,
    10_000,
    "the audit chain's KV copies",
  );
}

export type StandardDelivery = { id: string; timestamp: number; body: string; headers: Record<string, string> };

export async function signedStandardDelivery(
  event: unknown,
  options: { id?: string; timestamp?: number; secret?: string; body?: string } = {},
): Promise<StandardDelivery> {
  const id = options.id ?? `msg_${crypto.randomUUID()}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const body = options.body ?? JSON.stringify(event);
  const signature = await signStandardDelivery(options.secret ?? TEST_STANDARD_SECRET, id, timestamp, body);
  return {
    id,
    timestamp,
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signature,
    },
  };
}

export function sendStandardDelivery(delivery: { body: string | Uint8Array; headers: Record<string, string> }) {
  return workerFetch("/webhooks/standard", { method: "POST", headers: delivery.headers, body: delivery.body });
}

export function deprovisioned(email: string, extra: Record<string, unknown> = {}) {
  return { type: "user.deprovisioned", timestamp: new Date().toISOString(), data: { email, ...extra } };
}

export function uniqueEmail(label: string): string {
  return `${label}-${crypto.randomUUID().slice(0, 8)}@example.com`;
}

/** Waits until the ledger has no pending call, so one test's drain never spills into the next. */
export async function waitForIdleLedger(timeoutMs = 10_000): Promise<void> {
  let pending = -1;
  await waitFor(
    async () => {
      pending = ((await (await operatorFetch("/v1/stats")).json()) as { pending_calls: number }).pending_calls;
      return pending === 0;
    },
    timeoutMs,
    () => `an idle ledger (still ${pending} pending calls)`,
  );
}

/** How many revocations the ledger holds: a request that must commit nothing leaves it unchanged. */
export async function revocationTotal(): Promise<number> {
  const stats = (await (await operatorFetch("/v1/stats")).json()) as { by_status: Record<string, number> };
  return Object.values(stats.by_status).reduce((sum, count) => sum + count, 0);
}

export const ledgerStub = () => env.LEDGER.get(env.LEDGER.idFromName(GLOBAL_LEDGER));

/**
 * Advances the ledger's clock past backoff, 429 pauses and token holds (all at most 5 minutes), then wakes
 * the drain. Calls in flight keep their lease and finish normally.
 */
export async function fastForwardLedger(ms = 6 * 60_000): Promise<void> {
  ledgerClock.advance(ms);
  await wakeLedger();
}

/** Sets the ledger's alarm to now, so its drain runs at once. */
async function wakeLedger(): Promise<void> {
  await runInDurableObject(ledgerStub(), async (_instance, state) => {
    await state.storage.setAlarm(Date.now());
  });
}

/** Runs the ledger's drain to the end of one slice, now, and waits for it (a deterministic "the drain has looked"). */
export async function drainOnceNow(): Promise<void> {
  await wakeLedger();
  await runDurableObjectAlarm(ledgerStub());
}

export function sendWebhook(source: string, headers: Record<string, string>, body: string, method = "POST") {
  return workerFetch(`/webhooks/${source}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: method === "GET" ? undefined : body,
  });
}

/** Waits until every revocation for `email` is terminal and returns them. */
export async function revocationsFor(email: string, timeoutMs = 10_000) {
  type Listed = {
    id: string;
    status: string;
    source: string;
    assurance: string;
    subject_id: string | null;
    event_type: string;
    reason: string | null;
  };
  let records: Listed[] = [];
  return waitFor(
    async () => {
      records = ((await (await operatorFetch(`/v1/revocations?email=${encodeURIComponent(email)}`)).json()) as { records: Listed[] }).records;
      return records.length > 0 && records.every((record) => record.status !== "queued") && records;
    },
    timeoutMs,
    () => `revocations for ${email} to settle: ${JSON.stringify(records)}`,
  );
}

/** What every route-level test file does after each test: finish the drain, fast-forwarding backoff. */
export async function settleLedger(): Promise<void> {
  await fastForwardLedger();
  await waitForIdleLedger(30_000);
}
