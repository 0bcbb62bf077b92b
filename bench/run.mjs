// `npm run bench`: measures the Worker under `wrangler dev` (loopback only) and writes bench/results.md.
//  1. ingest: signed Standard Webhooks deliveries at concurrency 1 and 50 beside GET /healthz (autocannon)
//  2. the workerd process's CPU time per request (from /proc, over each run)
//  3. bulk: 10,000 revocations through POST /v1/revocations/bulk against a fake Cloudflare API that
//     enforces the configured rate and is told to answer the first call 429
//  4. time to revoke, twice (seat removal and verification off, then on): a bulk job of BENCH_BULK while single signed deliveries (Standard Webhooks and WorkOS) arrive
//     throughout and one large Okta event hook batch lands in the middle, against a fake that counts calls
//     in a strict one-second window at the configured rate; each person's time from sending the delivery
//     to the last call for them reaching the fake, the bulk drain rate, 429s and losses
//  5. SCIM: 1,000 creates, then lookups and deactivations, at concurrency 10
//  6. the deployable bundle, minified and gzipped (wrangler deploy --dry-run)
//  7. budgets (bench/budgets.mjs): REVOKE_RATE_PER_SECOND=auto against a fixed window per token reported in
//     Ratelimit headers: the share of a budget a second client leaves that the drain uses, and two tokens
//     drained at the sum of their budgets; 429s
//  8. startup CPU (bench/startup.mjs): `wrangler check startup` of the Worker beside a minimal Hono Worker's
// Ingest and SCIM run on an instance at the default pace (auto) against a fake API with Cloudflare's budget
// (1200 calls per 300 s, reported on every answer); bulk and time to revoke run at BENCH_RATE against a fake
// that allows that rate in a strict sliding one-second window and reports nothing until it refuses (what a
// fixed pace is held to). Every server here is stopped by pid.
// Options (env): BENCH_SECONDS (10), BENCH_REPEATS (3 runs of each ingest measurement), BENCH_RATE (100 calls/s for the bulk and time-to-revoke drains), BENCH_BULK (10000),
// BENCH_SINGLE_EVERY_MS (250: one single delivery that often during the time-to-revoke run), BENCH_OKTA_BATCH (200 events);
// for the budget phases BENCH_QUOTA (200) calls per BENCH_WINDOW_SECONDS (10), BENCH_OTHER_SHARE (0.3), BENCH_SHARE_BULK,
// BENCH_TOKENS_BULK; for startup BENCH_STARTUP_RUNS (3).
import { execFileSync } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import autocannon from "autocannon";
import { startFakeCloudflareApi } from "../scripts/fake-cloudflare-api.mjs";
import { startLocalWorker } from "../scripts/local-worker.mjs";
import { OTHER_SHARE, QUOTA, shareOfBudget, twoTokens, WINDOW_SECONDS } from "./budgets.mjs";
import { startupCpu } from "./startup.mjs";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const BULK = Number(process.env.BENCH_BULK ?? 10_000);
const SINGLE_EVERY_MS = Number(process.env.BENCH_SINGLE_EVERY_MS ?? 250);
const OKTA_BATCH = Number(process.env.BENCH_OKTA_BATCH ?? 200);
const WORKOS_SECRET = "bench-workos-endpoint-secret";
/** Okta's documented form of an event hook secret (developer.okta.com/docs/guides/secure-hooks). */
const OKTA_SECRET = "Basic YmVuY2g6c3VwZXJzZWNyZXQ=";
const ACCOUNT = "0123456789abcdef0123456789abcdef";
const CF_TOKEN = "bench-cloudflare-token";
const OPERATOR = "bench-operator-token";
const SCIM = "bench-scim-token";
const SECRET_KEY = Buffer.from("benchmark standard webhooks key!");
const SECRET = `whsec_${SECRET_KEY.toString("base64")}`;
const CLOCK_TICKS = 100; // USER_HZ on Linux
/**
 * The limiter the fixed-pace phases (bulk, time to revoke) are held to: RATE calls in any one second, a
 * sliding window (the strictest: a jittery arrival trips it most easily), silent until it refuses.
 */
const STRICT_LIMIT = { quota: RATE, windowSeconds: 1, window: "sliding" };

const dir = mkdtempSync(join(os.tmpdir(), "access-revoker-bench-"));
const cleanups = [];
const results = {};

function log(message) {
  console.log(`[bench] ${message}`);
}

async function worker(name, vars) {
  const started = await startLocalWorker({ vars, persistTo: join(dir, `${name}-state`) });
  cleanups.push(started.stop);
  return started;
}

/** The workerd process that runs the Worker under a wrangler dev pid (not the entry proxy). */
function workerdPid(rootPid) {
  const children = (pid) =>
    execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean)
      .map(Number);
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift();
    for (const child of children(pid)) {
      const comm = readFileSync(`/proc/${child}/comm`, "utf8").trim();
      const args = readFileSync(`/proc/${child}/cmdline`, "utf8");
      if (comm === "workerd" && args.includes("--inspector-addr")) return child;
      queue.push(child);
    }
  }
  throw new Error("no workerd process found under wrangler dev");
}

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime + stime
}

function run(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** A signed Standard Webhooks delivery of the canonical event for `email` (signed with node:crypto: cheap for the load generator). */
function signedDelivery(email) {
  const id = `msg_${randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ type: "user.deprovisioned", data: { email } });
  const signature = createHmac("sha256", SECRET_KEY).update(`${id}.${timestamp}.${body}`).digest("base64");
  return {
    body,
    headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${signature}` },
  };
}

/** A WorkOS dsync.user.deleted event for `email`, signed as WorkOS signs (WorkOS-Signature: t=<ms>, v1=<hex>). */
function workosDelivery(email) {
  const body = JSON.stringify({
    id: `event_${randomUUID().replace(/-/g, "")}`,
    event: "dsync.user.deleted",
    data: {
      object: "directory_user",
      id: `directory_user_${randomUUID().replace(/-/g, "")}`,
      email,
      emails: [{ primary: true, type: "work", value: email }],
      state: "active",
    },
    created_at: new Date().toISOString(),
  });
  const t = Date.now();
  const v1 = createHmac("sha256", WORKOS_SECRET).update(`${t}.${body}`).digest("hex");
  return { body, headers: { "content-type": "application/json", "WorkOS-Signature": `t=${t}, v1=${v1}` } };
}

/** An Okta event hook batch deactivating each of `emails` (the shape of Okta's documented event hook request). */
function oktaBatch(emails) {
  return JSON.stringify({
    eventType: "com.okta.event_hook",
    eventTypeVersion: "1.0",
    cloudEventsVersion: "0.1",
    source: "https://example.okta.com/api/v1/eventHooks/who8bench",
    eventId: randomUUID(),
    data: {
      events: emails.map((email) => ({
        uuid: randomUUID(),
        eventType: "user.lifecycle.deactivate",
        outcome: { result: "SUCCESS" },
        actor: { id: "00uadmin", type: "User", alternateId: "it-admin@example.com" },
        target: [{ id: `00u${randomUUID().replace(/-/g, "").slice(0, 17)}`, type: "User", alternateId: email }],
      })),
    },
  });
}

function signedDeliveryRequest() {
  return {
    method: "POST",
    path: "/webhooks/standard",
    setupRequest(request) {
      const id = `msg_${randomUUID()}`;
      const timestamp = Math.floor(Date.now() / 1000);
      const body = JSON.stringify({ type: "user.deprovisioned", data: { email: `ingest-${randomUUID().slice(0, 12)}@example.com` } });
      const signature = createHmac("sha256", SECRET_KEY).update(`${id}.${timestamp}.${body}`).digest("base64");
      return {
        ...request,
        body,
        headers: {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": `v1,${signature}`,
        },
      };
    },
  };
}

async function measure(url, pid, label, connections, requests) {
  const before = cpuSeconds(pid);
  const result = await run({ url, connections, duration: SECONDS, requests });
  const cpu = cpuSeconds(pid) - before;
  const total = result.requests.total;
  const row = {
    label,
    connections,
    requests: total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuMsPerRequest: (cpu * 1000) / total,
  };
  log(
    `${label} c=${connections}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, ${row.cpuMsPerRequest.toFixed(3)} ms CPU/request, non-2xx ${row.non2xx}`,
  );
  return row;
}

/** The run with the median p99, carrying every run's p99. */
function medianByP99(runs) {
  const sorted = [...runs].sort((a, b) => a.p99 - b.p99);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)], p99s: runs.map((run) => run.p99) };
}

async function ingest() {
  // As deployed: the default pace (auto) against a fake with Cloudflare's budget (1200 calls per 300 s, about
  // 4/s), so the drain runs behind the ingest the way it does in production instead of competing with it.
  const fake = await startFakeCloudflareApi({ tokens: [CF_TOKEN], rateLimit: { quota: 1200, windowSeconds: 300 } });
  cleanups.push(fake.close);
  const dry = await worker("ingest", {
    ACCESS_ACCOUNT_ID: ACCOUNT,
    ACCESS_API_TOKEN: CF_TOKEN,
    ACCESS_API_BASE_URL: fake.baseUrl,
    OPERATOR_TOKEN: OPERATOR,
    WEBHOOK_SECRET_STANDARD: SECRET,
    SCIM_TOKEN: SCIM,
    DRY_RUN: "false",
  });
  const pid = workerdPid(dry.pid);
  await run({ url: dry.url, connections: 10, duration: 2, requests: [signedDeliveryRequest()] }); // warm-up
  // Each measurement runs REPEATS times (delivery and healthz alternating): on a shared 2-core machine one
  // run's p99 moves by tens of ms, so the table shows the run with the median p99 and every run's p99.
  results.ingest = [];
  for (const connections of [1, 50]) {
    const runs = { delivery: [], healthz: [] };
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      runs.delivery.push(await measure(dry.url, pid, "signed webhook delivery", connections, [signedDeliveryRequest()]));
      runs.healthz.push(await measure(dry.url, pid, "GET /healthz", connections, [{ method: "GET", path: "/healthz" }]));
    }
    results.ingest.push(medianByP99(runs.delivery), medianByP99(runs.healthz));
  }
  return dry;
}

async function scim(dry) {
  // A new headers object for every request: autocannon writes content-length into the object it is given.
  const auth = () => ({ Authorization: `Bearer ${SCIM}`, "content-type": "application/scim+json" });
  const users = [];
  const create = await run({
    url: dry.url,
    connections: 10,
    amount: 1000,
    requests: [
      {
        method: "POST",
        path: "/scim/v2/Users",
        setupRequest(request) {
          const userName = `scim-${randomUUID().slice(0, 12)}@example.com`;
          return {
            ...request,
            headers: auth(),
            body: JSON.stringify({
              schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
              userName,
              name: { givenName: "B", familyName: "U" },
              emails: [{ primary: true, type: "work", value: userName }],
              active: true,
            }),
          };
        },
        onResponse(status, body) {
          if (status === 201) {
            const user = JSON.parse(body);
            users.push({ id: user.id, userName: user.userName });
          }
        },
      },
    ],
  });
  log(`SCIM: ${users.length} users created (${create.non2xx} non-2xx)`);
  /** Runs `users.length` requests at concurrency 10, the i-th one built by `build(users[i])`. */
  const overEachUser = (method, build) => {
    let index = 0;
    return run({
      url: dry.url,
      connections: 10,
      amount: users.length,
      requests: [{ method, setupRequest: (request) => ({ ...request, ...build(users[index++ % users.length]) }) }],
    });
  };
  const lookup = await overEachUser("GET", (user) => ({
    headers: { Authorization: `Bearer ${SCIM}` },
    path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${user.userName}"`)}`,
  }));
  const deactivate = await overEachUser("PATCH", (user) => ({
    headers: auth(),
    path: `/scim/v2/Users/${user.id}`,
    body: JSON.stringify({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "Replace", path: "active", value: "False" }],
    }),
  }));
  results.scim = [
    ["create (POST /Users)", create],
    ["lookup (GET /Users?filter=userName eq …)", lookup],
    ['deactivate (PATCH active "False")', deactivate],
  ].map(([label, result]) => ({
    label,
    requests: result.requests.total,
    non2xx: result.non2xx,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
  }));
  for (const row of results.scim) log(`SCIM ${row.label}: ${row.requests} requests, p50 ${row.p50} ms, p99 ${row.p99} ms, non-2xx ${row.non2xx}`);
}

/** The most of `times` (sorted or not) in any window [t, t + windowMs], as a limiter counting arrivals sees it. */
function mostInAnyWindow(times, windowMs) {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] > windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted, share) {
  return sorted.length === 0 ? null : sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)];
}

/** Seat removal and verification on (the issue's "proof"), or both off. */
const followUpVars = (on) => ({ REMOVE_SEATS: String(on), VERIFY_AFTER_SECONDS: on ? "60" : "0" });

/** Follow-up calls (users, seats, sessions) the fake saw before the last revocation reached it. */
function followUpsBefore(fake) {
  const lastRevocation = Math.max(...fake.calls.map((call) => call.at));
  return fake.requests.filter((call) => !call.path.endsWith("/revoke_user") && call.at <= lastRevocation).length;
}

async function timeToRevoke(followUps) {
  const fake = await startFakeCloudflareApi({ tokens: [CF_TOKEN], rateLimit: STRICT_LIMIT, reportRateLimit: false });
  cleanups.push(fake.close);
  const live = await worker(followUps ? "ttr-follow-ups" : "ttr", {
    ...followUpVars(followUps),
    ACCESS_ACCOUNT_ID: ACCOUNT,
    ACCESS_API_TOKEN: CF_TOKEN,
    OPERATOR_TOKEN: OPERATOR,
    WEBHOOK_SECRET_STANDARD: SECRET,
    WEBHOOK_SECRET_OKTA: OKTA_SECRET,
    WEBHOOK_SECRET_WORKOS: WORKOS_SECRET,
    ACCESS_API_BASE_URL: fake.baseUrl,
    REVOKE_RATE_PER_SECOND: String(RATE),
    DRY_RUN: "false",
  });
  const auth = { Authorization: `Bearer ${OPERATOR}` };
  const bulkEmails = Array.from({ length: BULK }, (_, i) => `layoff-${i}-${randomUUID().slice(0, 8)}@example.com`);
  const job = await (
    await fetch(`${live.url}/v1/revocations/bulk`, { method: "POST", headers: { ...auth, "content-type": "text/csv" }, body: bulkEmails.join("\n") })
  ).json();
  log(
    `time to revoke (follow-ups ${followUps ? "on" : "off"}): bulk job of ${job.accepted} accepted; single deliveries every ${SINGLE_EVERY_MS} ms, one Okta batch of ${OKTA_BATCH}`,
  );
  /** email → when its delivery was sent (the clock starts before the Worker accepted it: a conservative measure). */
  const sentAt = new Map();
  const source = new Map();
  const expectedDrainMs = (BULK / RATE) * 1000;
  const started = Date.now();
  let oktaSent = false;
  let singles = 0;
  const answers = [];
  for (;;) {
    const elapsed = Date.now() - started;
    if (elapsed > expectedDrainMs * 0.9) break;
    if (!oktaSent && elapsed > expectedDrainMs / 3) {
      oktaSent = true;
      const emails = Array.from({ length: OKTA_BATCH }, (_, i) => `okta-${i}-${randomUUID().slice(0, 8)}@example.com`);
      const at = Date.now();
      for (const email of emails) {
        sentAt.set(email, at);
        source.set(email, "okta");
      }
      answers.push(
        fetch(`${live.url}/webhooks/okta`, {
          method: "POST",
          headers: { "content-type": "application/json", Authorization: OKTA_SECRET },
          body: oktaBatch(emails),
        }).then((r) => r.status),
      );
    }
    // Single deliveries alternate between two signed sources: Standard Webhooks and WorkOS.
    const from = singles % 2 === 0 ? "standard" : "workos";
    const email = `single-${singles++}-${randomUUID().slice(0, 8)}@example.com`;
    const delivery = from === "standard" ? signedDelivery(email) : workosDelivery(email);
    sentAt.set(email, Date.now());
    source.set(email, from);
    answers.push(fetch(`${live.url}/webhooks/${from}`, { method: "POST", headers: delivery.headers, body: delivery.body }).then((r) => r.status));
    await new Promise((resolve) => setTimeout(resolve, SINGLE_EVERY_MS));
  }
  const statuses = await Promise.all(answers);
  // Wait for the job and every individual revocation.
  const deadline = Date.now() + expectedDrainMs * 3 + 120_000;
  let progress;
  for (;;) {
    // Light polling (the job every 2 s; who is revoked is read at the fake): the ledger is what is measured.
    progress = await (await fetch(`${live.url}/v1/jobs/${job.job_id}`, { headers: auth })).json();
    const revokedAtFake = new Set(fake.calls.filter((call) => call.status === 200).map((call) => call.body.email));
    const waiting = [...sentAt.keys()].filter((email) => !revokedAtFake.has(email)).length;
    if ((progress.percent_done === 100 && waiting === 0) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  const stats = await (await fetch(`${live.url}/v1/stats`, { headers: auth })).json();
  const lastSuccess = new Map();
  const successes = new Map();
  for (const call of fake.calls) {
    if (call.status !== 200) continue;
    const email = call.body.email;
    successes.set(email, (successes.get(email) ?? 0) + 1);
    lastSuccess.set(email, Math.max(lastSuccess.get(email) ?? 0, call.at));
  }
  const ttr = (filter) =>
    [...sentAt]
      .filter(([email]) => filter(source.get(email)))
      .map(([email, at]) => (lastSuccess.has(email) ? lastSuccess.get(email) - at : Number.POSITIVE_INFINITY))
      .sort((a, b) => a - b);
  const row = (label, values) => ({
    label,
    count: values.length,
    p50: percentile(values, 0.5),
    p99: percentile(values, 0.99),
    max: values.at(-1) ?? null,
  });
  const bulkCalls = fake.calls.filter((call) => call.status === 200 && call.body.email.startsWith("layoff-")).map((call) => call.at);
  // The pace is measured over the revocations; follow-ups (verification) run after them, in leftover pace.
  const allAccepted = fake.calls.filter((call) => call.status !== 429).map((call) => call.at);
  const bulkSeconds = (Math.max(...bulkCalls) - Math.min(...bulkCalls)) / 1000;
  const allSeconds = (Math.max(...allAccepted) - Math.min(...allAccepted)) / 1000;
  const individuals = [...sentAt.keys()];
  const result = {
    followUps,
    followUpCallsBeforeLastRevocation: followUpsBefore(fake),
    rows: [
      row(
        "single deliveries, Standard Webhooks",
        ttr((s) => s === "standard"),
      ),
      row(
        "single deliveries, WorkOS",
        ttr((s) => s === "workos"),
      ),
      row(
        "single deliveries, both sources",
        ttr((s) => s !== "okta"),
      ),
      row(
        `one Okta event hook batch of ${OKTA_BATCH} (its members)`,
        ttr((s) => s === "okta"),
      ),
    ],
    deliveryStatuses: [...new Set(statuses)].join(", "),
    individuals: individuals.length,
    individualsRevoked: individuals.filter((email) => lastSuccess.has(email)).length,
    bulk: BULK,
    bulkRevoked: progress.by_status.revoked ?? 0,
    lost: BULK + individuals.length - [...lastSuccess.keys()].length,
    revokedTwice: [...successes.values()].filter((count) => count > 1).length,
    rateLimited: fake.rateLimitedCount(),
    bulkRate: (bulkCalls.length - 1) / bulkSeconds,
    allRate: (allAccepted.length - 1) / allSeconds,
    allSeconds,
    busiestSecond: mostInAnyWindow(allAccepted, 1000),
    ledgerUrgent: stats.time_to_revoke.urgent.since_start,
    ledgerBulk: stats.time_to_revoke.bulk.since_start,
    stillActive: stats.by_status.still_active ?? 0,
    followUpCounts: stats.follow_ups,
  };
  const r = result;
  const tag = followUps ? "follow-ups on" : "follow-ups off";
  for (const line of r.rows) log(`time to revoke (${tag}), ${line.label}: ${line.count}, p50 ${line.p50} ms, p99 ${line.p99} ms, max ${line.max} ms`);
  log(
    `time to revoke (${tag}): bulk ${r.bulkRevoked}/${BULK} revoked, all calls at ${r.allRate.toFixed(1)}/s (${((r.allRate / RATE) * 100).toFixed(1)} % of ${RATE}/s), bulk calls at ${r.bulkRate.toFixed(1)}/s, ${r.rateLimited} × 429, lost ${r.lost}, revoked twice ${r.revokedTwice}, busiest second ${r.busiestSecond}, follow-up calls before the last revocation ${r.followUpCallsBeforeLastRevocation}, still_active ${r.stillActive}, follow-ups so far ${JSON.stringify(r.followUpCounts)}`,
  );
  // Stop this phase's servers so the next phase has the machine to itself (the follow-ups would go on).
  await live.stop();
  await fake.close();
  return result;
}

async function bulk() {
  // Cloudflare counts 1200 calls per 300 s window; the fake keeps that shape at the raised rate: 1200 calls
  // per 1200/RATE s (6 s at 200/s), so it allows the configured rate and no more, on average over a window
  // as many calls long as the real one.
  // A strict one-second window at the configured rate, the limiter a jittery arrival trips most easily,
  // told to answer the first call 429 (the drain must pause for its Retry-After and lose nothing).
  const fake = await startFakeCloudflareApi({ tokens: [CF_TOKEN], rateLimit: STRICT_LIMIT, reportRateLimit: false, inject429: 1 });
  cleanups.push(fake.close);
  const live = await worker("bulk", {
    ...followUpVars(true),
    ACCESS_ACCOUNT_ID: ACCOUNT,
    ACCESS_API_TOKEN: CF_TOKEN,
    OPERATOR_TOKEN: OPERATOR,
    ACCESS_API_BASE_URL: fake.baseUrl,
    REVOKE_RATE_PER_SECOND: String(RATE),
    DRY_RUN: "false",
  });
  const emails = Array.from({ length: BULK }, (_, i) => `bulk-${i}-${randomUUID().slice(0, 8)}@example.com`);
  const submitted = Date.now();
  const response = await fetch(`${live.url}/v1/revocations/bulk`, {
    method: "POST",
    headers: { Authorization: `Bearer ${OPERATOR}`, "content-type": "text/csv" },
    body: emails.join("\n"),
  });
  const job = await response.json();
  const acceptMs = Date.now() - submitted;
  log(`bulk: ${job.accepted} accepted in ${acceptMs} ms (HTTP ${response.status})`);
  let progress;
  const deadline = Date.now() + (BULK / RATE) * 1000 * 3 + 120_000;
  for (;;) {
    progress = await (await fetch(`${live.url}/v1/jobs/${job.job_id}`, { headers: { Authorization: `Bearer ${OPERATOR}` } })).json();
    const open = (progress.by_status.queued ?? 0) + (progress.by_status.unresolved ?? 0);
    if (open === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const successes = new Map();
  for (const call of fake.calls) if (call.status === 200) successes.set(call.body.email, (successes.get(call.body.email) ?? 0) + 1);
  const accepted = fake.calls.filter((call) => call.status !== 429).map((call) => call.at);
  const first = Math.min(...fake.calls.map((call) => call.at));
  const last = Math.max(...fake.calls.map((call) => call.at));
  const drainSeconds = (last - first) / 1000;
  const revoked = progress.by_status.revoked ?? 0;
  results.bulk = {
    submitted: BULK,
    accepted: job.accepted,
    acceptMs,
    revoked,
    lost: BULK - revoked - (progress.by_status.not_found ?? 0) - (progress.by_status.failed ?? 0),
    failed: progress.by_status.failed ?? 0,
    duplicates: [...successes.values()].filter((count) => count > 1).length,
    calls: fake.calls.length,
    rateLimited: fake.rateLimitedCount(),
    drainSeconds,
    drainRate: (accepted.length - 1) / drainSeconds,
    busiestSecond: mostInAnyWindow(accepted, 1000),
    configuredRate: RATE,
    followUpCallsBeforeLastRevocation: followUpsBefore(fake),
  };
  results.bulk.fraction = results.bulk.drainRate / RATE;
  log(
    `bulk: ${revoked} revoked, drained at ${results.bulk.drainRate.toFixed(1)}/s of ${RATE}/s (${(results.bulk.fraction * 100).toFixed(1)} %), ${results.bulk.rateLimited} × 429, lost ${results.bulk.lost}, follow-up calls before the last revocation ${results.bulk.followUpCallsBeforeLastRevocation}`,
  );
  await live.stop();
  await fake.close();
}

function bundle() {
  const out = join(dir, "dist");
  execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", out, "--minify"], { stdio: "ignore" });
  const code = readFileSync(join(out, "index.js"));
  results.bundle = { minifiedKiB: code.length / 1024, gzipKiB: gzipSync(code, { level: 9 }).length / 1024 };
  log(`bundle: ${results.bundle.minifiedKiB.toFixed(1)} KiB minified, ${results.bundle.gzipKiB.toFixed(1)} KiB gzipped`);
}

function markdown() {
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const wrangler = JSON.parse(readFileSync(new URL("../node_modules/wrangler/package.json", import.meta.url), "utf8")).version;
  const f = (n, digits = 1) => Number(n).toFixed(digits);
  const hook = (c) => results.ingest.find((row) => row.connections === c && row.label.startsWith("signed"));
  const health = (c) => results.ingest.find((row) => row.connections === c && row.label.startsWith("GET"));
  const lines = [
    "# Benchmark results",
    "",
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, commit \`${commit}\`, on ${os.cpus().length} × ${cpu}, ${f(os.totalmem() / 2 ** 30, 0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, wrangler ${wrangler} (\`wrangler dev\`, local workerd; loopback only). ${SECONDS} s per ingest run.`,
    "",
    "## 1–2. Ingest: signed webhook deliveries beside GET /healthz",
    "",
    `Each row is the run with the median p99 of ${REPEATS}; the last column lists every run's p99.`,
    "",
    "| request | concurrency | requests | req/s | p50 ms | p99 ms | non-2xx | workerd CPU ms / request | p99 ms of each run |",
    "|---|---|---|---|---|---|---|---|---|",
    ...results.ingest.map(
      (row) =>
        `| ${row.label} | ${row.connections} | ${row.requests} | ${f(row.rps, 0)} | ${row.p50} | ${row.p99} | ${row.non2xx} | ${f(row.cpuMsPerRequest, 3)} | ${row.p99s.join(", ")} |`,
    ),
    "",
    `Ratios (delivery ÷ healthz): throughput ${f(hook(1).rps / health(1).rps, 2)} at c=1 and ${f(hook(50).rps / health(50).rps, 2)} at c=50; CPU per request ${f(hook(50).cpuMsPerRequest / health(50).cpuMsPerRequest, 2)}× at c=50. A delivery verifies the HMAC, parses, commits to the ledger Durable Object and answers 202; behind it the drain calls the fake Cloudflare API at the default pace (auto, on a budget of 1200 calls per 300 s). CPU is the workerd process that runs the Worker (not wrangler's entry proxy).`,
    "",
    "## 3. Bulk: 10,000 revocations against a rate-limited fake API",
    "",
    "| measure | value |",
    "|---|---|",
    `| submitted / accepted | ${results.bulk.submitted} / ${results.bulk.accepted} |`,
    `| time to accept (one POST /v1/revocations/bulk) | ${results.bulk.acceptMs} ms |`,
    `| revoked | ${results.bulk.revoked} |`,
    `| lost | ${results.bulk.lost} |`,
    `| revoked twice | ${results.bulk.duplicates} |`,
    `| configured rate (REVOKE_RATE_PER_SECOND) | ${results.bulk.configuredRate}/s |`,
    `| the fake API's limit | ${RATE} calls in any one second (strict sliding window), 429 with Retry-After past it |`,
    `| drain rate achieved | ${f(results.bulk.drainRate)}/s (${f(results.bulk.fraction * 100)} % of configured) over ${f(results.bulk.drainSeconds)} s |`,
    `| 429s received (the fake injects one on the first call) | ${results.bulk.rateLimited} |`,
    `| calls made | ${results.bulk.calls} |`,
    `| most calls arriving at the fake in any 1 s | ${results.bulk.busiestSecond} |`,
    `| follow-up calls (seats, verification: both on) before the last revocation reached the fake | ${results.bulk.followUpCallsBeforeLastRevocation} |`,
    "",
    `The drain lets no call go out until the call ${results.bulk.configuredRate} before it has been answered and a full second has passed since that answer (src/ledger/drain/pace.ts): a call arrives after it is sent and before its answer, so no ${results.bulk.configuredRate + 1} calls can arrive within one second however the loopback delays them. What the rate loses: one round trip per window (loopback round trips of 1–150 ms were measured under this load), timers that wake a few ms late, the six connections a Worker may hold open (at ${results.bulk.configuredRate}/s, six calls in flight need round trips under ${f(6000 / results.bulk.configuredRate, 0)} ms), and the one-second pause the injected 429's Retry-After demands.`,
    "",
    `## 4. Time to revoke during a layoff: one person's offboarding never waits behind ${BULK.toLocaleString("en")} bulk revocations`,
    "",
    `A bulk job of ${results.ttr.bulk} at REVOKE_RATE_PER_SECOND=${RATE}, one account; while it drains, a signed single delivery every ${SINGLE_EVERY_MS} ms (Standard Webhooks and WorkOS in turn) and, a third of the way in, one Okta event hook batch of ${OKTA_BATCH} deactivations (a third source). The batch's members are one source's burst: the last of them waits for the others at the pace (${OKTA_BATCH} calls ≥ ${f(OKTA_BATCH / RATE, 2)} s), while single deliveries from the other sources take turns with it. The fake API counts calls in a strict one-second window at the configured rate and answers 429 past it. Time to revoke is measured end to end: from the moment the bench sent the delivery (before the Worker accepted it) to the moment the last call for that person reached the fake API.`,
    "",
    "| individual deprovisionings | count | p50 ms | p99 ms | max ms |",
    "|---|---|---|---|---|",
    ...results.ttr.rows.map((row) => `| ${row.label} | ${row.count} | ${row.p50} | ${row.p99} | ${row.max} |`),
    "",
    "| measure | value |",
    "|---|---|",
    `| individual deprovisionings revoked | ${results.ttr.individualsRevoked} of ${results.ttr.individuals} (answers: ${results.ttr.deliveryStatuses}) |`,
    `| bulk revoked | ${results.ttr.bulkRevoked} of ${results.ttr.bulk} |`,
    `| lost / revoked twice | ${results.ttr.lost} / ${results.ttr.revokedTwice} |`,
    `| all calls (bulk and individual) | ${f(results.ttr.allRate)}/s over ${f(results.ttr.allSeconds)} s = ${f((results.ttr.allRate / RATE) * 100)} % of the configured ${RATE}/s |`,
    `| bulk calls alone | ${f(results.ttr.bulkRate)}/s (${f((results.ttr.bulkRate / RATE) * 100)} %): the rest of the pace went to the individual deprovisionings |`,
    `| 429s from the strict one-second limiter | ${results.ttr.rateLimited} |`,
    `| most calls arriving at the fake in any 1 s | ${results.ttr.busiestSecond} |`,
    `| the ledger's own figures (GET /v1/stats time_to_revoke, accepted → last target done) | urgent: ${results.ttr.ledgerUrgent.count} revocations, p50 ${results.ttr.ledgerUrgent.p50_ms} ms, p95 ${results.ttr.ledgerUrgent.p95_ms} ms, max ${results.ttr.ledgerUrgent.max_ms} ms; bulk: p50 ${results.ttr.ledgerBulk.p50_ms} ms, max ${results.ttr.ledgerBulk.max_ms} ms |`,
    "",
    "Both runs, seat removal and verification off and on (REMOVE_SEATS=true, VERIFY_AFTER_SECONDS=60; the tables above are the run with them on). Follow-ups are the slowest lane: they use only pace that no revocation is waiting for, so they start once the bulk job's last call has gone out.",
    "",
    "| measure | follow-ups off | follow-ups on |",
    "|---|---|---|",
    ...results.ttr.rows.map((row, i) => {
      const off = results.ttrOff.rows[i];
      return `| ${row.label}: p50 / p99 / max ms | ${off.p50} / ${off.p99} / ${off.max} | ${row.p50} / ${row.p99} / ${row.max} |`;
    }),
    `| all revocation calls, % of the configured ${RATE}/s | ${f((results.ttrOff.allRate / RATE) * 100)} % | ${f((results.ttr.allRate / RATE) * 100)} % |`,
    `| bulk calls alone, % of ${RATE}/s | ${f((results.ttrOff.bulkRate / RATE) * 100)} % | ${f((results.ttr.bulkRate / RATE) * 100)} % |`,
    `| 429s / lost / revoked twice | ${results.ttrOff.rateLimited} / ${results.ttrOff.lost} / ${results.ttrOff.revokedTwice} | ${results.ttr.rateLimited} / ${results.ttr.lost} / ${results.ttr.revokedTwice} |`,
    `| follow-up calls before the last revocation reached the fake | ${results.ttrOff.followUpCallsBeforeLastRevocation} | ${results.ttr.followUpCallsBeforeLastRevocation} |`,
    "",
    "## 5. SCIM at concurrency 10",
    "",
    "| step | requests | non-2xx | req/s | p50 ms | p99 ms |",
    "|---|---|---|---|---|---|",
    ...results.scim.map((row) => `| ${row.label} | ${row.requests} | ${row.non2xx} | ${f(row.rps, 0)} | ${row.p50} | ${row.p99} |`),
    "",
    "## 6. Bundle",
    "",
    `\`wrangler deploy --dry-run --minify\`: ${f(results.bundle.minifiedKiB)} KiB minified, ${f(results.bundle.gzipKiB)} KiB gzipped.`,
    "",
    ...budgetSections(f),
    "",
  ];
  writeFileSync(new URL("./results.md", import.meta.url), lines.join("\n"));
}

/** Sections 7 and 8: the budget phases and startup CPU. */
function budgetSections(f) {
  const { share, tokens, startup } = results;
  const pct = (value) => `${f(value * 100)} %`;
  return [
    `## 7. Budgets: REVOKE_RATE_PER_SECOND=auto against ${QUOTA} calls per ${WINDOW_SECONDS} s per token`,
    "",
    `The fake counts a fixed window per token, as Cloudflare documents \`t\` ("the time next window resets"): a window opens with the token's first call after the last one closed and holds ${QUOTA} calls; every answer reports \`Ratelimit: "default";r=…;t=…\` and \`Ratelimit-Policy: "default";q=${QUOTA};w=${WINDOW_SECONDS}\`, and a call past the quota is answered 429 until the window closes. The window is short so a phase takes a minute or two; the pace's arithmetic is the same at Cloudflare's 1200 per 300 s. Shares are over the drain's full windows (not its first, begun at the 2/s fallback before any answer, nor its last, where the job ran out).`,
    "",
    "| measure | value |",
    "|---|---|",
    `| one token, a second client spending ${pct(OTHER_SHARE)} of its budget throughout: revoked | ${share.revoked} of ${share.bulk} |`,
    `| share of the budget the second client spent, over ${share.windows} full windows | ${pct(share.othersShare)} |`,
    `| calls the drain made of what the second client left | ${share.used} of ${share.left} = **${pct(share.share)}** |`,
    `| 429s answered to the drain (the second client's refused calls) | **${share.rateLimited}** (${share.refusedOthers}) |`,
    `| two accounts, each with its own token, one bulk job over both: revoked | ${tokens.revoked} of ${tokens.bulk} (${tokens.calls} calls) |`,
    `| the two tokens' calls together | ${f(tokens.rate)}/s over ${f(tokens.seconds)} s = **${pct(tokens.rate / tokens.sumOfBudgets)}** of the sum of the two budgets (${tokens.sumOfBudgets}/s) |`,
    `| each token's share of its full windows | ${tokens.perToken.map((token, i) => `token ${i + 1}: ${pct(token.share)} over ${token.windows} windows`).join("; ")} |`,
    `| 429s, two tokens | **${tokens.rateLimited}** |`,
    "",
    `Each window, the drain's calls / the second client's: ${share.detail.join(", ")} (one token); ${tokens.perToken.map((token, i) => `token ${i + 1}: ${token.detail.join(", ")}`).join("; ")} (two tokens; "+N ms": how long after the last window closed it opened).`,
    "",
    "What the drain leaves of each window: the reserve (1 % of the quota, at least 2 calls) kept for other users between two answers, and what the Pacer's window rule costs (the call N before answered and a full window since: about a round trip a second). The two-token rate over the whole run also counts the first window, begun at the 2/s fallback before any answer, and the last, where the job ran out.",
    "",
    "## 8. Startup CPU",
    "",
    `\`wrangler check startup\` (the script's evaluation in a local workerd, profiled), the median of ${startup.runs} runs each, in turns: the Worker ${f(startup.workerMs)} ms (runs: ${startup.workerRuns.map((ms) => f(ms)).join(", ")}), a minimal Hono Worker of one route built in the same run ${f(startup.honoMs)} ms (runs: ${startup.honoRuns.map((ms) => f(ms)).join(", ")}): **${f(startup.ratio, 2)}×**. Local figures include the profiler's own start; the ratio is what to watch as the code grows.`,
  ];
}

async function cleanUp() {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => cleanUp().finally(() => process.exit(130)));
}

try {
  // BENCH_ONLY=bulk, =ttr, =ingest, =share, =tokens or =startup runs one phase (its figures in the log); bench/results.md is written only by a full run.
  const context = { worker, log, cleanups, dir };
  if (process.env.BENCH_ONLY === "bulk") {
    await bulk();
  } else if (process.env.BENCH_ONLY === "share") {
    await shareOfBudget(context);
  } else if (process.env.BENCH_ONLY === "tokens") {
    await twoTokens(context);
  } else if (process.env.BENCH_ONLY === "startup") {
    startupCpu(context);
  } else if (process.env.BENCH_ONLY === "ttr") {
    results.ttrOff = await timeToRevoke(false);
    results.ttr = await timeToRevoke(true);
  } else if (process.env.BENCH_ONLY === "ingest") {
    await ingest();
  } else {
    bundle();
    const dry = await ingest();
    await scim(dry);
    // Its ledger still drains the ingest backlog at its auto pace: stopped, so the drains measured next have the
    // machine's two cores to themselves.
    await dry.stop();
    await bulk();
    results.ttrOff = await timeToRevoke(false);
    results.ttr = await timeToRevoke(true);
    results.share = await shareOfBudget(context);
    results.tokens = await twoTokens(context);
    results.startup = startupCpu(context);
    markdown();
    log("wrote bench/results.md");
  }
} finally {
  await cleanUp();
}
