// Crash safety: `wrangler dev` is killed (SIGKILL, no shutdown) in the middle of a drain with both lanes
// busy, and started again on the same local state. Every accepted revocation must end revoked for every
// target, with at most the calls that were in flight at the kill sent twice. Every server this starts
// is stopped here, by pid.
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeCloudflareApi } from "../../scripts/fake-cloudflare-api.mjs";
import { startLocalWorker } from "../../scripts/local-worker.mjs";

const ACCOUNT = "cccccccccccccccccccccccccccccccc";
const ZONE = "dddddddddddddddddddddddddddddddd";
const CF_TOKEN = "crash-cloudflare-token";
const OPERATOR = "crash-operator-token";
const KEY = Buffer.from("crash test standard webhooks key!");
/** Workers allow six calls in flight: at most these can be sent twice after a kill. */
const MAX_IN_FLIGHT = 6;

type Worker = Awaited<ReturnType<typeof startLocalWorker>>;
const dir = mkdtempSync(join(tmpdir(), "access-revoker-crash-"));
let cloudflare: Awaited<ReturnType<typeof startFakeCloudflareApi>>;
const workers: Worker[] = [];

beforeAll(async () => {
  // Each call takes 300 ms to answer, so several are always in flight (up to six) when the process dies.
  cloudflare = await startFakeCloudflareApi({ tokens: [CF_TOKEN], latencyMs: 300 });
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await cloudflare?.close();
  rmSync(dir, { recursive: true, force: true });
});

function signed(email: string) {
  const id = `msg_${randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ type: "user.deprovisioned", data: { email } });
  const signature = createHmac("sha256", KEY).update(`${id}.${timestamp}.${body}`).digest("base64");
  return {
    body,
    headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${signature}` },
  };
}

it("SIGKILL mid-drain with both lanes busy, restart on the same state: every revocation ends revoked, at most the in-flight calls repeated", async () => {
  const state = join(dir, "crash-state");
  const vars = {
    ACCESS_API_TOKEN: CF_TOKEN,
    OPERATOR_TOKEN: OPERATOR,
    WEBHOOK_SECRET_STANDARD: `whsec_${KEY.toString("base64")}`,
    ACCESS_ACCOUNT_ID: ACCOUNT,
    ACCESS_ZONE_ID: ZONE,
    ACCESS_API_BASE_URL: cloudflare.baseUrl,
    DRY_RUN: "false",
    REVOKE_RATE_PER_SECOND: "25",
    VERIFY_AFTER_SECONDS: "0",
  };
  const auth = { Authorization: `Bearer ${OPERATOR}` };
  const first = await startLocalWorker({ vars, persistTo: state });
  workers.push(first);

  const bulk = Array.from({ length: 120 }, (_, i) => `crash-bulk-${i}@example.com`);
  const job = (await (
    await fetch(`${first.url}/v1/revocations/bulk`, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: bulk.join("\n") })
  ).json()) as {
    job_id: string;
    accepted: number;
  };
  expect(job.accepted).toBe(120);
  // Single deliveries keep arriving (the urgent lane) while the bulk job drains, until the kill.
  const singles: string[] = [];
  while (cloudflare.calls.length < 80) {
    const email = `crash-single-${singles.length}@example.com`;
    const delivery = signed(email);
    const answer = await fetch(`${first.url}/webhooks/standard`, { method: "POST", headers: delivery.headers, body: delivery.body });
    expect(answer.status).toBe(202);
    singles.push(email);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const beforeKill = cloudflare.calls.length;
  await first.kill();
  expect(beforeKill).toBeLessThan(2 * (120 + singles.length)); // killed mid-drain, not after

  const second = await startLocalWorker({ vars, persistTo: state });
  workers.push(second);
  // The persisted alarm (or the first request that wakes the object) resumes the drain.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const progress = (await (await fetch(`${second.url}/v1/jobs/${job.job_id}`, { headers: auth })).json()) as { percent_done: number };
    const stats = (await (await fetch(`${second.url}/v1/stats`, { headers: auth })).json()) as {
      pending_calls: number;
      by_status: Record<string, number>;
    };
    if (progress.percent_done === 100 && stats.pending_calls === 0) break;
    if (Date.now() > deadline) throw new Error(`not drained after the restart: ${JSON.stringify(stats)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const successes = new Map<string, number>();
  for (const call of cloudflare.calls) {
    if (call.status !== 200) continue;
    const key = `${call.body.email} ${call.path.includes("/zones/") ? "zone" : "account"}`;
    successes.set(key, (successes.get(key) ?? 0) + 1);
  }
  for (const email of [...bulk, ...singles]) {
    for (const target of ["account", "zone"]) expect(successes.get(`${email} ${target}`) ?? 0, `${email} on the ${target}`).toBeGreaterThanOrEqual(1);
    const listed = (await (await fetch(`${second.url}/v1/revocations?email=${encodeURIComponent(email)}`, { headers: auth })).json()) as {
      records: { status: string }[];
    };
    expect(listed.records.map((record) => record.status)).toEqual(["revoked"]);
  }
  const repeated = [...successes.values()].filter((count) => count > 1).length;
  expect(repeated).toBeLessThanOrEqual(MAX_IN_FLIGHT);
  await second.stop();
});
