// A Worker with something to show on its status page, for the browser test (test/ui) and `npm run
// screenshot`: the local fake Cloudflare API and a real `wrangler dev`, then, through the operator API,
// a bulk job that completes, single revocations that succeed, one whose session outlives it (still
// active once verified), one the API refuses (403 on the zone: the
// revocation fails and the zone is held) and a second job whose zone calls wait behind that hold.
// stop() ends both servers, by pid, and removes the state.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeCloudflareApi } from "./fake-cloudflare-api.mjs";
import { startLocalWorker } from "./local-worker.mjs";

const ACCOUNT = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const ZONE = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const CF_TOKEN = "status-page-cloudflare-token";
const OPERATOR_TOKEN = "status-page-operator-token";
export const RATE_PER_SECOND = 10;

/** Polls `probe` until it answers something truthy; fails naming `what` after `timeoutMs`. */
async function waitFor(probe, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startStatusPageDemo() {
  const dir = mkdtempSync(join(tmpdir(), "access-revoker-ui-"));
  const cloudflare = await startFakeCloudflareApi({ tokens: [CF_TOKEN] });
  let worker;
  const stop = async () => {
    await worker?.stop();
    await cloudflare.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const vars = {
      ACCESS_API_TOKEN: CF_TOKEN,
      OPERATOR_TOKEN,
      WEBHOOK_SECRET_STANDARD: "whsec_c3RhdHVzIHBhZ2UgZGVtbyBzZWNyZXQ=",
      ACCESS_ACCOUNT_ID: ACCOUNT,
      ACCESS_ZONE_ID: ZONE,
      ACCESS_API_BASE_URL: cloudflare.baseUrl,
      DRY_RUN: "false",
      REVOKE_RATE_PER_SECOND: String(RATE_PER_SECOND),
      REMOVE_SEATS: "true",
      VERIFY_AFTER_SECONDS: "2",
      SOURCE_SILENCE_HOURS: JSON.stringify({ standard: 72 }),
    };
    worker = await startLocalWorker({ vars, persistTo: join(dir, "state") });
    const created = await createState(worker.url, cloudflare);
    return { url: worker.url, pid: worker.pid, token: OPERATOR_TOKEN, cloudflare, created, heldTarget: `zones/${ZONE}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function operator(url, method, path, body, headers = {}) {
  const response = await fetch(`${url}/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${OPERATOR_TOKEN}`, ...headers },
    body,
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${method} /v1${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

const revoke = (url, email, reason) =>
  operator(url, "POST", "/revocations", JSON.stringify({ email, reason }), { "content-type": "application/json" });

async function createState(url, cloudflare) {
  const finished = await operator(
    url,
    "POST",
    "/revocations/bulk",
    [
      "email,user_uid,reason",
      "ana@example.com,,leaver",
      "bo@example.com",
      "chen@example.com",
      "dara@example.com",
      "eli@example.com",
      "not an address",
    ].join("\n"),
    { "content-type": "text/csv", "Idempotency-Key": "leavers-march" },
  );
  await waitFor(async () => (await operator(url, "GET", `/jobs/${finished.job_id}`)).percent_done === 100, `job ${finished.job_id} to finish`);

  const revoked = [];
  for (const email of ["fay@example.com", "gus@example.com", "hana@example.com"]) {
    const record = await revoke(url, email, "left the company");
    if (record.status !== "revoked") throw new Error(`${email} ended ${record.status}: ${JSON.stringify(record)}`);
    revoked.push(record);
  }

  // Revoked, but the session stays: the verification 2 s later finds it still active.
  cloudflare.keepSessions("max@example.com");
  const stillActive = await revoke(url, "max@example.com", "left the company");
  if (stillActive.status !== "revoked") throw new Error(`max@example.com ended ${stillActive.status}, not revoked`);

  // The token loses its permission on the zone: the next revocation fails there and the zone is held.
  cloudflare.refuseTarget(`zones/${ZONE}`);
  const failed = await revoke(url, "ivo@example.com", "contract ended");
  if (failed.status !== "failed") throw new Error(`ivo@example.com ended ${failed.status}, not failed`);

  const held = await operator(url, "POST", "/revocations/bulk", ["jo@example.com", "kim@example.com", "lou@example.com"].join("\n"), {
    "content-type": "text/csv",
    "Idempotency-Key": "leavers-april",
  });
  return { finishedJob: finished.job_id, heldJob: held.job_id, revoked, stillActive, failed };
}
